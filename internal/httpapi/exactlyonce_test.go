package httpapi_test

import (
	"context"
	"fmt"
	"github.com/boothgiveaway/giveaway/internal/testkit"
	"net/http"
	"sync"
	"testing"
	"time"
)

// giveRow is what the database holds about a claim's gives.
func (e *env) giveRow(claimID any) (n int, givenAt time.Time, by string, stock int) {
	e.t.Helper()
	ctx := context.Background()
	if err := e.pool.QueryRow(ctx, `SELECT count(*), coalesce(max(given_at), 'epoch'), coalesce(max(given_by_name), '')
		FROM giveaways WHERE claim_id = $1 AND undone_at IS NULL`, claimID).Scan(&n, &givenAt, &by); err != nil {
		e.t.Fatal(err)
	}
	if err := e.pool.QueryRow(ctx, `SELECT coalesce(sum(stock_left), 0) FROM prizes`).Scan(&stock); err != nil {
		e.t.Fatal(err)
	}
	return
}

// events counts the claim's audit events with action.
func (e *env) events(claimID any, action string) int {
	e.t.Helper()
	var n int
	if err := e.pool.QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE claim_id = $1 AND action = $2`,
		claimID, action).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

func givePath(id any) string { return fmt.Sprintf("/api/v1/claims/%v/give", id) }

// The venue's Wi-Fi drops the tablet at every step of a give; the tablet retries with the same
// key. Whatever the first try did, the retry's answer is the give the database holds: one give,
// one item of stock, 200 with that give. Before the fix, commit_lost answered 409 already_given
// (the give had committed, the handler answered 500, the key was released and the retry gave
// again).
func TestAGiveRetriedAfterTheNetworkFailsAtAnyStepAnswersTheGiveThatHappened(t *testing.T) {
	e, f := newFaultEnv(t)
	e.campaign("pycon", campaignOpts{stock: 100})
	staff := e.staff("Janis")
	steps := []struct{ step, match string }{
		{"before", ""},
		{"query", "INSERT INTO idempotency_keys"},
		{"query", "INSERT INTO giveaways"},
		{"commit", ""},
		{"commit_lost", ""},
		{"committed", ""},
	}
	for i, s := range steps {
		id := e.verifiedClaim("pycon", fmt.Sprintf("wifi%d", i), i+1)
		key := map[string]string{"Idempotency-Key": fmt.Sprint("tap-", i, "-", s.step)}
		f.arm(s.step, s.match)
		first, err := f.send(e, req{method: "POST", path: givePath(id), bearer: staff,
			body: map[string]any{"prize": "tshirt"}, headers: key})
		if !f.struck {
			t.Fatalf("%s: the fault never happened (first answer %d %s, %v)", s.step, first.Status, first.Raw, err)
		}
		retry := e.give(staff, id, "tshirt", key)
		n, givenAt, by, stock := e.giveRow(id)
		at, _ := time.Parse(time.RFC3339Nano, fmt.Sprint(retry.Body["given_at"]))
		if retry.Status != http.StatusOK || n != 1 || stock != 100-(i+1) || !at.Equal(givenAt) ||
			retry.Body["given_by"] != by || retry.Body["stock_left"] != float64(stock) {
			t.Errorf("%s: client saw %d %s (%v); retry answered %d %s; the database holds %d gives (at %s by %s), stock %d",
				s.step, first.Status, first.Raw, err, retry.Status, retry.Raw, n, givenAt, by, stock)
			continue
		}
		if again := e.give(staff, id, "tshirt", key); string(again.Raw) != string(retry.Raw) {
			t.Errorf("%s: a second retry answered %d %s, the first %s", s.step, again.Status, again.Raw, retry.Raw)
		}
	}
}

// A request that froze holding its key (its instance was killed) leaves it to the retry as soon
// as the database has ended its transaction. Before the fix the retry answered 409
// request_in_flight for the 30 s lease.
func TestAKeyWhoseHolderDiedIsTakenOverAtOnce(t *testing.T) {
	e, f := newFaultEnv(t)
	e.campaign("pycon", campaignOpts{stock: 100})
	staff := e.staff("Janis")
	id := e.verifiedClaim("pycon", "frozen", 1)
	key := map[string]string{"Idempotency-Key": "tap-frozen"}
	f.arm("hold", "INSERT INTO giveaways")
	held := make(chan reply, 1)
	go func() {
		r, _ := f.send(e, req{method: "POST", path: givePath(id), bearer: staff, body: map[string]any{"prize": "tshirt"}, headers: key})
		held <- r
	}()
	var pid uint32
	select {
	case pid = <-f.pid:
	case <-time.After(60 * time.Second):
		t.Fatal("the give never reached the database")
	}
	ctx := context.Background()
	if _, err := e.pool.Exec(ctx, `SELECT pg_terminate_backend($1)`, int(pid)); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "the terminated backend to go", func() bool {
		var alive bool
		if err := e.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = $1)`, int(pid)).Scan(&alive); err != nil {
			t.Fatal(err)
		}
		return !alive
	})
	retry := e.give(staff, id, "tshirt", key)
	close(f.resume)
	<-held
	if n, _, _, stock := e.giveRow(id); retry.Status != http.StatusOK || n != 1 || stock != 99 {
		t.Fatalf("retry after the holder died: %d %s; %d gives, stock %d", retry.Status, retry.Raw, n, stock)
	}
	if again := e.give(staff, id, "tshirt", key); string(again.Raw) != string(retry.Raw) {
		t.Fatalf("second retry %d %s, first %s", again.Status, again.Raw, retry.Raw)
	}
}

