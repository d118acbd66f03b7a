package giveaway

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/boothgiveaway/giveaway/internal/apperr"
	"github.com/boothgiveaway/giveaway/internal/moderation"
	"github.com/boothgiveaway/giveaway/internal/store"
)

// The organiser's console (issue 12): listing and editing campaigns, their prizes and stock, and
// reading a campaign's audit log. Every change is audited in its own transaction.

// Words is a list of words that JSON sends as an array or as one space-separated string (the
// console's forms type hashtags that way).
type Words []string

// UnmarshalJSON accepts ["a","b"] or "a b".
func (w *Words) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*w = strings.Fields(s)
		return nil
	}
	var list []string
	if err := json.Unmarshal(b, &list); err != nil {
		return err
	}
	*w = list
	return nil
}

// CampaignChange is what an organiser may change in a campaign; an absent field stays.
type CampaignChange struct {
	Name             *string    `json:"name"`
	RequiredHashtags *Words     `json:"required_hashtags"`
	StartsAt         *time.Time `json:"starts_at"`
	EndsAt           *time.Time `json:"ends_at"`
	TimeZone         *string    `json:"time_zone"`
	PerPersonLimit   *int       `json:"per_person_limit"`
	// RequireCode: only posts that carry the claim's code verify. Claims already verified keep
	// their proof; the tablet still asks for the phone check of those proven by handle.
	RequireCode *bool `json:"require_code"`
	// WallMode is the wall's moderation: auto (shown unless filtered) or manual (shown once staff
	// approve); WallKilled empties the wall at once (the kill switch).
	WallMode   *string `json:"wall_mode"`
	WallKilled *bool   `json:"wall_killed"`
	// Close ends the campaign now (ends_at becomes now): no more claims, and later posts do not
	// count. Reopening is setting ends_at in the future.
	Close bool `json:"close"`
}

func (in CampaignChange) empty() bool {
	return in.Name == nil && in.RequiredHashtags == nil && in.StartsAt == nil && in.EndsAt == nil &&
		in.TimeZone == nil && in.PerPersonLimit == nil && in.RequireCode == nil && !in.Close &&
		in.WallMode == nil && in.WallKilled == nil
}

// UpdateCampaign applies a change, validated as a new campaign is, recorded in the audit log
// with the fields that changed.
func (s *Service) UpdateCampaign(ctx context.Context, slug string, in CampaignChange, by Actor) (*Campaign, error) {
	if in.empty() {
		return nil, invalid("nothing_to_change", "send the settings to change, such as name, ends_at or close")
	}
	if in.WallMode != nil && *in.WallMode != "auto" && *in.WallMode != "manual" {
		return nil, invalid("invalid_wall_mode", "wall_mode is auto or manual").With("field", "wall_mode")
	}
	if in.Close && in.EndsAt != nil {
		return nil, invalid("invalid_window", "send close or ends_at, not both").With("field", "ends_at")
	}
	var out *Campaign
	err := s.inTx(ctx, func(q *store.Queries) error {
		c, err := q.CampaignForUpdate(ctx, slug)
		if err != nil {
			return campaignErr(err, slug)
		}
		// Merge, then validate the whole as a new campaign would be.
		m := CampaignInput{Slug: c.Slug, Name: c.Name, RequiredHashtags: c.DisplayHashtags, StartsAt: c.StartsAt,
			EndsAt: c.EndsAt, TimeZone: c.TimeZone, PerPersonLimit: int(c.PerPersonLimit), LimitPeriod: c.LimitPeriod,
			TweetsIndex: c.TweetsIndex, RequireCode: c.RequireCode, Prizes: []PrizeInput{{Key: "x", Name: "x"}}}
		if in.Name != nil {
			m.Name = *in.Name
		}
		if in.RequiredHashtags != nil {
			m.RequiredHashtags = *in.RequiredHashtags
		}
		if in.StartsAt != nil {
			m.StartsAt = *in.StartsAt
		}
		if in.EndsAt != nil {
			m.EndsAt = *in.EndsAt
		}
		if in.Close {
			now := s.now()
			if !now.After(c.StartsAt) {
				return apperr.New(apperr.Conflict, "not_started", "the campaign has not started; change its window instead")
			}
			if !now.Before(c.EndsAt) {
				return apperr.New(apperr.Conflict, "already_closed", "the campaign ended at %s", c.EndsAt.Format(time.RFC3339))
			}
			m.EndsAt = now
		}
		if in.TimeZone != nil {
			m.TimeZone = *in.TimeZone
		}
		if in.PerPersonLimit != nil {
			m.PerPersonLimit = *in.PerPersonLimit
			if m.PerPersonLimit == 0 {
				m.PerPersonLimit = -1 // 0 is "default" for a new campaign, not a limit to set
			}
		}
		if in.RequireCode != nil {
			m.RequireCode = *in.RequireCode
		}
		display, norm, err := m.validate()
		if err != nil {
			return err
		}
		row, err := q.UpdateCampaign(ctx, store.UpdateCampaignParams{ID: c.ID, Name: m.Name, RequiredHashtags: norm,
			DisplayHashtags: display, StartsAt: m.StartsAt, EndsAt: m.EndsAt, TimeZone: m.TimeZone,
			PerPersonLimit: int32(m.PerPersonLimit), RequireCode: m.RequireCode})
		if err != nil {
			return err
		}
		// The audit row names what changed (a form sends every field), the close as such.
		if changed := campaignDiff(c, row); len(changed) > 0 {
			if in.Close {
				changed["closed"] = true
			}
			b, _ := json.Marshal(changed)
			if _, err := q.AddEvent(ctx, store.AddEventParams{CampaignID: &c.ID, Actor: actorName(by),
				Action: "campaign_changed", Details: b}); err != nil {
				return err
			}
		}
		if in.WallMode != nil || in.WallKilled != nil {
			if err := s.setWall(ctx, q, c.ID, in, actorName(by)); err != nil {
				return err
			}
		}
		prizes, err := q.PrizesByCampaign(ctx, c.ID)
		if err != nil {
			return err
		}
		out = campaignView(row, prizes)
		// The hashtags and window decide what the sources follow.
		return q.NotifyCampaignsChanged(ctx)
	})
	return out, err
}

