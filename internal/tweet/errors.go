package tweet

import (
	"errors"
	"fmt"
)

// ErrInvalid is wrapped by every error Parse returns, so a caller that only cares whether a
// line was usable needs one errors.Is check.
var ErrInvalid = errors.New("tweet: invalid input")

// ErrStreamError is also wrapped (together with ErrInvalid) when the line is the stream talking
// about itself rather than a post: a v2 message that carries only "errors" (operational
// disconnect), a v2 problem object, or a v1.1 "disconnect" notice. The stream client uses it to
// reconnect instead of counting a bad post.
var ErrStreamError = errors.New("tweet: stream error message")

func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
}

func streamErrorf(format string, args ...any) error {
	return &streamError{msg: fmt.Sprintf(format, args...)}
}

// streamError matches both ErrStreamError and ErrInvalid without repeating both texts.
type streamError struct{ msg string }

func (e *streamError) Error() string   { return ErrStreamError.Error() + ": " + e.msg }
func (e *streamError) Unwrap() []error { return []error{ErrStreamError, ErrInvalid} }
