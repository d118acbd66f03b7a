package report

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/boothgiveaway/giveaway/internal/report/reportdb"
)

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
	r, err := reportdb.New(tx).Campaign(ctx, slug)
	c := campaign{id: r.ID, slug: r.Slug, name: r.Name, tz: r.TimeZone, tags: r.RequiredHashtags,
		display: r.DisplayHashtags, starts: r.StartsAt, ends: r.EndsAt}
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
	q := reportdb.New(tx)
	if err := q.TuneSession(ctx); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	c, err := loadCampaign(ctx, tx, slug)
	if err != nil {
		return nil, err
	}
	b := &builder{q: q, c: c, o: o,
		start: from.Start(c.loc), end: to.AddDays(1).Start(c.loc),
		r: newReport(c, from, to, o.now())}
	for _, step := range []func(context.Context) error{
		b.gives, b.winners, b.prizes, b.claims, b.openClaims, b.moderation,
		b.tweets, b.topHashtags, b.topTweeters, b.mostRetweeted, b.sourceGaps,
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
		Moderation: []Moderation{}, SourceGaps: []SourceGap{},
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
	q          *reportdb.Queries
	c          *campaign
	o          options
	start, end time.Time
	r          *Report
}

func (b *builder) gives(ctx context.Context) error {
	rows, err := b.q.Gives(ctx, reportdb.GivesParams{CampaignID: b.c.id, RangeStart: b.start, RangeEnd: b.end,
		Tz: b.c.tz})
	if err != nil {
		return err
	}
	for _, r := range rows {
		key, hour, n := r.Key, r.Hour, r.N
		switch r.Kind {
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
	}
	return nil
}

func (b *builder) winners(ctx context.Context) error {
	rows, err := b.q.Winners(ctx, reportdb.WinnersParams{CampaignID: b.c.id, RangeStart: b.start, RangeEnd: b.end})
	for _, r := range rows {
		b.r.Winners = append(b.r.Winners, Winner{GivenAt: localTime(r.GivenAt, b.c.loc), Network: r.Network,
			Handle: r.Handle, Prize: r.Key, PrizeName: r.Name, Staff: r.GivenByName, Code: r.Code,
			VerifiedBy: r.VerifiedBy, AccountChecked: r.AccountChecked})
	}
	return err
}

func (b *builder) prizes(ctx context.Context) error {
	rows, err := b.q.Prizes(ctx, reportdb.PrizesParams{CampaignID: b.c.id, RangeStart: b.start, RangeEnd: b.end})
	if err != nil {
		return err
	}
	days := float64(b.r.From.DaysUntil(b.r.To) + 1)
	// "Tomorrow" is the day after the range; a warning about it only matters while the campaign runs.
	runsTomorrow := b.r.To.AddDays(1).Start(b.c.loc).Before(b.c.ends)
	for _, r := range rows {
		p := Prize{Key: r.Key, Name: r.Name, Stock: int64(r.Stock), StockLeft: int64(r.StockLeft), Given: r.Given}
		p.PerDay = math.Round(float64(p.Given)/days*100) / 100
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
	}
	return nil
}

func (b *builder) claims(ctx context.Context) error {
	rows, err := b.q.Claims(ctx, reportdb.ClaimsParams{CampaignID: b.c.id, RangeStart: b.start, RangeEnd: b.end})
	for _, r := range rows {
		if r.Status == "" {
			b.r.Participants = r.N
		} else {
			b.r.Claims[r.Status] = r.N
		}
	}
	return err
}

func (b *builder) openClaims(ctx context.Context) error {
	rows, err := b.q.OpenClaims(ctx, reportdb.OpenClaimsParams{CampaignID: b.c.id, RangeStart: b.start,
		RangeEnd: b.end, Lim: OpenClaimsLimit})
	for _, r := range rows {
		b.r.OpenClaims = append(b.r.OpenClaims, OpenClaim{CreatedAt: localTime(r.CreatedAt, b.c.loc),
			Network: r.Network, Handle: r.Handle, Status: r.Status, Code: r.Code, Manual: r.Manual, PostURL: r.PostUrl})
	}
	return err
}

func (b *builder) moderation(ctx context.Context) error {
	rows, err := b.q.Moderation(ctx, reportdb.ModerationParams{CampaignID: b.c.id, RangeStart: b.start,
		RangeEnd: b.end, Actions: ModerationActions, Lim: ModerationLimit})
	for _, r := range rows {
		b.r.Moderation = append(b.r.Moderation, Moderation{At: localTime(r.At, b.c.loc), Actor: r.Actor,
			Action: r.Action, Network: r.Network, Handle: r.Handle, Details: r.Details})
	}
	return err
}

func (b *builder) tweets(ctx context.Context) error {
	rows, err := b.q.Tweets(ctx, reportdb.TweetsParams{RangeStart: b.start, RangeEnd: b.end, Tz: b.c.tz,
		Tags: b.c.tags, Starts: b.c.starts, Ends: b.c.ends})
	for _, r := range rows {
		if r.Hour < 0 {
			b.r.Tweets = TweetCounts{Captured: r.Captured, Eligible: r.Eligible}
			b.r.XAPI.Posts = r.XPosts
		} else {
			b.r.TweetsByHour[r.Hour].Captured = r.Captured
			b.r.TweetsByHour[r.Hour].Eligible = r.Eligible
		}
	}
	b.r.XAPI.PricePerPost = b.o.xPrice
	// Rounded to a millionth of a dollar so 7 × 0.005 prints as 0.035, not 0.035000000000000003.
	b.r.XAPI.EstimatedUSD = math.Round(float64(b.r.XAPI.Posts)*b.o.xPrice*1e6) / 1e6
	return err
}

func (b *builder) topHashtags(ctx context.Context) error {
	rows, err := b.q.TopHashtags(ctx, reportdb.TopHashtagsParams{RangeStart: b.start, RangeEnd: b.end,
		Tags: b.c.tags, Lim: int32(b.o.top)})
	for _, r := range rows {
		b.r.TopHashtags = append(b.r.TopHashtags, TagCount{Tag: r.Tag, Count: r.N})
	}
	return err
}

func (b *builder) topTweeters(ctx context.Context) error {
	rows, err := b.q.TopTweeters(ctx, reportdb.TopTweetersParams{RangeStart: b.start, RangeEnd: b.end,
		Tags: b.c.tags, Lim: int32(b.o.top)})
	for _, r := range rows {
		b.r.TopTweeters = append(b.r.TopTweeters, TweeterCount{Network: r.Network, Handle: r.Handle, Count: r.N})
	}
	return err
}

func (b *builder) mostRetweeted(ctx context.Context) error {
	rows, err := b.q.MostRetweeted(ctx, reportdb.MostRetweetedParams{RangeStart: b.start, RangeEnd: b.end,
		Tags: b.c.tags, Lim: int32(b.o.top)})
	for _, r := range rows {
		b.r.MostRetweeted = append(b.r.MostRetweeted, Retweeted{Network: r.Network, ID: r.ID, Handle: r.Handle,
			Text: r.Text, Retweets: r.RetweetCount})
	}
	return err
}

func (b *builder) sourceGaps(ctx context.Context) error {
	rows, err := b.q.SourceGaps(ctx, reportdb.SourceGapsParams{RangeStart: b.start, RangeEnd: b.end})
	for _, r := range rows {
		b.r.SourceGaps = append(b.r.SourceGaps, SourceGap{Source: r.Source, Kind: r.Kind,
			From: localTime(r.FromAt, b.c.loc), To: localTime(r.ToAt, b.c.loc), Detail: r.Detail})
	}
	return err
}
