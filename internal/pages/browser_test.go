package pages_test

import (
	"context"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/boothgiveaway/giveaway/internal/devdb"
)

// browser starts one headless Chromium for the test; each tab gets a browser context of its own
// (its own cookies and storage), like separate devices.
func browser(t *testing.T) context.Context {
	t.Helper()
	path := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		t.Skip("no chromium binary found (apt-get install chromium); skipping the browser test")
	}
	alloc, cancel := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		// A camera for the QR scan test: Chromium's built-in test pattern, no permission prompt.
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
	)
	t.Cleanup(cancel)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(cancel)
	// The first Run starts the browser and must not carry a timeout (it would stop the browser).
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

type device struct {
	t    *testing.T
	ctx  context.Context
	name string
}

func (en *env) device(root context.Context, name string, w, h int64, mobile bool) *device {
	en.t.Helper()
	ctx, cancel := chromedp.NewContext(root, chromedp.WithNewBrowserContext())
	en.t.Cleanup(cancel)
	opts := []chromedp.EmulateViewportOption{}
	if mobile {
		opts = append(opts, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait)
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(w, h, opts...)); err != nil {
		en.t.Fatal(err)
	}
	return &device{t: en.t, ctx: ctx, name: name}
}

// do runs actions with a time limit.
func (d *device) do(actions ...chromedp.Action[chromedp.Void]) {
	d.t.Helper()
	ctx, cancel := context.WithTimeout(d.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		d.t.Fatalf("%s: %v", d.name, err)
	}
}

// until waits for a JavaScript condition.
func (d *device) until(js string) {
	d.t.Helper()
	ctx, cancel := context.WithTimeout(d.ctx, 15*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](js, chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
		d.t.Fatalf("%s: waiting for %s: %v", d.name, js, err)
	}
}

func (d *device) eval(js string) string {
	d.t.Helper()
	ctx, cancel := context.WithTimeout(d.ctx, 10*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
	if err != nil {
		d.t.Fatalf("%s: %s: %v", d.name, js, err)
	}
	return s
}

// shot saves a full-page screenshot under screenshots/ (git-ignored) and checks the page's
// accessibility with axe-core.
func (d *device) shot(name string) {
	d.t.Helper()
	root, err := devdb.RepoRoot()
	if err != nil {
		d.t.Fatal(err)
	}
	dir := filepath.Join(root, "screenshots")
	os.MkdirAll(dir, 0o755)
	ctx, cancel := context.WithTimeout(d.ctx, 20*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		d.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "pages-"+name+".png"), png, 0o644); err != nil {
		d.t.Fatal(err)
	}
	// Every state worth a screenshot is one an attendee or staff member sees: check it too.
	d.axeCheck("html")
}

func (d *device) login(base, name string) {
	d.do(chromedp.Navigate(base+"/staff?lang=en"), chromedp.WaitVisible("#name"),
		chromedp.SendKeys("#name", name), chromedp.SendKeys("#pin", "432109"),
		chromedp.Submit("#pin"), chromedp.WaitVisible("#q"))
}

