// Package report builds the end-of-day giveaway report of a campaign from PostgreSQL and renders
// it as JSON (the Report struct), CSV (one row per prize given) and a printable HTML page with
// charts drawn on the server as SVG.
//
// Days are calendar days in the campaign's time zone: a give at 23:59 Seoul time counts on that
// Seoul day. Every figure is aggregated by PostgreSQL inside one read-only REPEATABLE READ
// transaction, so the numbers of one report agree with each other.
package report

import (
	"fmt"
	"time"

	"github.com/boothgiveaway/giveaway/internal/apperr"
)

// MaxDays caps a range so a report stays a report and not an accidental full-table export.
const MaxDays = 31

// DefaultXPricePerPost is the X API pay-per-use price of reading one post, in US dollars.
const DefaultXPricePerPost = 0.005

var (
	// ErrNotFound means no campaign has the slug.
	ErrNotFound = apperr.New(apperr.NotFound, "campaign_not_found", "no campaign has this slug")
	// ErrBadDate means a date or range could not be used.
	ErrBadDate = apperr.New(apperr.Invalid, "bad_date",
		"dates are YYYY-MM-DD; give date, or from (and to), with from <= to and at most %d days", MaxDays)
)

// Networks are the networks a claim can name (the claims.network check in 001_core.sql); the
// report lists each, so by_network has stable keys for scripts and spreadsheets.
var Networks = []string{"twitter", "instagram", "facebook", "linkedin", "mastodon", "bluesky", "threads", "other"}

// Statuses are the claim statuses (the claims.status check in 001_core.sql).
var Statuses = []string{"pending", "verified", "given", "rejected"}

// ModerationActions are the audit_log actions the page lists as moderation.
var ModerationActions = []string{"approved", "rejected", "hidden", "unhidden", "blocked", "unblocked", "wall_approved", "wall_settings"}

// Report is one campaign's report for a range of local days. The fields up to Winners are the
// documented API (GUIDE.md); the rest feed the printable page. Slices and maps are never nil, so
// an empty day marshals as zeros and empty arrays.
type Report struct {
	Campaign    Campaign `json:"campaign"`
	From        Day      `json:"from"`
	To          Day      `json:"to"`
	GeneratedAt string   `json:"generated_at"` // local time, RFC 3339

	PrizesGiven int64            `json:"prizes_given"`
	ByPrize     map[string]int64 `json:"by_prize"`
	ByNetwork   map[string]int64 `json:"by_network"`
	// ByHour holds the 24 local hours of the day; over a range each hour sums all days.
	ByHour    []HourGiven      `json:"by_hour"`
	StockLeft map[string]int64 `json:"stock_left"` // the prizes table now, not at the end of the range
	// Participants counts distinct people (network + handle) whose claim was created in the range.
	Participants int64            `json:"participants"`
	Claims       map[string]int64 `json:"claims"` // claims created in the range, by current status
	Tweets       TweetCounts      `json:"tweets"`
	// The top lists count authors' own posts only: a plain retweet repeats the original's
	// hashtags and would count it twice.
	TopHashtags   []TagCount     `json:"top_hashtags"`
	TopTweeters   []TweeterCount `json:"top_tweeters"`
	MostRetweeted []Retweeted    `json:"most_retweeted"`
	Winners       []Winner       `json:"winners"`

	ByStaff []StaffGiven `json:"by_staff"`
	// ByHourPrize splits ByHour by prize key (24 entries each) for the stacked chart.
	ByHourPrize  map[string][]int64 `json:"by_hour_prize"`
	Prizes       []Prize            `json:"prizes"`
	TweetsByHour []TweetHour        `json:"tweets_by_hour"`
	// OpenClaims are the claims created in the range that are still pending or were rejected
	// (at most OpenClaimsLimit; Claims has the full counts).
	OpenClaims []OpenClaim  `json:"open_claims"`
	Moderation []Moderation `json:"moderation"`
	XAPI       XAPISpend    `json:"x_api_spend"`
	// SourceGaps are the stretches a source knows it could not read that overlap the range
	// (at most SourceGapsLimit), so the organiser knows what might be missing before
	// announcing winners.
	SourceGaps []SourceGap `json:"source_gaps"`
}

