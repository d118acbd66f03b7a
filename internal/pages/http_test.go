package pages_test

import (
	"bufio"
	"bytes"
	"context"
	"image"
	_ "image/png"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/boothgiveaway/giveaway/internal/auth"
	"github.com/boothgiveaway/giveaway/internal/giveaway"
	"github.com/boothgiveaway/giveaway/internal/httpapi"
	"github.com/boothgiveaway/giveaway/internal/ingest"
	"github.com/boothgiveaway/giveaway/internal/pages"
	"github.com/boothgiveaway/giveaway/internal/pgtest"
	"github.com/boothgiveaway/giveaway/internal/server"
)

func TestClaimForm(t *testing.T) {
	en := newEnv(t)
	c := en.client()
	res, html := en.get(c, "/c/"+slug)
	if res.StatusCode != 200 {
		t.Fatalf("claim page: %d", res.StatusCode)
	}
	csp := res.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP %q", csp)
	}
	for _, want := range []string{`name="network"`, `name="handle"`, `name="post_url"`, "#PyConAPAC #Elastic",
		"https://x.com/intent/post?text=%23PyConAPAC&#43;%23Elastic&#43;", `method="post"`} {
		if !strings.Contains(html, want) {
			t.Errorf("claim page lacks %s", want)
		}
	}
	if strings.Contains(html, "<script>") {
		t.Error("inline script on the claim page")
	}

	// A form without its CSRF token is refused.
	res, _ = en.post(c, "/c/"+slug, url.Values{"network": {"twitter"}, "handle": {"alice"}})
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("claim without _csrf: %d, want 403", res.StatusCode)
	}
	// A bad handle shows the form again with what to fix.
	res, html = en.post(c, "/c/"+slug, url.Values{"_csrf": {csrfOf(t, html)}, "handle": {"not a handle!"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(html, "1 to 15") {
		t.Errorf("bad handle: %d", res.StatusCode)
	}

	token := en.claim(c, "alice")
	res, html = en.get(c, "/claims/"+token)
	if res.StatusCode != 200 || !strings.Contains(html, `data-status="pending"`) || !strings.Contains(html, "@alice") {
		t.Fatalf("status page: %d", res.StatusCode)
	}
	if res.Header.Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("the token's page sends a Referer: %q", res.Header.Get("Referrer-Policy"))
	}
	// A token reveals its own claim only; a made-up one nothing.
	bob := en.claim(en.client(), "bob")
	if _, html = en.get(c, "/claims/"+bob); strings.Contains(html, "@alice") {
		t.Error("bob's page shows alice")
	}
	if res, _ = en.get(c, "/claims/not-a-token"); res.StatusCode != http.StatusNotFound {
		t.Errorf("unknown token: %d", res.StatusCode)
	}
	// Korean from Accept-Language, and the switch.
	req, _ := http.NewRequest(http.MethodGet, en.URL+"/c/"+slug, nil)
	req.Header.Set("Accept-Language", "ko-KR,ko;q=0.9,en;q=0.8")
	kres, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var kb bytes.Buffer
	kb.ReadFrom(kres.Body)
	kres.Body.Close()
	if !strings.Contains(kb.String(), `lang="ko"`) || !strings.Contains(kb.String(), "경품 신청하기") {
		t.Error("Accept-Language: ko gave no Korean page")
	}
	c = en.client() // a phone that has not claimed (one that has is sent to its claim)
	if _, html = en.get(c, "/c/"+slug+"?lang=ko"); !strings.Contains(html, "경품 신청하기") {
		t.Error("?lang=ko gave no Korean page")
	}
	if _, html = en.get(c, "/c/"+slug); !strings.Contains(html, "경품 신청하기") {
		t.Error("the language choice is not remembered")
	}
}

func decodeQR(t *testing.T, png []byte) string {
	t.Helper()
	img, _, err := image.Decode(bytes.NewReader(png))
	if err != nil {
		t.Fatal(err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	// Our QR codes are whole images of one code, so they are read as such (PURE_BARCODE):
	// gozxing's finder-pattern detector misjudges the module size of about 1 in 150 of them
	// (NotFoundException: dimension = 27), which made the browser tests flaky. The detector,
	// trying harder, is the fallback.
	r, err := qrcode.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]interface{}{gozxing.DecodeHintType_PURE_BARCODE: true})
	if err != nil {
		if r, err = qrcode.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]interface{}{gozxing.DecodeHintType_TRY_HARDER: true}); err != nil {
			t.Fatal(err)
		}
	}
	return r.GetText()
}

