// Package leader lets exactly one instance of the service do a job that only one may do at a time:
// read a source that allows a single connection, or whose saved cursor would race. The holder keeps
// a PostgreSQL session advisory lock on a connection of its own, so the lock goes away by itself
// when the holder dies, and a standby takes over.
package leader

import (
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/boothgiveaway/giveaway/internal/retry"
	"github.com/boothgiveaway/giveaway/internal/store"
)

// pingTimeout bounds one liveness check of the lock's session.
const pingTimeout = 5 * time.Second

// lockClass is the first key of every leader lock ("give"); the second is hashtext(name).
const lockClass int32 = 0x67697665

// Run calls fn while this process holds the lock called name, and returns when ctx ends. A
// standby waits on the lock itself, so it takes over within seconds of the holder's session
// ending (a killed holder's ends at once). fn's context is cancelled when the lock's connection
// is lost (a standby may hold the lock a moment later); when fn returns before ctx ends, or the
// database fails, the lock is released and tried again after interval.
func Run(ctx context.Context, pool *pgxpool.Pool, name string, interval time.Duration, fn func(ctx context.Context) error) error {
	log := slog.Default().With("leader", name)
	check := min(interval, 2*time.Second)
	takeover := false
	for {
		conn, err := acquire(ctx, pool, name, func() {
			takeover = true
			log.Info("another instance holds the job; standing by")
		})
		switch {
		case ctx.Err() != nil:
			if conn != nil {
				closeConn(conn)
			}
			return nil
		case err != nil:
			log.Warn("leader lock: database", "err", err)
		default:
			// Taking over (after standing by, or after losing the lock): a holder whose session
			// was cut off learns it at its next check, so let that pass before working, and the
			// old and the new holder never work at once. A first start needs no wait.
			if takeover && (retry.Sleep(ctx, 2*check) != nil || conn.Ping(ctx) != nil) {
				closeConn(conn)
				continue
			}
			log.Info("holding the job")
			hold(ctx, conn, check, fn, log)
			closeConn(conn)
			takeover = true
			if ctx.Err() != nil {
				return nil
			}
		}
		if retry.Sleep(ctx, interval) != nil {
			return nil
		}
	}
}

// acquire returns a connection holding the lock. When another session holds it, it calls
// standby and waits until the lock is free (or ctx ends). The connection is hijacked from the
// pool: a pooled one could be reset and drop the lock unseen.
func acquire(ctx context.Context, pool *pgxpool.Pool, name string, standby func()) (*pgx.Conn, error) {
	pc, err := pool.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	conn := pc.Hijack()
	q, key := store.New(conn), store.TryLeaderLockParams{Class: lockClass, Name: name}
	got, err := q.TryLeaderLock(ctx, key)
	if err == nil && !got {
		standby()
		err = q.WaitLeaderLock(ctx, store.WaitLeaderLockParams(key))
	}
	if err != nil {
		closeConn(conn)
		return nil, err
	}
	return conn, nil
}

// hold runs fn until it returns, ctx ends, or the lock's session stops answering.
func hold(ctx context.Context, conn *pgx.Conn, check time.Duration, fn func(context.Context) error, log *slog.Logger) {
	fctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- fn(fctx) }()
	t := time.NewTicker(check)
	defer t.Stop()
	for {
		select {
		case err := <-done:
			if ctx.Err() == nil {
				log.Warn("job stopped; letting the lock go", "err", err)
			}
			return
		case <-t.C:
			// A silently dead session would let a standby take the lock while this one still works.
			// The ping's own patience is not the check interval: a short interval (tests) under
			// load would otherwise read a slow answer as a lost lock.
			pctx, pcancel := context.WithTimeout(ctx, pingTimeout)
			err := conn.Ping(pctx)
			pcancel()
			if err != nil && ctx.Err() == nil {
				log.Error("leader lock lost; stopping the job", "err", err)
				cancel()
				<-done
				return
			}
		}
	}
}

func closeConn(conn *pgx.Conn) {
	// Closing the session frees the lock; nothing else needs doing.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn.Close(ctx)
}
