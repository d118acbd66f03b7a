package giveaway

import (
	"context"
	"strings"
	"time"

	"github.com/boothgiveaway/giveaway/internal/apperr"
	"github.com/boothgiveaway/giveaway/internal/store"
)

// Give is the answer to a successful give.
type Give struct {
	ClaimID   int64     `json:"claim_id"`
	Code      string    `json:"code"`
	Handle    string    `json:"handle"`
	Network   string    `json:"network"`
	Prize     string    `json:"prize"`
	StockLeft int32     `json:"stock_left"`
	GivenAt   time.Time `json:"given_at"`
	GivenBy   string    `json:"given_by"`
	Status    string    `json:"status"`
}

// period names the per-person limit window a give falls in.
func period(c store.Campaign, at time.Time) string {
	if c.LimitPeriod != "day" {
		return "campaign"
	}
	loc, err := time.LoadLocation(c.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	return at.In(loc).Format("2006-01-02")
}

// GivePrize hands one prize to a verified claim, exactly once. The claim row is locked for the
// transaction, so concurrent gives of one claim queue up and see the first; the unique index on
// (claim, period, slot) backs that up, and the stock CHECK backs up the stock test. Stock is taken
// last, so the prize row (shared by every tablet) stays locked as briefly as possible.
func (s *Service) GivePrize(ctx context.Context, claimID int64, prizeKey string, by Actor) (*Give, error) {
	prizeKey = strings.TrimSpace(prizeKey)
	if prizeKey == "" {
		return nil, invalid("prize_required", "name the prize to give").With("field", "prize")
	}
	var out *Give
	err := s.inTx(ctx, func(q *store.Queries) error {
		c, camp, err := s.claimForStaff(ctx, q, claimID)
		if err != nil {
			return err
		}
		if c.Status == "pending" || c.Status == "rejected" {
			return apperr.New(apperr.Conflict, "not_verified", "claim is %s, not verified", c.Status).
				With("status", c.Status)
		}
		prize, err := q.PrizeByKey(ctx, store.PrizeByKeyParams{CampaignID: camp.ID, Key: prizeKey})
		if isNoRows(err) {
			return apperr.New(apperr.Unprocessable, "unknown_prize", "campaign has no prize %q", prizeKey).
				With("field", "prize")
		}
		if err != nil {
			return err
		}
		now := s.now()
		per := period(camp, now)
		gives, err := q.GivesInPeriod(ctx, store.GivesInPeriodParams{ClaimID: c.ID, Period: per})
		if err != nil {
			return err
		}
		if len(gives) >= int(camp.PerPersonLimit) {
			return limitError(camp, gives)
		}
		g, err := q.InsertGiveaway(ctx, store.InsertGiveawayParams{CampaignID: camp.ID, ClaimID: c.ID,
			PrizeID: prize.ID, Period: per, Slot: int32(len(gives) + 1), GivenBy: by.StaffID, GivenByName: by.Name})
		if isNoRows(err) {
			// Another give took this slot; it has committed, so this statement can see it.
			if gives, err = q.GivesInPeriod(ctx, store.GivesInPeriodParams{ClaimID: c.ID, Period: per}); err == nil && len(gives) > 0 {
				return limitError(camp, gives)
			}
			return apperr.New(apperr.Conflict, "already_given", "this claim was given a prize a moment ago")
		}
		if err != nil {
			return err
		}
		status := c.Status
		if len(gives)+1 >= int(camp.PerPersonLimit) && status != "given" {
			if _, err := q.SetClaimStatus(ctx, store.SetClaimStatusParams{ID: c.ID, Status: "given"}); err != nil {
				return err
			}
			status = "given"
		}
		if _, err := q.AddEvent(ctx, store.AddEventParams{CampaignID: &camp.ID, ClaimID: &c.ID, Actor: by.Name,
			Action: "given", Details: details("prize", prize.Key, "giveaway_id", g.ID)}); err != nil {
			return err
		}
		left, err := q.TakeStock(ctx, prize.ID)
		if isNoRows(err) {
			return apperr.New(apperr.Conflict, "out_of_stock", "no %s left", prize.Name).With("prize", prize.Key)
		}
		if err != nil {
			return err
		}
		out = &Give{ClaimID: c.ID, Code: c.Code, Handle: c.Handle, Network: c.Network, Prize: prize.Key,
			StockLeft: left, GivenAt: g.GivenAt, GivenBy: by.Name, Status: status}
		return nil
	})
	return out, err
}

func limitError(camp store.Campaign, gives []store.GivesInPeriodRow) error {
	last := gives[0]
	code, msg := "already_given", "already given"
	if camp.PerPersonLimit > 1 {
		code, msg = "limit_reached", "this person has had every prize the limit allows"
	}
	if camp.LimitPeriod == "day" {
		msg += " today"
	}
	return apperr.New(apperr.Conflict, code, "%s: %s at %s by %s", msg, last.PrizeKey,
		last.GivenAt.Format(time.RFC3339), last.GivenByName).
		With("given_at", last.GivenAt).With("given_by", last.GivenByName).With("prize", last.PrizeKey).
		With("limit", camp.PerPersonLimit)
}

// Undo takes back the claim's latest give: the stock returns, the claim is verified again, and
// the audit log keeps both events. Staff may undo within the undo window; admins any time.
func (s *Service) Undo(ctx context.Context, claimID int64, by Actor) (*Claim, error) {
	var out *Claim
	err := s.inTx(ctx, func(q *store.Queries) error {
		c, camp, err := s.claimForStaff(ctx, q, claimID)
		if err != nil {
			return err
		}
		g, err := q.LatestActiveGive(ctx, c.ID)
		if isNoRows(err) {
			return apperr.New(apperr.Conflict, "nothing_to_undo", "claim has no prize to take back")
		}
		if err != nil {
			return err
		}
		if !by.IsAdmin() && s.now().Sub(g.GivenAt) > s.undoWindow {
			return apperr.New(apperr.Conflict, "undo_window_passed", "a give can be undone by staff for %s; ask an admin",
				s.undoWindow).With("given_at", g.GivenAt)
		}
		if _, err := q.UndoGiveaway(ctx, store.UndoGiveawayParams{ID: g.ID, UndoneByName: &by.Name}); err != nil {
			return err
		}
		if _, err := q.ReturnStock(ctx, g.PrizeID); err != nil {
			return err
		}
		if c.Status == "given" {
			if c, err = q.SetClaimStatus(ctx, store.SetClaimStatusParams{ID: c.ID, Status: "verified"}); err != nil {
				return err
			}
		}
		if _, err := q.AddEvent(ctx, store.AddEventParams{CampaignID: &camp.ID, ClaimID: &c.ID, Actor: by.Name,
			Action: "undone", Details: details("prize", g.PrizeKey, "giveaway_id", g.ID)}); err != nil {
			return err
		}
		out = claimView(camp.Slug, c)
		return nil
	})
	return out, err
}