// A retry that arrives while the first try still runs is told so, and gets the first answer
// once it has finished.
func TestARetryWhileTheFirstStillRunsIsToldSoThenGetsTheFirstAnswer(t *testing.T) {
	e, f := newFaultEnv(t)
	e.campaign("pycon", campaignOpts{stock: 100})
	staff := e.staff("Janis")
	id := e.verifiedClaim("pycon", "slow", 1)
	key := map[string]string{"Idempotency-Key": "tap-slow"}
	f.arm("hold", "INSERT INTO giveaways")
	held := make(chan reply, 1)
	go func() {
		r, _ := f.send(e, req{method: "POST", path: givePath(id), bearer: staff, body: map[string]any{"prize": "tshirt"}, headers: key})
		held <- r
	}()
	select {
	case <-f.pid:
	case <-time.After(60 * time.Second):
		t.Fatal("the give never reached the database")
	}
	meanwhile := e.give(staff, id, "tshirt", key)
	close(f.resume)
	first := <-held
	if meanwhile.Status != http.StatusConflict || meanwhile.code() != "request_in_flight" {
		t.Fatalf("retry while running: %d %s", meanwhile.Status, meanwhile.Raw)
	}
	if first.Status != http.StatusOK {
		t.Fatalf("first try: %d %s", first.Status, first.Raw)
	}
	if r := e.give(staff, id, "tshirt", key); string(r.Raw) != string(first.Raw) {
		t.Fatalf("retry after: %d %s, first %s", r.Status, r.Raw, first.Raw)
	}
}

