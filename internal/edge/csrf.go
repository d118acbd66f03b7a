package edge

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/boothgiveaway/giveaway/internal/apperr"
)

const (
	// CSRFContextKey is where the middleware leaves the request's token for pages and
	// /auth/session.
	CSRFContextKey = "csrf"
	CSRFHeader     = "X-CSRF-Token"
	CSRFFormField  = "_csrf"
)

// processKey signs tokens when no key is configured: every API and page of one process agree.
var processKey = func() []byte {
	b := make([]byte, 32)
	rand.Read(b)
	return b
}()

// CSRF makes and checks tokens. A token is HMAC-SHA256(key, session token): it changes at every
// login, a token of another session fails, and without the session cookie (HttpOnly) nobody can
// compute it. Instances behind one load balancer must share the key.
type CSRF struct {
	key     []byte
	cookies Cookies
}

// newCSRF returns the guard; an empty key means a random key for this process.
func newCSRF(key []byte, cookies Cookies) *CSRF {
	if len(key) == 0 {
		key = processKey
	}
	return &CSRF{key: key, cookies: cookies}
}

// Token is the CSRF token of a binding: a session token, or a pre-session cookie's value.
func (g *CSRF) Token(kind, binding string) string {
	m := hmac.New(sha256.New, g.key)
	m.Write([]byte("giveaway-csrf\x00" + kind + "\x00" + binding))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// CSRFOptions adapt the middleware to its routes.
type CSRFOptions struct {
	// Skip lets through requests that carry no ambient authority (a bearer token, no cookie).
	Skip func(c echo.Context) bool
}

// errCSRF refuses a missing or wrong token; the error renderer answers it in the route's format
// (the pages say "this form has expired").
var errCSRF = apperr.New(apperr.Forbidden, "csrf_failed", "missing or wrong CSRF token (X-CSRF-Token header)")

// Middleware puts the request's token in the context (CSRFContextKey) and refuses an unsafe method
// that a browser marks cross-site or whose X-CSRF-Token header or _csrf form field does not match
// the token.
func (g *CSRF) Middleware(o CSRFOptions) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if o.Skip != nil && o.Skip(c) {
				return next(c)
			}
			want := g.tokenFor(c)
			c.Set(CSRFContextKey, want)
			switch c.Request().Method {
			case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
				return next(c)
			}
			// A browser says when a request comes from another site: never a form of ours.
			if c.Request().Header.Get("Sec-Fetch-Site") == "cross-site" {
				return errCSRF
			}
			sent := c.Request().Header.Get(CSRFHeader)
			if sent == "" {
				sent = c.FormValue(CSRFFormField)
			}
			if subtle.ConstantTimeCompare([]byte(sent), []byte(want)) != 1 {
				return errCSRF
			}
			return next(c)
		}
	}
}

// tokenFor binds the token to the session cookie, or else to the pre-session cookie, which it
// sets when the browser has none.
func (g *CSRF) tokenFor(c echo.Context) string {
	pre, err := c.Cookie(PreSessionCookie)
	if err != nil || len(pre.Value) < 32 {
		b := make([]byte, 32)
		rand.Read(b)
		pre = g.cookies.preSession(base64.RawURLEncoding.EncodeToString(b))
		c.SetCookie(pre)
	}
	if s, err := c.Cookie(SessionCookie); err == nil && s.Value != "" {
		return g.Token("session", s.Value)
	}
	return g.Token("pre", pre.Value)
}
