// Package giveaway is the domain: campaigns, claims, and prizes given exactly once. Every change
// is one transaction that also writes its audit event and outbox row.
package giveaway

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/boothgiveaway/giveaway/internal/apperr"
	"github.com/boothgiveaway/giveaway/internal/idempotency"
	"github.com/boothgiveaway/giveaway/internal/store"
)

// Service runs the giveaway on the database.
type Service struct {
	pool       *pgxpool.Pool
	undoWindow time.Duration
	now        func() time.Time
	claims     prometheus.Counter
	slugs      sync.Map // campaign slug → id
	queue      *claimQueue
	gives      *prometheus.CounterVec
}

// Option configures a Service.
type Option func(*Service)

// WithUndoWindow sets how long staff (not admins) may undo a give.
func WithUndoWindow(d time.Duration) Option { return func(s *Service) { s.undoWindow = d } }

// WithPendingPerAddress bounds the pending other-network claims one client address may have in a
// campaign (DefaultPendingPerAddress unless set; 0: no bound, for a venue whose crowd shares one
// address and whose devices' own bound, MaxPendingPerDevice, is enough).
func WithPendingPerAddress(n int) Option {
	return func(s *Service) { s.queue.perAddress = max(n, 0) }
}

// WithClock replaces time.Now, for tests of day boundaries.
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithMetrics registers the claim and give counters on reg.
func WithMetrics(reg prometheus.Registerer) Option {
	return func(s *Service) { reg.MustRegister(s.claims, s.gives, s.queue.sizes) }
}

// New returns a Service on pool.
func New(pool *pgxpool.Pool, opts ...Option) *Service {
	s := &Service{pool: pool, undoWindow: 10 * time.Minute, now: time.Now,
		claims: prometheus.NewCounter(prometheus.CounterOpts{Name: "giveaway_claims_created_total",
			Help: "Claims created by attendees and staff."}),
		gives: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "giveaway_gives_total",
			Help: "Give attempts by outcome: given, or the error code that refused it; undone."}, []string{"outcome"}),
	}
	s.queue = &claimQueue{db: pool, now: func() time.Time { return s.now() }, perAddress: DefaultPendingPerAddress,
		sizes: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "giveaway_claim_batch_size",
			Help:    "Attendees' claims written together in one statement.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 7)})}
	for _, o := range opts {
		o(s)
	}
	return s
}

// countGive records a give attempt's outcome.
func (s *Service) countGive(err error) {
	if err == nil {
		s.gives.WithLabelValues("given").Inc()
	} else if e, ok := apperr.As(err); ok {
		s.gives.WithLabelValues(e.Code).Inc()
	}
}

// Actor is who does something: a staff member, the admin token, an attendee or the matcher.
type Actor struct {
	StaffID *int64
	Name    string
	Role    string // "staff", "admin", "" for the public
}

// IsAdmin reports whether the actor may do admin things.
func (a Actor) IsAdmin() bool { return a.Role == "admin" }

// inTx runs fn in a transaction: the one of the idempotent request it is part of, if any (so the
// change and its stored answer commit together; that request rolls back a refusal), or its own.
func (s *Service) inTx(ctx context.Context, fn func(q *store.Queries) error) error {
	if tx := idempotency.Tx(ctx); tx != nil {
		return fn(store.New(tx))
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error { return fn(store.New(tx)) })
}

func isNoRows(err error) bool { return errors.Is(err, pgx.ErrNoRows) }

// campaignErr is a campaign lookup's error as callers see it: no row is campaign_not_found.
func campaignErr(err error, slug string) error {
	if isNoRows(err) {
		return apperr.New(apperr.NotFound, "campaign_not_found", "no campaign %q", slug)
	}
	return err
}
