package pages_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

// The front door lists the campaigns running now with their claim page, poster and wall and the
// way in for staff; an ended campaign is not listed; a fresh install says how to make the first
// campaign. It never names a claim or a winner.
func TestTheHomePageShowsWhatIsRunning(t *testing.T) {
	en := newEnv(t)
	c := en.client()
	en.claim(c, "carol_v")
	res, html := en.get(en.client(), "/?lang=en")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /: %d %s", res.StatusCode, html)
	}
	mustContain(t, html, "Running now", `href="/c/`+slug+`"`, `href="/c/`+slug+`/poster"`,
		`href="/c/`+slug+`/wall"`, `href="/staff"`)
	if strings.Contains(html, "carol_v") {
		t.Error("the home page names a claimant")
	}

	ctx := context.Background()
	if _, err := en.Pool.Exec(ctx, `UPDATE campaigns SET ends_at = now() - interval '1 minute',
		starts_at = now() - interval '1 day'`); err != nil {
		t.Fatal(err)
	}
	_, html = en.get(en.client(), "/?lang=en")
	mustContain(t, html, "No campaign is running right now.")
	if strings.Contains(html, `href="/c/`+slug+`"`) {
		t.Error("an ended campaign is still listed")
	}

	// A fresh install: no campaign at all. The audit log refuses deletes (append-only), so this
	// test database drops its rows with triggers off, as only a test may.
	if _, err := en.Pool.Exec(ctx, `SET session_replication_role = replica; DELETE FROM campaigns;
		SET session_replication_role = DEFAULT`); err != nil {
		t.Fatal(err)
	}
	_, html = en.get(en.client(), "/?lang=ko")
	mustContain(t, html, "아직 캠페인이 없습니다", "POST /api/v1/campaigns")
}
