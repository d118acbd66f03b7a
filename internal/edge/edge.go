// Package edge is the service's one HTTP edge, under the JSON API (internal/httpapi) and the
// pages (internal/pages), which are route tables of thin handlers on it. It owns every cookie
// (names and flags), CSRF tokens bound to the staff session, the staff member of a request, the
// rate budgets per client address, the https rules, and the one error renderer that maps domain
// errors (internal/apperr) to HTTP: JSON {"error": {"code", "message"}} under /api and for any
// route that is not a page, the pages' HTML error page on pages.
package edge

import "github.com/boothgiveaway/giveaway/internal/auth"

// Config is what the edge needs: the same on the JSON API and the pages.
type Config struct {
	// Secure marks cookies Secure and adds HSTS (PUBLIC_BASE_URL is https).
	Secure bool
	// CSRFKey signs the CSRF tokens bound to staff sessions; instances behind one load balancer
	// share it. Empty: a random key for this process.
	CSRFKey []byte
}

// Edge is the edge of one process, shared by the JSON API and the pages.
type Edge struct {
	Cookies Cookies
	CSRF    *CSRF
	auth    *auth.Service // who the staff member of a request is
}

// New returns the edge of cfg; au identifies staff sessions and the admin token.
func New(cfg Config, au *auth.Service) *Edge {
	cookies := Cookies{Secure: cfg.Secure}
	return &Edge{Cookies: cookies, CSRF: newCSRF(cfg.CSRFKey, cookies), auth: au}
}
