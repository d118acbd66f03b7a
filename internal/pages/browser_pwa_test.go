package pages_test

import (
	"context"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/boothgiveaway/giveaway/internal/testkit"
)

// wifi stands between a device and the service: while it is down every connection, open or new,
// is cut, whoever makes it (the page, its service worker, its event stream), as when the venue's
// access point loses the uplink.
type wifi struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	down   bool
	conns  map[net.Conn]bool
}

func newWifi(t *testing.T, target string) *wifi {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	w := &wifi{ln: ln, target: strings.TrimPrefix(target, "http://"), conns: map[net.Conn]bool{}}
	t.Cleanup(func() { ln.Close(); w.set(false) })
	go w.serve()
	return w
}

func (w *wifi) URL() string { return "http://" + w.ln.Addr().String() }

func (w *wifi) serve() {
	for {
		in, err := w.ln.Accept()
		if err != nil {
			return
		}
		out, err := net.Dial("tcp", w.target)
		w.mu.Lock()
		if err != nil || w.down {
			w.mu.Unlock()
			in.Close()
			if out != nil {
				out.Close()
			}
			continue
		}
		w.conns[in], w.conns[out] = true, true
		w.mu.Unlock()
		go func() { io.Copy(out, in); out.Close() }()
		go func() { io.Copy(in, out); in.Close() }()
	}
}

// set takes the Wi-Fi down (cutting every open connection) or brings it back.
func (w *wifi) set(down bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.down = down
	if down {
		for c := range w.conns {
			c.Close()
		}
		clear(w.conns)
	}
}

// network turns the device's network off or on: the Wi-Fi, and navigator.onLine with the
// offline and online events the page hears.
func (d *device) network(w *wifi, on bool) {
	d.t.Helper()
	w.set(!on)
	d.do(chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, network.OverrideNetworkState, network.OverrideNetworkStateParams{Offline: !on, DownloadThroughput: -1, UploadThroughput: -1})
		return err
	}))
}

// await evaluates a JavaScript promise of a boolean until it is true.
func (d *device) await(what, js string) {
	d.t.Helper()
	testkit.Eventually(d.t, what, func() bool {
		ctx, cancel := context.WithTimeout(d.ctx, 5*time.Second)
		defer cancel()
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js, chromedp.EvalAwaitPromise))
		return err == nil && ok
	})
}

// kept lists what the tablet's service worker holds (path and query of every cached request).
const kept = `caches.keys().then(ks => Promise.all(ks.map(k => caches.open(k).then(c => c.keys()))))
  .then(rs => rs.flat().map(r => { const u = new URL(r.url); return u.pathname + u.search; }))`

