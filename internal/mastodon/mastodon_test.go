package mastodon_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/boothgiveaway/giveaway/internal/giveaway"
	"github.com/boothgiveaway/giveaway/internal/ingest"
	"github.com/boothgiveaway/giveaway/internal/mastodon"
	"github.com/boothgiveaway/giveaway/internal/mastodon/mastodontest"
	"github.com/boothgiveaway/giveaway/internal/pgtest"
	"github.com/boothgiveaway/giveaway/internal/store"
	"github.com/boothgiveaway/giveaway/internal/testkit"
)

const token = "test-user-token"

// sleeper records the backoff waits instead of waiting them (a short real pause keeps a client
// that keeps failing from spinning).
type sleeper struct {
	mu sync.Mutex
	ds []time.Duration
}

func (s *sleeper) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.ds = append(s.ds, d)
	s.mu.Unlock()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(2 * time.Millisecond):
		return nil
	}
}

func (s *sleeper) got() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.ds)
}

// logs collects what the client logged.
type logs struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logs) count(s string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Count(l.b.String(), s)
}

type harness struct {
	t    *testing.T
	pool *pgxpool.Pool
	srv  *mastodontest.Server
	svc  *giveaway.Service
}

// setup gives a database with the campaign "pycon" (#PyConAPAC #Elastic, running) and a local
// Mastodon.
func setup(t *testing.T, opts ...mastodontest.Option) *harness {
	t.Helper()
	h := &harness{t: t, pool: pgtest.New(t), srv: mastodontest.New(token, opts...)}
	t.Cleanup(h.srv.Close)
	h.svc = giveaway.New(h.pool)
	h.campaign("pycon", "PyConAPAC", "Elastic")
	return h
}

func (h *harness) campaign(slug string, tags ...string) {
	h.t.Helper()
	now := time.Now()
	if _, err := h.svc.CreateCampaign(context.Background(), giveaway.CampaignInput{Slug: slug, Name: slug,
		RequiredHashtags: tags, StartsAt: now.Add(-time.Hour), EndsAt: now.Add(24 * time.Hour),
		TimeZone: "Asia/Seoul", PerPersonLimit: 1,
		Prizes: []giveaway.PrizeInput{{Key: "sticker", Name: "Sticker", Stock: 100}}}); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) claim(handle string) *giveaway.Claim {
	h.t.Helper()
	c, _, err := h.svc.CreateClaim(context.Background(), "pycon", giveaway.ClaimInput{Network: "mastodon", Handle: handle})
	if err != nil {
		h.t.Fatal(err)
	}
	return c
}

// claimStatus reads the claim back as its owner would see it.
func (h *harness) claimStatus(c *giveaway.Claim) string {
	h.t.Helper()
	got, err := h.svc.ClaimByToken(context.Background(), c.Token)
	if err != nil {
		h.t.Fatal(err)
	}
	return got.Status
}

type row struct {
	handle, handleNorm, text, authorID, lang, versionID, rawID string
	hashtags                                                   []string
}

// posts returns the stored Mastodon posts by id (the status uri).
func (h *harness) posts() map[string]row {
	h.t.Helper()
	rows, err := h.pool.Query(context.Background(), `SELECT id, handle, handle_norm, text, coalesce(author_id, ''),
		coalesce(lang, ''), version_id, coalesce(r.raw->>'id', ''), hashtags
		FROM tweets t LEFT JOIN tweet_raw r USING (network, id) WHERE network = 'mastodon'`)
	if err != nil {
		h.t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]row{}
	for rows.Next() {
		var id string
		var r row
		if err := rows.Scan(&id, &r.handle, &r.handleNorm, &r.text, &r.authorID, &r.lang, &r.versionID, &r.rawID, &r.hashtags); err != nil {
			h.t.Fatal(err)
		}
		out[id] = r
	}
	if err := rows.Err(); err != nil {
		h.t.Fatal(err)
	}
	return out
}