// SourceGapsLimit bounds the gaps a report lists.
const SourceGapsLimit = 200

// SourceGap is a stretch in which a source could not read posts (internal/source.RecordGap).
type SourceGap struct {
	Source string `json:"source"` // x_stream, mastodon, bluesky
	Kind   string `json:"kind"`   // reconnect, cursor_too_old, fill_incomplete
	From   string `json:"from"`   // local time, RFC 3339
	To     string `json:"to"`
	Detail string `json:"detail"` // why, for the organiser
}

// Campaign is what the report says about the campaign itself.
type Campaign struct {
	Slug     string   `json:"slug"`
	Name     string   `json:"name"`
	TimeZone string   `json:"time_zone"`
	Hashtags []string `json:"hashtags"` // as the organiser typed them
	StartsAt string   `json:"starts_at"`
	EndsAt   string   `json:"ends_at"`
}

// HourGiven is the number of prizes given in one local hour.
type HourGiven struct {
	Hour  int   `json:"hour"`
	Given int64 `json:"given"`
}

// TweetCounts counts the campaign's posts created in the range: captured carry any of its
// hashtags; eligible carry all of them, are not plain retweets, and fall inside the window.
type TweetCounts struct {
	Captured int64 `json:"captured"`
	Eligible int64 `json:"eligible"`
}

// TagCount is a hashtag (normalized) and the number of posts carrying it.
type TagCount struct {
	Tag   string `json:"tag"`
	Count int64  `json:"count"`
}

// TweeterCount is an author and the number of their own posts.
type TweeterCount struct {
	Network string `json:"network"`
	Handle  string `json:"handle"`
	Count   int64  `json:"count"`
}

// Retweeted is a post with its retweet count as the source last reported it.
type Retweeted struct {
	Network  string `json:"network"`
	ID       string `json:"id"`
	Handle   string `json:"handle"`
	Text     string `json:"text"`
	Retweets int64  `json:"retweets"`
}

// Winner is one prize given and not undone.
type Winner struct {
	GivenAt   string `json:"given_at"` // local time, RFC 3339 with offset
	Network   string `json:"network"`
	Handle    string `json:"handle"`
	Prize     string `json:"prize"` // the prize key
	PrizeName string `json:"prize_name"`
	Staff     string `json:"staff"`
	Code      string `json:"code"`
	// VerifiedBy is how the claim was proven: code, handle, oauth or staff.
	VerifiedBy string `json:"verified_by"`
	// AccountChecked: staff checked the account on the attendee's phone before the give.
	AccountChecked bool `json:"account_checked"`
}

// StaffGiven is how many prizes one staff member handed out.
type StaffGiven struct {
	Staff string `json:"staff"`
	Given int64  `json:"given"`
}

// Stock warnings.
const (
	WarnOutOfStock      = "out_of_stock"
	WarnRunsOutTomorrow = "runs_out_tomorrow"
)

// Prize is a prize's stock with what the range gave of it.
type Prize struct {
	Key       string  `json:"key"`
	Name      string  `json:"name"`
	Stock     int64   `json:"stock"`
	StockLeft int64   `json:"stock_left"`
	Given     int64   `json:"given"`   // in the range
	PerDay    float64 `json:"per_day"` // given / days in the range
	// Warning is WarnOutOfStock, or WarnRunsOutTomorrow when the campaign runs the next day and
	// the range's daily rate would use up what is left; empty otherwise.
	Warning string `json:"warning"`
}

// TweetHour counts the campaign's posts in one local hour.
type TweetHour struct {
	Hour     int   `json:"hour"`
	Captured int64 `json:"captured"`
	Eligible int64 `json:"eligible"`
}

// OpenClaimsLimit bounds the claims the page lists.
const OpenClaimsLimit = 200

