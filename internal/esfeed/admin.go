package esfeed

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
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
	var st Status
	var oldest *time.Time
	var lastErr *string
	err := pool.QueryRow(ctx, query("status")).Scan(&st.Pending, &oldest, &st.Retrying, &lastErr,
		&st.DeadLetters, &st.Now)
	if err != nil {
		return st, err
	}
	if oldest != nil {
		st.OldestPending = *oldest
		st.Lag = max(st.Now.Sub(*oldest), 0)
	}
	if lastErr != nil {
		st.LastError = *lastErr
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
	rs, err := pool.Query(ctx, query("dead_letters"), limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rs, func(r pgx.CollectableRow) (DeadLetter, error) {
		var d DeadLetter
		err := r.Scan(&d.OutboxID, &d.Kind, &d.Network, &d.Ref, &d.Index, &d.Reason, &d.FailedAt)
		return d, err
	})
}

// RetryDead moves every dead letter back into the outbox as a new row (a new, higher version)
// and wakes the feeders; it returns the rows it enqueued.
func RetryDead(ctx context.Context, pool *pgxpool.Pool) (Enqueued, error) {
	var e Enqueued
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, query("retry_dead")).Scan(&e.Rows, &e.FirstID, &e.Last); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, query("notify"))
		return err
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
		var exists bool
		if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM campaigns WHERE slug = $1)", slug).
			Scan(&exists); err != nil {
			return err
		}
		if !exists {
			return fmt.Errorf("%w: %q", ErrNoCampaign, slug)
		}
		if err := tx.QueryRow(ctx, query("backfill"), slug).Scan(&e.Rows, &e.FirstID, &e.Last); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, query("notify"))
		return err
	})
	return e, err
}

// Progress counts the rows of e that are done.
func Progress(ctx context.Context, pool *pgxpool.Pool, e Enqueued) (int64, error) {
	var n int64
	err := pool.QueryRow(ctx, query("progress"), e.FirstID, e.Last).Scan(&n)
	return n, err
}

// Prune deletes outbox rows done more than olderThan ago and returns how many. Dead letters stay
// until retried.
func Prune(ctx context.Context, pool *pgxpool.Pool, olderThan time.Duration) (int64, error) {
	var total int64
	for {
		tag, err := pool.Exec(ctx, query("prune"), olderThan.Seconds())
		if err != nil {
			return total, err
		}
		total += tag.RowsAffected()
		if tag.RowsAffected() < 10000 {
			return total, nil
		}
	}
}