// cursor is the saved position of the #PyConAPAC stream ("" when none).
func (h *harness) cursor() string {
	h.t.Helper()
	u, _ := url.Parse(h.srv.URL)
	var pos string
	err := h.pool.QueryRow(context.Background(), `SELECT coalesce(max(position), '') FROM source_cursors WHERE source = $1`,
		"mastodon:"+u.Host+":pyconapac").Scan(&pos)
	if err != nil {
		h.t.Fatal(err)
	}
	return pos
}

type runner struct {
	client *mastodon.Client
	sleeps *sleeper
	logs   *logs
	reg    *prometheus.Registry
	cancel context.CancelFunc
	done   chan struct{}
}

// start runs a new client (a restart, when one ran before); tweak changes its config.
func (h *harness) start(tweak func(*mastodon.Config)) *runner {
	h.t.Helper()
	r := &runner{sleeps: &sleeper{}, logs: &logs{}, reg: prometheus.NewRegistry(), done: make(chan struct{})}
	cfg := mastodon.Config{
		BaseURL: h.srv.URL, Token: token,
		RefreshInterval: 50 * time.Millisecond,
		// Long enough that a loaded machine never mistakes a slow test for a stall.
		StallTimeout: 5 * time.Second,
		LeaderRetry:  50 * time.Millisecond,
		Sleep:        r.sleeps.sleep,
		Logger:       slog.New(slog.NewTextHandler(r.logs, nil)),
	}
	if tweak != nil {
		tweak(&cfg)
	}
	c, err := mastodon.New(cfg, h.pool, ingest.New(h.pool, nil), r.reg)
	if err != nil {
		h.t.Fatal(err)
	}
	r.client = c
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() {
		defer close(r.done)
		if err := c.Run(ctx); err != nil {
			h.t.Errorf("Run: %v", err)
		}
	}()
	h.t.Cleanup(r.stop)
	return r
}

func (r *runner) stop() {
	r.cancel()
	select {
	case <-r.done:
	case <-time.After(10 * time.Second):
		panic("mastodon client did not stop")
	}
}

// metric sums the series of name whose label has value (any series, when label is empty).
func (r *runner) metric(t *testing.T, name, label, value string) float64 {
	t.Helper()
	mfs, err := r.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			match := label == ""
			for _, l := range m.GetLabel() {
				match = match || (l.GetName() == label && l.GetValue() == value)
			}
			if match {
				sum += m.GetCounter().GetValue() + m.GetGauge().GetValue()
			}
		}
	}
	return sum
}

// live waits until the client has the #tag stream open and the gap before it filled, so what
// the test posts next arrives on the stream only.
func (h *harness) live(r *runner, tag string) {
	h.t.Helper()
	testkit.Eventually(h.t, "the #"+tag+" stream to be live", func() bool {
		st, _ := r.client.Status().Detail["streams"].(map[string]any)[tag].(map[string]any)
		return h.srv.StreamsOpen(tag) == 1 && st["live"] == true
	})
}

