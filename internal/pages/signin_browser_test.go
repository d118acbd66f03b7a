package pages_test

import (
	"context"
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// axeCheck runs axe-core on the page when AXE_JS names its axe.min.js (npm pack axe-core), and
// fails on any violation inside selector; without it the check is skipped.
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
	// The page's CSP forbids inline scripts, so axe is evaluated through the debugger, not injected.
	d.eval(string(src) + `;''`)
	ctx, cancel := context.WithTimeout(d.ctx, 30*time.Second)
	defer cancel()
	out, err := chromedp.Run(ctx, chromedp.Evaluate[string](`axe.run(document.querySelector(`+jsString(selector)+`),
		{runOnly: ['wcag2a', 'wcag2aa', 'best-practice']}).then(r => JSON.stringify(r.violations.map(v => v.id + ': ' + v.nodes.map(n => n.html).join(' | '))))`,
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

// An attendee on a phone taps "Sign in with X", says yes at X (the double), and lands back on
// the claim's page, which now says the claim is theirs; their post then verifies it as 'oauth'.
func TestBrowserSignInWithX(t *testing.T) {
	root := browser(t)
	en, _ := signInEnv(t, true, nil)
	phone := en.device(root, "phone", 390, 844, true)
	phone.do(chromedp.Navigate(en.URL+"/c/"+slug+"?lang=en"), chromedp.WaitVisible("#handle"),
		chromedp.SendKeys("#handle", "carol_v"), chromedp.Click(".claim-form button[type=submit]"),
		chromedp.WaitVisible(".signin"))
	phone.until(`document.getElementById('status').dataset.status === 'pending'`)
	phone.axeCheck(".signin")
	phone.shot("phone-signin")
	phone.do(chromedp.Click(`.signin form[action$="/signin/x"] button`), chromedp.WaitVisible(".signed-in"))
	phone.shot("phone-signed-in")
	if n := phone.eval(`String(document.querySelectorAll('.signin').length)`); n != "0" {
		t.Error("the page still offers the sign-in")
	}
	phone.axeCheck(".signed-in")
	en.tweet("carol_v", "At the booth #PyConAPAC #Elastic")
	phone.until(`document.getElementById('status').dataset.status === 'verified'`)
	token := phone.eval(`location.pathname.split('/').pop()`)
	if r := en.claimRow(token); deref(r.VerifiedBy) != "oauth" {
		t.Fatalf("claim after sign-in and post: %+v", r)
	}
}
