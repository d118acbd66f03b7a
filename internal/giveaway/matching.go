package giveaway

import (
	"context"
	"errors"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/boothgiveaway/giveaway/internal/store"
)

// The ingest path stores posts and hands the claims they touch to the two functions below, in its
// own transaction (q), so that a post and the claim it verifies or unverifies, with the audit
// events and outbox rows, commit together.

// PersonKey names a person for the matching lock; a claim and the ingest path take the same key.
func PersonKey(network, handleNorm string) string { return network + ":" + handleNorm }

// VerifyByPosts verifies the pending claims that these stored, eligible posts satisfy, and returns
// how many it verified. The people's locks make a claim committed at the same moment either
// visible here or able to see these posts.
func VerifyByPosts(ctx context.Context, q *store.Queries, p store.MatchPendingClaimsParams, people []string) (int, error) {
	if err := q.LockPeople(ctx, people); err != nil {
		return 0, err
	}
	verified, err := q.MatchPendingClaims(ctx, p)
	if err != nil || len(verified) == 0 {
		return 0, err
	}
	ev := store.AddEventsParams{Actor: "matcher", Action: "verified"}
	for _, v := range verified {
		ev.CampaignID = append(ev.CampaignID, v.CampaignID)
		ev.ClaimID = append(ev.ClaimID, v.ID)
		// verified_by: how the post proved the claim (a second event for the same claim is an
		// upgrade from handle to code).
		ev.Details = append(ev.Details, []byte(`{"tweet_id":"`+jsonEscape(*v.TweetID)+`","verified_by":"`+
			jsonEscape(deref(v.VerifiedBy))+`"}`))
	}
	if _, err := q.AddEvents(ctx, ev); err != nil {
		return 0, err
	}
	return len(verified), nil
}

// PostsDeleted honours deleted posts: a claim verified only by one of them goes back to pending
// unless another stored post of the person still verifies it.
func PostsDeleted(ctx context.Context, q *store.Queries, gone []store.DeleteTweetsRow) error {
	var u store.UnverifyClaimsOfTweetsParams
	var people []string
	for _, g := range gone {
		u.Network = append(u.Network, g.Network)
		u.ID = append(u.ID, g.ID)
		people = append(people, PersonKey(g.Network, g.HandleNorm))
	}
	if err := q.LockPeople(ctx, people); err != nil {
		return err
	}
	reverted, err := q.UnverifyClaimsOfTweets(ctx, u)
	if err != nil || len(reverted) == 0 {
		return err
	}
	ev := store.AddEventsParams{Actor: "matcher", Action: "unverified"}
	for _, c := range reverted {
		ev.CampaignID = append(ev.CampaignID, c.CampaignID)
		ev.ClaimID = append(ev.ClaimID, c.ID)
		ev.Details = append(ev.Details, []byte(`{"reason":"post deleted"}`))
	}
	if _, err := q.AddEvents(ctx, ev); err != nil {
		return err
	}
	for _, c := range reverted {
		camp, err := q.CampaignByID(ctx, c.CampaignID)
		if err != nil {
			return err
		}
		t, err := q.EligibleTweetFor(ctx, store.EligibleTweetForParams{Network: c.Network, HandleNorm: c.HandleNorm,
			RequiredHashtags: camp.RequiredHashtags, StartsAt: camp.StartsAt, EndsAt: camp.EndsAt, Code: c.Code})
		if errors.Is(err, pgx.ErrNoRows) {
			continue
		}
		if err != nil {
			return err
		}
		if _, err := VerifyByPosts(ctx, q, store.MatchPendingClaimsParams{Network: []string{t.Network}, ID: []string{t.ID}},
			[]string{PersonKey(c.Network, c.HandleNorm)}); err != nil {
			return err
		}
	}
	return nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func jsonEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s)
}
