// Package websec holds the guards the JSON API and the pages share at the edge: CSRF tokens bound
// to the staff session, and the https rules (HSTS, Secure on every cookie).
package websec

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

const (
	// SessionCookie is the staff session, shared by the API and the pages.
	SessionCookie = "giveaway_session"
	// PreSessionCookie binds the CSRF token of a browser that has no session yet (the claim and
	// login forms): a random value only this origin can set.
	PreSessionCookie = "giveaway_csrf"
	// ContextKey is where the middleware leaves the request's token for pages and /auth/session.
	ContextKey = "csrf"
	Header     = "X-CSRF-Token"
	FormField  = "_csrf"
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
	key    []byte
	secure bool
}

// NewCSRF returns the guard; an empty key means a random key for this process.
func NewCSRF(key []byte, secureCookies bool) *CSRF {
	if len(key) == 0 {
		key = processKey
	}
	return &CSRF{key: key, secure: secureCookies}
}

// Token is the CSRF token of a binding: a session token, or a pre-session cookie's value.
func (g *CSRF) Token(kind, binding string) string {
	m := hmac.New(sha256.New, g.key)
	m.Write([]byte("giveaway-csrf\x00" + kind + "\x00" + binding))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// Options adapt the middleware to its routes.
type Options struct {
	// Skip lets through requests that carry no ambient authority (a bearer token, no cookie).
	Skip func(c echo.Context) bool
	// Fail answers a missing or wrong token in the route's format.
	Fail func(c echo.Context) error
}

// Middleware puts the request's token in the context (ContextKey) and refuses an unsafe method
// that a browser marks cross-site or whose X-CSRF-Token header or _csrf form field does not match
// the token.
func (g *CSRF) Middleware(o Options) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if o.Skip != nil && o.Skip(c) {
				return next(c)
			}
			want := g.tokenFor(c)
			c.Set(ContextKey, want)
			switch c.Request().Method {
			case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
				return next(c)
			}
			// A browser says when a request comes from another site: never a form of ours.
			if c.Request().Header.Get("Sec-Fetch-Site") == "cross-site" {
				return o.Fail(c)
			}
			sent := c.Request().Header.Get(Header)
			if sent == "" {
				sent = c.FormValue(FormField)
			}
			if subtle.ConstantTimeCompare([]byte(sent), []byte(want)) != 1 {
				return o.Fail(c)
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
		pre = &http.Cookie{Name: PreSessionCookie, Value: base64.RawURLEncoding.EncodeToString(b), Path: "/",
			HttpOnly: true, Secure: g.secure, SameSite: http.SameSiteStrictMode}
		c.SetCookie(pre)
	}
	if s, err := c.Cookie(SessionCookie); err == nil && s.Value != "" {
		return g.Token("session", s.Value)
	}
	return g.Token("pre", pre.Value)
}

// HTTPS is the https rule of every answer when the public URL is https: HSTS, and Secure on every
// cookie the answer sets, whoever set it.
func HTTPS(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		res := c.Response()
		res.Header().Set("Strict-Transport-Security", "max-age=31536000")
		res.Before(func() {
			h := res.Header()
			for i, v := range h["Set-Cookie"] {
				if !secureAttr(v) {
					h["Set-Cookie"][i] = v + "; Secure"
				}
			}
		})
		return next(c)
	}
}

func secureAttr(setCookie string) bool {
	for _, a := range strings.Split(setCookie, ";")[1:] {
		if strings.EqualFold(strings.TrimSpace(a), "secure") {
			return true
		}
	}
	return false
}
