// Package ingest is the one path every post takes into the giveaway, whichever source it came
// from (the HTTP endpoint, the X stream, a file import): store it once, honour deletes, and match
// it to waiting claims in the same transaction (the claims change through internal/giveaway).
package ingest

import (
	"context"
	"errors"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/boothgiveaway/giveaway/internal/giveaway"
	"github.com/boothgiveaway/giveaway/internal/retry"
	"github.com/boothgiveaway/giveaway/internal/store"
	"github.com/boothgiveaway/giveaway/internal/tweet"
)

// Result counts what a batch did.
type Result struct {
	Received   int `json:"received"`
	Stored     int `json:"stored"`
	Duplicates int `json:"duplicates"`
	Eligible   int `json:"eligible"`
	Matched    int `json:"matched"`
	Deleted    int `json:"deleted"`
}

// Add sums two results (for callers that ingest in several batches).
func (r *Result) Add(o Result) {
	r.Received += o.Received
	r.Stored += o.Stored
	r.Duplicates += o.Duplicates
	r.Eligible += o.Eligible
	r.Matched += o.Matched
	r.Deleted += o.Deleted
}

// Service stores posts and matches them.
type Service struct {
	pool    *pgxpool.Pool
	posts   *prometheus.CounterVec
	matched prometheus.Counter
}

// New returns the ingest path on pool; its counters are registered on reg when reg is not nil.
func New(pool *pgxpool.Pool, reg prometheus.Registerer) *Service {
	s := &Service{
		pool: pool,
		posts: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "giveaway_posts_ingested_total",
			Help: "Posts received by the ingest path, by outcome."}, []string{"outcome"}),
		matched: prometheus.NewCounter(prometheus.CounterOpts{Name: "giveaway_claims_matched_total",
			Help: "Claims verified by an incoming post."}),
	}
	if reg != nil {
		reg.MustRegister(s.posts, s.matched)
	}
	return s
}

type campaign struct {
	id       int64
	required []string
	starts   time.Time
	ends     time.Time
}

// eligibleFor lists the campaigns p counts for: every required hashtag, the author's own post,
// inside the window.
func eligibleFor(p *tweet.Post, norm []string, camps []campaign) []int64 {
	if !p.IsOwnPost() {
		return nil
	}
	var ids []int64
	for _, c := range camps {
		if !p.CreatedAt.Before(c.starts) && p.CreatedAt.Before(c.ends) && tweet.HasAll(norm, c.required) {
			ids = append(ids, c.id)
		}
	}
	return ids
}

// Ingest stores a batch of parsed items in one transaction. A post is stored once by
// (network, id), however often it arrives; a newer edit or a higher retweet count updates it.
func (s *Service) Ingest(ctx context.Context, items []tweet.Item) (Result, error) {
	items = s.storable(items)
	posts, deletes := split(items)
	duplicates := countPosts(items) - len(posts)
	var res Result
	wait := retry.Jittered(retryFirst, retryMax)
	for try := 1; ; try++ {
		res = Result{Received: len(items), Duplicates: duplicates}
		err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error { return s.store(ctx, tx, posts, deletes, &res) })
		if err == nil {
			break
		}
		if try == maxTries || !retryable(err) {
			return Result{}, err
		}
		if err := retry.Sleep(ctx, wait.NextBackOff()); err != nil {
			return Result{}, err
		}
	}
	s.posts.WithLabelValues("stored").Add(float64(res.Stored))
	s.posts.WithLabelValues("duplicate").Add(float64(res.Duplicates))
	s.posts.WithLabelValues("deleted").Add(float64(res.Deleted))
	s.matched.Add(float64(res.Matched))
	return res, nil
}

// A batch re-sending posts that another batch raises (it retweets them) while that batch
// re-sends the posts this one raises takes the two rows in opposite orders. No single order is
// possible: a batch holds the rows it inserts before they exist for anyone else to lock first.
// PostgreSQL breaks such a deadlock by failing one transaction, which is then run again whole;
// counts only rise, so the replay stores the same thing.
const (
	maxTries   = 5
	retryFirst = 5 * time.Millisecond
	retryMax   = 200 * time.Millisecond
)

// retryable says whether a failed transaction may succeed when run again: a deadlock or a
// serialization failure, never bad data.
func retryable(err error) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && (pg.Code == "40P01" || pg.Code == "40001")
}

