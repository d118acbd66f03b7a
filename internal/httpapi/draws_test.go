package httpapi_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/boothgiveaway/giveaway/internal/draw"
)

// entrants records n manual claims (verified at once) named prefix1, prefix2, ...
func (e *env) entrants(slug, prefix string, n int) {
	e.t.Helper()
	for i := 1; i <= n; i++ {
		e.must(http.StatusCreated, req{method: "POST", path: "/api/v1/campaigns/" + slug + "/manual-claims", bearer: adminToken,
			body: map[string]any{"network": "twitter", "handle": fmt.Sprintf("%s%d", prefix, i)}})
	}
}

func (e *env) newDraw(slug string, body map[string]any) float64 {
	e.t.Helper()
	r := e.must(http.StatusCreated, req{method: "POST", path: "/api/v1/campaigns/" + slug + "/draws", bearer: adminToken, body: body})
	return r.Body["id"].(float64)
}

func (e *env) drawStep(id float64, step string, body any) reply {
	e.t.Helper()
	return e.call(req{method: "POST", path: fmt.Sprintf("/api/v1/draws/%v/%s", id, step), bearer: adminToken, body: body})
}

func (e *env) getDraw(id float64) reply {
	e.t.Helper()
	return e.must(http.StatusOK, req{method: "GET", path: fmt.Sprintf("/api/v1/draws/%v", id)})
}

func handles(picks any) []string {
	var out []string
	for _, p := range picks.([]any) {
		if h, ok := p.(map[string]any)["handle"].(string); ok {
			out = append(out, h)
		}
	}
	return out
}

func auditActions(t *testing.T, e *env) []string {
	t.Helper()
	rows, err := e.pool.Query(context.Background(), "SELECT action FROM audit_log WHERE action LIKE 'draw%' ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for rows.Next() {
		var a string
		rows.Scan(&a)
		out = append(out, a)
	}
	return out
}

// A whole draw as the public sees it: the commit before, the seed and winners after, and the
// published document recomputes with the verifier. Blocked people, excluded accounts and claims
// not verified never enter the pool.
func TestDrawCommitRevealAndVerify(t *testing.T) {
	e := newEnv(t)
	e.campaign("pycon", campaignOpts{})
	e.entrants("pycon", "fan", 8)
	e.claim("pycon", "pendingperson") // pending: not in the pool
	if _, err := e.pool.Exec(context.Background(),
		"INSERT INTO blocked_people (campaign_id, network, handle_norm, blocked_by) SELECT id, 'twitter', 'fan1', 'test' FROM campaigns"); err != nil {
		t.Fatal(err)
	}
	id := e.newDraw("pycon", map[string]any{"prize": "Mechanical keyboard", "winners": 2, "backups": 3,
		"pool": map[string]any{"exclude": []string{"twitter:@Fan2"}}})

	open := e.getDraw(id)
	if open.Body["state"] != "open" || open.Body["seed_commit"] != nil || open.Body["pool"] != nil {
		t.Fatalf("an open draw: %s", open.Raw)
	}
	c := e.drawStep(id, "commit", nil)
	if c.Status != http.StatusOK {
		t.Fatalf("commit: %d %s", c.Status, c.Raw)
	}
	if c.Body["entrants"] != float64(6) || len(c.Body["pool_hash"].(string)) != 64 || len(c.Body["seed_commit"].(string)) != 64 {
		t.Fatalf("commit: want 6 entrants (8 less the blocked and the excluded), a pool hash and a commit: %s", c.Raw)
	}
	committed := e.getDraw(id)
	if committed.Body["seed"] != nil || len(committed.Body["winners"].([]any)) != 0 {
		t.Fatalf("the seed or winners are public before the reveal: %s", committed.Raw)
	}
	pool := committed.Body["pool"].([]any)
	if len(pool) != 6 {
		t.Fatalf("pool: %v", pool)
	}
	for _, p := range pool {
		if strings.Contains(string(committed.Raw), "fan") || len(p.(string)) != 16 {
			t.Fatalf("the pool names a handle or an entry id is not 16 characters: %s", committed.Raw)
		}
	}

	r := e.drawStep(id, "reveal", map[string]any{"beacon": "drand 4242: 9f8e7d"})
	if r.Status != http.StatusOK {
		t.Fatalf("reveal: %d %s", r.Status, r.Raw)
	}
	seed, _ := hex.DecodeString(r.Body["seed"].(string))
	if sum := sha256.Sum256(seed); hex.EncodeToString(sum[:]) != c.Body["seed_commit"] {
		t.Fatal("the revealed seed does not hash to the commit")
	}
	won := handles(r.Body["winners"])
	if len(won) != 2 || len(r.Body["backups"].([]any)) != 3 {
		t.Fatalf("want 2 winners by handle and 3 backups: %s", r.Raw)
	}
	for _, h := range won {
		if h == "fan1" || h == "fan2" || h == "pendingperson" {
			t.Fatalf("%s was drawn: %s", h, r.Raw)
		}
	}
	if hs := handles(r.Body["backups"]); len(hs) != 0 {
		t.Fatalf("backups never called are named: %v", hs)
	}
	full := e.getDraw(id)
	if _, err := draw.VerifyJSON(bytes.NewReader(full.Raw)); err != nil {
		t.Fatalf("the published draw does not verify: %v\n%s", err, full.Raw)
	}
	tampered := bytes.Replace(full.Raw, []byte(pool[3].(string)), []byte("aaaaaaaaaaaaaaaa"), 1)
	if _, err := draw.VerifyJSON(bytes.NewReader(tampered)); err == nil {
		t.Fatal("a pool with one entry replaced verified")
	}
	// The frozen pool cannot change, whatever writes to the table.
	for _, sql := range []string{"UPDATE draw_entries SET claim_id = claim_id + 1", "DELETE FROM draw_entries"} {
		if _, err := e.pool.Exec(context.Background(), sql); err == nil || !strings.Contains(err.Error(), "frozen") {
			t.Errorf("%s on a committed pool: %v", sql, err)
		}
	}
	if got, want := auditActions(t, e), []string{"draw_created", "draw_committed", "draw_revealed"}; !slices.Equal(got, want) {
		t.Fatalf("audit: %v, want %v", got, want)
	}
}

