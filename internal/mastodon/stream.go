package mastodon

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/boothgiveaway/giveaway/internal/source"
	"github.com/boothgiveaway/giveaway/internal/store"
	"github.com/boothgiveaway/giveaway/internal/tweet"
)

const (
	maxLine  = 4 << 20 // one SSE line; a status is a few kilobytes
	pageSize = 40      // the most Mastodon gives per timeline page
	maxBatch = 100     // events handed to the sink at once
)

// errStall is a connection that went silent: Mastodon heartbeats every 10-15 s.
var errStall = errors.New("mastodon stream: no event or heartbeat within the stall timeout")

// stream keeps one hashtag stream open and fills the gaps around its connections.
type stream struct {
	c       *Client
	inst    instance
	tag     string // the first hashtag as Mastodon names it, which is also how it is asked for
	source  string // names the saved cursor
	filters atomic.Pointer[[]filter]
	cancel  context.CancelFunc
	done    chan struct{}
}

func (c *Client) startStream(ctx context.Context, inst instance, spec *streamSpec) *stream {
	ctx, cancel := context.WithCancel(ctx)
	s := &stream{c: c, inst: inst, tag: spec.tag,
		source: "mastodon:" + c.host + ":" + spec.tag, cancel: cancel, done: make(chan struct{})}
	s.filters.Store(&spec.filters)
	c.update(func(st *state) {
		if st.streams == nil {
			st.streams = map[string]*streamState{}
		}
		st.streams[spec.tag] = &streamState{}
	})
	go func() {
		defer close(s.done)
		s.run(ctx)
	}()
	return s
}

func (s *stream) stop() {
	s.cancel()
	<-s.done
}

func (s *stream) setState(f func(*streamState)) {
	s.c.update(func(st *state) {
		if ss := st.streams[s.tag]; ss != nil {
			f(ss)
		}
	})
}

type connResult struct {
	established bool // the stream answered 200
	lived       time.Duration
	cause       string // set when the trouble was ours rather than the connection's: gap_fill, ingest, database
	err         error  // why it ended
}

// run connects and reconnects until ctx ends.
func (s *stream) run(ctx context.Context) {
	var b backoff
	log := s.c.log.With("tag", s.tag)
	for {
		res := s.connect(ctx)
		if ctx.Err() != nil {
			return
		}
		if res.err == nil {
			res.err = io.EOF
		}
		kind, floor := kindOf(res.err)
		cause := res.cause
		if cause == "" {
			cause = dropCause(res.err)
		}
		var wait time.Duration
		if res.established && res.lived >= s.c.cfg.HealthyAfter {
			// It worked for a while: start over, at once; the gap fill covers the moment away.
			b.reset()
		} else {
			wait = b.next(kind, floor)
		}
		s.c.m.Reconnects.WithLabelValues(cause).Inc()
		s.c.update(func(st *state) {
			st.reconnects++
			st.lastError = res.err.Error()
		})
		s.setState(func(ss *streamState) { ss.lastError = res.err.Error() })
		attrs := []any{"cause", cause, "err", res.err, "wait", wait}
		if kind == failAuth {
			log.Error("Mastodon refused the token; check MASTODON_TOKEN (a user token with read access)", attrs...)
		} else {
			log.Warn("Mastodon stream ended; reconnecting", attrs...)
		}
		if wait > 0 && s.c.cfg.Sleep(ctx, wait) != nil {
			return
		}
	}
}

func dropCause(err error) string {
	var he *HTTPError
	switch {
	case errors.Is(err, errStall):
		return "stall"
	case errors.Is(err, io.EOF):
		return "closed"
	case errors.As(err, &he):
		switch kind, _ := kindOf(err); kind {
		case failAuth:
			return "auth"
		case failRate:
			return "rate_limited"
		}
		return "http"
	}
	return "network"
}

