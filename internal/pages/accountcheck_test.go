package pages_test

import (
	"context"
	stdhtml "html"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// The tablet's give form (without JavaScript) asks staff to tick that they checked, on the
// attendee's phone, that the claim is theirs: the account for a claim proven by its handle only,
// the claim's live page for one proven by its code. The code is public in the post, so a stranger
// who read it could otherwise collect the prize by typing it (or the handle) at the booth. The
// server refuses the give without the tick, says why, and records it.
func TestTheTabletFormRequiresThePhoneCheckUnlessStaffProvedTheClaim(t *testing.T) {
	en := newEnv(t)
	ctx := context.Background()
	for _, h := range []string{"checked", "unchecked"} {
		en.claim(en.client(), h)
		en.tweet(h, "At the booth #PyConAPAC #Elastic")
	}
	codes := map[string]string{}
	for _, h := range []string{"coded", "codedchecked"} {
		en.claim(en.client(), h)
		var code string
		if err := en.Pool.QueryRow(ctx, `SELECT code FROM claims WHERE handle = $1`, h).Scan(&code); err != nil {
			t.Fatal(err)
		}
		codes[h] = code
		en.tweet(h, "#PyConAPAC #Elastic "+code)
	}
	c := en.client()
	en.login(c, "Janis")
	_, html := en.get(c, "/staff?c="+slug)
	// Each claim says how it was proven and what to check; every give form carries the checkbox
	// and the attribute the tablet's script gates on.
	if n := strings.Count(html, `data-verified-by="handle"`); n != 2 {
		t.Errorf("%d give forms with data-verified-by=handle, want 2", n)
	}
	if n := strings.Count(html, `name="account_checked"`); n != 4 {
		t.Errorf("%d account_checked boxes, want 4", n)
	}
	if n := strings.Count(html, `data-check="Check their account on their phone"`); n != 2 {
		t.Errorf("%d handle-proven forms ask to check the account, want 2", n)
	}
	if !strings.Contains(html, `data-check="Check their phone shows this claim&#39;s page, code `+codes["coded"]+`"`) {
		t.Errorf("the code-proven claim does not ask to see its page with its code")
	}
	if !strings.Contains(html, `data-verified-by="code"`) || !strings.Contains(html, ">by code<") ||
		!strings.Contains(html, ">by handle — check phone<") {
		t.Errorf("proof badges missing: %s", html)
	}
	for h, form := range map[string]url.Values{
		"checked":      {"prize": {"tshirt"}, "account_checked": {"1"}},
		"unchecked":    {"prize": {"tshirt"}},
		"coded":        {"prize": {"tshirt"}},
		"codedchecked": {"prize": {"tshirt"}, "account_checked": {"1"}},
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
		case "unchecked", "coded":
			if n != 0 {
				t.Errorf("%s: given without the phone check", h)
			}
			// The tablet says what to do.
			if _, page := en.get(c, "/staff?c="+slug); !strings.Contains(page, "Check on their phone that this claim is theirs and tick the box") {
				t.Errorf("%s: no message for the refused give", h)
			}
		default:
			if n != 1 || !checked {
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