func TestPostWithEveryTagVerifiesClaimWhileOthersAreIgnored(t *testing.T) {
	t.Parallel()
	h := setup(t)
	jisu := h.claim("jisu@remote.example")
	minho := h.claim("minho@remote.example")
	r := h.start(nil)
	h.live(r, "pyconapac")

	lacking := h.srv.Toot("minho@remote.example", "Only one tag #PyConAPAC")
	orig := h.srv.Toot("jisu@remote.example", "Hello from the booth!\n\n#PyConAPAC #Elastic & <friends>")
	boost := h.srv.Boost("minho@remote.example", orig)
	// In stream order: the ignored ones first, so once orig is in they were dealt with.
	h.srv.Publish(lacking)
	h.srv.Publish(boost)
	h.srv.Publish(orig)

	testkit.Eventually(t, "jisu's claim to be verified", func() bool { return h.claimStatus(jisu) == "verified" })
	if got := h.claimStatus(minho); got != "pending" {
		t.Errorf("minho's claim is %s; neither a post lacking #Elastic nor a boost may verify it", got)
	}
	posts := h.posts()
	if len(posts) != 1 {
		t.Fatalf("stored %d posts, want only the one with both tags: %v", len(posts), posts)
	}
	p, ok := posts[orig.URI]
	if !ok {
		t.Fatalf("post not stored under its uri %s: %v", orig.URI, posts)
	}
	want := row{handle: "jisu@remote.example", handleNorm: "jisu@remote.example",
		text: "Hello from the booth!\n\n#PyConAPAC #Elastic & <friends>", authorID: orig.Account.ID, lang: "en",
		rawID: orig.ID, hashtags: []string{"PyConAPAC", "Elastic"}}
	want.versionID = p.versionID
	if !slices.Equal(p.hashtags, want.hashtags) || fmt.Sprint(p) != fmt.Sprint(want) {
		t.Errorf("stored\n %+v\nwant\n %+v", p, want)
	}
	if len(p.versionID) != len("2006-01-02T15:04:05.000000Z") || !strings.HasPrefix(p.versionID, orig.CreatedAt[:23]) {
		t.Errorf("version id %q: want created_at %s in fixed width", p.versionID, orig.CreatedAt)
	}
	for outcome, want := range map[string]float64{"kept": 1, "missing_tags": 1, "boost": 1, "bad": 0} {
		if got := r.metric(t, "giveaway_mastodon_statuses_total", "outcome", outcome); got != want {
			t.Errorf("statuses %s = %v, want %v", outcome, got, want)
		}
	}
	st := r.client.Status()
	if !st.Leader || !st.Connected || st.Detail["streams_connected"] != 1 || st.Detail["posts_received"] != int64(1) ||
		st.Detail["domain"] != "mastodon.example" {
		t.Errorf("status %v", st)
	}
	streams := h.srv.Requests("/api/v1/streaming/")
	if len(streams) != 1 || streams[0].Query.Get("tag") != "pyconapac" || streams[0].Authorization != "Bearer "+token {
		t.Errorf("stream requests %+v, want one for tag=pyconapac with the token", streams)
	}
	fills := h.srv.Requests("/api/v1/timelines/tag/")
	if len(fills) != 1 || fills[0].Path != "/api/v1/timelines/tag/pyconapac" ||
		!slices.Equal(fills[0].Query["all[]"], []string{"elastic"}) || fills[0].Query.Get("limit") != "40" ||
		fills[0].Query.Has("min_id") {
		t.Errorf("timeline requests %+v, want one first-start page with all[]=elastic, limit=40, no min_id", fills)
	}
}

func TestLocalAccountMatchesFullAcctAndLateClaimVerifiesAtOnce(t *testing.T) {
	t.Parallel()
	h := setup(t, mastodontest.SeparateStreaming())
	r := h.start(nil)
	h.live(r, "pyconapac")

	// A local account's acct is just "jisu"; the claim names jisu@mastodon.example.
	post := h.srv.Toot("jisu", "#PyConAPAC #Elastic 스마트스터디 부스\nhttps://example.com/a/long/path?x=1&y=2")
	h.srv.Publish(post)
	testkit.Eventually(t, "the post to be stored", func() bool { return len(h.posts()) == 1 })
	p := h.posts()[post.URI]
	if p.handle != "jisu@mastodon.example" {
		t.Errorf("handle %q, want the full acct jisu@mastodon.example", p.handle)
	}
	if want := "#PyConAPAC #Elastic 스마트스터디 부스\nhttps://example.com/a/long/path?x=1&y=2"; p.text != want {
		t.Errorf("text %q, want %q", p.text, want)
	}

	c := h.claim("@Jisu@Mastodon.Example")
	if c.Status != "verified" {
		t.Errorf("a claim made after the post is %s, want verified at once", c.Status)
	}

	// The instance description named a streaming host of its own.
	stream, _ := url.Parse(h.srv.Streaming.URL)
	for _, r := range h.srv.Requests("/api/v1/streaming/") {
		if r.Host != stream.Host {
			t.Errorf("stream requested from %s, want the streaming host %s", r.Host, stream.Host)
		}
	}
	if len(h.srv.Requests("/api/v1/streaming/")) == 0 {
		t.Errorf("no stream request reached the streaming host")
	}
}

