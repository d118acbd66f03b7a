package testkit

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// fakeT records a failure instead of ending the test, so the helpers' failures can be seen.
type fakeT struct {
	testing.TB
	failed string
}

func (f *fakeT) Helper() {}
func (f *fakeT) Fatalf(format string, args ...any) {
	f.failed = format
	panic(f)
}

func TestEventuallyReturnsOnceTheConditionHolds(t *testing.T) {
	n := 0
	Eventually(t, "the third poll", func() bool { n++; return n == 3 })
	if n != 3 {
		t.Fatalf("polled %d times, want 3", n)
	}
}

func TestWaitHTTPSeesAServerThatAnswers(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	WaitHTTP(t, srv.URL) // any answer counts: the server is up
}

func TestEventuallyFailsWithItsDescription(t *testing.T) {
	f := &fakeT{TB: t}
	func() {
		defer func() { _ = recover() }()
		poll(f, 50*time.Millisecond, func() bool { return false }, func() string { return "never" })
	}()
	if f.failed != "timed out waiting for %s" {
		t.Fatal("a condition that never holds did not fail the test")
	}
}
