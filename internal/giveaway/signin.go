package giveaway

import (
	"context"
	"strings"

	"github.com/boothgiveaway/giveaway/internal/apperr"
	"github.com/boothgiveaway/giveaway/internal/store"
)

// SignInWanted says whether signing in would add anything to a claim: one on a network the
// service reads itself that is pending, or verified by the handle alone.
func SignInWanted(c *Claim) bool {
	if c.Network != "twitter" && c.Network != "mastodon" {
		return false
	}
	return c.Status == "pending" || (c.Status == "verified" && c.VerifiedBy != nil && *c.VerifiedBy == ProofHandle)
}

// ProveAccount records that the holder of claim id signed in to account on network (an X
// username, or a Mastodon user@instance). Signing in proves who holds the claim page, not that
// they posted: a pending claim is verified only by a stored eligible post of that account (and
// otherwise by the post when it arrives, as 'oauth'), and a claim verified by the handle alone is
// raised to 'oauth'. Another account is 409 account_mismatch and changes nothing.
func (s *Service) ProveAccount(ctx context.Context, id int64, network, provider, account string) (*Claim, error) {
	norm := strings.ToLower(strings.TrimPrefix(account, "@"))
	var out *Claim
	err := s.inTx(ctx, func(q *store.Queries) error {
		// The person's matching lock first, in the order ingest takes it (person, then claim), so
		// a post arriving now is not missed and neither side waits on the other. The claim has
		// not been read yet: the key is the signed-in account's, which must be the claim's.
		if err := q.LockPeople(ctx, []string{network + ":" + norm}); err != nil {
			return err
		}
		c, err := q.ClaimByIDForUpdate(ctx, id)
		if isNoRows(err) {
			return apperr.New(apperr.NotFound, "claim_not_found", "no such claim")
		}
		if err != nil {
			return err
		}
		if c.Network != network || c.HandleNorm != norm {
			return apperr.New(apperr.Conflict, "account_mismatch",
				"you signed in as %s, but this claim is for %s", account, c.Handle)
		}
		before := c.VerifiedBy
		proven, err := q.ProveClaimAccount(ctx, id)
		if err != nil {
			return err
		}
		c = store.Claim(proven)
		camp, err := q.CampaignByID(ctx, c.CampaignID)
		if err != nil {
			return err
		}
		upgraded := c.Status == "verified" && before != nil && *before == ProofHandle
		if _, err := q.AddEvent(ctx, store.AddEventParams{CampaignID: &c.CampaignID, ClaimID: &c.ID,
			Actor: "attendee", Action: "signed_in",
			Details: details("provider", provider, "account", account, "upgraded", upgraded)}); err != nil {
			return err
		}
		if c.Status == "pending" {
			v, err := q.VerifyProvenClaim(ctx, id)
			if err != nil && !isNoRows(err) {
				return err
			}
			if err == nil {
				c = store.Claim(v)
				if _, err := q.AddEvent(ctx, store.AddEventParams{CampaignID: &c.CampaignID, ClaimID: &c.ID,
					Actor: "matcher", Action: "verified", Details: details("tweet_id", *c.TweetID, "verified_by", ProofOAuth)}); err != nil {
					return err
				}
			}
		}
		out = claimView(camp.Slug, c)
		return nil
	})
	return out, err
}
