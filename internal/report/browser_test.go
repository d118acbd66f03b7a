package report_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/boothgiveaway/giveaway/internal/devdb"
	"github.com/boothgiveaway/giveaway/internal/report"
)

// TestPageInChromium renders the report page in headless Chromium, checks that the charts are
// laid out and drawn, and saves a screenshot and the A4 print under screenshots/ (git-ignored).
func TestPageInChromium(t *testing.T) {
	browser := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			browser = p
			break
		}
	}
	if browser == "" {
		t.Skip("no chromium binary found (apt-get install chromium); skipping the browser test")
	}
	r := build(t, seeded(t), "2016-08-14", "2016-08-14")
	var page bytes.Buffer
	if err := report.WriteHTML(&page, r); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		// The policy the lead's handler should send too: nothing may run or load.
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(page.Bytes())
	}))
	defer srv.Close()

	alloc, cancel := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(browser),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1000, 1400),
	)
	defer cancel()
	ctx, cancel := chromedp.NewContext(alloc)
	defer cancel()
	// The first Run starts the browser and must not carry a timeout (it would stop the browser).
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	tctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(tctx, chromedp.Navigate(srv.URL), chromedp.WaitVisible(chromedp.CSS("svg.chart"))); err != nil {
		t.Fatalf("load page: %v", err)
	}
	type chart struct {
		Label         string
		Width, Height float64
		Paths, Texts  int
		Fills         []string
	}
	charts, err := chromedp.Run(tctx, chromedp.Evaluate[[]chart](`[...document.querySelectorAll('svg.chart')].map(s => {
		const r = s.getBoundingClientRect();
		return {Label: s.getAttribute('aria-label'), Width: r.width, Height: r.height,
			Paths: s.querySelectorAll('path').length, Texts: s.querySelectorAll('text').length,
			Fills: [...new Set([...s.querySelectorAll('path')].map(p => getComputedStyle(p).fill))]};
	})`))
	if err != nil {
		t.Fatal(err)
	}
	if len(charts) != 3 {
		t.Fatalf("%d charts in the browser, want 3", len(charts))
	}
	for _, c := range charts {
		// Laid out across the page (A4 content is ~700 CSS px wide) with axes, labels and marks.
		if c.Width < 200 || c.Height < 120 || c.Paths < 10 || c.Texts < 5 {
			t.Errorf("chart %q looks empty: %+v", c.Label, c)
		}
	}
	want := map[string]bool{"rgb(230, 159, 0)": false, "rgb(86, 180, 233)": false, "rgb(0, 158, 115)": false}
	for _, f := range charts[0].Fills {
		if _, ok := want[f]; ok {
			want[f] = true
		}
	}
	for f, seen := range want {
		if !seen {
			t.Errorf("prizes-by-hour chart draws no bar in %s (fills %v)", f, charts[0].Fills)
		}
	}

	dir := screenshotDir(t)
	shot, err := chromedp.Run(tctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "report.png"), shot, 0o644); err != nil {
		t.Fatal(err)
	}
	pdf, err := chromedp.Run(tctx, chromedp.PrintToPDF(chromedp.PDFPreferCSSPageSize(), chromedp.PDFPrintBackground()))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "report.pdf"), pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	// A day's report prints on a few A4 pages (595×842 pt), not a long strip.
	pages := regexp.MustCompile(`/Type\s*/Page[^s]`).FindAll(pdf, -1)
	a4 := regexp.MustCompile(`/MediaBox\s*\[\s*0 0 59[45]\.\d* 84[12]\.\d*\s*\]`).FindAll(pdf, -1)
	if len(pages) < 1 || len(pages) > 4 || len(a4) != len(pages) {
		t.Errorf("print: %d pages, %d of them A4", len(pages), len(a4))
	}
	t.Logf("screenshot %s, print %s (%d pages)", filepath.Join(dir, "report.png"), filepath.Join(dir, "report.pdf"), len(pages))
}

func screenshotDir(t *testing.T) string {
	root, err := devdb.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}