// connect opens the stream, fills the gap since the saved cursor, then reads the stream until
// it ends. The stream opens first so that nothing posted during the fill falls between the two.
func (s *stream) connect(ctx context.Context) (res connResult) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	req, err := s.c.newRequest(ctx, s.inst.Streaming+"/api/v1/streaming/hashtag?"+url.Values{"tag": {s.tag}}.Encode())
	if err != nil {
		return connResult{err: err}
	}
	req.Header.Set("Accept", "text/event-stream")
	resp, err := s.c.cfg.HTTPClient.Do(req)
	if err != nil {
		return connResult{err: fmt.Errorf("mastodon stream: %w", err)}
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return connResult{err: httpError(resp, s.c.cfg.Now())}
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		// E.g. the web app's page when the streaming API is served elsewhere but not announced.
		return connResult{err: fmt.Errorf("mastodon stream: answer is %q, not an event stream", ct)}
	}

	res.established = true
	started := time.Now()
	s.c.m.Connected.Inc()
	s.setState(func(ss *streamState) { ss.connected, ss.since = true, s.c.cfg.Now() })
	s.c.log.Info("Mastodon stream connected", "tag", s.tag)
	defer func() {
		res.lived = time.Since(started)
		s.c.m.Connected.Dec()
		s.setState(func(ss *streamState) { ss.connected, ss.live = false, false })
	}()

	// The reader only reads, so a stall can be ended from here by cancelling the request, and
	// events queue up while the gap is filled.
	var lastRead atomic.Int64
	lastRead.Store(time.Now().UnixNano())
	events := make(chan sseEvent, 4096)
	readErr := make(chan error, 1)
	go s.read(ctx, resp.Body, events, readErr, &lastRead)

	saved, err := s.loadCursor(ctx)
	if err != nil {
		return connResult{established: true, cause: "database", err: fmt.Errorf("cursor: %w", err)}
	}
	newest, err := s.fill(ctx, saved)
	if err != nil {
		return connResult{established: true, cause: "gap_fill", err: fmt.Errorf("gap fill: %w", err)}
	}
	if err := s.saveCursor(ctx, &saved, newest); err != nil {
		return connResult{established: true, cause: "database", err: fmt.Errorf("cursor: %w", err)}
	}
	s.setState(func(ss *streamState) { ss.live = true })

	check := time.NewTicker(max(s.c.cfg.StallTimeout/8, 10*time.Millisecond))
	defer check.Stop()
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				err := <-readErr
				if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
					err = cause // the stall that ended the read
				}
				res.err = err
				return res
			}
			batch := []sseEvent{ev}
		drain:
			for len(batch) < maxBatch {
				select {
				case ev, ok := <-events:
					if !ok {
						break drain
					}
					batch = append(batch, ev)
				default:
					break drain
				}
			}
			items, newest, unknown := s.handle(batch)
			if len(unknown) > 0 {
				// Deletes of posts stored before this process started: found by their local id.
				uris, err := store.New(s.c.pool).MastodonPostsByLocalID(ctx, unknown)
				if err != nil {
					res.cause, res.err = "database", fmt.Errorf("deletes: %w", err)
					return res
				}
				for _, uri := range uris {
					items = append(items, tweet.Item{Delete: &tweet.Delete{Network: "mastodon", ID: uri}})
				}
			}
			if len(items) > 0 {
				// On failure the connection ends and the next one's gap fill brings the posts
				// again: the cursor has not moved past them.
				if _, err := s.c.sink.Ingest(ctx, items); err != nil {
					res.cause, res.err = "ingest", fmt.Errorf("ingest: %w", err)
					return res
				}
			}
			if err := s.saveCursor(ctx, &saved, newest); err != nil {
				res.cause, res.err = "database", fmt.Errorf("cursor: %w", err)
				return res
			}
		case <-check.C:
			if len(events) == 0 && time.Since(time.Unix(0, lastRead.Load())) > s.c.cfg.StallTimeout {
				cancel(errStall)
			}
		}
	}
}

