package bluesky

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/coder/websocket"

	"github.com/boothgiveaway/giveaway/internal/source"
)

// maxMessage bounds one Jetstream message. Post records are small, but a message over the limit
// closes the connection and would come back on every replay, so the bound is generous.
const maxMessage = 4 << 20

var (
	errStall  = errors.New("bluesky: no Jetstream message within the stall timeout")
	errReplay = errors.New("bluesky: replaying for a new campaign")
)

// handshakeError is a refused websocket upgrade.
type handshakeError struct {
	Status int
	Err    error
}

func (e *handshakeError) Error() string {
	return fmt.Sprintf("bluesky: Jetstream handshake: HTTP %d: %v", e.Status, e.Err)
}

func (e *handshakeError) Unwrap() error { return e.Err }

type connResult struct {
	events int // messages read
	err    error
}

// streamLoop connects and reconnects until ctx ends. The wait grows with each failure and starts
// over once a connection delivered events.
func (c *Client) streamLoop(ctx context.Context, out chan<- event) {
	var b backoff
	var checked int64 // the last cursor checked against the window, so a gap is recorded once
	for {
		cursor := c.resumeFrom()
		if cursor != checked {
			checked = cursor
			c.checkWindow(ctx, cursor)
		}
		res := c.connect(ctx, cursor, out)
		if ctx.Err() != nil {
			return
		}
		if res.err == nil {
			res.err = errors.New("bluesky: Jetstream connection ended")
		}
		if res.events > 0 {
			b.reset()
		}
		cause := dropCause(res.err)
		var wait time.Duration
		if cause != "replay" {
			wait = b.next()
		}
		c.m.Reconnects.WithLabelValues(cause).Inc()
		next := c.cfg.Now().Add(wait)
		c.update(func(s *state) {
			s.reconnects++
			s.nextAttempt = next
			if cause != "replay" {
				s.lastError = res.err.Error()
			}
		})
		if cause == "replay" {
			c.log.Info("replaying Jetstream for a new campaign")
		} else {
			c.log.Warn("Jetstream connection ended; reconnecting", "cause", cause, "err", res.err, "wait", wait)
		}
		if wait > 0 && c.cfg.Sleep(ctx, wait) != nil {
			return
		}
	}
}

// checkWindow records the stretch a cursor older than Jetstream's window cannot replay:
// Jetstream starts from its oldest event instead, without saying so.
func (c *Client) checkWindow(ctx context.Context, cursor int64) {
	if cursor <= 1 {
		return // no saved position: nothing was promised before now
	}
	from := time.UnixMicro(cursor).UTC()
	oldest := c.cfg.Now().Add(-c.cfg.ReplayWindow)
	if !oldest.After(from) {
		return
	}
	c.update(func(s *state) { s.lostFrom, s.lostTo = from, oldest })
	source.RecordGap(ctx, c.pool, c.log, c.m.Metrics, source.Gap{Source: c.Name(), Kind: source.GapCursorTooOld,
		From: from, To: oldest, Detail: fmt.Sprintf("the saved cursor was older than the %v Jetstream keeps (BLUESKY_JETSTREAM_WINDOW)", c.cfg.ReplayWindow)})
}

func dropCause(err error) string {
	var he *handshakeError
	switch {
	case errors.Is(err, errReplay):
		return "replay"
	case errors.Is(err, errStall):
		return "stall"
	case errors.As(err, &he):
		return "handshake"
	case websocket.CloseStatus(err) != -1:
		return "closed"
	}
	return "network"
}

// resumeFrom is the cursor for the next connection: the last stored position, or an earlier one
// a new campaign asked for, minus the rewind.
func (c *Client) resumeFrom() int64 {
	select {
	case <-c.replay: // this connection serves the request
	default:
	}
	cur := c.committed.Load()
	if r := c.replayFrom.Swap(0); r > 0 && (cur == 0 || r < cur) {
		cur = r
	}
	return max(cur-c.cfg.CursorRewind.Microseconds(), 1)
}

func (c *Client) subscribeURL(cursor int64) string {
	q := url.Values{"wantedCollections": {postCollection}, "cursor": {strconv.FormatInt(cursor, 10)}}
	return c.cfg.JetstreamURL + "?" + q.Encode()
}

// connect reads one connection until it ends.
func (c *Client) connect(ctx context.Context, cursor int64, out chan<- event) (res connResult) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	dctx, dcancel := context.WithTimeout(ctx, 30*time.Second)
	conn, resp, err := websocket.Dial(dctx, c.subscribeURL(cursor), &websocket.DialOptions{
		HTTPClient: c.cfg.HTTPClient,
		HTTPHeader: http.Header{"User-Agent": {userAgent}},
	})
	dcancel()
	if err != nil {
		if resp != nil && resp.StatusCode != http.StatusSwitchingProtocols {
			return connResult{err: &handshakeError{Status: resp.StatusCode, Err: err}}
		}
		return connResult{err: fmt.Errorf("bluesky: Jetstream dial: %w", err)}
	}
	defer conn.CloseNow()
	conn.SetReadLimit(maxMessage)

	c.m.Connected.Set(1)
	c.update(func(s *state) { s.connected, s.connectedSince, s.nextAttempt = true, c.cfg.Now(), time.Time{} })
	c.log.Info("Jetstream connected", "cursor", time.UnixMicro(cursor).UTC())
	defer func() {
		c.m.Connected.Set(0)
		c.update(func(s *state) { s.connected, s.connectedSince = false, time.Time{} })
	}()
	go func() {
		select {
		case <-c.replay:
			cancel(errReplay)
		case <-ctx.Done():
		}
	}()

	var lastBadLog time.Time
	for {
		// A read that outlasts the stall timeout closes the connection (coder/websocket closes
		// it whenever a read's context ends), which is the drop we want.
		rctx, rcancel := context.WithTimeoutCause(ctx, c.cfg.StallTimeout, errStall)
		typ, msg, err := conn.Read(rctx)
		stalled := errors.Is(context.Cause(rctx), errStall)
		rcancel()
		if err != nil {
			switch cause := context.Cause(ctx); {
			case cause != nil && !errors.Is(cause, context.Canceled):
				err = cause
			case stalled:
				err = errStall
			}
			res.err = err
			return res
		}
		res.events++
		now := c.cfg.Now()
		var ev event
		if typ == websocket.MessageText {
			ev, err = parseEvent(msg, c.camps.Load().wants, now)
		} else {
			err = badf("binary message (compression is not asked for)")
		}
		c.count(ev, err, now)
		if err != nil && now.Sub(lastBadLog) > 10*time.Second {
			lastBadLog = now // a broken upstream must not flood the log
			c.log.Warn("unreadable Jetstream message skipped", "err", err, "message", string(truncate(msg, 300)))
		}
		if ev.timeUS == 0 {
			continue
		}
		select {
		case out <- ev:
		case <-ctx.Done():
			res.err = context.Cause(ctx)
			return res
		}
	}
}

func (c *Client) count(ev event, err error, now time.Time) {
	if err != nil {
		c.m.bad.Inc()
	} else {
		c.m.events.WithLabelValues(ev.kind).Inc()
	}
	if ev.post != nil {
		c.m.kept.Inc()
	}
	c.update(func(s *state) {
		s.lastEvent = now
		s.events++
		if err != nil {
			s.badMessages++
		}
		if ev.post != nil {
			s.postsKept++
		}
	})
}
