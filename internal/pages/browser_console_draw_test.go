package pages_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/boothgiveaway/giveaway/internal/source"
)

// TestBrowserOrganiserRunsADrawFromTheConsole plays the organiser at the draw (issues 14 and 15):
// the campaign page warns that a source missed posts during the campaign, then the organiser
// defines a must-be-present draw, freezes and commits it, reveals it with a beacon, and marks the
// absent winner so the backup is called. The pages pass axe-core in English and Korean.
func TestBrowserOrganiserRunsADrawFromTheConsole(t *testing.T) {
	root := browser(t)
	en := newEnv(t)
	for _, h := range []string{"ana", "bo", "chen"} {
		en.claim(en.client(), h)
		en.tweet(h, "At the booth #PyConAPAC #Elastic")
	}
	source.RecordGap(context.Background(), en.Pool, slog.New(slog.DiscardHandler), source.Metrics{}, source.Gap{
		Source: "x_stream", Kind: source.GapReconnect, From: time.Now().Add(-20 * time.Minute),
		To: time.Now().Add(-10 * time.Minute), Detail: "X_BACKFILL_MINUTES is 0"})
	if _, err := en.Auth.CreateStaff(context.Background(), "Ada", "432109", "admin"); err != nil {
		t.Fatal(err)
	}
	laptop := en.device(root, "laptop", 1280, 900, false)
	text := func(sel string) string {
		return laptop.eval(`(document.querySelector(` + jsString(sel) + `) || {textContent: ''}).textContent`)
	}
	submit := func(button string) {
		laptop.eval(`document.getElementById('flash')?.remove(); ''`)
		laptop.do(chromedp.Click(button), chromedp.WaitVisible("#flash"))
	}
	page := en.URL + "/admin/c/" + slug + "?lang=en"
	laptop.do(chromedp.Navigate(page), chromedp.WaitVisible("#pin"),
		chromedp.SendKeys("#name", "Ada"), chromedp.SendKeys("#pin", "432109"), chromedp.Submit("#pin"),
		chromedp.WaitVisible("#new-draw"))
	if got := text("#source-gaps"); !strings.Contains(got, "Check before announcing winners") || !strings.Contains(got, "X_BACKFILL_MINUTES is 0") {
		t.Fatalf("no warning of the gap: %q", got)
	}

	laptop.do(chromedp.SetValue("#d-prize", "Mechanical keyboard"), chromedp.SetValue("#d-winners", "1"),
		chromedp.SetValue("#d-backups", "1"), chromedp.Click("#d-present"))
	submit(`#new-draw button[type=submit]`)
	if got := text("#flash"); !strings.Contains(got, "Draw defined.") {
		t.Fatalf("define: %q", got)
	}
	id := strings.TrimPrefix(laptop.eval(`document.querySelector('article.draw-admin').id`), "draw-")
	laptop.shot("console-draw-open-en")

	submit("#commit-" + id)
	if got := text("#draw-" + id); !strings.Contains(got, "Pool hash") {
		t.Fatalf("commit: %q", got)
	}
	laptop.do(chromedp.SetValue("#beacon-"+id, "drand round 4242"))
	submit("#reveal-" + id)
	if got := text("#flash"); !strings.Contains(got, "The winners are drawn.") {
		t.Fatalf("reveal: %q", got)
	}
	first := text("#picks-" + id + " tbody tr:first-child bdi")
	if first == "" {
		t.Fatalf("no winner named: %q", text("#draw-"+id))
	}
	laptop.shot("console-draw-revealed-en")

	// The winner has left: the backup is called into slot 1.
	submit("#absent-" + id + "-1")
	rows := text("#picks-" + id)
	if !strings.Contains(text("#flash"), "the next backup is called") || !strings.Contains(rows, "absent") ||
		strings.Count(rows, "called") != 1 {
		t.Fatalf("after absent: %q", rows)
	}
	second := text("#picks-" + id + " tbody tr:nth-child(2) bdi")
	if second == "" || second == first {
		t.Fatalf("the backup called is %q (the absent winner was %q)", second, first)
	}
	// The public page names the new winner.
	laptop.do(chromedp.Click(`#draw-`+id+` a[href="/draws/`+id+`"]`), chromedp.WaitVisible("h1"))
	if got := text("main"); !strings.Contains(got, "@"+second) {
		t.Fatalf("the draw's page lacks @%s: %q", second, got)
	}

	laptop.do(chromedp.Navigate(page), chromedp.WaitVisible("#new-draw"))
	laptop.do(chromedp.Click(`.console-nav a[href="/admin/sources"]`), chromedp.WaitVisible("#gaps"))
	laptop.shot("console-sources-en")
	for _, path := range []string{"/admin/c/" + slug, "/admin/sources"} {
		laptop.do(chromedp.Navigate(en.URL+path+"?lang=ko"), chromedp.WaitVisible("h1"))
		laptop.shot("console-draws-" + strings.ReplaceAll(strings.Trim(path, "/"), "/", "-") + "-ko")
	}
}
