package httpapi_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/boothgiveaway/giveaway/internal/app"
	"github.com/boothgiveaway/giveaway/internal/auth"
	"github.com/boothgiveaway/giveaway/internal/giveaway"
	"github.com/boothgiveaway/giveaway/internal/httpapi"
	"github.com/boothgiveaway/giveaway/internal/ingest"
	"github.com/boothgiveaway/giveaway/internal/pages"
	"github.com/boothgiveaway/giveaway/internal/server"
)

func metrics(t *testing.T, e *env) string {
	t.Helper()
	res, err := http.Get(e.srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return string(b)
}

// A client chooses the Host header, the method and the path; none of them may become a label.
// Every answer is counted with the status the client saw: a wrong PIN is a 401, not a 500.
func TestMetricsHaveNoClientChosenLabelsAndTheRealStatus(t *testing.T) {
	e := newEnv(t)
	e.campaign("pycon", campaignOpts{})
	e.staff("Janis")
	big := strings.Repeat("h", 8<<10)
	for i := range 20 {
		r, _ := http.NewRequest("GET", fmt.Sprintf("%s/nowhere/%d-%s", e.srv.URL, i, big[:100]), nil)
		r.Host = fmt.Sprintf("%d%s.example", i, big)
		if res, err := http.DefaultClient.Do(r); err == nil {
			res.Body.Close()
		}
		r, _ = http.NewRequest(fmt.Sprintf("BREW%d", i), e.srv.URL+"/api/v1/campaigns/pycon", nil)
		if res, err := http.DefaultClient.Do(r); err == nil {
			res.Body.Close()
		}
	}
	if r := e.call(req{method: "POST", path: "/api/v1/auth/login", body: map[string]any{"name": "Janis", "pin": "0000"}}); r.Status != 401 {
		t.Fatalf("wrong PIN: %d %s", r.Status, r.Raw)
	}
	e.must(404, req{method: "GET", path: "/api/v1/campaigns/nope"})
	m := metrics(t, e)
	if strings.Contains(m, "hhhhhhhh") || strings.Contains(m, "BREW") || strings.Contains(m, "nowhere") {
		t.Errorf("client-chosen text became a label")
	}
	if len(m) > 200<<10 {
		t.Errorf("/metrics is %d bytes after 40 requests", len(m))
	}
	if strings.Contains(m, `code="500"`) {
		t.Errorf("a 4xx was counted as a 500:\n%s", grep(m, "requests_total"))
	}
	for _, want := range []string{
		`giveaway_http_requests_total{code="401",method="POST",url="/api/v1/auth/login"} 1`,
		`giveaway_http_requests_total{code="404",method="GET",url="/api/v1/campaigns/:slug"} 1`,
		`giveaway_http_requests_total{code="404",method="GET",url="unmatched"} 20`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics lacks %s:\n%s", want, grep(m, "requests_total"))
		}
	}
}

func grep(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	s = strings.Join(out, "\n")
	if len(s) > 2000 {
		s = s[:2000] + "..."
	}
	return s
}

// A NUL or a byte that is not UTF-8 in a path or a query is the client's mistake: 400, never a 500.
func TestNULAndInvalidUTF8InPathOrQueryAre400(t *testing.T) {
	e := newEnv(t)
	e.campaign("pycon", campaignOpts{})
	staff := e.staff("Janis")
	for _, p := range []string{
		"/api/v1/campaigns/py%00con",
		"/api/v1/campaigns/py%ffcon",
		"/api/v1/campaigns/pycon/claims?q=%00",
		"/api/v1/campaigns/pycon/claims?q=%C3",
		"/api/v1/campaigns/pycon/claims?status=given%00",
		"/api/v1/claims/%00abc",
		"/api/v1/campaigns/pycon/report?date=%ff",
	} {
		r := e.call(req{method: "GET", path: p, bearer: staff})
		if r.Status != 400 || r.code() != "invalid_input" {
			t.Errorf("GET %s: %d %s, want 400 invalid_input", p, r.Status, r.Raw)
		}
	}
	// A \u0000 inside a JSON string reaches PostgreSQL as a NUL, which text refuses.
	id := e.verifiedClaim("pycon", "noted", 1)
	for _, r := range []req{
		{method: "POST", path: "/api/v1/campaigns/pycon/manual-claims", bearer: staff,
			body: `{"network":"instagram","handle":"jisu","post_url":"https://instagram.com/p/x","note":"saw it\u0000"}`},
		{method: "POST", path: "/api/v1/campaigns", bearer: adminToken,
			body: `{"slug":"nul","name":"N\u0000UL","required_hashtags":["a"],"starts_at":"2016-08-13T00:00:00Z","ends_at":"2099-08-14T00:00:00Z","prizes":[{"key":"a","name":"A","stock":1}]}`},
		{method: "POST", path: fmt.Sprintf("/api/v1/claims/%v/give", id), bearer: staff, body: `{"prize":"tsh\u0000irt"}`},
	} {
		if got := e.call(r); got.Status/100 != 4 {
			t.Errorf("%s %s: %d %s, want a 4xx", r.method, r.path, got.Status, got.Raw)
		}
	}
}

