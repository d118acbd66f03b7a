package pages_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/boothgiveaway/giveaway/internal/app"
	"github.com/boothgiveaway/giveaway/internal/testkit"
)

// The token a page embeds belongs to the session: it changes at login, and one tablet's token
// is refused with another tablet's session.
func TestPageCSRFTokenIsBoundToTheSession(t *testing.T) {
	en := newEnv(t)
	token := en.claim(en.client(), "bound")
	en.tweet("bound", "here #PyConAPAC #Elastic")
	cl, _ := en.GA.ClaimByToken(t.Context(), token)

	a, b := en.client(), en.client()
	_, before := en.get(a, "/staff")
	en.login(a, "Janis")
	_, after := en.get(a, "/staff")
	if csrfOf(t, before) == csrfOf(t, after) {
		t.Error("the CSRF token did not change at login")
	}
	en.login(b, "Minho")
	// b carries a's CSRF cookie too, as a cookie-tossing attacker could arrange.
	u, _ := url.Parse(en.URL)
	b.Jar.SetCookies(u, a.Jar.Cookies(u)[:0])
	for _, ck := range a.Jar.Cookies(u) {
		if ck.Name == "giveaway_csrf" {
			b.Jar.SetCookies(u, []*http.Cookie{ck})
		}
	}
	give := "/staff/claims/" + itoa(cl.ID) + "/give"
	if res, _ := en.post(b, give, url.Values{"prize": {"tshirt"}, "c": {slug}, "_csrf": {csrfOf(t, after)}}); res.StatusCode != http.StatusForbidden {
		t.Errorf("Minho's session with Janis's token: %d, want 403", res.StatusCode)
	}
	if res, _ := en.post(a, give, url.Values{"prize": {"tshirt"}, "c": {slug}, "_csrf": {csrfOf(t, after)}}); res.StatusCode != http.StatusSeeOther {
		t.Errorf("Janis's own token: %d, want 303", res.StatusCode)
	}
}

// One address cannot hold the server's connections open through the public event streams.
func TestPublicEventStreamsAreCappedPerAddress(t *testing.T) {
	en := newEnvWith(t, func(d *app.Config) { d.StreamsPerAddress = 5 })
	token := en.claim(en.client(), "streamer")
	var open []*http.Response
	defer func() {
		for _, r := range open {
			r.Body.Close()
		}
	}()
	get := func(path string) *http.Response {
		res, err := http.Get(en.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	for i := range 5 {
		path := "/c/" + slug + "/wall/events"
		if i%2 == 1 {
			path = "/claims/" + token + "/events"
		}
		res := get(path)
		if res.StatusCode != 200 {
			t.Fatalf("stream %d: %d", i, res.StatusCode)
		}
		open = append(open, res)
	}
	res := get("/c/" + slug + "/wall/events")
	res.Body.Close()
	if res.StatusCode != http.StatusTooManyRequests || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("stream over the cap: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	// Closing one frees its place (the server sees the close when it next writes or reads).
	open[0].Body.Close()
	open = open[1:]
	testkit.Eventually(t, "a closed stream to free its place", func() bool {
		res := get("/c/" + slug + "/wall/events")
		if res.StatusCode == 200 {
			open = append(open, res)
			return true
		}
		res.Body.Close()
		return false
	})
}

// Behind https every cookie a page sets is Secure (the flash and campaign cookies too), pages
// say HSTS, and a page that carries a token is never cached.
func TestPagesBehindHTTPS(t *testing.T) {
	en := newEnvWith(t, func(d *app.Config) { d.SecureCookies = true })
	c := en.client()
	_, html := en.get(c, "/staff")
	req, _ := http.NewRequest("POST", en.URL+"/staff/login", strings.NewReader(url.Values{"_csrf": {csrfOf(t, html)},
		"name": {"Janis"}, "pin": {"0000"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, ck := range c.Jar.Cookies(req.URL) {
		req.AddCookie(ck)
	}
	res, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	flash := false
	for _, ck := range res.Cookies() {
		flash = flash || ck.Name == "giveaway_flash"
		if !ck.Secure {
			t.Errorf("cookie %s is not Secure", ck.Name)
		}
	}
	if !flash {
		t.Error("a failed login set no flash cookie")
	}
	if res.Header.Get("Strict-Transport-Security") == "" || res.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("login answer: HSTS %q, Cache-Control %q", res.Header.Get("Strict-Transport-Security"), res.Header.Get("Cache-Control"))
	}
}

// User text sits in <bdi> on every page that shows it, so a right-to-left override in a post
// or a name cannot reorder the text around it.
func TestPagesIsolateUserText(t *testing.T) {
	en := newEnv(t)
	c := en.client()
	token := en.claim(c, "isolde")
	en.tweet("isolde", "abc\u202Edef #PyConAPAC #Elastic")
	cl, _ := en.GA.ClaimByToken(t.Context(), token)
	if _, html := en.get(c, "/claims/"+token); !strings.Contains(html, "<bdi>@isolde</bdi>") {
		t.Error("claim status: the handle is not isolated")
	}
	if _, html := en.get(c, "/c/"+slug+"/wall"); !strings.Contains(html, "<bdi>abc\u202Edef") {
		t.Error("wall: the post text is not isolated")
	}
	en.login(c, "Janis")
	_, html := en.get(c, "/staff?c="+slug+"&q="+cl.Code)
	for _, want := range []string{"<bdi>@isolde</bdi>", "<p class=\"tweet\"><bdi>abc\u202Edef", "<bdi>Janis</bdi>"} {
		if !strings.Contains(html, want) {
			t.Errorf("tablet lacks %q", want)
		}
	}
}

// Pages share the API's edges: a NUL or invalid UTF-8 in a path or query is 400 invalid_input,
// and the metrics count each page answer with the status the browser got.
func TestPagesBadTextAndMetrics(t *testing.T) {
	en := newEnv(t)
	c := en.client()
	en.login(c, "Janis")
	for _, p := range []string{"/c/py%00con", "/c/py%ffcon/wall", "/staff?c=" + slug + "&q=%00", "/staff?q=%C3"} {
		res, body := en.get(c, p)
		if res.StatusCode != 400 || !strings.Contains(body, "invalid_input") {
			t.Errorf("GET %s: %d %.200s", p, res.StatusCode, body)
		}
	}
	en.get(c, "/c/nope")
	_, m := en.get(c, "/metrics")
	for _, want := range []string{`giveaway_http_requests_total{code="404",method="GET",url="/c/:slug"} 1`,
		`giveaway_http_requests_total{code="400",method="GET",url="/c/:slug"} 1`} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}
