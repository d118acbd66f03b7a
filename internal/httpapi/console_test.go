package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// The organiser's routes (issue 12): scripts and the console share them.

func (e *env) campaignJSON(slug string) map[string]any {
	e.t.Helper()
	return e.must(http.StatusOK, req{method: "GET", path: "/api/v1/campaigns/" + slug}).Body
}

func prizeOf(c map[string]any, key string) map[string]any {
	for _, p := range c["prizes"].([]any) {
		if p := p.(map[string]any); p["key"] == key {
			return p
		}
	}
	return nil
}

func TestConsoleListsCampaignsWithLiveCounts(t *testing.T) {
	e := newEnv(t)
	e.campaign("pycon", campaignOpts{stock: 10})
	e.campaign("old", campaignOpts{ends: time.Date(2016, 8, 14, 0, 0, 0, 0, time.UTC)})
	id := e.verifiedClaim("pycon", "lucky", 1)
	e.claim("pycon", "waiting")
	janis := e.staff("Janis")
	e.must(http.StatusOK, e.giveReq(janis, id, "tshirt"))

	r := e.must(http.StatusOK, req{method: "GET", path: "/api/v1/campaigns", bearer: adminToken})
	list := r.Body["campaigns"].([]any)
	if len(list) != 2 {
		t.Fatalf("want both campaigns: %s", r.Raw)
	}
	first := list[0].(map[string]any)
	if first["slug"] != "pycon" || first["running"] != true || first["claims"] != 2.0 || first["pending"] != 1.0 ||
		first["given"] != 1.0 || first["stock_left"] != 9.0 {
		t.Fatalf("running campaign first, with its counts: %s", r.Raw)
	}
	if second := list[1].(map[string]any); second["slug"] != "old" || second["running"] != false {
		t.Fatalf("ended campaign second: %s", r.Raw)
	}
	if r := e.call(req{method: "GET", path: "/api/v1/campaigns", bearer: janis}); r.Status != 403 || r.code() != "admin_only" {
		t.Fatalf("staff listed campaigns: %d %s", r.Status, r.Raw)
	}
	if r := e.call(req{method: "GET", path: "/api/v1/campaigns"}); r.Status != 401 {
		t.Fatalf("anonymous listed campaigns: %d %s", r.Status, r.Raw)
	}
}

func (e *env) giveReq(session string, id any, prize string) req {
	return req{method: "POST", path: fmt.Sprintf("/api/v1/claims/%v/give", id), bearer: session,
		body: map[string]any{"prize": prize}}
}

