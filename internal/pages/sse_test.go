package pages

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/boothgiveaway/giveaway/internal/testkit"
)

// lockedWriter is a ResponseWriter the test may read while a stream writes to it.
type lockedWriter struct {
	mu     sync.Mutex
	header http.Header
	body   strings.Builder
}

func (w *lockedWriter) Header() http.Header { return w.header }
func (w *lockedWriter) WriteHeader(int)     {}
func (w *lockedWriter) Flush()              {}
func (w *lockedWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.body.Write(b)
}
func (w *lockedWriter) String() string { w.mu.Lock(); defer w.mu.Unlock(); return w.body.String() }

// A stream waits on its subscription alone (see pump): events, the client hanging up and the
// instance stopping must each still reach it.
func TestStreamPumpEndsOnHangUpAndStop(t *testing.T) {
	hub := NewHub(4)
	stop, stopNow := context.WithCancel(context.Background())
	defer stopNow()
	open := func() (*lockedWriter, context.CancelFunc, chan struct{}) {
		ctx, hangUp := context.WithCancel(context.Background())
		w := &lockedWriter{header: http.Header{}}
		c := echo.New().NewContext(httptest.NewRequest(http.MethodGet, "/", nil).WithContext(ctx), echo.NewResponse(w, echo.New()))
		sub, _, _ := hub.Subscribe("wall:1", "")
		s := openSSE(c)
		done := make(chan struct{})
		go func() {
			defer close(done)
			defer hub.Unsubscribe(sub)
			s.pump(c, stop, sub, func(ev *Event) (*Event, error) { return ev, nil })
		}()
		return w, hangUp, done
	}
	ended := func(done chan struct{}) bool {
		select {
		case <-done:
			return true
		default:
			return false
		}
	}
	a, hangUpA, doneA := open()
	b, _, doneB := open()
	hub.Publish("wall:1", "post", []byte(`{"n":1}`))
	testkit.Eventually(t, "both streams get the post", func() bool {
		return strings.Contains(a.String(), "event: post\ndata: {\"n\":1}\n\n") && strings.Contains(b.String(), "event: post\ndata: {\"n\":1}\n\n")
	})
	hangUpA()
	testkit.Eventually(t, "the stream whose client left ends", func() bool { return ended(doneA) })
	if ended(doneB) {
		t.Fatal("another client's leaving ended a stream")
	}
	stopNow()
	hub.WakeAll()
	testkit.Eventually(t, "an open stream ends when the instance stops", func() bool { return ended(doneB) })
	_, _, doneC := open()
	testkit.Eventually(t, "a stream opened while stopping ends", func() bool { return ended(doneC) })
	if strings.Count(b.String(), "data:") != 1 {
		t.Errorf("a wake-up reached the page as an event: %q", b.String())
	}
}
