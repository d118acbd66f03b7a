package pages_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/boothgiveaway/giveaway/internal/app"
	"github.com/boothgiveaway/giveaway/internal/source"
	"github.com/boothgiveaway/giveaway/internal/xstream"
)

// Organisers run a draw from the console's campaign page without JavaScript: each form posts to
// the draw routes of the API, which answer 303 back to the page with the outcome.
func TestConsoleRunsADrawWithoutJavaScript(t *testing.T) {
	en := newEnv(t)
	tokens := map[string]string{}
	for _, h := range []string{"ana", "bo", "chen", "dara"} {
		tokens[h] = en.claim(en.client(), h)
		en.tweet(h, "At the booth #PyConAPAC #Elastic")
	}
	admin := en.admin("Ada")
	page := "/admin/c/" + slug
	_, html := en.get(admin, page)
	if !strings.Contains(html, `id="new-draw"`) || !strings.Contains(html, "No draw yet.") {
		t.Fatalf("the campaign page has no draw form: %s", html)
	}
	token := csrfOf(t, html)
	form := func(path string, v url.Values) string {
		t.Helper()
		v.Set("_csrf", token)
		v.Set("_back", page)
		res, _ := en.post(admin, path, v)
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != page {
			t.Fatalf("%s: %d to %q", path, res.StatusCode, res.Header.Get("Location"))
		}
		_, html := en.get(admin, page+"?lang=en")
		return html
	}

	// Refusals come back as the flash, and nothing is defined.
	if html := form("/api/v1/campaigns/"+slug+"/draws", url.Values{"prize": {"Keyboard"}, "winners": {"0"}}); !strings.Contains(html, "winners is 1 to 1000") {
		t.Fatalf("zero winners: %s", html)
	}
	if html := form("/api/v1/campaigns/"+slug+"/draws", url.Values{"prize": {"Keyboard"}, "winners": {"1"}, "pool.networks": {"myspace"}}); !strings.Contains(html, `pool.networks: &#34;myspace&#34; is not one of`) {
		t.Fatalf("an unknown network: %s", html)
	}
	if list := en.adminAPI("GET", "/api/v1/campaigns/"+slug+"/draws", nil); len(list["draws"].([]any)) != 0 {
		t.Fatalf("a refused form defined a draw: %v", list)
	}

	// Define: the pool filter's fields are bound by their JSON names (pool.networks …), its times
	// in the campaign's time zone.
	html = form("/api/v1/campaigns/"+slug+"/draws", url.Values{"prize": {"<b>Keyboard</b>"}, "winners": {"1"}, "backups": {"2"},
		"pool.statuses": {"verified given"}, "pool.networks": {"twitter"}, "pool.exclude": {"twitter:dara"}, "pool.from": {"2026-01-01T09:00"},
		"pool.exclude_earlier_winners": {"false", "true"}, "must_be_present": {"false", "true"}, "idempotency_key": {"d1"},
		"time_zone": {"Asia/Seoul"}})
	if !strings.Contains(html, "Draw defined.") || !strings.Contains(html, "&lt;b&gt;Keyboard&lt;/b&gt;") || strings.Contains(html, "<b>Keyboard") {
		t.Fatalf("define: %s", html)
	}
	list := en.adminAPI("GET", "/api/v1/campaigns/"+slug+"/draws", nil)["draws"].([]any)
	if len(list) != 1 {
		t.Fatalf("draws after the form: %v", list)
	}
	d := list[0].(map[string]any)
	id := fmt.Sprint(d["id"])
	if d["must_be_present"] != true || d["backups_wanted"].(float64) != 2 ||
		fmt.Sprint(d["pool_filter"].(map[string]any)["networks"]) != "[twitter]" ||
		!sameInstant(d["pool_filter"].(map[string]any)["from"], "2026-01-01T00:00:00Z") {
		t.Fatalf("the draw as defined: %v", d)
	}
	for _, want := range []string{`href="/draws/` + id + `"`, `href="/c/` + slug + `/wall"`, `id="commit-` + id + `"`} {
		if !strings.Contains(html, want) {
			t.Errorf("the open draw lacks %s", want)
		}
	}

	// Commit: the page shows the pool's hash and the seed's commitment.
	html = form("/api/v1/draws/"+id+"/commit", url.Values{"idempotency_key": {"c1"}})
	rec := en.adminAPI("GET", "/api/v1/draws/"+id+"?pool=false", nil)
	if !strings.Contains(html, "Pool frozen and committed.") || !strings.Contains(html, rec["pool_hash"].(string)) ||
		!strings.Contains(html, rec["seed_commit"].(string)) || !strings.Contains(html, `id="reveal-`+id+`"`) {
		t.Fatalf("commit: %s", html)
	}
	if rec["entrants"].(float64) != 3 {
		t.Fatalf("dara was left out by the form, yet entrants = %v", rec["entrants"])
	}

	// Reveal with a beacon: the winner by handle, with present and absent buttons.
	html = form("/api/v1/draws/"+id+"/reveal", url.Values{"beacon": {"drand 4242"}, "idempotency_key": {"r1"}})
	rec = en.adminAPI("GET", "/api/v1/draws/"+id+"?pool=false", nil)
	winner := rec["winners"].([]any)[0].(map[string]any)["handle"].(string)
	if rec["beacon"] != "drand 4242" || !strings.Contains(html, "The winners are drawn.") ||
		!strings.Contains(html, "<bdi>"+winner+"</bdi>") || !strings.Contains(html, `id="absent-`+id+`-1"`) {
		t.Fatalf("reveal (winner %s): %s", winner, html)
	}
	// The first backup is shown by entry id only until called.
	backupEntry := rec["backups"].([]any)[0].(map[string]any)["entry_id"].(string)
	backup := ""
	for h, tok := range tokens {
		if _, st := en.get(en.client(), "/claims/"+tok); strings.Contains(st, backupEntry) {
			backup = h
		}
	}
	if backup == "" || backup == winner || strings.Contains(html, "<bdi>"+backup+"</bdi>") || !strings.Contains(html, backupEntry) {
		t.Fatalf("backup %q (%s) before being called: %s", backup, backupEntry, html)
	}

	// Absent: the prize passes to the first backup, whom the page now names as called in slot 1.
	html = form("/api/v1/draws/"+id+"/winners/1/absent", url.Values{"idempotency_key": {"a1"}})
	if !strings.Contains(html, "Marked absent; the next backup is called.") || !strings.Contains(html, "<bdi>"+backup+"</bdi>") ||
		!strings.Contains(html, `id="present-`+id+`-1"`) {
		t.Fatalf("after absent, backup %s: %s", backup, html)
	}
	// The same form sent again (its key) does not pass the prize on a second time.
	form("/api/v1/draws/"+id+"/winners/1/absent", url.Values{"idempotency_key": {"a1"}})
	rec = en.adminAPI("GET", "/api/v1/draws/"+id+"?pool=false", nil)
	called := 0
	for _, p := range append(rec["winners"].([]any), rec["backups"].([]any)...) {
		if p.(map[string]any)["status"] == "called" {
			called++
			if h := p.(map[string]any)["handle"]; h != backup {
				t.Errorf("called after a resent absent: %v, want %s", h, backup)
			}
		}
	}
	if called != 1 {
		t.Fatalf("%d called after the resent form: %v", called, rec)
	}
	// Present: confirmed.
	if html := form("/api/v1/draws/"+id+"/winners/1/present", url.Values{"idempotency_key": {"p1"}}); !strings.Contains(html, "Marked present.") ||
		strings.Contains(html, `id="absent-`+id+`-1"`) {
		t.Fatalf("present: %s", html)
	}
	// A step out of order is refused in words, and nothing changes.
	if html := form("/api/v1/draws/"+id+"/commit", url.Values{"idempotency_key": {"c2"}}); !strings.Contains(html, "This draw is already revealed.") {
		t.Fatalf("commit after the reveal: %s", html)
	}
	// In Korean.
	if _, html := en.get(admin, page+"?lang=ko"); !strings.Contains(html, "추첨 만들기") || !strings.Contains(html, "현장 확인") {
		t.Fatalf("the draws in Korean: %s", html)
	}
}

