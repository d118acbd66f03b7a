package report

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5"
)

//go:embed queries/*.sql
var queryFS embed.FS

// The queries are read once at start, so a missing file fails at boot rather than mid-event.
var (
	qCampaign      = mustQuery("campaign")
	qGives         = mustQuery("gives")
	qWinners       = mustQuery("winners")
	qPrizes        = mustQuery("prizes")
	qClaims        = mustQuery("claims")
	qOpenClaims    = mustQuery("open_claims")
	qModeration    = mustQuery("moderation")
	qTweets        = mustQuery("tweets")
	qTopHashtags   = mustQuery("top_hashtags")
	qTopTweeters   = mustQuery("top_tweeters")
	qMostRetweeted = mustQuery("most_retweeted")
)

func mustQuery(name string) string {
	b, err := queryFS.ReadFile("queries/" + name + ".sql")
	if err != nil {
		panic(err)
	}
	return string(b)
}

// DB is what Build needs: *pgxpool.Pool and *pgx.Conn both fit.
type DB interface {
	BeginTx(ctx context.Context, opts pgx.TxOptions) (pgx.Tx, error)
}

// Option tunes a report.
type Option func(*options)

type options struct {
	xPrice float64
	now    func() time.Time
	top    int
}

// WithXPricePerPost sets the US dollar price of reading one X post (default
// DefaultXPricePerPost).
func WithXPricePerPost(usd float64) Option { return func(o *options) { o.xPrice = usd } }

// WithNow fixes the clock the report stamps itself with (tests).
func WithNow(now func() time.Time) Option { return func(o *options) { o.now = now } }

// Location loads the time zone of the campaign, for ParseRange before Build.
func Location(ctx context.Context, db DB, slug string) (*time.Location, error) {
	tx, err := db.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	defer tx.Rollback(ctx)
	c, err := loadCampaign(ctx, tx, slug)
	if err != nil {
		return nil, err
	}
	return c.loc, nil
}

// BuildQuery is Location, ParseRange and Build in one: the query strings (?date=, ?from=&to=,
// or the CLI flags) are read in the campaign's time zone.
func BuildQuery(ctx context.Context, db DB, slug, date, from, to string, now time.Time, opts ...Option) (*Report, error) {
	loc, err := Location(ctx, db, slug)
	if err != nil {
		return nil, err
	}
	f, t, err := ParseRange(date, from, to, loc, now)
	if err != nil {
		return nil, err
	}
	return Build(ctx, db, slug, f, t, opts...)
}

type campaign struct {
	id             int64
	slug, name, tz string
	loc            *time.Location
	tags, display  []string
	starts, ends   time.Time
}

func loadCampaign(ctx context.Context, tx pgx.Tx, slug string) (*campaign, error) {
	var c campaign
	err := tx.QueryRow(ctx, qCampaign, slug).Scan(&c.id, &c.slug, &c.name, &c.tz, &c.tags, &c.display,
		&c.starts, &c.ends)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("%w: %q", ErrNotFound, slug)
	}
	if err != nil {
		return nil, fmt.Errorf("report: campaign: %w", err)
	}
	if c.loc, err = time.LoadLocation(c.tz); err != nil {
		return nil, fmt.Errorf("report: campaign %s: time zone %q: %w", slug, c.tz, err)
	}
	return &c, nil
}

// Build reports the campaign's local days from through to (inclusive).
func Build(ctx context.Context, db DB, slug string, from, to Day, opts ...Option) (*Report, error) {
	o := options{xPrice: DefaultXPricePerPost, now: time.Now, top: 10}
	for _, opt := range opts {
		opt(&o)
	}
	if to.Before(from) || from.DaysUntil(to)+1 > MaxDays {
		return nil, fmt.Errorf("%w (%s to %s)", ErrBadDate, from, to)
	}
	// One snapshot for every query, so stock left, the winners and the counts agree.
	tx, err := db.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	defer tx.Rollback(ctx)
	// The aggregates hash up to one group per author; give them memory rather than temp files.
	// JIT compiling costs more than it saves on these one-pass queries.
	for _, set := range []string{"SET LOCAL work_mem = '64MB'", "SET LOCAL jit = off"} {
		if _, err := tx.Exec(ctx, set); err != nil {
			return nil, fmt.Errorf("report: %w", err)
		}
	}
	c, err := loadCampaign(ctx, tx, slug)
	if err != nil {
		return nil, err
	}
	b := &builder{tx: tx, c: c, o: o,
		start: from.Start(c.loc), end: to.AddDays(1).Start(c.loc),
		r: newReport(c, from, to, o.now())}
	for _, step := range []func(context.Context) error{
		b.gives, b.winners, b.prizes, b.claims, b.openClaims, b.moderation,
		b.tweets, b.topHashtags, b.topTweeters, b.mostRetweeted,
	} {
		if err := step(ctx); err != nil {
			return nil, fmt.Errorf("report %s %s..%s: %w", slug, from, to, err)
		}
	}
	return b.r, nil
}

