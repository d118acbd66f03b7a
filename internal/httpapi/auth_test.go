package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/crypto/bcrypt"

	"github.com/boothgiveaway/giveaway/internal/app"
	"github.com/boothgiveaway/giveaway/internal/auth"
	"github.com/boothgiveaway/giveaway/internal/giveaway"
	"github.com/boothgiveaway/giveaway/internal/httpapi"
	"github.com/boothgiveaway/giveaway/internal/ingest"
	"github.com/boothgiveaway/giveaway/internal/pages"
	"github.com/boothgiveaway/giveaway/internal/pgtest"
	"github.com/boothgiveaway/giveaway/internal/server"
)

// door is a service whose PIN checks are counted and whose clock the test moves.
type door struct {
	*env
	checks atomic.Int64
	mu     sync.Mutex
	clock  time.Time
}

func newDoor(t *testing.T) *door {
	t.Helper()
	t.Parallel()
	d := &door{clock: time.Now()}
	pool := pgtest.New(t)
	au := auth.New(pool, adminToken, time.Hour, auth.OnPINCheck(func() { d.checks.Add(1) }),
		auth.WithClock(func() time.Time { d.mu.Lock(); defer d.mu.Unlock(); return d.clock }))
	// Behind a trusted proxy (the test's loopback), X-Forwarded-For names the client's address.
	cfg := httpapi.Config{IngestToken: ingestToken, ClaimsPerMinute: 6000, TrustedProxies: []string{"127.0.0.1/32", "::1/128"}}
	e, _, err := server.Mount(cfg, httpapi.Deps{
		Pool: pool, Giveaway: giveaway.New(pool), Auth: au, Ingest: ingest.New(pool, nil), Registry: prometheus.NewRegistry(),
	}, pages.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	d.env = &env{t: t, pool: pool, srv: srv}
	return d
}

func (d *door) advance(by time.Duration) { d.mu.Lock(); d.clock = d.clock.Add(by); d.mu.Unlock() }

func (d *door) addStaff(name, pin string) float64 {
	d.t.Helper()
	r := d.must(201, req{method: "POST", path: "/api/v1/staff", bearer: adminToken, body: map[string]any{"name": name, "pin": pin}})
	return r.Body["id"].(float64)
}

func (d *door) login(name, pin string, cookies ...*http.Cookie) reply {
	d.t.Helper()
	return d.loginFrom("192.0.2.1", name, pin, cookies...)
}

// loginFrom logs in from a client address. Each address has its own request rate limit (a
// burst of 30) besides the login buckets, so tests spread their attempts over addresses.
func (d *door) loginFrom(addr, name, pin string, cookies ...*http.Cookie) reply {
	d.t.Helper()
	return d.call(req{method: "POST", path: "/api/v1/auth/login", body: map[string]any{"name": name, "pin": pin},
		cookies: cookies, headers: map[string]string{"X-Forwarded-For": addr}})
}

// burst sends n logins at once from addr and answers their replies.
func (d *door) burst(n int, addr, name, pin string, cookies ...*http.Cookie) []reply {
	out := make([]reply, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range out {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			out[i] = d.loginFrom(addr, name, pin, cookies...)
		}()
	}
	close(start)
	wg.Wait()
	return out
}

func tally(rs []reply) map[string]int {
	out := map[string]int{}
	for _, r := range rs {
		k := fmt.Sprintf("%d %s", r.Status, r.code())
		if r.Status == 429 && r.Header.Get("Retry-After") == "" {
			k += " without Retry-After"
		}
		out[k]++
	}
	return out
}

func cookieOf(r reply, name string) *http.Cookie {
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// The lock used to be read before the PIN check and written after it: 30 wrong PINs at once
// were all checked (26 answered 401, none locked).
func TestThirtyParallelWrongPINsReachTheCheckAHandfulOfTimes(t *testing.T) {
	d := newDoor(t)
	d.addStaff("Janis", "482193")
	got := tally(d.burst(30, "203.0.113.7", "Janis", "000000"))
	checks := d.checks.Load()
	if checks > 5 || got["401 invalid_credentials"] != int(checks) || got["429 login_locked"] != 30-int(checks) {
		t.Fatalf("30 parallel wrong PINs: %d PIN checks, answers %v; want at most 5 checks and the rest 429", checks, got)
	}
	// The right PIN from a device that never logged in waits too.
	if r := d.login("Janis", "482193"); r.Status != 429 || r.code() != "login_locked" {
		t.Fatalf("right PIN while locked: %d %s", r.Status, r.Raw)
	}
}

// Five wrong PINs used to lock a name for every device: anyone at the venue could keep the
// booth's tablets out.
func TestATabletThatLoggedInBeforeGetsThroughAStrangersBurst(t *testing.T) {
	d := newDoor(t)
	d.addStaff("Janis", "482193")
	first := d.login("Janis", "482193")
	device := cookieOf(first, "giveaway_device")
	if device == nil || !device.HttpOnly || device.SameSite != http.SameSiteStrictMode || device.MaxAge < 30*24*3600 {
		t.Fatalf("device cookie %+v", device)
	}
	// A stranger (no device cookie) hammers the name.
	if got := tally(d.burst(30, "203.0.113.7", "Janis", "111111")); got["429 login_locked"] < 25 {
		t.Fatalf("stranger's burst: %v", got)
	}
	if r := d.loginFrom("198.51.100.2", "Janis", "482193"); r.Status != 429 || r.code() != "login_locked" {
		t.Fatalf("another device without the cookie, right PIN, during the lock: %d %s", r.Status, r.Raw)
	}
	r := d.loginFrom("198.51.100.2", "Janis", "482193", device)
	if r.Status != 200 || r.Body["token"] == nil {
		t.Fatalf("tablet with its device cookie after the burst: %d %s", r.Status, r.Raw)
	}
	// A stranger behind the venue's one address locks the address for strangers, not the tablet.
	for i := 0; i <= auth.DefaultLimits.PerClient; i++ {
		d.loginFrom("198.51.100.9", fmt.Sprintf("guess%d", i), "123456")
	}
	if r := d.loginFrom("198.51.100.9", "Mina", "123456"); r.Status != 429 || r.code() != "login_locked" {
		t.Fatalf("stranger after spraying names from the address: %d %s", r.Status, r.Raw)
	}
	if r := d.loginFrom("198.51.100.9", "Janis", "482193", device); r.Status != 200 {
		t.Fatalf("tablet behind the sprayed address: %d %s", r.Status, r.Raw)
	}

	// The device's own budget is small, and a device that guesses too much loses its trust.
	checks := d.checks.Load()
	if got := tally(d.burst(30, "198.51.100.3", "Janis", "222222", device)); got["401 invalid_credentials"] > 5 {
		t.Fatalf("trusted device's burst: %v", got)
	}
	if n := d.checks.Load() - checks; n > 5 {
		t.Fatalf("trusted device's burst of 30 reached %d PIN checks", n)
	}
	if r := d.loginFrom("198.51.100.4", "Janis", "482193", device); r.Status != 429 || r.code() != "login_locked" {
		t.Fatalf("device cookie that guessed too much still trusted: %d %s", r.Status, r.Raw)
	}
}

// Only existing names ever answered 429, so the lock told which staff names exist.
func TestUnknownNamesAnswerAsKnownOnesDo(t *testing.T) {
	d := newDoor(t)
	d.addStaff("Janis", "482193")
	seq := func(addr, name string) ([]string, int64) {
		before := d.checks.Load()
		var out []string
		for i := 0; i < 7; i++ {
			r := d.loginFrom(addr, name, "000000")
			out = append(out, fmt.Sprintf("%d %s %v", r.Status, r.code(), r.Header.Get("Retry-After") != ""))
		}
		return out, d.checks.Load() - before
	}
	known, kc := seq("203.0.113.1", "Janis")
	unknown, uc := seq("203.0.113.2", "Nobody")
	if fmt.Sprint(known) != fmt.Sprint(unknown) || kc != uc || kc != 5 {
		t.Fatalf("known name: %v (%d checks)\nunknown name: %v (%d checks)", known, kc, unknown, uc)
	}
	// And bursts alike.
	k, u := tally(d.burst(10, "203.0.113.3", "Mina", "000000")), tally(d.burst(10, "203.0.113.4", "Minna", "000000"))
	d.addStaff("Sora", "482193")
	ks := tally(d.burst(10, "203.0.113.5", "Sora", "000000"))
	if fmt.Sprint(k) != fmt.Sprint(u) || fmt.Sprint(ks) != fmt.Sprint(u) {
		t.Fatalf("bursts: unknown %v, unknown %v, known %v", k, u, ks)
	}
}

// The count never used to reset; now failures live in a window.
func TestLoginCountsResetAfterTheWindow(t *testing.T) {
	d := newDoor(t)
	d.addStaff("Janis", "482193")
	for i := 1; i <= 5; i++ {
		if r := d.login("janis", "000000"); r.Status != 401 || r.code() != "invalid_credentials" {
			t.Fatalf("wrong PIN %d: %d %s", i, r.Status, r.Raw)
		}
	}
	r := d.login("Janis", "482193")
	if r.Status != 429 || r.code() != "login_locked" || r.Header.Get("Retry-After") == "" {
		t.Fatalf("locked name: %d %s", r.Status, r.Raw)
	}
	// Another name behind the same address is not affected.
	d.addStaff("Mina", "135799")
	if r := d.login("Mina", "135799"); r.Status != 200 {
		t.Fatalf("other name: %d %s", r.Status, r.Raw)
	}
	d.advance(auth.DefaultLimits.Window + time.Second)
	if r := d.login("Janis", "482193"); r.Status != 200 {
		t.Fatalf("after the window: %d %s", r.Status, r.Raw)
	}
	// A right PIN cleared the name: five more tries before the next lock.
	for i := 1; i <= 5; i++ {
		if r := d.login("Janis", "000000"); r.Status != 401 {
			t.Fatalf("wrong PIN %d after a good login: %d %s", i, r.Status, r.Raw)
		}
	}

	// One address spraying many names is counted too, and forgiven after the window.
	d.advance(auth.DefaultLimits.Window + time.Second)
	var last reply
	for i := 0; i <= auth.DefaultLimits.PerClient; i++ {
		last = d.loginFrom("203.0.113.50", fmt.Sprintf("spray%d", i), "000000")
	}
	if last.Status != 429 || last.code() != "login_locked" {
		t.Fatalf("name %d sprayed from one address: %d %s", auth.DefaultLimits.PerClient+1, last.Status, last.Raw)
	}
	d.advance(auth.DefaultLimits.Window + time.Second)
	if r := d.loginFrom("203.0.113.50", "Mina", "135799"); r.Status != 200 {
		t.Fatalf("address after the window: %d %s", r.Status, r.Raw)
	}
}

func TestNewStaffNeedSixDigitPINsAndOldOnesKeepWorking(t *testing.T) {
	d := newDoor(t)
	for _, pin := range []string{"4821", "48213", "48213a", "1234567890123"} {
		r := d.call(req{method: "POST", path: "/api/v1/staff", bearer: adminToken, body: map[string]any{"name": "Janis", "pin": pin}})
		if r.Status != 400 || r.code() != "invalid_pin" {
			t.Fatalf("new staff with PIN %q: %d %s", pin, r.Status, r.Raw)
		}
	}
	id := d.addStaff("Janis", "482193")
	if r := d.call(req{method: "PATCH", path: fmt.Sprintf("/api/v1/staff/%v", id), bearer: adminToken,
		body: map[string]any{"pin": "4821"}}); r.Status != 400 || r.code() != "invalid_pin" {
		t.Fatalf("PIN reset to 4 digits: %d %s", r.Status, r.Raw)
	}
	// A member made before the rule keeps their 4-digit PIN.
	hash, _ := bcrypt.GenerateFromPassword([]byte("4821"), bcrypt.MinCost)
	if _, err := d.pool.Exec(context.Background(), `INSERT INTO staff (name, pin_hash, role) VALUES ('Old', $1, 'staff')`, string(hash)); err != nil {
		t.Fatal(err)
	}
	if r := d.login("Old", "4821"); r.Status != 200 {
		t.Fatalf("existing 4-digit PIN: %d %s", r.Status, r.Raw)
	}
}

func TestDeactivatedStaffAreOutAtOnce(t *testing.T) {
	d := newDoor(t)
	id := d.addStaff("Janis", "482193")
	tok := d.login("Janis", "482193").Body["token"].(string)
	device := cookieOf(d.login("Janis", "482193"), "giveaway_device")
	d.must(200, req{method: "GET", path: "/api/v1/auth/session", bearer: tok})

	list := d.must(200, req{method: "GET", path: "/api/v1/staff", bearer: adminToken})
	staff := list.Body["staff"].([]any)
	janis := staff[0].(map[string]any)
	if len(staff) != 1 || janis["name"] != "Janis" || janis["active"] != true || janis["last_login_at"] == nil ||
		fmt.Sprint(janis["campaigns"]) != "[]" {
		t.Fatalf("staff list %s", list.Raw)
	}
	if r := d.call(req{method: "GET", path: "/api/v1/staff", bearer: tok}); r.Status != 403 {
		t.Fatalf("staff list for a staff member: %d %s", r.Status, r.Raw)
	}

	r := d.must(200, req{method: "PATCH", path: fmt.Sprintf("/api/v1/staff/%v", id), bearer: adminToken,
		body: map[string]any{"active": false}})
	if r.Body["active"] != false {
		t.Fatalf("deactivated: %s", r.Raw)
	}
	if r := d.call(req{method: "GET", path: "/api/v1/auth/session", bearer: tok}); r.Status != 401 {
		t.Fatalf("session of a deactivated member: %d %s", r.Status, r.Raw)
	}
	if r := d.login("Janis", "482193", device); r.Status != 401 || r.code() != "invalid_credentials" {
		t.Fatalf("login of a deactivated member: %d %s", r.Status, r.Raw)
	}
	var audited int
	d.pool.QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE action = 'staff_updated'
		AND actor = 'admin' AND details->>'active' = 'false'`).Scan(&audited)
	if audited != 1 {
		t.Fatalf("%d audit rows for the deactivation", audited)
	}
	if r := d.call(req{method: "PATCH", path: "/api/v1/staff/999", bearer: adminToken,
		body: map[string]any{"active": false}}); r.Status != 404 || r.code() != "staff_not_found" {
		t.Fatalf("unknown member: %d %s", r.Status, r.Raw)
	}
	d.must(200, req{method: "PATCH", path: fmt.Sprintf("/api/v1/staff/%v", id), bearer: adminToken,
		body: map[string]any{"active": true}})
	d.must(200, req{method: "POST", path: "/api/v1/auth/login", body: map[string]any{"name": "Janis", "pin": "482193"}})
}

func TestEndingSessionsAndResettingThePINLogEveryoneOut(t *testing.T) {
	d := newDoor(t)
	id := d.addStaff("Janis", "482193")
	a := d.login("Janis", "482193").Body["token"].(string)
	b := d.login("Janis", "482193").Body["token"].(string)
	r := d.must(200, req{method: "POST", path: fmt.Sprintf("/api/v1/staff/%v/sessions/end", id), bearer: adminToken})
	if r.Body["ended"] != float64(2) {
		t.Fatalf("sessions ended: %s", r.Raw)
	}
	for _, tok := range []string{a, b} {
		if r := d.call(req{method: "GET", path: "/api/v1/auth/session", bearer: tok}); r.Status != 401 {
			t.Fatalf("ended session: %d %s", r.Status, r.Raw)
		}
	}
	c := d.login("Janis", "482193").Body["token"].(string)
	d.must(200, req{method: "PATCH", path: fmt.Sprintf("/api/v1/staff/%v", id), bearer: adminToken,
		body: map[string]any{"pin": "975310"}})
	if r := d.call(req{method: "GET", path: "/api/v1/auth/session", bearer: c}); r.Status != 401 {
		t.Fatalf("session after a PIN reset: %d %s", r.Status, r.Raw)
	}
	if r := d.login("Janis", "482193"); r.Status != 401 {
		t.Fatalf("old PIN after the reset: %d %s", r.Status, r.Raw)
	}
	d.must(200, req{method: "POST", path: "/api/v1/auth/login", body: map[string]any{"name": "Janis", "pin": "975310"}})
	var audited int
	d.pool.QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE action IN ('staff_sessions_ended', 'staff_updated')
		AND NOT details ? 'pin'`).Scan(&audited)
	if audited != 2 {
		t.Fatalf("%d audit rows for ending sessions and the PIN reset", audited)
	}
}

func TestScopedStaffAreForbiddenOtherCampaigns(t *testing.T) {
	d := newDoor(t)
	d.campaign("pycon", campaignOpts{})
	d.campaign("jsconf", campaignOpts{})
	mine := d.verifiedClaim("pycon", "mine", 1)
	theirs := d.verifiedClaim("jsconf", "theirs", 2)
	id := d.addStaff("Janis", "482193")
	if r := d.call(req{method: "PATCH", path: fmt.Sprintf("/api/v1/staff/%v", id), bearer: adminToken,
		body: map[string]any{"campaigns": []string{"pycon", "nope"}}}); r.Status != 422 || r.code() != "unknown_campaign" {
		t.Fatalf("scope with an unknown campaign: %d %s", r.Status, r.Raw)
	}
	r := d.must(200, req{method: "PATCH", path: fmt.Sprintf("/api/v1/staff/%v", id), bearer: adminToken,
		body: map[string]any{"campaigns": []string{"pycon"}}})
	if fmt.Sprint(r.Body["campaigns"]) != "[pycon]" {
		t.Fatalf("scoped: %s", r.Raw)
	}
	tok := d.login("Janis", "482193").Body["token"].(string)

	for _, q := range []req{
		{method: "GET", path: "/api/v1/campaigns/jsconf/claims"},
		{method: "GET", path: "/api/v1/campaigns/jsconf/report"},
		{method: "POST", path: "/api/v1/campaigns/jsconf/manual-claims", body: map[string]any{"network": "other", "handle": "x", "post_url": "https://example.com/p/1"}},
		{method: "POST", path: fmt.Sprintf("/api/v1/claims/%v/give", theirs), body: map[string]any{"prize": "tshirt"}},
		{method: "POST", path: fmt.Sprintf("/api/v1/claims/%v/undo", theirs)},
	} {
		q.bearer = tok
		if r := d.call(q); r.Status != 403 || r.code() != "campaign_forbidden" {
			t.Fatalf("%s %s by a member of pycon: %d %s", q.method, q.path, r.Status, r.Raw)
		}
	}
	d.must(200, req{method: "GET", path: "/api/v1/campaigns/pycon/claims", bearer: tok})
	if r := d.give(tok, mine, "tshirt", nil); r.Status != 200 {
		t.Fatalf("give in their own campaign: %d %s", r.Status, r.Raw)
	}
	if r := d.give(adminToken, theirs, "tshirt", nil); r.Status != 200 {
		t.Fatalf("admin token: %d %s", r.Status, r.Raw)
	}
	// Unscoped again: every campaign.
	d.must(200, req{method: "PATCH", path: fmt.Sprintf("/api/v1/staff/%v", id), bearer: adminToken,
		body: map[string]any{"campaigns": []string{}}})
	d.must(200, req{method: "GET", path: "/api/v1/campaigns/jsconf/claims", bearer: tok})
}

func TestCookieSessionsNeedTheCSRFToken(t *testing.T) {
	e := newEnv(t)
	e.campaign("pycon", campaignOpts{})
	e.staff("Janis")
	id := e.verifiedClaim("pycon", "cookie", 1)
	r := e.must(200, req{method: "POST", path: "/api/v1/auth/login", body: map[string]any{"name": "Janis", "pin": "482193"}})
	session := cookieOf(r, "giveaway_session")
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
	csrf := cookieOf(s, "giveaway_csrf")
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
	e := newEnv(t, func(c *app.Config) { c.ClaimsPerMinute = 300 })
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
	e := newEnv(t, func(c *app.Config) {
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
