package pages

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/boothgiveaway/giveaway/internal/apperr"
)

const (
	heartbeatEvery = 15 * time.Second
	writeTimeout   = 10 * time.Second
)

// sseStream is one open text/event-stream response.
type sseStream struct {
	w  http.ResponseWriter
	rc *http.ResponseController
}

func openSSE(c echo.Context) *sseStream {
	h := c.Response().Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx would otherwise hold events back
	c.Response().WriteHeader(http.StatusOK)
	s := &sseStream{w: c.Response().Writer, rc: http.NewResponseController(c.Response().Writer)}
	// The server's read and write timeouts end slow requests; a stream is meant to be long, so it
	// lifts them (each write sets its own deadline below). Without lifting the read deadline, the
	// server would cancel the request once ReadTimeout passed.
	s.rc.SetReadDeadline(time.Time{})
	// A sleeping phone's browser reconnects after this long.
	s.write([]byte("retry: 3000\n\n"))
	return s
}

// write sends bytes and flushes them; a client that cannot take them in writeTimeout is gone.
func (s *sseStream) write(b []byte) error {
	s.rc.SetWriteDeadline(time.Now().Add(writeTimeout))
	if _, err := s.w.Write(b); err != nil {
		return err
	}
	return s.rc.Flush()
}

func (s *sseStream) send(ev Event) error {
	if ev.wire != nil {
		return s.write(ev.wire)
	}
	return s.write(ev.encode())
}

// encode is the event in text/event-stream form.
func (ev Event) encode() []byte {
	var b bytes.Buffer
	if ev.ID != "" {
		b.WriteString("id: " + ev.ID + "\n")
	}
	if ev.Name != "" {
		b.WriteString("event: " + ev.Name + "\n")
	}
	data := ev.Data
	if len(data) == 0 {
		data = []byte("{}")
	}
	// Our payloads are JSON without raw newlines, so one data line each.
	b.WriteString("data: ")
	b.Write(bytes.ReplaceAll(data, []byte("\n"), []byte("\ndata: ")))
	b.WriteString("\n\n")
	return b.Bytes()
}

// pump forwards a subscription to the client until either side goes away, with a comment line
// as heartbeat so proxies and phones keep the connection open. handle may transform an event
// (or answer nil to skip it).
//
// An open stream spends its life parked here, at the bottom of the middleware chain, and a
// parked goroutine keeps the stack it needs there: the GC halves a stack only while less than a
// quarter of it is in use. So the wait is a receive on one channel (a select's frames are larger)
// that timers and hang-ups wake through the hub (Sub.Wake), the work of each wake-up is in
// methods of their own, and the stream handlers and middleware keep small frames too. That keeps
// an idle stream's stack at 8 KiB instead of 16 KiB, a fifth of its memory (the pages bench's
// sse_kib_per_client).
func (s *sseStream) pump(c echo.Context, stop context.Context, sub *Sub, handle func(*Event) (*Event, error)) error {
	w := watch(c.Request().Context(), stop, sub)
	if w == nil {
		return nil // subscribed after the instance began to stop: Hub.WakeAll missed it
	}
	defer w.end()
	for {
		ev, ok := <-sub.C
		// !ok: dropped as too slow; the browser reconnects and catches up.
		if !ok || s.wake(w, ev, handle) != nil {
			return nil
		}
	}
}

// watcher wakes a stream's pump when its heartbeat is due or its client hangs up (Hub.WakeAll
// wakes every stream when the instance stops).
type watcher struct {
	ctx, stop context.Context
	beat      *time.Timer
	due       atomic.Bool
	hangUp    func() bool
}

var errStreamOver = errors.New("stream over")

//go:noinline
func watch(ctx, stop context.Context, sub *Sub) *watcher {
	if stop.Err() != nil {
		return nil
	}
	w := &watcher{ctx: ctx, stop: stop}
	w.beat = time.AfterFunc(heartbeatEvery, func() { w.due.Store(true); sub.Wake() })
	w.hangUp = context.AfterFunc(ctx, sub.Wake)
	return w
}

func (w *watcher) end() {
	w.beat.Stop()
	w.hangUp()
}

// wake handles one wake-up: an event, or Sub.Wake's reminder to check the rest. A heartbeat is
// sent even when its own wake-up found the buffer full of events.
//
//go:noinline
func (s *sseStream) wake(w *watcher, ev *Event, handle func(*Event) (*Event, error)) error {
	if w.ctx.Err() != nil || w.stop.Err() != nil {
		return errStreamOver // the client left, or the instance is shutting down (the browser reconnects to another)
	}
	if w.due.CompareAndSwap(true, false) {
		if err := s.write([]byte(": hb\n\n")); err != nil {
			return err
		}
		w.beat.Reset(heartbeatEvery)
	}
	if ev == wakeUp {
		return nil
	}
	out, err := handle(ev)
	if err != nil || out == nil {
		return err
	}
	return s.send(*out)
}

// streamCap counts the open public event streams of each client address. A stream costs a
// connection and a file for as long as the client likes, and needs no login: without a cap one
// address could hold them all.
func (p *Pages) streamCap() echo.MiddlewareFunc {
	sc := &streamCount{max: p.deps.StreamsPerAddress, open: map[string]int{}}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			addr := c.RealIP()
			if err := sc.enter(addr); err != nil {
				return err
			}
			defer sc.leave(addr)
			return next(c)
		}
	}
}

// streamCount is streamCap's count, in methods of their own to keep the stream's stack small
// (see pump).
type streamCount struct {
	mu   sync.Mutex
	max  int
	open map[string]int
}

//go:noinline
func (sc *streamCount) enter(addr string) error {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.open[addr] >= sc.max {
		e := apperr.New(apperr.TooMany, "too_many_streams",
			"this address has %d live pages open; close one and try again", sc.max)
		e.RetryAfter = 10 * time.Second
		return e
	}
	sc.open[addr]++
	return nil
}

//go:noinline
func (sc *streamCount) leave(addr string) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.open[addr]--; sc.open[addr] == 0 {
		delete(sc.open, addr)
	}
}

// lastEventID is what a reconnecting EventSource sends, or the page's starting point.
func lastEventID(c echo.Context) string {
	if id := c.Request().Header.Get("Last-Event-ID"); id != "" {
		return id
	}
	return c.QueryParam("since")
}