func newReport(c *campaign, from, to Day, now time.Time) *Report {
	r := &Report{
		Campaign: Campaign{Slug: c.slug, Name: c.name, TimeZone: c.tz, Hashtags: c.display,
			StartsAt: localTime(c.starts, c.loc), EndsAt: localTime(c.ends, c.loc)},
		From: from, To: to, GeneratedAt: localTime(now, c.loc),
		ByPrize: map[string]int64{}, ByNetwork: map[string]int64{}, StockLeft: map[string]int64{},
		Claims: map[string]int64{}, ByHourPrize: map[string][]int64{},
		ByHour: make([]HourGiven, 24), TweetsByHour: make([]TweetHour, 24),
		TopHashtags: []TagCount{}, TopTweeters: []TweeterCount{}, MostRetweeted: []Retweeted{},
		Winners: []Winner{}, ByStaff: []StaffGiven{}, Prizes: []Prize{}, OpenClaims: []OpenClaim{},
		Moderation: []Moderation{},
	}
	if r.Campaign.Hashtags == nil {
		r.Campaign.Hashtags = []string{}
	}
	for _, n := range Networks {
		r.ByNetwork[n] = 0
	}
	for _, s := range Statuses {
		r.Claims[s] = 0
	}
	for h := range 24 {
		r.ByHour[h].Hour = h
		r.TweetsByHour[h].Hour = h
	}
	return r
}

func localTime(t time.Time, loc *time.Location) string { return t.In(loc).Format(time.RFC3339) }

type builder struct {
	tx         pgx.Tx
	c          *campaign
	o          options
	start, end time.Time
	r          *Report
}

func (b *builder) gives(ctx context.Context) error {
	rows, err := b.tx.Query(ctx, qGives, b.c.id, b.start, b.end, b.c.tz)
	if err != nil {
		return err
	}
	var kind, key string
	var hour int
	var n int64
	_, err = pgx.ForEachRow(rows, []any{&kind, &key, &hour, &n}, func() error {
		switch kind {
		case "hour_prize":
			if b.r.ByHourPrize[key] == nil {
				b.r.ByHourPrize[key] = make([]int64, 24)
			}
			b.r.ByHourPrize[key][hour] = n
		case "hour":
			b.r.ByHour[hour].Given = n
		case "network":
			b.r.ByNetwork[key] = n
		case "staff":
			b.r.ByStaff = append(b.r.ByStaff, StaffGiven{Staff: key, Given: n})
		case "total":
			b.r.PrizesGiven = n
		}
		return nil
	})
	return err
}

func (b *builder) winners(ctx context.Context) error {
	rows, err := b.tx.Query(ctx, qWinners, b.c.id, b.start, b.end)
	if err != nil {
		return err
	}
	var w Winner
	var at time.Time
	_, err = pgx.ForEachRow(rows, []any{&at, &w.Network, &w.Handle, &w.Prize, &w.PrizeName, &w.Staff, &w.Code,
		&w.VerifiedBy, &w.AccountChecked},
		func() error {
			w.GivenAt = localTime(at, b.c.loc)
			b.r.Winners = append(b.r.Winners, w)
			return nil
		})
	return err
}

func (b *builder) prizes(ctx context.Context) error {
	rows, err := b.tx.Query(ctx, qPrizes, b.c.id, b.start, b.end)
	if err != nil {
		return err
	}
	days := float64(b.r.From.DaysUntil(b.r.To) + 1)
	// "Tomorrow" is the day after the range; a warning about it only matters while the campaign runs.
	runsTomorrow := b.r.To.AddDays(1).Start(b.c.loc).Before(b.c.ends)
	var p Prize
	_, err = pgx.ForEachRow(rows, []any{&p.Key, &p.Name, &p.Stock, &p.StockLeft, &p.Given}, func() error {
		p.PerDay = math.Round(float64(p.Given)/days*100) / 100
		p.Warning = ""
		switch {
		case p.StockLeft == 0:
			p.Warning = WarnOutOfStock
		case runsTomorrow && p.Given > 0 && float64(p.StockLeft) <= float64(p.Given)/days:
			p.Warning = WarnRunsOutTomorrow
		}
		b.r.Prizes = append(b.r.Prizes, p)
		b.r.ByPrize[p.Key] = p.Given
		if b.r.ByHourPrize[p.Key] == nil {
			b.r.ByHourPrize[p.Key] = make([]int64, 24)
		}
		b.r.StockLeft[p.Key] = p.StockLeft
		return nil
	})
	return err
}