func TestConsoleEditsClosesAndReopensACampaign(t *testing.T) {
	e := newEnv(t)
	e.campaign("pycon", campaignOpts{})
	patch := func(body any) reply {
		return e.call(req{method: "PATCH", path: "/api/v1/campaigns/pycon", bearer: adminToken, body: body})
	}
	r := patch(map[string]any{"name": "PyCon APAC 2016, day 2", "required_hashtags": "PyConAPAC Elastic 스마트스터디",
		"per_person_limit": 2, "time_zone": "UTC"})
	if r.Status != 200 || r.Body["name"] != "PyCon APAC 2016, day 2" || r.Body["per_person_limit"] != 2.0 ||
		len(r.Body["required_hashtags"].([]any)) != 3 || r.Body["time_zone"] != "UTC" {
		t.Fatalf("edit: %d %s", r.Status, r.Raw)
	}
	for _, bad := range []struct {
		body any
		code string
	}{
		{map[string]any{"required_hashtags": []string{"not a tag"}}, "invalid_hashtags"},
		{map[string]any{"ends_at": "2016-08-01T00:00:00Z"}, "invalid_window"},
		{map[string]any{"time_zone": "Mars/Olympus"}, "invalid_time_zone"},
		{map[string]any{"per_person_limit": 0}, "invalid_limit"},
		{map[string]any{"slug": "other"}, "unknown_field"},
		{map[string]any{}, "nothing_to_change"},
		{map[string]any{"close": true, "ends_at": "2030-01-01T00:00:00Z"}, "invalid_window"},
		{map[string]any{"wall_mode": "chaos"}, "invalid_wall_mode"},
	} {
		if r := patch(bad.body); r.Status != 400 || r.code() != bad.code {
			t.Errorf("%v: %d %s, want 400 %s", bad.body, r.Status, r.Raw, bad.code)
		}
	}
	if r := e.call(req{method: "PATCH", path: "/api/v1/campaigns/nope", bearer: adminToken,
		body: map[string]any{"close": true}}); r.Status != 404 || r.code() != "campaign_not_found" {
		t.Fatalf("unknown campaign: %d %s", r.Status, r.Raw)
	}

	// The wall's moderation, with the moderation's own audit row.
	if r := patch(map[string]any{"wall_mode": "manual", "wall_killed": true}); r.Status != 200 {
		t.Fatalf("wall: %d %s", r.Status, r.Raw)
	}
	var mode string
	var killed bool
	if err := e.pool.QueryRow(context.Background(), `SELECT mode, killed FROM wall_settings`).Scan(&mode, &killed); err != nil ||
		mode != "manual" || !killed {
		t.Fatalf("wall settings %q %v %v", mode, killed, err)
	}
	if r := e.must(200, req{method: "GET", path: "/api/v1/campaigns/pycon/audit?action=wall_settings", bearer: adminToken}); len(r.Body["entries"].([]any)) != 1 {
		t.Fatalf("wall change audited: %s", r.Raw)
	}

	// Close early: no more claims, and a second close says so.
	if r := patch(map[string]any{"close": true}); r.Status != 200 {
		t.Fatalf("close: %d %s", r.Status, r.Raw)
	}
	if r := e.claim("pycon", "late"); r.Status != 409 || r.code() != "campaign_closed" {
		t.Fatalf("claim after close: %d %s", r.Status, r.Raw)
	}
	if r := patch(map[string]any{"close": true}); r.Status != 409 || r.code() != "already_closed" {
		t.Fatalf("second close: %d %s", r.Status, r.Raw)
	}
	// Reopen: a new end in the future.
	if r := patch(map[string]any{"ends_at": time.Now().Add(time.Hour)}); r.Status != 200 {
		t.Fatalf("reopen: %d %s", r.Status, r.Raw)
	}
	if r := e.claim("pycon", "late"); r.Status != 201 {
		t.Fatalf("claim after reopening: %d %s", r.Status, r.Raw)
	}
	audit := e.must(200, req{method: "GET", path: "/api/v1/campaigns/pycon/audit?action=campaign_changed", bearer: adminToken})
	if n := len(audit.Body["entries"].([]any)); n != 3 || !strings.Contains(string(audit.Raw), `"closed":true`) {
		t.Fatalf("want the edit, the close and the reopening audited: %s", audit.Raw)
	}
}