func TestSamePostFromGapFillAndStreamIsStoredOnce(t *testing.T) {
	t.Parallel()
	h := setup(t)
	jisu := h.claim("jisu@remote.example")
	early := h.srv.Toot("jisu@remote.example", "#PyConAPAC #Elastic before the reader started")
	h.srv.Add(early) // on the timeline before any stream was open
	r := h.start(nil)

	testkit.Eventually(t, "the first start's page to verify the claim", func() bool { return h.claimStatus(jisu) == "verified" })
	h.live(r, "pyconapac")
	h.srv.Publish(early) // and now the stream delivers it too
	later := h.srv.Toot("minho@remote.example", "#PyConAPAC #Elastic after")
	h.srv.Publish(later)
	testkit.Eventually(t, "the later post", func() bool { _, ok := h.posts()[later.URI]; return ok })

	if got := r.metric(t, "giveaway_mastodon_statuses_total", "outcome", "kept"); got != 3 {
		t.Errorf("kept %v statuses, want 3 (the early one twice)", got)
	}
	if n := len(h.posts()); n != 2 {
		t.Errorf("stored %d posts, want 2: a post delivered twice is stored once", n)
	}
	testkit.Eventually(t, "the cursor to reach the newest status "+later.ID, func() bool { return h.cursor() == later.ID })
}

func TestDroppedStreamReconnectsAndFillsTheGapFromTheCursor(t *testing.T) {
	t.Parallel()
	h := setup(t)
	minho := h.claim("minho@remote.example")
	r := h.start(nil)
	h.live(r, "pyconapac")

	a := h.srv.Toot("jisu@remote.example", "#PyConAPAC #Elastic first")
	h.srv.Publish(a)
	testkit.Eventually(t, "the cursor to reach the first post", func() bool { return h.cursor() == a.ID })

	gap := h.srv.Toot("minho@remote.example", "#PyConAPAC #Elastic posted while the stream was down")
	h.srv.Add(gap)                                                 // the stream never carries it
	h.srv.PushRaw("pyconapac", "event: update\ndata: {\"id\":\"1") // cut mid-event
	h.srv.DropStreams()

	testkit.Eventually(t, "the gap's post to verify minho's claim", func() bool { return h.claimStatus(minho) == "verified" })
	testkit.Eventually(t, "the cursor to reach the gap's post", func() bool { return h.cursor() == gap.ID })
	h.live(r, "pyconapac")

	if got := r.sleeps.got(); !slices.Equal(got, []time.Duration{time.Second}) {
		t.Errorf("waited %v before reconnecting, want [1s]", got)
	}
	// Stream first, then the fill, so nothing posted in between is missed; the fill pages from
	// the cursor until a page comes back empty.
	var seq []string
	for _, rq := range h.srv.Requests("/api/v1/") {
		switch {
		case strings.HasPrefix(rq.Path, "/api/v1/streaming/"):
			seq = append(seq, "stream")
		case strings.HasPrefix(rq.Path, "/api/v1/timelines/tag/"):
			seq = append(seq, "fill min_id="+rq.Query.Get("min_id")+" all="+strings.Join(rq.Query["all[]"], ","))
		}
	}
	want := []string{"stream", "fill min_id= all=elastic", "stream",
		"fill min_id=" + a.ID + " all=elastic", "fill min_id=" + gap.ID + " all=elastic"}
	if !slices.Equal(seq, want) {
		t.Errorf("requests\n %q\nwant\n %q", seq, want)
	}
	if got := r.metric(t, "giveaway_source_reconnects_total", "cause", "network"); got != 1 {
		t.Errorf("network reconnects %v, want 1", got)
	}
	if got := r.metric(t, "giveaway_mastodon_statuses_total", "outcome", "bad"); got != 0 {
		t.Errorf("the cut event counted as a bad status (%v); it is a drop", got)
	}
	if st := r.client.Status(); st.Reconnects != 1 || st.Detail["streams_connected"] != 1 {
		t.Errorf("status %v", st)
	}
	if n := len(h.posts()); n != 2 {
		t.Errorf("stored %d posts, want 2", n)
	}
}

