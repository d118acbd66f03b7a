package mastodon

import (
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestHTMLText(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`<p>Hello &amp; welcome &quot;all&quot; &#39;here&#39;</p>`, `Hello & welcome "all" 'here'`},
		{`<p>one</p><p>two<br>three<br />four</p>`, "one\n\ntwo\nthree\nfour"},
		{`<p><a href="https://m.example/tags/pyconapac" class="mention hashtag" rel="tag">#<span>PyConAPAC</span></a> ` +
			`<span class="h-card"><a href="https://m.example/@kim" class="u-url mention">@<span>kim</span></a></span></p>`,
			"#PyConAPAC @kim"},
		// Mastodon hides parts of long links; they are still the link.
		{`<p><a href="https://www.example.com/2024/a/very/long/path"><span class="invisible">https://www.</span>` +
			`<span class="ellipsis">example.com/2024/a/ve</span><span class="invisible">ry/long/path</span></a></p>`,
			"https://www.example.com/2024/a/very/long/path"},
		{`<p>list:</p><ul><li>a</li><li>b</li></ul><blockquote><p>quoted</p></blockquote>`, "list:\n\na\nb\n\nquoted"},
		{`plain text, no tags`, "plain text, no tags"},
		{`<p>x<script>alert(1)</script>y</p>`, "xy"},
		{``, ""},
	} {
		if got := htmlText(c.in); got != c.want {
			t.Errorf("htmlText(%q)\n = %q\nwant %q", c.in, got, c.want)
		}
	}
}

func TestStatusToPost(t *testing.T) {
	raw := []byte(`{"id":"112233445566778899","uri":"https://m.example/users/jisu/statuses/112233445566778899",
		"created_at":"2024-08-17T01:02:03.456Z","edited_at":null,"in_reply_to_id":"112233445566770000",
		"language":"ko","content":"<p>안녕 <a href=\"https://m.example/tags/pyconapac\" class=\"mention hashtag\" rel=\"tag\">#<span>PyConAPAC</span></a> #Elastic</p>",
		"reblogs_count":3,"reblog":null,
		"account":{"id":"42","username":"jisu","acct":"jisu","created_at":"2016-03-16T00:00:00.000Z"},
		"tags":[{"name":"pyconapac","url":"https://m.example/tags/pyconapac"},{"name":"elastic","url":"https://m.example/tags/elastic"},{"name":"hidden","url":"x"}]}`)
	st, err := parseStatus(raw)
	if err != nil {
		t.Fatal(err)
	}
	if st.boost() {
		t.Errorf("reblog null read as a boost")
	}
	p := st.post(raw, "m.example")
	if p.Network != "mastodon" || p.ID != "https://m.example/users/jisu/statuses/112233445566778899" ||
		p.Handle != "jisu@m.example" || p.AuthorID != "42" || p.Lang != "ko" || p.ReplyTo != "112233445566770000" ||
		p.RetweetCount != 3 || p.Text != "안녕 #PyConAPAC #Elastic" || string(p.Raw) != string(raw) {
		t.Errorf("post %+v", p)
	}
	// Case as written where the text has the tag; Mastodon's name for one the text lacks.
	if want := []string{"PyConAPAC", "Elastic", "hidden"}; !slices.Equal(p.Hashtags, want) {
		t.Errorf("hashtags %q, want %q", p.Hashtags, want)
	}
	if p.VersionID != "2024-08-17T01:02:03.456000Z" || !p.CreatedAt.Equal(time.Date(2024, 8, 17, 1, 2, 3, 456e6, time.UTC)) {
		t.Errorf("version %q created %v", p.VersionID, p.CreatedAt)
	}
	if !p.AuthorCreatedAt.Equal(time.Date(2016, 3, 16, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("author created %v", p.AuthorCreatedAt)
	}

	// An edit is newer by its edited_at, in the same width.
	edited := strings.Replace(string(raw), `"edited_at":null`, `"edited_at":"2024-08-17T11:00:00Z"`, 1)
	st, _ = parseStatus([]byte(edited))
	if v := st.post([]byte(edited), "m.example").VersionID; v != "2024-08-17T11:00:00.000000Z" || len(v) != len(p.VersionID) {
		t.Errorf("edit version %q", v)
	}
	remote := strings.Replace(string(raw), `"acct":"jisu"`, `"acct":"Jisu@Other.Example"`, 1)
	st, _ = parseStatus([]byte(remote))
	if h := st.post([]byte(remote), "m.example").Handle; h != "Jisu@Other.Example" {
		t.Errorf("remote handle %q, want the acct as is", h)
	}
	boost := strings.Replace(string(raw), `"reblog":null`, `"reblog":{"id":"1"}`, 1)
	if st, _ = parseStatus([]byte(boost)); !st.boost() {
		t.Errorf("reblog object not read as a boost")
	}
	for _, bad := range []string{`{not json`, `[]`, `{"id":"1"}`, `{"id":"1","uri":"u","created_at":"2024-01-01T00:00:00Z"}`} {
		if _, err := parseStatus([]byte(bad)); err == nil {
			t.Errorf("parseStatus(%s) accepted", bad)
		}
	}
}

func TestIDNewer(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{"110000000000000001", "110000000000000000", true},
		{"99", "100", false},
		{"100", "99", true},
		{"5", "", true},
		{"", "5", false},
		{"7", "7", false},
	} {
		if got := idNewer(c.a, c.b); got != c.want {
			t.Errorf("idNewer(%q, %q) = %v", c.a, c.b, got)
		}
	}
}

