package pages_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// adminAPI calls the JSON API with the admin token and decodes the answer.
func (en *env) adminAPI(method, path string, body any) map[string]any {
	en.t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, en.URL+path, r)
	req.Header.Set("Authorization", "Bearer test-admin-token")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		en.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode >= 300 {
		en.t.Fatalf("%s %s: %d %s", method, path, res.StatusCode, raw)
	}
	out := map[string]any{}
	json.Unmarshal(raw, &out)
	return out
}

// drawReady makes verified claims for the handles (posts with the hashtags) and a draw among them.
func (en *env) drawReady(handles ...string) (tokens map[string]string, id string) {
	en.t.Helper()
	tokens = map[string]string{}
	for _, h := range handles {
		tokens[h] = en.claim(en.client(), h)
		en.tweet(h, "At the booth #PyConAPAC #Elastic")
	}
	for _, h := range handles {
		c, err := en.GA.ClaimByToken(context.Background(), tokens[h])
		if err != nil || c.Status != "verified" {
			en.t.Fatalf("%s: claim %v %v", h, c, err)
		}
	}
	d := en.adminAPI("POST", "/api/v1/campaigns/"+slug+"/draws", map[string]any{"prize": "Mechanical keyboard", "winners": 2, "backups": 1})
	return tokens, fmt.Sprint(d["id"])
}

// The draw's public page shows the commitment before the draw and the winners' handles after,
// with how to verify it; each attendee's page shows their entry id; the wall shows both stages.
func TestDrawPages(t *testing.T) {
	en := newEnv(t)
	c := en.client()
	tokens, id := en.drawReady("ana", "bo", "chen", "dara")
	if res, html := en.get(c, "/draws/"+id+"?lang=en"); res.StatusCode != 200 || !strings.Contains(html, "not frozen yet") {
		t.Fatalf("an open draw's page: %d %s", res.StatusCode, html)
	}
	if _, html := en.get(c, "/c/"+slug+"/wall?lang=en"); strings.Contains(html, "Mechanical keyboard") {
		t.Fatal("the wall shows a draw that is not committed")
	}
	commit := en.adminAPI("POST", "/api/v1/draws/"+id+"/commit", nil)
	_, html := en.get(c, "/draws/"+id+"?lang=en")
	for _, want := range []string{commit["pool_hash"].(string), commit["seed_commit"].(string), "giveaway draw verify " + en.URL + "/api/v1/draws/" + id} {
		if !strings.Contains(html, want) {
			t.Errorf("the committed draw's page lacks %q", want)
		}
	}
	for _, h := range []string{"@ana", "@bo", "@chen", "@dara", `id="seed"`} {
		if strings.Contains(html, h) {
			t.Errorf("the committed draw's page shows %s before the reveal", h)
		}
	}
	_, wall := en.get(c, "/c/"+slug+"/wall?lang=en")
	if !strings.Contains(wall, commit["seed_commit"].(string)) {
		t.Error("the wall does not show the commitment")
	}
	// Each attendee's page shows their own entry id, which is in the published pool.
	record := en.adminAPI("GET", "/api/v1/draws/"+id, nil)
	pool := fmt.Sprint(record["pool"])
	_, status := en.get(en.client(), "/claims/"+tokens["bo"]+"?lang=en")
	i := strings.Index(status, `<p class="entry-id"><code>`)
	if i < 0 {
		t.Fatalf("bo's claim page shows no entry id: %s", status)
	}
	entry := status[i+len(`<p class="entry-id"><code>`):][:16]
	if !strings.Contains(pool, entry) {
		t.Fatalf("bo's entry id %s is not in the pool %s", entry, pool)
	}
	_, other := en.get(en.client(), "/claims/"+tokens["ana"]+"?lang=en")
	if strings.Contains(other, entry) {
		t.Fatal("ana's page shows bo's entry id")
	}

	reveal := en.adminAPI("POST", "/api/v1/draws/"+id+"/reveal", map[string]any{"beacon": "drand 1234"})
	_, html = en.get(c, "/draws/"+id+"?lang=en")
	for _, w := range reveal["winners"].([]any) {
		if h := w.(map[string]any)["handle"].(string); !strings.Contains(html, "@"+h) {
			t.Errorf("the revealed draw's page lacks winner @%s", h)
		}
	}
	if !strings.Contains(html, reveal["seed"].(string)) || !strings.Contains(html, "drand 1234") {
		t.Error("the revealed draw's page lacks the seed or the beacon")
	}
	backup := reveal["backups"].([]any)[0].(map[string]any)["entry_id"].(string)
	for h, tok := range tokens {
		if _, st := en.get(en.client(), "/claims/"+tok); strings.Contains(st, backup) && strings.Contains(html, "@"+h) {
			t.Errorf("the backup @%s is named on the draw page before being called", h)
		}
	}
	_, frag := en.get(c, "/c/"+slug+"/wall/draw?lang=en")
	for _, w := range reveal["winners"].([]any) {
		if h := w.(map[string]any)["handle"].(string); !strings.Contains(frag, "@"+h) {
			t.Errorf("the wall's draw panel lacks winner @%s: %s", h, frag)
		}
	}
	if res, _ := en.get(c, "/draws/999"); res.StatusCode != http.StatusNotFound {
		t.Errorf("no such draw: %d", res.StatusCode)
	}
}