func TestHealthyConnectionDropReconnectsAtOnce(t *testing.T) {
	t.Parallel()
	h := setup(t)
	r := h.start(func(c *mastodon.Config) { c.HealthyAfter = 50 * time.Millisecond })
	h.live(r, "pyconapac")
	time.Sleep(100 * time.Millisecond) // real time on purpose: the connection must live HealthyAfter
	h.srv.DropStreams()
	testkit.Eventually(t, "the second connection", func() bool { return len(h.srv.Requests("/api/v1/streaming/")) == 2 })
	h.live(r, "pyconapac")
	if got := r.sleeps.got(); len(got) != 0 {
		t.Errorf("waited %v after a healthy connection dropped; want an immediate reconnect", got)
	}
}

// runAndStop runs a client until a post has moved the cursor, then stops it; it returns the post.
func (h *harness) runAndStop() mastodontest.Status {
	h.t.Helper()
	first := h.start(nil)
	h.live(first, "pyconapac")
	a := h.srv.Toot("jisu@remote.example", "#PyConAPAC #Elastic before the restart")
	h.srv.Publish(a)
	testkit.Eventually(h.t, "the cursor to reach the post", func() bool { return h.cursor() == a.ID })
	first.stop()
	testkit.Eventually(h.t, "the stream to close", func() bool { return h.srv.StreamsOpen("pyconapac") == 0 })
	return a
}

func TestCursorSurvivesARestart(t *testing.T) {
	t.Parallel()
	h := setup(t)
	a := h.runAndStop()

	down := h.srv.Toot("minho@remote.example", "#PyConAPAC #Elastic while the service was down")
	h.srv.Add(down)
	before := len(h.srv.Requests("/api/v1/timelines/"))
	h.start(nil)
	testkit.Eventually(t, "the post from the downtime", func() bool { _, ok := h.posts()[down.URI]; return ok })

	fills := h.srv.Requests("/api/v1/timelines/")[before:]
	if len(fills) == 0 || fills[0].Query.Get("min_id") != a.ID {
		t.Errorf("after the restart the fill asked %+v, want min_id=%s (the saved cursor)", fills, a.ID)
	}

	// A delete names the status by its local id, which this process never saw: the stored post
	// is found by it all the same.
	h.srv.Delete(a)
	testkit.Eventually(t, "the post stored before the restart to be deleted", func() bool { _, ok := h.posts()[a.URI]; return !ok })
}

func TestGarbageEventsAreLoggedAndSkipped(t *testing.T) {
	t.Parallel()
	h := setup(t)
	r := h.start(nil)
	h.live(r, "pyconapac")

	h.srv.Push("pyconapac", "update", "{not json")
	h.srv.Push("pyconapac", "update", `{"id":"5","content":"<p>no uri, no account</p>"}`)
	h.srv.PushRaw("pyconapac", ":thump\nevent: announcement\ndata: {\"id\":\"1\",\"content\":\"hi\"}\n\n")
	h.srv.Push("pyconapac", "delete", "123") // a post never passed on: nothing to delete
	good := h.srv.Toot("jisu@remote.example", "#PyConAPAC #Elastic still fine")
	h.srv.Publish(good)
	testkit.Eventually(t, "the good post", func() bool { return len(h.posts()) == 1 })

	if got := r.metric(t, "giveaway_mastodon_statuses_total", "outcome", "bad"); got != 2 {
		t.Errorf("bad statuses %v, want 2", got)
	}
	if n := r.logs.count("unreadable Mastodon status skipped"); n != 2 {
		t.Errorf("logged %d unreadable statuses, want 2", n)
	}
	if n := len(h.srv.Requests("/api/v1/streaming/")); n != 1 || len(r.sleeps.got()) != 0 {
		t.Errorf("%d stream requests, waits %v: garbage must not drop the stream", n, r.sleeps.got())
	}
}