// Many retries of one tap at once: one give, and every answer is that give.
func TestConcurrentRetriesOfOneKeyGiveOnceAndAnswerAlike(t *testing.T) {
	e := newEnv(t)
	e.campaign("pycon", campaignOpts{stock: 100})
	staff := e.staff("Janis")
	id := e.verifiedClaim("pycon", "twitchy", 1)
	key := map[string]string{"Idempotency-Key": "tap-many"}
	var wg sync.WaitGroup
	out := make([]reply, 20)
	for i := range out {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// As the tablet does: request_in_flight means ask again shortly (the tablet's pace).
			for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(50 * time.Millisecond) {
				out[i] = e.give(staff, id, "tshirt", key)
				if out[i].code() != "request_in_flight" || time.Now().After(deadline) {
					return
				}
			}
		}()
	}
	wg.Wait()
	for _, r := range out {
		if r.Status != http.StatusOK || string(r.Raw) != string(out[0].Raw) {
			t.Fatalf("answers differ: %d %s and %d %s", r.Status, r.Raw, out[0].Status, out[0].Raw)
		}
	}
	if n, _, _, stock := e.giveRow(id); n != 1 || stock != 99 {
		t.Fatalf("%d gives, stock %d", n, stock)
	}
}

// Undo, approve, reject and manual claims whose answer was lost on the way back: the retry
// with the same key answers what happened instead of refusing (before the fix, undo answered
// 409 nothing_to_undo, approve 409 not_pending, reject 409 cannot_reject).
func TestStaffActionsRetriedAfterALostAnswerReplayIt(t *testing.T) {
	e, f := newFaultEnv(t)
	e.campaign("pycon", campaignOpts{stock: 100})
	staff := e.staff("Janis")
	given := e.verifiedClaim("pycon", "oops", 1)
	e.must(http.StatusOK, req{method: "POST", path: givePath(given), bearer: staff, body: map[string]any{"prize": "tshirt"}})
	insta := func(h string) any {
		r := e.call(req{method: "POST", path: "/api/v1/campaigns/pycon/claims",
			body: map[string]any{"network": "instagram", "handle": h, "post_url": "https://www.instagram.com/p/C" + h + "/"}})
		if r.Status != http.StatusCreated {
			t.Fatalf("instagram claim: %d %s", r.Status, r.Raw)
		}
		return r.Body["id"]
	}
	approveMe, rejectMe := insta("sunny"), insta("cloudy")
	cases := []struct {
		name, path string
		body       map[string]any
		status     int
		claim      func(r reply) any
		action     string
	}{
		{"undo", fmt.Sprintf("/api/v1/claims/%v/undo", given), nil, 200, func(reply) any { return given }, "undone"},
		{"approve", fmt.Sprintf("/api/v1/claims/%v/approve", approveMe), nil, 200, func(reply) any { return approveMe }, "approved"},
		{"reject", fmt.Sprintf("/api/v1/claims/%v/reject", rejectMe), nil, 200, func(reply) any { return rejectMe }, "rejected"},
		{"manual", "/api/v1/campaigns/pycon/manual-claims", map[string]any{"network": "linkedin", "handle": "seen",
			"post_url": "https://www.linkedin.com/posts/seen", "note": "saw it"}, 201, func(r reply) any { return r.Body["id"] }, "claimed"},
	}
	for _, c := range cases {
		key := map[string]string{"Idempotency-Key": "act-" + c.name}
		f.arm("commit_lost", "")
		first, err := f.send(e, req{method: "POST", path: c.path, bearer: staff, body: c.body, headers: key})
		if !f.struck {
			t.Fatalf("%s: the fault never happened (%d %s, %v)", c.name, first.Status, first.Raw, err)
		}
		retry := e.call(req{method: "POST", path: c.path, bearer: staff, body: c.body, headers: key})
		if retry.Status != c.status {
			t.Errorf("%s retried: %d %s", c.name, retry.Status, retry.Raw)
			continue
		}
		if n := e.events(c.claim(retry), c.action); n != 1 {
			t.Errorf("%s: %d %q events, want 1", c.name, n, c.action)
		}
		if again := e.call(req{method: "POST", path: c.path, bearer: staff, body: c.body, headers: key}); again.Status != c.status ||
			string(again.Raw) != string(retry.Raw) {
			t.Errorf("%s: second retry %d %s, first %s", c.name, again.Status, again.Raw, retry.Raw)
		}
	}
	if _, _, _, stock := e.giveRow(given); stock != 100 {
		t.Fatalf("stock %d after one undo, want 100", stock)
	}
	// The same key for another request is refused, for these actions as for gives.
	r := e.call(req{method: "POST", path: fmt.Sprintf("/api/v1/claims/%v/approve", rejectMe), bearer: staff,
		headers: map[string]string{"Idempotency-Key": "act-approve"}})
	if r.Status != http.StatusUnprocessableEntity || r.code() != "idempotency_key_reused" {
		t.Fatalf("key reused for another claim: %d %s", r.Status, r.Raw)
	}
}

