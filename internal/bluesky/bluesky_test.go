package bluesky_test

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/boothgiveaway/giveaway/internal/bluesky"
	"github.com/boothgiveaway/giveaway/internal/bluesky/blueskytest"
	"github.com/boothgiveaway/giveaway/internal/giveaway"
	"github.com/boothgiveaway/giveaway/internal/ingest"
	"github.com/boothgiveaway/giveaway/internal/pgtest"
	"github.com/boothgiveaway/giveaway/internal/store"
	"github.com/boothgiveaway/giveaway/internal/testkit"
	"github.com/boothgiveaway/giveaway/internal/tweet"
)

const (
	jisu   = "did:plc:jisu4uz2445cjiw7w4nobfgn"
	minho  = "did:plc:minhoq6gjnaw2blty4crticx"
	slug   = "pyconapac2016"
	wait   = 10 * time.Second
	rewind = 5 * time.Second
)

// korean has both tags after Hangul, so byte offsets and rune offsets differ.
const korean = "오늘 부스에서 스티커 받았어요 #PyConAPAC #Elastic 🎉"

func both() blueskytest.Post {
	return blueskytest.Post{Text: korean, Facets: blueskytest.TagFacets(korean, "PyConAPAC", "Elastic"), Langs: []string{"ko"}}
}

// sleeper records the waits between attempts instead of waiting.
type sleeper struct {
	mu sync.Mutex
	ds []time.Duration
}

func (s *sleeper) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.ds = append(s.ds, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeper) got() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.ds)
}

type harness struct {
	pool *pgxpool.Pool
	srv  *blueskytest.Server
	gv   *giveaway.Service
}

// setup gives a fresh database with a running campaign requiring #PyConAPAC and #Elastic, and
// a fake Jetstream and AppView.
func setup(t *testing.T) *harness {
	t.Helper()
	h := &harness{pool: pgtest.New(t), srv: blueskytest.New(t)}
	h.gv = giveaway.New(h.pool)
	h.campaign(t, slug, "PyConAPAC", "Elastic")
	return h
}

func (h *harness) campaign(t *testing.T, slug string, tags ...string) {
	t.Helper()
	now := time.Now().UTC()
	if _, err := h.gv.CreateCampaign(context.Background(), giveaway.CampaignInput{Slug: slug, Name: slug,
		RequiredHashtags: tags, StartsAt: now.Add(-time.Hour), EndsAt: now.Add(2 * time.Hour),
		TimeZone: "Asia/Seoul", PerPersonLimit: 1,
		Prizes: []giveaway.PrizeInput{{Key: "tshirt", Name: "T-shirt", Stock: 10}}}); err != nil {
		t.Fatal(err)
	}
}

type reader struct {
	client *bluesky.Client
	sleeps *sleeper
	reg    *prometheus.Registry
	stop   func()
}

func (h *harness) config() bluesky.Config {
	return bluesky.Config{
		JetstreamURL: h.srv.JetstreamURL(),
		AppViewURL:   h.srv.AppViewURL(),
		BatchWait:    10 * time.Millisecond,
		CursorEvery:  50 * time.Millisecond,
		// The leader package pings its lock within min(retry, 5 s): too short a retry reads a slow
		// CI machine as a lost lock.
		LeaseRetry: 300 * time.Millisecond,
		Logger:     slog.New(slog.DiscardHandler),
	}
}

// start runs a reader against the fake servers; it is stopped when the test ends, or by stop.
func (h *harness) start(t *testing.T, cfg bluesky.Config) *reader {
	t.Helper()
	r := &reader{sleeps: &sleeper{}, reg: prometheus.NewRegistry()}
	cfg.Sleep = r.sleeps.sleep
	c, err := bluesky.New(cfg, h.pool, ingest.New(h.pool, nil), r.reg)
	if err != nil {
		t.Fatal(err)
	}
	r.client = c
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := c.Run(ctx); err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	r.stop = sync.OnceFunc(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(wait):
			t.Error("reader did not stop")
		}
	})
	t.Cleanup(r.stop)
	return r
}