func (s *stream) loadCursor(ctx context.Context) (string, error) {
	pos, err := store.New(s.c.pool).SourceCursor(ctx, s.source)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	if !numericID(pos) {
		s.c.log.Warn("saved Mastodon cursor is not a status id; starting fresh", "source", s.source, "position", pos)
		return "", nil
	}
	return pos, nil
}

// saveCursor records newest when it is past *saved. Callers save only after the posts up to
// newest were ingested, so a restart may repeat posts (stored once anyway) but never skips one.
func (s *stream) saveCursor(ctx context.Context, saved *string, newest string) error {
	if newest == "" || !idNewer(newest, *saved) {
		return nil
	}
	if err := store.New(s.c.pool).SaveSourceCursor(ctx, store.SaveSourceCursorParams{Source: s.source, Position: newest}); err != nil {
		return err
	}
	*saved = newest
	return nil
}

// fill ingests what the hashtag timeline holds after cursor, once per campaign filter (all[]
// asks Mastodon for the other required hashtags too), and returns the newest status id it saw.
// With no cursor (the very first start) it takes the latest page only.
func (s *stream) fill(ctx context.Context, cursor string) (string, error) {
	newest := cursor
	var reached time.Time // the newest post the fill read: what follows it is a gap when it stops early
	for _, f := range *s.filters.Load() {
		minID := cursor
		for pages := 1; ; pages++ {
			q := url.Values{"limit": {fmt.Sprint(pageSize)}}
			for _, o := range f.others {
				q.Add("all[]", o)
			}
			if minID != "" {
				// min_id gives the page just after it (newest first), so paging moves forward.
				q.Set("min_id", minID)
			}
			page, err := s.c.timelinePage(ctx, s.tag, q)
			if err != nil {
				return "", err
			}
			if len(page) == 0 {
				break
			}
			s.c.m.filled.Add(float64(len(page)))
			var items []tweet.Item
			pageNewest := ""
			for _, raw := range page {
				st, err := parseStatus(raw)
				if err != nil {
					s.bad("timeline", err, raw)
					continue
				}
				if numericID(st.ID) && idNewer(st.ID, pageNewest) {
					pageNewest = st.ID
				}
				if st.CreatedAt.After(reached) {
					reached = st.CreatedAt
				}
				if p := s.keep(st, raw, false); p != nil {
					items = append(items, tweet.Item{Post: p})
				}
			}
			if len(items) > 0 {
				if _, err := s.c.sink.Ingest(ctx, items); err != nil {
					return "", fmt.Errorf("ingest: %w", err)
				}
			}
			if idNewer(pageNewest, newest) {
				newest = pageNewest
			}
			if minID == "" || !idNewer(pageNewest, minID) {
				break // first start, or a server that ignores min_id
			}
			if pages >= s.c.cfg.MaxFillPages {
				source.RecordGap(ctx, s.c.pool, s.c.log.With("tag", s.tag), s.c.m.Metrics, source.Gap{Source: s.c.Name(),
					Kind: source.GapFillIncomplete, From: reached, To: s.c.cfg.Now(),
					Detail: fmt.Sprintf("catching up on #%s after a reconnect stopped after %d pages of %d posts", s.tag, pages, pageSize)})
				break
			}
			minID = pageNewest
		}
	}
	return newest, nil
}

// handle turns stream events into items for the sink, and returns the newest status id among
// the new posts (edits and deletes do not move the cursor) and the local ids of deleted statuses
// this process has not seen, which may still be stored.
func (s *stream) handle(evs []sseEvent) (items []tweet.Item, newest string, unknownDeletes []string) {
	for _, ev := range evs {
		switch ev.name {
		case "update", "status.update":
			st, err := parseStatus(ev.data)
			if err != nil {
				s.bad(ev.name, err, ev.data)
				continue
			}
			if ev.name == "update" && numericID(st.ID) && idNewer(st.ID, newest) {
				newest = st.ID
			}
			if p := s.keep(st, ev.data, ev.name == "status.update"); p != nil {
				items = append(items, tweet.Item{Post: p})
			}
		case "delete":
			// The event gives the local id; posts this process passed on are remembered.
			id := strings.TrimSpace(string(ev.data))
			if uri, ok := s.c.known.get(id); ok {
				items = append(items, tweet.Item{Delete: &tweet.Delete{Network: "mastodon", ID: uri}})
			} else if numericID(id) {
				unknownDeletes = append(unknownDeletes, id)
			}
		}
		// Other events (announcements, filters_changed, ...) say nothing about posts.
	}
	return items, newest, unknownDeletes
}

