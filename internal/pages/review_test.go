package pages_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/boothgiveaway/giveaway/internal/app"
)

func (en *env) do(c *http.Client, method, path string, body io.Reader, header map[string]string) (*http.Response, string) {
	en.t.Helper()
	req, _ := http.NewRequest(method, en.URL+path, body)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := c.Do(req)
	if err != nil {
		en.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

// jsonCode is the code of an error in the JSON API's shape, or "" when the body is not one.
func jsonCode(res *http.Response, body string) string {
	if !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		return ""
	}
	var e struct {
		Error struct{ Code, Message string }
	}
	if json.Unmarshal([]byte(body), &e) != nil || e.Error.Message == "" {
		return ""
	}
	return e.Error.Code
}

func isHTML(res *http.Response) bool {
	return strings.HasPrefix(res.Header.Get("Content-Type"), "text/html")
}

func setsCookie(res *http.Response, name string) bool {
	for _, ck := range res.Cookies() {
		if ck.Name == name {
			return true
		}
	}
	return false
}

// TestPagesLeaveOtherRoutesAlone: requests that match no route are answered as if the pages
// were not registered.
func TestPagesLeaveOtherRoutesAlone(t *testing.T) {
	en := newEnv(t)
	c := en.client()
	res, body := en.do(c, http.MethodPost, "/api/v1/nope", strings.NewReader("{}"),
		map[string]string{"Authorization": "Bearer test-admin-token", "Content-Type": "application/json"})
	if res.StatusCode != http.StatusNotFound || jsonCode(res, body) != "not_found" {
		t.Errorf("POST /api/v1/nope with a token: %d %s", res.StatusCode, body)
	}
	res, body = en.do(c, http.MethodPost, "/api/v1/campaigns/"+slug+"/nope", nil, nil)
	if res.StatusCode != http.StatusNotFound || jsonCode(res, body) != "not_found" {
		t.Errorf("POST /api/v1/campaigns/%s/nope: %d %s", slug, res.StatusCode, body)
	}
	if res, body = en.do(c, http.MethodPut, "/healthz", nil, nil); res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("PUT /healthz: %d %s", res.StatusCode, body)
	}
	if res, _ = en.do(c, http.MethodPut, "/c/"+slug, nil, nil); res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("PUT /c/%s: %d", slug, res.StatusCode)
	}
	res, _ = en.get(c, "/nope")
	if res.StatusCode != http.StatusNotFound || setsCookie(res, "giveaway_csrf") || res.Header.Get("Content-Security-Policy") != "" {
		t.Errorf("GET /nope: %d, cookies %v, CSP %q", res.StatusCode, res.Cookies(), res.Header.Get("Content-Security-Policy"))
	}
	if res, _ = en.get(c, "/staff/nope"); res.StatusCode != http.StatusNotFound {
		t.Errorf("GET /staff/nope: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	if res, _ = en.post(c, "/nope", url.Values{"a": {"b"}}); res.StatusCode != http.StatusNotFound {
		t.Errorf("POST /nope: %d", res.StatusCode)
	}
	// The pages themselves keep their middleware.
	res, _ = en.get(c, "/c/"+slug)
	if !setsCookie(res, "giveaway_csrf") || res.Header.Get("Content-Security-Policy") == "" {
		t.Error("the claim page lost its CSRF cookie or security headers")
	}
}

