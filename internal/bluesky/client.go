// Package bluesky reads Bluesky posts from a Jetstream websocket: every post on the network, since
// Jetstream cannot filter by hashtag. It keeps those carrying a listening campaign's hashtags,
// names their authors by handle (claims name handles, posts carry DIDs), and hands them in batches
// to the ingest path. The cursor is saved after each batch is stored, so a restart resumes where
// it stopped; one instance reads at a time, elected through a PostgreSQL advisory lock.
package bluesky

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/boothgiveaway/giveaway/internal/ingest"
	"github.com/boothgiveaway/giveaway/internal/leader"
	"github.com/boothgiveaway/giveaway/internal/retry"
	"github.com/boothgiveaway/giveaway/internal/source"
	"github.com/boothgiveaway/giveaway/internal/store"
	"github.com/boothgiveaway/giveaway/internal/tweet"
)

// cursorSource names the saved position in source_cursors.
const cursorSource = "bluesky:jetstream"

// Client reads Jetstream. Make it with New and start it with Run.
type Client struct {
	cfg  Config
	pool *pgxpool.Pool
	sink ingest.Sink
	log  *slog.Logger
	m    metrics

	camps      atomic.Pointer[campaignSet]
	refreshNow chan struct{}
	committed  atomic.Int64 // time_us the next connection resumes from (before the rewind)
	replayFrom atomic.Int64 // an earlier time_us to resume from at once, when a campaign appeared
	replay     chan struct{}

	mu sync.Mutex
	st state
}

type state struct {
	leader         bool
	connected      bool
	connectedSince time.Time
	lastEvent      time.Time // when the last message arrived
	reconnects     int64
	events         int64
	postsKept      int64
	badMessages    int64
	pending        int
	lastError      string
	nextAttempt    time.Time
	// lost is the last stretch Jetstream could not replay (the cursor was older than its window).
	lostFrom, lostTo time.Time
}

type metrics struct {
	source.Metrics              // leader, connected, reconnects by cause
	events                      *prometheus.CounterVec
	kept, bad, dropped          prometheus.Counter
	appViewErrors, ingestErrors prometheus.Counter
}

// New makes a client. reg may be nil (no metrics registered).
func New(cfg Config, pool *pgxpool.Pool, sink ingest.Sink, reg prometheus.Registerer) (*Client, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	c := &Client{cfg: cfg, pool: pool, sink: sink, log: cfg.Logger,
		refreshNow: make(chan struct{}, 1), replay: make(chan struct{}, 1)}
	shared, err := source.NewMetrics(reg, c.Name())
	if err != nil {
		return nil, err
	}
	c.m = metrics{
		Metrics: shared,
		events: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "giveaway_bluesky_events_total",
			Help: "Jetstream messages read, by kind (commit, identity, account, other)."}, []string{"kind"}),
		kept: prometheus.NewCounter(prometheus.CounterOpts{Name: "giveaway_bluesky_posts_kept_total",
			Help: "Posts that carried a listening campaign's hashtags and went to the ingest path."}),
		bad: prometheus.NewCounter(prometheus.CounterOpts{Name: "giveaway_bluesky_bad_messages_total",
			Help: "Jetstream messages that could not be read, skipped."}),
		dropped: prometheus.NewCounter(prometheus.CounterOpts{Name: "giveaway_bluesky_posts_refused_total",
			Help: "Posts the database refused as invalid data, skipped so they do not hold up the stream."}),
		appViewErrors: prometheus.NewCounter(prometheus.CounterOpts{Name: "giveaway_bluesky_appview_errors_total",
			Help: "Failed DID-to-handle lookups at the AppView (retried)."}),
		ingestErrors: prometheus.NewCounter(prometheus.CounterOpts{Name: "giveaway_bluesky_ingest_errors_total",
			Help: "Failed attempts to store a batch (retried)."}),
	}
	lag := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "giveaway_bluesky_cursor_lag_seconds",
		Help: "How far the saved cursor is behind now: what a restart would replay."}, func() float64 {
		if cur := c.committed.Load(); cur > 0 {
			return c.cfg.Now().Sub(time.UnixMicro(cur)).Seconds()
		}
		return 0
	})
	if err := source.Register(reg, c.m.events, c.m.kept, c.m.bad, c.m.dropped, c.m.appViewErrors,
		c.m.ingestErrors, lag); err != nil {
		return nil, err
	}
	return c, nil
}

var _ source.Source = (*Client)(nil)

// Name is the reader's key in /readyz.
func (c *Client) Name() string { return "bluesky" }

// Status is the reader's state for /readyz and the admin.
func (c *Client) Status() source.Status {
	c.mu.Lock()
	st := c.st
	c.mu.Unlock()
	d := map[string]any{
		"events":       st.events,
		"posts_kept":   st.postsKept,
		"bad_messages": st.badMessages,
	}
	if cs := c.camps.Load(); cs != nil {
		d["campaigns"] = len(cs.required)
	}
	if !st.lastEvent.IsZero() {
		d["last_event"] = st.lastEvent
	}
	if cur := c.committed.Load(); cur > 0 && st.leader {
		t := time.UnixMicro(cur).UTC()
		d["cursor"] = t
		d["cursor_lag_seconds"] = c.cfg.Now().Sub(t).Seconds()
	}
	var degraded []string
	if !st.lostTo.IsZero() {
		degraded = append(degraded, fmt.Sprintf("posts between %s and %s could not be read: the saved cursor was older than the %v Jetstream keeps",
			st.lostFrom.Format(time.RFC3339), st.lostTo.Format(time.RFC3339), c.cfg.ReplayWindow))
	}
	return source.Status{Leader: st.leader, Connected: st.connected, ConnectedSince: st.connectedSince,
		Reconnects: st.reconnects, Pending: st.pending, LastError: st.lastError, NextAttempt: st.nextAttempt,
		Degraded: degraded, Detail: d}
}