func TestBrowserClaimVerifyGive(t *testing.T) {
	root := browser(t)
	en := newEnv(t)
	phone := en.device(root, "phone", 390, 844, true)
	phone.do(chromedp.Navigate(en.URL+"/c/"+slug+"?lang=ko"), chromedp.WaitVisible("#handle"))
	phone.shot("phone-claim-ko")
	phone.do(chromedp.Navigate(en.URL+"/c/"+slug+"?lang=en"), chromedp.WaitVisible("#handle"))
	phone.until(`!document.querySelector('[data-copy]').hidden`)
	phone.shot("phone-claim")
	phone.do(chromedp.SendKeys("#handle", "alice_codes"), chromedp.Click(".claim-form button[type=submit]"),
		chromedp.WaitVisible("#code"))
	phone.until(`document.getElementById('status').dataset.status === 'pending'`)
	phone.until(`document.querySelector('.qr').complete && document.querySelector('.qr').naturalWidth > 0`)
	phone.until(`!document.getElementById('live').hidden`) // the event stream is open
	phone.shot("phone-pending")
	code := phone.eval(`document.getElementById('code').textContent`)
	phone.eval(`window.noReload = 'yes'`)

	// The status page's "Post on X" link pre-fills the hashtags and the claim's code; the post
	// made from it proves the poster holds the claim (verified by code).
	href := phone.eval(`document.getElementById('post-on-x').href`)
	intent, err := url.Parse(href)
	if err != nil || intent.Host != "x.com" {
		t.Fatalf("Post on X link %q", href)
	}
	text := intent.Query().Get("text")
	if text != "#PyConAPAC #Elastic "+code {
		t.Fatalf("Post on X pre-fills %q, want the hashtags and the code %s", text, code)
	}
	en.tweet("alice_codes", "Met the Elastic folks! "+text)
	phone.until(`document.getElementById('status').dataset.status === 'verified'`)
	if phone.eval(`window.noReload`) != "yes" {
		t.Error("the page reloaded to show verified")
	}
	phone.until(`getComputedStyle(document.querySelector('.post-step')).display === 'none'`)
	phone.shot("phone-verified")
	if by := en.verifiedBy(code); by != "code" {
		t.Fatalf("claim verified by %q, want code", by)
	}

	tablet := en.device(root, "tablet", 1024, 768, false)
	tablet.login(en.URL, "Janis")
	tablet.shot("tablet-queue")
	tablet.do(chromedp.SendKeys("#q", code), chromedp.Submit("#q"), chromedp.WaitVisible(".results .claim"))
	// Proven by code: the tablet says so, and still asks to see the claim's page on the phone
	// (the code is public in the post); the prize buttons wait for that tap.
	tablet.until(`document.querySelector('.results .proof-code') !== null && document.querySelector('.results .check-account') !== null`)
	if got := tablet.eval(`document.querySelector('.results .check-account').textContent`); !strings.HasSuffix(got, code) {
		t.Fatalf("the check says %q, want it to name the code %s", got, code)
	}
	tablet.until(`document.querySelector('.results button.prize').classList.contains('locked')`)
	tablet.shot("tablet-found")
	tablet.do(chromedp.Click(`.results .check-account`))
	tablet.until(`!document.querySelector('.results button.prize').classList.contains('locked')`)
	tablet.do(chromedp.Click(`.results form.js-give button[value="tshirt"]`))
	tablet.until(`document.getElementById('toast').textContent.includes('Given: T-shirt to @alice_codes')`)
	tablet.shot("tablet-given")
	phone.until(`document.getElementById('status').dataset.status === 'given'`)
	phone.shot("phone-given")

	// Two tablets give the same claim at once: exactly one gives, the other is told who did.
	token := en.claim(en.client(), "bob_dev")
	bob, _ := en.GA.ClaimByToken(context.Background(), token)
	en.tweet("bob_dev", "Sticker time #PyConAPAC #Elastic "+bob.Code)
	other := en.device(root, "tablet2", 1024, 768, false)
	other.login(en.URL, "Minho")
	button := `.results form.js-give button[value="stickers"]`
	for _, d := range []*device{tablet, other} {
		d.do(chromedp.Navigate(en.URL+"/staff?c="+slug+"&q="+bob.Code), chromedp.WaitVisible(button),
			chromedp.Click(".results .check-account")) // both saw Bob's claim page on his phone
	}
	var wg sync.WaitGroup
	for _, d := range []*device{tablet, other} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(d.ctx, 10*time.Second)
			defer cancel()
			chromedp.Do(ctx, chromedp.Click(button))
		}()
	}
	wg.Wait()
	var toasts []string
	for _, d := range []*device{tablet, other} {
		d.until(`document.getElementById('toast').textContent !== '' && !document.getElementById('toast').hidden`)
		toasts = append(toasts, d.eval(`document.getElementById('toast').textContent`))
	}
	given, already := 0, 0
	for _, s := range toasts {
		if strings.HasPrefix(s, "Given:") {
			given++
		}
		if strings.HasPrefix(s, "Already given at ") && (strings.HasSuffix(s, "by Janis") || strings.HasSuffix(s, "by Minho")) {
			already++
		}
	}
	if given != 1 || already != 1 {
		t.Errorf("two tablets said %q, want one give and one already given", toasts)
	}
	var n int
	en.Pool.QueryRow(context.Background(), "SELECT count(*) FROM giveaways WHERE claim_id = $1 AND undone_at IS NULL", bob.ID).Scan(&n)
	if n != 1 {
		t.Errorf("%d gives of one claim", n)
	}
	for i, d := range []*device{tablet, other} {
		if strings.HasPrefix(toasts[i], "Already") {
			d.shot("tablet-already-given")
		}
	}
}