// TestLoginHasItsOwnBudget: a crowd that uses up the claim form's budget does not lock staff out.
func TestLoginHasItsOwnBudget(t *testing.T) {
	// A small login budget (a burst of 10), so the test does not race bcrypt against the refill.
	en := newEnvWith(t, func(d *app.Config) { d.ClaimsPerMinute = 40; d.LoginPerMinute = 2 })
	crowd := en.client()
	_, html := en.get(crowd, "/c/"+slug)
	token := csrfOf(t, html)
	limited := false
	for range 40 {
		res, _ := en.post(crowd, "/c/"+slug, url.Values{"_csrf": {token}, "handle": {"not a handle!"}})
		if res.StatusCode == http.StatusTooManyRequests {
			limited = true
			if res.Header.Get("Retry-After") == "" {
				t.Error("429 without Retry-After")
			}
			break
		}
	}
	if !limited {
		t.Fatal("the claim form was never rate limited")
	}
	en.login(en.client(), "Janis")

	// The login form has a budget of its own.
	c := en.client()
	_, html = en.get(c, "/staff")
	token = csrfOf(t, html)
	for i := range 30 {
		res, _ := en.post(c, "/staff/login", url.Values{"_csrf": {token}, "name": {"nobody"}, "pin": {"0000"}})
		if res.StatusCode == http.StatusTooManyRequests {
			if i < 9 {
				t.Errorf("login limited after %d tries", i)
			}
			return
		}
	}
	t.Error("the login form was never rate limited")
}

// TestLoginFailuresSayWhy: wrong PIN, lock-out and a server error read differently, and the
// campaign and search survive.
func TestLoginFailuresSayWhy(t *testing.T) {
	en := newEnv(t)
	c := en.client()
	try := func(name string) (string, string) {
		t.Helper()
		_, html := en.get(c, "/staff")
		res, _ := en.post(c, "/staff/login", url.Values{"_csrf": {csrfOf(t, html)}, "name": {name}, "pin": {"0000"},
			"c": {slug}, "q": {"AB12"}})
		loc := res.Header.Get("Location")
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("login %q: %d", name, res.StatusCode)
		}
		_, html = en.get(c, loc)
		return loc, html
	}
	loc, html := try("Janis")
	if loc != "/staff?c="+slug+"&q=AB12" {
		t.Errorf("a failed login redirects to %q", loc)
	}
	if !strings.Contains(html, "Wrong name or PIN") || !strings.Contains(html, `name="c" value="`+slug+`"`) ||
		!strings.Contains(html, `name="q" value="AB12"`) {
		t.Errorf("wrong PIN: %s", html)
	}

	for range 5 {
		try("Minho")
	}
	// The lock lasts until the window of the first failure ends (15 minutes).
	_, html = try("Minho")
	if m := regexp.MustCompile(`Try again in (\d+) s`).FindStringSubmatch(html); m == nil || len(m[1]) != 3 || m[1] > "900" || m[1] < "800" {
		t.Errorf("lock-out: %s", html)
	}

	// PostgreSQL refuses a NUL byte in text: an error of the server, not a wrong PIN.
	if _, html = try("Jan\x00is"); strings.Contains(html, "Wrong name") || !strings.Contains(html, "on our side") {
		t.Errorf("server error: %s", html)
	}
}

// TestErrorFormats: JSON endpoints answer the API's JSON errors, pages HTML error pages, even
// when templates fail.
func TestErrorFormats(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("../../web")); err != nil {
		t.Fatal(err)
	}
	// Templates that parse but fail to render: the wall, the poster and the error page itself.
	for _, name := range []string{"wall.html", "poster.html", "error.html"} {
		p := filepath.Join(dir, "templates", name)
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		b = []byte(strings.Replace(string(b), `{{define "content"}}`, `{{define "content"}}{{.Data.NoSuchField}}`, 1))
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	en := newEnvWith(t, func(d *app.Config) { d.WebDir = dir })
	c := en.client()

	res, body := en.get(c, "/c/nope/wall/posts")
	if res.StatusCode != http.StatusNotFound || jsonCode(res, body) != "campaign_not_found" {
		t.Errorf("wall posts of an unknown campaign: %d %s %s", res.StatusCode, res.Header.Get("Content-Type"), body)
	}
	if res, body = en.get(c, "/c/"+slug+"/wall/posts"); res.StatusCode != 200 || !strings.Contains(body, `"posts"`) {
		t.Errorf("wall posts: %d %s", res.StatusCode, body)
	}
	for path, status := range map[string]int{
		"/c/" + slug + "/wall":   http.StatusInternalServerError,
		"/c/" + slug + "/poster": http.StatusInternalServerError,
		"/c/nope":                http.StatusNotFound,
		"/static/nope.js":        http.StatusNotFound,
	} {
		res, body = en.get(c, path)
		if res.StatusCode != status || !isHTML(res) || jsonCode(res, body) != "" {
			t.Errorf("%s: %d %s %s", path, res.StatusCode, res.Header.Get("Content-Type"), body)
		}
		if strings.Contains(body, "NoSuchField") {
			t.Errorf("%s shows internals: %s", path, body)
		}
	}
}

