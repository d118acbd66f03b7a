// Package apperr is the error vocabulary shared by the domain packages. The domain says what went
// wrong (a Kind and a stable Code); the HTTP layer alone decides how that looks on the wire.
package apperr

import (
	"errors"
	"fmt"
	"time"
)

// Kind groups errors by what the caller can do about them.
type Kind int

const (
	Invalid       Kind = iota + 1 // the request itself is wrong
	Unprocessable                 // well-formed, but names something that cannot be used
	NotFound
	Conflict // the state of the world forbids it (already given, out of stock ...)
	Unauthorized
	Forbidden
	TooMany // throttled or locked out
	TooLarge
)

// Error is a domain error with a stable machine-readable code.
type Error struct {
	Kind       Kind
	Code       string
	Message    string
	Details    map[string]any
	RetryAfter time.Duration
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// New returns an error of kind with a stable code and a human message.
func New(kind Kind, code, format string, args ...any) *Error {
	return &Error{Kind: kind, Code: code, Message: fmt.Sprintf(format, args...)}
}

// With adds a detail the client may show ("given_by", "given_at" ...).
func (e *Error) With(key string, value any) *Error {
	if e.Details == nil {
		e.Details = map[string]any{}
	}
	e.Details[key] = value
	return e
}

// As finds an *Error in err's chain.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// Is reports whether err carries the given code.
func Is(err error, code string) bool {
	e, ok := As(err)
	return ok && e.Code == code
}
