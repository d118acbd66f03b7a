package edge

import (
	"encoding/json"
	"errors"
	"log/slog"
	"math"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/boothgiveaway/giveaway/internal/apperr"
	"github.com/boothgiveaway/giveaway/internal/textguard"
)

// statusOf is the one map from a domain error's kind to its HTTP status.
var statusOf = map[apperr.Kind]int{
	apperr.Invalid:       http.StatusBadRequest,
	apperr.Unprocessable: http.StatusUnprocessableEntity,
	apperr.NotFound:      http.StatusNotFound,
	apperr.Conflict:      http.StatusConflict,
	apperr.Unauthorized:  http.StatusUnauthorized,
	apperr.Forbidden:     http.StatusForbidden,
	apperr.TooMany:       http.StatusTooManyRequests,
	apperr.TooLarge:      http.StatusRequestEntityTooLarge,
}

// codeOf names Echo's own errors (routing, body limit) in our vocabulary.
var codeOf = map[int]string{
	http.StatusBadRequest:            "bad_request",
	http.StatusUnauthorized:          "unauthenticated",
	http.StatusForbidden:             "forbidden",
	http.StatusNotFound:              "not_found",
	http.StatusMethodNotAllowed:      "method_not_allowed",
	http.StatusRequestEntityTooLarge: "body_too_large",
	http.StatusUnsupportedMediaType:  "unsupported_media_type",
	http.StatusTooManyRequests:       "rate_limited",
}

// errInternal is what an unexpected error shows: its own text may hold internals.
var errInternal = apperr.New(0, "internal", "something went wrong on our side; try again")

// Classify maps any error to its status and the domain error the client sees. Unknown errors
// are logged and shown as errInternal.
func Classify(c echo.Context, err error) (int, *apperr.Error) {
	err = textguard.FromDB(err) // a NUL or bad UTF-8 that reached PostgreSQL is the client's mistake
	if e, ok := apperr.As(err); ok {
		if status := statusOf[e.Kind]; status != 0 {
			return status, e
		}
		return http.StatusBadRequest, e
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		code := codeOf[he.Code]
		if code == "" {
			code = "http_" + strconv.Itoa(he.Code)
		}
		msg := http.StatusText(he.Code)
		if m, ok := he.Message.(string); ok {
			msg = m
		}
		return he.Code, apperr.New(0, code, "%s", msg)
	}
	slog.Error("request failed", "request_id", RequestID(c), "route", c.Path(), "err", err)
	return http.StatusInternalServerError, errInternal
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string         `json:"code"`
	Message string         `json:"message"`
	Details map[string]any `json:"details,omitempty"`
}

func body(e *apperr.Error) errorBody { return errorBody{errorDetail{e.Code, e.Message, e.Details}} }

// ErrorJSON is the status and JSON body of err, for answers stored before they are sent (an
// idempotency key's).
func ErrorJSON(c echo.Context, err error) (int, []byte) {
	status, e := Classify(c, err)
	b, _ := json.Marshal(body(e))
	return status, b
}

// HTML shows a domain error as a page: the pages' error page in the reader's language.
type HTML func(c echo.Context, status int, e *apperr.Error) error

const htmlKey = "edge.html"

// HandleError is the one error renderer, the server's echo.HTTPErrorHandler: a route marked as
// a page (Errors with an HTML) gets its HTML, everything else JSON.
func HandleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status, e := Classify(c, err)
	if e.RetryAfter > 0 {
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(e.RetryAfter.Seconds()))))
	}
	if html, ok := c.Get(htmlKey).(HTML); ok {
		if err := html(c, status, e); err != nil {
			slog.Error("error page failed", "path", c.Request().URL.Path, "err", err)
		}
		return
	}
	if c.Request().Method == http.MethodHead {
		c.NoContent(status)
		return
	}
	c.JSON(status, body(e))
}

// Errors answers a route's errors where they happen, inside its own middleware (so the headers
// those set stay), with HandleError. With html the route is a page and errors are HTML.
func Errors(html HTML) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if html != nil {
				c.Set(htmlKey, html)
			}
			err := next(c)
			if err == nil || c.Response().Committed {
				return err
			}
			HandleError(err, c)
			return nil
		}
	}
}