// campaignDiff is the new values of the fields an edit changed.
func campaignDiff(old, cur store.Campaign) map[string]any {
	d := map[string]any{}
	if old.Name != cur.Name {
		d["name"] = cur.Name
	}
	if !slices.Equal(old.DisplayHashtags, cur.DisplayHashtags) {
		d["required_hashtags"] = cur.DisplayHashtags
	}
	if !old.StartsAt.Equal(cur.StartsAt) {
		d["starts_at"] = cur.StartsAt
	}
	if !old.EndsAt.Equal(cur.EndsAt) {
		d["ends_at"] = cur.EndsAt
	}
	if old.TimeZone != cur.TimeZone {
		d["time_zone"] = cur.TimeZone
	}
	if old.PerPersonLimit != cur.PerPersonLimit {
		d["per_person_limit"] = cur.PerPersonLimit
	}
	if old.RequireCode != cur.RequireCode {
		d["require_code"] = cur.RequireCode
	}
	return d
}

func actorName(by Actor) string {
	if by.Name == "" {
		return "admin"
	}
	return by.Name
}

// CampaignSummary is one campaign of the organiser's list, with live counts.
type CampaignSummary struct {
	Slug      string    `json:"slug"`
	Name      string    `json:"name"`
	StartsAt  time.Time `json:"starts_at"`
	EndsAt    time.Time `json:"ends_at"`
	TimeZone  string    `json:"time_zone"`
	Running   bool      `json:"running"`
	Claims    int64     `json:"claims"`
	Pending   int64     `json:"pending"`
	Verified  int64     `json:"verified"`
	Given     int64     `json:"given"`
	StockLeft int64     `json:"stock_left"`
}

// ListCampaigns lists the campaigns (not purged), running ones first, with their counts.
func (s *Service) ListCampaigns(ctx context.Context) ([]CampaignSummary, error) {
	return s.summaries(ctx, nil)
}

// CampaignCounts is one campaign's summary with its live counts.
func (s *Service) CampaignCounts(ctx context.Context, slug string) (*CampaignSummary, error) {
	out, err := s.summaries(ctx, &slug)
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, apperr.New(apperr.NotFound, "campaign_not_found", "no campaign %q", slug)
	}
	return &out[0], nil
}

func (s *Service) summaries(ctx context.Context, slug *string) ([]CampaignSummary, error) {
	rows, err := store.New(s.pool).ConsoleCampaigns(ctx, slug)
	out := make([]CampaignSummary, len(rows))
	for i, r := range rows {
		out[i] = CampaignSummary(r)
	}
	return out, err
}

// NewPrize is a prize added to an existing campaign.
type NewPrize struct {
	Key      string `json:"key"`
	Name     string `json:"name"`
	Stock    int    `json:"stock"`
	DailyCap *int   `json:"daily_cap"`
}