// Steps out of order are 409 with a code saying why, and change nothing.
func TestDrawStepsOutOfOrderAreRefused(t *testing.T) {
	e := newEnv(t)
	e.campaign("pycon", campaignOpts{})
	id := e.newDraw("pycon", map[string]any{"prize": "Ticket", "winners": 1, "must_be_present": true})
	if r := e.drawStep(id, "commit", nil); r.Status != http.StatusConflict || r.code() != "empty_pool" {
		t.Fatalf("commit of an empty pool: %d %s", r.Status, r.Raw)
	}
	e.entrants("pycon", "p", 3)
	for _, step := range []string{"reveal", "winners/1/present", "winners/1/absent"} {
		want := map[string]string{"reveal": "draw_not_committed"}[step]
		if want == "" {
			want = "draw_not_revealed"
		}
		if r := e.drawStep(id, step, nil); r.Status != http.StatusConflict || r.code() != want {
			t.Fatalf("%s of an open draw: %d %s, want 409 %s", step, r.Status, r.Raw, want)
		}
	}
	e.must(http.StatusOK, e.reqStep(id, "commit"))
	if r := e.drawStep(id, "commit", nil); r.Status != http.StatusConflict || r.code() != "draw_already_committed" {
		t.Fatalf("a second commit: %d %s", r.Status, r.Raw)
	}
	if r := e.drawStep(id, "winners/1/present", nil); r.Status != http.StatusConflict || r.code() != "draw_not_revealed" {
		t.Fatalf("present before the reveal: %d %s", r.Status, r.Raw)
	}
	e.must(http.StatusOK, e.reqStep(id, "reveal"))
	if r := e.drawStep(id, "reveal", nil); r.Status != http.StatusConflict || r.code() != "draw_already_revealed" {
		t.Fatalf("a second reveal: %d %s", r.Status, r.Raw)
	}
	if r := e.drawStep(id, "winners/2/present", nil); r.Status != http.StatusNotFound || r.code() != "winner_not_found" {
		t.Fatalf("present of winner 2 of 1: %d %s", r.Status, r.Raw)
	}
	// Staff cannot define, commit or reveal.
	staff := e.staff("Mina")
	if r := e.call(req{method: "POST", path: "/api/v1/campaigns/pycon/draws", bearer: staff,
		body: map[string]any{"prize": "x", "winners": 1}}); r.Status != http.StatusForbidden {
		t.Fatalf("staff created a draw: %d %s", r.Status, r.Raw)
	}
}

