package draws

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/boothgiveaway/giveaway/internal/apperr"
	"github.com/boothgiveaway/giveaway/internal/store"
)

// Draw is a draw as anyone may see it. The seed appears only once revealed; a pick's handle only
// once it held a winner slot (winners are announced by handle; a backup never called stays an
// entry id). The pool's entry ids stream separately (Pool), after these fields.
type Draw struct {
	ID              int64        `json:"id"`
	Campaign        string       `json:"campaign"`
	Prize           string       `json:"prize"`
	State           string       `json:"state"` // open, committed, revealed
	WinnersWanted   int32        `json:"winners_wanted"`
	BackupsWanted   int32        `json:"backups_wanted"`
	MustBePresent   bool         `json:"must_be_present"`
	PresenceMinutes *int32       `json:"presence_minutes"`
	PoolFilter      PublicFilter `json:"pool_filter"`
	Algorithm       string       `json:"algorithm"`
	CreatedAt       time.Time    `json:"created_at"`
	Entrants        *int32       `json:"entrants"`
	PoolHash        string       `json:"pool_hash,omitempty"`
	SeedCommit      string       `json:"seed_commit,omitempty"`
	CommittedAt     *time.Time   `json:"committed_at,omitempty"`
	Seed            string       `json:"seed,omitempty"`
	Beacon          string       `json:"beacon,omitempty"`
	RevealedAt      *time.Time   `json:"revealed_at,omitempty"`
	Winners         []Pick       `json:"winners"`
	Backups         []Pick       `json:"backups"`
	CampaignID      int64        `json:"-"`
}

// PublicFilter is the pool filter less the accounts it names: it says how many were left out.
type PublicFilter struct {
	PoolFilter
	Exclude          []string `json:"exclude,omitempty"`
	ExcludedAccounts int      `json:"excluded_accounts"`
}

func publicFilter(raw []byte) PublicFilter {
	var f PoolFilter
	json.Unmarshal(raw, &f)
	return PublicFilter{PoolFilter: f, ExcludedAccounts: len(f.Exclude)}
}

// Pick is one entry the seed drew, in the drawn order.
type Pick struct {
	EntryID string `json:"entry_id"`
	// Slot is the winner slot (1-based) the entry holds or held; 0 for a backup still waiting.
	Slot     int32      `json:"slot,omitempty"`
	Status   string     `json:"status"` // called, present, absent, waiting
	Network  string     `json:"network,omitempty"`
	Handle   string     `json:"handle,omitempty"`
	CalledAt *time.Time `json:"called_at,omitempty"`
}

// Holders are the winners as they stand: per slot, the entry called or confirmed present.
func (d *Draw) Holders() []Pick {
	out := []Pick{}
	for _, p := range append(append([]Pick{}, d.Winners...), d.Backups...) {
		if p.Status == "called" || p.Status == "present" {
			out = append(out, p)
		}
	}
	return out
}

func view(d store.DrawByIDRow, picks []store.DrawPicksRow) *Draw {
	out := &Draw{ID: d.ID, Campaign: d.CampaignSlug, Prize: d.Prize, State: d.State, WinnersWanted: d.Winners,
		BackupsWanted: d.Backups, MustBePresent: d.MustBePresent, PresenceMinutes: d.PresenceMinutes,
		PoolFilter: publicFilter(d.PoolFilter), Algorithm: d.Algorithm, CreatedAt: d.CreatedAt, Entrants: d.Entrants,
		CommittedAt: d.CommittedAt, CampaignID: d.CampaignID, Winners: []Pick{}, Backups: []Pick{}}
	if d.State != "open" {
		out.PoolHash, out.SeedCommit = hex.EncodeToString(d.PoolHash), hex.EncodeToString(d.SeedCommit)
	}
	if d.State != "revealed" {
		return out // the seed is secret until the reveal
	}
	out.Seed, out.RevealedAt = hex.EncodeToString(d.Seed), d.RevealedAt
	if d.Beacon != nil {
		out.Beacon = *d.Beacon
	}
	for _, p := range picks {
		v := Pick{EntryID: p.EntryID, Status: p.Status, CalledAt: p.CalledAt}
		if p.Slot != nil {
			v.Slot = *p.Slot
			v.Network, v.Handle = p.Network, p.Handle
		}
		if p.Position < d.Winners {
			out.Winners = append(out.Winners, v)
		} else {
			out.Backups = append(out.Backups, v)
		}
	}
	return out
}

// Get is the draw without its pool.
func (s *Service) Get(ctx context.Context, id int64) (*Draw, error) {
	return s.read(ctx, store.New(s.pool), id)
}

func (s *Service) read(ctx context.Context, q *store.Queries, id int64) (*Draw, error) {
	d, err := q.DrawByID(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, apperr.New(apperr.NotFound, "draw_not_found", "no draw %d", id)
	}
	if err != nil {
		return nil, err
	}
	var picks []store.DrawPicksRow
	if d.State == "revealed" {
		if picks, err = q.DrawPicks(ctx, id); err != nil {
			return nil, err
		}
	}
	return view(d, picks), nil
}

// OfCampaign is every draw of the campaign, oldest first, without pools.
func (s *Service) OfCampaign(ctx context.Context, campaignID int64) ([]*Draw, error) {
	q := store.New(s.pool)
	rows, err := q.DrawsOfCampaign(ctx, campaignID)
	if err != nil {
		return nil, err
	}
	out := make([]*Draw, 0, len(rows))
	for _, r := range rows {
		var picks []store.DrawPicksRow
		if r.State == "revealed" {
			if picks, err = q.DrawPicks(ctx, r.ID); err != nil {
				return nil, err
			}
		}
		out = append(out, view(store.DrawByIDRow(r), picks))
	}
	return out, nil
}

// PoolPage is how many entry ids Pool reads at a time.
const PoolPage = 10000

// Pool sends the draw's frozen pool to fn in its canonical order, a page at a time.
func (s *Service) Pool(ctx context.Context, id int64, fn func(ids []string) error) error {
	q := store.New(s.pool)
	after := ""
	for {
		ids, err := q.DrawPoolPage(ctx, store.DrawPoolPageParams{DrawID: id, After: after, PageSize: PoolPage})
		if err != nil {
			return err
		}
		if len(ids) == 0 {
			return nil
		}
		if err := fn(ids); err != nil {
			return err
		}
		if len(ids) < PoolPage {
			return nil
		}
		after = ids[len(ids)-1]
	}
}

// Entry is a claim's place in a committed draw, for the attendee's own page.
type Entry struct {
	DrawID  int64  `json:"draw_id"`
	Prize   string `json:"prize"`
	State   string `json:"state"`
	EntryID string `json:"entry_id"`
}

// EntriesOfClaim are the committed draws of the campaign the claim is in, with its entry id.
func (s *Service) EntriesOfClaim(ctx context.Context, campaignID, claimID int64) ([]Entry, error) {
	q := store.New(s.pool)
	ds, err := q.CommittedDrawsOfCampaign(ctx, campaignID)
	if err != nil {
		return nil, err
	}
	out := []Entry{}
	for _, d := range ds {
		id := entryID(d.EntryKey, claimID)
		in, err := q.HasDrawEntry(ctx, store.HasDrawEntryParams{DrawID: d.ID, EntryID: id, ClaimID: claimID})
		if err != nil {
			return nil, err
		}
		if in {
			out = append(out, Entry{DrawID: d.ID, Prize: d.Prize, State: d.State, EntryID: id})
		}
	}
	return out, nil
}
