package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/boothgiveaway/giveaway/internal/app"
)

// verifiedClaim makes a claim for handle and a post that verifies it; it returns the claim's id.
func (e *env) verifiedClaim(slug, handle string, n int) float64 {
	e.t.Helper()
	c := e.claim(slug, handle)
	e.ingest(v1(fmt.Sprintf("7661%015d", n), handle, "#PyConAPAC #Elastic", during, "PyConAPAC", "Elastic"))
	if s := e.claimStatus(c.Body["token"].(string)); s != "verified" {
		e.t.Fatalf("claim for %s is %s", handle, s)
	}
	return c.Body["id"].(float64)
}

func TestFiftyConcurrentGivesOfOneClaimGiveOnce(t *testing.T) {
	e := newEnv(t)
	e.campaign("pycon", campaignOpts{stock: 100})
	id := e.verifiedClaim("pycon", "lucky", 1)
	staff := e.staff("Janis")
	var wg sync.WaitGroup
	results := make(chan reply, 50)
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results <- e.give(staff, id, "tshirt", nil)
		}()
	}
	wg.Wait()
	close(results)
	ok, already := 0, 0
	for r := range results {
		switch {
		case r.Status == http.StatusOK:
			ok++
		case r.Status == http.StatusConflict && r.code() == "already_given":
			already++
			if r.detail("given_by") != "Janis" || r.detail("given_at") == nil {
				t.Errorf("already_given without who and when: %s", r.Raw)
			}
		default:
			t.Errorf("unexpected answer %d %s", r.Status, r.Raw)
		}
	}
	if ok != 1 || already != 49 {
		t.Fatalf("%d gives and %d already_given, want 1 and 49", ok, already)
	}
	c := e.counts()
	if c["giveaways"] != 1 || c["stock_left"] != 99 {
		t.Fatalf("giveaways %d, stock left %d; want 1 and 99", c["giveaways"], c["stock_left"])
	}
}

func TestTwoClaimsRacingForTheLastItem(t *testing.T) {
	e := newEnv(t)
	e.campaign("pycon", campaignOpts{stock: 1})
	a := e.verifiedClaim("pycon", "first", 1)
	b := e.verifiedClaim("pycon", "second", 2)
	staff := e.staff("Janis")
	var wg sync.WaitGroup
	out := make([]reply, 2)
	for i, id := range []float64{a, b} {
		wg.Add(1)
		go func() { defer wg.Done(); out[i] = e.give(staff, id, "tshirt", nil) }()
	}
	wg.Wait()
	codes := map[string]int{}
	for _, r := range out {
		if r.Status == 200 {
			codes["ok"]++
		} else {
			codes[r.code()]++
		}
	}
	if codes["ok"] != 1 || codes["out_of_stock"] != 1 {
		t.Fatalf("answers %v, want one ok and one out_of_stock", codes)
	}
	if c := e.counts(); c["stock_left"] != 0 || c["giveaways"] != 1 {
		t.Fatalf("stock %d, gives %d", c["stock_left"], c["giveaways"])
	}
}

// The tablet's gives carry an Idempotency-Key, so they run in the key's transaction rather than
// one of their own: the last item still goes once, and the refused tap's retry hears the same
// out_of_stock without a give, an audit event or stock taken.
func TestTwoTabletsRacingForTheLastItemWithKeys(t *testing.T) {
	e := newEnv(t)
	e.campaign("pycon", campaignOpts{stock: 1})
	a := e.verifiedClaim("pycon", "first", 1)
	b := e.verifiedClaim("pycon", "second", 2)
	staff := e.staff("Janis")
	var wg sync.WaitGroup
	out := make([]reply, 2)
	for i, id := range []float64{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = e.give(staff, id, "tshirt", map[string]string{"Idempotency-Key": fmt.Sprintf("last-%d", i)})
		}()
	}
	wg.Wait()
	refused := -1
	for i, r := range out {
		if r.Status != 200 {
			refused = i
		}
	}
	if refused < 0 || out[1-refused].Status != 200 || out[refused].code() != "out_of_stock" {
		t.Fatalf("answers %d %s, %d %s; want one ok and one out_of_stock", out[0].Status, out[0].code(), out[1].Status, out[1].code())
	}
	before := e.counts()
	retry := e.give(staff, []float64{a, b}[refused], "tshirt", map[string]string{"Idempotency-Key": fmt.Sprintf("last-%d", refused)})
	if retry.code() != "out_of_stock" {
		t.Fatalf("retry answered %d %s, want the first answer out_of_stock", retry.Status, retry.code())
	}
	if c := e.counts(); c["stock_left"] != 0 || c["giveaways"] != 1 || c["audit_log"] != before["audit_log"] {
		t.Fatalf("stock %d, gives %d, audit %d (before the retry %d)", c["stock_left"], c["giveaways"], c["audit_log"], before["audit_log"])
	}
}