// OpenClaim is a claim still pending or rejected.
type OpenClaim struct {
	CreatedAt string `json:"created_at"` // local time, RFC 3339
	Network   string `json:"network"`
	Handle    string `json:"handle"`
	Status    string `json:"status"`
	Code      string `json:"code"`
	Manual    bool   `json:"manual"`
	PostURL   string `json:"post_url"`
}

// ModerationLimit bounds the moderation actions the page lists.
const ModerationLimit = 500

// Moderation is one moderation action from the audit log.
type Moderation struct {
	At      string `json:"at"` // local time, RFC 3339
	Actor   string `json:"actor"`
	Action  string `json:"action"`
	Network string `json:"network"` // of the claim acted on, when there is one
	Handle  string `json:"handle"`
	Details string `json:"details"` // the audit row's details as JSON text
}

// XAPISpend estimates what reading the range's X posts cost.
type XAPISpend struct {
	Posts        int64   `json:"posts"` // posts captured from network "twitter"
	PricePerPost float64 `json:"price_per_post_usd"`
	EstimatedUSD float64 `json:"estimated_usd"`
}

// Day is a calendar date without a time zone; a report attaches the campaign's zone.
type Day struct {
	Year  int
	Month time.Month
	Day   int
}

// ParseDay reads YYYY-MM-DD; anything else is ErrBadDate.
func ParseDay(s string) (Day, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil || len(s) != len(time.DateOnly) {
		return Day{}, fmt.Errorf("%w (got %q)", ErrBadDate, s)
	}
	return DayOf(t), nil
}

// DayOf is the calendar day of t in t's location.
func DayOf(t time.Time) Day {
	y, m, d := t.Date()
	return Day{y, m, d}
}

// Start is the first instant of the day in loc (not always 00:00 where DST skips midnight).
func (d Day) Start(loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
}

// AddDays returns the day n days later.
func (d Day) AddDays(n int) Day {
	return DayOf(time.Date(d.Year, d.Month, d.Day+n, 12, 0, 0, 0, time.UTC))
}

// Before reports whether d comes before e.
func (d Day) Before(e Day) bool { return d.noon().Before(e.noon()) }

// DaysUntil is the number of days from d to e (negative when e is earlier).
func (d Day) DaysUntil(e Day) int { return int(e.noon().Sub(d.noon()).Hours() / 24) }

func (d Day) noon() time.Time { return time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, time.UTC) }

func (d Day) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day) }

// MarshalText writes YYYY-MM-DD.
func (d Day) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads YYYY-MM-DD.
func (d *Day) UnmarshalText(b []byte) error {
	v, err := ParseDay(string(b))
	if err == nil {
		*d = v
	}
	return err
}

// ParseRange turns the query's date, or from and to, into an inclusive range of days: no date at
// all is today in tz; from without to runs to today; from after to, more than MaxDays days, or
// date together with from/to is ErrBadDate.
func ParseRange(date, from, to string, tz *time.Location, now time.Time) (Day, Day, error) {
	today := DayOf(now.In(tz))
	switch {
	case date != "" && (from != "" || to != ""):
		return Day{}, Day{}, fmt.Errorf("%w (date and from/to together)", ErrBadDate)
	case date != "":
		d, err := ParseDay(date)
		return d, d, err
	case from == "" && to == "":
		return today, today, nil
	case from == "":
		return Day{}, Day{}, fmt.Errorf("%w (to without from)", ErrBadDate)
	}
	f, err := ParseDay(from)
	if err != nil {
		return Day{}, Day{}, err
	}
	t := today
	if to != "" {
		if t, err = ParseDay(to); err != nil {
			return Day{}, Day{}, err
		}
	}
	if t.Before(f) {
		return Day{}, Day{}, fmt.Errorf("%w (from %s is after to %s)", ErrBadDate, f, t)
	}
	if n := f.DaysUntil(t) + 1; n > MaxDays {
		return Day{}, Day{}, fmt.Errorf("%w (%d days)", ErrBadDate, n)
	}
	return f, t, nil
}
