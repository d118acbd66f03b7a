package pages

import (
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/boothgiveaway/giveaway/internal/apperr"
	"github.com/boothgiveaway/giveaway/internal/edge"
)

// csp lets pages run only our own scripts and styles; user text can never become code.
const csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; " +
	"media-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; " +
	"form-action 'self'; frame-ancestors 'none'"

// headers sets the security headers of every page. The claim page's URL holds its secret token,
// so no page sends a Referer anywhere, and no answer is cached unless its handler says so (a
// login's redirect, a claim's, carry tokens). Behind https, the edge adds HSTS and Secure on
// every cookie to every answer.
func (p *Pages) headers(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		securityHeaders(c.Response().Header())
		c.Response().Header().Set("Cache-Control", "no-store")
		return next(c)
	}
}

func securityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", csp)
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Permissions-Policy", "camera=(self), microphone=(), geolocation=()")
}

// csrf checks the token of every form post. The token is bound to the staff session (or, before
// login, to a pre-session cookie) by the edge, the same guard the JSON API uses, so the token a
// page embeds is also the one the tablet's fetches to /api/v1 send.
func (p *Pages) csrf() echo.MiddlewareFunc {
	return p.edge.CSRF.Middleware(edge.CSRFOptions{})
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