func TestConsolePrizesAddRestockCapAndRetire(t *testing.T) {
	e := newEnv(t)
	e.campaign("pycon", campaignOpts{stock: 2})
	janis := e.staff("Janis")
	prizes := "/api/v1/campaigns/pycon/prizes"
	if r := e.call(req{method: "POST", path: prizes, bearer: adminToken,
		body: map[string]any{"key": "mug", "name": "Elastic mug", "stock": 1}}); r.Status != 201 || r.Body["stock_left"] != 1.0 {
		t.Fatalf("add: %d %s", r.Status, r.Raw)
	}
	for _, bad := range []struct {
		body   any
		status int
		code   string
	}{
		{map[string]any{"key": "mug", "name": "Another mug", "stock": 1}, 409, "prize_exists"},
		{map[string]any{"key": "Mug!", "name": "Mug", "stock": 1}, 400, "invalid_prize_key"},
		{map[string]any{"key": "cap", "name": "", "stock": 1}, 400, "invalid_prize_name"},
		{map[string]any{"key": "cap", "name": "Cap", "stock": -1}, 400, "invalid_stock"},
	} {
		if r := e.call(req{method: "POST", path: prizes, bearer: adminToken, body: bad.body}); r.Status != bad.status || r.code() != bad.code {
			t.Errorf("%v: %d %s, want %d %s", bad.body, r.Status, r.Raw, bad.status, bad.code)
		}
	}
	tshirt := prizes + "/tshirt"
	patch := func(body any, headers map[string]string) reply {
		return e.call(req{method: "PATCH", path: tshirt, bearer: adminToken, body: body, headers: headers})
	}
	if r := patch(map[string]any{"add": 5}, nil); r.Status != 400 || r.code() != "reason_required" {
		t.Fatalf("restock without a reason: %d %s", r.Status, r.Raw)
	}
	// A retried restock with its key adds once.
	key := map[string]string{"Idempotency-Key": "restock-1"}
	for range 2 {
		if r := patch(map[string]any{"add": 5, "reason": "a box arrived"}, key); r.Status != 200 || r.Body["stock"] != 7.0 {
			t.Fatalf("restock: %d %s", r.Status, r.Raw)
		}
	}
	if p := prizeOf(e.campaignJSON("pycon"), "tshirt"); p["stock"] != 7.0 || p["stock_left"] != 7.0 {
		t.Fatalf("restocked twice: %v", p)
	}
	id := e.verifiedClaim("pycon", "lucky", 1)
	e.must(200, e.giveReq(janis, id, "tshirt"))
	// 1 of 7 given: a correction may take 6, not 7.
	if r := patch(map[string]any{"add": -7, "reason": "miscounted"}, nil); r.Status != 409 || r.code() != "stock_below_given" {
		t.Fatalf("correction below given: %d %s", r.Status, r.Raw)
	}
	if r := patch(map[string]any{"add": -6, "reason": "miscounted", "name": "T-shirt (L)"}, nil); r.Status != 200 ||
		r.Body["stock"] != 1.0 || r.Body["stock_left"] != 0.0 || r.Body["name"] != "T-shirt (L)" {
		t.Fatalf("correction: %d %s", r.Status, r.Raw)
	}
	if r := patch(map[string]any{"add": 0, "reason": "x"}, nil); r.Status != 400 || r.code() != "invalid_add" {
		t.Fatalf("add 0: %d %s", r.Status, r.Raw)
	}
	if r := e.call(req{method: "PATCH", path: prizes + "/nope", bearer: adminToken,
		body: map[string]any{"retired": true}}); r.Status != 404 || r.code() != "prize_not_found" {
		t.Fatalf("unknown prize: %d %s", r.Status, r.Raw)
	}

	// A daily cap of 1 on the mug, with stock for more: the second give today is refused.
	e.must(200, req{method: "PATCH", path: prizes + "/mug", bearer: adminToken,
		body: map[string]any{"daily_cap": 1, "add": 3, "reason": "more mugs"}})
	second := e.verifiedClaim("pycon", "second", 2)
	third := e.verifiedClaim("pycon", "third", 3)
	e.must(200, e.giveReq(janis, second, "mug"))
	if r := e.call(e.giveReq(janis, third, "mug")); r.Status != 409 || r.code() != "daily_cap_reached" {
		t.Fatalf("give over the daily cap: %d %s", r.Status, r.Raw)
	}
	// Retired: never given again, still listed.
	e.must(200, req{method: "PATCH", path: prizes + "/mug", bearer: adminToken, body: map[string]any{"retired": true, "daily_cap": 0}})
	if r := e.call(e.giveReq(janis, third, "mug")); r.Status != 409 || r.code() != "prize_retired" {
		t.Fatalf("give of a retired prize: %d %s", r.Status, r.Raw)
	}
	if p := prizeOf(e.campaignJSON("pycon"), "mug"); p["retired"] != true || p["daily_cap"] != nil {
		t.Fatalf("mug: %v", p)
	}
	audit := e.must(200, req{method: "GET", path: "/api/v1/campaigns/pycon/audit?action=stock_adjusted", bearer: adminToken})
	entries := audit.Body["entries"].([]any)
	if len(entries) != 3 || !strings.Contains(string(audit.Raw), `"reason":"a box arrived"`) {
		t.Fatalf("each stock change audited once with its reason: %s", audit.Raw)
	}
	if r := e.call(req{method: "PATCH", path: tshirt, bearer: janis, body: map[string]any{"retired": true}}); r.Status != 403 {
		t.Fatalf("staff changed a prize: %d %s", r.Status, r.Raw)
	}
}

