package xstream_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/boothgiveaway/giveaway/internal/ingest"
	"github.com/boothgiveaway/giveaway/internal/notify"
	"github.com/boothgiveaway/giveaway/internal/pgtest"
	"github.com/boothgiveaway/giveaway/internal/store"
	"github.com/boothgiveaway/giveaway/internal/testkit"
	"github.com/boothgiveaway/giveaway/internal/tweet"
	"github.com/boothgiveaway/giveaway/internal/xstream"
	"github.com/boothgiveaway/giveaway/internal/xstream/xtest"
)

const token = "test-bearer"

// recorder is a sink that stores each post id once, like the real ingest path.
type recorder struct {
	mu    sync.Mutex
	ids   []string
	fails int // the first fails calls fail
}

func (r *recorder) Ingest(_ context.Context, items []tweet.Item) (res ingest.Result, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fails > 0 {
		r.fails--
		return res, errors.New("database unavailable")
	}
	for _, it := range items {
		if it.Post == nil {
			continue
		}
		if slices.Contains(r.ids, it.Post.ID) {
			res.Duplicates++
			continue
		}
		r.ids = append(r.ids, it.Post.ID)
		res.Stored++
	}
	return res, nil
}

func (r *recorder) got() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.ids)
}

// sleeper records the backoff waits instead of waiting; after limit of them it ends the run.
type sleeper struct {
	mu     sync.Mutex
	ds     []time.Duration
	limit  int
	cancel context.CancelFunc
}

func (s *sleeper) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.ds = append(s.ds, d)
	n := len(s.ds)
	s.mu.Unlock()
	if s.limit > 0 && n >= s.limit {
		s.cancel()
		return context.Canceled
	}
	return ctx.Err()
}

func (s *sleeper) got() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.ds)
}

type harness struct {
	client *xstream.Client
	rec    *recorder
	sleeps *sleeper
	reg    *prometheus.Registry
	cancel context.CancelFunc
	done   chan struct{}
}

func testConfig(baseURL string) xstream.Config {
	return xstream.Config{
		BearerToken: token,
		BaseURL:     baseURL,
		// Long enough that a loaded CI machine never mistakes a slow test for a stall; the stall
		// test sets its own.
		StallTimeout: 3 * time.Second,
		BatchWait:    10 * time.Millisecond,
		LeaseRetry:   50 * time.Millisecond,
		Logger:       slog.New(slog.DiscardHandler),
	}
}

// run starts a client on pool against baseURL; limit > 0 ends it after that many backoff waits.
func run(t *testing.T, pool *pgxpool.Pool, cfg xstream.Config, limit int) *harness {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	h := &harness{rec: &recorder{}, reg: prometheus.NewRegistry(), cancel: cancel, done: make(chan struct{})}
	h.sleeps = &sleeper{limit: limit, cancel: cancel}
	cfg.Sleep = h.sleeps.sleep
	c, err := xstream.New(cfg, pool, h.rec, h.reg)
	if err != nil {
		t.Fatal(err)
	}
	h.client = c
	go func() {
		defer close(h.done)
		c.Run(ctx)
	}()
	t.Cleanup(h.stop)
	return h
}

func (h *harness) stop() {
	h.cancel()
	<-h.done
}

func (h *harness) wait(t *testing.T) {
	t.Helper()
	select {
	case <-h.done:
	case <-time.After(10 * time.Second):
		t.Fatal("client did not stop")
	}
}

