package pages_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/boothgiveaway/giveaway/internal/app"
	"github.com/boothgiveaway/giveaway/internal/auth"
	"github.com/boothgiveaway/giveaway/internal/giveaway"
)

// The console's pages without JavaScript: who gets in, and its forms posting to the JSON API.

func (en *env) admin(name string) *http.Client {
	en.t.Helper()
	if _, err := en.Auth.CreateStaff(context.Background(), name, "432109", "admin"); err != nil {
		en.t.Fatal(err)
	}
	c := en.client()
	_, html := en.get(c, "/admin")
	res, _ := en.post(c, "/staff/login", url.Values{"_csrf": {csrfOf(en.t, html)}, "name": {name}, "pin": {"432109"},
		"next": {"/admin"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/admin" {
		en.t.Fatalf("console login: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	return c
}

func TestConsoleIsForAdminsOnly(t *testing.T) {
	en := newEnv(t)
	// Not logged in: the console's login form, which comes back to the page asked for.
	anon := en.client()
	res, html := en.get(anon, "/admin/c/"+slug+"?action=given")
	if res.StatusCode != 200 || !strings.Contains(html, `action="/staff/login"`) ||
		!strings.Contains(html, `name="next" value="/admin/c/`+slug+`?action=given"`) {
		t.Fatalf("console without a session: %d %s", res.StatusCode, html)
	}
	// A wrong PIN comes back to the console's login with the reason.
	res, _ = en.post(anon, "/staff/login", url.Values{"_csrf": {csrfOf(t, html)}, "name": {"Janis"}, "pin": {"000000"},
		"next": {"/admin/staff"}})
	if loc := res.Header.Get("Location"); loc != "/admin/staff" {
		t.Fatalf("failed login went to %q", loc)
	}
	if _, html = en.get(anon, "/admin/staff"); !strings.Contains(html, `role="alert"`) {
		t.Fatalf("the failed login says nothing: %s", html)
	}
	// A member without the admin role: 403, and nothing of the console.
	staff := en.client()
	en.login(staff, "Janis")
	for _, path := range []string{"/admin", "/admin/c/" + slug, "/admin/staff"} {
		res, html := en.get(staff, path)
		if res.StatusCode != http.StatusForbidden || strings.Contains(html, "create-campaign") || strings.Contains(html, "Minho") {
			t.Fatalf("%s for staff: %d", path, res.StatusCode)
		}
	}
	// An admin scoped to another campaign does not see this one.
	other := giveaway.CampaignInput{Slug: "other", Name: "Other", RequiredHashtags: []string{"Other"},
		StartsAt: time.Now().Add(-time.Hour), EndsAt: time.Now().Add(time.Hour),
		Prizes: []giveaway.PrizeInput{{Key: "pin", Name: "Pin", Stock: 1}}}
	if _, err := en.GA.CreateCampaign(context.Background(), other); err != nil {
		t.Fatal(err)
	}
	if _, err := en.Auth.AddStaff(context.Background(), auth.NewStaff{Name: "Bo", PIN: "432109", Role: "admin",
		Campaigns: []string{"other"}}, giveaway.Actor{Name: "test"}); err != nil {
		t.Fatal(err)
	}
	scoped := en.client()
	en.login(scoped, "Bo")
	if res, _ := en.get(scoped, "/admin/c/"+slug); res.StatusCode != http.StatusForbidden {
		t.Fatalf("a scoped admin opened another campaign: %d", res.StatusCode)
	}
	if res, _ := en.get(scoped, "/admin/c/other"); res.StatusCode != http.StatusOK {
		t.Fatalf("a scoped admin and their own campaign: %d", res.StatusCode)
	}
	// An admin sees it all.
	admin := en.admin("Ada")
	if res, html := en.get(admin, "/admin"); res.StatusCode != 200 || !strings.Contains(html, `href="/admin/c/`+slug+`"`) {
		t.Fatalf("console for an admin: %d %s", res.StatusCode, html)
	}
}

func TestConsoleFormsWithoutJavaScript(t *testing.T) {
	en := newEnv(t)
	admin := en.admin("Ada")
	page := "/admin/c/" + slug
	_, html := en.get(admin, page)
	token := csrfOf(t, html)

	// Bad input: back on the page with the error, escaped.
	res, _ := en.post(admin, "/api/v1/campaigns/"+slug, url.Values{"_csrf": {token}, "_method": {"PATCH"},
		"_back": {page}, "name": {strings.Repeat("<b>x</b>", 40)}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != page {
		t.Fatalf("bad name: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	if _, html = en.get(admin, page); !strings.Contains(html, `id="flash"`) || !strings.Contains(html, "name is 1 to 200 characters") {
		t.Fatalf("the refusal is not shown: %s", html)
	}
	// A campaign name is shown escaped.
	en.post(admin, "/api/v1/campaigns/"+slug, url.Values{"_csrf": {token}, "_method": {"PATCH"}, "_back": {page},
		"name": {`<script>alert(1)</script>`}})
	if _, html = en.get(admin, page); strings.Contains(html, "<script>alert") || !strings.Contains(html, "&lt;script&gt;alert(1)") {
		t.Fatalf("the name is not escaped: %s", html)
	}
	// Without the CSRF token: refused, nothing changes, and the page says the form expired.
	en.post(admin, "/api/v1/campaigns/"+slug+"/prizes/tshirt", url.Values{"_method": {"PATCH"}, "_back": {page},
		"add": {"100"}, "reason": {"forged"}})
	if _, html = en.get(admin, page); !strings.Contains(html, "This form has expired") {
		t.Fatalf("a forged form: %s", html)
	}
	c, _ := en.GA.Campaign(context.Background(), slug)
	if c.Prizes[0].Stock != 30 {
		t.Fatalf("a form without the token changed the stock: %d", c.Prizes[0].Stock)
	}
	// Restock with a reason: the page shows the new stock and the audit log the reason.
	en.post(admin, "/api/v1/campaigns/"+slug+"/prizes/tshirt", url.Values{"_csrf": {token}, "_method": {"PATCH"},
		"_back": {page}, "add": {"20"}, "reason": {"a box arrived"}, "idempotency_key": {"k1"}})
	if _, html = en.get(admin, page); !strings.Contains(html, "Prize saved.") || !strings.Contains(html, "a box arrived") ||
		!strings.Contains(html, "<td>50</td>") {
		t.Fatalf("restock: %s", html)
	}
	// The audit log filtered by action.
	if _, html = en.get(admin, page+"?action=campaign_changed"); strings.Contains(html, "a box arrived") {
		t.Fatal("the filter let a stock change through")
	}
	// In Korean, a dry run's verdict is worded in Korean.
	en.post(admin, "/api/v1/campaigns/"+slug+"/dry-run", url.Values{"_csrf": {token}, "_back": {page},
		"text": {"RT @x: #PyConAPAC"}, "handle": {"jisu"}})
	if _, html = en.get(admin, page+"?lang=ko"); !strings.Contains(html, "#Elastic 해시태그가 없습니다") ||
		!strings.Contains(html, "단순 리트윗") {
		t.Fatalf("dry run in Korean: %s", html)
	}
}

func TestConsoleStaffFormsWithoutJavaScript(t *testing.T) {
	en := newEnv(t)
	admin := en.admin("Ada")
	janis := en.client()
	en.login(janis, "Janis")
	_, html := en.get(admin, "/admin/staff")
	token := csrfOf(t, html)
	members, _ := en.Auth.ListStaff(context.Background())
	var id string
	for _, m := range members {
		if m.Name == "Janis" {
			id = strconv.FormatInt(m.ID, 10)
		}
	}
	form := func(path string, v url.Values) string {
		v.Set("_csrf", token)
		v.Set("_back", "/admin/staff")
		res, _ := en.post(admin, path, v)
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/admin/staff" {
			t.Fatalf("%s: %d %q", path, res.StatusCode, res.Header.Get("Location"))
		}
		_, html := en.get(admin, "/admin/staff")
		return html
	}
	// A PIN too short is refused with the reason; a good one ends her sessions.
	if html := form("/api/v1/staff/"+id, url.Values{"_method": {"PATCH"}, "pin": {"123"}}); !strings.Contains(html, "A PIN is 6 to 12 digits.") {
		t.Fatalf("short PIN: %s", html)
	}
	if html := form("/api/v1/staff/"+id, url.Values{"_method": {"PATCH"}, "pin": {"739201"}}); !strings.Contains(html, "Staff member saved.") {
		t.Fatalf("PIN reset: %s", html)
	}
	if _, html := en.get(janis, "/staff"); !strings.Contains(html, `action="/staff/login"`) {
		t.Fatal("the old session outlived the PIN reset")
	}
	// Role and scope, then deactivation.
	form("/api/v1/staff/"+id, url.Values{"_method": {"PATCH"}, "role": {"admin"}, "campaigns": {slug}})
	form("/api/v1/staff/"+id, url.Values{"_method": {"PATCH"}, "active": {"false"}})
	m, _ := en.Auth.ListStaff(context.Background())
	for _, s := range m {
		if s.Name == "Janis" && (s.Role != "admin" || s.Active || len(s.Campaigns) != 1 || s.Campaigns[0] != slug) {
			t.Fatalf("Janis after the forms: %+v", s)
		}
	}
	// Ending sessions answers the console too.
	if html := form("/api/v1/staff/"+id+"/sessions/end", url.Values{}); !strings.Contains(html, "Their sessions are ended.") {
		t.Fatalf("end sessions: %s", html)
	}
}

func TestConsoleLinksTheCampaignsKibanaDashboard(t *testing.T) {
	en := newEnvWith(t, func(c *app.Config) { c.KibanaURL = "http://kibana.example:5601/" })
	admin := en.admin("Ada")
	_, html := en.get(admin, "/admin/c/"+slug)
	want := `href="http://kibana.example:5601/app/dashboards#/view/giveaway-dashboard?_a=` +
		url.QueryEscape(`(query:(language:kuery,query:'campaign:"`+slug+`"'))`) + `"`
	for _, link := range []string{`href="/c/` + slug + `/poster"`, `href="/c/` + slug + `/wall"`, `href="/c/` + slug + `/report"`} {
		if !strings.Contains(html, link) {
			t.Errorf("no link %s", link)
		}
	}
	if !strings.Contains(strings.ReplaceAll(html, "&#43;", "+"), want) {
		t.Fatalf("no Kibana link %s in %s", want, html)
	}
	// Without KIBANA_URL, no link.
	en2 := newEnv(t)
	if _, html := en2.get(en2.admin("Ada"), "/admin/c/"+slug); strings.Contains(html, "dashboards#") {
		t.Fatal("a Kibana link without KIBANA_URL")
	}
}

// A retired prize is no longer offered on the tablet or listed on the claim page (the server refuses it with prize_retired;
// the tablet should not show a button that can only fail), and comes back when un-retired.
func TestTabletOffersNoRetiredPrize(t *testing.T) {
	en := newEnv(t)
	token := en.claim(en.client(), "alice")
	en.tweet("alice", "Hello from the booth #PyConAPAC #Elastic")
	cl, _ := en.GA.ClaimByToken(context.Background(), token)
	c := en.client()
	en.login(c, "Janis")
	if _, html := en.get(c, "/staff?q="+cl.Code); !strings.Contains(html, `value="tshirt"`) {
		t.Fatal("the tablet does not offer the T-shirt before it is retired")
	}
	retire := func(on bool) {
		if _, err := en.GA.UpdatePrize(context.Background(), slug, "tshirt", giveaway.PrizeChange{Retired: &on},
			giveaway.Actor{Name: "admin", Role: "admin"}); err != nil {
			t.Fatal(err)
		}
	}
	retire(true)
	_, html := en.get(c, "/staff?q="+cl.Code)
	if strings.Contains(html, `value="tshirt"`) {
		t.Error("the tablet still offers a retired prize")
	}
	if !strings.Contains(html, `value="stickers"`) {
		t.Error("the tablet lost the prize that is still given")
	}
	if _, page := en.get(en.client(), "/c/"+slug); strings.Contains(page, "T-shirt") || !strings.Contains(page, "Sticker pack") {
		t.Error("the claim page should list the prizes still given, and only those")
	}
	retire(false)
	if _, html = en.get(c, "/staff?q="+cl.Code); !strings.Contains(html, `value="tshirt"`) {
		t.Error("an un-retired prize is not offered again")
	}
}
