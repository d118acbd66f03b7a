package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/boothgiveaway/giveaway/internal/giveaway"
	"github.com/boothgiveaway/giveaway/internal/httpapi"
)

func TestWrongPINsAreSlowedThenRefusedPerAccount(t *testing.T) {
	e := newEnv(t)
	e.staff("Janis")
	login := func(name, pin string) reply {
		return e.call(req{method: "POST", path: "/api/v1/auth/login", body: map[string]any{"name": name, "pin": pin}})
	}
	for i := 1; i <= 5; i++ {
		if r := login("janis", "0000"); r.Status != 401 || r.code() != "invalid_credentials" {
			t.Fatalf("wrong PIN %d: %d %s", i, r.Status, r.Raw)
		}
	}
	// The fifth failure locked the account: even the right PIN waits now.
	r := login("Janis", "4821")
	if r.Status != 429 || r.code() != "login_locked" || r.Header.Get("Retry-After") == "" {
		t.Fatalf("locked account: %d %s", r.Status, r.Raw)
	}
	// Another account behind the same address is not affected.
	e.must(201, req{method: "POST", path: "/api/v1/staff", bearer: adminToken, body: map[string]any{"name": "Mina", "pin": "1357"}})
	if r := login("Mina", "1357"); r.Status != 200 {
		t.Fatalf("other account: %d %s", r.Status, r.Raw)
	}
	// An unknown name is the same 401 as a wrong PIN.
	if r := login("nobody", "1234"); r.Status != 401 || r.code() != "invalid_credentials" {
		t.Fatalf("unknown name: %d %s", r.Status, r.Raw)
	}
	// When the lock has passed, the right PIN works and clears the count.
	e.pool.Exec(context.Background(), `UPDATE staff SET locked_until = now() - interval '1 second' WHERE name = 'Janis'`)
	if r := login("Janis", "4821"); r.Status != 200 {
		t.Fatalf("after the lock: %d %s", r.Status, r.Raw)
	}
	var fails int
	e.pool.QueryRow(context.Background(), `SELECT failed_logins FROM staff WHERE name = 'Janis'`).Scan(&fails)
	if fails != 0 {
		t.Fatalf("failed_logins %d after a good login", fails)
	}
}

func TestCookieSessionsNeedTheCSRFToken(t *testing.T) {
	e := newEnv(t)
	e.campaign("pycon", campaignOpts{})
	e.staff("Janis")
	id := e.verifiedClaim("pycon", "cookie", 1)
	r := e.must(200, req{method: "POST", path: "/api/v1/auth/login", body: map[string]any{"name": "Janis", "pin": "4821"}})
	var session *http.Cookie
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if c.Name == "giveaway_session" {
			session = c
		}
	}
	if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteStrictMode {
		t.Fatalf("session cookie %+v", session)
	}
	give := req{method: "POST", path: fmt.Sprintf("/api/v1/claims/%v/give", id), body: map[string]any{"prize": "tshirt"},
		cookies: []*http.Cookie{session}}
	if r := e.call(give); r.Status != 403 || r.code() != "csrf_failed" {
		t.Fatalf("cookie without CSRF token: %d %s", r.Status, r.Raw)
	}
	// The session endpoint hands out the token with its cookie.
	s := e.must(200, req{method: "GET", path: "/api/v1/auth/session", cookies: []*http.Cookie{session}})
	token, _ := s.Body["csrf_token"].(string)
	var csrf *http.Cookie
	for _, c := range (&http.Response{Header: s.Header}).Cookies() {
		if c.Name == "giveaway_csrf" {
			csrf = c
		}
	}
	if token == "" || csrf == nil || s.Body["name"] != "Janis" {
		t.Fatalf("session answer %s", s.Raw)
	}
	give.cookies = []*http.Cookie{session, csrf}
	give.headers = map[string]string{"X-CSRF-Token": "wrong"}
	if r := e.call(give); r.Status != 403 {
		t.Fatalf("wrong CSRF token: %d %s", r.Status, r.Raw)
	}
	give.headers = map[string]string{"X-CSRF-Token": token}
	if r := e.call(give); r.Status != 200 {
		t.Fatalf("with CSRF token: %d %s", r.Status, r.Raw)
	}
	// Expired sessions are refused.
	e.pool.Exec(context.Background(), `UPDATE staff_sessions SET expires_at = now() - interval '1 second'`)
	if r := e.call(req{method: "GET", path: "/api/v1/auth/session", cookies: []*http.Cookie{session}}); r.Status != 401 || r.code() != "session_expired" {
		t.Fatalf("expired session: %d %s", r.Status, r.Raw)
	}
}

func TestLogoutEndsTheSession(t *testing.T) {
	e := newEnv(t)
	tok := e.staff("Janis")
	e.must(204, req{method: "POST", path: "/api/v1/auth/logout", bearer: tok})
	if r := e.call(req{method: "GET", path: "/api/v1/auth/session", bearer: tok}); r.Status != 401 {
		t.Fatalf("after logout: %d %s", r.Status, r.Raw)
	}
}

func TestACrowdBehindOneAddressCanClaimButAFloodCannot(t *testing.T) {
	e := newEnv(t, func(c *httpapi.Config, _ *[]giveaway.Option) { c.ClaimsPerMinute = 300 })
	e.campaign("pycon", campaignOpts{})
	limited := 0
	for i := 0; i < 200; i++ {
		// A forged X-Forwarded-For must not buy a fresh budget: no proxy is trusted.
		r := e.call(req{method: "POST", path: "/api/v1/campaigns/pycon/claims", body: map[string]any{"handle": fmt.Sprintf("crowd%d", i)},
			headers: map[string]string{"X-Forwarded-For": fmt.Sprintf("10.0.%d.%d", i/250, i%250)}})
		switch {
		case r.Status == 201 && i < 60:
		case r.Status == 201:
		case r.Status == 429 && r.code() == "rate_limited" && i >= 60:
			limited++
		default:
			t.Fatalf("claim %d: %d %s", i, r.Status, r.Raw)
		}
	}
	if limited == 0 {
		t.Fatal("200 claims in a burst from one address were never limited")
	}
}

func TestTrustedProxyAddressesAreBelieved(t *testing.T) {
	e := newEnv(t, func(c *httpapi.Config, _ *[]giveaway.Option) {
		c.ClaimsPerMinute = 40 // a burst of 10
		c.TrustedProxies = []string{"127.0.0.1/32", "::1/128"}
	})
	e.campaign("pycon", campaignOpts{})
	for i := 0; i < 30; i++ {
		r := e.call(req{method: "POST", path: "/api/v1/campaigns/pycon/claims", body: map[string]any{"handle": fmt.Sprintf("p%d", i)},
			headers: map[string]string{"X-Forwarded-For": fmt.Sprintf("203.0.113.%d", i)}})
		if r.Status != 201 {
			t.Fatalf("client %d behind the trusted proxy: %d %s", i, r.Status, r.Raw)
		}
	}
}
