package rehearsal

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/boothgiveaway/giveaway/internal/giveaway"
	"github.com/boothgiveaway/giveaway/internal/pgtest"
)

// The proofs see each broken invariant the day could leave behind: a healthy campaign counts
// zero everywhere, and each breakage written straight into the tables counts one.
// (Stock below zero cannot be written: the prizes table's CHECK refuses it.)
func TestProofsSeeBrokenInvariants(t *testing.T) {
	pool := pgtest.New(t)
	ctx := context.Background()
	if _, err := giveaway.New(pool).CreateCampaign(ctx, giveaway.CampaignInput{Slug: slug, Name: "Rehearsal",
		RequiredHashtags: []string{"PyConAPAC", "Elastic"}, StartsAt: time.Now().Add(-time.Hour),
		EndsAt: time.Now().Add(time.Hour), TimeZone: "Asia/Seoul",
		Prizes: []giveaway.PrizeInput{{Key: "tshirt", Name: "T-shirt", Stock: 5}}}); err != nil {
		t.Fatal(err)
	}
	d := &day{pool: pool, logf: t.Logf}
	names := []string{"eligible_unverified", "verified_without_post", "over_limit", "stock_mismatch", "stock_below_zero",
		"outbox_pending", "outbox_dead", "retweet_count_wrong"}
	for _, n := range names {
		if got := d.count(ctx, n); got != 0 {
			t.Errorf("%s on a healthy campaign: %d, want 0", n, got)
		}
	}
	exec := func(sql string) {
		t.Helper()
		if _, err := pool.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	// Alice posted with both tags but her claim stayed pending; Bob's claim is verified by a post
	// he never made; a T-shirt left the stock with no give in the audit log.
	exec(`INSERT INTO tweets (id, version_id, handle, handle_norm, created_at, text, hashtags, hashtags_norm)
		VALUES ('1', '1', 'alice', 'alice', now(), '#PyConAPAC #Elastic', '{PyConAPAC,Elastic}', '{pyconapac,elastic}')`)
	exec(`INSERT INTO claims (campaign_id, network, handle, handle_norm, code) VALUES (1, 'twitter', 'alice', 'alice', 'AAAAAA')`)
	exec(`INSERT INTO claims (campaign_id, network, handle, handle_norm, code, status, verified_at, verified_by)
		VALUES (1, 'twitter', 'bob', 'bob', 'BBBBBB', 'verified', now(), 'handle')`)
	exec(`UPDATE prizes SET stock_left = stock_left - 1`)
	// Bob holds two T-shirts though the limit is one: slots 1 and 2 of the campaign period.
	exec(`INSERT INTO giveaways (campaign_id, claim_id, prize_id, period, slot, given_by_name)
		SELECT 1, c.id, p.id, 'campaign', s, 'tablet0' FROM claims c, prizes p, generate_series(1, 2) s WHERE c.handle = 'bob'`)
	// Carol's post was retweeted twice, Dave's once, and both counts are right; Erin's retweet
	// carried a count of 1 that never reached her post, stored in a batch racing it.
	exec(`INSERT INTO tweets (id, version_id, handle, handle_norm, created_at, text, retweet_count) VALUES
		('20', '20', 'carol', 'carol', now(), 'hi', 2), ('21', '21', 'x', 'x', now(), 'RT', 0), ('22', '22', 'y', 'y', now(), 'RT', 0),
		('30', '30', 'dave', 'dave', now(), 'hi', 1), ('31', '31', 'x', 'x', now(), 'RT', 0),
		('40', '40', 'erin', 'erin', now(), 'hi', 0), ('41', '41', 'x', 'x', now(), 'RT', 0)`)
	exec(`UPDATE tweets SET retweet_of = CASE WHEN id IN ('21', '22') THEN '20' WHEN id = '31' THEN '30' ELSE '40' END
		WHERE id IN ('21', '22', '31', '41')`)
	exec(`INSERT INTO tweet_counts (network, id, retweet_count) VALUES ('twitter', '20', 2), ('twitter', '30', 1), ('twitter', '40', 1)`)
	for _, n := range []string{"eligible_unverified", "verified_without_post", "stock_mismatch", "over_limit", "retweet_count_wrong"} {
		if got := d.count(ctx, n); got != 1 {
			t.Errorf("%s: %d, want 1", n, got)
		}
	}
	// A claim page's change late inside a fault's window is counted apart; one late outside
	// every window breaks claim_page_changes_within_1s.
	t0 := time.Now()
	d.dayStart = t0
	d.notices.first = map[string]time.Time{}
	d.faultWindow("SIGKILL", t0.Add(10*time.Second), t0.Add(12*time.Second), true)
	d.faultWindow("elasticsearch", t0.Add(30*time.Second), t0.Add(40*time.Second), false)
	fig := func(string, any) {}
	inWindow := late{stream: 1, claim: 1, instance: "a", status: "given", changed: t0.Add(11 * time.Second),
		arrived: t0.Add(13 * time.Second), opened: t0.Add(13 * time.Second)}
	if outside, _ := d.reportLate([]late{inWindow}, fig); outside != 0 {
		t.Errorf("a change late inside the SIGKILL's window: %d outside the windows, want 0", outside)
	}
	quiet := late{stream: 2, claim: 2, instance: "b", status: "verified", changed: t0.Add(20 * time.Second),
		arrived: t0.Add(21500 * time.Millisecond), opened: t0}
	if outside, example := d.reportLate([]late{inWindow, quiet}, fig); outside != 1 || !strings.Contains(example, "claim 2") {
		t.Errorf("a change late on a quiet stretch: %d outside the windows (%s), want 1 naming claim 2", outside, example)
	}
	// Elasticsearch's outage excuses nothing: the pages never wait on it.
	duringES := late{stream: 3, claim: 3, instance: "a", status: "given", changed: t0.Add(35 * time.Second),
		arrived: t0.Add(36500 * time.Millisecond), opened: t0}
	if outside, example := d.reportLate([]late{inWindow, duringES}, fig); outside != 1 || !strings.Contains(example, "claim 3") {
		t.Errorf("a change late while Elasticsearch was down: %d outside the windows (%s), want 1 naming claim 3", outside, example)
	}
}
