package giveaway

import (
	"context"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/boothgiveaway/giveaway/internal/apperr"
	"github.com/boothgiveaway/giveaway/internal/store"
)

// PrizeInput is one prize of a new campaign.
type PrizeInput struct {
	Key   string `json:"key"`
	Name  string `json:"name"`
	Stock int    `json:"stock"`
}

// CampaignInput is what an organiser sends to create a campaign.
type CampaignInput struct {
	Slug             string       `json:"slug"`
	Name             string       `json:"name"`
	RequiredHashtags []string     `json:"required_hashtags"`
	StartsAt         time.Time    `json:"starts_at"`
	EndsAt           time.Time    `json:"ends_at"`
	TimeZone         string       `json:"time_zone"`
	PerPersonLimit   int          `json:"per_person_limit"`
	LimitPeriod      string       `json:"limit_period"`
	TweetsIndex      string       `json:"tweets_index"`
	Prizes           []PrizeInput `json:"prizes"`
	// RequireCode: only a post that carries the claim's short code verifies it (no by-handle proof).
	RequireCode bool `json:"require_code"`
}

// Prize is a prize with the stock that is left.
type Prize struct {
	Key       string `json:"key"`
	Name      string `json:"name"`
	Stock     int32  `json:"stock"`
	StockLeft int32  `json:"stock_left"`
	// DailyCap: at most this many given per local day (null: no cap).
	DailyCap *int32 `json:"daily_cap"`
	// Retired prizes are no longer given; they stay in the report.
	Retired bool `json:"retired"`
}

// Campaign is a campaign as the API shows it.
type Campaign struct {
	ID               int64     `json:"-"`
	Slug             string    `json:"slug"`
	Name             string    `json:"name"`
	RequiredHashtags []string  `json:"required_hashtags"`
	StartsAt         time.Time `json:"starts_at"`
	EndsAt           time.Time `json:"ends_at"`
	TimeZone         string    `json:"time_zone"`
	PerPersonLimit   int32     `json:"per_person_limit"`
	LimitPeriod      string    `json:"limit_period"`
	TweetsIndex      string    `json:"tweets_index"`
	Prizes           []Prize   `json:"prizes"`
	RequireCode      bool      `json:"require_code"`
	normalized       []string
	location         *time.Location
}

// Location is the campaign's time zone.
func (c *Campaign) Location() *time.Location { return c.location }

func (in *CampaignInput) validate() (display, norm []string, err error) {
	in.Slug = strings.TrimSpace(in.Slug)
	if !slugPattern.MatchString(in.Slug) {
		return nil, nil, invalid("invalid_slug", "slug is 1 to 63 of a-z, 0-9 and -, starting with a letter or digit").
			With("field", "slug")
	}
	in.Name = strings.TrimSpace(in.Name)
	if n := utf8.RuneCountInString(in.Name); n < 1 || n > 200 {
		return nil, nil, invalid("invalid_name", "name is 1 to 200 characters").With("field", "name")
	}
	if display, norm, err = hashtags(in.RequiredHashtags); err != nil {
		return nil, nil, err
	}
	if in.StartsAt.IsZero() || in.EndsAt.IsZero() || !in.EndsAt.After(in.StartsAt) {
		return nil, nil, invalid("invalid_window", "starts_at and ends_at are RFC 3339 times, ends_at after starts_at").
			With("field", "ends_at")
	}
	if in.TimeZone == "" {
		in.TimeZone = "UTC"
	}
	if _, err := time.LoadLocation(in.TimeZone); err != nil || in.TimeZone == "Local" {
		return nil, nil, invalid("invalid_time_zone", "time_zone must be an IANA zone such as Asia/Seoul").
			With("field", "time_zone")
	}
	if in.PerPersonLimit == 0 {
		in.PerPersonLimit = 1
	}
	if in.PerPersonLimit < 1 || in.PerPersonLimit > 100 {
		return nil, nil, invalid("invalid_limit", "per_person_limit is 1 to 100").With("field", "per_person_limit")
	}
	if in.LimitPeriod == "" {
		in.LimitPeriod = "campaign"
	}
	if in.LimitPeriod != "campaign" && in.LimitPeriod != "day" {
		return nil, nil, invalid("invalid_limit_period", "limit_period is campaign or day").With("field", "limit_period")
	}
	if in.TweetsIndex == "" {
		in.TweetsIndex = "twitter-" + in.Slug
	}
	if !indexPattern.MatchString(in.TweetsIndex) {
		return nil, nil, invalid("invalid_index", "tweets_index must be a lower-case Elasticsearch index name").
			With("field", "tweets_index")
	}
	if len(in.Prizes) == 0 || len(in.Prizes) > 50 {
		return nil, nil, invalid("invalid_prizes", "give 1 to 50 prizes").With("field", "prizes")
	}
	keys := map[string]bool{}
	for _, p := range in.Prizes {
		if !prizeKeyPattern.MatchString(p.Key) || keys[p.Key] {
			return nil, nil, invalid("invalid_prizes", "prize key %q must be unique, 1 to 40 of a-z, 0-9, _ and -", p.Key).
				With("field", "prizes")
		}
		keys[p.Key] = true
		if n := utf8.RuneCountInString(strings.TrimSpace(p.Name)); n < 1 || n > 200 || p.Stock < 0 || p.Stock > 1_000_000 {
			return nil, nil, invalid("invalid_prizes", "prize %q needs a name and a stock from 0 to 1000000", p.Key).
				With("field", "prizes")
		}
	}
	return display, norm, nil
}

