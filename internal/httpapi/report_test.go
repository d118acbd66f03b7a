package httpapi_test

import (
	"encoding/csv"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestReportRoutes(t *testing.T) {
	e := newEnv(t)
	e.campaign("pycon", campaignOpts{stock: 10})
	staff := e.staff("Janis")
	id := e.verifiedClaim("pycon", "winner", 1)
	e.must(200, req{method: "POST", path: fmt.Sprintf("/api/v1/claims/%v/give", id), bearer: staff, body: map[string]any{"prize": "tshirt"}})
	today := time.Now().In(mustLoc(t, "Asia/Seoul")).Format("2006-01-02")

	if r := e.call(req{method: "GET", path: "/api/v1/campaigns/pycon/report"}); r.Status != 401 {
		t.Fatalf("report without staff login: %d", r.Status)
	}
	r := e.must(200, req{method: "GET", path: "/api/v1/campaigns/pycon/report", bearer: staff})
	if r.Body["prizes_given"] != 1.0 || r.Body["by_prize"].(map[string]any)["tshirt"] != 1.0 ||
		r.Body["stock_left"].(map[string]any)["tshirt"] != 9.0 || r.Body["from"] != today {
		t.Fatalf("today's report: %.600s", r.Raw)
	}
	w := r.Body["winners"].([]any)
	if len(w) != 1 || w[0].(map[string]any)["handle"] != "winner" || w[0].(map[string]any)["staff"] != "Janis" {
		t.Fatalf("winners %v", w)
	}
	c := e.must(200, req{method: "GET", path: "/api/v1/campaigns/pycon/report?format=csv&date=" + today, bearer: staff})
	if ct := c.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Fatalf("csv content type %q", ct)
	}
	rows, err := csv.NewReader(strings.NewReader(string(c.Raw))).ReadAll()
	if err != nil || len(rows) != 2 || !strings.Contains(strings.Join(rows[1], ","), "winner") {
		t.Fatalf("csv %q: %v", c.Raw, err)
	}
	if r := e.call(req{method: "GET", path: "/api/v1/campaigns/pycon/report?date=2016-13-45", bearer: staff}); r.Status != 400 || r.code() != "bad_date" {
		t.Fatalf("bad date: %d %s", r.Status, r.Raw)
	}
	if r := e.call(req{method: "GET", path: "/api/v1/campaigns/pycon/report?format=xml", bearer: staff}); r.Status != 400 || r.code() != "invalid_format" {
		t.Fatalf("bad format: %d %s", r.Status, r.Raw)
	}
	if r := e.call(req{method: "GET", path: "/api/v1/campaigns/nope/report", bearer: staff}); r.Status != 404 || r.code() != "campaign_not_found" {
		t.Fatalf("unknown campaign: %d %s", r.Status, r.Raw)
	}
	p := e.must(200, req{method: "GET", path: "/c/pycon/report", bearer: staff})
	if !strings.Contains(string(p.Raw), "<svg") || !strings.Contains(p.Header.Get("Content-Security-Policy"), "default-src 'none'") {
		t.Fatalf("report page: %.300s", p.Raw)
	}
}

func mustLoc(t *testing.T, name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return l
}
