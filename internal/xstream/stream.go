package xstream

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/boothgiveaway/giveaway/internal/source"
	"github.com/boothgiveaway/giveaway/internal/store"
	"github.com/boothgiveaway/giveaway/internal/tweet"
)

const streamPath = "/2/tweets/search/stream"

// maxResetWait bounds a wait taken from x-rate-limit-reset, against a clock or header gone wrong.
const maxResetWait = time.Hour

// maxLine bounds one stream line; a post with its includes is a few kilobytes.
const maxLine = 4 << 20

// streamQuery asks the stream for what matching and the dashboards need.
func (c *Client) streamQuery() url.Values {
	q := url.Values{
		"tweet.fields": {"created_at,entities,referenced_tweets,note_tweet,public_metrics,edit_history_tweet_ids,lang,author_id"},
		"expansions":   {"author_id"},
		"user.fields":  {"username,created_at"},
	}
	// Asked on every connect, not only after a drop: a restart or a takeover by another
	// instance is a gap too, and replayed posts are stored once anyway.
	if n := c.backfill(); n > 0 {
		q.Set("backfill_minutes", strconv.Itoa(n))
	}
	return q
}

// backfill is the backfill_minutes asked for: the configured value, or 0 once X refused it
// for this account (only some access levels may use it).
func (c *Client) backfill() int {
	if c.backfillRefused.Load() {
		return 0
	}
	return c.cfg.BackfillMinutes
}

// StreamError is an in-band errors object (e.g. an operational disconnect) read from the stream.
type StreamError struct{ Msg string }

func (e *StreamError) Error() string { return "x stream: " + e.Msg }

type connResult struct {
	established bool // X answered 200
	posts       int
	lived       time.Duration
	err         error // why it ended
}

// streamLoop connects and reconnects until ctx ends, waiting between attempts as X documents.
func (c *Client) streamLoop(ctx context.Context, items chan<- tweet.Item) {
	var b backoff
	// When the stream was last known open: at first, what an earlier reader (a process before a
	// restart, an instance before a takeover) saved; then when the last connection ended.
	downSince := c.loadAlive(ctx)
	for {
		res := c.connect(ctx, items, downSince)
		if res.established {
			downSince = c.cfg.Now()
			c.saveAlive(context.WithoutCancel(ctx), downSince)
		}
		if ctx.Err() != nil {
			return
		}
		var wait time.Duration
		cause := "network"
		var ae *APIError
		switch {
		case res.established && res.lived >= c.cfg.HealthyAfter:
			// X: once an established connection drops, reconnect immediately.
			b.reset()
			cause = dropCause(res.err)
		case res.established && res.posts > 0 && !b.quickDrop:
			// Short but it worked: reconnect at once, though only once in a row.
			b.quickDrop = true
			cause = dropCause(res.err)
		case res.established:
			// Up but short-lived: back off as for a network error, so a server that accepts and
			// drops at once is not hammered.
			cause = dropCause(res.err)
			wait = b.next(failNetwork)
		case errors.As(res.err, &ae) && ae.Status == http.StatusTooManyRequests:
			cause = "rate_limited"
			wait = b.next(failRate)
			if until := ae.Reset.Sub(c.cfg.Now()); !ae.Reset.IsZero() && until > -time.Second {
				// X says when the window ends: wait for it (a second more, as the header is in
				// whole seconds), neither longer nor into a longer penalty.
				wait = min(until+time.Second, maxResetWait)
			}
		case errors.As(res.err, &ae) && ae.Status == http.StatusBadRequest && c.backfill() > 0:
			// X answers an access level without backfill with 400 Invalid Request; the other
			// parameters are fixed and valid, so read on without it, and say so.
			c.backfillRefused.Store(true)
			cause = "http"
			c.log.Error("X refused backfill_minutes for this account; reading without it, so posts made while the stream reconnects are lost",
				"err", res.err, "backfill_minutes", c.cfg.BackfillMinutes)
		case errors.As(res.err, &ae):
			cause = "http"
			wait = b.next(failHTTP)
		default:
			wait = b.next(failNetwork)
		}
		c.m.Reconnects.WithLabelValues(cause).Inc()
		next := c.cfg.Now().Add(wait)
		c.update(func(s *state) {
			s.Reconnects++
			s.LastError = res.err.Error()
			s.NextAttempt = next
		})
		attrs := []any{"cause", cause, "err", res.err, "wait", wait}
		switch {
		case isTooManyConnections(res.err):
			c.log.Warn("X says another connection holds the stream; waiting", attrs...)
		case ae != nil && (ae.Status == http.StatusUnauthorized || ae.Status == http.StatusForbidden):
			c.log.Error("X refused the stream; check X_BEARER_TOKEN and the project's access", attrs...)
		default:
			c.log.Warn("X stream ended; reconnecting", attrs...)
		}
		if wait > 0 {
			if c.cfg.Sleep(ctx, wait) != nil {
				return
			}
		}
	}
}

// recordGap records what X does not replay of the time the stream was down (from, to): all of
// it without backfill, what is older than the backfill reaches with it.
func (c *Client) recordGap(ctx context.Context, from, to time.Time) {
	why := "X_BACKFILL_MINUTES is 0: X does not replay posts made while the stream was down"
	if c.backfillRefused.Load() {
		why = "X refused backfill_minutes for this account: X does not replay posts made while the stream was down"
	}
	if n := c.backfill(); n > 0 {
		to = to.Add(-time.Duration(n) * time.Minute) // X replays the last n minutes before now
		if !to.After(from) {
			return
		}
		why = fmt.Sprintf("the stream was down longer than the %d minutes X replays (X_BACKFILL_MINUTES)", n)
	}
	source.RecordGap(ctx, c.pool, c.log, c.m.Metrics, source.Gap{Source: c.Name(), Kind: source.GapReconnect,
		From: from, To: to, Detail: why})
}