// TestStockCorrectionsRacingGivesNeverGoBelowWhatWasGiven: corrections that take stock away
// while tablets give the same prize. Whatever interleaving happens, what was given plus what is
// left is the stock, and nothing is left below zero.
func TestStockCorrectionsRacingGivesNeverGoBelowWhatWasGiven(t *testing.T) {
	e := newEnv(t)
	e.campaign("pycon", campaignOpts{stock: 12})
	janis := e.staff("Janis")
	var ids []float64
	for i := range 10 {
		ids = append(ids, e.verifiedClaim("pycon", fmt.Sprintf("fan%d", i), i+1))
	}
	var wg sync.WaitGroup
	gives := make(chan reply, len(ids))
	fixes := make(chan reply, 4)
	for _, id := range ids {
		wg.Add(1)
		go func() { defer wg.Done(); gives <- e.call(e.giveReq(janis, id, "tshirt")) }()
	}
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fixes <- e.call(req{method: "PATCH", path: "/api/v1/campaigns/pycon/prizes/tshirt", bearer: adminToken,
				body: map[string]any{"add": -3, "reason": "damaged"}})
		}()
	}
	wg.Wait()
	close(gives)
	close(fixes)
	given, taken := 0, 0
	for r := range gives {
		switch {
		case r.Status == 200:
			given++
		case r.code() != "out_of_stock":
			t.Errorf("give: %d %s", r.Status, r.Raw)
		}
	}
	for r := range fixes {
		switch {
		case r.Status == 200:
			taken += 3
		case r.code() != "stock_below_given":
			t.Errorf("correction: %d %s", r.Status, r.Raw)
		}
	}
	p := prizeOf(e.campaignJSON("pycon"), "tshirt")
	stock, left := int(p["stock"].(float64)), int(p["stock_left"].(float64))
	if stock != 12-taken || left < 0 || stock-left != given || e.counts()["giveaways"] != given {
		t.Fatalf("stock %d, left %d, given %d, taken %d: the books do not balance", stock, left, given, taken)
	}
}

func TestDryRunSaysWhyAPostWouldNotCountAndStoresNothing(t *testing.T) {
	e := newEnv(t)
	e.campaign("pycon", campaignOpts{starts: time.Now().Add(-time.Hour)})
	before := e.counts()
	dry := func(body any) reply {
		return e.call(req{method: "POST", path: "/api/v1/campaigns/pycon/dry-run", bearer: adminToken, body: body})
	}
	r := dry(map[string]any{"text": "Loving the booth #PyConAPAC", "handle": "@jisu"})
	if r.Status != 200 || r.Body["counts"] != false || !strings.Contains(string(r.Raw), `"code":"missing_hashtags"`) ||
		!strings.Contains(string(r.Raw), `"missing":["Elastic"]`) || r.Body["handle"] != "jisu" {
		t.Fatalf("missing hashtag: %s", r.Raw)
	}
	r = dry(map[string]any{"text": "RT @jisu: #PyConAPAC #Elastic", "handle": "minho",
		"created_at": time.Now().Add(-2 * time.Hour)})
	if r.Body["counts"] != false || !strings.Contains(string(r.Raw), `"code":"retweet"`) ||
		!strings.Contains(string(r.Raw), `"code":"before_start"`) || strings.Contains(string(r.Raw), "missing_hashtags") {
		t.Fatalf("retweet before the start: %s", r.Raw)
	}
	// A post as ingest takes it, full-width tags and all.
	r = dry(map[string]any{"post": jsonRaw(v2("1764800000000001", "jisu", "＃ＰｙＣｏｎＡＰＡＣ #elastic", time.Now(), nil))})
	if r.Status != 200 || r.Body["counts"] != true || len(r.Body["reasons"].([]any)) != 0 {
		t.Fatalf("eligible post: %s", r.Raw)
	}
	for _, bad := range []struct {
		body any
		code string
	}{
		{map[string]any{"post": map[string]any{"nothing": 1}}, "invalid_post"},
		{map[string]any{"handle": "jisu"}, "text_required"},
	} {
		if r := dry(bad.body); r.Status != 400 || r.code() != bad.code {
			t.Errorf("%v: %d %s", bad.body, r.Status, r.Raw)
		}
	}
	if after := e.counts(); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatalf("a dry run stored something: %v then %v", before, after)
	}
}

