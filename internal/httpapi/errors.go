package httpapi

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

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string         `json:"code"`
	Message string         `json:"message"`
	Details map[string]any `json:"details,omitempty"`
}

// render maps any error to a status and the JSON body the client sees. Unknown errors are logged
// and answered 500 without their text, which may hold internals.
func render(err error) (int, errorBody, *apperr.Error) {
	err = textguard.FromDB(err) // a NUL or bad UTF-8 that reached PostgreSQL is the client's mistake
	if e, ok := apperr.As(err); ok {
		return statusOf[e.Kind], errorBody{errorDetail{e.Code, e.Message, e.Details}}, e
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
		return he.Code, errorBody{errorDetail{code, msg, nil}}, nil
	}
	slog.Error("request failed", "err", err)
	return http.StatusInternalServerError, errorBody{errorDetail{"internal", "something went wrong on our side; try again", nil}}, nil
}

func (s *server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status, body, e := render(err)
	if e != nil && e.RetryAfter > 0 {
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(e.RetryAfter.Seconds()))))
	}
	if c.Request().Method == http.MethodHead {
		c.NoContent(status)
		return
	}
	c.JSON(status, body)
}

// answer turns a handler outcome into the bytes an idempotency key stores.
func answer(status int, v any, err error) (int, []byte) {
	if err != nil {
		st, body, _ := render(err)
		b, _ := json.Marshal(body)
		return st, b
	}
	b, _ := json.Marshal(v)
	return status, b
}
