// Package xstream reads the X API v2 filtered stream: it keeps one stream rule pair per active
// campaign, holds the single stream connection X allows per project (one instance at a time,
// elected through a PostgreSQL advisory lock), reconnects on X's documented schedule and hands
// parsed posts in batches to the ingest path.
package xstream

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/boothgiveaway/giveaway/internal/ingest"
	"github.com/boothgiveaway/giveaway/internal/leader"
	"github.com/boothgiveaway/giveaway/internal/source"
	"github.com/boothgiveaway/giveaway/internal/tweet"
)

// state is the stream's state, reported by Status.
type state struct {
	Leader            bool // this instance holds the stream lock
	Connected         bool // the stream answered 200 and is open
	ConnectedSince    time.Time
	LastData          time.Time // last byte received, keep-alives included
	LastPost          time.Time
	Reconnects        int64
	PostsReceived     int64
	EstimatedSpendUSD float64
	Rules             int // our rules in place after the last reconcile
	RulesReconciledAt time.Time
	LastError         string
	NextAttempt       time.Time
}

// Client runs the X stream. Make it with New and start it with Run.
type Client struct {
	cfg  Config
	pool *pgxpool.Pool
	sink ingest.Sink
	log  *slog.Logger
	m    metrics

	reconcile       chan struct{}
	pending         atomic.Int64
	backfillRefused atomic.Bool // X answered backfill_minutes with 400: asked no more

	mu sync.Mutex
	st state
}

var _ source.Source = (*Client)(nil)

type metrics struct {
	source.Metrics         // leader, connected, reconnects by cause
	lastData               prometheus.Gauge
	posts, spend, badLines prometheus.Counter
}

// New makes a client. reg may be nil (no metrics registered).
func New(cfg Config, pool *pgxpool.Pool, sink ingest.Sink, reg prometheus.Registerer) (*Client, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	c := &Client{cfg: cfg, pool: pool, sink: sink, log: cfg.Logger, reconcile: make(chan struct{}, 1)}
	shared, err := source.NewMetrics(reg, c.Name())
	if err != nil {
		return nil, err
	}
	c.m = metrics{
		Metrics: shared,
		lastData: prometheus.NewGauge(prometheus.GaugeOpts{Name: "giveaway_xstream_last_data_timestamp_seconds",
			Help: "Unix time of the last byte (post or keep-alive) read from the stream."}),
		posts: prometheus.NewCounter(prometheus.CounterOpts{Name: "giveaway_xstream_posts_received_total",
			Help: "Posts read from the stream (X bills each)."}),
		spend: prometheus.NewCounter(prometheus.CounterOpts{Name: "giveaway_xstream_estimated_spend_usd_total",
			Help: "Estimated X API spend: posts read times X_PRICE_PER_POST."}),
		badLines: prometheus.NewCounter(prometheus.CounterOpts{Name: "giveaway_xstream_bad_lines_total",
			Help: "Stream lines that were not a post, delete or keep-alive, skipped."}),
	}
	if err := source.Register(reg, c.m.lastData, c.m.posts, c.m.spend, c.m.badLines); err != nil {
		return nil, err
	}
	return c, nil
}

// Name is the stream's key in /readyz.
func (c *Client) Name() string { return "x_stream" }

// Status returns a snapshot of the stream's state.
func (c *Client) Status() source.Status {
	c.mu.Lock()
	st := c.st
	c.mu.Unlock()
	d := map[string]any{
		"posts_received":      st.PostsReceived,
		"estimated_spend_usd": st.EstimatedSpendUSD,
		"rules":               st.Rules,
	}
	for k, t := range map[string]time.Time{"last_data": st.LastData, "last_post": st.LastPost,
		"rules_reconciled_at": st.RulesReconciledAt} {
		if !t.IsZero() {
			d[k] = t
		}
	}
	var degraded []string
	switch {
	case c.cfg.BackfillMinutes == 0:
		degraded = append(degraded, "X_BACKFILL_MINUTES is 0: posts made while the stream reconnects are not replayed (each reconnect is recorded as a gap)")
	case c.backfillRefused.Load():
		degraded = append(degraded, "X refused backfill_minutes for this account: posts made while the stream reconnects are not replayed (each reconnect is recorded as a gap)")
	}
	return source.Status{Leader: st.Leader, Connected: st.Connected, ConnectedSince: st.ConnectedSince,
		Reconnects: st.Reconnects, Pending: int(c.pending.Load()), LastError: st.LastError,
		NextAttempt: st.NextAttempt, Degraded: degraded, Detail: d}
}

// CampaignsChanged asks this instance, if it holds the stream, to reconcile the rules soon. The
// binary calls it for every notice on notify.CampaignsChanged, which reaches every instance.
func (c *Client) CampaignsChanged() {
	select {
	case c.reconcile <- struct{}{}:
	default:
	}
}