func jsonRaw(s string) any { return rawJSON(s) }

type rawJSON string

func (r rawJSON) MarshalJSON() ([]byte, error) { return []byte(r), nil }

func TestAuditLogFilters(t *testing.T) {
	e := newEnv(t)
	e.campaign("pycon", campaignOpts{})
	janis := e.staff("Janis")
	id := e.verifiedClaim("pycon", "lucky", 1)
	e.must(200, e.giveReq(janis, id, "tshirt"))
	e.must(200, req{method: "PATCH", path: "/api/v1/campaigns/pycon", bearer: adminToken, body: map[string]any{"name": "Renamed"}})
	audit := func(q string) reply {
		return e.call(req{method: "GET", path: "/api/v1/campaigns/pycon/audit" + q, bearer: adminToken})
	}
	all := audit("")
	if n := len(all.Body["entries"].([]any)); n < 4 { // claimed, verified, given, campaign_changed
		t.Fatalf("whole log: %s", all.Raw)
	}
	if first := all.Body["entries"].([]any)[0].(map[string]any); first["action"] != "campaign_changed" {
		t.Fatalf("newest first: %s", all.Raw)
	}
	by := audit("?staff=janis")
	if e := by.Body["entries"].([]any); len(e) != 1 || e[0].(map[string]any)["action"] != "given" {
		t.Fatalf("by staff: %s", by.Raw)
	}
	future := url.QueryEscape(time.Now().Add(time.Hour).Format(time.RFC3339))
	if r := audit("?since=" + future); len(r.Body["entries"].([]any)) != 0 {
		t.Fatalf("since the future: %s", r.Raw)
	}
	if r := audit("?until=" + future + "&action=given"); len(r.Body["entries"].([]any)) != 1 {
		t.Fatalf("until and action: %s", r.Raw)
	}
	if r := audit("?since=yesterday"); r.Status != 400 || r.code() != "invalid_time" {
		t.Fatalf("bad time: %d %s", r.Status, r.Raw)
	}
	if r := audit("?limit=0"); r.Status != 400 || r.code() != "invalid_limit" {
		t.Fatalf("bad limit: %d %s", r.Status, r.Raw)
	}
	if r := e.call(req{method: "GET", path: "/api/v1/campaigns/pycon/audit", bearer: janis}); r.Status != 403 {
		t.Fatalf("staff read the audit log: %d", r.Status)
	}
}

// session logs a member in and answers their session cookie and CSRF token, as the console's
// pages hold them.
func (e *env) session(name, role string) (*http.Cookie, string) {
	e.t.Helper()
	e.must(http.StatusCreated, req{method: "POST", path: "/api/v1/staff", bearer: adminToken,
		body: map[string]any{"name": name, "pin": "482193", "role": role}})
	r := e.must(http.StatusOK, req{method: "POST", path: "/api/v1/auth/login", body: map[string]any{"name": name, "pin": "482193"}})
	var cookie *http.Cookie
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if c.Name == "giveaway_session" {
			cookie = c
		}
	}
	if cookie == nil {
		e.t.Fatal("no session cookie")
	}
	s := e.must(http.StatusOK, req{method: "GET", path: "/api/v1/auth/session", cookies: []*http.Cookie{cookie}})
	return cookie, s.Body["csrf_token"].(string)
}