func TestGiveNeedsAVerifiedClaimAndAKnownPrize(t *testing.T) {
	e := newEnv(t)
	e.campaign("pycon", campaignOpts{})
	staff := e.staff("Janis")
	pending := e.claim("pycon", "notyet")
	before := e.counts()
	if r := e.give(staff, pending.Body["id"], "tshirt", nil); r.Status != 409 || r.code() != "not_verified" {
		t.Fatalf("pending claim: %d %s", r.Status, r.Raw)
	}
	id := e.verifiedClaim("pycon", "ready", 1)
	mid := e.counts()
	if r := e.give(staff, id, "mug", nil); r.Status != 422 || r.code() != "unknown_prize" {
		t.Fatalf("unknown prize: %d %s", r.Status, r.Raw)
	}
	if r := e.give(staff, 999999, "tshirt", nil); r.Status != 404 || r.code() != "claim_not_found" {
		t.Fatalf("unknown claim: %d %s", r.Status, r.Raw)
	}
	if r := e.give(staff, "abc", "tshirt", nil); r.Status != 400 || r.code() != "invalid_id" {
		t.Fatalf("bad id: %d %s", r.Status, r.Raw)
	}
	if fmt.Sprint(before["giveaways"], before["stock_left"]) != fmt.Sprint(mid["giveaways"], mid["stock_left"]) ||
		fmt.Sprint(e.counts()) != fmt.Sprint(mid) {
		t.Fatalf("a refused give changed the database")
	}
}