// TestErrorPagesRender: with working templates the errors are the real error page.
func TestErrorPagesRender(t *testing.T) {
	en := newEnv(t)
	c := en.client()
	res, body := en.get(c, "/static/nope.js")
	if res.StatusCode != http.StatusNotFound || !isHTML(res) || !strings.Contains(body, "Something is not right") ||
		res.Header.Get("Content-Security-Policy") == "" {
		t.Errorf("missing static file: %d %s", res.StatusCode, body)
	}
	if res, body = en.get(c, "/c/nope/poster"); res.StatusCode != http.StatusNotFound || !strings.Contains(body, "There is no such giveaway") {
		t.Errorf("unknown poster: %d %s", res.StatusCode, body)
	}
}

func (en *env) count(table string) int {
	en.t.Helper()
	var n int
	if err := en.Pool.QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		en.t.Fatal(err)
	}
	return n
}

// TestModerationValidatesInput: malformed or unknown moderation is refused and writes nothing.
func TestModerationValidatesInput(t *testing.T) {
	en := newEnv(t)
	staff := en.client()
	en.login(staff, "Janis")
	_, tablet := en.get(staff, "/staff?c="+slug)
	token := csrfOf(t, tablet)
	post := en.tweet("yuna", "hello wall #PyConAPAC #Elastic")
	offWall := en.tweet("yuna", "no tags here")
	notOwn := en.tweet("yuna", "a retweet #PyConAPAC #Elastic")
	late := en.tweet("yuna", "too early #PyConAPAC #Elastic")
	ctx := context.Background()
	if _, err := en.Pool.Exec(ctx, "UPDATE tweets SET retweet_of = '1' WHERE id = $1", notOwn); err != nil {
		t.Fatal(err)
	}
	if _, err := en.Pool.Exec(ctx, "UPDATE tweets SET created_at = now() - interval '2 hours' WHERE id = $1", late); err != nil {
		t.Fatal(err)
	}
	audit := en.count("audit_log")

	type form = map[string]string
	cases := []struct {
		path   string
		form   form
		status int
		says   string
	}{
		{"/staff/wall/hide", form{"network": "", "id": post}, 400, "choose a network"},
		{"/staff/wall/hide", form{"network": "myspace", "id": post}, 400, "choose a network"},
		{"/staff/wall/hide", form{"network": "twitter", "id": ""}, 400, "say which post"},
		{"/staff/wall/hide", form{"network": "twitter", "id": "123"}, 422, "no such post"},
		{"/staff/wall/hide", form{"network": "instagram", "id": post}, 422, "no such post"},
		{"/staff/wall/approve", form{"network": "", "id": post}, 400, "choose a network"},
		{"/staff/wall/approve", form{"network": "twitter", "id": " "}, 400, "say which post"},
		{"/staff/wall/approve", form{"network": "twitter", "id": "123"}, 422, "no such post"},
		{"/staff/wall/approve", form{"network": "twitter", "id": offWall}, 422, "does not belong on this giveaway&#39;s wall"},
		{"/staff/wall/approve", form{"network": "twitter", "id": notOwn}, 422, "does not belong on this giveaway&#39;s wall"},
		{"/staff/wall/approve", form{"network": "twitter", "id": late}, 422, "does not belong on this giveaway&#39;s wall"},
		{"/staff/block", form{"network": "twitter", "handle": ""}, 400, "handle of the person to block"},
		{"/staff/block", form{"network": "twitter", "handle": " @ "}, 400, "handle of the person to block"},
		{"/staff/block", form{"network": "myspace", "handle": "yuna"}, 400, "choose a network"},
		{"/staff/block", form{"network": "myspace", "handle": "yuna", "unblock": "1"}, 400, "choose a network"},
	}
	for _, tc := range cases {
		v := url.Values{"_csrf": {token}, "c": {slug}}
		for k, x := range tc.form {
			v.Set(k, x)
		}
		res, html := en.post(staff, tc.path, v)
		if res.StatusCode != tc.status || !isHTML(res) || !strings.Contains(strings.ToLower(html), tc.says) ||
			!strings.Contains(html, `href="/staff?c=`+slug+`"`) {
			t.Errorf("%s %v: %d, want %d saying %q: %s", tc.path, tc.form, res.StatusCode, tc.status, tc.says, html)
		}
	}
	if n := en.count("audit_log"); n != audit {
		t.Errorf("refused moderation wrote %d audit rows", n-audit)
	}
	for _, table := range []string{"wall_hidden_posts", "wall_approved_posts", "blocked_people"} {
		if n := en.count(table); n != 0 {
			t.Errorf("refused moderation wrote %d rows to %s", n, table)
		}
	}

	// Good input still works.
	for path, f := range map[string]form{
		"/staff/wall/approve": {"network": "twitter", "id": post},
		"/staff/wall/hide":    {"network": "twitter", "id": post},
		"/staff/block":        {"handle": "@Yuna"},
	} {
		v := url.Values{"_csrf": {token}, "c": {slug}}
		for k, x := range f {
			v.Set(k, x)
		}
		if res, _ := en.post(staff, path, v); res.StatusCode != http.StatusSeeOther {
			t.Errorf("%s %v: %d", path, f, res.StatusCode)
		}
	}
	if n := en.count("audit_log"); n != audit+3 {
		t.Errorf("good moderation wrote %d audit rows, want 3", n-audit)
	}
}

