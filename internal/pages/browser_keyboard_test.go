package pages_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/boothgiveaway/giveaway/internal/testkit"
)

// tabTo presses Tab until the element js names has the keyboard focus, and fails if it never
// does (it cannot be reached by keyboard) or the focus it has cannot be seen.
func (d *device) tabTo(what, js string) {
	d.t.Helper()
	for range 200 {
		d.do(chromedp.KeyEvent(kb.Tab))
		if d.eval(`String(document.activeElement === (`+js+`))`) == "true" {
			style := d.eval(`(s => s.outlineStyle + ' ' + s.outlineWidth)(getComputedStyle(document.activeElement))`)
			if strings.HasPrefix(style, "none") || strings.HasSuffix(style, " 0px") {
				d.t.Errorf("%s: %s has the focus but shows no outline (%s)", d.name, what, style)
			}
			return
		}
	}
	d.t.Fatalf("%s: 200 presses of Tab never reached %s", d.name, what)
}

// Staff without a touch screen (a keyboard on the tablet's stand) give a prize: Tab to the
// claim, Enter on "seen on their phone", Tab to the prize, Space gives it.
func TestBrowserTabletWorksWithAKeyboard(t *testing.T) {
	root := browser(t)
	en := newEnv(t)
	token := en.claim(en.client(), "kim_keys")
	kim, _ := en.GA.ClaimByToken(context.Background(), token)
	en.tweet("kim_keys", "Keyboard booth #PyConAPAC #Elastic "+kim.Code)
	testkit.Eventually(t, "the claim verified", func() bool {
		c, _ := en.GA.ClaimByToken(context.Background(), token)
		return c.Status == "verified"
	})

	tablet := en.device(root, "tablet-keys", 1024, 768, false)
	tablet.login(en.URL, "Janis")
	tablet.do(chromedp.Navigate(en.URL+"/staff?c="+slug+"&lang=en"), chromedp.WaitVisible(".queue .check-account"))
	form := `document.querySelector('.queue form.js-give[data-claim="` + itoa(kim.ID) + `"]')`
	tablet.tabTo("the account check", form+`.querySelector('.check-account')`)
	tablet.do(chromedp.KeyEvent(kb.Enter))
	tablet.until(`!` + form + `.querySelector('button[value="tshirt"]').classList.contains('locked')`)
	tablet.tabTo("the T-shirt button", form+`.querySelector('button[value="tshirt"]')`)
	tablet.shot("tablet-keyboard-focus")
	// Another attendee's post arrives meanwhile: the list is redrawn under the staff member's
	// fingers, and the focus stays where it was.
	other := en.claim(en.client(), "lee_arrives")
	lee, _ := en.GA.ClaimByToken(context.Background(), other)
	en.tweet("lee_arrives", "Me too #PyConAPAC #Elastic "+lee.Code)
	tablet.until(`document.querySelector('.queue [data-claim="` + itoa(lee.ID) + `"]') !== null`)
	if got := tablet.eval(`String(document.activeElement === ` + form + `.querySelector('button[value="tshirt"]'))`); got != "true" {
		t.Fatalf("the list's refresh moved the focus to %s", tablet.eval(`document.activeElement.outerHTML.slice(0, 120)`))
	}
	tablet.do(chromedp.KeyEvent(" "))
	tablet.until(`document.getElementById('toast').textContent.includes('Given: T-shirt to @kim_keys')`)
	if c, _ := en.GA.ClaimByToken(context.Background(), token); c.Status != "given" {
		t.Errorf("after Space on the prize the claim is %s", c.Status)
	}
}

// A staff member who set the tablet's text to twice its size (the browser's font size setting)
// still sees every give button whole: the text grew, nothing runs off the side, and each button
// holds its label.
func TestBrowserTabletWithLargeText(t *testing.T) {
	root := browser(t)
	en := newEnv(t)
	for _, h := range []string{"large_text_one", "large_text_two"} {
		token := en.claim(en.client(), h)
		c, _ := en.GA.ClaimByToken(context.Background(), token)
		en.tweet(h, "Big letters #PyConAPAC #Elastic "+c.Code)
	}
	for _, size := range []struct {
		name string
		w, h int64
	}{{"tablet", 1024, 768}, {"phone", 390, 844}} {
		d := en.device(root, size.name+"-large-text", size.w, size.h, size.name == "phone")
		d.login(en.URL, "Janis")
		d.do(chromedp.Navigate(en.URL+"/staff?c="+slug+"&lang=en"), chromedp.WaitVisible(".queue button.prize"))
		before := d.eval(`getComputedStyle(document.querySelector('.queue button.prize')).fontSize`)
		bodyBefore := d.eval(`getComputedStyle(document.querySelector('.queue .tweet')).fontSize`)
		d.do(chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Call(ctx, page.SetFontSizes, page.SetFontSizesParams{FontSizes: &page.FontSizes{Standard: 32, Fixed: 26}})
			return err
		}))
		d.until(`getComputedStyle(document.querySelector('.queue button.prize')).fontSize !== ` + jsString(before))
		after := d.eval(`getComputedStyle(document.querySelector('.queue button.prize')).fontSize`)
		if !(px(after) >= 2*px(before)-1) {
			t.Errorf("%s: the give button's text went from %s to %s with the text size doubled", size.name, before, after)
		}
		if got := d.eval(`getComputedStyle(document.querySelector('.queue .tweet')).fontSize`); !(px(got) >= 2*px(bodyBefore)-1) {
			t.Errorf("%s: a post's text went from %s to %s with the text size doubled", size.name, bodyBefore, got)
		}
		if got := d.eval(`String(document.documentElement.scrollWidth <= window.innerWidth)`); got != "true" {
			t.Errorf("%s: with large text the page scrolls sideways (%s wide in %s): %s", size.name,
				d.eval(`String(document.documentElement.scrollWidth)`), d.eval(`String(window.innerWidth)`),
				d.eval(`[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > window.innerWidth).map(e => e.tagName + '.' + e.className + '[' + (e.textContent || '').trim().slice(0, 30) + '] ' + Math.round(e.getBoundingClientRect().left) + '-' + Math.round(e.getBoundingClientRect().right)).slice(0, 12).join(', ')`))
		}
		hidden := d.eval(`[...document.querySelectorAll('.queue button.prize, .queue .check-account')].filter(b => {
			b.scrollIntoView({block: 'center'});
			const r = b.getBoundingClientRect();
			const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
			return r.width === 0 || r.left < 0 || r.right > window.innerWidth || b.scrollWidth > b.clientWidth + 1 || !(hit && b.contains(hit));
		}).map(b => b.textContent.trim()).join(' | ')`)
		if hidden != "" {
			t.Errorf("%s: with large text these buttons are cut off or covered: %s", size.name, hidden)
		}
		if d.eval(`String(document.getElementById('stale').hidden)`) != "true" {
			t.Errorf("%s: online, the tablet says %q", size.name, d.eval(`document.getElementById('stale').textContent`))
		}
		d.do(chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 0)`))
		d.shot(size.name + "-large-text")
	}
}

func px(s string) float64 {
	var v float64
	for _, r := range strings.TrimSuffix(s, "px") {
		if r == '.' {
			break
		}
		v = v*10 + float64(r-'0')
	}
	return v
}
