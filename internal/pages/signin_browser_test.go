package pages_test

import (
	"testing"

	"github.com/chromedp/chromedp"
)

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