func TestWrongTokenBacksOffAndRecovers(t *testing.T) {
	t.Parallel()
	h := setup(t)
	r := h.start(func(c *mastodon.Config) { c.Token = "revoked-token" })

	testkit.Eventually(t, "three refused attempts", func() bool { return len(r.sleeps.got()) >= 3 })
	if got := r.sleeps.got()[:3]; !slices.Equal(got, []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute}) {
		t.Errorf("waits %v, want 30s, 1m, 2m", got)
	}
	if e := r.client.Status().LastError; !strings.Contains(e, "401") {
		t.Errorf("status last_error %q, want the 401", e)
	}
	if r.logs.count("MASTODON_TOKEN") == 0 {
		t.Errorf("the log does not point the operator at MASTODON_TOKEN")
	}
	if got := r.metric(t, "giveaway_source_reconnects_total", "cause", "auth"); got < 3 {
		t.Errorf("auth reconnects %v, want at least 3", got)
	}

	// The operator fixes the server side; the client, still running, gets in.
	h.srv.SetToken("revoked-token")
	h.live(r, "pyconapac")
	post := h.srv.Toot("jisu@remote.example", "#PyConAPAC #Elastic")
	h.srv.Publish(post)
	testkit.Eventually(t, "the post", func() bool { return len(h.posts()) == 1 })
}

func TestSilentStreamIsAStall(t *testing.T) {
	t.Parallel()
	h := setup(t, mastodontest.WithHeartbeat(0))
	r := h.start(func(c *mastodon.Config) { c.StallTimeout = 300 * time.Millisecond })
	testkit.Eventually(t, "a reconnect after the stall", func() bool {
		return r.metric(t, "giveaway_source_reconnects_total", "cause", "stall") >= 1 &&
			len(h.srv.Requests("/api/v1/streaming/")) >= 2
	})
	if got := r.sleeps.got(); len(got) == 0 || got[0] != time.Second {
		t.Errorf("waits %v, want 1s first", got)
	}
}

func TestStreamsFollowTheCampaigns(t *testing.T) {
	t.Parallel()
	h := setup(t)
	h.campaign("elk", "pyconapac", "Kibana") // same first hashtag: shares the stream
	h.campaign("devfest", "DevFest")
	r := h.start(nil)
	h.live(r, "pyconapac")
	h.live(r, "devfest")

	kibana := h.srv.Toot("jisu@remote.example", "#PyConAPAC #Kibana dashboards")
	h.srv.Publish(kibana)
	testkit.Eventually(t, "the #Kibana post", func() bool { _, ok := h.posts()[kibana.URI]; return ok })
	var alls []string
	for _, rq := range h.srv.Requests("/api/v1/timelines/tag/pyconapac") {
		alls = append(alls, strings.Join(rq.Query["all[]"], ","))
	}
	slices.Sort(alls)
	if !slices.Equal(alls, []string{"elastic", "kibana"}) {
		t.Errorf("gap fills asked all[] %q, want one per campaign: elastic, kibana", alls)
	}
	if n := len(h.srv.Requests("/api/v1/streaming/")); n != 2 {
		t.Errorf("%d stream requests, want 2 (one per first hashtag)", n)
	}

	if _, err := h.pool.Exec(context.Background(),
		`UPDATE campaigns SET ends_at = now() - interval '1 second' WHERE slug = 'devfest'`); err != nil {
		t.Fatal(err)
	}
	r.client.CampaignsChanged()
	testkit.Eventually(t, "the #DevFest stream to close", func() bool { return h.srv.StreamsOpen("devfest") == 0 })
	if h.srv.StreamsOpen("pyconapac") != 1 {
		t.Errorf("the #PyConAPAC stream closed too")
	}
}

func TestEditAddingTheTagVerifiesAndDeleteUndoes(t *testing.T) {
	t.Parallel()
	h := setup(t)
	jisu := h.claim("jisu@remote.example")
	r := h.start(nil)
	h.live(r, "pyconapac")

	st := h.srv.Toot("jisu@remote.example", "#PyConAPAC forgot one")
	h.srv.Publish(st)
	edited := h.srv.Edit(st, "#PyConAPAC #Elastic fixed")
	h.srv.PublishEdit(edited)
	testkit.Eventually(t, "the edit to verify the claim", func() bool { return h.claimStatus(jisu) == "verified" })
	p := h.posts()[st.URI]
	if p.text != "#PyConAPAC #Elastic fixed" || !strings.HasPrefix(p.versionID, (*edited.EditedAt)[:23]) {
		t.Errorf("stored %+v, want the edit (version from edited_at %s)", p, *edited.EditedAt)
	}

	h.srv.Delete(edited)
	testkit.Eventually(t, "the deleted post to go", func() bool { return len(h.posts()) == 0 })
	if got := h.claimStatus(jisu); got != "pending" {
		t.Errorf("claim %s after its only post was deleted, want pending", got)
	}
}

