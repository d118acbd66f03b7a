package rehearsal

import (
	"bytes"
	"fmt"
	"strings"
	"time"
)

// scriptTag is the injection every hostile text carries; no page may ever serve it as markup.
const scriptTag = "<script>alert(1)</script>"

// hostile plays the attackers through the day: malformed and oversized bodies, forged tokens,
// claim-token guessing, SQL-looking handles, script in notes, and a wrong-PIN burst.
func (d *day) hostile(end time.Time) {
	base := func(k int) string { return d.inst(k).base() }
	refused := func(a answer) bool { return a.Status >= 400 && a.Status < 500 }
	hasCode := func(a answer) bool { return strings.Contains(string(a.Body), `"error":{"code":`) }
	manualDone := false
	for k := 0; time.Now().Before(end); k++ {
		time.Sleep(d.minute() / 2)
		// A dead instance or PostgreSQL restart answers no one; only real answers are judged.
		judge := func(what string, a answer, ok func(answer) bool) {
			if a.Status != 0 && a.Status < 500 {
				d.judged(true, what, ok(a))
			}
		}
		claims := base(k) + "/api/v1/campaigns/" + slug + "/claims"
		judge("a malformed claim body is 400 with an error code", d.c.do("POST", claims, []byte(`{"network":`)),
			func(a answer) bool { return a.Status == 400 && hasCode(a) })
		judge("an oversized claim body is 413", d.c.do("POST", claims, bytes.Repeat([]byte("x"), 200<<10)),
			func(a answer) bool { return a.Status == 413 && hasCode(a) })
		judge("a SQL-looking handle is refused or stored as text", d.c.do("POST", claims,
			[]byte(fmt.Sprintf(`{"network":"twitter","handle":"x%d'); DROP TABLE claims;--"}`, k))),
			func(a answer) bool { return refused(a) || a.Status == 201 })

		forged := "Bearer forged-" + newKey()
		judge("a forged staff token cannot list claims", d.c.do("GET", claims+"?status=verified", nil, "Authorization", forged),
			func(a answer) bool { return a.Status == 401 })
		judge("a forged staff token cannot give", d.c.do("POST", base(k)+"/api/v1/claims/1/give", []byte(`{"prize":"sticker"}`),
			"Authorization", forged, "Idempotency-Key", newKey()), func(a answer) bool { return a.Status == 401 })
		judge("a forged admin token cannot create staff", d.c.do("POST", base(k)+"/api/v1/staff",
			[]byte(`{"name":"mallory","pin":"111111","role":"admin"}`), "Authorization", forged), func(a answer) bool { return a.Status == 401 })
		judge("a forged ingest token cannot post tweets", d.c.do("POST", base(k)+"/api/v1/ingest/tweets",
			[]byte(`{"data":{"id":"1","text":"#PyConAPAC #Elastic"}}`), "Authorization", forged), func(a answer) bool { return a.Status == 401 })
		ingest := base(k) + "/api/v1/ingest/tweets"
		judge("a forged X webhook signature is refused", d.c.do("POST", ingest,
			[]byte(`{"for_user_id":"1","tweet_create_events":[]}`), "X-Twitter-Webhooks-Signature", "sha256="+newKey()),
			func(a answer) bool { return a.Status == 401 })
		judge("a forged signed push is refused", d.c.do("POST", ingest, []byte(`{"data":{"id":"1","text":"#PyConAPAC"}}`),
			"X-Giveaway-Timestamp", fmt.Sprint(time.Now().Unix()), "X-Giveaway-Signature", "sha256="+newKey()),
			func(a answer) bool { return a.Status == 401 })
		judge("a guessed claim token finds nothing", d.c.do("GET", base(k)+"/api/v1/claims/"+newKey()+newKey(), nil),
			func(a answer) bool { return a.Status == 404 })

		if !manualDone {
			a := d.c.do("POST", base(k)+"/api/v1/campaigns/"+slug+"/manual-claims",
				[]byte(`{"network":"instagram","handle":"mallory.ig","post_url":"https://www.instagram.com/p/hostile1/","note":"`+scriptTag+`"}`),
				"Authorization", "Bearer "+adminToken, "Idempotency-Key", newKey())
			judge("a manual claim with script in its note is stored (as text)", a,
				func(a answer) bool { return a.Status == 201 || a.Status == 200 })
			if a.Status == 200 || a.Status == 201 {
				manualDone = true
			}
		}
	}
	d.pinBurst()
	d.pagesEscaped()
}

// pinBurst: wrong PINs against one staff name until the login locks; the right PIN is then
// refused too while the lock holds.
func (d *day) pinBurst() {
	login := func(pin string) answer {
		return d.c.do("POST", d.inst(0).base()+"/api/v1/auth/login", []byte(fmt.Sprintf(`{"name":"victim","pin":%q}`, pin)))
	}
	locked := false
	for i := 0; i < 30 && !locked; i++ {
		a := login(fmt.Sprintf("%06d", 100000+i))
		if a.Status == 200 {
			d.judged(true, "a wrong PIN never logs in", false)
			return
		}
		locked = a.Status == 429
	}
	d.judged(true, "a wrong-PIN burst locks the login (429)", locked)
	if locked {
		d.judged(true, "the right PIN is refused while the lock holds", login(staffPIN).Status != 200)
	}
}

// pagesEscaped: the pages that show posts and claims never serve the injected script as markup.
func (d *day) pagesEscaped() {
	for _, p := range []string{"/c/" + slug, "/c/" + slug + "/wall", "/c/" + slug + "/wall/posts", "/c/" + slug + "/report"} {
		a := d.c.do("GET", d.inst(0).base()+p, nil, "Authorization", "Bearer "+adminToken)
		d.judged(true, fmt.Sprintf("%s (HTTP %d) serves no injected script", p, a.Status),
			a.Status == 0 || !strings.Contains(string(a.Body), scriptTag))
	}
}
