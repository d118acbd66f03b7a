package pages_test

import (
	"context"
	stdhtml "html"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// The tablet's give form (without JavaScript) for a claim proven by its handle only asks staff to
// tick "I checked their account on their phone"; the server refuses the give without it, says
// why, and records the tick. A claim proven by its code needs no tick.
func TestTheTabletFormRequiresTheAccountCheckForAHandleProvenClaim(t *testing.T) {
	en := newEnv(t)
	ctx := context.Background()
	for _, h := range []string{"checked", "unchecked"} {
		en.claim(en.client(), h)
		en.tweet(h, "At the booth #PyConAPAC #Elastic")
	}
	en.claim(en.client(), "coded")
	var code string
	if err := en.Pool.QueryRow(ctx, `SELECT code FROM claims WHERE handle = 'coded'`).Scan(&code); err != nil {
		t.Fatal(err)
	}
	en.tweet("coded", "#PyConAPAC #Elastic "+code)
	c := en.client()
	en.login(c, "Janis")
	_, html := en.get(c, "/staff?c="+slug)
	// Each claim says how it was proven; the handle-proven ones carry the checkbox and the
	// attribute the tablet's script gates on.
	if n := strings.Count(html, `data-verified-by="handle"`); n != 2 {
		t.Errorf("%d give forms with data-verified-by=handle, want 2", n)
	}
	if n := strings.Count(html, `name="account_checked"`); n != 2 {
		t.Errorf("%d account_checked boxes, want 2 (none for the code-proven claim)", n)
	}
	if !strings.Contains(html, `data-verified-by="code"`) || !strings.Contains(html, ">by code<") ||
		!strings.Contains(html, ">by handle — check phone<") {
		t.Errorf("proof badges missing: %s", html)
	}
	for h, form := range map[string]url.Values{
		"checked":   {"prize": {"tshirt"}, "account_checked": {"1"}},
		"unchecked": {"prize": {"tshirt"}},
		"coded":     {"prize": {"tshirt"}},
	} {
		var id int64
		if err := en.Pool.QueryRow(ctx, `SELECT id FROM claims WHERE handle = $1`, h).Scan(&id); err != nil {
			t.Fatal(err)
		}
		form.Set("c", slug)
		form.Set("_csrf", csrfOf(t, html))
		if res, _ := en.post(c, "/staff/claims/"+itoa(id)+"/give", form); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("give to %s: %d", h, res.StatusCode)
		}
		var n int
		var checked bool
		if err := en.Pool.QueryRow(ctx, `SELECT count(*), coalesce(bool_or(account_checked), false) FROM giveaways
			WHERE claim_id = $1`, id).Scan(&n, &checked); err != nil {
			t.Fatalf("give to %s: %v", h, err)
		}
		switch h {
		case "unchecked":
			if n != 0 {
				t.Errorf("a handle-proven claim was given without the account check")
			}
			// The tablet says what to do.
			if _, page := en.get(c, "/staff?c="+slug); !strings.Contains(page, "check their account on their phone and tick the box") {
				t.Errorf("no message for the refused give")
			}
		default:
			if n != 1 || checked != (h == "checked") {
				t.Errorf("give to %s: %d gives, account_checked %v", h, n, checked)
			}
		}
	}
}

// The status page of a pending claim offers the post that proves it: the hashtags and the claim's
// code, pre-filled on X's compose page; once verified, the page no longer asks for it.
func TestTheStatusPageOffersThePostWithTheCode(t *testing.T) {
	en := newEnv(t)
	tok := en.claim(en.client(), "minji")
	var code string
	if err := en.Pool.QueryRow(context.Background(), `SELECT code FROM claims WHERE handle = 'minji'`).Scan(&code); err != nil {
		t.Fatal(err)
	}
	_, html := en.get(en.client(), "/claims/"+tok)
	want := "https://x.com/intent/post?text=" + url.QueryEscape("#PyConAPAC #Elastic "+code)
	if !strings.Contains(stdhtml.UnescapeString(html), `href="`+want+`"`) {
		t.Fatalf("no Post on X link with the code %s: %s", code, html)
	}
	if !strings.Contains(html, ">#PyConAPAC #Elastic "+code+"<") {
		t.Errorf("the text to post is not shown")
	}
	// The claim page tells attendees why to post from their claim page.
	if _, claimPage := en.get(en.client(), "/c/"+slug); !strings.Contains(claimPage, `id="code-rule"`) {
		t.Errorf("the claim page does not explain the code")
	}
}

// verifiedBy is how the claim with this code was proven.
func (en *env) verifiedBy(code string) string {
	en.t.Helper()
	var by *string
	if err := en.Pool.QueryRow(context.Background(), `SELECT verified_by FROM claims WHERE code = $1`, code).Scan(&by); err != nil {
		en.t.Fatal(err)
	}
	if by == nil {
		return ""
	}
	return *by
}