func (h *harness) claimIn(slug, handle string) *giveaway.Claim {
	h.t.Helper()
	c, _, err := h.svc.CreateClaim(context.Background(), slug, giveaway.ClaimInput{Network: "mastodon", Handle: handle})
	if err != nil {
		h.t.Fatal(err)
	}
	return c
}

// Mastodon names a tag by NFKC, lower case and ASCII folding, in tags[] and in its streams: a
// campaign #PyConEspaña #BLÅHAJ must see posts that Mastodon tags pyconespana and blahaj however
// the author spelled them, and Korean tags must keep working.
func TestTagsAreNamedAsMastodonNamesThem(t *testing.T) {
	t.Parallel()
	h := setup(t)
	h.campaign("espana", "PyConEspaña", "BLÅHAJ")
	h.campaign("kr", "파이콘한국")
	ana := h.claimIn("espana", "ana@remote.example")
	ben := h.claimIn("espana", "ben@remote.example")
	carla := h.claimIn("espana", "carla@remote.example")
	dana := h.claimIn("espana", "dana@remote.example")
	jisu := h.claimIn("kr", "jisu@remote.example")
	r := h.start(nil)
	h.live(r, "pyconespana")
	h.live(r, "파이콘한국")

	h.srv.Publish(h.srv.Toot("ana@remote.example", "¡Hola! #PyConEspaña #Blåhaj"))
	h.srv.Publish(h.srv.Toot("ben@remote.example", "#PyConEspana #BLAHAJ sin acentos"))
	h.srv.Publish(h.srv.Toot("jisu@remote.example", "부스에 왔어요 #파이콘한국"))
	// A status whose server left tags[] empty: the tags in its text count, named the same way.
	bare := h.srv.Toot("carla@remote.example", "#ＰｙＣｏｎＥｓｐａñａ #blåhaj")
	bare.Tags = []mastodontest.Tag{}
	raw, err := json.Marshal(bare)
	if err != nil {
		t.Fatal(err)
	}
	h.srv.Push("pyconespana", "update", string(raw))
	// One tag short: not kept.
	h.srv.Publish(h.srv.Toot("dana@remote.example", "#PyConEspaña only"))

	for name, c := range map[string]*giveaway.Claim{"ana": ana, "ben": ben, "carla": carla, "jisu": jisu} {
		testkit.Eventually(t, name+"'s claim to be verified", func() bool { return h.claimStatus(c) == "verified" })
	}
	if got := h.claimStatus(dana); got != "pending" {
		t.Errorf("dana's claim is %s; a post without #BLÅHAJ may not verify it", got)
	}
	for _, rq := range h.srv.Requests("/api/v1/streaming/") {
		if tag := rq.Query.Get("tag"); tag != "pyconapac" && tag != "pyconespana" && tag != "파이콘한국" {
			t.Errorf("stream asked for tag=%q; Mastodon names the tags pyconapac, pyconespana, 파이콘한국", tag)
		}
	}
	for _, rq := range h.srv.Requests("/api/v1/timelines/tag/") {
		if rq.Path == "/api/v1/timelines/tag/pyconespana" && !slices.Equal(rq.Query["all[]"], []string{"blahaj"}) {
			t.Errorf("gap fill all[] = %v, want [blahaj]", rq.Query["all[]"])
		}
	}
}