func (e *env) reqStep(id float64, step string) req {
	return req{method: "POST", path: fmt.Sprintf("/api/v1/draws/%v/%s", id, step), bearer: adminToken}
}

// An operator who committed to their own seed must reveal that seed: another one, a forged
// reveal steering the draw, is refused and the draw stays committed; the database refuses it too.
func TestDrawForgedRevealIsRefused(t *testing.T) {
	e := newEnv(t)
	e.campaign("pycon", campaignOpts{})
	e.entrants("pycon", "p", 5)
	id := e.newDraw("pycon", map[string]any{"prize": "Ticket", "winners": 1, "backups": 1})
	seed := bytes.Repeat([]byte{7}, 32)
	commit := draw.Commit(seed)
	c := e.must(http.StatusOK, req{method: "POST", path: fmt.Sprintf("/api/v1/draws/%v/commit", id), bearer: adminToken,
		body: map[string]any{"seed_commit": commit}})
	if c.Body["seed_commit"] != commit {
		t.Fatalf("commit: %s", c.Raw)
	}
	if r := e.drawStep(id, "reveal", nil); r.Status != http.StatusBadRequest || r.code() != "seed_required" {
		t.Fatalf("reveal without the operator's seed: %d %s", r.Status, r.Raw)
	}
	forged := hex.EncodeToString(bytes.Repeat([]byte{8}, 32))
	if r := e.drawStep(id, "reveal", map[string]any{"seed": forged}); r.Status != http.StatusConflict || r.code() != "seed_mismatch" {
		t.Fatalf("a forged seed: %d %s", r.Status, r.Raw)
	}
	if g := e.getDraw(id); g.Body["state"] != "committed" || g.Body["seed"] != nil {
		t.Fatalf("after a refused reveal: %s", g.Raw)
	}
	forgedBytes, _ := hex.DecodeString(forged)
	if _, err := e.pool.Exec(context.Background(), "UPDATE draws SET seed = $1", forgedBytes); err == nil {
		t.Fatal("the database stored a seed that is not the committed one")
	}
	r := e.drawStep(id, "reveal", map[string]any{"seed": hex.EncodeToString(seed)})
	if r.Status != http.StatusOK || r.Body["seed"] != hex.EncodeToString(seed) {
		t.Fatalf("the committed seed: %d %s", r.Status, r.Raw)
	}
	if _, err := draw.VerifyJSON(bytes.NewReader(e.getDraw(id).Raw)); err != nil {
		t.Fatal(err)
	}
}

