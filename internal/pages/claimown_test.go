package pages_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// The claim form typed with someone else's handle on another phone shows "already claimed, go to
// the booth" and nothing of the claim; the phone that made it returns to its claim.
func TestTheClaimFormNeverHandsAClaimToAnotherPhone(t *testing.T) {
	en := newEnv(t)
	carolPhone := en.client()
	token := en.claim(carolPhone, "carol_v")
	en.tweet("carol_v", "#PyConAPAC #Elastic at the booth")
	cl, _ := en.GA.ClaimByToken(t.Context(), token)
	if cl == nil || cl.Status != "verified" {
		t.Fatalf("carol's claim: %+v", cl)
	}

	stranger := en.client()
	_, html := en.get(stranger, "/c/"+slug+"?lang=en")
	res, body := en.post(stranger, "/c/"+slug, url.Values{"_csrf": {csrfOf(t, html)}, "network": {"twitter"},
		"handle": {"Carol_V"}})
	if res.StatusCode != http.StatusConflict || !strings.Contains(body, "already claimed here") {
		t.Fatalf("stranger: %d %s", res.StatusCode, body)
	}
	if strings.Contains(body, token) || strings.Contains(body, cl.Code) || res.Header.Get("Location") != "" {
		t.Fatal("the stranger's page shows carol's claim")
	}
	for _, ck := range stranger.Jar.Cookies(mustURL(t, en.URL+"/c/"+slug)) {
		if ck.Name == "giveaway_claim" {
			t.Fatal("the stranger got a claim cookie")
		}
	}

	// Carol's phone: the claim page (a reload, the booth QR again) goes back to her claim, and so
	// does claiming again.
	res, _ = en.get(carolPhone, "/c/"+slug)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/claims/"+token {
		t.Fatalf("carol's phone on the claim page: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	var ck *http.Cookie
	for _, c := range carolPhone.Jar.Cookies(mustURL(t, en.URL+"/c/"+slug)) {
		if c.Name == "giveaway_claim" {
			ck = c
		}
	}
	if ck == nil || ck.Value != token {
		t.Fatalf("carol's phone holds no claim cookie: %+v", ck)
	}
	_, login := en.get(carolPhone, "/staff") // any form of hers, for its CSRF token
	res, _ = en.post(carolPhone, "/c/"+slug, url.Values{"_csrf": {csrfOf(t, login)}, "handle": {"carol_v"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/claims/"+token {
		t.Fatalf("carol claiming again: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
}

// The claim cookie is HttpOnly, SameSite=Lax and scoped to the campaign's claim page.
func TestTheClaimCookieIsScopedAndHidden(t *testing.T) {
	en := newEnv(t)
	c := en.client()
	_, html := en.get(c, "/c/"+slug)
	res, _ := en.post(c, "/c/"+slug, url.Values{"_csrf": {csrfOf(t, html)}, "handle": {"dana"}})
	var raw string
	for _, v := range res.Header.Values("Set-Cookie") {
		if strings.HasPrefix(v, "giveaway_claim=") {
			raw = v
		}
	}
	for _, want := range []string{"Path=/c/" + slug, "HttpOnly", "SameSite=Lax", "Max-Age="} {
		if !strings.Contains(raw, want) {
			t.Errorf("claim cookie %q lacks %s", raw, want)
		}
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// The claim form of one phone (its claim cookie) stops at 3 pending other-network claims, with the
// reason; another phone behind the same venue address still claims.
func TestTheClaimFormBoundsPendingOtherNetworkClaimsPerPhone(t *testing.T) {
	en := newEnv(t)
	claim := func(c *http.Client, csrf, handle string) (*http.Response, string) {
		t.Helper()
		return en.post(c, "/c/"+slug+"?lang=en", url.Values{"_csrf": {csrf}, "network": {"instagram"},
			"handle": {handle}, "post_url": {"https://www.instagram.com/p/" + handle + "/"}})
	}
	form := func(c *http.Client) string {
		_, html := en.get(c, "/c/"+slug+"?lang=en")
		return csrfOf(t, html)
	}
	// Once it holds a claim the page shows that claim, so the flooding phone posts the form again.
	phone := en.client()
	csrf := form(phone)
	for i := range 4 {
		res, body := claim(phone, csrf, "insta"+itoa(int64(i)))
		switch {
		case i < 3 && res.StatusCode != http.StatusSeeOther:
			t.Fatalf("claim %d: %d %s", i, res.StatusCode, body)
		case i == 3 && (res.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "waiting for staff")):
			t.Fatalf("4th claim from the phone: %d %s", res.StatusCode, body)
		}
	}
	other := en.client()
	if res, body := claim(other, form(other), "neighbour"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("another phone at the same address: %d %s", res.StatusCode, body)
	}
}