// store is the batch's transaction: store and match the posts, honour the deletes.
func (s *Service) store(ctx context.Context, tx pgx.Tx, posts []*tweet.Post, deletes []tweet.Delete, res *Result) error {
	q := store.New(tx)
	rows, err := q.MatchableCampaigns(ctx)
	if err != nil {
		return err
	}
	camps := make([]campaign, len(rows))
	for i, r := range rows {
		camps[i] = campaign{r.ID, r.RequiredHashtags, r.StartsAt, r.EndsAt}
	}
	p, eligibleKeys := s.params(posts, camps, res)
	changed := false
	if len(posts) > 0 {
		if err := takeCounts(ctx, q, posts, &p); err != nil {
			return err
		}
		up, err := q.UpsertTweets(ctx, p)
		if err != nil {
			return err
		}
		var toMatch store.MatchPendingClaimsParams
		var people []string
		wall := newWallNote()
		for _, r := range up {
			if r.Inserted {
				res.Stored++
			}
			if e, ok := eligibleKeys[r.Network+"\x00"+r.ID]; ok {
				toMatch.Network = append(toMatch.Network, r.Network)
				toMatch.ID = append(toMatch.ID, r.ID)
				people = append(people, giveaway.PersonKey(r.Network, strings.ToLower(e.post.Handle)))
				if r.Inserted {
					wall.add(e)
				}
			}
		}
		if payload := wall.payload(); payload != "" {
			if err := q.NotifyNewPosts(ctx, payload); err != nil {
				return err
			}
		}
		res.Duplicates += len(posts) - res.Stored
		changed = len(up) > 0
		if len(toMatch.ID) > 0 {
			n, err := giveaway.VerifyByPosts(ctx, q, toMatch, people)
			if err != nil {
				return err
			}
			res.Matched = n
		}
	}
	if len(deletes) > 0 {
		n, err := s.delete(ctx, q, deletes)
		if err != nil {
			return err
		}
		res.Deleted = n
		changed = changed || n > 0
	}
	if changed {
		return q.NotifyOutbox(ctx)
	}
	return nil
}

// delete honours delete notices; a claim verified only by a deleted post goes back to pending
// unless another stored post of the person still verifies it.
func (s *Service) delete(ctx context.Context, q *store.Queries, deletes []tweet.Delete) (int, error) {
	var p store.DeleteTweetsParams
	for _, d := range deletes {
		p.Network = append(p.Network, d.Network)
		p.ID = append(p.ID, d.ID)
	}
	gone, err := q.DeleteTweets(ctx, p)
	if err != nil || len(gone) == 0 {
		return len(gone), err
	}
	if err := giveaway.PostsDeleted(ctx, q, gone); err != nil {
		return 0, err
	}
	return len(gone), nil
}

func countPosts(items []tweet.Item) int {
	n := 0
	for _, it := range items {
		if it.Post != nil {
			n++
		}
	}
	return n
}

// split separates posts from deletes and keeps one copy per post (the newest edit, the highest
// retweet count), sorted by key so concurrent batches lock rows in the same order.
func split(items []tweet.Item) ([]*tweet.Post, []tweet.Delete) {
	byKey := make(map[string]*tweet.Post, len(items))
	var deletes []tweet.Delete
	for _, it := range items {
		switch {
		case it.Post != nil:
			k := it.Post.Network + "\x00" + it.Post.ID
			if old, ok := byKey[k]; ok {
				if newer(it.Post.VersionID, old.VersionID) {
					it.Post.RetweetCount = max(it.Post.RetweetCount, old.RetweetCount)
					it.Post.QuoteCount = max(it.Post.QuoteCount, old.QuoteCount)
					byKey[k] = it.Post
				} else {
					old.RetweetCount = max(it.Post.RetweetCount, old.RetweetCount)
					old.QuoteCount = max(it.Post.QuoteCount, old.QuoteCount)
				}
				continue
			}
			byKey[k] = it.Post
		case it.Delete != nil:
			deletes = append(deletes, *it.Delete)
		}
	}
	posts := make([]*tweet.Post, 0, len(byKey))
	for _, p := range byKey {
		posts = append(posts, p)
		// An original in the same batch as its retweets takes their count here: the statement
		// that stores the batch cannot write one row twice.
		if p.RetweetOf != "" && p.RetweetOfCount > 0 {
			if o := byKey[p.Network+"\x00"+p.RetweetOf]; o != nil {
				o.RetweetCount = max(o.RetweetCount, p.RetweetOfCount)
			}
		}
		if p.QuoteOf != "" && p.QuoteOfCount > 0 {
			if o := byKey[p.Network+"\x00"+p.QuoteOf]; o != nil {
				o.QuoteCount = max(o.QuoteCount, p.QuoteOfCount)
			}
		}
	}
	sort.Slice(posts, func(i, j int) bool {
		if posts[i].Network != posts[j].Network {
			return posts[i].Network < posts[j].Network
		}
		return posts[i].ID < posts[j].ID
	})
	return posts, deletes
}

// takeCounts takes the tweet_counts rows of the batch before it is stored (LockTweetCounts) and
// raises each post's counts in p (built from posts, in the same order) to theirs.
func takeCounts(ctx context.Context, q *store.Queries, posts []*tweet.Post, p *store.UpsertTweetsParams) error {
	rows, err := q.LockTweetCounts(ctx, countKeys(posts))
	if err != nil {
		return err
	}
	type counts struct{ retweets, quotes int64 }
	latest := make(map[string]counts, len(rows))
	for _, r := range rows {
		latest[r.Network+"\x00"+r.ID] = counts{r.RetweetCount, r.QuoteCount}
	}
	for i := range p.ID {
		if c, ok := latest[p.Network[i]+"\x00"+p.ID[i]]; ok {
			p.RetweetCount[i] = max(p.RetweetCount[i], c.retweets)
			p.QuoteCount[i] = max(p.QuoteCount[i], c.quotes)
		}
	}
	return nil
}