// The wall shows the commitment and then the winners as they happen, animated unless the viewer
// asked for reduced motion; the draw page and a claim's entry id pass axe in both languages.
func TestBrowserDraw(t *testing.T) {
	root := browser(t)
	en := newEnv(t)
	tokens, id := en.drawReady("ana", "bo", "chen")
	wall := en.device(root, "wall", 1280, 800, false)
	wall.do(chromedp.Navigate(en.URL+"/c/"+slug+"/wall?lang=en"), chromedp.WaitVisible("#posts"))
	wall.until(`document.getElementById('wall').dataset.live === 'open'`)
	commit := en.adminAPI("POST", "/api/v1/draws/"+id+"/commit", nil)
	wall.until(`!document.getElementById('draw').hidden && document.getElementById('draw').textContent.includes('` + commit["seed_commit"].(string) + `')`)
	wall.shot("wall-draw-committed")
	reveal := en.adminAPI("POST", "/api/v1/draws/"+id+"/reveal", nil)
	first := reveal["winners"].([]any)[0].(map[string]any)["handle"].(string)
	wall.until(`document.querySelectorAll('#draw .draw-winners li').length === 2 && document.querySelector('#draw .draw-winners').textContent.includes('@` + first + `')`)
	if got := wall.eval(`getComputedStyle(document.querySelector('#draw .draw-winners li')).animationName`); got != "draw-in" {
		t.Errorf("the winners arrive without their animation: %q", got)
	}
	wall.until(`document.getAnimations().every(a => a.animationName !== 'draw-in' || a.playState === 'finished')`) // the screenshot shows the settled panel
	wall.shot("wall-draw-revealed")

	calm := en.device(root, "calm-wall", 1280, 800, false)
	calm.do(chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-reduced-motion", Value: "reduce"}}})
		return err
	}))
	calm.do(chromedp.Navigate(en.URL+"/c/"+slug+"/wall?lang=en"), chromedp.WaitVisible("#draw"))
	if got := calm.eval(`getComputedStyle(document.querySelector('#draw .draw-winners li')).animationName`); got != "none" {
		t.Errorf("with reduced motion the winners still animate: %q", got)
	}

	phone := en.device(root, "phone", 390, 844, true)
	for _, lang := range []string{"en", "ko"} {
		phone.do(chromedp.Navigate(en.URL+"/draws/"+id+"?lang="+lang), chromedp.WaitVisible("#winners"))
		phone.shot("draw-page-" + lang)
	}
	phone.do(chromedp.Navigate(en.URL+"/claims/"+tokens["bo"]+"?lang=en"), chromedp.WaitVisible(".entry-id"))
	phone.shot("claim-entry-id")
}