// The console shows each source and the gaps recorded in the last week, and the campaign page
// warns of the gaps inside its window before winners are announced; a gap's words are escaped.
func TestConsoleShowsSourceGaps(t *testing.T) {
	// An X stream that reaches nothing, without backfill: what it may be missing is said.
	en := newEnvWith(t, func(c *app.Config) {
		c.Sources.X = xstream.Config{BearerToken: "x-token", BaseURL: "http://127.0.0.1:1"}
	})
	now := time.Now()
	log := slog.New(slog.DiscardHandler)
	source.RecordGap(context.Background(), en.Pool, log, source.Metrics{}, source.Gap{Source: "x_stream", Kind: source.GapReconnect,
		From: now.Add(-30 * time.Minute), To: now.Add(-20 * time.Minute), Detail: `X_BACKFILL_MINUTES=0 <script>alert(1)</script>`})
	source.RecordGap(context.Background(), en.Pool, log, source.Metrics{}, source.Gap{Source: "bluesky", Kind: source.GapCursorTooOld,
		From: now.Add(-50 * time.Hour), To: now.Add(-49 * time.Hour), Detail: "before the campaign"})
	admin := en.admin("Ada")

	_, html := en.get(admin, "/admin/sources?lang=en")
	for _, want := range []string{`href="/admin/sources"`, "X_BACKFILL_MINUTES=0 &lt;script&gt;alert(1)&lt;/script&gt;",
		"down, not replayed", "before the campaign", "cursor older than the server replays",
		`id="source-x_stream"`, "X_BACKFILL_MINUTES is 0"} {
		if !strings.Contains(html, want) {
			t.Errorf("the sources page lacks %q", want)
		}
	}
	if strings.Contains(html, "<script>alert") {
		t.Fatal("a gap's detail is not escaped")
	}

	_, html = en.get(admin, "/admin/c/"+slug+"?lang=en")
	i := strings.Index(html, `id="source-gaps"`)
	if i < 0 {
		t.Fatalf("the campaign page does not warn of the gap: %s", html)
	}
	warning := html[i:]
	warning = warning[:strings.Index(warning, "</div>")]
	if !strings.Contains(warning, "Check before announcing winners") || !strings.Contains(warning, "&lt;script&gt;") ||
		strings.Contains(warning, "before the campaign") || !strings.Contains(warning, "may be missing posts now") ||
		!strings.Contains(warning, "X_BACKFILL_MINUTES is 0") {
		t.Fatalf("the campaign's gaps: %s", warning)
	}
	// Staff without the admin role see none of it.
	staff := en.client()
	en.login(staff, "Janis")
	if res, html := en.get(staff, "/admin/sources"); res.StatusCode != http.StatusForbidden || strings.Contains(html, "X_BACKFILL") {
		t.Fatalf("the sources page for staff: %d", res.StatusCode)
	}
}

func sameInstant(got any, want string) bool {
	g, err1 := time.Parse(time.RFC3339, fmt.Sprint(got))
	w, err2 := time.Parse(time.RFC3339, want)
	return err1 == nil && err2 == nil && g.Equal(w)
}
