package pages_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/boothgiveaway/giveaway/internal/auth"
	"github.com/boothgiveaway/giveaway/internal/giveaway"
)

// loginForm posts the tablet's login form and answers the page it lands on.
func (en *env) loginForm(c *http.Client, name, pin string) string {
	en.t.Helper()
	_, html := en.get(c, "/staff")
	res, _ := en.post(c, "/staff/login", url.Values{"_csrf": {csrfOf(en.t, html)}, "name": {name}, "pin": {pin}})
	if res.StatusCode != http.StatusSeeOther {
		en.t.Fatalf("login form: %d", res.StatusCode)
	}
	_, html = en.get(c, "/staff")
	return html
}

// Five wrong PINs used to lock a name on every tablet for up to 15 minutes: anyone at the venue
// could keep the booth out. The form login now sets the device cookie and honours it.
func TestTabletFormLoginKeepsItsDeviceThroughAStrangersBurst(t *testing.T) {
	t.Parallel()
	en := newEnv(t)
	tablet := en.client()
	en.login(tablet, "Janis")
	base, _ := url.Parse(en.URL)
	var device *http.Cookie
	for _, ck := range tablet.Jar.Cookies(base) {
		if ck.Name == "giveaway_device" {
			device = ck
		}
	}
	if device == nil {
		t.Fatal("the form login set no device cookie")
	}

	stranger := en.client()
	for i := 0; i < 6; i++ {
		en.loginForm(stranger, "Janis", "000000")
	}
	if html := en.loginForm(stranger, "Janis", "432109"); !strings.Contains(html, "Too many wrong PINs") {
		t.Fatalf("stranger with the right PIN during the lock got no lock message: %s", html)
	}
	// The tablet's session ends; with only its device cookie it logs in again.
	again := en.client()
	again.Jar.SetCookies(base, []*http.Cookie{{Name: "giveaway_device", Value: device.Value, Path: "/"}})
	en.login(again, "Janis")
}

func TestScopedStaffTabletStaysInItsCampaigns(t *testing.T) {
	t.Parallel()
	en := newEnv(t)
	now := time.Now()
	if _, err := en.GA.CreateCampaign(context.Background(), giveaway.CampaignInput{
		Slug: "jsconf", Name: "JSConf", RequiredHashtags: []string{"JSConf"},
		StartsAt: now.Add(-time.Hour), EndsAt: now.Add(24 * time.Hour), TimeZone: "Asia/Seoul",
		PerPersonLimit: 1, Prizes: []giveaway.PrizeInput{{Key: "tshirt", Name: "T-shirt", Stock: 3}},
	}); err != nil {
		t.Fatal(err)
	}
	var minho int64
	en.Pool.QueryRow(context.Background(), `SELECT id FROM staff WHERE name = 'Minho'`).Scan(&minho)
	jsconf := []string{"jsconf"}
	if _, err := en.Auth.UpdateStaff(context.Background(), minho, authChange(jsconf), giveaway.Actor{Name: "admin"}); err != nil {
		t.Fatal(err)
	}
	attendee := en.client()
	en.claim(attendee, "theirs")
	var claimID string
	en.Pool.QueryRow(context.Background(), `SELECT c.id::text FROM claims c JOIN campaigns p ON p.id = c.campaign_id
		WHERE p.slug = $1 AND c.handle = 'theirs'`, slug).Scan(&claimID)

	tablet := en.client()
	_, html := en.get(tablet, "/staff")
	en.post(tablet, "/staff/login", url.Values{"_csrf": {csrfOf(t, html)}, "name": {"Minho"}, "pin": {"432109"}})
	// Opened without c on a campaign it last showed, the tablet moves to the member's campaign.
	base, _ := url.Parse(en.URL)
	tablet.Jar.SetCookies(base, []*http.Cookie{{Name: "giveaway_staff_campaign", Value: slug, Path: "/"}})
	res, _ := en.get(tablet, "/staff")
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/staff?c=jsconf" {
		t.Fatalf("tablet of a jsconf member: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	res, html = en.get(tablet, "/staff?c="+slug)
	if res.StatusCode != http.StatusForbidden || !strings.Contains(html, "You work in other campaigns") {
		t.Fatalf("another campaign's tablet: %d %s", res.StatusCode, html)
	}
	_, html = en.get(tablet, "/staff?c=jsconf")
	res, html = en.post(tablet, "/staff/claims/"+claimID+"/give", url.Values{"_csrf": {csrfOf(t, html)}, "prize": {"tshirt"}, "c": {"jsconf"}})
	if res.StatusCode != http.StatusForbidden {
		t.Fatalf("give on another campaign's claim: %d %s", res.StatusCode, html)
	}
}

func authChange(campaigns []string) auth.StaffChange { return auth.StaffChange{Campaigns: &campaigns} }
