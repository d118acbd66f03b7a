package pages_test

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// axeCheck runs axe-core (WCAG 2.0, 2.1 and 2.2 at A and AA, and best practices) on the part of the page selector
// names and fails the test on every violation. `make test` fetches axe-core with npm and sets
// AXE_JS; a bare `go test` without it skips the check and says so.
func (d *device) axeCheck(selector string) {
	d.t.Helper()
	path := os.Getenv("AXE_JS")
	if path == "" {
		d.t.Log("AXE_JS unset: accessibility check skipped")
		return
	}
	src, err := os.ReadFile(path)
	if err != nil {
		d.t.Fatal(err)
	}
	// The page's CSP forbids inline scripts, so axe is evaluated through the debugger, not injected
	// as a <script>; once per document.
	if d.eval(`typeof axe`) == "undefined" {
		d.eval(string(src) + `;''`)
	}
	ctx, cancel := context.WithTimeout(d.ctx, 30*time.Second)
	defer cancel()
	out, err := chromedp.Run(ctx, chromedp.Evaluate[string](`axe.run(document.querySelector(`+jsString(selector)+`),
		{runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']}).then(r => JSON.stringify(r.violations.map(v => v.id + ': ' + v.nodes.map(n => n.html + ' (' + n.failureSummary.replace(/\s+/g, ' ') + ')').join(' | '))))`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		d.t.Fatal(err)
	}
	var violations []string
	json.Unmarshal([]byte(out), &violations)
	for _, v := range violations {
		d.t.Errorf("%s: axe: %s", d.name, v)
	}
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// The pages no other browser test photographs: the home page, the staff login, an error page,
// and a claim staff rejected (its spent ticket), in both languages.
func TestBrowserOtherPagesAreAccessible(t *testing.T) {
	root := browser(t)
	en := newEnv(t)
	tablet := en.device(root, "tablet", 1024, 768, false)
	for _, lang := range []string{"en", "ko"} {
		tablet.do(chromedp.Navigate(en.URL+"/staff?lang="+lang), chromedp.WaitVisible("#pin"))
		tablet.shot("tablet-login-" + lang)
	}
	phone := en.device(root, "phone", 390, 844, true)
	for _, lang := range []string{"en", "ko"} {
		phone.do(chromedp.Navigate(en.URL+"/?lang="+lang), chromedp.WaitVisible(".home-campaigns"))
		phone.shot("home-" + lang)
	}
	phone.do(chromedp.Navigate(en.URL+"/c/no-such-campaign?lang=en"), chromedp.WaitVisible("h1"))
	if got := phone.eval(`document.querySelector('h1').textContent`); got == "" {
		t.Fatal("the error page has no heading")
	}
	phone.shot("phone-not-found")
	token := en.claim(en.client(), "rejected_one")
	if _, err := en.Pool.Exec(context.Background(), `UPDATE claims SET status = 'rejected'`); err != nil {
		t.Fatal(err)
	}
	phone.do(chromedp.Navigate(en.URL+"/claims/"+token+"?lang=ko"), chromedp.WaitVisible("#code"))
	phone.until(`document.getElementById('status').dataset.status === 'rejected'`)
	phone.shot("phone-rejected-ko")
}

// The pages the other browser tests leave out: the printable report (with a give on it), the
// tablet in Korean, and the tablet's manual claim form opened.
func TestBrowserReportAndTabletFormsAreAccessible(t *testing.T) {
	root := browser(t)
	en := newEnv(t)
	token := en.claim(en.client(), "report_me")
	c, _ := en.GA.ClaimByToken(context.Background(), token)
	en.tweet("report_me", "For the report #PyConAPAC #Elastic "+c.Code)
	tablet := en.device(root, "tablet-a11y", 1024, 768, false)
	tablet.login(en.URL, "Janis")
	tablet.do(chromedp.Navigate(en.URL+"/staff?c="+slug+"&lang=ko"), chromedp.WaitVisible(".queue .check-account"))
	tablet.shot("tablet-queue-ko")
	tablet.do(chromedp.Click(".queue .check-account"), chromedp.Click(`.queue button.prize[value="tshirt"]`))
	tablet.until(`document.querySelector('.queue .claim') === null`)
	tablet.do(chromedp.Click("details.manual summary"), chromedp.WaitVisible(`details.manual input[name="handle"]`))
	tablet.shot("tablet-manual-ko")
	// The report is one language (report.WriteHTML), the day in the campaign's time zone.
	tablet.do(chromedp.Navigate(en.URL + "/c/" + slug + "/report"))
	if got := tablet.eval(`document.body.innerText`); !strings.Contains(got, "report_me") {
		t.Errorf("the report does not show the give: %.300s", got)
	}
	tablet.shot("report")
}