// Run takes part in the election and, while this instance holds the stream lock, keeps the
// rules reconciled and the stream read. It returns when ctx ends, after handing the last batch
// to the sink.
func (c *Client) Run(ctx context.Context) error {
	items := make(chan tweet.Item, 4*c.cfg.BatchSize)
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.ingest(ctx, items)
	}()
	defer func() {
		close(items)
		<-done
	}()
	// X allows one stream connection per project: one instance reads, the others stand by.
	leader.Run(ctx, c.pool, leaderName, c.cfg.LeaseRetry, func(ctx context.Context) error {
		c.lead(ctx, items)
		return nil
	})
	return nil
}

// leaderName names the X stream's lock among the jobs internal/leader elects.
const leaderName = "x-stream"

// lead runs the rules and the stream until ctx ends, which it does when the lock is lost.
func (c *Client) lead(ctx context.Context, items chan<- tweet.Item) {
	c.log.Info("holding the X stream lock")
	c.update(func(s *state) { s.Leader = true })
	c.m.Leader.Set(1)
	defer func() {
		c.update(func(s *state) { s.Leader = false })
		c.m.Leader.Set(0)
	}()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Go(func() { c.rulesLoop(ctx) })
	c.streamLoop(ctx, items)
	cancel()
	wg.Wait()
}

// rulesLoop reconciles at once, then on request and periodically, since campaigns start and end
// without anyone asking. A failed reconcile is retried sooner, from 5 s doubling.
func (c *Client) rulesLoop(ctx context.Context) {
	retry := time.Duration(0)
	for {
		wait := c.cfg.RulesInterval
		if _, err := c.ReconcileRules(ctx); err != nil && ctx.Err() == nil {
			retry = min(max(2*retry, 5*time.Second), c.cfg.RulesInterval)
			wait = retry
			c.log.Error("stream rules reconcile failed", "err", err, "retry_in", retry)
			c.setRules(-1, err)
		} else {
			retry = 0
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		case <-c.reconcile:
			t.Stop()
		}
	}
}

func (c *Client) setRules(n int, err error) {
	c.update(func(s *state) {
		if err != nil {
			s.LastError = "rules: " + err.Error()
			return
		}
		s.Rules = n
		s.RulesReconciledAt = c.cfg.Now()
	})
}

func (c *Client) update(f func(*state)) {
	c.mu.Lock()
	f(&c.st)
	c.mu.Unlock()
}

// ingest hands items to the sink in batches of up to BatchSize, at most BatchWait after the
// first item of a batch arrived. A failing sink keeps the items and retries with a growing pause
// (the stream goes on reading meanwhile, as X drops slow readers); storing is idempotent, so a
// retry is safe.
func (c *Client) ingest(ctx context.Context, in <-chan tweet.Item) {
	const maxPending = 100_000
	var (
		batch   []tweet.Item
		timer   = time.NewTimer(time.Hour)
		armed   bool
		retryAt time.Time
		pause   time.Duration
	)
	timer.Stop()
	arm := func(d time.Duration) {
		if !armed {
			timer.Reset(d)
			armed = true
		}
	}
	flush := func(ctx context.Context) {
		if len(batch) == 0 {
			return
		}
		for len(batch) > 0 {
			n := min(len(batch), c.cfg.BatchSize)
			r, err := c.sink.Ingest(ctx, batch[:n])
			if err != nil {
				pause = min(max(2*pause, time.Second), 30*time.Second)
				retryAt = time.Now().Add(pause)
				if len(batch) > maxPending {
					c.log.Error("ingest backlog full; dropping the oldest posts", "dropped", len(batch)-maxPending)
					batch = append([]tweet.Item(nil), batch[len(batch)-maxPending:]...)
				}
				c.log.Error("ingest failed; will retry", "err", err, "pending", len(batch), "retry_in", pause)
				c.pending.Store(int64(len(batch)))
				arm(pause)
				return
			}
			pause = 0
			c.log.Debug("ingested", "items", n, "stored", r.Stored, "duplicates", r.Duplicates)
			batch = batch[n:]
		}
		batch = nil
		c.pending.Store(0)
	}
	for {
		select {
		case it, ok := <-in:
			if !ok {
				// Shutting down: one last try, bounded, so accepted posts are not lost.
				fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
				flush(fctx)
				cancel()
				if len(batch) > 0 {
					c.log.Error("shutting down with posts not stored", "pending", len(batch))
				}
				return
			}
			batch = append(batch, it)
			c.pending.Store(int64(len(batch)))
			if len(batch) >= c.cfg.BatchSize && time.Now().After(retryAt) {
				timer.Stop() // since Go 1.23 no stale tick can remain
				armed = false
				flush(ctx)
			} else {
				arm(c.cfg.BatchWait)
			}
		case <-timer.C:
			armed = false
			flush(ctx)
		}
	}
}

// errStall is the drop X asks clients to detect: nothing at all for StallTimeout.
var errStall = errors.New("x stream: no data or keep-alive within the stall timeout")