// countKeys lists the tweet_counts rows the batch takes before storing (see LockTweetCounts):
// every post it stores that can be retweeted or quoted (not a retweet: retweeting or quoting one
// names its original, so no count ever names it), and every original whose count it raises, with
// the highest count it carries; one row per key, sorted, so concurrent batches lock them in the
// same order.
func countKeys(posts []*tweet.Post) store.LockTweetCountsParams {
	type counts struct{ retweets, quotes int64 }
	type key struct{ network, id string }
	byKey := make(map[key]counts, len(posts))
	for _, p := range posts {
		if k := (key{p.Network, p.ID}); p.RetweetOf == "" {
			if _, ok := byKey[k]; !ok {
				byKey[k] = counts{} // its own row, raised by nothing in this batch so far
			}
		}
		if p.RetweetOf != "" && p.RetweetOfCount > 0 {
			k := key{p.Network, p.RetweetOf}
			c := byKey[k]
			c.retweets = max(c.retweets, p.RetweetOfCount)
			byKey[k] = c
		}
		if p.QuoteOf != "" && p.QuoteOfCount > 0 {
			k := key{p.Network, p.QuoteOf}
			c := byKey[k]
			c.quotes = max(c.quotes, p.QuoteOfCount)
			byKey[k] = c
		}
	}
	keys := make([]key, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].network != keys[j].network {
			return keys[i].network < keys[j].network
		}
		return keys[i].id < keys[j].id
	})
	n := len(keys)
	out := store.LockTweetCountsParams{Network: make([]string, n), ID: make([]string, n),
		RetweetCount: make([]int64, n), QuoteCount: make([]int64, n)}
	for i, k := range keys {
		c := byKey[k]
		out.Network[i], out.ID[i], out.RetweetCount[i], out.QuoteCount[i] = k.network, k.id, c.retweets, c.quotes
	}
	return out
}

// newer compares snowflake ids like the database's id_newer.
func newer(a, b string) bool {
	if len(a) != len(b) {
		return len(a) > len(b)
	}
	return a > b
}

func (s *Service) params(posts []*tweet.Post, camps []campaign, res *Result) (store.UpsertTweetsParams, map[string]eligiblePost) {
	n := len(posts)
	p := store.UpsertTweetsParams{
		Network: make([]string, n), ID: make([]string, n), VersionID: make([]string, n),
		AuthorID: make([]string, n), Handle: make([]string, n), HandleNorm: make([]string, n),
		AuthorCreatedAt: make([]time.Time, n), CreatedAt: make([]time.Time, n), Text: make([]string, n),
		Lang: make([]string, n), Hashtags: make([]string, n), HashtagsNorm: make([]string, n),
		RetweetOf: make([]string, n), RetweetOfHandle: make([]string, n), QuoteOf: make([]string, n),
		ReplyTo: make([]string, n), RetweetCount: make([]int64, n), QuoteCount: make([]int64, n),
		RetweetOfCount: make([]int64, n), QuoteOfCount: make([]int64, n), Raw: make([]string, n),
	}
	keys := map[string]eligiblePost{}
	for i, t := range posts {
		norm := t.NormalizedHashtags()
		if ids := eligibleFor(t, norm, camps); len(ids) > 0 {
			res.Eligible++
			keys[t.Network+"\x00"+t.ID] = eligiblePost{t, ids}
		}
		p.Network[i], p.ID[i], p.VersionID[i] = t.Network, t.ID, t.VersionID
		if p.VersionID[i] == "" {
			p.VersionID[i] = t.ID
		}
		p.AuthorID[i], p.Handle[i], p.HandleNorm[i] = t.AuthorID, t.Handle, strings.ToLower(t.Handle)
		p.AuthorCreatedAt[i] = t.AuthorCreatedAt
		if t.AuthorCreatedAt.IsZero() {
			p.AuthorCreatedAt[i] = time.Unix(0, 0).UTC()
		}
		p.CreatedAt[i], p.Text[i], p.Lang[i] = t.CreatedAt, t.Text, t.Lang
		p.Hashtags[i] = strings.Join(t.Hashtags, "\x1f")
		p.HashtagsNorm[i] = strings.Join(norm, "\x1f")
		p.RetweetOf[i], p.RetweetOfHandle[i], p.QuoteOf[i], p.ReplyTo[i] = t.RetweetOf, t.RetweetOfHandle, t.QuoteOf, t.ReplyTo
		p.RetweetCount[i], p.QuoteCount[i] = t.RetweetCount, t.QuoteCount
		p.RetweetOfCount[i], p.QuoteOfCount[i] = t.RetweetOfCount, t.QuoteOfCount
		p.Raw[i] = string(t.Raw)
		if len(t.Raw) == 0 {
			p.Raw[i] = "null"
		}
	}
	return p, keys
}
