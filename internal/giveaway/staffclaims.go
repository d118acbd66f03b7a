package giveaway

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/boothgiveaway/giveaway/internal/apperr"
	"github.com/boothgiveaway/giveaway/internal/store"
)

func (s *Service) claimForStaff(ctx context.Context, q *store.Queries, id int64) (store.Claim, store.Campaign, error) {
	c, err := q.ClaimByIDForUpdate(ctx, id)
	if isNoRows(err) {
		return c, store.Campaign{}, apperr.New(apperr.NotFound, "claim_not_found", "no claim %d", id)
	}
	if err != nil {
		return c, store.Campaign{}, err
	}
	camp, err := q.CampaignByID(ctx, c.CampaignID)
	return c, camp, err
}

// ManualClaim records a post staff saw with their own eyes (any network): the claim is verified at
// once. A person who already has a claim keeps it; a pending one is approved.
func (s *Service) ManualClaim(ctx context.Context, slug string, in ClaimInput, by Actor) (claim *Claim, created bool, err error) {
	display, norm, post, err := person(in.Network, in.Handle, in.PostURL, false)
	if err != nil {
		return nil, false, err
	}
	note := strings.TrimSpace(in.Note)
	if utf8.RuneCountInString(note) > 500 {
		return nil, false, invalid("invalid_note", "note is at most 500 characters").With("field", "note")
	}
	network := strings.ToLower(strings.TrimSpace(in.Network))
	if network == "" {
		network = "twitter"
	}
	var notePtr *string
	if note != "" {
		notePtr = &note
	}
	err = s.inTx(ctx, func(q *store.Queries) error {
		c, err := s.campaignForClaims(ctx, q, slug)
		if err != nil {
			return err
		}
		now := s.now()
		row, isNew, err := insertClaim(ctx, q, store.InsertClaimParams{CampaignID: c.ID, Network: network,
			Handle: display, HandleNorm: norm, PostUrl: post, Note: notePtr, Status: "verified", Manual: true,
			CreatedBy: by.StaffID, VerifiedAt: &now, DecidedBy: by.StaffID})
		if err != nil {
			return err
		}
		created = isNew
		action := "verified"
		if isNew {
			if _, err := q.AddEvent(ctx, store.AddEventParams{CampaignID: &c.ID, ClaimID: &row.ID, Actor: by.Name,
				Action: "claimed", Details: details("network", network, "manual", true)}); err != nil {
				return err
			}
		} else if row.Status == "pending" {
			if row, err = q.VerifyClaim(ctx, store.VerifyClaimParams{ID: row.ID, DecidedBy: by.StaffID}); err != nil {
				return err
			}
			action = "approved"
		} else {
			claim = claimView(slug, row)
			return nil
		}
		if _, err := q.AddEvent(ctx, store.AddEventParams{CampaignID: &c.ID, ClaimID: &row.ID, Actor: by.Name,
			Action: action, Details: details("manual", true)}); err != nil {
			return err
		}
		claim = claimView(slug, row)
		return nil
	})
	return claim, created, err
}

// Approve verifies a pending claim by hand (a post on another network, or a tweet the stream missed).
func (s *Service) Approve(ctx context.Context, id int64, by Actor) (*Claim, error) {
	var out *Claim
	err := s.inTx(ctx, func(q *store.Queries) error {
		c, camp, err := s.claimForStaff(ctx, q, id)
		if err != nil {
			return err
		}
		if c.Status != "pending" {
			return apperr.New(apperr.Conflict, "not_pending", "claim is %s, not pending", c.Status).With("status", c.Status)
		}
		if c, err = q.VerifyClaim(ctx, store.VerifyClaimParams{ID: id, DecidedBy: by.StaffID}); err != nil {
			return err
		}
		if _, err := q.AddEvent(ctx, store.AddEventParams{CampaignID: &camp.ID, ClaimID: &id, Actor: by.Name,
			Action: "approved"}); err != nil {
			return err
		}
		out = claimView(camp.Slug, c)
		return nil
	})
	return out, err
}

// Reject refuses a claim that has not had its prize.
func (s *Service) Reject(ctx context.Context, id int64, by Actor) (*Claim, error) {
	var out *Claim
	err := s.inTx(ctx, func(q *store.Queries) error {
		c, camp, err := s.claimForStaff(ctx, q, id)
		if err != nil {
			return err
		}
		if c.Status == "given" || c.Status == "rejected" {
			return apperr.New(apperr.Conflict, "cannot_reject", "claim is %s", c.Status).With("status", c.Status)
		}
		if c, err = q.RejectClaim(ctx, store.RejectClaimParams{ID: id, StaffID: by.StaffID}); err != nil {
			return err
		}
		if _, err := q.AddEvent(ctx, store.AddEventParams{CampaignID: &camp.ID, ClaimID: &id, Actor: by.Name,
			Action: "rejected"}); err != nil {
			return err
		}
		out = claimView(camp.Slug, c)
		return nil
	})
	return out, err
}
