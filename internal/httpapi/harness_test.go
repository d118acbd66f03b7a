package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/boothgiveaway/giveaway/internal/app"
	"github.com/boothgiveaway/giveaway/internal/pgtest"
)

const (
	adminToken  = "test-admin-token"
	ingestToken = "test-ingest-token"
)

// env is one service on its own fresh database, reached over real HTTP.
type env struct {
	t    *testing.T
	pool *pgxpool.Pool
	srv  *httptest.Server
}

type envOption func(*app.Config)

// newEnv serves the service as serve builds it (app.New), without its background work: these
// tests need no live updates.
func newEnv(t *testing.T, opts ...envOption) *env {
	t.Helper()
	t.Parallel()
	pool := pgtest.New(t)
	cfg := app.Config{AdminToken: adminToken, IngestToken: ingestToken, ClaimsPerMinute: 6000, SessionTTL: time.Hour}
	for _, o := range opts {
		o(&cfg)
	}
	a, err := app.New(pool, cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.Echo)
	t.Cleanup(srv.Close)
	return &env{t: t, pool: pool, srv: srv}
}

type reply struct {
	Status int
	Header http.Header
	Body   map[string]any
	Raw    []byte
}

// code is the error code of an error reply.
func (r reply) code() string {
	e, _ := r.Body["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

func (r reply) detail(k string) any {
	e, _ := r.Body["error"].(map[string]any)
	d, _ := e["details"].(map[string]any)
	return d[k]
}

type req struct {
	method, path string
	body         any // marshalled to JSON unless string or []byte
	bearer       string
	contentType  string
	headers      map[string]string
	cookies      []*http.Cookie
}

func (e *env) call(r req) reply {
	e.t.Helper()
	var body io.Reader
	switch b := r.body.(type) {
	case nil:
	case string:
		body = strings.NewReader(b)
	case []byte:
		body = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		body = bytes.NewReader(j)
	}
	hr, err := http.NewRequest(r.method, e.srv.URL+r.path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != nil {
		ct := r.contentType
		if ct == "" {
			ct = "application/json"
		}
		hr.Header.Set("Content-Type", ct)
	}
	if r.bearer != "" {
		hr.Header.Set("Authorization", "Bearer "+r.bearer)
	}
	for k, v := range r.headers {
		hr.Header.Set(k, v)
	}
	for _, c := range r.cookies {
		hr.AddCookie(c)
	}
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := reply{Status: resp.StatusCode, Header: resp.Header, Raw: raw}
	json.Unmarshal(raw, &out.Body)
	return out
}

func (e *env) must(status int, r req) reply {
	e.t.Helper()
	got := e.call(r)
	if got.Status != status {
		e.t.Fatalf("%s %s: status %d, want %d: %s", r.method, r.path, got.Status, status, got.Raw)
	}
	return got
}

type campaignOpts struct {
	tags   []string
	limit  int
	period string
	stock  int
	starts time.Time
	ends   time.Time
	prizes []map[string]any
	// requireCode: only posts with the claim's code verify.
	requireCode bool
}

func (e *env) campaign(slug string, o campaignOpts) {
	e.t.Helper()
	if o.tags == nil {
		o.tags = []string{"PyConAPAC", "Elastic"}
	}
	if o.stock == 0 {
		o.stock = 100
	}
	if o.starts.IsZero() {
		o.starts = time.Date(2016, 8, 13, 0, 0, 0, 0, time.UTC)
	}
	if o.ends.IsZero() {
		o.ends = time.Now().Add(24 * time.Hour)
	}
	if o.prizes == nil {
		o.prizes = []map[string]any{{"key": "tshirt", "name": "T-shirt", "stock": o.stock}}
	}
	body := map[string]any{"slug": slug, "name": "Test " + slug, "required_hashtags": o.tags,
		"starts_at": o.starts, "ends_at": o.ends, "time_zone": "Asia/Seoul", "prizes": o.prizes}
	if o.limit > 0 {
		body["per_person_limit"] = o.limit
	}
	if o.period != "" {
		body["limit_period"] = o.period
	}
	if o.requireCode {
		body["require_code"] = true
	}
	e.must(http.StatusCreated, req{method: "POST", path: "/api/v1/campaigns", bearer: adminToken, body: body})
}

func (e *env) claim(slug, handle string) reply {
	e.t.Helper()
	return e.call(req{method: "POST", path: "/api/v1/campaigns/" + slug + "/claims", body: map[string]any{"handle": handle}})
}

func (e *env) claimStatus(token string) string {
	e.t.Helper()
	r := e.must(http.StatusOK, req{method: "GET", path: "/api/v1/claims/" + token})
	return r.Body["status"].(string)
}

func (e *env) ingest(lines ...string) reply {
	e.t.Helper()
	return e.must(http.StatusOK, req{method: "POST", path: "/api/v1/ingest/tweets", bearer: ingestToken,
		contentType: "application/x-ndjson", body: strings.Join(lines, "\n")})
}

// staff creates a staff member and logs in, returning the session token.
func (e *env) staff(name string) string {
	e.t.Helper()
	e.must(http.StatusCreated, req{method: "POST", path: "/api/v1/staff", bearer: adminToken,
		body: map[string]any{"name": name, "pin": "482193", "role": "staff"}})
	r := e.must(http.StatusOK, req{method: "POST", path: "/api/v1/auth/login", body: map[string]any{"name": name, "pin": "482193"}})
	return r.Body["token"].(string)
}

func (e *env) give(session string, claimID any, prize string, headers map[string]string) reply {
	e.t.Helper()
	return e.call(req{method: "POST", path: fmt.Sprintf("/api/v1/claims/%v/give", claimID), bearer: session,
		body: map[string]any{"prize": prize}, headers: headers})
}

// counts is a snapshot of every table's row count, to prove a refused request changed nothing.
func (e *env) counts() map[string]int {
	e.t.Helper()
	tables := []string{"campaigns", "prizes", "staff", "staff_sessions", "tweets", "tweet_tombstones", "claims",
		"claim_tokens", "giveaways", "idempotency_keys", "audit_log", "outbox"}
	out := map[string]int{}
	for _, tb := range tables {
		var n int
		if err := e.pool.QueryRow(context.Background(), "SELECT count(*) FROM "+tb).Scan(&n); err != nil {
			e.t.Fatal(err)
		}
		out[tb] = n
	}
	var stock int
	e.pool.QueryRow(context.Background(), "SELECT coalesce(sum(stock_left),0) FROM prizes").Scan(&stock)
	out["stock_left"] = stock
	return out
}

// v1 is a v1.1 status as the X API (and Logstash with full_tweet) stored it.
func v1(id, handle, text string, at time.Time, tags ...string) string {
	hs := make([]map[string]any, len(tags))
	for i, t := range tags {
		hs[i] = map[string]any{"text": t, "indices": []int{0, 0}}
	}
	b, _ := json.Marshal(map[string]any{
		"id": json.Number(id), "id_str": id, "created_at": at.UTC().Format("Mon Jan 02 15:04:05 -0700 2006"),
		"text": text, "lang": "en", "retweeted": false, "retweet_count": 0,
		"user":     map[string]any{"id_str": "9" + id, "screen_name": handle},
		"entities": map[string]any{"hashtags": hs},
	})
	return string(b)
}

// v2 is an X API v2 filtered-stream object.
func v2(id, handle, text string, at time.Time, extra map[string]any) string {
	data := map[string]any{"id": id, "text": text, "author_id": "77" + id, "created_at": at.UTC().Format(time.RFC3339),
		"edit_history_tweet_ids": []string{id}}
	for k, v := range extra {
		data[k] = v
	}
	b, _ := json.Marshal(map[string]any{
		"data":           data,
		"includes":       map[string]any{"users": []map[string]any{{"id": "77" + id, "username": handle, "name": handle}}},
		"matching_rules": []map[string]any{{"id": "1", "tag": "giveaway"}},
	})
	return string(b)
}

var during = time.Date(2016, 8, 13, 5, 0, 0, 0, time.UTC)
