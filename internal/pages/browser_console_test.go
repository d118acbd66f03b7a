package pages_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserOrganiserRunsACampaignFromTheConsole plays the organiser (issue 12): from the home
// page, log in as admin, create a campaign with two prizes through the form, add a staff member,
// restock a prize with a reason, dry-run a post that lacks a hashtag and see why, close the
// campaign and see its claim page say it is closed. Every console page passes axe-core.
func TestBrowserOrganiserRunsACampaignFromTheConsole(t *testing.T) {
	root := browser(t)
	en := newEnv(t)
	if _, err := en.Auth.CreateStaff(context.Background(), "Ada", "432109", "admin"); err != nil {
		t.Fatal(err)
	}
	laptop := en.device(root, "laptop", 1280, 900, false)
	text := func(sel string) string {
		return laptop.eval(`(document.querySelector(` + jsString(sel) + `) || {textContent: ''}).textContent`)
	}
	// submit posts a form by its button and waits for the page it comes back to, which shows the
	// outcome (the flash of the page it left is removed first, so it cannot be mistaken for it).
	submit := func(button string) {
		laptop.eval(`document.getElementById('flash')?.remove(); ''`)
		laptop.do(chromedp.Click(button), chromedp.WaitVisible("#flash"))
	}

	laptop.do(chromedp.Navigate(en.URL+"/?lang=en"), chromedp.WaitVisible(`a[href="/admin"]`),
		chromedp.Click(`a[href="/admin"]`), chromedp.WaitVisible("#pin"))
	laptop.shot("console-login-en")
	laptop.do(chromedp.SendKeys("#name", "Ada"), chromedp.SendKeys("#pin", "432109"), chromedp.Submit("#pin"),
		chromedp.WaitVisible("#create-campaign"))
	laptop.shot("console-campaigns-en")

	// A campaign open from now (the form's default window) with two prizes.
	laptop.do(
		chromedp.SetValue("#c-slug", "jsconf2026"), chromedp.SetValue("#c-name", "JSConf Korea"),
		chromedp.SetValue("#c-tags", "JSConfKorea #Elastic"),
		chromedp.SetValue("#p-key-1", "tshirt"), chromedp.SetValue("#p-name-1", "T-shirt"), chromedp.SetValue("#p-stock-1", "30"),
		chromedp.SetValue("#p-key-2", "mug"), chromedp.SetValue("#p-name-2", "Elastic mug"), chromedp.SetValue("#p-stock-2", "10"),
		chromedp.Click(`#create-campaign button[type=submit]`), chromedp.WaitVisible("#campaign-state"))
	if got := text("#flash"); !strings.Contains(got, "Campaign created.") {
		t.Fatalf("after creating: flash %q", got)
	}
	if got := text("#campaign-state"); !strings.Contains(got, "Open") {
		t.Fatalf("the new campaign is not open: %q", got)
	}
	if !strings.Contains(text("#prize-tshirt"), "30") || !strings.Contains(text("#prize-mug"), "Elastic mug") {
		t.Fatalf("prizes: %q / %q", text("#prize-tshirt"), text("#prize-mug"))
	}

	// A staff member for the booth, scoped to this campaign.
	laptop.do(chromedp.Click(`.console-nav a[href="/admin/staff"]`), chromedp.WaitVisible("#add-staff"),
		chromedp.SetValue("#s-name", "Sora"), chromedp.SetValue("#s-pin", "573920"),
		chromedp.SetValue("#s-scope", "jsconf2026"))
	submit(`#add-staff button[type=submit]`)
	if got := text("#staff-list"); !strings.Contains(got, "Sora") || !strings.Contains(got, "jsconf2026") {
		t.Fatalf("staff list: %q", got)
	}
	laptop.shot("console-staff-en")

	// A box of T-shirts arrives.
	laptop.do(chromedp.Navigate(en.URL+"/admin/c/jsconf2026"), chromedp.WaitVisible("#edit-tshirt summary"),
		chromedp.Click("#edit-tshirt summary"), chromedp.WaitVisible("#add-tshirt"),
		chromedp.SetValue("#add-tshirt", "20"), chromedp.SetValue("#reason-tshirt", "a box arrived"))
	submit(`#restock-tshirt button[type=submit]`)
	if row := text("#prize-tshirt"); !strings.Contains(row, "50") {
		t.Fatalf("after restocking: %q", row)
	}
	if got := text("#audit"); !strings.Contains(got, "stock_adjusted") || !strings.Contains(got, "a box arrived") {
		t.Fatalf("audit log: %q", got)
	}

	// A post that lacks a hashtag: the console says which.
	laptop.do(chromedp.SetValue("#dry-handle", "jisu"), chromedp.SetValue("#dry-text", "Great booth! #JSConfKorea"))
	submit(`#dry-run button[type=submit]`)
	if got := text("#flash"); !strings.Contains(got, "would not count") || !strings.Contains(got, "#Elastic") {
		t.Fatalf("dry run: %q", got)
	}
	laptop.shot("console-campaign-en")

	// The counts follow the booth: an attendee claims and posts, and the page shows the claim
	// waiting for a prize without a reload.
	laptop.until(`document.getElementById('counts').dataset.live === 'on'`)
	res, err := http.Post(en.URL+"/api/v1/campaigns/jsconf2026/claims", "application/json",
		strings.NewReader(`{"network":"twitter","handle":"jisu"}`))
	if err != nil || res.StatusCode != http.StatusCreated {
		t.Fatalf("claim: %v %v", res, err)
	}
	res.Body.Close()
	en.tweet("jisu", "Loving the booth #JSConfKorea #Elastic")
	laptop.until(`document.querySelector('#counts div:nth-child(3) dd').textContent === '1'`)
	if got := text("#counts"); !strings.Contains(got, "Claims1") && !strings.Contains(strings.Join(strings.Fields(got), ""), "Claims1") {
		t.Fatalf("counts after a verified claim: %q", got)
	}

	// Close early; the claim page says so.
	submit("#close-campaign")
	laptop.do(chromedp.WaitVisible("#reopen-ends"))
	if got := text("#campaign-state"); !strings.Contains(got, "Closed") {
		t.Fatalf("after closing: %q", got)
	}
	laptop.do(chromedp.Navigate(en.URL+"/c/jsconf2026?lang=en"), chromedp.WaitVisible("h1"))
	if got := text("main"); !strings.Contains(got, "This giveaway has ended") {
		t.Fatalf("claim page of a closed campaign: %q", got)
	}

	// Every console page in Korean too.
	for _, path := range []string{"/admin", "/admin/c/jsconf2026", "/admin/staff"} {
		laptop.do(chromedp.Navigate(en.URL+path+"?lang=ko"), chromedp.WaitVisible("h1"))
		laptop.shot("console-" + strings.ReplaceAll(strings.Trim(path, "/"), "/", "-") + "-ko")
	}
}