// One bad line is that line's error: the batch's good lines are stored and the answer is 200, so
// a sender such as Logstash does not retry the batch forever.
func TestANULOrInvalidUTF8LineNeverFailsItsBatch(t *testing.T) {
	e := newEnv(t)
	e.campaign("pycon", campaignOpts{})
	good1 := v1("7000000000000000001", "good_one", "#PyConAPAC #Elastic", during, "PyConAPAC", "Elastic")
	nul := v1("7000000000000000002", "nul_one", "zero\u0000byte", during)
	nul = strings.Replace(nul, `zero\u0000byte`, `zero\u0000byte`, 1)
	if !strings.Contains(nul, `\u0000`) {
		t.Fatalf("the NUL line has no \\u0000 escape: %s", nul)
	}
	nulHandle := strings.Replace(v1("7000000000000000003", "nul_two", "x", during), `"nul_two"`, `"nul\u0000two"`, 1)
	badUTF8 := strings.Replace(v1("7000000000000000004", "latin", "caf\u00e9", during), "caf\u00e9", "caf\xe9", 1)
	good2 := v1("7000000000000000005", "good_two", "hello", during)
	r := e.call(req{method: "POST", path: "/api/v1/ingest/tweets", bearer: ingestToken, contentType: "application/x-ndjson",
		body: strings.Join([]string{good1, nul, nulHandle, badUTF8, good2}, "\n")})
	if r.Status != 200 {
		t.Fatalf("batch with bad lines: %d %s", r.Status, r.Raw)
	}
	if r.Body["stored"] != float64(2) || r.Body["invalid"] != float64(3) {
		t.Errorf("answer %s, want 2 stored and 3 invalid", r.Raw)
	}
	errs, _ := r.Body["errors"].([]any)
	var lines []float64
	for _, x := range errs {
		lines = append(lines, x.(map[string]any)["line"].(float64))
	}
	if fmt.Sprint(lines) != "[2 3 4]" {
		t.Errorf("errors name lines %v, want [2 3 4]: %s", lines, r.Raw)
	}
	// One post alone with a NUL is a 400 for the request.
	r = e.call(req{method: "POST", path: "/api/v1/ingest/tweets", bearer: ingestToken, body: nul})
	if r.Status != 400 || r.code() != "invalid_tweet" {
		t.Errorf("one NUL post: %d %s", r.Status, r.Raw)
	}
}