// form posts a console form without following the redirect; it answers where the browser goes
// and the flash the console page will show.
func (e *env) form(path string, cookie *http.Cookie, fields url.Values) (location string, flash url.Values) {
	e.t.Helper()
	hr, _ := http.NewRequest(http.MethodPost, e.srv.URL+path, strings.NewReader(fields.Encode()))
	hr.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if cookie != nil {
		hr.AddCookie(cookie)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(hr)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		e.t.Fatalf("POST %s: %d, want 303", path, resp.StatusCode)
	}
	for _, c := range resp.Cookies() {
		if c.Name == "giveaway_flash" && c.Path == "/admin" {
			flash, _ = url.ParseQuery(c.Value)
		}
	}
	return resp.Header.Get("Location"), flash
}

func TestConsoleFormsPostToTheAPIRoutesAndComeBack(t *testing.T) {
	e := newEnv(t)
	e.campaign("pycon", campaignOpts{stock: 5})
	ada, csrf := e.session("Ada", "admin")
	with := func(kv ...string) url.Values {
		v := url.Values{"_csrf": {csrf}}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Add(kv[i], kv[i+1])
		}
		return v
	}
	// Create a campaign with two prizes: the browser goes on to its page.
	loc, flash := e.form("/api/v1/campaigns", ada, with("slug", "jsconf", "name", "JSConf Korea",
		"required_hashtags", "JSConfKorea  Elastic", "starts_at", "2026-01-01T09:00", "ends_at", "2030-01-01T18:00",
		"time_zone", "Asia/Seoul", "per_person_limit", "1",
		"prizes.key", "tshirt", "prizes.name", "T-shirt", "prizes.stock", "30",
		"prizes.key", "stickers", "prizes.name", "Stickers", "prizes.stock", "200",
		"prizes.key", "", "prizes.name", "", "prizes.stock", ""))
	if loc != "/admin/c/jsconf" || flash.Get("k") != "ok" || flash.Get("m") != "flash_campaign_created" {
		t.Fatalf("create: %s %v", loc, flash)
	}
	c := e.campaignJSON("jsconf")
	if len(c["prizes"].([]any)) != 2 || len(c["required_hashtags"].([]any)) != 2 ||
		c["starts_at"] != "2026-01-01T00:00:00Z" {
		t.Fatalf("created from the form: %v", c)
	}

	// A PATCH route through _method; _back brings the browser to the page it came from.
	loc, flash = e.form("/api/v1/campaigns/pycon", ada, with("_method", "PATCH", "_back", "/admin/c/pycon",
		"name", "PyCon <b>APAC</b>", "require_code", "false", "require_code", "on"))
	if loc != "/admin/c/pycon" || flash.Get("m") != "flash_campaign_saved" {
		t.Fatalf("edit: %s %v", loc, flash)
	}
	if c := e.campaignJSON("pycon"); c["name"] != "PyCon <b>APAC</b>" || c["require_code"] != true {
		t.Fatalf("edited: %v", c)
	}

	// Refusals come back as the flash, with the stable code.
	_, flash = e.form("/api/v1/campaigns/pycon", ada, with("_method", "PATCH", "_back", "/admin/c/pycon",
		"required_hashtags", "not-a-tag!"))
	if flash.Get("k") != "err" || !strings.HasPrefix(flash.Get("m"), "err_invalid_hashtags|") || flash.Get("a_field") != "required_hashtags" {
		t.Fatalf("bad input: %v", flash)
	}
	// Without the CSRF token nothing changes.
	_, flash = e.form("/api/v1/campaigns/pycon", ada, url.Values{"_method": {"PATCH"}, "name": {"Forged"}})
	if !strings.HasPrefix(flash.Get("m"), "err_csrf_failed|") || e.campaignJSON("pycon")["name"] == "Forged" {
		t.Fatalf("a form without the CSRF token: %v", flash)
	}
	// A member without the admin role is refused, however well-formed the form.
	bo, boCSRF := e.session("Bo", "staff")
	_, flash = e.form("/api/v1/campaigns/pycon", bo, url.Values{"_csrf": {boCSRF}, "_method": {"PATCH"}, "name": {"Mine"}})
	if !strings.HasPrefix(flash.Get("m"), "err_admin_only|") || e.campaignJSON("pycon")["name"] == "Mine" {
		t.Fatalf("a staff member's form: %v", flash)
	}
	// A number that is not one has the stable code of a wrong field.
	_, flash = e.form("/api/v1/campaigns/pycon", ada, with("_method", "PATCH", "per_person_limit", "lots"))
	if !strings.HasPrefix(flash.Get("m"), "err_invalid_field|") || flash.Get("a_field") != "per_person_limit" {
		t.Fatalf("a wrong number: %v", flash)
	}
	// Only a console page is a way back.
	for _, back := range []string{"//evil.example/admin", "https://evil.example/admin", "/admin/../../x//y", "/administrator", "/admin\\evil", "/admin/../staff", "/admin/%2E%2e/staff"} {
		if loc, _ := e.form("/api/v1/campaigns/pycon", ada, with("_method", "PATCH", "_back", back,
			"name", "PyCon")); loc != "/admin" {
			t.Fatalf("_back %q sent the browser to %q", back, loc)
		}
	}

	// A resent restock form is done once.
	restock := with("_method", "PATCH", "add", "10", "reason", "box 2", "idempotency_key", "form-key-1")
	for range 2 {
		if _, flash := e.form("/api/v1/campaigns/pycon/prizes/tshirt", ada, restock); flash.Get("m") != "flash_prize_saved" {
			t.Fatalf("restock: %v", flash)
		}
	}
	if p := prizeOf(e.campaignJSON("pycon"), "tshirt"); p["stock"] != 15.0 {
		t.Fatalf("a resent restock added twice: %v", p)
	}

	// The dry run's verdict comes back as the flash the console words.
	_, flash = e.form("/api/v1/campaigns/pycon/dry-run", ada, with("text", "#PyConAPAC only", "handle", "jisu"))
	if flash.Get("k") != "dry" || flash.Get("m") != "dry_not_counted" || !strings.Contains(flash.Get("a_reasons"), "missing_hashtags") ||
		strings.TrimSpace(flash.Get("a_missing")) != "#Elastic" {
		t.Fatalf("dry run: %v", flash)
	}
	// Staff forms: add a member scoped to a campaign, reset their PIN.
	_, flash = e.form("/api/v1/staff", ada, with("name", "Minho", "pin", "573920", "role", "staff", "campaigns", "pycon"))
	if flash.Get("m") != "flash_staff_added" {
		t.Fatalf("add staff: %v", flash)
	}
	list := e.must(200, req{method: "GET", path: "/api/v1/staff", bearer: adminToken})
	if !strings.Contains(string(list.Raw), `"name":"Minho","role":"staff","active":true,"campaigns":["pycon"]`) {
		t.Fatalf("staff list: %s", list.Raw)
	}
}

