package bluesky

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/boothgiveaway/giveaway/internal/store"
	"github.com/boothgiveaway/giveaway/internal/tweet"
)

// storedLookup bounds the ids asked about in one query.
const storedLookup = 5000

// processor turns the events of successive connections into batches for the sink. It alone
// moves the cursor: to the newest event it consumed, once everything before it is stored.
type processor struct {
	c       *Client
	handles *handles

	posts   []*tweet.Post     // kept posts, authors not yet resolved
	updates []*tweet.Post     // edits without the tags, passed on only for stored posts
	deletes []string          // at-uris
	idents  map[string]string // did → handle from identity events
	seen    int64             // newest time_us consumed
	saved   int64             // cursor last saved
	savedAt time.Time
	wrote   bool // a flush stored something since the cursor was saved
}

func newProcessor(c *Client) *processor {
	return &processor{c: c, handles: newHandles(c), idents: map[string]string{},
		saved: c.committed.Load(), savedAt: time.Now()}
}

func (p *processor) pending() int {
	return len(p.posts) + len(p.updates) + len(p.deletes) + len(p.idents)
}

// run consumes events until in is closed, then stores what is left (bounded, since ctx has
// ended by then).
func (p *processor) run(ctx context.Context, in <-chan event) {
	batch := time.NewTimer(time.Hour)
	batch.Stop()
	armed := false
	tick := time.NewTicker(p.c.cfg.CursorEvery)
	defer tick.Stop()
	for {
		select {
		case ev, ok := <-in:
			if !ok {
				fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
				defer cancel()
				if !p.flushRetry(fctx) {
					p.c.log.Error("stopping with Bluesky posts not stored; they are read again at the next start",
						"pending", p.pending())
				}
				return
			}
			p.add(ev)
			switch {
			case len(p.posts)+len(p.updates) >= p.c.cfg.BatchSize || len(p.deletes) >= storedLookup:
				batch.Stop() // since Go 1.23 no stale tick can remain
				armed = false
				p.flushRetry(ctx)
			case !armed && p.pending() > 0:
				batch.Reset(p.c.cfg.BatchWait)
				armed = true
			}
		case <-batch.C:
			armed = false
			p.flushRetry(ctx)
		case <-tick.C:
			if p.pending() == 0 && p.seen > p.saved && time.Since(p.savedAt) >= p.c.cfg.CursorEvery {
				p.flushRetry(ctx) // only saves the cursor
			}
		}
		p.c.update(func(s *state) { s.pending = p.pending() })
	}
}

func (p *processor) add(ev event) {
	p.seen = max(p.seen, ev.timeUS)
	switch {
	case ev.post != nil:
		p.posts = append(p.posts, ev.post)
	case ev.update != nil:
		p.updates = append(p.updates, ev.update)
	case ev.deleteID != "":
		p.deletes = append(p.deletes, ev.deleteID)
	case ev.identity != nil:
		p.idents[ev.identity.did] = ev.identity.handle
	}
}