func TestStreamReadsPostsSkipsGarbageAndAsksForFields(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	srv := xtest.New(token)
	defer srv.Close()
	srv.Script(xtest.Conn{Steps: []xtest.Step{
		xtest.Line(xtest.Post("101", "alice", "hello #PyConAPAC #Elastic")),
		xtest.KeepAlive(),
		xtest.Line(`this is not json {`),
		xtest.Line(xtest.Post("102", "bob", "#PyConAPAC only")),
	}, End: xtest.Hold, KeepAliveEvery: 50 * time.Millisecond})
	h := run(t, pool, testConfig(srv.URL), 0)

	testkit.Eventually(t, "two posts", func() bool { return len(h.rec.got()) == 2 })
	if got := h.rec.got(); !slices.Equal(got, []string{"101", "102"}) {
		t.Errorf("posts %v, want [101 102]", got)
	}
	st := h.client.Status()
	if !st.Leader || !st.Connected || st.Detail["posts_received"] != int64(2) || st.Reconnects != 0 {
		t.Errorf("status %+v", st)
	}
	if spend, _ := st.Detail["estimated_spend_usd"].(float64); spend < 0.0099 || spend > 0.0101 {
		t.Errorf("spend %v, want 2 posts x 0.005", spend)
	}
	if got := metric(t, h.reg, "giveaway_xstream_bad_lines_total", ""); got != 1 {
		t.Errorf("bad lines %v, want 1", got)
	}
	q := srv.Queries()[0]
	for k, want := range map[string]string{
		"tweet.fields": "created_at,entities,referenced_tweets,note_tweet,public_metrics,edit_history_tweet_ids,lang,author_id",
		"expansions":   "author_id",
		"user.fields":  "username,created_at",
	} {
		if q.Get(k) != want {
			t.Errorf("query %s=%q, want %q", k, q.Get(k), want)
		}
	}
	if q.Has("backfill_minutes") {
		t.Errorf("backfill_minutes asked without being configured")
	}
	if srv.Connects() != 1 || len(h.sleeps.got()) != 0 {
		t.Errorf("connects %d, sleeps %v; want 1 and none", srv.Connects(), h.sleeps.got())
	}
}

func TestStreamDropMidLineReconnectsAtOnceWithBackfill(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	srv := xtest.New(token)
	defer srv.Close()
	half := xtest.Post("202", "carol", "cut #PyConAPAC")
	srv.Script(
		xtest.Conn{Steps: []xtest.Step{
			xtest.Line(xtest.Post("201", "alice", "first #PyConAPAC")),
			xtest.Partial(half[:len(half)/2]),
		}, End: xtest.Drop},
		xtest.Conn{Steps: []xtest.Step{xtest.Line(xtest.Post("203", "bob", "after #PyConAPAC"))},
			End: xtest.Hold, KeepAliveEvery: 50 * time.Millisecond},
	)
	cfg := testConfig(srv.URL)
	cfg.BackfillMinutes = 2
	h := run(t, pool, cfg, 0)

	testkit.Eventually(t, "posts from both connections", func() bool { return len(h.rec.got()) == 2 })
	if got := h.rec.got(); !slices.Equal(got, []string{"201", "203"}) {
		t.Errorf("posts %v, want [201 203] (the cut line dropped)", got)
	}
	if got := h.sleeps.got(); len(got) != 0 {
		t.Errorf("waited %v after a healthy connection dropped; X asks for an immediate reconnect", got)
	}
	if srv.Connects() != 2 {
		t.Errorf("connects %d, want 2", srv.Connects())
	}
	for i, q := range srv.Queries() {
		if q.Get("backfill_minutes") != "2" {
			t.Errorf("connection %d: backfill_minutes=%q, want 2", i+1, q.Get("backfill_minutes"))
		}
	}
	if bad := metric(t, h.reg, "giveaway_xstream_bad_lines_total", ""); bad != 0 {
		t.Errorf("the partial line counted as bad (%v); it is a drop", bad)
	}
	if st := h.client.Status(); st.Reconnects != 1 || !st.Connected || len(st.Degraded) != 0 {
		t.Errorf("status %+v", st)
	}
	if g := gaps(t, pool); len(g) != 0 {
		t.Errorf("gaps %+v; backfill covered the moment away", g)
	}
}

