package pages

import (
	"bytes"
	"net/http"
	"sync"
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
func (s *sseStream) pump(c echo.Context, stop <-chan struct{}, sub *Sub, handle func(*Event) (*Event, error)) error {
	tick := time.NewTicker(heartbeatEvery)
	defer tick.Stop()
	ctx := c.Request().Context()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-stop:
			return nil // the instance is shutting down; the browser reconnects to another
		case <-tick.C:
			if err := s.write([]byte(": hb\n\n")); err != nil {
				return nil
			}
		case ev, ok := <-sub.C:
			if !ok {
				return nil // dropped as too slow; the browser reconnects and catches up
			}
			out, err := handle(ev)
			if err != nil {
				return nil
			}
			if out != nil {
				if err := s.send(*out); err != nil {
					return nil
				}
			}
		}
	}
}

// streamCap counts the open public event streams of each client address. A stream costs a
// connection and a file for as long as the client likes, and needs no login: without a cap one
// address could hold them all.
func (p *Pages) streamCap() echo.MiddlewareFunc {
	var mu sync.Mutex
	open := map[string]int{}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			addr := c.RealIP()
			mu.Lock()
			if open[addr] >= p.deps.StreamsPerAddress {
				mu.Unlock()
				e := apperr.New(apperr.TooMany, "too_many_streams",
					"this address has %d live pages open; close one and try again", p.deps.StreamsPerAddress)
				e.RetryAfter = 10 * time.Second
				return e
			}
			open[addr]++
			mu.Unlock()
			defer func() {
				mu.Lock()
				if open[addr]--; open[addr] == 0 {
					delete(open, addr)
				}
				mu.Unlock()
			}()
			return next(c)
		}
	}
}

// lastEventID is what a reconnecting EventSource sends, or the page's starting point.
func lastEventID(c echo.Context) string {
	if id := c.Request().Header.Get("Last-Event-ID"); id != "" {
		return id
	}
	return c.QueryParam("since")
}
