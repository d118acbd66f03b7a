package pages

import (
	"errors"
	"io/fs"
	"log/slog"
	"math"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/boothgiveaway/giveaway/internal/apperr"
	"github.com/boothgiveaway/giveaway/internal/websec"
)

// csp lets pages run only our own scripts and styles; user text can never become code.
const csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; " +
	"media-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; " +
	"form-action 'self'; frame-ancestors 'none'"

// headers sets the security headers of every page. The claim page's URL holds its secret token,
// so no page sends a Referer anywhere, and no answer is cached unless its handler says so (a
// login's redirect, a claim's, carry tokens). Behind https: HSTS and Secure on every cookie.
func (p *Pages) headers(next echo.HandlerFunc) echo.HandlerFunc {
	h := func(c echo.Context) error {
		securityHeaders(c.Response().Header())
		c.Response().Header().Set("Cache-Control", "no-store")
		return next(c)
	}
	if p.deps.SecureCookies {
		return websec.HTTPS(h)
	}
	return h
}

func securityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", csp)
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Permissions-Policy", "camera=(self), microphone=(), geolocation=()")
}

// csrf checks the token of every form post. The token is bound to the staff session (or, before
// login, to a pre-session cookie) by websec, the same function the JSON API uses, so the token a
// page embeds is also the one the tablet's fetches to /api/v1 send.
func (p *Pages) csrf() echo.MiddlewareFunc {
	return websec.NewCSRF(p.deps.CSRFKey, p.deps.SecureCookies).Middleware(websec.Options{
		Fail: func(c echo.Context) error {
			return p.errorPage(c, http.StatusForbidden, "err_csrf")
		},
	})
}

// htmlErrors answers any error of a page route with the HTML error page. Without it errors
// would reach the server's error handler, which is the JSON API's.
func (p *Pages) htmlErrors(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		err := next(c)
		if err == nil || c.Response().Committed {
			return err
		}
		return p.domainError(c, err)
	}
}

// jsonErrors answers any error of a JSON route in the JSON API's shape:
// {"error": {"code", "message", "details"}}.
func (p *Pages) jsonErrors(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		err := next(c)
		if err == nil || c.Response().Committed {
			return err
		}
		status, e := classify(c, err)
		retryAfter(c, e)
		body := map[string]any{"code": e.Code, "message": e.Message}
		if len(e.Details) > 0 {
			body["details"] = e.Details
		}
		c.Response().Header().Set("Cache-Control", "no-store")
		return c.JSON(status, map[string]any{"error": body})
	}
}

var statusOf = map[apperr.Kind]int{apperr.Invalid: 400, apperr.Unprocessable: 422, apperr.NotFound: 404,
	apperr.Conflict: 409, apperr.Unauthorized: 401, apperr.Forbidden: 403, apperr.TooMany: 429, apperr.TooLarge: 413}

// errInternal is what an unexpected error shows: its own text may hold internals.
var errInternal = apperr.New(0, "internal", "something went wrong on our side; try again")

// classify gives any error a status and a domain error to show, as the JSON API does; an
// unexpected error is logged and shown as errInternal.
func classify(c echo.Context, err error) (int, *apperr.Error) {
	if e, ok := apperr.As(err); ok {
		if status := statusOf[e.Kind]; status != 0 {
			return status, e
		}
		return http.StatusBadRequest, e
	}
	var he *echo.HTTPError
	if errors.As(err, &he) && he.Code < 500 {
		code := map[int]string{http.StatusNotFound: "not_found", http.StatusForbidden: "forbidden",
			http.StatusRequestEntityTooLarge: "body_too_large"}[he.Code]
		if code == "" {
			code = "http_" + strconv.Itoa(he.Code)
		}
		msg := http.StatusText(he.Code)
		if m, ok := he.Message.(string); ok {
			msg = m
		}
		return he.Code, apperr.New(0, code, "%s", msg)
	}
	slog.Error("page failed", "path", c.Request().URL.Path, "err", err)
	return http.StatusInternalServerError, errInternal
}

func retryAfter(c echo.Context, e *apperr.Error) {
	if e.RetryAfter > 0 {
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(e.RetryAfter.Seconds()))))
	}
}

// static serves web/static. A URL carrying the file's content hash (as templates write it) may
// be cached for good; anything else is revalidated.
func (p *Pages) static(c echo.Context) error {
	name := strings.TrimPrefix(path.Clean("/"+c.Param("*")), "/")
	b, err := fs.ReadFile(p.staticFS(), name)
	if err != nil {
		return apperr.New(apperr.NotFound, "not_found", "no such file")
	}
	h := c.Response().Header()
	if v := c.QueryParam("v"); v != "" && p.deps.WebDir == "" && v == p.embed.hashes[name] {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	h.Set("X-Content-Type-Options", "nosniff")
	ct := mime.TypeByExtension(path.Ext(name))
	if ct == "" {
		ct = "application/octet-stream"
	}
	return c.Blob(http.StatusOK, ct, b)
}