func gaps(t *testing.T, pool *pgxpool.Pool) []store.SourceGap {
	t.Helper()
	g, err := store.New(pool).RecentSourceGaps(context.Background(), store.RecentSourceGapsParams{MaxRows: 100})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// Without backfill, what was posted while the stream reconnected is lost: the reader says so
// in /readyz and records the stretch, which the report shows.
func TestStreamReconnectWithoutBackfillRecordsTheGap(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	srv := xtest.New(token)
	defer srv.Close()
	srv.Script(
		xtest.Conn{Steps: []xtest.Step{xtest.Line(xtest.Post("211", "alice", "first #PyConAPAC"))}, End: xtest.Drop},
		xtest.Conn{Steps: []xtest.Step{xtest.Line(xtest.Post("212", "bob", "after #PyConAPAC"))},
			End: xtest.Hold, KeepAliveEvery: 50 * time.Millisecond},
	)
	before := time.Now().Add(-time.Second)
	h := run(t, pool, testConfig(srv.URL), 0)
	testkit.Eventually(t, "posts from both connections", func() bool { return len(h.rec.got()) == 2 })
	testkit.Eventually(t, "the gap to be recorded", func() bool { return len(gaps(t, pool)) == 1 })
	g := gaps(t, pool)[0]
	if g.Source != "x_stream" || g.Kind != "reconnect" || g.FromAt.Before(before) || !g.ToAt.After(g.FromAt) ||
		g.ToAt.After(time.Now().Add(time.Second)) || !strings.Contains(g.Detail, "X_BACKFILL_MINUTES") {
		t.Errorf("gap %+v, want the reconnect's stretch, naming X_BACKFILL_MINUTES", g)
	}
	if got := metric(t, h.reg, "giveaway_source_gaps_total", ""); got != 1 {
		t.Errorf("gaps metric %v, want 1", got)
	}
	if st := h.client.Status(); len(st.Degraded) != 1 || !strings.Contains(st.Degraded[0], "X_BACKFILL_MINUTES is 0") {
		t.Errorf("degraded %q, want the backfill setting named", st.Degraded)
	}
}

func TestStreamStallAfterKeepAlivesReconnects(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	srv := xtest.New(token)
	defer srv.Close()
	// The client hangs up and reconnects at once (the test's waits are instant), before the
	// server may have noticed; this test is not about the one-connection limit.
	srv.MaxConnections = 10
	// Keep-alives for twice the stall timeout, then silence: only the silence is a stall.
	var steps []xtest.Step
	for range 10 {
		steps = append(steps, xtest.Pause(100*time.Millisecond), xtest.KeepAlive())
	}
	srv.Script(
		xtest.Conn{Steps: steps, End: xtest.Hold},
		xtest.Conn{Steps: []xtest.Step{xtest.Line(xtest.Post("301", "dave", "#PyConAPAC"))},
			End: xtest.Hold, KeepAliveEvery: 50 * time.Millisecond},
	)
	start := time.Now()
	cfg := testConfig(srv.URL)
	cfg.StallTimeout = 500 * time.Millisecond
	h := run(t, pool, cfg, 0)

	testkit.Eventually(t, "the post after the stall", func() bool { return len(h.rec.got()) == 1 })
	if el := time.Since(start); el < time.Second {
		t.Errorf("reconnected after %v, before the keep-alives stopped", el)
	}
	if got := h.sleeps.got(); !slices.Equal(got, []time.Duration{250 * time.Millisecond}) {
		t.Errorf("waits %v, want [250ms] (a short, empty connection counts as a network error)", got)
	}
	if got := metric(t, h.reg, "giveaway_source_reconnects_total", "stall"); got != 1 {
		t.Errorf("stall reconnects %v, want 1", got)
	}
}

func TestStreamInBandErrorReconnects(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	srv := xtest.New(token)
	defer srv.Close()
	// The client hangs up and reconnects at once (the test's waits are instant), before the
	// server may have noticed; this test is not about the one-connection limit.
	srv.MaxConnections = 10
	srv.Script(
		xtest.Conn{Steps: []xtest.Step{xtest.Line(xtest.OperationalDisconnect)},
			End: xtest.Hold, KeepAliveEvery: 50 * time.Millisecond},
		xtest.Conn{Steps: []xtest.Step{xtest.Line(xtest.Post("401", "erin", "#PyConAPAC"))},
			End: xtest.Hold, KeepAliveEvery: 50 * time.Millisecond},
	)
	h := run(t, pool, testConfig(srv.URL), 0)
	testkit.Eventually(t, "the post after the disconnect", func() bool { return len(h.rec.got()) == 1 })
	if got := metric(t, h.reg, "giveaway_source_reconnects_total", "stream_error"); got != 1 {
		t.Errorf("stream_error reconnects %v, want 1", got)
	}
	if bad := metric(t, h.reg, "giveaway_xstream_bad_lines_total", ""); bad != 0 {
		t.Errorf("the errors object counted as a bad line")
	}
}

func TestStreamHTTPErrorsBackOffExponentially(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	srv := xtest.New(token)
	defer srv.Close()
	srv.Script(
		xtest.Conn{Status: 503}, xtest.Conn{Status: 503}, xtest.Conn{Status: 503},
		xtest.Conn{Status: 429}, xtest.Conn{Status: 429},
		xtest.Conn{Steps: []xtest.Step{xtest.Line(xtest.Post("501", "frank", "#PyConAPAC"))},
			End: xtest.Hold, KeepAliveEvery: 50 * time.Millisecond},
	)
	h := run(t, pool, testConfig(srv.URL), 0)
	testkit.Eventually(t, "the post after the errors", func() bool { return len(h.rec.got()) == 1 })
	s := time.Second
	want := []time.Duration{5 * s, 10 * s, 20 * s, time.Minute, 2 * time.Minute}
	if got := h.sleeps.got(); !slices.Equal(got, want) {
		t.Errorf("waits %v, want %v", got, want)
	}
	if got := metric(t, h.reg, "giveaway_source_reconnects_total", "http"); got != 3 {
		t.Errorf("http reconnects %v, want 3", got)
	}
}

func TestStreamRateLimitedWithoutResetWaitsFromAMinute(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	srv := xtest.New(token)
	defer srv.Close()
	for range 6 {
		srv.Script(xtest.Conn{Status: 429})
	}
	h := run(t, pool, testConfig(srv.URL), 6)
	h.wait(t)
	m := time.Minute
	want := []time.Duration{m, 2 * m, 4 * m, 8 * m, 15 * m, 15 * m}
	if got := h.sleeps.got(); !slices.Equal(got, want) {
		t.Errorf("waits %v, want %v", got, want)
	}
	if srv.Connects() != 6 {
		t.Errorf("connects %d, want 6 (one per wait)", srv.Connects())
	}
}

// X says in x-rate-limit-reset when a 429's window ends: the reader waits until then, not the
// minute-doubling guess, which is too long for a window about to end and too short for a long one.
func TestStreamRateLimitedWaitsUntilXSaysTheWindowEnds(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	srv := xtest.New(token)
	defer srv.Close()
	now := time.Unix(2_000_000_000, 0)
	srv.Script(
		xtest.Conn{Status: 429, RateLimitReset: now.Add(90 * time.Second)},
		xtest.Conn{Status: 429, RateLimitReset: now.Add(10 * time.Second)},
		xtest.Conn{Steps: []xtest.Step{xtest.Line(xtest.Post("551", "gina", "#PyConAPAC"))},
			End: xtest.Hold, KeepAliveEvery: 50 * time.Millisecond},
	)
	cfg := testConfig(srv.URL)
	cfg.Now = func() time.Time { return now }
	h := run(t, pool, cfg, 0)
	testkit.Eventually(t, "the post after the rate limit", func() bool { return len(h.rec.got()) == 1 })
	// A second more than the header says, as it counts whole seconds.
	want := []time.Duration{91 * time.Second, 11 * time.Second}
	if got := h.sleeps.got(); !slices.Equal(got, want) {
		t.Errorf("waits %v, want %v", got, want)
	}
}

// X now closes a project's open stream when a new one connects, where it used to refuse the
// new one with 429 TooManyConnections: a restarted reader whose old connection X still holds
// gets the stream at once.
func TestStreamNewConnectionReplacesAStaleOne(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	srv := xtest.New(token)
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/2/tweets/search/stream", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	stale, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer stale.Body.Close()
	if stale.StatusCode != 200 {
		t.Fatalf("stale connection: HTTP %d", stale.StatusCode)
	}
	srv.Script(xtest.Conn{Steps: []xtest.Step{xtest.Line(xtest.Post("561", "hana", "#PyConAPAC"))},
		End: xtest.Hold, KeepAliveEvery: 50 * time.Millisecond})
	h := run(t, pool, testConfig(srv.URL), 0)

	testkit.Eventually(t, "the post on the new connection", func() bool { return len(h.rec.got()) == 1 })
	if _, err := io.Copy(io.Discard, stale.Body); err != nil {
		t.Errorf("the stale connection ended badly: %v", err)
	}
	if got := h.sleeps.got(); len(got) != 0 {
		t.Errorf("waited %v; the new connection replaces the stale one at once", got)
	}
	if srv.Replaced() != 1 {
		t.Errorf("replaced %d connections, want 1", srv.Replaced())
	}
}

func TestStreamNetworkErrorsBackOffLinearly(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens: every connect is refused
	h := run(t, pool, testConfig("http://"+addr), 70)
	h.wait(t)
	got := h.sleeps.got()
	ms := time.Millisecond
	if !slices.Equal(got[:4], []time.Duration{250 * ms, 500 * ms, 750 * ms, 1000 * ms}) {
		t.Errorf("first waits %v, want 250ms steps", got[:4])
	}
	if got[62] != 15750*ms || got[63] != 16*time.Second || got[69] != 16*time.Second {
		t.Errorf("waits 63, 64, 70: %v %v %v; want 15.75s 16s 16s", got[62], got[63], got[69])
	}
}

func insertCampaign(t *testing.T, pool *pgxpool.Pool, slug string, starts, ends time.Time, tags ...string) {
	t.Helper()
	norm := make([]string, len(tags))
	for i, tag := range tags {
		norm[i] = fmt.Sprint(tag) // the rules use the display form; the normalized one is not read
	}
	_, err := pool.Exec(context.Background(), `
		INSERT INTO campaigns (slug, name, required_hashtags, display_hashtags, starts_at, ends_at, time_zone, tweets_index)
		VALUES ($1, $1, $2, $3, $4, $5, 'Asia/Seoul', 'twitter-' || $1)`, slug, norm, tags, starts, ends)
	if err != nil {
		t.Fatal(err)
	}
}

func ruleSet(rules []xtest.Rule) []string {
	var out []string
	for _, r := range rules {
		out = append(out, r.Tag+" = "+r.Value)
	}
	sort.Strings(out)
	return out
}

func TestRulesReconcileAddsKeepsAndDeletes(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	now := time.Now()
	insertCampaign(t, pool, "pyconapac2016", now.Add(-time.Hour), now.Add(48*time.Hour), "PyConAPAC", "Elastic")
	insertCampaign(t, pool, "devfest", now.Add(20*time.Hour), now.Add(30*time.Hour), "DevFest")        // starts within a day
	insertCampaign(t, pool, "future", now.Add(72*time.Hour), now.Add(96*time.Hour), "Future")          // too early
	insertCampaign(t, pool, "old", now.Add(-72*time.Hour), now.Add(-48*time.Hour), "Old")              // over
	insertCampaign(t, pool, "shared", now.Add(-time.Hour), now.Add(time.Hour), "PyConAPAC", "Elastic") // same tags as another

	srv := xtest.New(token)
	defer srv.Close()
	srv.SetRules(
		xtest.Rule{Value: "#golang", Tag: "someone-else"},
		xtest.Rule{Value: "from:elastic"},
		xtest.Rule{Value: "#DevFest", Tag: "dashboards"}, // another owner already has our "any" value
		xtest.Rule{Value: "#PyConAPAC #Elastic -is:retweet", Tag: "giveaway:pyconapac2016:all"},
		xtest.Rule{Value: "#Old -is:retweet", Tag: "giveaway:old:all"},
		xtest.Rule{Value: "#Old", Tag: "giveaway:old:any"},
		xtest.Rule{Value: "#PyConAPAC OR #Elastic", Tag: "giveaway:renamed:any"},
	)
	c, err := xstream.New(testConfig(srv.URL), pool, &recorder{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.ReconcileRules(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		" = from:elastic",
		"dashboards = #DevFest",
		"giveaway:devfest:all = #DevFest -is:retweet",
		"giveaway:pyconapac2016:all = #PyConAPAC #Elastic -is:retweet",
		"giveaway:pyconapac2016:any = #PyConAPAC OR #Elastic",
		"someone-else = #golang",
	}
	if got := ruleSet(srv.Rules()); !slices.Equal(got, want) {
		t.Errorf("rules after reconcile:\n%q\nwant\n%q", got, want)
	}
	if len(res.Kept) != 1 || len(res.Added) != 2 || len(res.Deleted) != 3 || len(res.Skipped) != 1 {
		t.Errorf("result: kept %d added %d deleted %d skipped %d; want 1 2 3 1",
			len(res.Kept), len(res.Added), len(res.Deleted), len(res.Skipped))
	}

	// A second reconcile changes nothing.
	posts := srv.RulesPosts()
	if _, err := c.ReconcileRules(context.Background()); err != nil {
		t.Fatal(err)
	}
	if srv.RulesPosts() != posts {
		t.Errorf("a reconcile with nothing to do still changed rules")
	}
	if got := ruleSet(srv.Rules()); !slices.Equal(got, want) {
		t.Errorf("rules changed on the second reconcile: %q", got)
	}
}

func TestRulesFollowCampaignChangesWhileRunning(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	srv := xtest.New(token)
	defer srv.Close()
	h := run(t, pool, testConfig(srv.URL), 0)
	// The process's listener hands campaign notices to the client, as cmd/giveaway runSources does.
	lctx, stop := context.WithCancel(context.Background())
	defer stop()
	notices := notify.New(pool)
	sub := notices.Subscribe(1, notify.CampaignsChanged)
	go notices.Run(lctx)
	go func() {
		for range sub.C() {
			h.client.CampaignsChanged()
		}
	}()
	defer sub.Close()
	testkit.Eventually(t, "the stream", func() bool { return h.client.Status().Connected })
	select {
	case <-sub.Ready():
	case <-time.After(10 * time.Second):
		t.Fatal("the listener never listened")
	}
	if len(srv.Rules()) != 0 {
		t.Fatalf("rules without campaigns: %v", srv.Rules())
	}
	// A campaign created on any instance reaches the holder through NOTIFY, on commit.
	now := time.Now()
	ctx := context.Background()
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `
		INSERT INTO campaigns (slug, name, required_hashtags, display_hashtags, starts_at, ends_at, time_zone, tweets_index)
		VALUES ('kr', 'kr', '{스마트스터디}', '{스마트스터디}', $1, $2, 'Asia/Seoul', 'twitter-kr')`,
		now, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := store.New(tx).NotifyCampaignsChanged(ctx); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "the new campaign's rules", func() bool { return len(srv.Rules()) == 2 })
	want := []string{"giveaway:kr:all = #스마트스터디 -is:retweet", "giveaway:kr:any = #스마트스터디"}
	if got := ruleSet(srv.Rules()); !slices.Equal(got, want) {
		t.Errorf("rules %q, want %q", got, want)
	}
	testkit.Eventually(t, "status rules", func() bool { return h.client.Status().Detail["rules"] == 2 })
}

func TestOnlyOneInstanceStreamsAndAnotherTakesOver(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	srv := xtest.New(token)
	defer srv.Close()
	cfgA := testConfig(srv.URL)
	cfgA.LeaseRetry = time.Second // so b, polling every 50 ms, is the one that takes over
	a := run(t, pool, cfgA, 0)
	testkit.Eventually(t, "a streaming", func() bool { return a.client.Status().Connected })
	b := run(t, pool, testConfig(srv.URL), 0)
	time.Sleep(500 * time.Millisecond) // ten of b's lock attempts
	if st := b.client.Status(); st.Leader || st.Connected {
		t.Fatalf("b took the stream while a held it: %+v", st)
	}
	if srv.Connects() != 1 {
		t.Fatalf("connects %d, want 1", srv.Connects())
	}

	// a's database session dies (as when its host does): PostgreSQL frees the lock.
	ctx := context.Background()
	var pid int
	if err := pool.QueryRow(ctx, `
		SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted
		AND classid = $1 AND objid = hashtext('x-stream')::oid
		AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`, 0x67697665).Scan(&pid); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, "SELECT pg_terminate_backend($1)", pid); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "b streaming", func() bool { return b.client.Status().Connected })
	testkit.Eventually(t, "a standing by", func() bool { st := a.client.Status(); return !st.Leader && !st.Connected })
	if _, maxActive := srv.Active(); maxActive != 1 {
		t.Errorf("%d streams open at once, want 1", maxActive)
	}
	// a stays a standby: b holds the lock now.
	time.Sleep(1500 * time.Millisecond)
	if a.client.Status().Leader {
		t.Errorf("a took the lock back while b holds it")
	}
}