// CreateCampaign creates a campaign and its prizes; an existing slug is a conflict.
func (s *Service) CreateCampaign(ctx context.Context, in CampaignInput) (*Campaign, error) {
	display, norm, err := in.validate()
	if err != nil {
		return nil, err
	}
	var out *Campaign
	err = s.inTx(ctx, func(q *store.Queries) error {
		c, err := q.CreateCampaign(ctx, store.CreateCampaignParams{
			Slug: in.Slug, Name: in.Name, RequiredHashtags: norm, DisplayHashtags: display,
			StartsAt: in.StartsAt, EndsAt: in.EndsAt, TimeZone: in.TimeZone,
			PerPersonLimit: int32(in.PerPersonLimit), LimitPeriod: in.LimitPeriod, TweetsIndex: in.TweetsIndex,
			RequireCode: in.RequireCode,
		})
		if isNoRows(err) {
			return apperr.New(apperr.Conflict, "slug_taken", "a campaign with slug %q exists", in.Slug)
		}
		if err != nil {
			return err
		}
		var prizes []store.Prize
		for _, p := range in.Prizes {
			row, err := q.CreatePrize(ctx, store.CreatePrizeParams{CampaignID: c.ID, Key: p.Key,
				Name: strings.TrimSpace(p.Name), Stock: int32(p.Stock)})
			if err != nil {
				return err
			}
			prizes = append(prizes, row)
		}
		out = campaignView(c, prizes)
		return q.NotifyCampaignsChanged(ctx)
	})
	return out, err
}

// Campaign returns the campaign with each prize's stock left.
func (s *Service) Campaign(ctx context.Context, slug string) (*Campaign, error) {
	q := store.New(s.pool)
	c, err := q.CampaignBySlug(ctx, slug)
	if err != nil {
		return nil, campaignErr(err, slug)
	}
	prizes, err := q.PrizesByCampaign(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	return campaignView(c, prizes), nil
}

// locations caches time zones by name: time.LoadLocation reads and parses the zone file on every
// call, and every claim, give and page stream looks its campaign up.
var locations sync.Map // string → *time.Location

func location(name string) *time.Location {
	if l, ok := locations.Load(name); ok {
		return l.(*time.Location)
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		return time.UTC // not cached: the zone file may be installed later
	}
	locations.Store(name, l)
	return l
}

func campaignView(c store.Campaign, prizes []store.Prize) *Campaign {
	loc := location(c.TimeZone)
	out := &Campaign{ID: c.ID, Slug: c.Slug, Name: c.Name, RequiredHashtags: c.DisplayHashtags,
		StartsAt: c.StartsAt, EndsAt: c.EndsAt, TimeZone: c.TimeZone, PerPersonLimit: c.PerPersonLimit,
		LimitPeriod: c.LimitPeriod, TweetsIndex: c.TweetsIndex, Prizes: []Prize{}, RequireCode: c.RequireCode,
		normalized: c.RequiredHashtags, location: loc}
	for _, p := range prizes {
		out.Prizes = append(out.Prizes, prizeView(p))
	}
	return out
}

func prizeView(p store.Prize) Prize {
	return Prize{Key: p.Key, Name: p.Name, Stock: p.Stock, StockLeft: p.StockLeft, DailyCap: p.DailyCap,
		Retired: p.RetiredAt != nil}
}
