package report_test

import (
	"context"
	"testing"
	"time"

	"github.com/boothgiveaway/giveaway/internal/giveaway"
	"github.com/boothgiveaway/giveaway/internal/pgtest"
	"github.com/boothgiveaway/giveaway/internal/report"
)

// The winners list is what the audit log says: the day's given events, less those undone later.
// The gives and the undo go through the giveaway service, so the audit rows are the ones it
// writes; the expected list is read from audit_log alone, joined only for names.
func TestWinnersMatchAuditLog(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.New(t)
	if _, err := pool.Exec(ctx, `
		INSERT INTO campaigns (slug, name, required_hashtags, display_hashtags, starts_at, ends_at, time_zone, tweets_index)
		VALUES ('seoul', 'Seoul', '{pyconapac}', '{PyConAPAC}', now() - interval '2 days', now() + interval '2 days',
		        'Asia/Seoul', 'twitter-seoul'),
		       ('other', 'Other', '{other}', '{Other}', now() - interval '2 days', now() + interval '2 days',
		        'UTC', 'twitter-other');
		INSERT INTO prizes (campaign_id, key, name, stock, stock_left) VALUES
		  (1, 'tshirt', 'T-shirt 티셔츠', 10, 10), (1, 'mug', 'Elastic mug', 10, 10), (2, 'pen', 'Pen', 10, 10);
		INSERT INTO claims (campaign_id, network, handle, handle_norm, post_url, code, status, manual, verified_at, verified_by) VALUES
		  (1, 'twitter', 'Alice', 'alice', NULL, 'ALICE2', 'verified', false, now(), 'handle'),
		  (1, 'twitter', 'bob', 'bob', NULL, 'BOBBY3', 'verified', false, now(), 'handle'),
		  (1, 'instagram', '@carol.kim', 'carol.kim', 'https://instagram.com/p/abc', 'CAROL4', 'verified', true, now(), 'staff'),
		  (1, 'twitter', 'dana', 'dana', NULL, 'DANAA5', 'verified', false, now(), 'handle'),
		  (2, 'twitter', 'zed', 'zed', NULL, 'ZEDZED', 'verified', false, now(), 'handle')`); err != nil {
		t.Fatalf("seed: %v", err)
	}
	svc := giveaway.New(pool)
	minji, jisoo := giveaway.Actor{Name: "Minji", Role: "staff"}, giveaway.Actor{Name: "Jisoo", Role: "staff"}
	for _, g := range []struct {
		claim int64
		prize string
		by    giveaway.Actor
		undo  bool
	}{
		{1, "tshirt", minji, false},
		{2, "mug", jisoo, true},     // given, then taken back
		{2, "tshirt", jisoo, false}, // and given again: the new give counts, the undone one does not
		{3, "mug", minji, false},
		{4, "tshirt", minji, true}, // undone and not given again
		{5, "pen", minji, false},   // another campaign
	} {
		if _, err := svc.GivePrize(ctx, g.claim, g.prize, g.by); err != nil {
			t.Fatalf("give %s to claim %d: %v", g.prize, g.claim, err)
		}
		if g.undo {
			if _, err := svc.Undo(ctx, g.claim, g.by); err != nil {
				t.Fatalf("undo claim %d: %v", g.claim, err)
			}
		}
	}

	seoul, err := time.LoadLocation("Asia/Seoul")
	if err != nil {
		t.Fatal(err)
	}
	// The local days the gives fell on: one, unless the test ran across Seoul's midnight.
	rows, err := pool.Query(ctx, `SELECT DISTINCT at FROM audit_log WHERE campaign_id = 1 AND action = 'given'`)
	if err != nil {
		t.Fatal(err)
	}
	days := map[report.Day]bool{}
	for rows.Next() {
		var at time.Time
		if err := rows.Scan(&at); err != nil {
			t.Fatal(err)
		}
		at = at.In(seoul)
		days[report.Day{Year: at.Year(), Month: at.Month(), Day: at.Day()}] = true
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}

	winners := 0
	for day := range days {
		r, err := report.Build(ctx, pool, "seoul", day, day)
		if err != nil {
			t.Fatal(err)
		}
		want := []report.Winner{}
		rows, err := pool.Query(ctx, `
			SELECT a.at, c.network, c.handle, p.key, p.name, a.actor, c.code, coalesce(c.verified_by, ''),
			       coalesce((a.details ->> 'account_checked')::boolean, false)
			FROM audit_log a
			JOIN claims c ON c.id = a.claim_id
			JOIN prizes p ON p.campaign_id = a.campaign_id AND p.key = a.details ->> 'prize'
			WHERE a.campaign_id = 1 AND a.action = 'given' AND a.at >= $1 AND a.at < $2
			  AND NOT EXISTS (SELECT 1 FROM audit_log u
			                  WHERE u.campaign_id = a.campaign_id AND u.action = 'undone'
			                    AND u.details -> 'giveaway_id' = a.details -> 'giveaway_id')
			ORDER BY a.at, (a.details ->> 'giveaway_id')::bigint`, day.Start(seoul), day.AddDays(1).Start(seoul))
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var w report.Winner
			var at time.Time
			if err := rows.Scan(&at, &w.Network, &w.Handle, &w.Prize, &w.PrizeName, &w.Staff, &w.Code,
				&w.VerifiedBy, &w.AccountChecked); err != nil {
				t.Fatal(err)
			}
			w.GivenAt = at.In(seoul).Format(time.RFC3339)
			want = append(want, w)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		sameJSON(t, r.Winners, mustJSON(want))
		if r.PrizesGiven != int64(len(want)) {
			t.Errorf("%s: prizes_given %d, audit log %d", day, r.PrizesGiven, len(want))
		}
		winners += len(want)
	}
	// Five gives in the campaign, two undone; the other campaign's give is not counted.
	if winners != 3 {
		t.Errorf("%d winners over %d day(s), want 3", winners, len(days))
	}
}