// A give without a key runs in a transaction of its own that the service opens and ends by hand
// (BEGIN goes with the first statement, COMMIT with the write): after every refusal, each at a
// different step, and after the last item's race, no connection is left in a transaction, whose
// locks on the claim and the prize would hold every later give of them.
func TestRefusedGivesLeaveNoTransactionOpen(t *testing.T) {
	e := newEnv(t)
	e.campaign("pycon", campaignOpts{stock: 1})
	staff := e.staff("Janis")
	pending := e.claim("pycon", "notyet")
	first := e.verifiedClaim("pycon", "first", 1)
	second := e.verifiedClaim("pycon", "second", 2)
	for _, g := range []struct {
		id    any
		prize string
		want  int
		code  string
	}{
		{pending.Body["id"], "tshirt", 409, "not_verified"},
		{first, "mug", 422, "unknown_prize"},
		{999999, "tshirt", 404, "claim_not_found"},
		{first, "tshirt", 200, ""},
		{first, "tshirt", 409, "already_given"},
		{second, "tshirt", 409, "out_of_stock"},
	} {
		if r := e.give(staff, g.id, g.prize, nil); r.Status != g.want || r.code() != g.code {
			t.Fatalf("give %v %s: %d %s, want %d %s", g.id, g.prize, r.Status, r.Raw, g.want, g.code)
		}
		var open int
		if err := e.pool.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND state LIKE 'idle in transaction%'`).Scan(&open); err != nil {
			t.Fatal(err)
		}
		if open != 0 {
			t.Fatalf("after the give of %v (%s): %d connections left in a transaction", g.id, g.code, open)
		}
	}
}

func TestPerPersonLimit(t *testing.T) {
	e := newEnv(t)
	e.campaign("pycon", campaignOpts{limit: 2, prizes: []map[string]any{
		{"key": "tshirt", "name": "T-shirt", "stock": 10}, {"key": "sticker", "name": "Sticker", "stock": 10}}})
	id := e.verifiedClaim("pycon", "greedy", 1)
	staff := e.staff("Janis")
	if r := e.give(staff, id, "tshirt", nil); r.Status != 200 || r.Body["status"] != "verified" {
		t.Fatalf("first give: %d %s", r.Status, r.Raw)
	}
	if r := e.give(staff, id, "sticker", nil); r.Status != 200 || r.Body["status"] != "given" {
		t.Fatalf("second give: %d %s", r.Status, r.Raw)
	}
	if r := e.give(staff, id, "sticker", nil); r.Status != 409 || r.code() != "limit_reached" {
		t.Fatalf("third give: %d %s", r.Status, r.Raw)
	}
}

func TestPerDayLimitFollowsTheCampaignsTimeZone(t *testing.T) {
	// 23:59 in Seoul is 14:59 UTC; one minute later it is the next Seoul day.
	clock := time.Date(2016, 8, 13, 14, 59, 0, 0, time.UTC)
	var mu sync.Mutex
	e := newEnv(t, func(c *app.Config) {
		c.Clock = func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	})
	e.campaign("pycon", campaignOpts{period: "day", ends: time.Date(2016, 8, 15, 0, 0, 0, 0, time.UTC)})
	id := e.verifiedClaim("pycon", "daily", 1)
	staff := e.staff("Janis")
	if r := e.give(staff, id, "tshirt", nil); r.Status != 200 {
		t.Fatalf("day 1: %d %s", r.Status, r.Raw)
	}
	if r := e.give(staff, id, "tshirt", nil); r.Status != 409 || r.code() != "already_given" {
		t.Fatalf("day 1 again: %d %s", r.Status, r.Raw)
	}
	mu.Lock()
	clock = clock.Add(2 * time.Minute)
	mu.Unlock()
	if r := e.give(staff, id, "tshirt", nil); r.Status != 200 {
		t.Fatalf("day 2 in Seoul: %d %s", r.Status, r.Raw)
	}
}

func TestIdempotentRetryReturnsTheFirstAnswer(t *testing.T) {
	e := newEnv(t)
	e.campaign("pycon", campaignOpts{prizes: []map[string]any{
		{"key": "tshirt", "name": "T-shirt", "stock": 10}, {"key": "mug", "name": "Mug", "stock": 10}}})
	id := e.verifiedClaim("pycon", "retry", 1)
	staff := e.staff("Janis")
	key := map[string]string{"Idempotency-Key": "tap-0001"}
	first := e.give(staff, id, "tshirt", key)
	second := e.give(staff, id, "tshirt", key)
	if first.Status != 200 || second.Status != 200 || string(first.Raw) != string(second.Raw) {
		t.Fatalf("retry answered %d %s, first %d %s", second.Status, second.Raw, first.Status, first.Raw)
	}
	if c := e.counts(); c["giveaways"] != 1 || c["stock_left"] != 19 {
		t.Fatalf("a retry gave again: %v", c)
	}
	if r := e.give(staff, id, "mug", key); r.Status != 422 || r.code() != "idempotency_key_reused" {
		t.Fatalf("same key, other body: %d %s", r.Status, r.Raw)
	}
	// A request still running holds its key: TestARetryWhileTheFirstStillRunsIsToldSoThenGetsTheFirstAnswer.
}

func TestUndoRestoresStockAndKeepsTheTrail(t *testing.T) {
	clock := time.Now()
	var mu sync.Mutex
	e := newEnv(t, func(c *app.Config) {
		c.Clock = func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
		c.UndoWindow = 5 * time.Minute
	})
	// newEnv waits for the parallel phase, which can take minutes under -race: start the clock now.
	mu.Lock()
	clock = time.Now()
	mu.Unlock()
	e.campaign("pycon", campaignOpts{stock: 3})
	id := e.verifiedClaim("pycon", "oops", 1)
	staff := e.staff("Janis")
	e.must(200, req{method: "POST", path: fmt.Sprintf("/api/v1/claims/%v/give", id), bearer: staff, body: map[string]any{"prize": "tshirt"}})
	r := e.must(200, req{method: "POST", path: fmt.Sprintf("/api/v1/claims/%v/undo", id), bearer: staff})
	if r.Body["status"] != "verified" {
		t.Fatalf("after undo: %s", r.Raw)
	}
	if c := e.counts(); c["stock_left"] != 3 {
		t.Fatalf("stock %d after undo, want 3", c["stock_left"])
	}
	if r := e.call(req{method: "POST", path: fmt.Sprintf("/api/v1/claims/%v/undo", id), bearer: staff}); r.Status != 409 || r.code() != "nothing_to_undo" {
		t.Fatalf("second undo: %d %s", r.Status, r.Raw)
	}
	// Given again after the undo; staff cannot undo once the window has passed, an admin can.
	e.must(200, req{method: "POST", path: fmt.Sprintf("/api/v1/claims/%v/give", id), bearer: staff, body: map[string]any{"prize": "tshirt"}})
	mu.Lock()
	clock = clock.Add(6 * time.Minute)
	mu.Unlock()
	if r := e.call(req{method: "POST", path: fmt.Sprintf("/api/v1/claims/%v/undo", id), bearer: staff}); r.Status != 409 || r.code() != "undo_window_passed" {
		t.Fatalf("late undo by staff: %d %s", r.Status, r.Raw)
	}
	e.must(200, req{method: "POST", path: fmt.Sprintf("/api/v1/claims/%v/undo", id), bearer: adminToken})
	var actions []string
	rows, _ := e.pool.Query(context.Background(), `SELECT action FROM audit_log WHERE claim_id = $1 ORDER BY id`, int64(id))
	for rows.Next() {
		var a string
		rows.Scan(&a)
		actions = append(actions, a)
	}
	if fmt.Sprint(actions) != "[claimed verified given undone given undone]" {
		t.Fatalf("audit trail %v", actions)
	}
	if _, err := e.pool.Exec(context.Background(), `DELETE FROM audit_log`); err == nil {
		t.Fatal("the audit log accepted a DELETE")
	}
}

func TestManualClaimsAndApprovals(t *testing.T) {
	e := newEnv(t)
	e.campaign("pycon", campaignOpts{})
	staff := e.staff("Janis")
	// An attendee's Instagram claim waits for staff.
	insta := e.call(req{method: "POST", path: "/api/v1/campaigns/pycon/claims",
		body: map[string]any{"network": "instagram", "handle": "sunny", "post_url": "https://www.instagram.com/p/Cabc123/"}})
	if insta.Status != 201 || insta.Body["status"] != "pending" {
		t.Fatalf("instagram claim: %d %s", insta.Status, insta.Raw)
	}
	list := e.must(200, req{method: "GET", path: "/api/v1/campaigns/pycon/claims?status=pending", bearer: staff})
	if n := len(list.Body["claims"].([]any)); n != 1 {
		t.Fatalf("pending list has %d claims", n)
	}
	e.must(200, req{method: "POST", path: fmt.Sprintf("/api/v1/claims/%v/approve", insta.Body["id"]), bearer: staff})
	if r := e.call(req{method: "POST", path: fmt.Sprintf("/api/v1/claims/%v/approve", insta.Body["id"]), bearer: staff}); r.code() != "not_pending" {
		t.Fatalf("approve twice: %s", r.Raw)
	}
	// A Facebook post staff saw with their own eyes is verified at once and can be given.
	m := e.must(201, req{method: "POST", path: "/api/v1/campaigns/pycon/manual-claims", bearer: staff,
		body: map[string]any{"network": "facebook", "handle": "Park Jisu", "note": "showed the post on her phone"}})
	if m.Body["status"] != "verified" || m.Body["manual"] != true {
		t.Fatalf("manual claim: %s", m.Raw)
	}
	if r := e.give(staff, m.Body["id"], "tshirt", nil); r.Status != 200 {
		t.Fatalf("give to manual claim: %s", r.Raw)
	}
	// Reject, and find by code.
	other := e.claim("pycon", "spammer")
	e.must(200, req{method: "POST", path: fmt.Sprintf("/api/v1/claims/%v/reject", other.Body["id"]), bearer: staff})
	found := e.must(200, req{method: "GET", path: "/api/v1/campaigns/pycon/claims?q=" + other.Body["code"].(string), bearer: staff})
	cl := found.Body["claims"].([]any)
	if len(cl) != 1 || cl[0].(map[string]any)["status"] != "rejected" {
		t.Fatalf("find by code: %s", found.Raw)
	}
	if r := e.give(staff, other.Body["id"], "tshirt", nil); r.code() != "not_verified" {
		t.Fatalf("give to rejected: %s", r.Raw)
	}
}
