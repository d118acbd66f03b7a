package httpapi_test

import (
	"context"
	"encoding/csv"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/boothgiveaway/giveaway/internal/app"
	"github.com/boothgiveaway/giveaway/internal/source"
	"github.com/boothgiveaway/giveaway/internal/xstream"
)

// The organiser's console asks which sources run, what each may be missing now and which
// stretches were not read; only admins may ask (errors are shown in full).
func TestSourcesShowsStateDegradationAndGaps(t *testing.T) {
	e := newEnv(t, func(c *app.Config) {
		c.Sources.X = xstream.Config{BearerToken: "x-token", BaseURL: "http://127.0.0.1:1"}
	})
	from := time.Now().AddDate(0, -1, 0)
	source.RecordGap(context.Background(), e.pool, slog.New(slog.DiscardHandler), source.Metrics{}, source.Gap{
		Source: "x_stream", Kind: source.GapReconnect, From: time.Now().Add(-time.Hour), To: time.Now().Add(-time.Hour + 42*time.Second),
		Detail: "X_BACKFILL_MINUTES is 0"})
	source.RecordGap(context.Background(), e.pool, slog.New(slog.DiscardHandler), source.Metrics{}, source.Gap{
		Source: "bluesky", Kind: source.GapCursorTooOld, From: from.AddDate(0, -1, 0), To: from.AddDate(0, -1, 1),
		Detail: "a month ago: not listed"})

	r := e.must(200, req{method: "GET", path: "/api/v1/sources", bearer: adminToken})
	srcs, _ := r.Body["sources"].([]any)
	if len(srcs) != 1 {
		t.Fatalf("sources %s, want the X stream alone", r.Raw)
	}
	x, _ := srcs[0].(map[string]any)
	st, _ := x["status"].(map[string]any)
	deg, _ := st["degraded"].([]any)
	if x["name"] != "x_stream" || st["leader"] != false || len(deg) != 1 || !strings.Contains(deg[0].(string), "X_BACKFILL_MINUTES is 0") {
		t.Errorf("x_stream %s", r.Raw)
	}
	gaps, _ := r.Body["gaps"].([]any)
	if len(gaps) != 1 {
		t.Fatalf("gaps %s, want the last week's one", r.Raw)
	}
	if g := gaps[0].(map[string]any); g["source"] != "x_stream" || g["kind"] != "reconnect" || g["detail"] != "X_BACKFILL_MINUTES is 0" {
		t.Errorf("gap %v", g)
	}

	if r := e.call(req{method: "GET", path: "/api/v1/sources"}); r.Status != 401 {
		t.Errorf("anonymous: %d %s", r.Status, r.Raw)
	}
	if r := e.call(req{method: "GET", path: "/api/v1/sources", bearer: e.staff("Minji")}); r.Status != 403 {
		t.Errorf("staff: %d %s", r.Status, r.Raw)
	}
	// /readyz, which is public, says what is degraded too.
	ready := e.must(200, req{method: "GET", path: "/readyz"})
	if !strings.Contains(string(ready.Raw), "X_BACKFILL_MINUTES is 0") {
		t.Errorf("readyz does not say the X stream loses posts on reconnect: %s", ready.Raw)
	}
}

// The report's gaps come as their own CSV too, for the spreadsheet next to the winners.
func TestReportGapsCSV(t *testing.T) {
	e := newEnv(t)
	e.campaign("pycon", campaignOpts{stock: 10})
	staff := e.staff("Janis")
	now := time.Now()
	source.RecordGap(context.Background(), e.pool, slog.New(slog.DiscardHandler), source.Metrics{}, source.Gap{
		Source: "mastodon", Kind: source.GapFillIncomplete, From: now.Add(-time.Minute), To: now, Detail: "=cmd|' /C calc'!A0"})
	c := e.must(200, req{method: "GET", path: "/api/v1/campaigns/pycon/report?format=gaps-csv", bearer: staff})
	if ct, cd := c.Header.Get("Content-Type"), c.Header.Get("Content-Disposition"); !strings.HasPrefix(ct, "text/csv") ||
		!strings.Contains(cd, "-gaps.csv") {
		t.Fatalf("content type %q, disposition %q", ct, cd)
	}
	rows, err := csv.NewReader(strings.NewReader(string(c.Raw))).ReadAll()
	if err != nil || len(rows) != 2 || strings.Join(rows[0], ",") != "source,kind,from,to,detail" ||
		rows[1][0] != "mastodon" || rows[1][1] != "fill_incomplete" || rows[1][4] != "'=cmd|' /C calc'!A0" {
		t.Fatalf("gaps csv %q: %v", c.Raw, err)
	}
}
