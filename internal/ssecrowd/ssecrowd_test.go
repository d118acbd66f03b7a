package ssecrowd_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/boothgiveaway/giveaway/internal/ssecrowd"
	"github.com/boothgiveaway/giveaway/internal/testkit"
)

// The test binary is the crowd's binary too, as cmd/bench is in `make bench`.
func TestMain(m *testing.M) {
	if ssecrowd.IsChild() {
		ssecrowd.Child()
		return
	}
	os.Exit(m.Run())
}

// An SSE server of the test's own: each stream gets its X-Forwarded-For back as a first event,
// then whatever is broadcast.
type server struct {
	mu     sync.Mutex
	subs   map[chan string]bool
	served int
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/gone" {
		http.Error(w, "no", http.StatusNotFound)
		return
	}
	ch := make(chan string, 4)
	s.mu.Lock()
	s.subs[ch] = true
	s.served++
	s.mu.Unlock()
	defer func() { s.mu.Lock(); delete(s.subs, ch); s.mu.Unlock() }()
	w.Header().Set("Content-Type", "text/event-stream")
	fmt.Fprintf(w, "retry: 10\n\n: comment\n\nevent: hello\ndata: from %s\n\n", r.Header.Get("X-Forwarded-For"))
	w.(http.Flusher).Flush()
	for {
		select {
		case <-r.Context().Done():
			return
		case msg := <-ch:
			if msg == "bye" {
				return // the server ends the stream
			}
			fmt.Fprintf(w, "data: %s\n\n", msg)
			w.(http.Flusher).Flush()
		}
	}
}

func (s *server) broadcast(msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for ch := range s.subs {
		ch <- msg
	}
}

func TestCrowdHoldsStreamsAndReportsEachEvent(t *testing.T) {
	srv := &server{subs: map[chan string]bool{}}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	var mu sync.Mutex
	got := map[int][]string{}
	c, err := ssecrowd.Start(context.Background(), func(ev ssecrowd.Event) {
		mu.Lock()
		got[ev.Stream] = append(got[ev.Stream], ev.Name+"="+ev.Data)
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	const n = 20
	for i := range n {
		if err := c.Open(i, 0, fmt.Sprintf("10.0.0.%d", i), ts.URL+"/s"); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := c.WaitUp(ctx, n); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "the server holds every stream", func() bool { srv.mu.Lock(); defer srv.mu.Unlock(); return len(srv.subs) == n })
	srv.broadcast(`{"status":"given"}`)
	testkit.Eventually(t, "every stream got its greeting and the broadcast", func() bool {
		mu.Lock()
		defer mu.Unlock()
		for i := range n {
			if len(got[i]) != 2 {
				return false
			}
		}
		return true
	})
	mu.Lock()
	defer mu.Unlock()
	for i := range n {
		want := []string{fmt.Sprintf("hello=from 10.0.0.%d", i), `message={"status":"given"}`}
		if fmt.Sprint(got[i]) != fmt.Sprint(want) {
			t.Errorf("stream %d saw %q, want %q", i, got[i], want)
		}
	}
}

func TestCrowdReconnectsInTurnAndReportsRefusals(t *testing.T) {
	srv := &server{subs: map[chan string]bool{}}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	var mu sync.Mutex
	hellos := 0
	var on []ssecrowd.Event // the hellos: each on the connection it came on
	c, err := ssecrowd.Start(context.Background(), func(ev ssecrowd.Event) {
		mu.Lock()
		hellos++
		on = append(on, ev)
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// A stream without retry that is refused stays down, and WaitUp says why.
	c.Open(0, 0, "", ts.URL+"/gone")
	if err := c.WaitUp(ctx, 1); err == nil || !strings.Contains(err.Error(), "answered 404") {
		t.Fatalf("WaitUp on a refused stream: %v", err)
	}
	// A stream with retry comes back after the server ends it, as EventSource does.
	c.Open(1, 10*time.Millisecond, "", ts.URL+"/a", ts.URL+"/b")
	testkit.Eventually(t, "the stream is up", func() bool { return c.Up() == 1 })
	srv.broadcast("bye")
	testkit.Eventually(t, "the stream reconnected", func() bool { mu.Lock(); defer mu.Unlock(); return hellos >= 2 })
	testkit.Eventually(t, "the stream is up again", func() bool { return c.Up() == 1 })
	// Each event names the connection it came on: the first URL, then the next, opened later.
	mu.Lock()
	defer mu.Unlock()
	if on[0].URL != 0 || on[1].URL != 1 || !on[1].Opened.After(on[0].Opened) || on[1].At.Before(on[1].Opened) {
		t.Errorf("the hellos came on URL %d (opened %v) then URL %d (opened %v, read %v); want 0 then 1, reopened before the read",
			on[0].URL, on[0].Opened, on[1].URL, on[1].Opened, on[1].At)
	}
}
