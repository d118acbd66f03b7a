package pages

import (
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"golang.org/x/time/rate"
)

// csp lets pages run only our own scripts and styles; user text can never become code.
const csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; " +
	"media-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; " +
	"form-action 'self'; frame-ancestors 'none'"

// headers sets the security headers of every page. The claim page's URL holds its secret token,
// so no page sends a Referer anywhere.
func (p *Pages) headers(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Permissions-Policy", "camera=(self), microphone=(), geolocation=()")
		return next(c)
	}
}

// csrfCookie is shared with the JSON API's CSRF middleware, so the token a page embeds is also
// the one the tablet's fetches to /api/v1 send.
const csrfCookie = "giveaway_csrf"

func (p *Pages) csrf() echo.MiddlewareFunc {
	return middleware.CSRFWithConfig(middleware.CSRFConfig{
		TokenLookup:    "form:_csrf,header:X-CSRF-Token",
		CookieName:     csrfCookie,
		CookiePath:     "/",
		CookieSecure:   p.deps.SecureCookies,
		CookieSameSite: http.SameSiteStrictMode,
		CookieHTTPOnly: true,
		ContextKey:     "csrf",
		ErrorHandler: func(err error, c echo.Context) error {
			return p.errorPage(c, http.StatusForbidden, "err_csrf")
		},
	})
}

// rateLimit allows perMinute posts a minute from one address, with a burst for a queue at the
// booth behind one venue NAT.
func rateLimit(perMinute int) echo.MiddlewareFunc {
	store := middleware.NewRateLimiterMemoryStoreWithConfig(middleware.RateLimiterMemoryStoreConfig{
		Rate: rate.Limit(float64(perMinute) / 60), Burst: max(perMinute/4, 10), ExpiresIn: 5 * time.Minute,
	})
	return middleware.RateLimiterWithConfig(middleware.RateLimiterConfig{
		Store:               store,
		IdentifierExtractor: func(c echo.Context) (string, error) { return c.RealIP(), nil },
		DenyHandler: func(c echo.Context, _ string, _ error) error {
			c.Response().Header().Set("Retry-After", "10")
			return p429(c)
		},
	})
}

func p429(c echo.Context) error {
	return c.String(http.StatusTooManyRequests, "Too many requests from this address; wait a few seconds.\n")
}

// static serves web/static. A URL carrying the file's content hash (as templates write it) may
// be cached for good; anything else is revalidated.
func (p *Pages) static(c echo.Context) error {
	name := strings.TrimPrefix(path.Clean("/"+c.Param("*")), "/")
	b, err := fs.ReadFile(p.staticFS(), name)
	if err != nil {
		return echo.ErrNotFound
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