// Mastodon's streaming server leaves out, for the token's account, the posts of accounts it
// mutes or blocks and of domains it blocks: the reader checks the account at start and says so
// in /readyz and the log, so the organiser can use another account before the event.
func TestTokenAccountFiltersAreCheckedAndSaid(t *testing.T) {
	t.Parallel()
	h := setup(t)
	h.srv.Mute("spam@remote.example")
	h.srv.BlockDomain("bad.example")
	ok := h.claim("ok@remote.example")
	muted := h.claim("spam@remote.example")
	blocked := h.claim("x@bad.example")
	r := h.start(nil)
	h.live(r, "pyconapac")

	h.srv.Publish(h.srv.Toot("spam@remote.example", "#PyConAPAC #Elastic"))
	h.srv.Publish(h.srv.Toot("x@bad.example", "#PyConAPAC #Elastic"))
	h.srv.Publish(h.srv.Toot("ok@remote.example", "#PyConAPAC #Elastic"))
	testkit.Eventually(t, "ok's claim to be verified", func() bool { return h.claimStatus(ok) == "verified" })
	if h.claimStatus(muted) != "pending" || h.claimStatus(blocked) != "pending" {
		t.Errorf("the double let through posts Mastodon filters for the token's account")
	}

	st := r.client.Status()
	if len(st.Degraded) != 2 || !strings.Contains(st.Degraded[0], "mutes 1 accounts") ||
		!strings.Contains(st.Degraded[1], "blocks 1 domains") {
		t.Errorf("degraded %q, want the mute and the domain block said", st.Degraded)
	}
	if r.logs.count("mutes 1 accounts") != 1 || r.logs.count("domains=bad.example") == 0 || r.logs.count("chosen languages") != 1 {
		t.Errorf("the log does not say what the account filters")
	}
	// /readyz is public: counts, never the names.
	b, _ := json.Marshal(st)
	if strings.Contains(string(b), "bad.example") || strings.Contains(string(b), "spam") {
		t.Errorf("status names what the account filters: %s", b)
	}
	for _, p := range []string{"/api/v1/accounts/verify_credentials", "/api/v1/mutes", "/api/v1/blocks", "/api/v1/domain_blocks"} {
		if rq := h.srv.Requests(p); len(rq) != 1 || rq[0].Authorization != "Bearer "+token {
			t.Errorf("%s asked %d times with the token, want once at start: %+v", p, len(rq), rq)
		}
	}
}

// Catching up after a reconnect is bounded; when it stops before the newest posts, the stretch
// it did not read is recorded for the report rather than only logged.
func TestGapFillThatStopsEarlyIsRecorded(t *testing.T) {
	t.Parallel()
	h := setup(t)
	h.runAndStop()

	for i := range 45 { // more than one page of 40
		h.srv.Add(h.srv.Toot(fmt.Sprintf("p%d@remote.example", i), "#PyConAPAC #Elastic while down"))
	}
	r := h.start(func(c *mastodon.Config) { c.MaxFillPages = 1 })
	gaps := func() int {
		g, err := store.New(h.pool).RecentSourceGaps(context.Background(), store.RecentSourceGapsParams{MaxRows: 10})
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range g {
			if x.Source != "mastodon" || x.Kind != "fill_incomplete" || !strings.Contains(x.Detail, "#pyconapac") {
				t.Errorf("gap %+v", x)
			}
		}
		return len(g)
	}
	testkit.Eventually(t, "the unread stretch to be recorded", func() bool { return gaps() == 1 })
	if got := r.metric(t, "giveaway_source_gaps_total", "kind", "fill_incomplete"); got != 1 {
		t.Errorf("gaps metric %v, want 1", got)
	}
}

// Mastodon 4.5 lets an instance keep remote posts out of hashtag feeds; the reader reads the
// setting from the instance description and says what it costs.
func TestInstanceThatKeepsRemotePostsOutOfHashtagFeedsIsSaid(t *testing.T) {
	t.Parallel()
	h := setup(t)
	h.srv.LimitHashtagFeeds("public", "disabled")
	local := h.claim("jisu@mastodon.example")
	remote := h.claim("minho@remote.example")
	r := h.start(nil)
	h.live(r, "pyconapac")
	h.srv.Publish(h.srv.Toot("minho@remote.example", "#PyConAPAC #Elastic"))
	h.srv.Publish(h.srv.Toot("jisu", "#PyConAPAC #Elastic"))
	testkit.Eventually(t, "the local claim to be verified", func() bool { return h.claimStatus(local) == "verified" })
	if h.claimStatus(remote) != "pending" {
		t.Errorf("the double let a remote post through a hashtag feed that keeps them out")
	}
	if st := r.client.Status(); len(st.Degraded) != 1 || !strings.Contains(st.Degraded[0], "posts from other servers") {
		t.Errorf("degraded %q, want the remote posts said", st.Degraded)
	}
}
