package pages_test

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// A claim belongs to the phone that made it: another phone typing the handle is sent to the
// booth; the first phone reloading the claim page is back on its claim; staff re-issue the link
// as a QR, and its link opens the claim on the attendee's new phone.
func TestBrowserAClaimBelongsToItsPhone(t *testing.T) {
	root := browser(t)
	en := newEnv(t)
	carol := en.device(root, "carol", 390, 844, true)
	carol.do(chromedp.Navigate(en.URL+"/c/"+slug+"?lang=en"), chromedp.WaitVisible("#handle"),
		chromedp.SendKeys("#handle", "carol_v"), chromedp.Click(".claim-form button[type=submit]"),
		chromedp.WaitVisible("#code"))
	code := carol.eval(`document.getElementById('code').textContent`)
	claimPath := carol.eval(`location.pathname`)
	en.tweet("carol_v", "Hello #PyConAPAC #Elastic")
	carol.until(`document.getElementById('status').dataset.status === 'verified'`)

	stranger := en.device(root, "stranger", 390, 844, true)
	stranger.do(chromedp.Navigate(en.URL+"/c/"+slug+"?lang=en"), chromedp.WaitVisible("#handle"),
		chromedp.SendKeys("#handle", "carol_v"), chromedp.Click(".claim-form button[type=submit]"),
		chromedp.WaitVisible(".claim-form .notice.err"))
	msg := stranger.eval(`document.querySelector('.claim-form .notice.err').textContent`)
	if !strings.Contains(msg, "already claimed") || !strings.Contains(msg, "booth") {
		t.Fatalf("the stranger sees %q", msg)
	}
	if body := stranger.eval(`document.body.innerText`); strings.Contains(body, code) ||
		stranger.eval(`location.pathname`) != "/c/"+slug || stranger.eval(`String(!!document.getElementById('code'))`) != "false" {
		t.Fatal("the stranger's phone shows carol's claim")
	}
	stranger.shot("stranger-already-claimed")

	// Carol's phone opens the claim page again (a reload, the booth QR): her claim.
	carol.do(chromedp.Navigate(en.URL+"/c/"+slug), chromedp.WaitVisible("#code"))
	if carol.eval(`location.pathname`) != claimPath || carol.eval(`document.getElementById('code').textContent`) != code {
		t.Fatalf("carol's phone is at %s", carol.eval(`location.href`))
	}

	// Carol lost her phone: staff re-issue the link, and her new phone scans it.
	tablet := en.device(root, "tablet", 1024, 768, false)
	tablet.login(en.URL, "Janis")
	tablet.do(chromedp.SendKeys("#q", "carol_v"), chromedp.Submit("#q"), chromedp.WaitVisible(".results .claim"),
		chromedp.Click(`.results .reissue-form button`), chromedp.WaitVisible("#reissued-qr"))
	tablet.until(`document.getElementById('reissued-qr').complete && document.getElementById('reissued-qr').naturalWidth > 0`)
	tablet.shot("tablet-reissued")
	src := tablet.eval(`document.getElementById('reissued-qr').src`)
	png, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(src, "data:image/png;base64,"))
	if err != nil {
		t.Fatal(err)
	}
	link := decodeQR(t, png)
	if link != tablet.eval(`document.getElementById('reissued-link').textContent`) || !strings.HasPrefix(link, en.URL+"/claims/") {
		t.Fatalf("the QR holds %q", link)
	}
	newPhone := en.device(root, "new-phone", 390, 844, true)
	newPhone.do(chromedp.Navigate(link+"?lang=en"), chromedp.WaitVisible("#code"))
	if newPhone.eval(`document.getElementById('code').textContent`) != code {
		t.Fatal("the re-issued link opens another claim")
	}
	newPhone.until(`document.getElementById('status').dataset.status === 'verified'`)
	newPhone.do(chromedp.Navigate(en.URL+"/c/"+slug), chromedp.WaitVisible("#code"))
	// The lost link is dead: the old phone gets the claim form back.
	carol.do(chromedp.Navigate(en.URL+"/c/"+slug+"?lang=en"), chromedp.WaitVisible("#handle"))
}
