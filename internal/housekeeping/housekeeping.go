// Package housekeeping removes what has outlived its use: expired staff sessions, idempotency
// keys old enough that no tablet will retry them, and sign-ins that never came back.
package housekeeping

import (
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/boothgiveaway/giveaway/internal/store"
)

// KeyRetention is how long an action's stored answer stays replayable: longer than any offline
// queue on a tablet is expected to wait.
const KeyRetention = 7 * 24 * time.Hour

// Once runs one round and reports what it removed.
func Once(ctx context.Context, pool *pgxpool.Pool, now time.Time) (sessions, keys int64, err error) {
	q := store.New(pool)
	if sessions, err = q.DeleteExpiredSessions(ctx); err != nil {
		return 0, 0, err
	}
	if keys, err = q.DeleteOldIdempotencyKeys(ctx, now.Add(-KeyRetention)); err != nil {
		return 0, 0, err
	}
	// An expired sign-in state is refused anyway; this keeps the table small.
	_, err = q.DeleteExpiredOAuthStates(ctx, now)
	return sessions, keys, err
}

// Run repeats Once every interval until ctx ends.
func Run(ctx context.Context, pool *pgxpool.Pool, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if s, k, err := Once(ctx, pool, time.Now()); err != nil && ctx.Err() == nil {
				slog.Warn("housekeeping failed", "err", err)
			} else if s+k > 0 {
				slog.Info("housekeeping", "expired_sessions", s, "old_idempotency_keys", k)
			}
		}
	}
}
