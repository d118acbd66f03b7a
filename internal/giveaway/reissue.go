package giveaway

import (
	"context"

	"github.com/boothgiveaway/giveaway/internal/store"
)

// Reissued is a claim's new link, made at the booth for an attendee who lost theirs.
type Reissued struct {
	Claim *Claim `json:"claim"`
	// Token is the claim's only valid token from now on; shown once, to be scanned by the attendee.
	Token string `json:"token"`
}

// Reissue gives a claim a new token and revokes every old one, for an attendee who lost their
// page and whom staff have checked at the booth (the claim belongs to whoever holds its token, so
// the old holder, perhaps a stranger, loses it). The audit log records who did it, never the token.
func (s *Service) Reissue(ctx context.Context, id int64, by Actor) (*Reissued, error) {
	var out *Reissued
	err := s.inTx(ctx, func(q *store.Queries) error {
		c, camp, err := s.claimForStaff(ctx, q, id)
		if err != nil {
			return err
		}
		revoked, err := q.RevokeClaimTokens(ctx, c.ID)
		if err != nil {
			return err
		}
		token, hash := newToken()
		if err := q.AddClaimToken(ctx, store.AddClaimTokenParams{TokenHash: hash, ClaimID: c.ID}); err != nil {
			return err
		}
		if _, err := q.AddEvent(ctx, store.AddEventParams{CampaignID: &camp.ID, ClaimID: &c.ID, Actor: by.Name,
			Action: "reissued", Details: details("revoked", revoked)}); err != nil {
			return err
		}
		out = &Reissued{Claim: claimView(camp.Slug, c), Token: token}
		return nil
	})
	return out, err
}