// AddPrize adds a prize to a campaign; an existing key is a conflict.
func (s *Service) AddPrize(ctx context.Context, slug string, in NewPrize, by Actor) (*Prize, error) {
	in.Key = strings.TrimSpace(in.Key)
	if !prizeKeyPattern.MatchString(in.Key) {
		return nil, invalid("invalid_prize_key", "key is 1 to 40 of a-z, 0-9, _ and -").With("field", "key")
	}
	name, err := prizeName(in.Name)
	if err != nil {
		return nil, err
	}
	if in.Stock < 0 || in.Stock > 1_000_000 {
		return nil, invalid("invalid_stock", "stock is 0 to 1000000").With("field", "stock")
	}
	cap, err := dailyCap(in.DailyCap)
	if err != nil {
		return nil, err
	}
	var out *Prize
	err = s.inTx(ctx, func(q *store.Queries) error {
		c, err := q.CampaignForUpdate(ctx, slug)
		if err != nil {
			return campaignErr(err, slug)
		}
		p, err := q.AddPrize(ctx, store.AddPrizeParams{CampaignID: c.ID, Key: in.Key, Name: name,
			Stock: int32(in.Stock), DailyCap: cap})
		if isNoRows(err) {
			return apperr.New(apperr.Conflict, "prize_exists", "the campaign has a prize %q", in.Key).With("field", "key")
		}
		if err != nil {
			return err
		}
		if _, err := q.AddEvent(ctx, store.AddEventParams{CampaignID: &c.ID, Actor: actorName(by), Action: "prize_added",
			Details: details("prize", p.Key, "name", p.Name, "stock", p.Stock, "daily_cap", p.DailyCap)}); err != nil {
			return err
		}
		v := prizeView(p)
		out = &v
		return nil
	})
	return out, err
}

// PrizeChange changes a prize; absent fields stay.
type PrizeChange struct {
	Name *string `json:"name"`
	// Add restocks (positive) or corrects (negative) the stock; it needs a Reason. The stock never
	// goes below what was given.
	Add    *int   `json:"add"`
	Reason string `json:"reason"`
	// DailyCap caps the gives per local day; 0 removes the cap.
	DailyCap *int `json:"daily_cap"`
	// Retired: no longer given (false brings it back).
	Retired *bool `json:"retired"`
}

// UpdatePrize renames, restocks, caps or retires a prize, audited with the reason.
func (s *Service) UpdatePrize(ctx context.Context, slug, key string, in PrizeChange, by Actor) (*Prize, error) {
	if in.Name == nil && in.Add == nil && in.DailyCap == nil && in.Retired == nil {
		return nil, invalid("nothing_to_change", "send name, add (with reason), daily_cap or retired")
	}
	in.Reason = strings.TrimSpace(in.Reason)
	if in.Add != nil {
		if *in.Add == 0 || *in.Add < -1_000_000 || *in.Add > 1_000_000 {
			return nil, invalid("invalid_add", "add is a non-zero number of items, negative to correct").With("field", "add")
		}
		if n := utf8.RuneCountInString(in.Reason); n < 1 || n > 500 {
			return nil, invalid("reason_required", "say why the stock changes (1 to 500 characters)").With("field", "reason")
		}
	}
	var out *Prize
	err := s.inTx(ctx, func(q *store.Queries) error {
		c, err := q.CampaignBySlug(ctx, slug)
		if err != nil {
			return campaignErr(err, slug)
		}
		p, err := q.PrizeForUpdate(ctx, store.PrizeForUpdateParams{CampaignID: c.ID, Key: key})
		if isNoRows(err) {
			return apperr.New(apperr.NotFound, "prize_not_found", "campaign %q has no prize %q", slug, key)
		}
		if err != nil {
			return err
		}
		u := store.UpdatePrizeParams{ID: p.ID, Name: p.Name, DailyCap: p.DailyCap, RetiredAt: p.RetiredAt}
		changed := map[string]any{"prize": p.Key}
		if in.Name != nil {
			if u.Name, err = prizeName(*in.Name); err != nil {
				return err
			}
			changed["name"] = u.Name
		}
		if in.Add != nil {
			u.Add = int32(*in.Add)
			changed["add"], changed["reason"] = *in.Add, in.Reason
		}
		if in.DailyCap != nil {
			if u.DailyCap, err = dailyCap(in.DailyCap); err != nil {
				return err
			}
			changed["daily_cap"] = u.DailyCap
		}
		if in.Retired != nil {
			if *in.Retired && u.RetiredAt == nil {
				now := s.now()
				u.RetiredAt = &now
			} else if !*in.Retired {
				u.RetiredAt = nil
			}
			changed["retired"] = *in.Retired
		}
		row, err := q.UpdatePrize(ctx, u)
		if stockCheck(err) {
			return apperr.New(apperr.Conflict, "stock_below_given",
				"%d of %s were given and %d are left: the stock cannot lose more than what is left",
				p.Stock-p.StockLeft, p.Name, p.StockLeft).With("field", "add").With("stock_left", p.StockLeft)
		}
		if err != nil {
			return err
		}
		action := "prize_changed"
		if in.Add != nil {
			action = "stock_adjusted"
		}
		changed["stock"], changed["stock_left"] = row.Stock, row.StockLeft
		b, _ := json.Marshal(changed)
		if _, err := q.AddEvent(ctx, store.AddEventParams{CampaignID: &c.ID, Actor: actorName(by), Action: action,
			Details: b}); err != nil {
			return err
		}
		v := prizeView(row)
		out = &v
		return nil
	})
	return out, err
}

