package httpapi

import (
	"encoding/json"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/boothgiveaway/giveaway/internal/apperr"
	"github.com/boothgiveaway/giveaway/internal/edge"
)

// The organiser's console posts its forms to the same routes scripts use. A form post
// (application/x-www-form-urlencoded, from a staff session with the CSRF token) is bound by the
// JSON field names and answered with 303 See Other back to the console page it came from, with
// the outcome as the console's flash; JSON clients get JSON as always.

// isForm reports whether the request is an HTML form post.
func isForm(c echo.Context) bool {
	mt, _, _ := mime.ParseMediaType(c.Request().Header.Get(echo.HeaderContentType))
	return mt == echo.MIMEApplicationForm
}

// bind reads the body into v: JSON (decode), or a form whose fields carry v's JSON names. Form
// lists are space-separated words; a list of objects (a campaign's prizes) is parallel fields
// named list.field (prizes.key, prizes.name, prizes.stock), rows without their first field
// skipped; a nested object is fields named object.field (a draw's pool.networks); times are
// RFC 3339 or a browser's local date-time in the form's time_zone.
func bind(c echo.Context, v any) error {
	if !isForm(c) {
		return decode(c, v)
	}
	form, err := c.FormParams()
	if err != nil {
		return apperr.New(apperr.Invalid, "malformed_form", "the form could not be read")
	}
	loc := time.UTC
	if l, err := time.LoadLocation(form.Get("time_zone")); err == nil && form.Get("time_zone") != "Local" {
		loc = l
	}
	get := func(name string) (string, bool) {
		vals, ok := form[name]
		if !ok || len(vals) == 0 {
			return "", false
		}
		return vals[len(vals)-1], true // a checkbox after its hidden "false" wins
	}
	return bindStruct(reflect.ValueOf(v).Elem(), "", get, func(name string) []string { return form[name] }, loc)
}

func bindStruct(sv reflect.Value, prefix string, get func(string) (string, bool), all func(string) []string, loc *time.Location) error {
	st := sv.Type()
	for i := 0; i < st.NumField(); i++ {
		f := st.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" || !f.IsExported() {
			continue
		}
		raw, ok := get(prefix + name)
		fv := sv.Field(i)
		if fv.Kind() == reflect.Slice && fv.Type().Elem().Kind() == reflect.Struct {
			if err := bindRows(fv, name, all, loc); err != nil {
				return err
			}
			continue
		}
		// A nested object (a draw's pool filter) is its fields named object.field.
		if fv.Kind() == reflect.Struct && fv.Type() != timeType {
			if err := bindStruct(fv, prefix+name+".", get, all, loc); err != nil {
				return err
			}
			continue
		}
		if !ok {
			continue
		}
		if err := setField(fv, name, strings.TrimSpace(raw), loc); err != nil {
			return err
		}
	}
	return nil
}

// bindRows fills a list of objects from parallel fields list.field.
func bindRows(fv reflect.Value, list string, all func(string) []string, loc *time.Location) error {
	et := fv.Type().Elem()
	first, _, _ := strings.Cut(et.Field(0).Tag.Get("json"), ",")
	keys := all(list + "." + first)
	out := reflect.MakeSlice(fv.Type(), 0, len(keys))
	for row := range keys {
		if strings.TrimSpace(keys[row]) == "" {
			continue
		}
		get := func(name string) (string, bool) {
			vals := all(name)
			if row >= len(vals) {
				return "", false
			}
			return vals[row], true
		}
		e := reflect.New(et).Elem()
		if err := bindStruct(e, list+".", get, all, loc); err != nil {
			return err
		}
		out = reflect.Append(out, e)
	}
	fv.Set(out)
	return nil
}

var (
	timeType  = reflect.TypeOf(time.Time{})
	rawType   = reflect.TypeOf(json.RawMessage{})
	wrongForm = func(field, what string) error {
		return apperr.New(apperr.Invalid, "invalid_field", "%s must be %s", field, what).With("field", field)
	}
)