// /readyz says which check failed, never the driver's text (user, database, address).
func TestReadyzNamesTheCheckNotTheError(t *testing.T) {
	t.Parallel()
	pool, err := pgxpool.New(context.Background(), "postgres://secret_user:pw@127.0.0.1:1/secret_db?connect_timeout=2")
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	type sourceStatus struct {
		Connected bool   `json:"connected"`
		LastError string `json:"last_error,omitempty"`
	}
	e, _, err := server.Mount(httpapi.Config{}, httpapi.Deps{Pool: pool, Giveaway: giveaway.New(pool),
		Auth: auth.New(pool, adminToken, time.Hour), Ingest: ingest.New(pool, nil), Registry: prometheus.NewRegistry(),
		Ready: func(context.Context) map[string]any {
			return map[string]any{"x_stream": sourceStatus{LastError: "dial tcp secret-host.internal:443"},
				"mastodon": map[string]any{"streams": []any{map[string]any{"last_error": "campaigns: user=secret_user"}}}}
		}}, pages.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	env := &env{t: t, srv: newServer(t, e)}
	r := env.call(req{method: "GET", path: "/readyz"})
	if r.Status != 503 || r.Body["database"] != "unavailable" {
		t.Errorf("readyz: %d %s", r.Status, r.Raw)
	}
	if !strings.Contains(string(r.Raw), `"last_error"`) {
		t.Errorf("readyz no longer says a source is failing: %s", r.Raw)
	}
	for _, leak := range []string{"secret_user", "secret_db", "secret-host", "127.0.0.1", "dial", "connection refused"} {
		if strings.Contains(string(r.Raw), leak) {
			t.Errorf("readyz shows %q: %s", leak, r.Raw)
		}
	}
}

// The CSRF token belongs to one session: another session's token fails, and a new login gets a
// new one.
func TestCSRFTokenIsBoundToTheSession(t *testing.T) {
	e := newEnv(t)
	e.campaign("pycon", campaignOpts{})
	e.staff("Janis")
	id := e.verifiedClaim("pycon", "bound", 1)
	login := func() (*http.Cookie, string, []*http.Cookie) {
		r := e.must(200, req{method: "POST", path: "/api/v1/auth/login", body: map[string]any{"name": "Janis", "pin": "482193"}})
		var session *http.Cookie
		for _, c := range (&http.Response{Header: r.Header}).Cookies() {
			if c.Name == "giveaway_session" {
				session = c
			}
		}
		s := e.must(200, req{method: "GET", path: "/api/v1/auth/session", cookies: []*http.Cookie{session}})
		return session, s.Body["csrf_token"].(string), (&http.Response{Header: s.Header}).Cookies()
	}
	sessA, tokA, cookiesA := login()
	sessB, tokB, _ := login()
	if tokA == "" || tokA == tokB {
		t.Fatalf("two logins share the CSRF token %q", tokA)
	}
	give := req{method: "POST", path: fmt.Sprintf("/api/v1/claims/%v/give", id), body: map[string]any{"prize": "tshirt"},
		cookies: append([]*http.Cookie{sessB}, cookiesA...), headers: map[string]string{"X-CSRF-Token": tokA}}
	if r := e.call(give); r.Status != 403 || r.code() != "csrf_failed" {
		t.Fatalf("session B with session A's CSRF token: %d %s", r.Status, r.Raw)
	}
	for _, c := range cookiesA {
		if c.Name == "giveaway_csrf" && c.Value == tokA {
			t.Errorf("the CSRF token is the cookie's value: a cookie set by anyone is a valid token")
		}
	}
	give.cookies, give.headers = []*http.Cookie{sessA}, map[string]string{"X-CSRF-Token": tokA}
	if r := e.call(give); r.Status != 200 {
		t.Fatalf("session A with its own token: %d %s", r.Status, r.Raw)
	}
}

// Names people see on the tablet cannot turn themselves around or hide characters.
func TestHandlesAndNamesRefuseBidiAndInvisibleCharacters(t *testing.T) {
	e := newEnv(t)
	e.campaign("pycon", campaignOpts{})
	claims := "/api/v1/campaigns/pycon/claims"
	for _, h := range []string{"Carol\u202Ev_lorac", "Carol\u2066V", "Ca\u0301\u0301\u0301\u0301\u0301rol", "Carol\x1b[2J"} {
		r := e.call(req{method: "POST", path: claims, body: map[string]any{"network": "instagram", "handle": h,
			"post_url": "https://instagram.com/p/abc"}})
		if r.Status != 400 || r.code() != "invalid_handle" {
			t.Errorf("handle %q: %d %s", h, r.Status, r.Raw)
		}
	}
	r := e.must(201, req{method: "POST", path: claims, body: map[string]any{"network": "instagram", "handle": "Park\u200bJisu",
		"post_url": "https://instagram.com/p/abc"}})
	if r.Body["handle"] != "ParkJisu" {
		t.Errorf("zero-width space kept: %q", r.Body["handle"])
	}
	r = e.call(req{method: "POST", path: "/api/v1/staff", bearer: adminToken, body: map[string]any{"name": "Ja\u202Enis", "pin": "482193", "role": "staff"}})
	if r.Status != 400 || r.code() != "invalid_name" {
		t.Errorf("staff name with an override: %d %s", r.Status, r.Raw)
	}
}

// Answers that carry a token are never stored by a cache; behind https the browser is told to
// stay on https and every cookie is Secure.
func TestTokenAnswersAreNoStoreAndHTTPSHasHSTS(t *testing.T) {
	e := newEnv(t, func(c *app.Config) { c.SecureCookies = true })
	e.campaign("pycon", campaignOpts{})
	tok := e.staff("Janis")
	c := e.must(201, req{method: "POST", path: "/api/v1/campaigns/pycon/claims", body: map[string]any{"handle": "nostore"}})
	l := e.must(200, req{method: "POST", path: "/api/v1/auth/login", body: map[string]any{"name": "Janis", "pin": "482193"}})
	s := e.must(200, req{method: "GET", path: "/api/v1/auth/session", bearer: tok})
	st := e.must(200, req{method: "GET", path: "/api/v1/claims/" + c.Body["token"].(string)})
	for name, r := range map[string]reply{"claim": c, "login": l, "session": s, "status": st} {
		if r.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s answer: Cache-Control %q", name, r.Header.Get("Cache-Control"))
		}
		if !strings.HasPrefix(r.Header.Get("Strict-Transport-Security"), "max-age=") {
			t.Errorf("%s answer: no HSTS", name)
		}
		for _, ck := range (&http.Response{Header: r.Header}).Cookies() {
			if !ck.Secure {
				t.Errorf("%s answer: cookie %s is not Secure", name, ck.Name)
			}
		}
	}
	if r := e.call(req{method: "GET", path: "/healthz"}); r.Header.Get("Strict-Transport-Security") == "" {
		t.Error("healthz: no HSTS")
	}
}

func newServer(t *testing.T, h http.Handler) *httptest.Server {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}