func TestQRCodesDecode(t *testing.T) {
	en := newEnv(t)
	c := en.client()
	token := en.claim(c, "alice")
	cl, err := en.GA.ClaimByToken(context.Background(), token)
	if err != nil {
		t.Fatal(err)
	}
	res, png := en.get(c, "/claims/"+token+"/qr.png")
	if res.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("qr content type %q", res.Header.Get("Content-Type"))
	}
	want := en.URL + "/staff?c=" + slug + "&code=" + cl.Code
	if got := decodeQR(t, []byte(png)); got != want || got != pages.StaffScanURL(en.URL, slug, cl.Code) {
		t.Errorf("claim QR holds %q, want %q", got, want)
	}
	_, png = en.get(c, "/c/"+slug+"/poster/qr.png")
	if got := decodeQR(t, []byte(png)); got != en.URL+"/c/"+slug {
		t.Errorf("poster QR holds %q", got)
	}
	_, html := en.get(c, "/c/"+slug+"/poster")
	for _, want := range []string{"#PyConAPAC", "QR 코드를 스캔하세요", "Scan the QR code", "/poster/qr.png"} {
		if !strings.Contains(html, want) {
			t.Errorf("poster lacks %q", want)
		}
	}
}

func TestStaffSessionAndCSRF(t *testing.T) {
	en := newEnv(t)
	token := en.claim(en.client(), "alice")
	en.tweet("alice", "Hello from the booth #PyConAPAC #Elastic")
	cl, _ := en.GA.ClaimByToken(context.Background(), token)
	if cl.Status != "verified" {
		t.Fatalf("claim %s after the tweet", cl.Status)
	}

	c := en.client()
	// The login form itself needs its token.
	if res, _ := en.post(c, "/staff/login", url.Values{"name": {"Janis"}, "pin": {"4321"}}); res.StatusCode != http.StatusForbidden {
		t.Errorf("login without _csrf: %d", res.StatusCode)
	}
	en.login(c, "Janis")
	_, html := en.get(c, "/staff?q="+cl.Code)
	if !strings.Contains(html, "Hello from the booth") || !strings.Contains(html, `value="tshirt"`) {
		t.Fatal("the tablet does not find the claim by code")
	}
	give := "/staff/claims/" + itoa(cl.ID) + "/give"
	if res, _ := en.post(c, give, url.Values{"prize": {"tshirt"}, "c": {slug}}); res.StatusCode != http.StatusForbidden {
		t.Errorf("give without _csrf: %d, want 403", res.StatusCode)
	}
	if res, _ := en.post(c, give, url.Values{"prize": {"tshirt"}, "c": {slug}, "_csrf": {"forged"}}); res.StatusCode != http.StatusForbidden {
		t.Errorf("give with a forged _csrf: %d, want 403", res.StatusCode)
	}
	// Proven by handle: the form says staff checked the account on the attendee's phone.
	res, _ := en.post(c, give, url.Values{"prize": {"tshirt"}, "c": {slug}, "_csrf": {csrfOf(t, html)}, "account_checked": {"1"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("give: %d", res.StatusCode)
	}
	if _, html = en.get(c, "/staff?c="+slug); !strings.Contains(html, "Given: tshirt to @alice") {
		t.Error("no flash after the give")
	}
	// A second give says who gave it and when.
	en.post(c, give, url.Values{"prize": {"stickers"}, "c": {slug}, "_csrf": {csrfOf(t, html)}, "account_checked": {"1"}})
	if _, html = en.get(c, "/staff?c="+slug); !strings.Contains(html, "Already given at") || !strings.Contains(html, "by Janis") {
		t.Error("a second give does not say it was already given")
	}

	// The session expires: the tablet shows the login again and forms do nothing.
	if _, err := en.Pool.Exec(context.Background(), "UPDATE staff_sessions SET expires_at = now() - interval '1 second'"); err != nil {
		t.Fatal(err)
	}
	if _, html = en.get(c, "/staff"); !strings.Contains(html, `action="/staff/login"`) {
		t.Error("an expired session still sees the tablet")
	}
	res, _ = en.post(c, "/staff/claims/"+itoa(cl.ID)+"/undo", url.Values{"c": {slug}, "_csrf": {csrfOf(t, html)}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/staff" {
		t.Errorf("undo on an expired session: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	if cl, _ = en.GA.ClaimByToken(context.Background(), token); cl.Status != "given" {
		t.Errorf("an expired session undid the give: %s", cl.Status)
	}
	if res, _ = en.get(c, "/staff/events?c="+slug); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("staff events without a session: %d", res.StatusCode)
	}
}

// sse reads one text/event-stream.
type sse struct {
	res *http.Response
	sc  *bufio.Scanner
}

func (en *env) stream(path, lastID string) *sse {
	en.t.Helper()
	return en.streamWith(http.DefaultClient, path, lastID)
}

func (en *env) streamWith(c *http.Client, path, lastID string) *sse {
	en.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, en.URL+path, nil)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	ctx, cancel := context.WithCancel(context.Background())
	en.t.Cleanup(cancel)
	res, err := c.Do(req.WithContext(ctx))
	if err != nil {
		en.t.Fatal(err)
	}
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/event-stream" {
		en.t.Fatalf("%s: %d %s", path, res.StatusCode, res.Header.Get("Content-Type"))
	}
	en.t.Cleanup(func() { res.Body.Close() })
	return &sse{res: res, sc: bufio.NewScanner(res.Body)}
}

type event struct{ ID, Name, Data string }

// next returns the next event called name, skipping others, within 5 s.
func (s *sse) next(t *testing.T, name string) event {
	t.Helper()
	got := make(chan event, 1)
	go func() {
		var ev event
		for s.sc.Scan() {
			line := s.sc.Text()
			switch {
			case line == "":
				if ev.Name == name {
					got <- ev
					return
				}
				ev = event{}
			case strings.HasPrefix(line, "id: "):
				ev.ID = line[4:]
			case strings.HasPrefix(line, "event: "):
				ev.Name = line[7:]
			case strings.HasPrefix(line, "data: "):
				ev.Data += line[6:]
			}
		}
		close(got)
	}()
	select {
	case ev, ok := <-got:
		if !ok {
			t.Fatalf("stream ended before a %q event", name)
		}
		return ev
	case <-time.After(5 * time.Second):
		t.Fatalf("no %q event within 5s", name)
	}
	return event{}
}

func TestClaimEventsFollowTheClaim(t *testing.T) {
	en := newEnv(t)
	token := en.claim(en.client(), "alice")
	s := en.stream("/claims/"+token+"/events", "")
	if ev := s.next(t, "status"); !strings.Contains(ev.Data, `"pending"`) {
		t.Fatalf("first status %s", ev.Data)
	}
	en.tweet("alice", "I am here #PyConAPAC #Elastic")
	if ev := s.next(t, "status"); !strings.Contains(ev.Data, `"verified"`) {
		t.Fatalf("after the tweet: %s", ev.Data)
	}
	// A phone that slept reconnects and is told the status at once.
	again := en.stream("/claims/"+token+"/events", "pending")
	if ev := again.next(t, "status"); !strings.Contains(ev.Data, `"verified"`) {
		t.Fatalf("catch-up after reconnect: %s", ev.Data)
	}
}

func TestWallStreamAndModeration(t *testing.T) {
	en := newEnv(t)
	c := en.client()
	res, html := en.get(c, "/c/"+slug+"/wall")
	if res.StatusCode != 200 || strings.Contains(html, "hello wall") {
		t.Fatalf("wall before the post: %d, shows it: %v", res.StatusCode, strings.Contains(html, "hello wall"))
	}
	s := en.stream("/c/"+slug+"/wall/events", "")
	id := en.tweet("yuna", `<img src=x onerror=alert(1)> hello wall #PyConAPAC #Elastic`)
	ev := s.next(t, "post")
	if !strings.Contains(ev.Data, id) || !strings.Contains(ev.Data, "yuna") {
		t.Fatalf("post event %s", ev.Data)
	}
	// Offensive posts and posts of nothing but tags stay off an automatic wall.
	en.tweet("troll", "this is shit #PyConAPAC #Elastic")
	en.tweet("tagger", "#PyConAPAC #Elastic @elastic")
	good := en.tweet("minji", "좋은 발표였어요 #PyConAPAC #Elastic")
	if ev = s.next(t, "post"); !strings.Contains(ev.Data, good) {
		t.Fatalf("the filter let through %s", ev.Data)
	}
	_, html = en.get(c, "/c/"+slug+"/wall")
	if strings.Contains(html, "<img src=x") || !strings.Contains(html, "&lt;img src=x onerror=alert(1)&gt;") {
		t.Error("post text is not escaped on the wall")
	}
	if strings.Contains(html, "this is shit") {
		t.Error("the wall shows a blocklisted post")
	}

	// Staff hide a post: every wall is told, and it is gone from the page.
	staff := en.client()
	en.login(staff, "Janis")
	_, tablet := en.get(staff, "/staff?c="+slug)
	res, _ = en.post(staff, "/staff/wall/hide", url.Values{"_csrf": {csrfOf(t, tablet)}, "c": {slug},
		"network": {"twitter"}, "id": {id}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("hide: %d", res.StatusCode)
	}
	if ev = s.next(t, "hide"); !strings.Contains(ev.Data, id) {
		t.Fatalf("hide event %s", ev.Data)
	}
	if _, html = en.get(c, "/c/"+slug+"/wall"); strings.Contains(html, "hello wall") {
		t.Error("a hidden post is still on the wall")
	}
	// Block an author: their posts go and new ones never come.
	en.post(staff, "/staff/block", url.Values{"_csrf": {csrfOf(t, tablet)}, "c": {slug}, "network": {"twitter"}, "handle": {"@Minji"}})
	if ev = s.next(t, "block"); !strings.Contains(ev.Data, `"minji"`) {
		t.Fatalf("block event %s", ev.Data)
	}
	en.tweet("minji", "another one #PyConAPAC #Elastic")
	// Kill switch: the walls blank at once, and a fresh load shows nothing.
	en.post(staff, "/staff/wall", url.Values{"_csrf": {csrfOf(t, tablet)}, "c": {slug}, "mode": {"auto"}, "killed": {"on"}})
	if ev = s.next(t, "settings"); !strings.Contains(ev.Data, `"killed":true`) {
		t.Fatalf("settings event %s", ev.Data)
	}
	if _, html = en.get(c, "/c/"+slug+"/wall"); !strings.Contains(html, `class="wall killed"`) || strings.Contains(html, "좋은 발표") {
		t.Error("the killed wall still shows posts")
	}

	// Manual mode: nothing shows until staff approve it.
	en.post(staff, "/staff/wall", url.Values{"_csrf": {csrfOf(t, tablet)}, "c": {slug}, "mode": {"manual"}})
	s.next(t, "settings")
	// The post is stored when tweet returns, and the wall page reads the database: no wait.
	waiting := en.tweet("hana", "manual wall please #PyConAPAC #Elastic")
	if _, html = en.get(c, "/c/"+slug+"/wall"); strings.Contains(html, "manual wall please") {
		t.Error("a manual wall shows an unapproved post")
	}
	if _, tablet = en.get(staff, "/staff?c="+slug); !strings.Contains(tablet, "manual wall please") {
		t.Error("the moderation queue lacks the waiting post")
	}
	en.post(staff, "/staff/wall/approve", url.Values{"_csrf": {csrfOf(t, tablet)}, "c": {slug}, "network": {"twitter"}, "id": {waiting}})
	if ev = s.next(t, "post"); !strings.Contains(ev.Data, waiting) {
		t.Fatalf("approved post event %s", ev.Data)
	}

	// A wall that reconnects with an id this instance knows gets what it missed.
	again := en.stream("/c/"+slug+"/wall/events", ev.ID)
	en.tweet("hana", "second #PyConAPAC #Elastic")
	if ev2 := again.next(t, "posts"); ev2.Data != `{"delta":1}` {
		t.Errorf("posts counter event %s", ev2.Data)
	}
	// One it cannot place must reload its state.
	if ev3 := en.stream("/c/"+slug+"/wall/events", "other-instance-7").next(t, "reset"); ev3.ID == "" {
		t.Error("reset carries no id")
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestClaimPageWeight keeps the claim page light for a cheap phone on venue Wi-Fi: the HTML and
// everything it loads, uncompressed, under 100 KB.
func TestClaimPageWeight(t *testing.T) {
	en := newEnv(t)
	c := en.client()
	_, html := en.get(c, "/c/"+slug)
	total := len(html)
	for _, m := range regexp.MustCompile(`(?:href|src)="(/static/[^"]+)"`).FindAllStringSubmatch(html, -1) {
		res, body := en.get(c, strings.ReplaceAll(m[1], "&amp;", "&"))
		if res.StatusCode != 200 || !strings.Contains(res.Header.Get("Cache-Control"), "immutable") {
			t.Errorf("%s: %d %q", m[1], res.StatusCode, res.Header.Get("Cache-Control"))
		}
		total += len(body)
	}
	if total > 100_000 {
		t.Errorf("the claim page weighs %d bytes, want at most 100 KB", total)
	}
	t.Logf("claim page: %d bytes", total)
}

func TestStaffLiveQueueManualAndApprove(t *testing.T) {
	en := newEnv(t)
	staff := en.client()
	en.login(staff, "Janis")
	// The tablet's stream says when the campaign changes; its live part shows the new claim.
	s := en.streamWith(staff, "/staff/events?c="+slug, "")
	s.next(t, "hello")
	en.claim(en.client(), "dana")
	en.tweet("dana", "Verified by the stream #PyConAPAC #Elastic")
	if ev := s.next(t, "claim"); !strings.Contains(ev.Data, `"claim_id"`) {
		t.Errorf("staff event %s", ev.Data)
	}
	_, live := en.get(staff, "/staff/live?c="+slug)
	if !strings.Contains(live, "@dana") || !strings.Contains(live, "Verified by the stream") || strings.Contains(live, "<html") {
		t.Errorf("live fragment lacks the verified claim")
	}

	// A claim on another network waits for staff to look at the post.
	c := en.client()
	_, html := en.get(c, "/c/"+slug)
	res, _ := en.post(c, "/c/"+slug, url.Values{"_csrf": {csrfOf(t, html)}, "network": {"instagram"}, "handle": {"insta.eun"},
		"post_url": {"https://www.instagram.com/p/Cabc123/"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("instagram claim: %d", res.StatusCode)
	}
	_, tablet := en.get(staff, "/staff?c="+slug)
	if !strings.Contains(tablet, "https://www.instagram.com/p/Cabc123/") {
		t.Fatal("the pending post link is not on the tablet")
	}
	list, err := en.GA.ListClaims(context.Background(), slug, giveaway.ListFilter{Query: "insta.eun"})
	if err != nil || len(list) != 1 {
		t.Fatalf("list: %v %d", err, len(list))
	}
	en.post(staff, "/staff/claims/"+itoa(list[0].ID)+"/approve", url.Values{"_csrf": {csrfOf(t, tablet)}, "c": {slug}})
	if list, _ = en.GA.ListClaims(context.Background(), slug, giveaway.ListFilter{Query: "insta.eun"}); list[0].Status != "verified" {
		t.Errorf("approved claim is %s", list[0].Status)
	}

	// A manual claim and its give in one form.
	res, _ = en.post(staff, "/staff/manual", url.Values{"_csrf": {csrfOf(t, tablet)}, "c": {slug}, "network": {"mastodon"},
		"handle": {"@kim@fosstodon.org"}, "note": {"showed the post on their phone"}, "prize": {"stickers"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("manual: %d", res.StatusCode)
	}
	if _, tablet = en.get(staff, "/staff?c="+slug); !strings.Contains(tablet, "Given: stickers to @kim@fosstodon.org") {
		t.Error("no flash for the manual give")
	}
	list, _ = en.GA.ListClaims(context.Background(), slug, giveaway.ListFilter{Query: "kim@fosstodon.org"})
	if len(list) != 1 || list[0].Status != "given" || !list[0].Manual {
		t.Errorf("manual claim %+v", list)
	}
	// Undo within the window.
	en.post(staff, "/staff/claims/"+itoa(list[0].ID)+"/undo", url.Values{"_csrf": {csrfOf(t, tablet)}, "c": {slug}})
	if list, _ = en.GA.ListClaims(context.Background(), slug, giveaway.ListFilter{Query: "kim@fosstodon.org"}); list[0].Status != "verified" {
		t.Errorf("after undo the claim is %s", list[0].Status)
	}
}

// TestDevWebDir reads templates from disk, so a change shows on the next reload.
func TestDevWebDir(t *testing.T) {
	pool := pgtest.New(t)
	e, _, err := server.Mount(httpapi.Config{}, httpapi.Deps{Pool: pool, Giveaway: giveaway.New(pool),
		Auth: auth.New(pool, "", time.Hour), Ingest: ingest.New(pool, nil), Registry: prometheus.NewRegistry()},
		pages.Deps{WebDir: "../../web"})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/static/site.css", nil))
	if rec.Code != 200 || rec.Header().Get("Cache-Control") != "no-cache" {
		t.Errorf("dev static: %d %q", rec.Code, rec.Header().Get("Cache-Control"))
	}
	rec = httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/staff", nil))
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `action="/staff/login"`) {
		t.Errorf("dev page: %d", rec.Code)
	}
}
