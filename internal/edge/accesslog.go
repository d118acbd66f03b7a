package edge

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"regexp"
	"time"

	"github.com/labstack/echo/v4"
)

// RequestIDHeader carries a request's id: taken from the client (a load balancer's) when it is a
// plain token, else made here; every answer, error answers included, sends it back in this
// header and the access log line names it, so a report from the booth finds its log line. Not in
// the error body: answers that must not differ (a refused claim) stay byte-identical.
const RequestIDHeader = "X-Request-Id"

const requestIDKey = "edge.request_id"

// plainID is what a request id from outside may look like: nothing that could forge a log line.
var plainID = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,64}$`)

// RequestID is the id of c's request ("" outside the edge).
func RequestID(c echo.Context) string {
	id, _ := c.Get(requestIDKey).(string)
	return id
}

func newRequestID() string {
	var b [12]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// accessLog is the outermost rule: it gives the request its id and, once answered, writes one
// line to log (nil: none, as in tests). The route is the registered pattern, never the path: a claim's status URL holds
// its secret token. The query is not logged for the same reason.
func accessLog(log *slog.Logger) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start, id := beginRequest(c)
			if err := next(c); err != nil {
				c.Error(err)
			}
			if log != nil {
				logRequest(log, c, id, start)
			}
			return nil
		}
	}
}

// beginRequest and logRequest are accessLog's work, apart from it so that its frame is small:
// every open event stream's goroutine holds each middleware's frame for the stream's life (see
// pages' pump).
//
//go:noinline
func beginRequest(c echo.Context) (time.Time, string) {
	start := time.Now()
	id := c.Request().Header.Get(RequestIDHeader)
	if !plainID.MatchString(id) {
		id = newRequestID()
	}
	c.Set(requestIDKey, id)
	c.Response().Header().Set(RequestIDHeader, id)
	return start, id
}

//go:noinline
func logRequest(log *slog.Logger, c echo.Context, id string, start time.Time) {
	route := c.Path()
	if route == "" {
		route = "unmatched"
	}
	log.Info("request", "request_id", id, "method", method(c.Request().Method), "route", route,
		"status", c.Response().Status, "bytes", c.Response().Size,
		"duration_ms", float64(time.Since(start).Microseconds())/1000, "client", c.RealIP())
}