func (b *builder) claims(ctx context.Context) error {
	rows, err := b.tx.Query(ctx, qClaims, b.c.id, b.start, b.end)
	if err != nil {
		return err
	}
	var status string
	var n int64
	_, err = pgx.ForEachRow(rows, []any{&status, &n}, func() error {
		if status == "" {
			b.r.Participants = n
		} else {
			b.r.Claims[status] = n
		}
		return nil
	})
	return err
}

func (b *builder) openClaims(ctx context.Context) error {
	rows, err := b.tx.Query(ctx, qOpenClaims, b.c.id, b.start, b.end, OpenClaimsLimit)
	if err != nil {
		return err
	}
	var c OpenClaim
	var at time.Time
	_, err = pgx.ForEachRow(rows, []any{&at, &c.Network, &c.Handle, &c.Status, &c.Code, &c.Manual, &c.PostURL},
		func() error {
			c.CreatedAt = localTime(at, b.c.loc)
			b.r.OpenClaims = append(b.r.OpenClaims, c)
			return nil
		})
	return err
}

func (b *builder) moderation(ctx context.Context) error {
	rows, err := b.tx.Query(ctx, qModeration, b.c.id, b.start, b.end, ModerationActions, ModerationLimit)
	if err != nil {
		return err
	}
	var m Moderation
	var at time.Time
	_, err = pgx.ForEachRow(rows, []any{&at, &m.Actor, &m.Action, &m.Network, &m.Handle, &m.Details},
		func() error {
			m.At = localTime(at, b.c.loc)
			b.r.Moderation = append(b.r.Moderation, m)
			return nil
		})
	return err
}

func (b *builder) tweets(ctx context.Context) error {
	rows, err := b.tx.Query(ctx, qTweets, b.start, b.end, b.c.tz, b.c.tags, b.c.starts, b.c.ends)
	if err != nil {
		return err
	}
	var hour int
	var captured, eligible, xPosts int64
	_, err = pgx.ForEachRow(rows, []any{&hour, &captured, &eligible, &xPosts}, func() error {
		if hour < 0 {
			b.r.Tweets = TweetCounts{Captured: captured, Eligible: eligible}
			b.r.XAPI.Posts = xPosts
		} else {
			b.r.TweetsByHour[hour].Captured = captured
			b.r.TweetsByHour[hour].Eligible = eligible
		}
		return nil
	})
	b.r.XAPI.PricePerPost = b.o.xPrice
	// Rounded to a millionth of a dollar so 7 × 0.005 prints as 0.035, not 0.035000000000000003.
	b.r.XAPI.EstimatedUSD = math.Round(float64(b.r.XAPI.Posts)*b.o.xPrice*1e6) / 1e6
	return err
}

func (b *builder) topHashtags(ctx context.Context) error {
	rows, err := b.tx.Query(ctx, qTopHashtags, b.start, b.end, b.c.tags, b.o.top)
	if err != nil {
		return err
	}
	var t TagCount
	_, err = pgx.ForEachRow(rows, []any{&t.Tag, &t.Count}, func() error {
		b.r.TopHashtags = append(b.r.TopHashtags, t)
		return nil
	})
	return err
}

func (b *builder) topTweeters(ctx context.Context) error {
	rows, err := b.tx.Query(ctx, qTopTweeters, b.start, b.end, b.c.tags, b.o.top)
	if err != nil {
		return err
	}
	var t TweeterCount
	_, err = pgx.ForEachRow(rows, []any{&t.Network, &t.Handle, &t.Count}, func() error {
		b.r.TopTweeters = append(b.r.TopTweeters, t)
		return nil
	})
	return err
}

func (b *builder) mostRetweeted(ctx context.Context) error {
	rows, err := b.tx.Query(ctx, qMostRetweeted, b.start, b.end, b.c.tags, b.o.top)
	if err != nil {
		return err
	}
	var t Retweeted
	_, err = pgx.ForEachRow(rows, []any{&t.Network, &t.ID, &t.Handle, &t.Text, &t.Retweets}, func() error {
		b.r.MostRetweeted = append(b.r.MostRetweeted, t)
		return nil
	})
	return err
}
