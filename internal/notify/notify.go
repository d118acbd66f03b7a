// Package notify holds the process's one PostgreSQL connection on LISTEN and fans every
// notification out to whoever subscribed to its channel: the live pages, the Elasticsearch
// feeder and the sources. Notices are hints, never the state itself: every subscriber re-reads
// what changed, so a notice that cannot be delivered is replaced by a Resync ("something may
// have changed; read it again") rather than waited for.
//
// Delivery never blocks the connection's loop: each subscription has a buffer, and when it is
// full (the subscriber fell behind) what it holds is dropped for one Resync notice. After the
// connection is lost and made again (with the shared retry policy), every subscription that was
// already listening gets a Resync too, since notifications sent in the gap are gone for good.
package notify

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/boothgiveaway/giveaway/internal/retry"
)

// The channels the SQL notifies on. The SQL spells them out (pg_notify('giveaway_events', ...));
// TestChannelsAreTheOnesTheSQLSends keeps the two in step.
const (
	// Events: a claim event (claimed, verified, given, undone, ...), JSON with campaign_id,
	// claim_id and action, from the domain's SQL in the event's transaction.
	Events = "giveaway_events"
	// Posts: posts stored by the ingest path (internal/ingest/wall.go), JSON naming them.
	Posts = "giveaway_posts"
	// Wall: a wall moderation change (hide, approve, settings), JSON naming the campaign.
	Wall = "giveaway_wall"
	// Draws: a draw moved (created, committed, revealed, a winner present or absent), JSON with
	// campaign_id, draw_id and action (internal/draws).
	Draws = "giveaway_draws"
	// Outbox: new outbox rows for the Elasticsearch feeder; no payload.
	Outbox = "outbox"
	// CampaignsChanged: a campaign was created or changed, so the sources re-read their rules;
	// no payload.
	CampaignsChanged = "campaigns_changed"
)

// Channels is every channel above.
var Channels = []string{Events, Posts, Wall, Draws, Outbox, CampaignsChanged}

// Notice is one notification, or a Resync: notices may have been lost (the subscription
// overflowed, or the connection was made again), so the subscriber re-reads its state.
type Notice struct {
	Channel, Payload string
	Resync           bool
}

// Reconnect waits: 100 ms doubling to 10 s, with jitter; a connection back on LISTEN resets it.
const (
	reconnectFirst = 100 * time.Millisecond
	reconnectMax   = 10 * time.Second
)

// Listener is the process's LISTEN connection. Subscribe at any time; Run holds the connection.
type Listener struct {
	cfg *pgx.ConnConfig
	log *slog.Logger

	mu        sync.Mutex
	subs      []*Subscription
	listening map[string]bool    // channels on LISTEN on the current connection; nil between connections
	interrupt context.CancelFunc // ends the current wait, so a new channel gets its LISTEN
	ready     chan struct{}
	isReady   bool
}

// New returns a listener on the database pool connects to. Its connection is its own, outside
// the pool: LISTEN ties up a session for as long as it runs, and must never starve the pool.
func New(pool *pgxpool.Pool) *Listener {
	cfg := pool.Config().ConnConfig.Copy()
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	cfg.RuntimeParams["application_name"] = ApplicationName
	return &Listener{cfg: cfg, log: slog.Default().With("component", "notify"), ready: make(chan struct{})}
}

// ApplicationName names the listener's session in pg_stat_activity.
const ApplicationName = "giveaway notify"

// Ready is closed once the connection is on LISTEN for every channel subscribed before it
// connected (a later subscription has its own Ready).
func (l *Listener) Ready() <-chan struct{} { return l.ready }

// Subscription receives the notices of its channels on C.
type Subscription struct {
	l        *Listener
	channels []string
	c        chan Notice
	ready    chan struct{}
	// Guarded by l.mu.
	isReady bool // its channels have been on LISTEN at least once
	stale   bool // the connection was lost since: it gets a Resync when they are again
	closed  bool
}

// Subscribe starts delivering the notices of channels, buffering up to buffer of them (at least
// one); its Ready is closed once they are all on LISTEN.
func (l *Listener) Subscribe(buffer int, channels ...string) *Subscription {
	s := &Subscription{l: l, channels: slices.Clone(channels), c: make(chan Notice, max(buffer, 1)),
		ready: make(chan struct{})}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.subs = append(l.subs, s)
	if l.listening != nil {
		if l.covers(s) {
			s.markReady()
		} else if l.interrupt != nil {
			l.interrupt()
		}
	}
	return s
}

// C delivers the notices; it is closed by Close.
func (s *Subscription) C() <-chan Notice { return s.c }

// Ready is closed once every channel of the subscription is on LISTEN.
func (s *Subscription) Ready() <-chan struct{} { return s.ready }