// An absent winner's prize goes to the first backup still waiting, then the next, never back to
// anyone who held it; staff confirm presence once; every step is in the audit log.
func TestAbsentWinnerPassesToTheNextBackup(t *testing.T) {
	e := newEnv(t)
	e.campaign("pycon", campaignOpts{})
	e.entrants("pycon", "p", 6)
	id := e.newDraw("pycon", map[string]any{"prize": "Ticket", "winners": 2, "backups": 2, "must_be_present": true,
		"presence_minutes": 10})
	e.must(http.StatusOK, e.reqStep(id, "commit"))
	r := e.must(http.StatusOK, e.reqStep(id, "reveal"))
	winners, backups := r.Body["winners"].([]any), r.Body["backups"].([]any)
	entry := func(p any) string { return p.(map[string]any)["entry_id"].(string) }
	staff := e.staff("Mina")
	step := func(path string, key string) reply {
		return e.call(req{method: "POST", path: fmt.Sprintf("/api/v1/draws/%v/%s", id, path), bearer: staff,
			headers: map[string]string{"Idempotency-Key": key}})
	}
	if a := step("winners/2/present", "k1"); a.Status != http.StatusOK {
		t.Fatalf("present: %d %s", a.Status, a.Raw)
	}
	if a := step("winners/2/present", "k1"); a.Status != http.StatusOK {
		t.Fatalf("a retry of present with its key: %d %s", a.Status, a.Raw)
	}
	if a := step("winners/2/absent", "k2"); a.Status != http.StatusConflict || a.code() != "already_present" {
		t.Fatalf("absent after present: %d %s", a.Status, a.Raw)
	}
	a := step("winners/1/absent", "k3")
	if a.Status != http.StatusOK {
		t.Fatalf("absent: %d %s", a.Status, a.Raw)
	}
	holder := func(a reply, slot float64) (string, string) {
		for _, list := range []string{"winners", "backups"} {
			for _, p := range a.Body[list].([]any) {
				m := p.(map[string]any)
				if m["slot"] == slot && (m["status"] == "called" || m["status"] == "present") {
					h, _ := m["handle"].(string)
					return m["entry_id"].(string), h
				}
			}
		}
		return "", ""
	}
	if got, h := holder(a, 1); got != entry(backups[0]) || h == "" {
		t.Fatalf("slot 1 after an absent winner: %q (%q), want the first backup %s: %s", got, h, entry(backups[0]), a.Raw)
	}
	a = step("winners/1/absent", "k4")
	if got, _ := holder(a, 1); got != entry(backups[1]) {
		t.Fatalf("slot 1 after two absents: %q, want the second backup: %s", got, a.Raw)
	}
	a = step("winners/1/absent", "k5")
	if got, _ := holder(a, 1); got != "" {
		t.Fatalf("with no backup left the slot went to %q (winner 1 was %s)", got, entry(winners[0]))
	}
	if a := step("winners/1/absent", "k6"); a.Status != http.StatusConflict || a.code() != "no_backup_left" {
		t.Fatalf("absent of an empty slot: %d %s", a.Status, a.Raw)
	}
	got := auditActions(t, e)
	want := []string{"draw_created", "draw_committed", "draw_revealed", "draw_present", "draw_absent", "draw_absent", "draw_absent"}
	if !slices.Equal(got, want) {
		t.Fatalf("audit: %v, want %v", got, want)
	}
	// A winner called too long ago can no longer be confirmed: the prize must pass on.
	e.pool.Exec(context.Background(), "UPDATE draw_picks SET called_at = now() - interval '1 hour' WHERE status = 'called'")
	id2 := e.newDraw("pycon", map[string]any{"prize": "Ticket 2", "winners": 1, "must_be_present": true, "presence_minutes": 5})
	e.must(http.StatusOK, e.reqStep(id2, "commit"))
	e.must(http.StatusOK, e.reqStep(id2, "reveal"))
	e.pool.Exec(context.Background(), "UPDATE draw_picks SET called_at = now() - interval '1 hour' WHERE draw_id = $1", int64(id2))
	if r := e.call(req{method: "POST", path: fmt.Sprintf("/api/v1/draws/%v/winners/1/present", id2), bearer: staff}); r.Status != http.StatusConflict || r.code() != "presence_expired" {
		t.Fatalf("present after the time limit: %d %s", r.Status, r.Raw)
	}
}

// Whoever won an earlier draw of the campaign is never in a later pool (unless the organiser
// says otherwise); absent winners are, since they did not win.
func TestEarlierWinnersAreNeverDrawnAgain(t *testing.T) {
	e := newEnv(t)
	e.campaign("pycon", campaignOpts{})
	e.entrants("pycon", "p", 5)
	first := e.newDraw("pycon", map[string]any{"prize": "Keyboard", "winners": 2})
	e.must(http.StatusOK, e.reqStep(first, "commit"))
	won := handles(e.must(http.StatusOK, e.reqStep(first, "reveal")).Body["winners"])
	second := e.newDraw("pycon", map[string]any{"prize": "Ticket", "winners": 3})
	if c := e.must(http.StatusOK, e.reqStep(second, "commit")); c.Body["entrants"] != float64(3) {
		t.Fatalf("the second pool has %v entrants, want 3 (5 less 2 winners)", c.Body["entrants"])
	}
	for _, h := range handles(e.must(http.StatusOK, e.reqStep(second, "reveal")).Body["winners"]) {
		if slices.Contains(won, h) {
			t.Fatalf("%s won twice", h)
		}
	}
	third := e.newDraw("pycon", map[string]any{"prize": "Sticker", "winners": 1, "pool": map[string]any{"exclude_earlier_winners": false}})
	if c := e.must(http.StatusOK, e.reqStep(third, "commit")); c.Body["entrants"] != float64(5) {
		t.Fatalf("without the exclusion: %v entrants, want 5", c.Body["entrants"])
	}
}

