package pages_test

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// contrast runs axe-core's color-contrast rule alone on the page and answers what it found:
// failing nodes, nodes it could not judge (text over an image or a gradient, or mid-animation),
// and how many it checked and passed.
func (d *device) contrast() (violations, unsure []string, passed int) {
	d.t.Helper()
	path := os.Getenv("AXE_JS")
	if path == "" {
		d.t.Skip("AXE_JS unset: the contrast check needs axe-core (make axe)")
	}
	src, err := os.ReadFile(path)
	if err != nil {
		d.t.Fatal(err)
	}
	if d.eval(`typeof axe`) == "undefined" {
		d.eval(string(src) + `;''`)
	}
	ctx, cancel := context.WithTimeout(d.ctx, 30*time.Second)
	defer cancel()
	out, err := chromedp.Run(ctx, chromedp.Evaluate[string](`axe.run(document, {runOnly: ['color-contrast']}).then(r => {
		const nodes = list => list.flatMap(v => v.nodes.map(n => n.target.join(' ') + ' ' + n.html.slice(0, 80) + ' (' + (n.failureSummary || n.any.map(a => a.message).join('; ')).replace(/\s+/g, ' ') + ')'));
		return JSON.stringify({v: nodes(r.violations), u: nodes(r.incomplete), p: r.passes.reduce((n, v) => n + v.nodes.length, 0)});
	})`, chromedp.EvalAwaitPromise))
	if err != nil {
		d.t.Fatal(err)
	}
	var r struct {
		V, U []string
		P    int
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		d.t.Fatal(err)
	}
	return r.V, r.U, r.P
}

// The wall's text holds its contrast with posts on it, on the big screen and on a phone, and
// in the paused state: axe passes every text node it checks and none is left unjudged (text on
// an animation or an image would be).
func TestBrowserWallContrast(t *testing.T) {
	root := browser(t)
	en := newEnv(t)
	en.tweet("hyejin", "The search demo at the Elastic booth was great #PyConAPAC #Elastic")
	en.tweet("junho", "다음 세션도 기대돼요! 스티커 감사합니다 #PyConAPAC #Elastic #Kibana")
	en.tweet("long_words", strings.Repeat("Elasticsearch ", 20)+"#PyConAPAC #Elastic")
	for _, size := range []struct {
		name string
		w, h int64
	}{{"wall-phone", 390, 844}, {"wall-screen", 1920, 1080}} {
		wall := en.device(root, size.name, size.w, size.h, size.name == "wall-phone")
		wall.do(chromedp.Navigate(en.URL+"/c/"+slug+"/wall?lang=en"), chromedp.WaitVisible("#posts"))
		wall.until(`document.querySelectorAll('#posts .post').length === 3 && document.querySelectorAll('#tags li').length >= 2`)
		wall.until(`document.getAnimations().length === 0`)
		check := func(state string, wantPassed int) {
			t.Helper()
			violations, unsure, passed := wall.contrast()
			for _, v := range violations {
				t.Errorf("%s %s: contrast: %s", size.name, state, v)
			}
			for _, u := range unsure {
				t.Errorf("%s %s: contrast not judged: %s", size.name, state, u)
			}
			if passed < wantPassed {
				t.Errorf("%s %s: axe checked the contrast of %d text nodes, want at least %d", size.name, state, passed, wantPassed)
			}
		}
		check("with posts", 3*2+2) // each post's handle and text, the heading and hashtags at least
		if _, err := en.Pool.Exec(context.Background(), `INSERT INTO wall_settings (campaign_id, killed)
			SELECT id, true FROM campaigns ON CONFLICT (campaign_id) DO UPDATE SET killed = true`); err != nil {
			t.Fatal(err)
		}
		wall.do(chromedp.Reload(), chromedp.WaitVisible("#paused"))
		wall.until(`document.getAnimations().length === 0`)
		check("paused", 1)
		if _, err := en.Pool.Exec(context.Background(), `DELETE FROM wall_settings`); err != nil {
			t.Fatal(err)
		}
	}
}
