package pages_test

import (
	"context"
	"encoding/base64"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/boothgiveaway/giveaway/internal/giveaway"
)

var (
	reissueForm = regexp.MustCompile(`action="/staff/claims/(\d+)/reissue"[^>]*>\s*<input type="hidden" name="_csrf" value="([^"]+)"><input type="hidden" name="c" value="[^"]*"><input type="hidden" name="q" value="[^"]*">\s*<input type="hidden" name="idempotency_key" value="([0-9a-f]{32})">`)
	reissuedQR  = regexp.MustCompile(`id="reissued-qr" src="data:image/png;base64,([^"]+)"`)
)

// The tablet re-issues a claim's link: its page shows a QR of the new link, which opens the
// claim; the old link answers 404; sending the same form again shows the same link.
func TestTheTabletReissuesAClaimsLinkAsAQR(t *testing.T) {
	en := newEnv(t)
	lost := en.client()
	old := en.claim(lost, "carol_v")

	tablet := en.client()
	en.login(tablet, "Janis")
	_, staffPage := en.get(tablet, "/staff?q=carol_v")
	m := reissueForm.FindStringSubmatch(staffPage)
	if m == nil {
		t.Fatalf("no re-issue form on the claim: %s", staffPage)
	}
	form := url.Values{"_csrf": {m[2]}, "c": {slug}, "q": {"carol_v"}, "idempotency_key": {m[3]}}
	res, page := en.post(tablet, "/staff/claims/"+m[1]+"/reissue", form)
	if res.StatusCode != http.StatusOK || res.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("re-issue: %d %q %s", res.StatusCode, res.Header.Get("Cache-Control"), page)
	}
	q := reissuedQR.FindStringSubmatch(page)
	if q == nil {
		t.Fatalf("no QR on the re-issued page: %s", page)
	}
	png, err := base64.StdEncoding.DecodeString(html.UnescapeString(q[1]))
	if err != nil {
		t.Fatal(err)
	}
	link := decodeQR(t, png)
	token, ok := strings.CutPrefix(link, en.URL+"/claims/")
	if !ok || token == old || !strings.Contains(page, link) || !strings.Contains(page, "@carol_v") {
		t.Fatalf("the QR holds %q", link)
	}
	// A double tap (the same form again) shows the same link, not a third one.
	if _, again := en.post(tablet, "/staff/claims/"+m[1]+"/reissue", form); !strings.Contains(again, link) {
		t.Fatal("the same form re-issued again")
	}
	// The attendee scans it: their phone now holds the claim; the lost link is dead.
	phone := en.client()
	if res, body := en.get(phone, "/claims/"+token); res.StatusCode != 200 || !strings.Contains(body, "@carol_v") {
		t.Fatalf("new link: %d", res.StatusCode)
	}
	if res, _ := en.get(phone, "/c/"+slug); res.Header.Get("Location") != "/claims/"+token {
		t.Errorf("the phone that scanned the link does not return to the claim: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	if res, _ := en.get(lost, "/claims/"+old); res.StatusCode != http.StatusNotFound {
		t.Errorf("old link: %d", res.StatusCode)
	}
	if res, _ := en.get(lost, "/c/"+slug); res.StatusCode != http.StatusOK {
		t.Errorf("the old phone is still sent to the claim: %d", res.StatusCode)
	}
	var n int
	en.Pool.QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE action = 'reissued' AND actor = 'Janis'`).Scan(&n)
	if n != 1 {
		t.Errorf("%d reissued events, want 1", n)
	}
}

// A member scoped to another campaign cannot re-issue this one's claims from the tablet.
func TestScopedStaffCannotReissueFromTheTablet(t *testing.T) {
	en := newEnv(t)
	token := en.claim(en.client(), "theirs")
	cl, _ := en.GA.ClaimByToken(t.Context(), token)
	now := time.Now()
	if _, err := en.GA.CreateCampaign(t.Context(), giveaway.CampaignInput{
		Slug: "jsconf", Name: "JSConf", RequiredHashtags: []string{"JSConf"},
		StartsAt: now.Add(-time.Hour), EndsAt: now.Add(24 * time.Hour), TimeZone: "Asia/Seoul",
		PerPersonLimit: 1, Prizes: []giveaway.PrizeInput{{Key: "tshirt", Name: "T-shirt", Stock: 3}},
	}); err != nil {
		t.Fatal(err)
	}
	var minho int64
	en.Pool.QueryRow(t.Context(), `SELECT id FROM staff WHERE name = 'Minho'`).Scan(&minho)
	if _, err := en.Auth.UpdateStaff(t.Context(), minho, authChange([]string{"jsconf"}), giveaway.Actor{Name: "admin"}); err != nil {
		t.Fatal(err)
	}
	tablet := en.client()
	_, page := en.get(tablet, "/staff")
	en.post(tablet, "/staff/login", url.Values{"_csrf": {csrfOf(t, page)}, "name": {"Minho"}, "pin": {"432109"}})
	_, page = en.get(tablet, "/staff?c=jsconf")
	res, body := en.post(tablet, "/staff/claims/"+itoa(cl.ID)+"/reissue", url.Values{"_csrf": {csrfOf(t, page)}, "c": {"jsconf"}})
	if res.StatusCode != http.StatusForbidden || strings.Contains(body, "reissued-qr") {
		t.Fatalf("re-issue of another campaign's claim: %d", res.StatusCode)
	}
	if c, err := en.GA.ClaimByToken(t.Context(), token); err != nil || c.ID != cl.ID {
		t.Fatal("a refused re-issue revoked the link")
	}
}
