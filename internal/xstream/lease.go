package xstream

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/boothgiveaway/giveaway/internal/pull"
)

// The stream lock: a session-level advisory lock, so PostgreSQL frees it by itself when the
// holder's connection dies, and a standby can take over.
const (
	lockClass int32 = 0x67697665 // "give"
	lockObj   int32 = 0x78737472 // "xstr"
)

// lease is the dedicated connection that holds the stream lock. It is hijacked from the pool,
// because a pooled connection could be reused or reset and so drop the lock unnoticed.
type lease struct {
	conn *pgx.Conn
}

func (l *lease) release() {
	// Closing the session frees the lock; nothing else needs doing.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	l.conn.Close(ctx)
}

// acquireLease blocks until this instance holds the stream lock, trying every LeaseRetry, or
// until ctx ends.
func (c *Client) acquireLease(ctx context.Context) (*lease, error) {
	var conn *pgx.Conn
	defer func() {
		if conn != nil {
			conn.Close(context.Background())
		}
	}()
	waiting := false
	for {
		if conn == nil {
			pc, err := c.pool.Acquire(ctx)
			if err != nil {
				if ctx.Err() != nil {
					return nil, ctx.Err()
				}
				c.log.Warn("stream lock: no database connection", "err", err)
			} else {
				conn = pc.Hijack()
			}
		}
		if conn != nil {
			var got bool
			err := conn.QueryRow(ctx, "SELECT pg_try_advisory_lock($1, $2)", lockClass, lockObj).Scan(&got)
			if err == nil && got {
				_, err = conn.Exec(ctx, "LISTEN "+NotifyChannel)
				if err == nil {
					l := &lease{conn: conn}
					conn = nil
					return l, nil
				}
			}
			if err != nil {
				if ctx.Err() != nil {
					return nil, ctx.Err()
				}
				c.log.Warn("stream lock: query failed", "err", err)
				conn.Close(context.Background())
				conn = nil
			} else if !waiting {
				waiting = true
				c.log.Info("another instance holds the X stream; standing by")
			}
		}
		if err := pull.Sleep(ctx, c.cfg.LeaseRetry); err != nil {
			return nil, err
		}
	}
}

// hold watches the lease until ctx ends or the lock connection is lost, when it returns an
// error. A campaign change notified on the channel triggers changed.
func (c *Client) hold(ctx context.Context, l *lease, changed func()) error {
	for {
		wctx, cancel := context.WithTimeout(ctx, c.cfg.LeaseCheck)
		_, err := l.conn.WaitForNotification(wctx)
		cancel()
		if ctx.Err() != nil {
			return nil
		}
		switch {
		case err == nil:
			changed()
			continue
		case !pgconn.Timeout(err) && !errors.Is(err, context.DeadlineExceeded):
			return err
		}
		// Quiet: make sure the session is alive, since a silently dead network would otherwise
		// let a standby take the lock while this instance still streams.
		pctx, cancel := context.WithTimeout(ctx, c.cfg.LeaseCheck)
		err = l.conn.Ping(pctx)
		cancel()
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