// metric sums the counter name over the series whose cause label is cause (any, when empty).
func metric(t *testing.T, reg *prometheus.Registry, name, cause string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			match := cause == ""
			for _, l := range m.GetLabel() {
				match = match || (l.GetName() == "cause" && l.GetValue() == cause)
			}
			if match {
				sum += m.GetCounter().GetValue()
			}
		}
	}
	return sum
}

func TestStreamBackoffResetsAfterAHealthyConnection(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	srv := xtest.New(token)
	defer srv.Close()
	srv.MaxConnections = 10
	keepAlives := func(n int) []xtest.Step {
		var s []xtest.Step
		for range n {
			s = append(s, xtest.Pause(50*time.Millisecond), xtest.KeepAlive())
		}
		return s
	}
	quick := func(id string) xtest.Conn {
		return xtest.Conn{Steps: []xtest.Step{xtest.Line(xtest.Post(id, "gina", "#PyConAPAC"))}, End: xtest.Drop}
	}
	srv.Script(
		xtest.Conn{Status: 503},
		xtest.Conn{Status: 503},
		xtest.Conn{Steps: keepAlives(6), End: xtest.Close}, // lives 300 ms: healthy, resets
		xtest.Conn{Status: 503},
		quick("601"), // short with a post: one immediate reconnect
		quick("602"), // again: now it waits
		xtest.Conn{Steps: []xtest.Step{xtest.Line(xtest.Post("603", "gina", "#PyConAPAC"))},
			End: xtest.Hold, KeepAliveEvery: 50 * time.Millisecond},
	)
	cfg := testConfig(srv.URL)
	cfg.HealthyAfter = 200 * time.Millisecond
	h := run(t, pool, cfg, 0)
	testkit.Eventually(t, "the last post", func() bool { return len(h.rec.got()) == 3 })
	s := time.Second
	want := []time.Duration{5 * s, 10 * s, 5 * s, 250 * time.Millisecond}
	if got := h.sleeps.got(); !slices.Equal(got, want) {
		t.Errorf("waits %v, want %v", got, want)
	}
}