func TestConfigEnabled(t *testing.T) {
	for _, c := range []struct {
		url, token string
		enabled    bool
		err        string
	}{
		{"", "", false, ""},
		{"https://mastodon.social", "tok", true, ""},
		{"http://localhost:3000/", "tok", true, ""},
		{"https://mastodon.social", "", false, "MASTODON_TOKEN is not"},
		{"", "tok", false, "MASTODON_URL is not"},
		{"mastodon.social", "tok", false, "not an http(s) URL"},
		{"wss://streaming.mastodon.social", "tok", false, "not an http(s) URL"},
	} {
		enabled, err := Config{BaseURL: c.url, Token: c.token}.Enabled()
		if enabled != c.enabled || (err == nil) != (c.err == "") || (err != nil && !strings.Contains(err.Error(), c.err)) {
			t.Errorf("%q %q: enabled %v err %v; want %v %q", c.url, c.token, enabled, err, c.enabled, c.err)
		}
	}
	cfg, err := Config{BaseURL: "https://m.example/", Token: "t"}.withDefaults()
	if err != nil || cfg.BaseURL != "https://m.example" || cfg.RefreshInterval != time.Minute ||
		cfg.StallTimeout != time.Minute || cfg.HTTPClient == nil || cfg.Sleep == nil || cfg.Now == nil {
		t.Errorf("defaults %+v, %v", cfg, err)
	}
}

func TestBackoff(t *testing.T) {
	var b backoff
	var got []time.Duration
	for range 8 {
		got = append(got, b.next(failNetwork, 0))
	}
	want := []time.Duration{1, 2, 4, 8, 16, 32, 60, 60}
	for i := range want {
		want[i] *= time.Second
	}
	if !slices.Equal(got, want) {
		t.Errorf("network waits %v, want %v", got, want)
	}
	// Each kind counts on its own; a healthy connection resets all.
	if d := b.next(failHTTP, 0); d != 5*time.Second {
		t.Errorf("first http wait %v", d)
	}
	if d := b.next(failRate, 3*time.Minute); d != 3*time.Minute {
		t.Errorf("rate wait %v, want the server's 3m", d)
	}
	if d := b.next(failRate, time.Hour); d != 15*time.Minute {
		t.Errorf("rate wait %v, want the 15m cap", d)
	}
	b.reset()
	if d := b.next(failNetwork, 0); d != time.Second {
		t.Errorf("after reset %v", d)
	}
}