// The venue Wi-Fi is down when staff reload the tablet: the page still opens (the service worker
// kept it), says what is stale, takes a give into its queue and keeps it through another reload;
// when the network returns the give goes out once, with the key it was given when tapped.
func TestBrowserTabletReloadsOffline(t *testing.T) {
	root := browser(t)
	en := newEnv(t)
	token := en.claim(en.client(), "dana_offline")
	dana, _ := en.GA.ClaimByToken(context.Background(), token)
	en.tweet("dana_offline", "Offline booth #PyConAPAC #Elastic "+dana.Code)
	testkit.Eventually(t, "Dana's claim verified", func() bool {
		c, _ := en.GA.ClaimByToken(context.Background(), token)
		return c.Status == "verified"
	})

	tablet := en.device(root, "tablet-pwa", 1024, 768, false)
	air := newWifi(t, en.URL)
	base := air.URL()
	tablet.login(base, "Janis")
	tablet.do(chromedp.Navigate(base+"/staff?c="+slug), chromedp.WaitVisible("#q"))
	tablet.await("the worker controls the tablet and keeps its page",
		`navigator.serviceWorker.ready.then(() => !!navigator.serviceWorker.controller).then(ok => ok && `+kept+`.then(k => k.includes('/staff?c=`+slug+`')))`)

	tablet.network(air, false)
	tablet.do(chromedp.Reload(), chromedp.WaitVisible("#q"))
	tablet.until(`!document.getElementById('stale').hidden`)
	if got := tablet.eval(`document.getElementById('stale').textContent`); !strings.HasPrefix(got, "Offline since ") || !strings.Contains(got, "list from ") {
		t.Errorf("offline, the tablet says %q", got)
	}
	give := `.queue form.js-give[data-claim="` + itoa(dana.ID) + `"] button[value="tshirt"]`
	tablet.do(chromedp.WaitVisible(give), chromedp.Click(`.queue form.js-give[data-claim="`+itoa(dana.ID)+`"] .check-account`),
		chromedp.Click(give))
	tablet.until(`document.getElementById('sync-count').textContent === '1 waiting to sync'`)
	key := tablet.eval(`JSON.parse(localStorage.getItem('giveaway.outbox.v1'))[0].key`)

	// Reloaded again, still offline: the page comes from the worker with the give waiting on it.
	tablet.do(chromedp.Reload(), chromedp.WaitVisible("#q"))
	tablet.until(`document.getElementById('sync-count').textContent === '1 waiting to sync' && !document.getElementById('sync').hidden`)
	tablet.until(`document.querySelector('` + give + `').classList.contains('queued')`)
	tablet.until(`document.getElementById('stale').textContent.includes('1 waiting to sync')`)
	if got := tablet.eval(`JSON.parse(localStorage.getItem('giveaway.outbox.v1'))[0].key`); got != key {
		t.Errorf("the queued give's key changed across the reload: %s, then %s", key, got)
	}
	tablet.shot("tablet-offline-reloaded")
	if c, _ := en.GA.ClaimByToken(context.Background(), token); c.Status != "verified" {
		t.Fatalf("given while offline? %s", c.Status)
	}

	tablet.network(air, true)
	tablet.until(`document.getElementById('sync').hidden && document.getElementById('stale').hidden`)
	tablet.until(`document.getElementById('toast').textContent.includes('Given: T-shirt to @dana_offline')`)
	tablet.until(`!document.querySelector('.queue form.js-give[data-claim="` + itoa(dana.ID) + `"]')`)
	var gives int
	en.Pool.QueryRow(context.Background(), "SELECT count(*) FROM giveaways WHERE claim_id = $1", dana.ID).Scan(&gives)
	if gives != 1 {
		t.Errorf("%d gives after one give tapped offline", gives)
	}
	var keys int
	en.Pool.QueryRow(context.Background(), "SELECT count(*) FROM idempotency_keys WHERE key LIKE '%' || $1 || '%'", key).Scan(&keys)
	if keys != 1 {
		t.Errorf("the give went out with %d records of its tapped key %s", keys, key)
	}

	// The worker kept pages and shell files, never an API answer.
	var cachedURLs []string
	tablet.do(chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		var err error
		cachedURLs, err = chromedp.Run(ctx, chromedp.Evaluate[[]string](kept, chromedp.EvalAwaitPromise))
		return err
	}))
	for _, u := range cachedURLs {
		if strings.HasPrefix(u, "/api/") || strings.Contains(u, "/give") || strings.Contains(u, "/events") {
			t.Errorf("the worker kept %s", u)
		}
	}

	// Logged out, the tablet keeps nothing of Janis: offline, a reload shows no tablet of hers.
	tablet.do(chromedp.Click("#logout button"), chromedp.WaitVisible("#pin"))
	tablet.await("the worker forgot the tablet on logout", kept+`.then(k => !k.some(u => u.startsWith('/staff?') || u.startsWith('/staff/live')))`)
	tablet.network(air, false)
	ctx, cancel := context.WithTimeout(tablet.ctx, 10*time.Second)
	defer cancel()
	chromedp.Do(ctx, chromedp.Navigate(base+"/staff?c="+slug)) // fails: nothing to show offline
	if got := tablet.eval(`document.body ? document.body.innerText : ''`); strings.Contains(got, "Janis") || strings.Contains(got, "dana_offline") {
		t.Errorf("after logout, offline, the tablet still shows Janis's page: %.200s", got)
	}
}

// An attendee's phone loses signal while the claim waits for its post: the page says it is
// reconnecting, the post arrives meanwhile, and when the signal is back the page catches up to
// "verified" by itself, without a reload.
func TestBrowserClaimStatusCatchesUpAfterLosingSignal(t *testing.T) {
	root := browser(t)
	en := newEnv(t)
	phone := en.device(root, "phone-signal", 390, 844, true)
	air := newWifi(t, en.URL)
	phone.do(chromedp.Navigate(air.URL()+"/c/"+slug+"?lang=en"), chromedp.WaitVisible("#handle"),
		chromedp.SendKeys("#handle", "eun_signal"), chromedp.Click(".claim-form button[type=submit]"),
		chromedp.WaitVisible("#code"))
	phone.until(`document.getElementById('status').dataset.status === 'pending' && !document.getElementById('live').hidden && !document.getElementById('live').classList.contains('off')`)
	code := phone.eval(`document.getElementById('code').textContent`)
	phone.eval(`window.noReload = 'yes'`)

	phone.network(air, false)
	phone.until(`document.getElementById('live').classList.contains('off')`)
	if got := phone.eval(`document.getElementById('live').textContent`); !strings.HasPrefix(got, "Reconnecting") {
		t.Errorf("without signal the page says %q", got)
	}
	phone.shot("phone-reconnecting")
	en.tweet("eun_signal", "Posted from the queue #PyConAPAC #Elastic "+code)
	if by := en.verifiedBy(code); by != "code" {
		t.Fatalf("the claim is verified by %q", by)
	}
	if got := phone.eval(`document.getElementById('status').dataset.status`); got != "pending" {
		t.Fatalf("offline, the page learned %q", got)
	}

	phone.network(air, true)
	phone.until(`document.getElementById('status').dataset.status === 'verified' && !document.getElementById('live').classList.contains('off')`)
	if phone.eval(`window.noReload`) != "yes" {
		t.Error("the page reloaded to catch up")
	}
	if got := phone.eval(`document.getElementById('live').textContent`); got != "Live" {
		t.Errorf("back online the page says %q", got)
	}
}

