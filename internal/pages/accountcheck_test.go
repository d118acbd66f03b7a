package pages_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"
)

// The tablet's give form (without JavaScript) passes on "I checked their account on their phone".
func TestTheTabletFormRecordsThatTheAccountWasChecked(t *testing.T) {
	en := newEnv(t)
	ctx := context.Background()
	for _, h := range []string{"checked", "unchecked"} {
		en.claim(en.client(), h)
		en.tweet(h, "At the booth #PyConAPAC #Elastic")
	}
	c := en.client()
	en.login(c, "Janis")
	_, html := en.get(c, "/staff?c="+slug)
	for h, form := range map[string]url.Values{
		"checked":   {"prize": {"tshirt"}, "account_checked": {"1"}},
		"unchecked": {"prize": {"tshirt"}},
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
		var checked bool
		if err := en.Pool.QueryRow(ctx, `SELECT account_checked FROM giveaways WHERE claim_id = $1`, id).Scan(&checked); err != nil {
			t.Fatalf("give to %s: %v", h, err)
		}
		if checked != (h == "checked") {
			t.Errorf("give to %s: account_checked %v", h, checked)
		}
	}
}
