package pages_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/boothgiveaway/giveaway/internal/app"
	"github.com/boothgiveaway/giveaway/internal/auth"
	"github.com/boothgiveaway/giveaway/internal/giveaway"
	"github.com/boothgiveaway/giveaway/internal/pages"
	"github.com/boothgiveaway/giveaway/internal/pgtest"
)

const (
	slug        = "pyconapac2016"
	ingestToken = "test-ingest-token"
)

// env is the whole service on a real database and a real port: the lead's API and the pages.
type env struct {
	t     *testing.T
	URL   string
	Pool  *pgxpool.Pool
	GA    *giveaway.Service
	Auth  *auth.Service
	Pages *pages.Pages
}

func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvWith(t, nil)
}

// newEnvWith is newEnv with the service's configuration adjusted by tune (rate limits, WebDir ...).
// The service is built as serve builds it (app.New) and runs its background work.
func newEnvWith(t *testing.T, tune func(*app.Config)) *env {
	t.Helper()
	pool := pgtest.New(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + l.Addr().String()
	cfg := app.Config{PublicBaseURL: base, AdminToken: "test-admin-token", IngestToken: ingestToken,
		ClaimsPerMinute: 100000, SessionTTL: time.Hour}
	if tune != nil {
		tune(&cfg)
	}
	a, err := app.New(pool, cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := &httptest.Server{Listener: l, Config: &http.Server{Handler: a.Echo}}
	srv.Start()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { a.Run(ctx); close(done) }()
	t.Cleanup(func() {
		cancel()
		srv.CloseClientConnections()
		srv.Close()
		<-done
	})
	select {
	case <-a.Pages.Ready():
	case <-time.After(10 * time.Second):
		t.Fatal("pages never started listening")
	}
	ga, au, p := a.Giveaway, a.Auth, a.Pages
	en := &env{t: t, URL: base, Pool: pool, GA: ga, Auth: au, Pages: p}
	en.campaign()
	for _, s := range []string{"Janis", "Minho"} {
		if _, err := au.CreateStaff(context.Background(), s, "432109", "staff"); err != nil {
			t.Fatal(err)
		}
	}
	return en
}

func (en *env) campaign() {
	now := time.Now()
	_, err := en.GA.CreateCampaign(context.Background(), giveaway.CampaignInput{
		Slug: slug, Name: "PyCon APAC 2016", RequiredHashtags: []string{"PyConAPAC", "Elastic"},
		StartsAt: now.Add(-time.Hour), EndsAt: now.Add(24 * time.Hour), TimeZone: "Asia/Seoul",
		PerPersonLimit: 1, Prizes: []giveaway.PrizeInput{{Key: "tshirt", Name: "T-shirt", Stock: 30},
			{Key: "stickers", Name: "Sticker pack", Stock: 200}},
	})
	if err != nil {
		en.t.Fatal(err)
	}
}

var tweetSeq atomic.Int64

// tweet ingests a post by handle through the ingest API and answers its id.
func (en *env) tweet(handle, text string) string {
	en.t.Helper()
	id := fmt.Sprintf("17648%014d", time.Now().UnixNano()%1e13+tweetSeq.Add(1))
	body, _ := json.Marshal(map[string]any{
		"id": id, "text": text, "author_id": "99" + id[5:], "created_at": time.Now().UTC().Format(time.RFC3339),
		"edit_history_tweet_ids": []string{id},
		"author":                 map[string]any{"id": "99" + id[5:], "username": handle, "created_at": "2015-01-02T03:04:05Z"},
	})
	req, _ := http.NewRequest(http.MethodPost, en.URL+"/api/v1/ingest/tweets", strings.NewReader(string(body)))
	req.Header.Set("Authorization", "Bearer "+ingestToken)
	req.Header.Set("Content-Type", "application/x-ndjson")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		en.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		en.t.Fatalf("ingest: %d %s", res.StatusCode, b)
	}
	return id
}

// client is a browser-like HTTP client: a cookie jar, and no automatic redirects so tests see
// the 303s.
func (en *env) client() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func (en *env) get(c *http.Client, path string) (*http.Response, string) {
	en.t.Helper()
	res, err := c.Get(en.URL + path)
	if err != nil {
		en.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

func (en *env) post(c *http.Client, path string, form url.Values) (*http.Response, string) {
	en.t.Helper()
	res, err := c.PostForm(en.URL+path, form)
	if err != nil {
		en.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

var csrfField = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

func csrfOf(t *testing.T, html string) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(html)
	if m == nil {
		t.Fatal("page has no _csrf field")
	}
	return m[1]
}

// login signs a client in through the staff form.
func (en *env) login(c *http.Client, name string) {
	en.t.Helper()
	_, html := en.get(c, "/staff")
	res, _ := en.post(c, "/staff/login", url.Values{"_csrf": {csrfOf(en.t, html)}, "name": {name}, "pin": {"432109"}})
	if res.StatusCode != http.StatusSeeOther {
		en.t.Fatalf("login: %d", res.StatusCode)
	}
	if _, html = en.get(c, "/staff"); !strings.Contains(html, `action="/staff/logout"`) {
		en.t.Fatalf("not logged in after login: %s", html)
	}
}

// claim makes a claim through the attendee form and answers its token.
func (en *env) claim(c *http.Client, handle string) string {
	en.t.Helper()
	_, html := en.get(c, "/c/"+slug)
	res, body := en.post(c, "/c/"+slug, url.Values{"_csrf": {csrfOf(en.t, html)}, "network": {"twitter"}, "handle": {handle}})
	if res.StatusCode != http.StatusSeeOther {
		en.t.Fatalf("claim: %d %s", res.StatusCode, body)
	}
	token, ok := strings.CutPrefix(res.Header.Get("Location"), "/claims/")
	if !ok {
		en.t.Fatalf("claim redirected to %q", res.Header.Get("Location"))
	}
	return token
}