// aliveSource names, in source_cursors, when the stream was last known open; aliveEvery is how
// often an open stream saves it, so a restart or a takeover knows what it missed.
const (
	aliveSource = "x_stream:alive"
	aliveEvery  = 30 * time.Second
)

func (c *Client) loadAlive(ctx context.Context) time.Time {
	pos, err := store.New(c.pool).SourceCursor(ctx, aliveSource)
	if err != nil {
		return time.Time{} // none yet (the first start) or unreadable: no gap to claim
	}
	t, _ := time.Parse(time.RFC3339Nano, pos)
	return t
}

func (c *Client) saveAlive(ctx context.Context, t time.Time) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := store.New(c.pool).SaveSourceCursor(ctx, store.SaveSourceCursorParams{Source: aliveSource,
		Position: t.UTC().Format(time.RFC3339Nano)}); err != nil {
		c.log.Warn("cannot save when the stream was last open; a restart may not see its gap", "err", err)
	}
}

func dropCause(err error) string {
	var se *StreamError
	switch {
	case errors.Is(err, errStall):
		return "stall"
	case errors.As(err, &se):
		return "stream_error"
	case errors.Is(err, io.EOF):
		return "closed"
	}
	return "network"
}

// connect opens the stream once and reads it until it ends. downSince is when the previous
// connection ended: what X did not replay since then is recorded as a gap once this one is open.
func (c *Client) connect(ctx context.Context, items chan<- tweet.Item, downSince time.Time) (res connResult) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet,
		c.cfg.BaseURL+streamPath+"?"+c.streamQuery().Encode(), nil)
	if err != nil {
		return connResult{err: err}
	}
	req.Header.Set("Authorization", "Bearer "+c.cfg.BearerToken)
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return connResult{err: fmt.Errorf("x stream: %w", err)}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		return connResult{err: apiError(resp, b)}
	}

	res.established = true
	started := time.Now()
	c.m.Connected.Set(1)
	c.update(func(s *state) { s.Connected, s.ConnectedSince, s.NextAttempt = true, c.cfg.Now(), time.Time{} })
	c.log.Info("X stream connected")
	if !downSince.IsZero() {
		c.recordGap(ctx, downSince, c.cfg.Now())
	}
	defer func() {
		res.lived = time.Since(started)
		c.m.Connected.Set(0)
		c.update(func(s *state) { s.Connected, s.ConnectedSince = false, time.Time{} })
	}()

	// The reader goroutine only reads, so the stall check below can end a read stuck on a silent
	// connection by cancelling the request.
	var lastRead atomic.Int64
	lastRead.Store(time.Now().UnixNano())
	lines := make(chan []byte, 256)
	readErr := make(chan error, 1)
	go func() {
		defer close(lines)
		br := bufio.NewReaderSize(resp.Body, 64<<10)
		for {
			line, tooLong, err := source.ReadLine(br, maxLine)
			if len(line) > 0 || err == nil {
				lastRead.Store(time.Now().UnixNano())
			}
			if err != nil {
				if len(line) > 0 {
					c.log.Warn("X stream dropped mid-line; partial line discarded", "bytes", len(line))
				}
				readErr <- err
				return
			}
			if tooLong {
				c.log.Warn("X stream line too long; skipped", "limit", maxLine)
				c.m.badLines.Inc()
				continue
			}
			select {
			case lines <- line:
			case <-ctx.Done():
				readErr <- context.Cause(ctx)
				return
			}
		}
	}()

	savedAlive := time.Time{}
	check := time.NewTicker(max(c.cfg.StallTimeout/8, 10*time.Millisecond))
	defer check.Stop()
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				err := <-readErr
				if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
					err = cause // the stall or stream error that ended the read
				}
				res.err = err
				return res
			}
			if err := c.handleLine(ctx, line, items, &res); err != nil {
				cancel(err)
			}
		case <-check.C:
			if time.Since(time.Unix(0, lastRead.Load())) > c.cfg.StallTimeout {
				cancel(errStall)
			}
			if now := c.cfg.Now(); now.Sub(savedAlive) >= aliveEvery {
				c.saveAlive(ctx, now)
				savedAlive = now
			}
		}
	}
}

// handleLine parses one line and passes it on; the error it returns ends the connection.
func (c *Client) handleLine(ctx context.Context, line []byte, items chan<- tweet.Item, res *connResult) error {
	now := c.cfg.Now()
	c.m.lastData.Set(float64(now.UnixNano()) / 1e9)
	c.update(func(s *state) { s.LastData = now })
	if isBlank(line) {
		return nil // keep-alive
	}
	it, err := tweet.Parse(line)
	switch {
	case errors.Is(err, tweet.ErrStreamError):
		return &StreamError{Msg: err.Error()}
	case err != nil:
		c.m.badLines.Inc()
		c.log.Warn("unreadable X stream line skipped", "err", err, "line", string(truncate(line, 300)))
		return nil
	}
	if it.Post != nil {
		res.posts++
		c.m.posts.Inc()
		c.m.spend.Add(c.cfg.PricePerPost)
		c.update(func(s *state) {
			s.PostsReceived++
			s.EstimatedSpendUSD += c.cfg.PricePerPost
			s.LastPost = now
		})
	}
	select {
	case items <- it:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

func isBlank(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			return false
		}
	}
	return true
}
