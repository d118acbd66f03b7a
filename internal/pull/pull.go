// Package pull holds what the sources that pull posts from a network (the X stream, Mastodon,
// Bluesky) and their leader election share: a wait that ends with its context, the HTTP client
// for long-lived streams, and a PostgreSQL LISTEN loop.
package pull

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Sleep waits d, or until ctx ends (then it returns ctx's error).
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// StreamClient is an HTTP client for streams that stay open for hours: no overall timeout, but
// bounded dialling, handshakes and waits for the response headers, so a dead network is noticed.
func StreamClient() *http.Client {
	return &http.Client{Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 30 * time.Second,
		ForceAttemptHTTP2:     true,
		MaxIdleConnsPerHost:   4,
	}}
}

// OnNotify calls f for every notification on channel until ctx ends, on a connection of its own
// (LISTEN ties up the session), reconnecting after a failure. Notices sent while it reconnects
// are lost, so callers also poll.
func OnNotify(ctx context.Context, pool *pgxpool.Pool, channel string, f func()) {
	wait := time.Second
	for ctx.Err() == nil {
		err := func() error {
			conn, err := pool.Acquire(ctx)
			if err != nil {
				return err
			}
			c := conn.Hijack() // the session stays LISTENing: it never goes back to the pool
			defer c.Close(context.WithoutCancel(ctx))
			if _, err := c.Exec(ctx, "LISTEN "+pgx.Identifier{channel}.Sanitize()); err != nil {
				return err
			}
			wait = time.Second
			for {
				if _, err := c.WaitForNotification(ctx); err != nil {
					return err
				}
				f()
			}
		}()
		if ctx.Err() != nil {
			return
		}
		slog.Warn("listener lost its connection; retrying", "channel", channel, "err", err, "in", wait)
		if Sleep(ctx, wait) != nil {
			return
		}
		wait = min(2*wait, time.Minute)
	}
}

// Exponential is the nth wait (n from 1) of a schedule that starts at first and doubles up to
// ceiling. Each source keeps its own schedule per kind of failure, as its network documents.
func Exponential(first, ceiling time.Duration, n int) time.Duration {
	d := first
	for i := 1; i < n && d < ceiling; i++ {
		d *= 2
	}
	return min(d, ceiling)
}