// Close stops the deliveries and closes C. Its channels stay on LISTEN until the connection is
// made again; their notices then reach nobody.
func (s *Subscription) Close() {
	l := s.l
	l.mu.Lock()
	defer l.mu.Unlock()
	if s.closed {
		return
	}
	s.closed = true
	l.subs = slices.DeleteFunc(l.subs, func(o *Subscription) bool { return o == s })
	close(s.c)
}

// Run holds the connection until ctx ends, making it again after a failure.
func (l *Listener) Run(ctx context.Context) {
	wait := retry.Jittered(reconnectFirst, reconnectMax)
	for ctx.Err() == nil {
		err := l.session(ctx, wait.Reset)
		if ctx.Err() != nil {
			return
		}
		d := wait.NextBackOff()
		l.log.Warn("LISTEN connection lost; reconnecting", "err", err, "in", d)
		if retry.Sleep(ctx, d) != nil {
			return
		}
	}
}

// session is one connection's life: LISTEN on every subscribed channel, then deliver
// notifications until it fails. healthy is called each time LISTEN is in place.
func (l *Listener) session(ctx context.Context, healthy func()) error {
	conn, err := pgx.ConnectConfig(ctx, l.cfg.Copy())
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	defer l.lost()
	for {
		if err := l.listen(ctx, conn, healthy); err != nil {
			return err
		}
		wctx, cancel := context.WithCancel(ctx)
		l.mu.Lock()
		l.interrupt = cancel
		if !l.coversAll() {
			cancel() // subscribed since listen looked
		}
		l.mu.Unlock()
		n, err := conn.WaitForNotification(wctx)
		interrupted := wctx.Err() != nil && ctx.Err() == nil
		l.mu.Lock()
		l.interrupt = nil
		l.mu.Unlock()
		cancel()
		switch {
		case err == nil:
			l.deliver(Notice{Channel: n.Channel, Payload: n.Payload})
		case interrupted && !conn.IsClosed():
			// A new subscription's channel: the wait ended on a deadline and the connection is
			// intact, so LISTEN on it and wait again.
		default:
			return err
		}
	}
}

// listen puts every subscribed channel that is not yet on LISTEN, then marks the subscriptions
// it completes ready (or, after a reconnect, sends them a Resync).
func (l *Listener) listen(ctx context.Context, conn *pgx.Conn, healthy func()) error {
	l.mu.Lock()
	var todo []string
	for _, s := range l.subs {
		for _, ch := range s.channels {
			if !l.listening[ch] && !slices.Contains(todo, ch) {
				todo = append(todo, ch)
			}
		}
	}
	first := l.listening == nil
	l.mu.Unlock()
	if !first && len(todo) == 0 {
		return nil
	}
	for _, ch := range todo {
		if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{ch}.Sanitize()); err != nil {
			return err
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.listening == nil {
		l.listening = map[string]bool{}
	}
	for _, ch := range todo {
		l.listening[ch] = true
	}
	for _, s := range l.subs {
		if !l.covers(s) {
			continue
		}
		if !s.isReady {
			s.markReady()
		} else if s.stale {
			s.stale = false
			s.push(Notice{Resync: true})
		}
	}
	if !l.isReady {
		l.isReady = true
		close(l.ready)
	}
	if first {
		healthy()
	}
	return nil
}

// lost forgets the connection's LISTENs; every subscription that was listening will need a Resync.
func (l *Listener) lost() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.listening = nil
	for _, s := range l.subs {
		if s.isReady {
			s.stale = true
		}
	}
}

func (l *Listener) deliver(n Notice) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range l.subs {
		if s.isReady && slices.Contains(s.channels, n.Channel) {
			s.push(n)
		}
	}
}

// covers reports whether s's channels are all on LISTEN; l.mu is held.
func (l *Listener) covers(s *Subscription) bool {
	for _, ch := range s.channels {
		if !l.listening[ch] {
			return false
		}
	}
	return true
}

func (l *Listener) coversAll() bool {
	for _, s := range l.subs {
		if !l.covers(s) {
			return false
		}
	}
	return true
}

func (s *Subscription) markReady() {
	s.isReady = true
	close(s.ready)
}

// push delivers n without waiting; l.mu is held, so the listener's loop is the only sender. A
// full buffer means the subscriber fell behind: what it holds is dropped for one Resync, which
// stands for them and for n.
func (s *Subscription) push(n Notice) {
	select {
	case s.c <- n:
		return
	default:
	}
	for len(s.c) > 0 {
		select {
		case <-s.c:
		default:
		}
	}
	select {
	case s.c <- Notice{Resync: true}:
	default:
	}
}

// OrOwn returns l, or when l is nil a listener of its own on pool, running until ctx ends: for
// a part run without the process's shared listener (a command, a test). wait returns once that
// own listener has stopped (at once for l).
func OrOwn(ctx context.Context, l *Listener, pool *pgxpool.Pool) (_ *Listener, wait func()) {
	if l != nil {
		return l, func() {}
	}
	own := New(pool)
	done := make(chan struct{})
	go func() { defer close(done); own.Run(ctx) }()
	return own, func() { <-done }
}