func TestStreamKeepsPostsWhileTheSinkFails(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	srv := xtest.New(token)
	defer srv.Close()
	srv.Script(xtest.Conn{Steps: []xtest.Step{
		xtest.Line(xtest.Post("701", "hana", "#PyConAPAC")),
		xtest.Line(xtest.Post("702", "hana", "#Elastic")),
	}, End: xtest.Hold, KeepAliveEvery: 50 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rec := &recorder{fails: 1}
	cfg := testConfig(srv.URL)
	c, err := xstream.New(cfg, pool, rec, nil)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); c.Run(ctx) }()
	testkit.Eventually(t, "the posts pending", func() bool { return c.Status().Pending == 2 })
	testkit.Eventually(t, "the retry storing them", func() bool { return len(rec.got()) == 2 })
	if st := c.Status(); st.Pending != 0 || !st.Connected || st.Reconnects != 0 {
		t.Errorf("status %+v: the stream should stay up while the sink recovers", st)
	}
	cancel()
	<-done
}

// An access level without backfill gets 400 Invalid Request for backfill_minutes: the reader
// reads on without it, says so, and records each reconnect as a gap, rather than never connecting.
func TestStreamBackfillRefusedReadsWithoutItAndSaysSo(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	srv := xtest.New(token)
	defer srv.Close()
	srv.BackfillRefused = true
	srv.Script(
		xtest.Conn{Steps: []xtest.Step{xtest.Line(xtest.Post("221", "alice", "first #PyConAPAC"))}, End: xtest.Drop},
		xtest.Conn{Steps: []xtest.Step{xtest.Line(xtest.Post("222", "bob", "after #PyConAPAC"))},
			End: xtest.Hold, KeepAliveEvery: 50 * time.Millisecond},
	)
	cfg := testConfig(srv.URL)
	cfg.BackfillMinutes = 2
	h := run(t, pool, cfg, 0)
	testkit.Eventually(t, "posts from both connections", func() bool { return len(h.rec.got()) == 2 })
	testkit.Eventually(t, "the gap to be recorded", func() bool { return len(gaps(t, pool)) == 1 })
	q := srv.Queries()
	if len(q) != 3 || q[0].Get("backfill_minutes") != "2" || q[1].Has("backfill_minutes") || q[2].Has("backfill_minutes") {
		t.Errorf("queries %v: want backfill asked once, then not again", q)
	}
	if g := gaps(t, pool)[0]; !strings.Contains(g.Detail, "refused backfill_minutes") {
		t.Errorf("gap %+v, want the refusal named", g)
	}
	if st := h.client.Status(); len(st.Degraded) != 1 || !strings.Contains(st.Degraded[0], "refused backfill_minutes") {
		t.Errorf("degraded %q", st.Degraded)
	}
}