func TestBrowserOfflineQueue(t *testing.T) {
	root := browser(t)
	en := newEnv(t)
	token := en.claim(en.client(), "carol")
	carol, _ := en.GA.ClaimByToken(context.Background(), token)
	en.tweet("carol", "Queue test #PyConAPAC #Elastic "+carol.Code)

	tablet := en.device(root, "tablet", 1024, 768, false)
	tablet.login(en.URL, "Janis")
	tablet.do(chromedp.Navigate(en.URL+"/staff?c="+slug+"&q="+carol.Code), chromedp.WaitVisible(".results .claim"))
	// The venue Wi-Fi drops: the API cannot be reached, the page itself stays.
	block := func(on bool) {
		var patterns []*network.BlockPattern
		if on {
			patterns = []*network.BlockPattern{{URLPattern: "*://*:*/api/v1/claims/*", Block: true}}
		}
		tablet.do(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
				return err
			}
			_, err := chromedp.Call(ctx, network.SetBlockedURLs, network.SetBlockedURLsParams{URLPatterns: patterns})
			return err
		}))
	}
	block(true)
	tablet.do(chromedp.Click(".results .check-account"), chromedp.Click(`.results form.js-give button[value="tshirt"]`))
	tablet.until(`document.getElementById('sync-count').textContent === '1 waiting to sync' && !document.getElementById('sync').hidden`)
	tablet.shot("tablet-offline")
	// The queue survives a reload, and logout is refused while it is not empty.
	tablet.do(chromedp.Reload(), chromedp.WaitVisible("#q"))
	tablet.until(`document.getElementById('sync-count').textContent === '1 waiting to sync'`)
	tablet.do(chromedp.Click("#logout button"))
	tablet.until(`document.getElementById('toast').textContent.includes('not synced')`)
	if loc := tablet.eval(`location.pathname`); loc != "/staff" {
		t.Errorf("logout went through with an unsynced give (at %s)", loc)
	}
	if c, _ := en.GA.ClaimByToken(context.Background(), token); c.Status != "verified" {
		t.Fatalf("given while offline? %s", c.Status)
	}
	block(false)
	tablet.do(chromedp.Click("#sync-now"))
	tablet.until(`document.getElementById('sync').hidden`)
	if c, _ := en.GA.ClaimByToken(context.Background(), token); c.Status != "given" {
		t.Errorf("after sync the claim is %s", c.Status)
	}
	var n int
	en.Pool.QueryRow(context.Background(), "SELECT count(*) FROM giveaways WHERE claim_id = $1", carol.ID).Scan(&n)
	if n != 1 {
		t.Errorf("%d gives after syncing one queued give", n)
	}
}

