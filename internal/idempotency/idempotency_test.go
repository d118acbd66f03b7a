package idempotency_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/boothgiveaway/giveaway/internal/apperr"
	"github.com/boothgiveaway/giveaway/internal/giveaway"
	"github.com/boothgiveaway/giveaway/internal/housekeeping"
	"github.com/boothgiveaway/giveaway/internal/idempotency"
	"github.com/boothgiveaway/giveaway/internal/pgtest"
	"github.com/boothgiveaway/giveaway/internal/store"
)

// act is a request's effect: an audit row written in the request's transaction.
func act(status int, body string) func(context.Context) idempotency.Answer {
	return func(ctx context.Context) idempotency.Answer {
		if _, err := idempotency.Tx(ctx).Exec(ctx, `INSERT INTO audit_log (actor, action) VALUES ('test', $1)`, body); err != nil {
			return idempotency.Answer{Status: 500, Body: []byte(err.Error())}
		}
		return idempotency.Answer{Status: status, Body: []byte(body)}
	}
}

func count(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// Whatever a wrapped action wrote before refusing is rolled back, and the refusal is its answer;
// a 5xx keeps nothing, so the retry runs again; a success keeps its effect and its answer.
func TestOutcomesKeepTheirAnswerAndOnlyASuccessKeepsItsEffect(t *testing.T) {
	pool := pgtest.New(t)
	keys := idempotency.New(pool)
	ctx := context.Background()
	hash := []byte("request")
	cases := []struct {
		status      int
		keep, write bool
	}{{200, true, true}, {201, true, true}, {409, true, false}, {422, true, false}, {500, false, false}, {503, false, false}}
	for _, c := range cases {
		key := fmt.Sprint("k", c.status)
		body := fmt.Sprint("first ", c.status)
		a, err := keys.Do(ctx, "test", key, hash, act(c.status, body))
		if err != nil || a.Status != c.status || string(a.Body) != body {
			t.Fatalf("%d: %d %s %v", c.status, a.Status, a.Body, err)
		}
		if n := count(t, pool, `SELECT count(*) FROM audit_log WHERE action = $1`, body); (n == 1) != c.write {
			t.Errorf("%d: %d effects kept", c.status, n)
		}
		retry, err := keys.Do(ctx, "test", key, hash, act(200, "second"))
		wantBody := body
		if !c.keep {
			wantBody = "second"
		}
		if err != nil || string(retry.Body) != wantBody {
			t.Errorf("%d: retry answered %d %s %v, want %s", c.status, retry.Status, retry.Body, err, wantBody)
		}
		if _, err := keys.Do(ctx, "test", key, []byte("another request"), act(200, "third")); !apperr.Is(err, "idempotency_key_reused") {
			t.Errorf("%d: another request with the key: %v", c.status, err)
		}
	}
	if _, err := keys.Do(ctx, "test", string(make([]byte, 201)), hash, act(200, "x")); !apperr.Is(err, "invalid_idempotency_key") {
		t.Errorf("a 201-byte key: %v", err)
	}
}

// A key left uncommitted by a transaction that never ends (its holder hangs) makes a retry wait
// a moment and answer request_in_flight; once the holder is gone the retry runs.
func TestARetryWaitsForTheHolderThenTakesOver(t *testing.T) {
	pool := pgtest.New(t)
	keys := idempotency.New(pool)
	ctx := context.Background()
	holder, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.New(holder).InsertIdempotencyKey(ctx, store.InsertIdempotencyKeyParams{Scope: "test", Key: "held",
		RequestHash: []byte("request")}); err != nil {
		t.Fatal(err)
	}
	if _, err := keys.Do(ctx, "test", "held", []byte("request"), act(200, "retry")); !apperr.Is(err, "request_in_flight") {
		t.Fatalf("retry while held: %v", err)
	}
	holder.Rollback(ctx)
	if a, err := keys.Do(ctx, "test", "held", []byte("request"), act(200, "retry")); err != nil || string(a.Body) != "retry" {
		t.Fatalf("retry after the holder rolled back: %s %v", a.Body, err)
	}
}

// Housekeeping sweeps answers older than the retention; newer ones still replay.
func TestHousekeepingSweepsOldKeys(t *testing.T) {
	pool := pgtest.New(t)
	keys := idempotency.New(pool)
	ctx := context.Background()
	for _, k := range []string{"old", "new"} {
		if _, err := keys.Do(ctx, "test", k, []byte(k), act(200, k)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := pool.Exec(ctx, `UPDATE idempotency_keys SET created_at = now() - interval '8 days' WHERE key = 'old'`); err != nil {
		t.Fatal(err)
	}
	if _, n, err := housekeeping.Once(ctx, pool, time.Now()); err != nil || n != 1 {
		t.Fatalf("housekeeping removed %d keys, %v", n, err)
	}
	if a, err := keys.Do(ctx, "test", "new", []byte("new"), act(200, "again")); err != nil || string(a.Body) != "new" {
		t.Fatalf("a recent key no longer replays: %s %v", a.Body, err)
	}
}

// A campaign's purge takes the stored answers that name its claims, whichever action stored them.
func TestPurgeTakesTheAnswersThatNameTheCampaignsClaims(t *testing.T) {
	pool := pgtest.New(t)
	ctx := context.Background()
	svc := giveaway.New(pool)
	now := time.Now()
	camp, err := svc.CreateCampaign(ctx, giveaway.CampaignInput{Slug: "pycon", Name: "PyCon", RequiredHashtags: []string{"PyConAPAC"},
		StartsAt: now.Add(-time.Hour), EndsAt: now.Add(time.Hour), TimeZone: "Asia/Seoul",
		Prizes: []giveaway.PrizeInput{{Key: "tshirt", Name: "T-shirt", Stock: 5}}})
	if err != nil {
		t.Fatal(err)
	}
	claim, _, err := svc.ManualClaim(ctx, "pycon", giveaway.ClaimInput{Network: "linkedin", Handle: "seen",
		PostURL: "https://www.linkedin.com/posts/seen"}, giveaway.Actor{Name: "Janis", Role: "staff"})
	if err != nil {
		t.Fatal(err)
	}
	answers := map[string]string{
		"give":         fmt.Sprintf(`{"claim_id": %d}`, claim.ID),
		"undo":         fmt.Sprintf(`{"id": %d}`, claim.ID),
		"manual_claim": fmt.Sprintf(`{"id": %d}`, claim.ID),
		"approve":      fmt.Sprintf(`{"id": %d}`, claim.ID+1000),
		"reject":       `{"error": {"code": "cannot_reject"}}`,
		// A re-issue's answer holds the claim and its new token.
		"reissue":        fmt.Sprintf(`{"claim": {"id": %d}, "token": "t"}`, claim.ID),
		"tablet_reissue": fmt.Sprintf(`{"claim": {"id": %d}, "token": "t"}`, claim.ID),
	}
	for scope, body := range answers {
		if _, err := pool.Exec(ctx, `INSERT INTO idempotency_keys (scope, key, request_hash, status_code, response)
			VALUES ($1, 'k', 'h', 200, $2)`, scope, []byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	n, err := store.New(pool).DeleteIdempotencyKeysOfCampaign(ctx, camp.ID)
	if err != nil || n != 5 {
		t.Fatalf("purged %d keys (%v), want 5", n, err)
	}
	if left := count(t, pool, `SELECT count(*) FROM idempotency_keys WHERE scope IN ('approve', 'reject')`); left != 2 {
		t.Fatalf("%d keys of other claims left, want 2", left)
	}
}