// A restart, or another instance taking over, is a gap too: the stream saves when it was last
// open, and the next reader records what its backfill does not reach back to.
func TestStreamRestartRecordsWhatBackfillDoesNotReach(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	srv := xtest.New(token)
	defer srv.Close()
	lastOpen := time.Now().Add(-10 * time.Minute)
	if err := store.New(pool).SaveSourceCursor(context.Background(), store.SaveSourceCursorParams{
		Source: "x_stream:alive", Position: lastOpen.UTC().Format(time.RFC3339Nano)}); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(srv.URL)
	cfg.BackfillMinutes = 5
	h := run(t, pool, cfg, 0)
	testkit.Eventually(t, "the gap to be recorded", func() bool { return len(gaps(t, pool)) == 1 })
	g := gaps(t, pool)[0]
	if g.FromAt.Sub(lastOpen).Abs() > time.Second || g.ToAt.Sub(time.Now().Add(-5*time.Minute)).Abs() > 30*time.Second {
		t.Errorf("gap %v to %v, want from when the stream was last open to where the 5-minute backfill reaches", g.FromAt, g.ToAt)
	}
	testkit.Eventually(t, "the stream to say it is open", func() bool {
		pos, err := store.New(pool).SourceCursor(context.Background(), "x_stream:alive")
		t2, _ := time.Parse(time.RFC3339Nano, pos)
		return err == nil && t2.After(lastOpen.Add(time.Minute))
	})
	h.stop()
}