// flushRetry flushes until it succeeds or ctx ends. Meanwhile nothing more is read: the
// connection backs up and may drop, and the next one resumes from the saved cursor.
func (p *processor) flushRetry(ctx context.Context) bool {
	var b backoff
	for {
		err := p.flush(ctx)
		if err == nil {
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		wait := b.next()
		p.c.log.Error("storing Bluesky posts failed; retrying", "err", err, "pending", p.pending(), "wait", wait)
		p.c.update(func(s *state) { s.lastError = "store: " + err.Error() })
		if p.c.cfg.Sleep(ctx, wait) != nil {
			return false
		}
	}
}

// flush stores everything pending and then saves the cursor. On error everything stays pending;
// storing again is harmless.
func (p *processor) flush(ctx context.Context) error {
	upTo := p.seen
	if err := p.handles.apply(ctx, p.idents); err != nil {
		return err
	}
	clear(p.idents)
	items, err := p.items(ctx)
	if err != nil {
		return err
	}
	for len(items) > 0 {
		n := min(len(items), p.c.cfg.BatchSize)
		if err := p.ingest(ctx, items[:n]); err != nil {
			return err
		}
		items = items[n:]
		p.wrote = true
	}
	p.posts, p.updates, p.deletes = nil, nil, nil
	if upTo > p.saved && (p.wrote || time.Since(p.savedAt) >= p.c.cfg.CursorEvery) {
		if err := store.New(p.c.pool).SaveSourceCursor(ctx, store.SaveSourceCursorParams{
			Source: cursorSource, Position: strconv.FormatInt(upTo, 10)}); err != nil {
			return err
		}
		p.saved, p.savedAt, p.wrote = upTo, time.Now(), false
		p.c.committed.Store(upTo)
	}
	return nil
}

// items builds the batch: kept posts, the edits and deletes of posts we store (the firehose
// carries every deletion on Bluesky; each would otherwise leave a tombstone), authors resolved.
func (p *processor) items(ctx context.Context) ([]tweet.Item, error) {
	inBatch := map[string]bool{}
	for _, post := range p.posts {
		inBatch[post.ID] = true
	}
	var ask []string
	for _, u := range p.updates {
		if !inBatch[u.ID] {
			ask = append(ask, u.ID)
		}
	}
	for _, d := range p.deletes {
		if !inBatch[d] {
			ask = append(ask, d)
		}
	}
	stored, err := p.stored(ctx, ask)
	if err != nil {
		return nil, err
	}
	var posts []*tweet.Post
	posts = append(posts, p.posts...)
	for _, u := range p.updates {
		if inBatch[u.ID] || stored[u.ID] {
			posts = append(posts, u)
		}
	}
	var dids []string
	seen := map[string]bool{}
	for _, post := range posts {
		if !seen[post.AuthorID] {
			seen[post.AuthorID] = true
			dids = append(dids, post.AuthorID)
		}
	}
	names, err := p.handles.resolve(ctx, dids)
	if err != nil {
		return nil, err
	}
	items := make([]tweet.Item, 0, len(posts))
	for _, post := range posts {
		// Without a handle the post is kept under its DID: it matches no claim, but it counts in
		// the report and a later fix of the handle does not need the post again.
		post.Handle = post.AuthorID
		if h := names[post.AuthorID]; h != "" {
			post.Handle = h
		}
		items = append(items, tweet.Item{Post: post})
	}
	for _, d := range p.deletes {
		if inBatch[d] || stored[d] {
			items = append(items, tweet.Item{Delete: &tweet.Delete{Network: network, ID: d}})
		}
	}
	return items, nil
}

func (p *processor) stored(ctx context.Context, ids []string) (map[string]bool, error) {
	out := map[string]bool{}
	q := store.New(p.c.pool)
	for len(ids) > 0 {
		n := min(len(ids), storedLookup)
		got, err := q.StoredTweetIDs(ctx, store.StoredTweetIDsParams{Network: network, Ids: ids[:n]})
		if err != nil {
			return nil, err
		}
		for _, id := range got {
			out[id] = true
		}
		ids = ids[n:]
	}
	return out, nil
}

// ingest hands items to the sink. When the database refuses the data itself (not a passing
// failure), the items go one by one and the refused ones are skipped, so one odd post cannot
// stop the stream for good.
func (p *processor) ingest(ctx context.Context, items []tweet.Item) error {
	_, err := p.c.sink.Ingest(ctx, items)
	if err == nil || !refusedData(err) {
		if err != nil {
			p.c.m.ingestErrors.Inc()
		}
		return err
	}
	for _, it := range items {
		_, err := p.c.sink.Ingest(ctx, []tweet.Item{it})
		switch {
		case err == nil:
		case refusedData(err):
			id := ""
			if it.Post != nil {
				id = it.Post.ID
			} else if it.Delete != nil {
				id = it.Delete.ID
			}
			p.c.m.dropped.Inc()
			p.c.log.Error("the database refused a Bluesky post; skipped", "id", id, "err", err)
		default:
			p.c.m.ingestErrors.Inc()
			return err
		}
	}
	return nil
}

// refusedData reports an error in the data (SQLSTATE classes 22 and 23), which retrying cannot fix.
func refusedData(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (strings.HasPrefix(pe.Code, "22") || strings.HasPrefix(pe.Code, "23"))
}