// setField sets one field from its form text; an empty text leaves an optional field unset.
func setField(fv reflect.Value, name, raw string, loc *time.Location) error {
	if fv.Kind() == reflect.Pointer {
		if k := fv.Type().Elem().Kind(); raw == "" && k != reflect.String && k != reflect.Slice {
			return nil
		}
		p := reflect.New(fv.Type().Elem())
		if err := setField(p.Elem(), name, raw, loc); err != nil {
			return err
		}
		fv.Set(p)
		return nil
	}
	switch {
	case fv.Type() == timeType:
		if raw == "" {
			return nil
		}
		t, err := time.Parse(time.RFC3339, raw)
		if err != nil {
			if t, err = time.ParseInLocation("2006-01-02T15:04", raw, loc); err != nil {
				return apperr.New(apperr.Invalid, "invalid_time", "times are RFC 3339, e.g. 2016-08-13T09:00:00+09:00").
					With("field", name)
			}
		}
		fv.Set(reflect.ValueOf(t))
	case fv.Type() == rawType:
		if raw != "" {
			fv.SetBytes([]byte(raw))
		}
	case fv.Kind() == reflect.String:
		fv.SetString(raw)
	case fv.Kind() == reflect.Int || fv.Kind() == reflect.Int32 || fv.Kind() == reflect.Int64:
		if raw == "" {
			return nil
		}
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			return wrongForm(name, "a whole number")
		}
		fv.SetInt(n)
	case fv.Kind() == reflect.Bool:
		switch raw {
		case "true", "on", "1":
			fv.SetBool(true)
		case "false", "off", "0", "":
			fv.SetBool(false)
		default:
			return wrongForm(name, "true or false")
		}
	case fv.Kind() == reflect.Slice && fv.Type().Elem().Kind() == reflect.String:
		words := strings.Fields(raw)
		s := reflect.MakeSlice(fv.Type(), len(words), len(words))
		for i, w := range words {
			s.Index(i).SetString(w)
		}
		fv.Set(s)
	default:
		return wrongForm(name, "something a form cannot send")
	}
	return nil
}

// reply answers a success: JSON with status, or for a console form a 303 to the console page
// the form names (_back), with the message key as its flash.
func (s *server) reply(c echo.Context, status int, out any, flash string) error {
	if !isForm(c) {
		return c.JSON(status, out)
	}
	return s.replyAt(c, status, out, flash, consoleBack(c))
}

// replyAt is reply sending a console form on to the page back (a new campaign's own).
func (s *server) replyAt(c echo.Context, status int, out any, flash, back string) error {
	if !isForm(c) {
		return c.JSON(status, out)
	}
	s.edge.Cookies.SetConsoleFlash(c, edge.Flash("ok", flash, nil))
	return c.Redirect(http.StatusSeeOther, back)
}

// consoleBack is where a console form returns: its _back field if that is a console page.
func consoleBack(c echo.Context) string {
	if b := c.FormValue("_back"); edge.IsConsoleURL(b) {
		return b
	}
	return edge.ConsolePath
}

// consoleForms answers a console form's refusal (bad input, an expired form, no admin) as a
// flash on the console page it came from, escaped there like all text; JSON requests pass.
// Outermost on the routes the console posts to, so it sees the CSRF and admin guards' errors.
func (s *server) consoleForms(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if !isForm(c) {
			return next(c)
		}
		err := next(c)
		if err == nil || c.Response().Committed {
			return err
		}
		_, e := edge.Classify(c, err)
		args := map[string]string{}
		if f, ok := e.Details["field"].(string); ok {
			args["field"] = f
		}
		// A message may quote what was sent; a cookie holds about 4 KB.
		msg := e.Message
		if r := []rune(msg); len(r) > 300 {
			msg = string(r[:300]) + "…"
		}
		s.edge.Cookies.SetConsoleFlash(c, edge.Flash("err", "err_"+e.Code+"|"+msg, args))
		return c.Redirect(http.StatusSeeOther, consoleBack(c))
	}
}

// formMethod lets a console form (which can only POST) reach a PATCH route of the API: a form
// post to /api/v1/ with _method=PATCH is routed as PATCH. Nothing else is overridden, and the
// body read here is bounded as the routes bound it.
func formMethod(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/api/v1/") && isForm(c) {
			r.Body = http.MaxBytesReader(c.Response(), r.Body, 64<<10)
			if c.FormValue("_method") == http.MethodPatch {
				r.Method = http.MethodPatch
			}
		}
		return next(c)
	}
}
