package rehearsal

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os/exec"
	"regexp"
	"strings"
	"time"
)

// The organiser works the day in the console (/admin) as a browser does: a session cookie, the
// page's forms posted form-encoded with their hidden fields (CSRF token, idempotency key, _back),
// a 303 back to the console page and the outcome as its flash.

const (
	organiserName = "organiser"
	organiserPIN  = "735911"
	leadName      = "lead" // the staff member whose PIN the organiser changes mid-day
	leadNewPIN    = "608142"
	boothLine     = "198.51.100.20" // the booth's own connection, for its tablets
)

// browser is the organiser's laptop: cookies kept, redirects not followed, so the 303 is seen.
type browser struct {
	c    *http.Client
	base func() string // the instance the browser reaches now
}

func newBrowser(base func() string) *browser {
	jar, _ := cookiejar.New(nil) // one jar for both instances: cookies ignore the port
	return &browser{base: base, c: &http.Client{Jar: jar, Timeout: 15 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) get(path string) (int, string, error) {
	resp, err := b.c.Get(b.base() + path)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), err
}

// post sends a form and answers the status and where it sends the browser.
func (b *browser) post(path string, form url.Values) (int, string, error) {
	resp, err := b.c.PostForm(b.base()+path, form)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), nil
}

var (
	formTag     = regexp.MustCompile(`(?s)<form method="post" action="([^"]+)"[^>]*>(.*?)</form>`)
	hiddenInput = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)
	okFlash     = regexp.MustCompile(`class="notice ok" role="status" id="flash"><p>([^<]*)<`)
)

// form finds the page's form posting to action (the first whose text holds marker) and returns
// its hidden fields, as the browser would send them.
func form(page, action, marker string) (url.Values, bool) {
	for _, m := range formTag.FindAllStringSubmatch(page, -1) {
		if html.UnescapeString(m[1]) != action || !strings.Contains(m[2], marker) {
			continue
		}
		v := url.Values{}
		for _, h := range hiddenInput.FindAllStringSubmatch(m[2], -1) {
			v.Set(html.UnescapeString(h[1]), html.UnescapeString(h[2]))
		}
		return v, true
	}
	return nil, false
}

// setUpConsole creates the organiser as README's checklist says (`giveaway admin create` on the
// service's machine), the staff member whose PIN will change, and logs the organiser's browser
// in through the console's login form before the doors open.
func (d *day) setUpConsole(ctx context.Context) error {
	create := exec.CommandContext(ctx, d.cfg.Bin, "admin", "create", "--name", organiserName, "--pin", "-")
	create.Env = d.inst(0).env // DATABASE_URL among them
	create.Stdin = strings.NewReader(organiserPIN + "\n")
	create.SysProcAttr = childAttr()
	if out, err := create.CombinedOutput(); err != nil {
		return fmt.Errorf("giveaway admin create: %v %s", err, out)
	}
	b := fmt.Sprintf(`{"name":%q,"pin":%q,"role":"staff"}`, leadName, staffPIN)
	a := d.c.do("POST", d.inst(0).base()+"/api/v1/staff", []byte(b), "Authorization", "Bearer "+adminToken)
	var lead struct{ ID int64 }
	if json.Unmarshal(a.Body, &lead); a.Status != 201 || lead.ID == 0 {
		return fmt.Errorf("create staff %s: %d %s", leadName, a.Status, a.Body)
	}
	d.leadID = lead.ID
	d.organiser = newBrowser(d.inst(0).base)
	status, page, err := d.organiser.get("/admin")
	login, ok := form(page, "/staff/login", `name="next"`)
	if err != nil || status != 200 || !ok {
		return fmt.Errorf("the console's login page: %d %v", status, err)
	}
	login.Set("name", organiserName)
	login.Set("pin", organiserPIN)
	if status, to, err := d.organiser.post("/staff/login", login); err != nil || status != 303 || to != "/admin" {
		return fmt.Errorf("the organiser's console login: %d to %q %v", status, to, err)
	}
	return nil
}