// A refusal is an answer too: the retry hears the same refusal, even once the reason is gone.
func TestARefusedGiveIsReplayedAsRefused(t *testing.T) {
	e := newEnv(t)
	e.campaign("pycon", campaignOpts{stock: 100})
	staff := e.staff("Janis")
	pending := e.claim("pycon", "notyet").Body["id"]
	key := map[string]string{"Idempotency-Key": "tap-early"}
	first := e.give(staff, pending, "tshirt", key)
	if first.Status != http.StatusConflict || first.code() != "not_verified" {
		t.Fatalf("give of a pending claim: %d %s", first.Status, first.Raw)
	}
	e.ingest(v1("766100000000000999", "notyet", "#PyConAPAC #Elastic", during, "PyConAPAC", "Elastic"))
	if r := e.give(staff, pending, "tshirt", key); string(r.Raw) != string(first.Raw) {
		t.Fatalf("retry: %d %s, first %s", r.Status, r.Raw, first.Raw)
	}
	if n, _, _, _ := e.giveRow(pending); n != 0 {
		t.Fatalf("%d gives", n)
	}
	if r := e.give(staff, pending, "tshirt", map[string]string{"Idempotency-Key": "tap-later"}); r.Status != http.StatusOK {
		t.Fatalf("a new tap: %d %s", r.Status, r.Raw)
	}
}

// Staff tapped "I checked their account on their phone": the give says so, in its row, its
// audit event and its answer.
func TestAccountCheckedIsStoredAuditedAndAnswered(t *testing.T) {
	e := newEnv(t)
	e.campaign("pycon", campaignOpts{stock: 100})
	staff := e.staff("Janis")
	checked := e.verifiedClaim("pycon", "checked", 1)
	unchecked := e.verifiedClaim("pycon", "unchecked", 2)
	r := e.must(http.StatusOK, req{method: "POST", path: givePath(checked), bearer: staff,
		body: map[string]any{"prize": "tshirt", "account_checked": true}, headers: map[string]string{"Idempotency-Key": "k1"}})
	if r.Body["account_checked"] != true {
		t.Fatalf("answer: %s", r.Raw)
	}
	if r := e.must(http.StatusOK, req{method: "POST", path: givePath(unchecked), bearer: staff,
		body: map[string]any{"prize": "tshirt"}}); r.Body["account_checked"] != false {
		t.Fatalf("answer without the flag: %s", r.Raw)
	}
	for id, want := range map[any]bool{checked: true, unchecked: false} {
		var stored, audited bool
		if err := e.pool.QueryRow(context.Background(), `SELECT g.account_checked, (a.details ->> 'account_checked')::boolean
			FROM giveaways g JOIN audit_log a ON a.claim_id = g.claim_id AND a.action = 'given'
			WHERE g.claim_id = $1`, id).Scan(&stored, &audited); err != nil {
			t.Fatal(err)
		}
		if stored != want || audited != want {
			t.Fatalf("claim %v: stored %v, audited %v, want %v", id, stored, audited, want)
		}
	}
	if r := e.call(req{method: "POST", path: givePath(checked), bearer: staff,
		body: map[string]any{"prize": "tshirt", "account_checked": "yes"}}); r.Status != http.StatusBadRequest {
		t.Fatalf("account_checked not a boolean: %d %s", r.Status, r.Raw)
	}
}