func TestDrawInputIsChecked(t *testing.T) {
	e := newEnv(t)
	e.campaign("pycon", campaignOpts{})
	for _, tc := range []struct {
		body map[string]any
		code string
	}{
		{map[string]any{"winners": 1}, "prize_required"},
		{map[string]any{"prize": "x", "winners": 0}, "invalid_winners"},
		{map[string]any{"prize": "x", "winners": 1, "backups": -1}, "invalid_backups"},
		{map[string]any{"prize": "x", "winners": 1, "presence_minutes": 5}, "invalid_presence_minutes"},
		{map[string]any{"prize": "x", "winners": 1, "pool": map[string]any{"statuses": []string{"pending"}}}, "invalid_pool_filter"},
		{map[string]any{"prize": "x", "winners": 1, "pool": map[string]any{"exclude": []string{"alice"}}}, "invalid_pool_filter"},
	} {
		r := e.call(req{method: "POST", path: "/api/v1/campaigns/pycon/draws", bearer: adminToken, body: tc.body})
		if r.Status != http.StatusBadRequest || r.code() != tc.code {
			t.Errorf("%v: %d %s, want 400 %s", tc.body, r.Status, r.Raw, tc.code)
		}
	}
	if r := e.call(req{method: "POST", path: "/api/v1/campaigns/nope/draws", bearer: adminToken, body: map[string]any{"prize": "x", "winners": 1}}); r.Status != http.StatusNotFound {
		t.Errorf("a draw of no campaign: %d %s", r.Status, r.Raw)
	}
	if r := e.call(req{method: "GET", path: "/api/v1/draws/999"}); r.Status != http.StatusNotFound || r.code() != "draw_not_found" {
		t.Errorf("no draw: %d %s", r.Status, r.Raw)
	}
}

// Staff list a campaign's draws; a member scoped to another campaign can neither list nor decide
// its draws.
func TestDrawsOfACampaignAndStaffScope(t *testing.T) {
	e := newEnv(t)
	e.campaign("pycon", campaignOpts{})
	e.campaign("jsconf", campaignOpts{})
	e.entrants("pycon", "p", 3)
	id := e.newDraw("pycon", map[string]any{"prize": "Ticket", "winners": 1, "must_be_present": true})
	e.must(http.StatusOK, e.reqStep(id, "commit"))
	e.must(http.StatusOK, e.reqStep(id, "reveal"))
	e.must(http.StatusCreated, req{method: "POST", path: "/api/v1/staff", bearer: adminToken,
		body: map[string]any{"name": "Jun", "pin": "482193", "role": "staff", "campaigns": []string{"jsconf"}}})
	jun := e.must(http.StatusOK, req{method: "POST", path: "/api/v1/auth/login", body: map[string]any{"name": "Jun", "pin": "482193"}}).Body["token"].(string)
	if r := e.call(req{method: "POST", path: fmt.Sprintf("/api/v1/draws/%v/winners/1/present", id), bearer: jun}); r.Status != http.StatusForbidden {
		t.Fatalf("a member scoped to jsconf confirmed a pycon winner: %d %s", r.Status, r.Raw)
	}
	if r := e.call(req{method: "GET", path: "/api/v1/campaigns/pycon/draws", bearer: jun}); r.Status != http.StatusForbidden {
		t.Fatalf("a member scoped to jsconf listed pycon's draws: %d %s", r.Status, r.Raw)
	}
	mina := e.staff("Mina")
	list := e.must(http.StatusOK, req{method: "GET", path: "/api/v1/campaigns/pycon/draws", bearer: mina})
	draws := list.Body["draws"].([]any)
	if len(draws) != 1 || draws[0].(map[string]any)["state"] != "revealed" || draws[0].(map[string]any)["pool"] != nil {
		t.Fatalf("pycon's draws: %s", list.Raw)
	}
	e.must(http.StatusOK, req{method: "POST", path: fmt.Sprintf("/api/v1/draws/%v/winners/1/present", id), bearer: mina})
}
