package purge_test

import (
	"context"
	"testing"
	"time"

	"github.com/boothgiveaway/giveaway/internal/apperr"
	"github.com/boothgiveaway/giveaway/internal/giveaway"
	"github.com/boothgiveaway/giveaway/internal/ingest"
	"github.com/boothgiveaway/giveaway/internal/pgtest"
	"github.com/boothgiveaway/giveaway/internal/purge"
	"github.com/boothgiveaway/giveaway/internal/tweet"
)

func TestPurgeRemovesPersonalDataAndKeepsCounts(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	clock := time.Now().UTC().Truncate(time.Second)
	svc := giveaway.New(pool, giveaway.WithClock(func() time.Time { return clock }))
	if _, err := svc.CreateCampaign(ctx, giveaway.CampaignInput{Slug: "pycon", Name: "PyCon",
		RequiredHashtags: []string{"PyConAPAC", "Elastic"}, StartsAt: clock.Add(-time.Hour), EndsAt: clock.Add(time.Hour),
		TimeZone: "Asia/Seoul", Prizes: []giveaway.PrizeInput{{Key: "tshirt", Name: "T-shirt", Stock: 5}}}); err != nil {
		t.Fatal(err)
	}
	// Another running campaign tracks #Elastic too: its posts must survive this purge.
	if _, err := svc.CreateCampaign(ctx, giveaway.CampaignInput{Slug: "other", Name: "Other",
		RequiredHashtags: []string{"Elastic"}, StartsAt: clock.Add(-time.Hour), EndsAt: clock.Add(100 * time.Hour),
		Prizes: []giveaway.PrizeInput{{Key: "mug", Name: "Mug", Stock: 5}}}); err != nil {
		t.Fatal(err)
	}
	claim, _, err := svc.CreateClaim(ctx, "pycon", giveaway.ClaimInput{Handle: "kimjmin"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.CreateClaim(ctx, "pycon", giveaway.ClaimInput{Network: "instagram", Handle: "sunny",
		PostURL: "https://www.instagram.com/p/abc/"}); err != nil {
		t.Fatal(err)
	}
	in := ingest.New(pool, nil)
	at := clock.Format(time.RFC3339)
	only := []byte(`{"id_str":"1","created_at":"` + at + `","text":"hi #PyConAPAC","user":{"screen_name":"kimjmin"}}`)
	shared := []byte(`{"id_str":"2","created_at":"` + at + `","text":"#Elastic","user":{"screen_name":"else"}}`)
	var items []tweet.Item
	for _, l := range [][]byte{only, shared} {
		it, err := tweet.Parse(l)
		if err != nil {
			t.Fatal(err)
		}
		items = append(items, it)
	}
	if _, err := in.Ingest(ctx, items); err != nil {
		t.Fatal(err)
	}

	if _, err := purge.Campaign(ctx, pool, "pycon", false); !apperr.Is(err, "campaign_running") {
		t.Fatalf("purging a running campaign: %v", err)
	}
	res, err := purge.Campaign(ctx, pool, "pycon", true)
	if err != nil {
		t.Fatal(err)
	}
	if res.Claims != 2 || res.Tokens != 2 || res.Posts != 1 {
		t.Fatalf("purge result %+v, want 2 claims, 2 tokens, 1 post", res)
	}
	var handles, urls, tokens, raw, kept int
	pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE handle NOT LIKE 'purged-%'), count(post_url) FROM claims`).Scan(&handles, &urls)
	pool.QueryRow(ctx, `SELECT count(*) FROM claim_tokens`).Scan(&tokens)
	pool.QueryRow(ctx, `SELECT count(*) FROM tweets t WHERE id = '1' AND (handle <> '' OR text <> ''
		OR EXISTS (SELECT 1 FROM tweet_raw r WHERE r.network = t.network AND r.id = t.id))`).Scan(&raw)
	pool.QueryRow(ctx, `SELECT count(*) FROM tweets t JOIN tweet_raw r USING (network, id) WHERE id = '2' AND handle = 'else'`).Scan(&kept)
	if handles != 0 || urls != 0 || tokens != 0 || raw != 0 || kept != 1 {
		t.Fatalf("after purge: handles %d, urls %d, tokens %d, personal posts %d, shared post kept %d", handles, urls, tokens, raw, kept)
	}
	// The anonymous counts stay: claims by network and status, posts by hashtag.
	var claims, posts int
	pool.QueryRow(ctx, `SELECT count(*) FROM claims WHERE network IN ('twitter','instagram')`).Scan(&claims)
	pool.QueryRow(ctx, `SELECT count(*) FROM tweets WHERE 'pyconapac' = ANY(hashtags_norm)`).Scan(&posts)
	if claims != 2 || posts != 1 {
		t.Fatalf("counts lost: claims %d, posts %d", claims, posts)
	}
	if _, err := svc.ClaimByToken(ctx, claim.Token); !apperr.Is(err, "claim_not_found") {
		t.Fatalf("a purged token still works: %v", err)
	}
	if _, _, err := svc.CreateClaim(ctx, "pycon", giveaway.ClaimInput{Handle: "late"}); !apperr.Is(err, "campaign_closed") {
		t.Fatalf("claim on a purged campaign: %v", err)
	}
}