// TestDailyCapHoldsUnderConcurrentGives: ten tablets give a prize capped at three a day at once;
// three are given and the others are told the day's share is gone.
func TestDailyCapHoldsUnderConcurrentGives(t *testing.T) {
	e := newEnv(t)
	e.campaign("pycon", campaignOpts{stock: 50})
	e.must(200, req{method: "PATCH", path: "/api/v1/campaigns/pycon/prizes/tshirt", bearer: adminToken,
		body: map[string]any{"daily_cap": 3}})
	janis := e.staff("Janis")
	var ids []float64
	for i := range 10 {
		ids = append(ids, e.verifiedClaim("pycon", fmt.Sprintf("fan%d", i), i+1))
	}
	var wg sync.WaitGroup
	out := make(chan reply, len(ids))
	for _, id := range ids {
		wg.Add(1)
		go func() { defer wg.Done(); out <- e.call(e.giveReq(janis, id, "tshirt")) }()
	}
	wg.Wait()
	close(out)
	given, capped := 0, 0
	for r := range out {
		switch {
		case r.Status == 200:
			given++
		case r.Status == 409 && r.code() == "daily_cap_reached":
			capped++
		default:
			t.Errorf("give: %d %s", r.Status, r.Raw)
		}
	}
	if given != 3 || capped != 7 || e.counts()["giveaways"] != 3 {
		t.Fatalf("%d given, %d capped; want 3 and 7", given, capped)
	}
}
