package httpapi

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/boothgiveaway/giveaway/internal/apperr"
)

// decode reads one JSON object into v, refusing other content types, unknown fields, trailing
// data and bodies over the route's limit, each with its own code.
func decode(c echo.Context, v any) error {
	mt, _, _ := mime.ParseMediaType(c.Request().Header.Get(echo.HeaderContentType))
	if mt != echo.MIMEApplicationJSON {
		return apperr.New(apperr.Invalid, "unsupported_media_type", "send Content-Type: application/json")
	}
	dec := json.NewDecoder(c.Request().Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return apperr.New(apperr.Invalid, "malformed_json", "the body must hold exactly one JSON object")
	}
	return nil
}

func decodeError(err error) error {
	var he *echo.HTTPError
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &he):
		return err // the body limit
	case errors.Is(err, io.EOF):
		return apperr.New(apperr.Invalid, "malformed_json", "the body is empty; send a JSON object")
	case errors.As(err, &syn), errors.Is(err, io.ErrUnexpectedEOF):
		return apperr.New(apperr.Invalid, "malformed_json", "the body is not valid JSON: %v", err)
	case errors.As(err, &typ):
		return apperr.New(apperr.Invalid, "invalid_field", "%s must be a %s", typ.Field, typ.Type).With("field", typ.Field)
	case strings.HasPrefix(err.Error(), "json: unknown field"):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return apperr.New(apperr.Invalid, "unknown_field", "unknown field %q", field).With("field", field)
	case strings.Contains(err.Error(), "parsing time"):
		return apperr.New(apperr.Invalid, "invalid_time", "times are RFC 3339, e.g. 2016-08-13T09:00:00+09:00")
	}
	return apperr.New(apperr.Invalid, "malformed_json", "the body is not valid JSON: %v", err)
}

func pathID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, apperr.New(apperr.Invalid, "invalid_id", "the claim id must be a positive number")
	}
	return id, nil
}