func (c *Client) update(f func(*state)) {
	c.mu.Lock()
	f(&c.st)
	c.mu.Unlock()
}

// CampaignsChanged asks the reader, if this instance runs it, to re-read the campaigns now
// instead of at the next RefreshInterval.
func (c *Client) CampaignsChanged() {
	select {
	case c.refreshNow <- struct{}{}:
	default:
	}
}

// Run reads Bluesky while this instance holds the "bluesky" leader lock, reconnecting with
// backoff on every error. It returns when ctx ends, after storing what was read.
func (c *Client) Run(ctx context.Context) error {
	err := leader.Run(ctx, c.pool, "bluesky", c.cfg.LeaseRetry, c.lead)
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// lead is the reader while this instance holds the lock.
func (c *Client) lead(ctx context.Context) error {
	c.update(func(s *state) { s.leader = true })
	c.m.Leader.Set(1)
	defer func() {
		c.update(func(s *state) { s.leader = false })
		c.m.Leader.Set(0)
	}()
	if err := c.retry(ctx, "load the saved cursor", c.loadCursor); err != nil {
		return err
	}
	if err := c.retry(ctx, "load the campaigns", func(ctx context.Context) error {
		return c.loadCampaigns(ctx, false)
	}); err != nil {
		return err
	}

	events := make(chan event, 1024)
	var wg sync.WaitGroup
	wg.Go(func() { c.refreshLoop(ctx) })
	wg.Go(func() { newProcessor(c).run(ctx, events) })
	c.streamLoop(ctx, events)
	close(events) // the processor stores what is left, then returns
	wg.Wait()
	return ctx.Err()
}

// retry runs f until it succeeds or ctx ends, waiting between attempts.
func (c *Client) retry(ctx context.Context, what string, f func(context.Context) error) error {
	var b backoff
	for {
		err := f(ctx)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		wait := b.next()
		c.log.Error("bluesky: could not "+what+"; retrying", "err", err, "wait", wait)
		c.update(func(s *state) { s.lastError = what + ": " + err.Error() })
		if err := c.cfg.Sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// loadCursor sets where the first connection resumes. With nothing saved (the first start), it
// is now: the stream before the service existed holds nothing it needs.
func (c *Client) loadCursor(ctx context.Context) error {
	pos, err := store.New(c.pool).SourceCursor(ctx, cursorSource)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		c.committed.Store(c.cfg.Now().UnixMicro())
		return nil
	case err != nil:
		return err
	}
	cur, err := parseCursor(pos)
	if err != nil {
		c.log.Error("saved Jetstream cursor unreadable; starting from now", "err", err)
		cur = c.cfg.Now().UnixMicro()
	}
	c.committed.Store(cur)
	return nil
}

// campaignSet is what the filter checks each post against: the required hashtags, normalized,
// of each listening campaign that has some.
type campaignSet struct {
	ids      map[int64]bool
	required [][]string
	loadedAt time.Time
}

func (cs *campaignSet) wants(norm []string) bool {
	if cs == nil || len(norm) == 0 {
		return false
	}
	for _, r := range cs.required {
		if tweet.HasAll(norm, r) {
			return true
		}
	}
	return false
}

// loadCampaigns re-reads the listening campaigns. When one appeared since the last read, the
// stream is replayed from that read on: its first posts went by while nobody listened for them.
func (c *Client) loadCampaigns(ctx context.Context, replayNew bool) error {
	now := c.cfg.Now()
	rows, err := store.New(c.pool).ListeningCampaigns(ctx, now)
	if err != nil {
		return err
	}
	cs := &campaignSet{ids: map[int64]bool{}, loadedAt: now}
	for _, r := range rows {
		cs.ids[r.ID] = true
		var req []string
		for _, h := range r.RequiredHashtags {
			if n := tweet.Normalize(h); n != "" {
				req = append(req, n)
			}
		}
		// A campaign without required hashtags would keep every post on Bluesky.
		if len(req) > 0 {
			cs.required = append(cs.required, req)
		}
	}
	old := c.camps.Swap(cs)
	if replayNew && old != nil {
		for id := range cs.ids {
			if !old.ids[id] {
				c.requestReplay(old.loadedAt)
				break
			}
		}
	}
	return nil
}

func (c *Client) refreshLoop(ctx context.Context) {
	t := time.NewTicker(c.cfg.RefreshInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-c.refreshNow:
		}
		if err := c.loadCampaigns(ctx, true); err != nil && ctx.Err() == nil {
			c.log.Error("bluesky: could not re-read the campaigns; keeping the last list", "err", err)
		}
	}
}

// requestReplay makes the stream resume from since (minus the rewind) at once.
func (c *Client) requestReplay(since time.Time) {
	us := since.UnixMicro()
	for {
		cur := c.replayFrom.Load()
		if cur != 0 && cur <= us {
			break
		}
		if c.replayFrom.CompareAndSwap(cur, us) {
			break
		}
	}
	select {
	case c.replay <- struct{}{}:
	default:
	}
}

// backoff is the wait between attempts: 1 s doubling to a minute. The zero value is ready.
type backoff struct{ s retry.BackOff }

func (b *backoff) reset() { b.s = nil }

func (b *backoff) next() time.Duration {
	if b.s == nil {
		b.s = retry.Exponential(time.Second, time.Minute)
	}
	return b.s.NextBackOff()
}