// keep converts st when it is an author's own post carrying every required hashtag of one of
// the stream's campaigns; an edit of a post passed on before is kept whatever its tags, so the
// stored copy follows it.
func (s *stream) keep(st *status, raw []byte, edit bool) *tweet.Post {
	outcome := "kept"
	matched := s.matching(st.tagNames())
	switch {
	case st.boost():
		outcome = "boost"
	case len(matched) > 0:
	case edit:
		if _, ok := s.c.known.get(st.ID); !ok {
			outcome = "missing_tags"
		}
	default:
		outcome = "missing_tags"
	}
	s.c.m.statuses.WithLabelValues(outcome).Inc()
	if outcome != "kept" {
		return nil
	}
	s.c.known.add(st.ID, st.URI)
	now := s.c.cfg.Now()
	s.c.update(func(cs *state) {
		cs.postsReceived++
		cs.lastPost = now
	})
	p := st.post(raw, s.inst.Domain)
	for _, f := range matched {
		p.Hashtags = withCampaignSpelling(p.Hashtags, f.spelled)
	}
	return p
}

// matching lists the stream's campaign filters whose every tag is among names.
func (s *stream) matching(names []string) []filter {
	var out []filter
	for _, f := range *s.filters.Load() {
		if allIn(names, f.required) {
			out = append(out, f)
		}
	}
	return out
}

func allIn(have, want []string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

func (s *stream) bad(where string, err error, data []byte) {
	s.c.m.statuses.WithLabelValues("bad").Inc()
	if len(data) > 300 {
		data = data[:300]
	}
	s.c.log.Warn("unreadable Mastodon status skipped", "tag", s.tag, "event", where, "err", err, "data", string(data))
}

// sseEvent is one Server-Sent Event.
type sseEvent struct {
	name string
	data []byte
}

// read parses the Server-Sent Events on body: "event:" and "data:" fields up to a blank line;
// lines starting with ':' are comments, Mastodon's heartbeats.
func (s *stream) read(ctx context.Context, body io.Reader, events chan<- sseEvent, readErr chan<- error, lastRead *atomic.Int64) {
	defer close(events)
	br := bufio.NewReaderSize(body, 64<<10)
	var (
		ev      sseEvent
		hasData bool
		broken  bool // a line of this event was too long: the event is dropped whole
	)
	for {
		line, tooLong, err := source.ReadLine(br, maxLine)
		if len(line) > 0 || err == nil {
			now := s.c.cfg.Now()
			lastRead.Store(time.Now().UnixNano())
			s.c.m.lastEvent.Set(float64(now.UnixNano()) / 1e9)
			s.c.update(func(st *state) { st.lastEvent = now })
		}
		if err != nil {
			readErr <- err
			return
		}
		switch {
		case tooLong:
			broken = true
		case len(line) == 0:
			if broken {
				s.bad(ev.name, fmt.Errorf("line longer than %d bytes", maxLine), nil)
			} else if ev.name != "" || hasData {
				select {
				case events <- ev:
				case <-ctx.Done():
					readErr <- context.Cause(ctx)
					return
				}
			}
			ev, hasData, broken = sseEvent{}, false, false
		case line[0] == ':':
			// heartbeat
		default:
			field, value, _ := strings.Cut(string(line), ":")
			value = strings.TrimPrefix(value, " ")
			switch field {
			case "event":
				ev.name = value
			case "data":
				if hasData {
					ev.data = append(ev.data, '\n')
				}
				ev.data = append(ev.data, value...)
				hasData = true
			}
		}
	}
}