func TestHTTPErrorKinds(t *testing.T) {
	now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	resp := func(status int, body string, h http.Header) *http.Response {
		if h == nil {
			h = http.Header{}
		}
		return &http.Response{StatusCode: status, Header: h, Body: io.NopCloser(strings.NewReader(body))}
	}
	e := httpError(resp(401, `{"error":"The access token is invalid"}`, nil), now)
	if k, _ := kindOf(e); k != failAuth || e.Message != "The access token is invalid" {
		t.Errorf("401: %v %v", k, e)
	}
	e = httpError(resp(429, `{"error":"Too many requests"}`, http.Header{"X-Ratelimit-Reset": {"2024-01-01T00:04:00.000Z"}}), now)
	if k, floor := kindOf(e); k != failRate || floor != 4*time.Minute {
		t.Errorf("429: %v %v", k, floor)
	}
	e = httpError(resp(502, `<html>bad gateway</html>`, nil), now)
	if k, _ := kindOf(e); k != failHTTP || dropCause(e) != "http" {
		t.Errorf("502: %v", e)
	}
	if k, _ := kindOf(errors.New("dial tcp: refused")); k != failNetwork {
		t.Errorf("network error kind %v", k)
	}
}

// A status as a Mastodon 4 server renders one with an accented tag: the link text keeps the
// author's spelling, tags[] has the normalized name and the tag URL. The shape follows
// Mastodon's Status entity (docs.joinmastodon.org/entities/Status); the values are ours.
func TestAccentedTagIsReadAsWrittenAndMatchedByMastodonsName(t *testing.T) {
	raw := []byte(`{"id":"113000000000000001","uri":"https://m.example/users/ana/statuses/113000000000000001",
		"created_at":"2025-10-04T09:30:00.000Z","edited_at":null,"in_reply_to_id":null,"language":"es",
		"content":"<p>¡Hola! <a href=\"https://m.example/tags/pyconespana\" class=\"mention hashtag\" rel=\"tag\">#<span>PyConEspaña</span></a> <a href=\"https://m.example/tags/blahaj\" class=\"mention hashtag\" rel=\"tag\">#<span>BLÅHAJ</span></a></p>",
		"reblogs_count":0,"reblog":null,"account":{"id":"7","username":"ana","acct":"ana","created_at":"2020-01-01T00:00:00.000Z"},
		"tags":[{"name":"pyconespana","url":"https://m.example/tags/pyconespana"},{"name":"blahaj","url":"https://m.example/tags/blahaj"}]}`)
	st, err := parseStatus(raw)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.tagNames(); !slices.Equal(got, []string{"pyconespana", "blahaj"}) {
		t.Errorf("tag names %q", got)
	}
	if got := st.post(raw, "m.example").Hashtags; !slices.Equal(got, []string{"PyConEspaña", "BLÅHAJ"}) {
		t.Errorf("hashtags %q, want them as written", got)
	}
	// A server that sends no tags[]: the text's hashtags, named the same way.
	bare := strings.Replace(string(raw), `"tags":[{"name":"pyconespana","url":"https://m.example/tags/pyconespana"},{"name":"blahaj","url":"https://m.example/tags/blahaj"}]`, `"tags":[]`, 1)
	st, _ = parseStatus([]byte(bare))
	if got := st.tagNames(); !slices.Equal(got, []string{"pyconespana", "blahaj"}) {
		t.Errorf("tag names from the text %q", got)
	}
	// A campaign spelled #PyConEspaña counts a post Mastodon tags pyconespana, whatever its spelling.
	if got := withCampaignSpelling([]string{"PyConEspana"}, []string{"PyConEspaña"}); !slices.Equal(got, []string{"PyConEspana", "PyConEspaña"}) {
		t.Errorf("with the campaign's spelling %q", got)
	}
}