// TestStaffEventsUseTheSavedCampaign: like /staff/live, the stream falls back to the campaign
// the tablet last used.
func TestStaffEventsUseTheSavedCampaign(t *testing.T) {
	en := newEnv(t)
	staff := en.client()
	en.login(staff, "Janis")
	en.get(staff, "/staff?c="+slug)
	s := en.streamWith(staff, "/staff/events", "")
	s.next(t, "hello")
	// A claim waiting for its post interests no tablet; its verification does.
	en.claim(en.client(), "dana")
	en.tweet("dana", "Hello booth #PyConAPAC #Elastic")
	if ev := s.next(t, "claim"); !strings.Contains(ev.Data, `"claim_id"`) || !strings.Contains(ev.Data, `"verified"`) {
		t.Errorf("staff event %s", ev.Data)
	}
}

// TestClaimStatusIsRateLimited: the claim page, its QR and its stream share a generous
// per-address budget, as GET /api/v1/claims/{token} has one.
func TestClaimStatusIsRateLimited(t *testing.T) {
	// A small login budget (a burst of 10), so the test does not race bcrypt against the refill.
	en := newEnvWith(t, func(d *app.Config) { d.ClaimsPerMinute = 40; d.LoginPerMinute = 2 })
	c := en.client()
	token := en.claim(c, "alice")
	paths := []string{"/claims/" + token, "/claims/" + token + "/qr.png"}
	for i := range 200 {
		res, _ := en.get(c, paths[i%2])
		if res.StatusCode == http.StatusTooManyRequests {
			if i < 30 {
				t.Errorf("limited after %d requests", i)
			}
			if res.Header.Get("Retry-After") == "" {
				t.Error("429 without Retry-After")
			}
			// The stream shares the budget.
			req, _ := http.NewRequest(http.MethodGet, en.URL+"/claims/"+token+"/events", nil)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			res, err := c.Do(req.WithContext(ctx))
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusTooManyRequests {
				t.Errorf("events after the budget: %d", res.StatusCode)
			}
			return
		}
	}
	t.Error("the claim status page was never rate limited")
}
