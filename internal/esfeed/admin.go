package esfeed

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/boothgiveaway/giveaway/internal/store"
)

// Status is the feed's state as `giveaway es status` shows it.
type Status struct {
	Pending       int64         // rows not yet confirmed
	OldestPending time.Time     // zero when nothing is pending
	Lag           time.Duration // age of the oldest pending row
	Retrying      int64         // pending rows that failed at least once
	LastError     string        // of the oldest failing pending row
	DeadLetters   int64
	Now           time.Time
	// Cluster is the cluster's health; nil with ClusterError set when it could not be read or
	// no Elasticsearch is configured.
	Cluster      *ClusterHealth
	ClusterError string
}

// ReadStatus reads the outbox's state; it needs no Elasticsearch.
func ReadStatus(ctx context.Context, pool *pgxpool.Pool) (Status, error) {
	r, err := store.New(pool).OutboxStatus(ctx)
	if err != nil {
		return Status{}, err
	}
	st := Status{Pending: r.Pending, Retrying: r.Retrying, DeadLetters: r.DeadLetters, Now: r.Now}
	if len(r.OldestPending) > 0 {
		st.OldestPending = r.OldestPending[0]
		st.Lag = max(st.Now.Sub(st.OldestPending), 0)
	}
	if len(r.LastError) > 0 {
		st.LastError = r.LastError[0]
	}
	return st, nil
}

// Status reads the outbox's state and the cluster's health.
func (f *Feeder) Status(ctx context.Context) (Status, error) {
	st, err := ReadStatus(ctx, f.pool)
	if err != nil {
		return st, err
	}
	if st.Cluster, err = Health(ctx, f.es); err != nil {
		st.ClusterError = err.Error()
	}
	return st, nil
}

// DeadLetter is one row Elasticsearch rejected for good.
type DeadLetter struct {
	OutboxID int64
	Kind     string
	Network  string
	Ref      string
	Index    string
	Reason   string
	FailedAt time.Time
}

// DeadLetters lists up to limit dead letters, oldest first.
func DeadLetters(ctx context.Context, pool *pgxpool.Pool, limit int) ([]DeadLetter, error) {
	rs, err := store.New(pool).DeadLetters(ctx, int32(limit))
	if err != nil {
		return nil, err
	}
	dead := make([]DeadLetter, len(rs))
	for i, r := range rs {
		dead[i] = DeadLetter{OutboxID: r.OutboxID, Kind: r.Kind, Network: r.RefNetwork, Ref: r.RefID,
			Index: r.IndexName, Reason: r.Reason, FailedAt: r.FailedAt}
	}
	return dead, nil
}

// RetryDead moves every dead letter back into the outbox as a new row (a new, higher version)
// and wakes the feeders; it returns the rows it enqueued.
func RetryDead(ctx context.Context, pool *pgxpool.Pool) (Enqueued, error) {
	var e Enqueued
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		q := store.New(tx)
		r, err := q.RetryDeadLetters(ctx)
		if err != nil {
			return err
		}
		e = Enqueued{Rows: r.Rows, FirstID: r.FirstID, Last: r.LastID}
		return q.NotifyOutbox(ctx)
	})
	return e, err
}

// ErrNoCampaign means the slug names no campaign.
var ErrNoCampaign = errors.New("no such campaign")

// Enqueued is the range of outbox rows a backfill wrote.
type Enqueued struct {
	Rows          int64
	FirstID, Last int64
}

// Backfill enqueues everything a campaign's indexes should hold (its tweets, deletes for
// tombstoned posts, its giveaway events) as new outbox rows, so the feeder resends them at new
// versions; it wakes the feeders.
func Backfill(ctx context.Context, pool *pgxpool.Pool, slug string) (Enqueued, error) {
	var e Enqueued
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		q := store.New(tx)
		if _, err := q.CampaignIDBySlug(ctx, slug); errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("%w: %q", ErrNoCampaign, slug)
		} else if err != nil {
			return err
		}
		r, err := q.BackfillOutbox(ctx, slug)
		if err != nil {
			return err
		}
		e = Enqueued{Rows: r.Rows, FirstID: r.FirstID, Last: r.LastID}
		return q.NotifyOutbox(ctx)
	})
	return e, err
}

// Progress counts the rows of e that are done.
func Progress(ctx context.Context, pool *pgxpool.Pool, e Enqueued) (int64, error) {
	return store.New(pool).OutboxProgress(ctx, store.OutboxProgressParams{FirstID: e.FirstID, LastID: e.Last})
}

// Prune deletes outbox rows done more than olderThan ago and returns how many. Dead letters stay
// until retried.
func Prune(ctx context.Context, pool *pgxpool.Pool, olderThan time.Duration) (int64, error) {
	var total int64
	for {
		n, err := store.New(pool).PruneOutbox(ctx, olderThan.Seconds())
		if err != nil {
			return total, err
		}
		total += n
		if n < 10000 {
			return total, nil
		}
	}
}