// Another member logs in on a tablet that holds Janis's copy (her session was never logged out):
// the worker drops everything it kept for her before keeping Minho's page, so offline, even at
// an address it had kept for her, the tablet shows Minho's page and nothing of Janis's.
func TestBrowserTabletCopyIsNeverAnotherMembers(t *testing.T) {
	root := browser(t)
	en := newEnv(t)
	tablet := en.device(root, "tablet-swap", 1024, 768, false)
	air := newWifi(t, en.URL)
	base := air.URL()
	tablet.login(base, "Janis")
	for _, path := range []string{"/staff?c=" + slug + "&lang=en", "/staff?c=" + slug} {
		tablet.do(chromedp.Navigate(base+path), chromedp.WaitVisible("#q"))
		tablet.await("the worker keeps "+path, `navigator.serviceWorker.ready.then(() => !!navigator.serviceWorker.controller).then(ok => ok && `+kept+`.then(k => k.includes(`+jsString(path)+`)))`)
	}
	// Minho logs in over Janis's session, as the login form would.
	tablet.await("Minho logged in", `fetch('/staff/login', {method: 'POST', credentials: 'same-origin',
		body: new URLSearchParams({_csrf: document.querySelector('meta[name=csrf-token]').content, name: 'Minho', pin: '432109'})})
		.then(r => r.ok)`)
	tablet.do(chromedp.Navigate(base+"/staff?c="+slug), chromedp.WaitVisible("#q"))
	if got := tablet.eval(`document.querySelector('.me').textContent`); got != "Minho" {
		t.Fatalf("logged in as %q", got)
	}
	tablet.await("the worker dropped Janis's pages", kept+`.then(k => !k.includes(`+jsString("/staff?c="+slug+"&lang=en")+`) && k.includes(`+jsString("/staff?c="+slug)+`))`)

	tablet.network(air, false)
	tablet.do(chromedp.Navigate(base+"/staff?c="+slug+"&lang=en"), chromedp.WaitVisible("#q"))
	if got := tablet.eval(`document.querySelector('.me').textContent`); got != "Minho" {
		t.Errorf("offline, the tablet shows %q's page", got)
	}
}

// An attendee taps "Claim" in a dead spot of the hall: the page keeps the claim as typed and
// says so, and sends it by itself once the signal is back; exactly one claim is made.
func TestBrowserClaimWaitsForSignal(t *testing.T) {
	root := browser(t)
	en := newEnv(t)
	phone := en.device(root, "phone-dead-spot", 390, 844, true)
	air := newWifi(t, en.URL)
	phone.do(chromedp.Navigate(air.URL()+"/c/"+slug+"?lang=en"), chromedp.WaitVisible("#handle"),
		chromedp.SendKeys("#handle", "dead_spot"))
	phone.network(air, false)
	phone.do(chromedp.Click(".claim-form button[type=submit]"))
	phone.until(`!document.getElementById('claim-wait').hidden`)
	if got := phone.eval(`document.getElementById('claim-wait').textContent`); !strings.HasPrefix(got, "No signal") {
		t.Errorf("without signal the claim page says %q", got)
	}
	phone.shot("phone-claim-waiting")
	var n int
	en.Pool.QueryRow(context.Background(), `SELECT count(*) FROM claims WHERE handle = 'dead_spot'`).Scan(&n)
	if n != 0 {
		t.Fatalf("%d claims made without signal", n)
	}
	phone.network(air, true)
	phone.do(chromedp.WaitVisible("#code"))
	en.Pool.QueryRow(context.Background(), `SELECT count(*) FROM claims WHERE handle = 'dead_spot'`).Scan(&n)
	if n != 1 {
		t.Errorf("%d claims once the signal was back, want 1", n)
	}
	if got := phone.eval(`document.getElementById('status').dataset.status`); got != "pending" {
		t.Errorf("the claim's page says %q", got)
	}
}