// stockCheck reports the prizes' stock CHECK refusing a change (stock below what was given).
func stockCheck(err error) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && pg.Code == "23514" && strings.HasPrefix(pg.ConstraintName, "prizes_")
}

func prizeName(s string) (string, error) {
	s = strings.TrimSpace(s)
	if n := utf8.RuneCountInString(s); n < 1 || n > 200 {
		return "", invalid("invalid_prize_name", "a prize's name is 1 to 200 characters").With("field", "name")
	}
	return s, nil
}

// dailyCap validates a cap; nil or 0 is no cap.
func dailyCap(c *int) (*int32, error) {
	if c == nil || *c == 0 {
		return nil, nil
	}
	if *c < 0 || *c > 1_000_000 {
		return nil, invalid("invalid_daily_cap", "daily_cap is 0 (none) to 1000000").With("field", "daily_cap")
	}
	v := int32(*c)
	return &v, nil
}

// AuditFilter narrows a campaign's audit log; zero fields do not filter.
type AuditFilter struct {
	Action, Staff string
	Since, Until  time.Time
	BeforeID      int64 // paging: entries older than this one
	Limit         int
}

// AuditEntry is one row of a campaign's audit log.
type AuditEntry struct {
	ID      int64           `json:"id"`
	At      time.Time       `json:"at"`
	Actor   string          `json:"actor"`
	Action  string          `json:"action"`
	ClaimID *int64          `json:"claim_id"`
	Details json.RawMessage `json:"details"`
}

// Audit reads a campaign's audit log, newest first.
func (s *Service) Audit(ctx context.Context, slug string, f AuditFilter) ([]AuditEntry, error) {
	q := store.New(s.pool)
	c, err := q.CampaignBySlug(ctx, slug)
	if err != nil {
		return nil, campaignErr(err, slug)
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	p := store.CampaignAuditParams{CampaignID: &c.ID, Lim: int32(f.Limit)}
	if f.Action != "" {
		p.Action = &f.Action
	}
	if f.Staff != "" {
		p.Staff = &f.Staff
	}
	if !f.Since.IsZero() {
		p.Since = &f.Since
	}
	if !f.Until.IsZero() {
		p.Until = &f.Until
	}
	if f.BeforeID > 0 {
		p.BeforeID = &f.BeforeID
	}
	rows, err := q.CampaignAudit(ctx, p)
	out := make([]AuditEntry, len(rows))
	for i, r := range rows {
		out[i] = AuditEntry{ID: r.ID, At: r.At, Actor: r.Actor, Action: r.Action, ClaimID: r.ClaimID, Details: r.Details}
	}
	return out, err
}

// setWall changes the wall's moderation with the campaign's edit, through the moderation rules
// (its audit row and the walls' notice), keeping what the change leaves out.
func (s *Service) setWall(ctx context.Context, q *store.Queries, campaignID int64, in CampaignChange, actor string) error {
	cur, err := q.WallSettings(ctx, campaignID)
	if err != nil {
		return err
	}
	set := moderation.Settings{Mode: cur.Mode, Killed: cur.Killed}
	if in.WallMode != nil {
		set.Mode = *in.WallMode
	}
	if in.WallKilled != nil {
		set.Killed = *in.WallKilled
	}
	if set.Mode == cur.Mode && set.Killed == cur.Killed {
		return nil
	}
	return moderation.SetSettingsIn(ctx, q, campaignID, set, actor)
}