func TestBrowserWall(t *testing.T) {
	root := browser(t)
	en := newEnv(t)
	wall := en.device(root, "wall", 1024, 768, false)
	wall.do(chromedp.Navigate(en.URL+"/c/"+slug+"/poster"), chromedp.WaitVisible(".poster-qr"))
	wall.until(`document.querySelector('.poster-qr').naturalWidth > 0`)
	wall.shot("poster")
	wall.do(chromedp.Navigate(en.URL+"/c/"+slug+"/wall?lang=en"), chromedp.WaitVisible("#posts"))
	wall.until(`document.getElementById('wall').dataset.live === 'open'`)
	first := en.tweet("hyejin", "The search demo at the Elastic booth was great #PyConAPAC #Elastic")
	wall.until(`[...document.querySelectorAll('#posts .post-text')].some(e => e.textContent.includes('search demo'))`)
	en.tweet("mallory", `<img src=x onerror="window.xss=1"><script>window.xss=2</script> hi #PyConAPAC #Elastic`)
	en.tweet("junho", "다음 세션도 기대돼요! 스티커 감사합니다 #PyConAPAC #Elastic")
	wall.until(`[...document.querySelectorAll('#posts .post-text')].some(e => e.textContent.includes('<script>window.xss=2</script>'))`)
	wall.until(`document.querySelectorAll('#posts .post').length === 3`)
	if got := wall.eval(`String(window.xss) + ':' + document.querySelectorAll('#posts img, #posts script').length`); got != "undefined:0" {
		t.Errorf("the XSS payload became markup: %s", got)
	}
	if got := wall.eval(`document.getElementById('count-posts').textContent`); got != "3" {
		t.Errorf("posts counter %s", got)
	}
	wall.until(`document.querySelectorAll('#tags li').length >= 2`)
	time.Sleep(700 * time.Millisecond) // the arrival animation
	wall.shot("wall-live")

	tablet := en.device(root, "tablet", 1024, 768, false)
	tablet.login(en.URL, "Janis")
	if got := tablet.eval(`String(window.xss) + ':' + document.querySelectorAll('.post img').length`); got != "undefined:0" {
		t.Errorf("the XSS payload became markup on the tablet: %s", got)
	}
	tablet.shot("tablet-moderation")
	tablet.do(chromedp.Click(`article.post[data-post="twitter:` + first + `"] form[action="/staff/wall/hide"] button`))
	wall.until(`!document.querySelector('[data-key="twitter:` + first + `"]') && document.querySelectorAll('#posts .post').length === 2`)
	time.Sleep(700 * time.Millisecond) // the leaving animation: the screenshot shows the settled wall
	wall.shot("wall-after-hide")
	tablet.do(chromedp.WaitVisible("#kill"), chromedp.Click("#kill"))
	wall.until(`document.getElementById('wall').classList.contains('killed') && document.querySelectorAll('#posts .post').length === 0`)
	wall.shot("wall-killed")
	tablet.do(chromedp.WaitVisible("#revive"), chromedp.Click("#revive"))
	wall.until(`!document.getElementById('wall').classList.contains('killed') && document.querySelectorAll('#posts .post').length === 2`)
}

// barcodeDetector stands in for the Shape Detection API, which desktop Linux Chromium lacks: it
// reports the code held in window.cameraSees, and only for a playing camera video, so the test
// still needs the page to have opened the camera.
const barcodeDetector = `window.BarcodeDetector = class {
  constructor(opts) { window.detectorFormats = opts && opts.formats; }
  async detect(src) {
    const live = src instanceof HTMLVideoElement && src.srcObject && src.readyState >= 2 && !src.paused;
    return live && window.cameraSees ? [{format: 'qr_code', rawValue: window.cameraSees}] : [];
  }
};`

// Staff find a claim by pointing the tablet camera at the attendee's QR code.
func TestBrowserScanFindsClaim(t *testing.T) {
	root := browser(t)
	en := newEnv(t)
	token := en.claim(en.client(), "scan_me")
	en.tweet("scan_me", "QR please #PyConAPAC #Elastic")
	_, qr := en.get(en.client(), "/claims/"+token+"/qr.png")
	shown := decodeQR(t, []byte(qr)) // what the camera would read off the phone

	tablet := en.device(root, "tablet-scan", 1024, 768, false)
	tablet.do(chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument,
			page.AddScriptToEvaluateOnNewDocumentParams{Source: barcodeDetector})
		return err
	}))
	tablet.login(en.URL, "Janis")
	tablet.do(chromedp.Navigate(en.URL+"/staff?c="+slug+"&lang=en"), chromedp.WaitVisible("#scan"), chromedp.Click("#scan"))
	tablet.until(`!document.getElementById('scanner').hidden && document.getElementById('scan-video').readyState >= 2`)
	if f := tablet.eval(`String(window.detectorFormats)`); f != "qr_code" {
		t.Errorf("detector asked for %q", f)
	}
	tablet.shot("tablet-scanning")
	// The page submits the search as soon as the detector reads the code: a navigation.
	tablet.eval(`window.cameraSees = ` + strconv.Quote(shown) + `; ''`)
	tablet.do(chromedp.WaitVisible(".results .claim"))
	bob, _ := en.GA.ClaimByToken(context.Background(), token)
	if got := tablet.eval(`document.querySelector('.results .claim .code').textContent`); got != bob.Code {
		t.Errorf("the scan found %q, want the claim %s", got, bob.Code)
	}
	if !strings.HasSuffix(tablet.eval(`location.search`), "q="+bob.Code) {
		t.Errorf("searched %s", tablet.eval(`location.search`))
	}
	tablet.shot("tablet-scanned")
}