// connected waits for the n-th subscribe request with a connection open.
func (h *harness) connected(t *testing.T, n int) {
	t.Helper()
	if !h.srv.WaitSubscribes(n, wait) {
		t.Fatalf("no subscribe #%d; got %v", n, h.srv.Subscribes())
	}
}

func (h *harness) claim(t *testing.T, handle string) *giveaway.Claim {
	t.Helper()
	c, _, err := h.gv.CreateClaim(context.Background(), slug, giveaway.ClaimInput{Network: "bluesky", Handle: handle})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (h *harness) status(t *testing.T, c *giveaway.Claim) string {
	t.Helper()
	got, err := h.gv.ClaimByToken(context.Background(), c.Token)
	if err != nil {
		t.Fatal(err)
	}
	return got.Status
}

func (h *harness) waitStatus(t *testing.T, c *giveaway.Claim, want string) {
	t.Helper()
	var last string
	testkit.EventuallyDescribed(t, func() bool { last = h.status(t, c); return last == want },
		func() string { return "claim of " + c.Handle + " is " + last + ", want " + want })
}

type storedPost struct {
	Handle, VersionID, Text string
	Lang, ReplyTo           *string
	Hashtags                []string
	CreatedAt               time.Time
}

// post returns the stored post with this at-uri, if any.
func (h *harness) post(t *testing.T, uri string) (storedPost, bool) {
	t.Helper()
	var p storedPost
	err := h.pool.QueryRow(context.Background(), `SELECT handle, version_id, text, lang, reply_to, hashtags, created_at
		FROM tweets WHERE network = 'bluesky' AND id = $1`, uri).
		Scan(&p.Handle, &p.VersionID, &p.Text, &p.Lang, &p.ReplyTo, &p.Hashtags, &p.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return p, false
	}
	if err != nil {
		t.Fatal(err)
	}
	return p, true
}

func (h *harness) waitPost(t *testing.T, uri string) storedPost {
	t.Helper()
	var p storedPost
	testkit.EventuallyDescribed(t, func() bool { var ok bool; p, ok = h.post(t, uri); return ok },
		func() string { return uri + " not stored" })
	return p
}

func (h *harness) cursor(t *testing.T) int64 {
	t.Helper()
	var pos string
	err := h.pool.QueryRow(context.Background(), `SELECT position FROM source_cursors WHERE source = 'bluesky:jetstream'`).Scan(&pos)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.ParseInt(pos, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func (h *harness) waitCursor(t *testing.T, atLeast int64) int64 {
	t.Helper()
	var got int64
	testkit.EventuallyDescribed(t, func() bool { got = h.cursor(t); return got >= atLeast },
		func() string { return "cursor " + strconv.FormatInt(got, 10) + " < " + strconv.FormatInt(atLeast, 10) })
	return got
}

func cursorOf(t *testing.T, q map[string][]string) int64 {
	t.Helper()
	if len(q["cursor"]) != 1 {
		t.Fatalf("subscribe without one cursor: %v", q)
	}
	n, err := strconv.ParseInt(q["cursor"][0], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// metric sums a metric's series.
func metric(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			sum += m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	return sum
}

func TestFacetPostVerifiesClaimOfResolvedHandle(t *testing.T) {
	t.Parallel()
	h := setup(t)
	h.srv.SetProfile(jisu, "Jisu.bsky.social")
	c := h.claim(t, "jisu.bsky.social")
	r := h.start(t, h.config())
	h.connected(t, 1)
	sub := h.srv.Subscribes()[0]
	if got := sub["wantedCollections"]; !slices.Equal(got, []string{"app.bsky.feed.post"}) {
		t.Errorf("wantedCollections = %v", got)
	}
	if cur := cursorOf(t, sub); time.Since(time.UnixMicro(cur)) > time.Minute {
		t.Errorf("first start resumes from %v, want about now", time.UnixMicro(cur))
	}

	ev := h.srv.Push(blueskytest.Create(jisu, "3l3qo2vutsw2b", both()))[0]
	h.waitStatus(t, c, "verified")
	uri := blueskytest.PostURI(jisu, "3l3qo2vutsw2b")
	got, err := h.gv.ClaimByToken(context.Background(), c.Token)
	if err != nil || got.TweetID == nil || *got.TweetID != uri {
		t.Errorf("claim verified by %v, want %s (err %v)", got.TweetID, uri, err)
	}
	p, _ := h.post(t, uri)
	if p.Handle != "jisu.bsky.social" || !slices.Equal(p.Hashtags, []string{"PyConAPAC", "Elastic"}) ||
		p.Text != korean || p.Lang == nil || *p.Lang != "ko" {
		t.Errorf("stored %+v", p)
	}
	if p.VersionID != "0000"+strconv.FormatInt(ev.TimeUS, 10) {
		t.Errorf("version id %q, want time_us %d at 20 digits", p.VersionID, ev.TimeUS)
	}
	if cur := h.waitCursor(t, ev.TimeUS); cur != ev.TimeUS {
		t.Errorf("cursor %d, want the post's time_us %d", cur, ev.TimeUS)
	}
	st := r.client.Status()
	if !st.Connected || !st.Leader || st.Detail["posts_kept"] != int64(1) || st.Detail["cursor"] == nil {
		t.Errorf("status %v", st)
	}
	if n := metric(t, r.reg, "giveaway_bluesky_posts_kept_total"); n != 1 {
		t.Errorf("posts kept metric %v", n)
	}
}

func TestTagsFromTagsArrayOrTextAndLackingOneIsNotStored(t *testing.T) {
	t.Parallel()
	h := setup(t)
	h.srv.SetProfile(jisu, "jisu.bsky.social")
	h.srv.SetProfile(minho, "minho.example.com")
	cj, cm := h.claim(t, "jisu.bsky.social"), h.claim(t, "minho.example.com")
	h.start(t, h.config())
	h.connected(t, 1)
	h.srv.Push(
		blueskytest.Create(jisu, "lacking", blueskytest.Post{Text: "부스 #PyConAPAC",
			Facets: blueskytest.TagFacets("부스 #PyConAPAC", "PyConAPAC"), Tags: []string{"booth"}}),
		blueskytest.Create(jisu, "tags", blueskytest.Post{Text: "경품 받았다", Tags: []string{"PyConAPAC", "elastic"}}),
		blueskytest.Create(minho, "text", blueskytest.Post{Text: "부스 #pyconapac ＃ＥＬＡＳＴＩＣ"}),
	)
	h.waitStatus(t, cj, "verified")
	h.waitStatus(t, cm, "verified")
	if p := h.waitPost(t, blueskytest.PostURI(minho, "text")); !slices.Equal(p.Hashtags, []string{"pyconapac", "ＥＬＡＳＴＩＣ"}) {
		t.Errorf("hashtags from text %q", p.Hashtags)
	}
	if _, ok := h.post(t, blueskytest.PostURI(jisu, "lacking")); ok {
		t.Error("a post lacking #Elastic was stored")
	}
	var n int
	h.pool.QueryRow(context.Background(), `SELECT count(*) FROM tweets`).Scan(&n)
	if n != 2 {
		t.Errorf("%d posts stored, want 2", n)
	}
}

func TestClaimAfterPostIsVerifiedAtOnce(t *testing.T) {
	t.Parallel()
	h := setup(t)
	h.srv.SetProfile(jisu, "jisu.bsky.social")
	h.start(t, h.config())
	h.connected(t, 1)
	h.srv.Push(blueskytest.Create(jisu, "first", both()))
	h.waitPost(t, blueskytest.PostURI(jisu, "first"))
	if c := h.claim(t, "@Jisu.bsky.social"); c.Status != "verified" {
		t.Errorf("claim after the post is %s", c.Status)
	}
}

func TestIdentityEventChangesHandle(t *testing.T) {
	t.Parallel()
	h := setup(t)
	h.srv.SetProfile(jisu, "old-name.bsky.social")
	c := h.claim(t, "jisu.bsky.social")
	h.start(t, h.config())
	h.connected(t, 1)
	h.srv.Push(blueskytest.Create(jisu, "before", both()))
	if p := h.waitPost(t, blueskytest.PostURI(jisu, "before")); p.Handle != "old-name.bsky.social" {
		t.Fatalf("handle %q", p.Handle)
	}
	if s := h.status(t, c); s != "pending" {
		t.Fatalf("claim %s before the rename", s)
	}
	h.srv.Push(
		blueskytest.IdentityEvent(jisu, "jisu.bsky.social"),
		blueskytest.IdentityEvent("did:plc:stranger", "stranger.bsky.social"), // not ours: no row
		blueskytest.Create(jisu, "after", both()),
	)
	h.waitStatus(t, c, "verified")
	if p, _ := h.post(t, blueskytest.PostURI(jisu, "after")); p.Handle != "jisu.bsky.social" {
		t.Errorf("post after the rename has handle %q", p.Handle)
	}
	rows, _ := h.pool.Query(context.Background(), `SELECT did || '=' || handle FROM bluesky_handles ORDER BY did`)
	cached, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || !slices.Equal(cached, []string{jisu + "=jisu.bsky.social"}) {
		t.Errorf("cached handles %v (err %v)", cached, err)
	}
	if n := len(h.srv.Lookups()); n != 1 {
		t.Errorf("%d AppView lookups, want 1: the identity event names the new handle", n)
	}
}

func TestDeleteOfStoredPostOnlyLeavesATombstone(t *testing.T) {
	t.Parallel()
	h := setup(t)
	h.srv.SetProfile(jisu, "jisu.bsky.social")
	c := h.claim(t, "jisu.bsky.social")
	h.start(t, h.config())
	h.connected(t, 1)
	h.srv.Push(blueskytest.Create(jisu, "mine", both()))
	h.waitStatus(t, c, "verified")

	h.srv.Push(
		blueskytest.Delete(minho, "somebody-elses"), // the firehose carries every deletion
		blueskytest.Delete(jisu, "mine"),
	)
	testkit.EventuallyDescribed(t, func() bool { _, ok := h.post(t, blueskytest.PostURI(jisu, "mine")); return !ok },
		func() string { return "deleted post still stored" })
	h.waitStatus(t, c, "pending") // verified only by the deleted post
	rows, _ := h.pool.Query(context.Background(), `SELECT id FROM tweet_tombstones ORDER BY id`)
	tombs, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || !slices.Equal(tombs, []string{blueskytest.PostURI(jisu, "mine")}) {
		t.Errorf("tombstones %v (err %v)", tombs, err)
	}

	// Created and deleted within one batch: never visible, and a replay cannot bring it back.
	h.srv.Push(blueskytest.Create(jisu, "oops", both()), blueskytest.Delete(jisu, "oops"))
	testkit.EventuallyDescribed(t, func() bool {
		var n int
		h.pool.QueryRow(context.Background(), `SELECT count(*) FROM tweet_tombstones`).Scan(&n)
		return n == 2
	}, func() string { return "no tombstone for a post deleted in its own batch" })
	if _, ok := h.post(t, blueskytest.PostURI(jisu, "oops")); ok {
		t.Error("post deleted in its own batch is stored")
	}
}

func TestUpdateReplacesStoredPost(t *testing.T) {
	t.Parallel()
	h := setup(t)
	h.srv.SetProfile(jisu, "jisu.bsky.social")
	h.start(t, h.config())
	h.connected(t, 1)
	uri := blueskytest.PostURI(jisu, "edited")
	first := h.srv.Push(blueskytest.Create(jisu, "edited", both()))[0]
	h.waitPost(t, uri)
	second := h.srv.Push(blueskytest.Update(jisu, "edited", blueskytest.Post{Text: "태그 뺐어요"}))[0]
	var p storedPost
	testkit.EventuallyDescribed(t, func() bool { p, _ = h.post(t, uri); return p.Text == "태그 뺐어요" },
		func() string { return "edit without the tags not applied: " + p.Text })
	if len(p.Hashtags) != 0 || p.VersionID <= "0000"+strconv.FormatInt(first.TimeUS, 10) ||
		p.VersionID != "0000"+strconv.FormatInt(second.TimeUS, 10) {
		t.Errorf("after the edit: %+v", p)
	}
	// An edit of a post we never stored stays out.
	h.srv.Push(blueskytest.Update(minho, "unknown", blueskytest.Post{Text: "no tags"}),
		blueskytest.Create(jisu, "marker", both()))
	h.waitPost(t, blueskytest.PostURI(jisu, "marker"))
	if _, ok := h.post(t, blueskytest.PostURI(minho, "unknown")); ok {
		t.Error("an edit without the tags of an unknown post was stored")
	}
}

func TestUnresolvableAuthorKeepsPostUnderDID(t *testing.T) {
	t.Parallel()
	h := setup(t)
	h.srv.SetProfile(minho, "handle.invalid")
	h.start(t, h.config())
	h.connected(t, 1)
	h.srv.Push(blueskytest.Create(jisu, "unknown-did", both()), blueskytest.Create(minho, "invalid", both()))
	if p := h.waitPost(t, blueskytest.PostURI(jisu, "unknown-did")); p.Handle != jisu {
		t.Errorf("handle %q, want the DID", p.Handle)
	}
	if p := h.waitPost(t, blueskytest.PostURI(minho, "invalid")); p.Handle != minho {
		t.Errorf("handle %q, want the DID", p.Handle)
	}
}

func TestReconnectsAfterDropFromSavedCursorMinusRewind(t *testing.T) {
	t.Parallel()
	h := setup(t)
	h.srv.SetProfile(jisu, "jisu.bsky.social")
	r := h.start(t, h.config())
	h.connected(t, 1)
	ev := h.srv.Push(blueskytest.Create(jisu, "before-drop", both()))[0]
	saved := h.waitCursor(t, ev.TimeUS)

	h.srv.Drop()
	h.connected(t, 2)
	if got := cursorOf(t, h.srv.Subscribes()[1]); got != saved-rewind.Microseconds() {
		t.Errorf("reconnected from %d, want saved %d minus 5 s", got, saved)
	}
	if got := r.sleeps.got(); !slices.Equal(got, []time.Duration{time.Second}) {
		t.Errorf("waits %v, want one of 1 s", got)
	}
	if st := r.client.Status(); st.Reconnects != 1 {
		t.Errorf("status %v", st)
	}
	c := h.claim(t, "jisu.bsky.social") // verified by the stored post
	if c.Status != "verified" {
		t.Errorf("claim %s", c.Status)
	}
	h.srv.Push(blueskytest.Create(jisu, "after-drop", both()))
	h.waitPost(t, blueskytest.PostURI(jisu, "after-drop"))
}

func TestRestartResumesFromPersistedCursor(t *testing.T) {
	t.Parallel()
	h := setup(t)
	h.srv.SetProfile(jisu, "jisu.bsky.social")
	first := h.start(t, h.config())
	h.connected(t, 1)
	ev := h.srv.Push(blueskytest.Create(jisu, "day1", both()))[0]
	saved := h.waitCursor(t, ev.TimeUS)
	first.stop()

	// Posted while the service was down.
	c := h.claim(t, "jisu.bsky.social")
	if c.Status != "verified" {
		t.Fatalf("claim %s", c.Status)
	}
	h.srv.Push(blueskytest.Create(jisu, "while-down", both()))
	h.start(t, h.config())
	h.connected(t, 2)
	if got := cursorOf(t, h.srv.Subscribes()[1]); got != saved-rewind.Microseconds() {
		t.Errorf("restart resumed from %d, want %d", got, saved-rewind.Microseconds())
	}
	if p := h.waitPost(t, blueskytest.PostURI(jisu, "while-down")); p.Handle != "jisu.bsky.social" {
		t.Errorf("handle %q", p.Handle)
	}
	if n := len(h.srv.Lookups()); n != 1 {
		t.Errorf("%d AppView lookups, want 1: the restart reads the saved handle", n)
	}
}

func TestGarbageIsSkipped(t *testing.T) {
	t.Parallel()
	h := setup(t)
	h.srv.SetProfile(jisu, "jisu.bsky.social")
	r := h.start(t, h.config())
	h.connected(t, 1)
	h.srv.PushRaw(`not json`)
	h.srv.PushRaw(`{"kind":"commit","did":"did:plc:x"}`)
	h.srv.PushRaw(`{"did":"did:plc:x","time_us":1,"kind":"commit","commit":{"operation":"create","collection":"app.bsky.feed.post","rkey":"r","record":{"text":5}}}`)
	h.srv.Push(blueskytest.AccountEvent(jisu, true), blueskytest.Create(jisu, "after-garbage", both()))
	h.waitPost(t, blueskytest.PostURI(jisu, "after-garbage"))
	if n := metric(t, r.reg, "giveaway_bluesky_bad_messages_total"); n != 3 {
		t.Errorf("bad messages counted %v, want 3", n)
	}
	if n := len(h.srv.Subscribes()); n != 1 {
		t.Errorf("%d connections: garbage must not end one", n)
	}
}

func TestAppViewFailureLosesNoPost(t *testing.T) {
	t.Parallel()
	h := setup(t)
	h.srv.SetProfile(jisu, "jisu.bsky.social")
	h.srv.FailLookups(3)
	c := h.claim(t, "jisu.bsky.social")
	r := h.start(t, h.config())
	h.connected(t, 1)
	h.srv.Push(blueskytest.Create(jisu, "during-outage", both()))
	h.waitStatus(t, c, "verified")
	if n := len(h.srv.Lookups()); n != 4 {
		t.Errorf("%d AppView lookups, want 3 failed and 1 good", n)
	}
	if got := r.sleeps.got(); !slices.Equal(got, []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}) {
		t.Errorf("waits %v, want 1 s, 2 s, 4 s", got)
	}
}

func TestStallIsADrop(t *testing.T) {
	t.Parallel()
	h := setup(t)
	cfg := h.config()
	cfg.StallTimeout = 100 * time.Millisecond
	r := h.start(t, cfg)
	h.connected(t, 2) // nothing arrives, so the client gives up on the first connection
	if n := metric(t, r.reg, "giveaway_source_reconnects_total"); n < 1 {
		t.Errorf("reconnects %v", n)
	}
}

func TestRefusedHandshakesBackOffAndAHealthyConnectionResets(t *testing.T) {
	t.Parallel()
	h := setup(t)
	h.srv.SetProfile(jisu, "jisu.bsky.social")
	h.srv.RefuseHandshakes(3)
	r := h.start(t, h.config())
	h.connected(t, 4)
	h.srv.Push(blueskytest.Create(jisu, "healthy", both()))
	h.waitPost(t, blueskytest.PostURI(jisu, "healthy"))
	h.srv.Drop()
	h.connected(t, 5)
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, time.Second}
	if got := r.sleeps.got(); !slices.Equal(got, want) {
		t.Errorf("waits %v, want %v", got, want)
	}
}

func TestNewCampaignReplaysWhatWentBy(t *testing.T) {
	t.Parallel()
	h := setup(t)
	h.srv.SetProfile(minho, "minho.bsky.social")
	r := h.start(t, h.config())
	h.connected(t, 1)
	// Nobody listens for these yet: the marker shows the reader has passed the post.
	h.srv.Push(blueskytest.Create(minho, "early", blueskytest.Post{Text: "#GopherCon #Korea 시작!"}))
	marker := h.srv.Push(blueskytest.Create(jisu, "marker", both()))[0]
	h.waitCursor(t, marker.TimeUS)
	if _, ok := h.post(t, blueskytest.PostURI(minho, "early")); ok {
		t.Fatal("post stored before its campaign existed")
	}
	h.campaign(t, "gopherconkr", "GopherCon", "Korea")
	r.client.CampaignsChanged()
	h.waitPost(t, blueskytest.PostURI(minho, "early"))
	if st := r.client.Status(); st.Detail["campaigns"] != 2 {
		t.Errorf("status %v", st)
	}
}

func TestOnlyOneInstanceReads(t *testing.T) {
	t.Parallel()
	h := setup(t)
	first := h.start(t, h.config())
	h.connected(t, 1)
	second := h.start(t, h.config())
	time.Sleep(1500 * time.Millisecond) // several of the standby's tries
	if n := len(h.srv.Subscribes()); n != 1 {
		t.Fatalf("%d connections with two instances, want 1", n)
	}
	if st := second.client.Status(); st.Leader {
		t.Errorf("standby status %v", st)
	}
	first.stop()
	h.connected(t, 2) // the standby takes over
}

func TestCursorMovesWhenNothingMatches(t *testing.T) {
	t.Parallel()
	h := setup(t)
	h.start(t, h.config())
	h.connected(t, 1)
	evs := h.srv.Push(
		blueskytest.Create(minho, "chatter", blueskytest.Post{Text: "점심 뭐 먹지 #lunch"}),
		blueskytest.Delete(minho, "older"),
		blueskytest.IdentityEvent(minho, "minho.bsky.social"),
	)
	// A restart must not replay the firehose since the last matching post.
	h.waitCursor(t, evs[2].TimeUS)
	var n int
	h.pool.QueryRow(context.Background(), `SELECT (SELECT count(*) FROM tweets) + (SELECT count(*) FROM tweet_tombstones)
		+ (SELECT count(*) FROM bluesky_handles)`).Scan(&n)
	if n != 0 {
		t.Errorf("%d rows written for posts, deletes and handles of nobody we follow", n)
	}
}

// gate is a sink that fails while closed.
type gate struct {
	mu     sync.Mutex
	closed bool
	calls  int
	sink   ingest.Sink
}

func (g *gate) Ingest(ctx context.Context, items []tweet.Item) (ingest.Result, error) {
	g.mu.Lock()
	closed := g.closed
	g.calls++
	g.mu.Unlock()
	if closed {
		return ingest.Result{}, errors.New("database unavailable")
	}
	return g.sink.Ingest(ctx, items)
}

func (g *gate) set(closed bool) (calls int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.closed = closed
	return g.calls
}

func TestCursorWaitsForTheSink(t *testing.T) {
	t.Parallel()
	h := setup(t)
	h.srv.SetProfile(jisu, "jisu.bsky.social")
	g := &gate{closed: true, sink: ingest.New(h.pool, nil)}
	cfg := h.config()
	cfg.Sleep = func(ctx context.Context, d time.Duration) error {
		time.Sleep(5 * time.Millisecond) // short, but no busy loop against the failing sink
		return ctx.Err()
	}
	c, err := bluesky.New(cfg, h.pool, g, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); c.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	h.connected(t, 1)
	before := h.cursor(t)
	ev := h.srv.Push(blueskytest.Create(jisu, "held", both()))[0]
	testkit.EventuallyDescribed(t, func() bool { return g.set(true) >= 3 }, func() string { return "sink not retried" })
	if cur := h.cursor(t); cur >= ev.TimeUS || cur != before {
		t.Errorf("cursor moved to %d while the post was not stored (post at %d)", cur, ev.TimeUS)
	}
	if st := c.Status(); st.Pending != 1 || st.LastError == "" {
		t.Errorf("status while failing %v", st)
	}
	g.set(false)
	h.waitPost(t, blueskytest.PostURI(jisu, "held"))
	h.waitCursor(t, ev.TimeUS)
}

// Jetstream keeps 36 hours of events and silently starts from its oldest one when asked for an
// older cursor: the reader says which stretch could not be read, in the log, the metrics, the
// database (for the report) and /readyz.
func TestCursorOlderThanJetstreamsWindowIsRecordedAsAGap(t *testing.T) {
	t.Parallel()
	h := setup(t)
	h.srv.SetProfile(jisu, "jisu.bsky.social")
	now := time.Now()
	saved := now.Add(-48 * time.Hour)
	if err := store.New(h.pool).SaveSourceCursor(context.Background(), store.SaveSourceCursorParams{
		Source: "bluesky:jetstream", Position: strconv.FormatInt(saved.UnixMicro(), 10)}); err != nil {
		t.Fatal(err)
	}
	lost := blueskytest.Create(jisu, "lost", both())
	lost.TimeUS = now.Add(-40 * time.Hour).UnixMicro()
	h.srv.Push(lost, blueskytest.Create(jisu, "kept", both()))
	r := h.start(t, h.config())
	h.waitPost(t, blueskytest.PostURI(jisu, "kept"))
	if _, ok := h.post(t, blueskytest.PostURI(jisu, "lost")); ok {
		t.Errorf("a post older than Jetstream's window was replayed; the double must clamp as Jetstream does")
	}

	gaps, err := store.New(h.pool).RecentSourceGaps(context.Background(), store.RecentSourceGapsParams{MaxRows: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(gaps) != 1 {
		t.Fatalf("gaps %+v, want one", gaps)
	}
	g := gaps[0]
	// The cursor was saved 48 h ago, less the 5 s rewind; Jetstream reaches back 36 h from now.
	if g.Source != "bluesky" || g.Kind != "cursor_too_old" ||
		g.FromAt.Sub(saved).Abs() > 10*time.Second || g.ToAt.Sub(now.Add(-36*time.Hour)).Abs() > time.Minute {
		t.Errorf("gap %+v, want cursor_too_old from %v to %v", g, saved, now.Add(-36*time.Hour))
	}
	if got := metric(t, r.reg, "giveaway_source_gaps_total"); got != 1 {
		t.Errorf("gaps metric %v, want 1", got)
	}
	st := r.client.Status()
	if len(st.Degraded) != 1 || !strings.Contains(st.Degraded[0], "could not be read") {
		t.Errorf("degraded %q, want the stretch that could not be read", st.Degraded)
	}
}

// Right after an identity event that names no handle the AppView may still answer the old one;
// the reader asks again shortly instead of keeping that answer for a day.
func TestHandleIsAskedAgainShortlyAfterAnIdentityEvent(t *testing.T) {
	t.Parallel()
	h := setup(t)
	h.srv.SetProfile(jisu, "old-name.bsky.social")
	c := h.claim(t, "jisu.bsky.social")
	cfg := h.config()
	cfg.IdentityRecheck = time.Millisecond
	h.start(t, cfg)
	h.connected(t, 1)
	h.srv.Push(blueskytest.Create(jisu, "before", both()))
	if p := h.waitPost(t, blueskytest.PostURI(jisu, "before")); p.Handle != "old-name.bsky.social" {
		t.Fatalf("handle %q", p.Handle)
	}
	// The event names no handle; the AppView has not caught up yet and answers the old one.
	h.srv.Push(blueskytest.IdentityEvent(jisu, ""))
	testkit.Eventually(t, "the handle to be asked again", func() bool { return len(h.srv.Lookups()) == 2 })
	h.srv.SetProfile(jisu, "jisu.bsky.social") // caught up
	h.srv.Push(blueskytest.Create(jisu, "after", both()))
	h.waitStatus(t, c, "verified")
	if p, _ := h.post(t, blueskytest.PostURI(jisu, "after")); p.Handle != "jisu.bsky.social" {
		t.Errorf("post after the rename has handle %q", p.Handle)
	}
}
