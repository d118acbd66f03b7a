package pages_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// blockAPI cuts the tablet off from the JSON API (the venue Wi-Fi drops), or lets it through again.
func (d *device) blockAPI(on bool) {
	var patterns []*network.BlockPattern
	if on {
		patterns = []*network.BlockPattern{{URLPattern: "*://*:*/api/v1/*", Block: true}}
	}
	d.do(chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		_, err := chromedp.Call(ctx, network.SetBlockedURLs, network.SetBlockedURLsParams{URLPatterns: patterns})
		return err
	}))
}

// The tablet sends every action with an Idempotency-Key, keeps the key of a queued action
// across a reload, and asks staff to check the account of a claim proven by its handle only.
func TestBrowserActionsCarryKeysAndHandleClaimsAskForTheAccountCheck(t *testing.T) {
	root := browser(t)
	en := newEnv(t)
	ctx := context.Background()
	token := en.claim(en.client(), "dana")
	en.tweet("dana", "At the booth #PyConAPAC #Elastic")
	dana, _ := en.GA.ClaimByToken(ctx, token)
	count := func(sql string, args ...any) int {
		t.Helper()
		var n int
		if err := en.Pool.QueryRow(ctx, sql, args...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	keys := func(scope string) int { return count(`SELECT count(*) FROM idempotency_keys WHERE scope = $1`, scope) }

	tablet := en.device(root, "tablet", 1024, 768, false)
	tablet.login(en.URL, "Janis")
	tablet.do(chromedp.Navigate(en.URL+"/staff?c="+slug+"&q="+dana.Code), chromedp.WaitVisible(".results .claim"))
	// The page says how the claim was proven (a badge, and the give form's data-verified-by);
	// the script replaces the no-JS checkbox with one tap.
	tablet.until(`document.querySelector('.results form.js-give').getAttribute('data-verified-by') === 'handle'`)
	tablet.until(`document.querySelector('.results .proof-handle') !== null`)
	tablet.until(`document.querySelector('.results .check-account') !== null && document.querySelector('.results .account-check') === null`)
	prize := `.results form.js-give button[value="tshirt"]`
	tablet.do(chromedp.Click(prize))
	tablet.until(`document.getElementById('toast').textContent.includes('First check their phone')`)
	if n := count(`SELECT count(*) FROM giveaways`); n != 0 {
		t.Fatalf("given before the account was checked: %d gives", n)
	}
	tablet.shot("tablet-check-account")
	tablet.do(chromedp.Click(`.results .check-account`), chromedp.Click(prize))
	tablet.until(`document.getElementById('toast').textContent.includes('Given: T-shirt to @dana')`)
	if n := count(`SELECT count(*) FROM giveaways WHERE claim_id = $1 AND account_checked`, dana.ID); n != 1 || keys("give") != 1 {
		t.Fatalf("%d gives with the account checked, %d give keys", n, keys("give"))
	}

	// Undo from the recent list goes through the API with a key too.
	undo := fmt.Sprintf(`form[action="/staff/claims/%d/undo"] button`, dana.ID)
	tablet.do(chromedp.WaitVisible(undo), chromedp.Click(undo))
	tablet.until(`document.getElementById('toast').textContent.includes('Undone for @dana')`)
	if n := count(`SELECT count(*) FROM giveaways WHERE claim_id = $1 AND undone_at IS NOT NULL`, dana.ID); n != 1 || keys("undo") != 1 {
		t.Fatalf("%d undone gives, %d undo keys", n, keys("undo"))
	}

	// Tapped offline, reloaded, synced: sent with the key it got when it was tapped.
	tablet.blockAPI(true)
	tablet.do(chromedp.WaitVisible(prize), chromedp.Click(prize))
	tablet.until(`document.getElementById('sync-count').textContent === '1 waiting to sync'`)
	key := tablet.eval(`JSON.parse(localStorage.getItem('giveaway.outbox.v1'))[0].key`)
	tablet.do(chromedp.Reload(), chromedp.WaitVisible("#q"))
	tablet.blockAPI(false)
	tablet.do(chromedp.Click("#sync-now"))
	tablet.until(`document.getElementById('sync').hidden`)
	if n := count(`SELECT count(*) FROM idempotency_keys WHERE scope = 'give' AND key = $1 AND status_code = 200`, key); n != 1 {
		t.Fatalf("the queued give's key %q was not the one sent", key)
	}

	// A manual claim with a prize: the claim, then its give, each with its key.
	tablet.eval(`(function () {
		var f = document.querySelector('form[action="/staff/manual"]');
		f.closest('details').open = true;
		f.elements.network.value = 'linkedin';
		f.elements.handle.value = 'erin';
		f.elements.post_url.value = 'https://www.linkedin.com/posts/erin';
		f.elements.prize.value = 'tshirt';
		f.requestSubmit(f.querySelector('button[type=submit]'));
		return 'ok';
	})()`)
	tablet.until(`document.getElementById('toast').textContent.includes('to @erin')`)
	if n := count(`SELECT count(*) FROM claims c JOIN giveaways g ON g.claim_id = c.id WHERE c.handle = 'erin' AND c.manual`); n != 1 ||
		keys("manual_claim") != 1 || keys("give") != 3 {
		t.Fatalf("manual claim: %d gives, %d manual keys, %d give keys", n, keys("manual_claim"), keys("give"))
	}
}