// consoleForm loads a console page and posts one of its forms with fields filled in, as the
// organiser does: on a dropped answer or a 5xx (an instance restarting) the browser resubmits the
// same form, hidden fields and all, to the other instance. It checks the 303 back to the page
// and the flash the page then shows, and answers that flash.
func (d *day) consoleForm(what, page, action, marker string, fields url.Values) (string, bool) {
	var last string
	for try := 0; try < 20; try++ {
		if try > 0 {
			time.Sleep(d.minute() / 10)
		}
		b := *d.organiser
		b.base = d.inst(try).base
		status, body, err := b.get(page)
		if err != nil || status >= 500 {
			last = fmt.Sprintf("GET %s: %d %v", page, status, err)
			continue
		}
		v, ok := form(body, action, marker)
		if !ok {
			return fmt.Sprintf("%s: no form posting to %s on %s (HTTP %d)", what, action, page, status), false
		}
		for k := range fields {
			v.Set(k, fields.Get(k))
		}
		// The same form, resubmitted while the answer is lost, carries the same idempotency key.
		for ; try < 20; try++ {
			b.base = d.inst(try).base
			status, to, err := b.post(action, v)
			if err != nil || status >= 500 {
				last = fmt.Sprintf("POST %s: %d %v", action, status, err)
				time.Sleep(d.minute() / 10)
				continue
			}
			if status != 303 || to != page {
				return fmt.Sprintf("%s: POST %s answered %d to %q, want 303 to %s", what, action, status, to, page), false
			}
			_, back, err := b.get(to)
			flash := okFlash.FindStringSubmatch(back)
			if err != nil || flash == nil {
				return fmt.Sprintf("%s: %s shows no success flash after the 303", what, to), false
			}
			return html.UnescapeString(flash[1]), true
		}
	}
	return fmt.Sprintf("%s: never answered (%s)", what, last), false
}

// restock is the mid-day restock from the console's campaign page.
func (d *day) restock(n int, reason string) {
	page := "/admin/c/" + slug
	flash, ok := d.consoleForm("the console's restock", page, "/api/v1/campaigns/"+slug+"/prizes/tshirt", `name="add"`,
		url.Values{"add": {fmt.Sprint(n)}, "reason": {reason}})
	d.expect(fmt.Sprintf("the organiser's restock through the console: %s", flash), ok)
	if ok {
		d.mu.Lock()
		d.restocked += n
		d.mu.Unlock()
	}
}

// changePIN is the organiser resetting a staff member's PIN from the console's staff page; the
// old PIN stops working and the new one logs in.
func (d *day) changePIN() {
	flash, ok := d.consoleForm("the console's PIN change", "/admin/staff", fmt.Sprintf("/api/v1/staff/%d", d.leadID), `name="pin"`,
		url.Values{"pin": {leadNewPIN}})
	d.expect(fmt.Sprintf("the organiser's PIN change through the console: %s", flash), ok)
	if !ok {
		return
	}
	// The lead's tablet is on the booth's own line: the attackers' wrong-PIN burst from the
	// rehearsal's address has used that address's tries for devices never logged in.
	login := func(pin string) int {
		for try := 0; try < 20; try++ {
			a := d.c.do("POST", d.inst(try).base()+"/api/v1/auth/login", fmt.Appendf(nil, `{"name":%q,"pin":%q}`, leadName, pin),
				"X-Forwarded-For", boothLine)
			if a.Status != 0 && a.Status < 500 {
				return a.Status
			}
			time.Sleep(d.minute() / 10)
		}
		return 0
	}
	old, fresh := login(staffPIN), login(leadNewPIN)
	d.expect(fmt.Sprintf("after the PIN change the old PIN is refused (%d, want 401) and the new one logs in (%d, want 200)", old, fresh),
		old == 401 && fresh == 200)
}
