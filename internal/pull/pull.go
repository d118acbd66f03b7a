// Package pull holds what the sources that pull posts from a network (the X stream, Mastodon,
// Bluesky) and their leader election share: a wait that ends with its context, the HTTP client
// for long-lived streams, a bounded line reader for them, and a PostgreSQL LISTEN loop.
package pull

import (
	"bufio"
	"context"
	"errors"
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

// ReadLine reads one '\n'-terminated line without it (and without a '\r' before it). A line
// longer than max bytes is consumed and reported as tooLong, with no content. At an error, line
// holds what came before it: a partial line the caller must drop.
func ReadLine(br *bufio.Reader, max int) (line []byte, tooLong bool, err error) {
	for {
		frag, err := br.ReadSlice('\n')
		if len(line)+len(frag) <= max {
			line = append(line, frag...)
		} else {
			tooLong = true
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil {
			return line, tooLong, err
		}
		line = line[:len(line)-1]
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
		if tooLong {
			line = nil
		}
		return line, tooLong, nil
	}
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
