package pages_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/boothgiveaway/giveaway/internal/app"
	"github.com/boothgiveaway/giveaway/internal/housekeeping"
	"github.com/boothgiveaway/giveaway/internal/oauth"
	"github.com/boothgiveaway/giveaway/internal/oauth/oauthtest"
)

// signInEnv is the service with both sign-ins on, against the local OAuth double. private lets
// outbound calls reach the double on 127.0.0.1 (the SSRF guard's test switch); without it every
// Mastodon instance name is sent to the double's address, as a name resolving there would be.
func signInEnv(t *testing.T, private bool, tune func(*oauth.Config)) (*env, *oauthtest.Server) {
	t.Helper()
	double := oauthtest.New()
	t.Cleanup(double.Close)
	en := newEnvWith(t, func(c *app.Config) {
		cfg := oauth.Config{PublicBaseURL: c.PublicBaseURL, XClientID: double.XClientID,
			XAuthorizeURL: double.URL + "/i/oauth2/authorize", XTokenURL: double.URL + "/2/oauth2/token",
			XAPIURL: double.URL, Mastodon: true, MastodonURL: func(string) string { return double.URL },
			AllowPrivate: private}
		if tune != nil {
			tune(&cfg)
		}
		c.OAuth = cfg
	})
	return en, double
}

// claimOn makes a claim on a network through the attendee form and answers its token.
func (en *env) claimOn(c *http.Client, network, handle string) string {
	en.t.Helper()
	_, html := en.get(c, "/c/"+slug)
	res, body := en.post(c, "/c/"+slug, url.Values{"_csrf": {csrfOf(en.t, html)}, "network": {network}, "handle": {handle}})
	if res.StatusCode != http.StatusSeeOther {
		en.t.Fatalf("claim: %d %s", res.StatusCode, body)
	}
	token, _ := strings.CutPrefix(res.Header.Get("Location"), "/claims/")
	return token
}

// startSignIn presses the claim page's sign-in button and answers where the browser is sent.
func (en *env) startSignIn(c *http.Client, token, provider, instance string) (*http.Response, string) {
	en.t.Helper()
	// A form's token from the claim's page, or where it offers no sign-in, from the staff login
	// (the claim page sends a phone holding a claim back to that claim).
	_, html := en.get(c, "/claims/"+token)
	if !csrfField.MatchString(html) {
		_, html = en.get(c, "/staff")
	}
	form := url.Values{"_csrf": {csrfOf(en.t, html)}}
	if instance != "" {
		form.Set("instance", instance)
	}
	return en.post(c, "/claims/"+token+"/signin/"+provider, form)
}

// atProvider follows the browser to the provider's authorize page, where the user says yes (or
// no), and answers the callback URL the provider sends it back to.
func (en *env) atProvider(authorize string) string {
	en.t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Get(authorize)
	if err != nil {
		en.t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusFound {
		en.t.Fatalf("authorize %s: %d", authorize, res.StatusCode)
	}
	return res.Header.Get("Location")
}

// signIn runs a whole sign-in in browser c and answers the callback's answer.
func (en *env) signIn(c *http.Client, token, provider, instance string) (*http.Response, string) {
	en.t.Helper()
	res, body := en.startSignIn(c, token, provider, instance)
	if res.StatusCode != http.StatusSeeOther {
		en.t.Fatalf("sign-in start: %d %s", res.StatusCode, body)
	}
	return en.callback(c, en.atProvider(res.Header.Get("Location")))
}

func (en *env) callback(c *http.Client, u string) (*http.Response, string) {
	en.t.Helper()
	if !strings.HasPrefix(u, en.URL+"/oauth/callback/") {
		en.t.Fatalf("provider sent the browser to %q", u)
	}
	return en.get(c, strings.TrimPrefix(u, en.URL))
}

type claimRow struct {
	Status     string
	VerifiedBy *string
	Proven     bool
	Events     []string
}

func (en *env) claimRow(token string) claimRow {
	en.t.Helper()
	ctx := context.Background()
	cl, err := en.GA.ClaimByToken(ctx, token)
	if err != nil {
		en.t.Fatal(err)
	}
	r := claimRow{Status: cl.Status, VerifiedBy: cl.VerifiedBy, Proven: cl.ProvenAccount}
	rows, err := en.Pool.Query(ctx, `SELECT action FROM audit_log WHERE claim_id = $1 ORDER BY id`, cl.ID)
	if err != nil {
		en.t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var a string
		rows.Scan(&a)
		r.Events = append(r.Events, a)
	}
	return r
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

func mustContain(t *testing.T, body string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("page lacks %q:\n%s", w, body)
		}
	}
}

// A claim verified by the handle alone is raised to 'oauth' when its attendee signs in to that
// account on X, public and confidential clients alike; the claim page then says so.
func TestSignInXRaisesHandleProof(t *testing.T) {
	for _, secret := range []string{"", "x-secret-for-a-confidential-client"} {
		t.Run("secret="+secret, func(t *testing.T) {
			en, double := signInEnv(t, true, func(c *oauth.Config) { c.XClientSecret = secret })
			double.XClientSecret = secret
			post := en.tweet("carol_v", "At the booth #PyConAPAC #Elastic")
			phone := en.client()
			token := en.claim(phone, "carol_v")
			if r := en.claimRow(token); r.Status != "verified" || deref(r.VerifiedBy) != "handle" {
				t.Fatalf("before sign-in: %+v", r)
			}
			queued := func() (n int) {
				en.Pool.QueryRow(context.Background(), `SELECT count(*) FROM outbox WHERE kind = 'tweet' AND ref_id = $1`, post).Scan(&n)
				return n
			}
			before := queued()
			res, page := en.get(phone, "/claims/"+token)
			mustContain(t, page, "Sign in with X", `action="/claims/`+token+`/signin/x"`)
			// Browsers apply form-action to the start's redirect: the page allows X, nothing more.
			if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' "+double.URL+";") {
				t.Errorf("CSP does not let the sign-in form reach X: %s", csp)
			}
			if strings.Contains(page, "Sign in with Mastodon") {
				t.Error("an X claim offers Mastodon")
			}

			res, _ = en.signIn(phone, token, "x", "")
			if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/claims/"+token {
				t.Fatalf("callback: %d to %q", res.StatusCode, res.Header.Get("Location"))
			}
			r := en.claimRow(token)
			if r.Status != "verified" || deref(r.VerifiedBy) != "oauth" || !r.Proven {
				t.Fatalf("after sign-in: %+v", r)
			}
			if r.Events[len(r.Events)-1] != "signed_in" {
				t.Errorf("events %v: want signed_in last", r.Events)
			}
			if queued() != before+1 {
				t.Error("the post's document was not queued again with its new proof")
			}
			res, page = en.get(phone, "/claims/"+token)
			mustContain(t, page, "Signed in: this claim belongs to")
			if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self';") {
				t.Errorf("CSP still widened without a sign-in form: %s", csp)
			}
			if strings.Contains(page, "Sign in with X") {
				t.Error("the page still offers the sign-in")
			}
		})
	}
}

// Signing in proves who holds the claim, not that they posted: a pending claim stays pending,
// and its post, when it comes, verifies it as 'oauth' (not 'handle').
func TestSignInBeforePostVerifiesAsOAuth(t *testing.T) {
	en, _ := signInEnv(t, true, nil)
	phone := en.client()
	token := en.claim(phone, "carol_v")
	if res, body := en.signIn(phone, token, "x", ""); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("callback: %d %s", res.StatusCode, body)
	}
	if r := en.claimRow(token); r.Status != "pending" || !r.Proven {
		t.Fatalf("signed in without a post: %+v", r)
	}
	en.tweet("Carol_V", "Here #PyConAPAC #Elastic")
	if r := en.claimRow(token); r.Status != "verified" || deref(r.VerifiedBy) != "oauth" {
		t.Fatalf("post after sign-in: %+v", r)
	}
}

// Mastodon: the service registers itself on the attendee's instance once, signs in there, and a
// stored eligible post of user@instance verifies the pending claim as 'oauth'.
func TestSignInMastodonVerifiesWithStoredPost(t *testing.T) {
	en, double := signInEnv(t, true, nil)
	phone := en.client()
	token := en.claimOn(phone, "mastodon", "jisu@mastodon.social")
	res, page := en.get(phone, "/claims/"+token)
	mustContain(t, page, "Sign in with Mastodon", `name="instance"`, `value="mastodon.social"`)
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' "+double.URL+";") {
		t.Errorf("CSP does not let the sign-in form reach the instance: %s", csp)
	}
	// A post the matcher has not seen yet (as when a campaign asked for the code): stored only.
	if _, err := en.Pool.Exec(context.Background(), `INSERT INTO tweets (network, id, version_id, handle, handle_norm,
		created_at, text, hashtags, hashtags_norm)
		SELECT 'mastodon', 'https://mastodon.social/users/jisu/statuses/1', 'v1', 'jisu@mastodon.social',
		       'jisu@mastodon.social', now(), 'hi', required_hashtags, required_hashtags FROM campaigns`); err != nil {
		t.Fatal(err)
	}
	res, body := en.signIn(phone, token, "mastodon", "Mastodon.Social")
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("callback: %d %s", res.StatusCode, body)
	}
	r := en.claimRow(token)
	if r.Status != "verified" || deref(r.VerifiedBy) != "oauth" {
		t.Fatalf("after sign-in: %+v", r)
	}
	if strings.Join(r.Events, ",") != "claimed,signed_in,verified" {
		t.Errorf("events %v", r.Events)
	}
	// A second attendee of the same instance reuses the registration.
	other := en.client()
	token2 := en.claimOn(other, "mastodon", "minho@mastodon.social")
	double.Set(func(s *oauthtest.Server) { s.MastodonUser = "minho" })
	if res, body := en.signIn(other, token2, "mastodon", "mastodon.social"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("second sign-in: %d %s", res.StatusCode, body)
	}
	if n := double.Registrations.Load(); n != 1 {
		t.Errorf("registered %d times on one instance", n)
	}
}

// Signing in to another account than the claim's is 409 account_mismatch and changes nothing.
func TestSignInOtherAccountRefused(t *testing.T) {
	en, double := signInEnv(t, true, nil)
	en.tweet("carol_v", "At the booth #PyConAPAC #Elastic")
	phone := en.client()
	token := en.claim(phone, "carol_v")
	double.Set(func(s *oauthtest.Server) { s.XUser = "mallory" })
	res, body := en.signIn(phone, token, "x", "")
	if res.StatusCode != http.StatusConflict {
		t.Fatalf("callback: %d %s", res.StatusCode, body)
	}
	mustContain(t, body, "different account", `href="/claims/`+token+`"`)
	if r := en.claimRow(token); deref(r.VerifiedBy) != "handle" || r.Proven || len(r.Events) != 2 {
		t.Fatalf("claim changed: %+v", r)
	}
}

// A state works once: the same callback again (a reload, or a stolen URL) is refused.
func TestSignInStateIsOneUse(t *testing.T) {
	en, _ := signInEnv(t, true, nil)
	phone := en.client()
	token := en.claim(phone, "carol_v")
	res, _ := en.startSignIn(phone, token, "x", "")
	back := en.atProvider(res.Header.Get("Location"))
	if res, body := en.callback(phone, back); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("first callback: %d %s", res.StatusCode, body)
	}
	res, body := en.callback(phone, back)
	if res.StatusCode != http.StatusBadRequest {
		t.Fatalf("replayed callback: %d", res.StatusCode)
	}
	mustContain(t, body, "already used or has expired")
}

// The login-CSRF attack: Mallory starts a sign-in for her claim and gets Carol's browser to
// finish it (a link to the callback with Mallory's code and state). Carol's browser lacks the
// cookie the flow is bound to, or holds its own flow's: refused, and nothing changes. Nor can a
// flow started in one browser be finished in another.
func TestSignInCallbackFromAnotherBrowserRefused(t *testing.T) {
	en, _ := signInEnv(t, true, nil)
	mallory := en.client()
	token := en.claim(mallory, "carol_v")
	res, _ := en.startSignIn(mallory, token, "x", "")
	back := en.atProvider(res.Header.Get("Location"))

	carol := en.client() // no sign-in cookie at all
	res, body := en.callback(carol, back)
	if res.StatusCode != http.StatusForbidden {
		t.Fatalf("callback without the cookie: %d", res.StatusCode)
	}
	mustContain(t, body, "started in another browser")

	// Carol's browser with a sign-in of its own under way.
	res, _ = en.startSignIn(mallory, token, "x", "")
	back = en.atProvider(res.Header.Get("Location"))
	carolsOwn, _ := en.startSignIn(carol, token, "x", "")
	if carolsOwn.StatusCode != http.StatusSeeOther {
		t.Fatal("carol could not start her own sign-in")
	}
	if res, _ := en.callback(carol, back); res.StatusCode != http.StatusForbidden {
		t.Fatalf("callback with another flow's cookie: %d", res.StatusCode)
	}
	if r := en.claimRow(token); r.Proven || r.Status != "pending" || len(r.Events) != 1 {
		t.Fatalf("claim changed: %+v", r)
	}
}

// A sign-in that comes back after ten minutes is refused; housekeeping removes such states.
func TestSignInExpiredStateRefused(t *testing.T) {
	en, _ := signInEnv(t, true, nil)
	phone := en.client()
	token := en.claim(phone, "carol_v")
	res, _ := en.startSignIn(phone, token, "x", "")
	back := en.atProvider(res.Header.Get("Location"))
	ctx := context.Background()
	if _, err := en.Pool.Exec(ctx, `UPDATE oauth_states SET expires_at = now() - interval '1 second'`); err != nil {
		t.Fatal(err)
	}
	if res, _ := en.callback(phone, back); res.StatusCode != http.StatusBadRequest {
		t.Fatalf("expired callback: %d", res.StatusCode)
	}
	if r := en.claimRow(token); r.Proven {
		t.Fatal("an expired sign-in proved the account")
	}
	en.startSignIn(phone, token, "x", "")
	if _, err := en.Pool.Exec(ctx, `UPDATE oauth_states SET expires_at = now() - interval '1 second'`); err != nil {
		t.Fatal(err)
	}
	if _, _, err := housekeeping.Once(ctx, en.Pool, time.Now()); err != nil {
		t.Fatal(err)
	}
	var left int
	en.Pool.QueryRow(ctx, `SELECT count(*) FROM oauth_states`).Scan(&left)
	if left != 0 {
		t.Fatalf("%d expired states left after housekeeping", left)
	}
}

// PKCE: a code is worth nothing without its flow's verifier. A code intercepted from one flow
// and delivered with another flow's state is refused by the provider; nothing changes.
func TestSignInCodeWithoutItsVerifierRefused(t *testing.T) {
	en, _ := signInEnv(t, true, nil)
	victim, attacker := en.client(), en.client()
	token := en.claim(victim, "carol_v")
	res, _ := en.startSignIn(victim, token, "x", "")
	stolen, _ := url.Parse(en.atProvider(res.Header.Get("Location")))
	res, _ = en.startSignIn(attacker, token, "x", "")
	own, _ := url.Parse(en.atProvider(res.Header.Get("Location")))
	q := own.Query()
	q.Set("code", stolen.Query().Get("code"))
	own.RawQuery = q.Encode()
	res, body := en.callback(attacker, own.String())
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("code with another verifier: %d %s", res.StatusCode, body)
	}
	mustContain(t, body, "could not be completed")
	if r := en.claimRow(token); r.Proven {
		t.Fatal("a code without its verifier proved the account")
	}
}

// The attendee says no at the provider, or the provider fails: a clear page, nothing changes.
func TestSignInDeniedOrFailing(t *testing.T) {
	en, double := signInEnv(t, true, nil)
	phone := en.client()
	token := en.claim(phone, "carol_v")
	double.Set(func(s *oauthtest.Server) { s.Deny = true })
	res, body := en.signIn(phone, token, "x", "")
	if res.StatusCode != http.StatusForbidden {
		t.Fatalf("denied: %d", res.StatusCode)
	}
	mustContain(t, body, "cancelled", `href="/claims/`+token+`"`)
	double.Set(func(s *oauthtest.Server) { s.Deny, s.FailToken = false, true })
	if res, _ := en.signIn(phone, token, "x", ""); res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("token endpoint down: %d", res.StatusCode)
	}
	if r := en.claimRow(token); r.Proven || len(r.Events) != 1 {
		t.Fatalf("claim changed: %+v", r)
	}
}

// SSRF: the Mastodon instance is typed by anyone. Names that are not public host names are
// refused before any request; a name that resolves to a private address is refused when the
// service dials (so DNS rebinding cannot slip one in): the double on 127.0.0.1 stands for where
// such a name points, and it never hears a thing.
func TestSignInMastodonInstanceSSRF(t *testing.T) {
	en, double := signInEnv(t, false, nil)
	phone := en.client()
	token := en.claimOn(phone, "mastodon", "jisu@evil.example")
	for _, name := range []string{"127.0.0.1", "localhost", "10.0.0.1", "[::1]", "::1", "169.254.169.254",
		"https://mastodon.social", "mastodon.social:8080", "mastodon.social/path", "jisu@mastodon.social",
		"2130706433", "0x7f.1", "mastodon.social.", ""} {
		res, body := en.startSignIn(phone, token, "mastodon", name)
		if res.StatusCode != http.StatusBadRequest {
			t.Errorf("instance %q: %d", name, res.StatusCode)
			continue
		}
		if name != "" {
			mustContain(t, body, "server&#39;s name only")
		}
	}
	res, body := en.startSignIn(phone, token, "mastodon", "evil.example")
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("instance resolving to loopback: %d %s", res.StatusCode, body)
	}
	mustContain(t, body, "Could not reach that Mastodon server")
	if n := double.Requests.Load(); n != 0 {
		t.Fatalf("the guard let %d requests through", n)
	}
}

// Sign-in is offered only where configured, and starting it where it is not is 404.
func TestSignInOnlyWhereConfigured(t *testing.T) {
	en := newEnv(t) // no OAuth
	phone := en.client()
	token := en.claim(phone, "carol_v")
	_, page := en.get(phone, "/claims/"+token)
	if strings.Contains(page, "Sign in with") {
		t.Fatal("sign-in offered without configuration")
	}
	if res, _ := en.startSignIn(phone, token, "x", ""); res.StatusCode != http.StatusNotFound {
		t.Fatalf("start without configuration: %d", res.StatusCode)
	}
}

// Each start calls out to a provider: one address has a budget of them.
func TestSignInStartsAreRateLimited(t *testing.T) {
	en, _ := signInEnv(t, true, nil)
	phone := en.client()
	token := en.claim(phone, "carol_v")
	_, html := en.get(phone, "/claims/"+token)
	form := url.Values{"_csrf": {csrfOf(t, html)}}
	last := 0
	for range 70 {
		res, _ := en.post(phone, "/claims/"+token+"/signin/x", form)
		if last = res.StatusCode; last == http.StatusTooManyRequests {
			break
		}
	}
	if last != http.StatusTooManyRequests {
		t.Fatalf("70 starts from one address: last %d", last)
	}
}

// An instance vouches for its own accounts only: one answering with a full address on another
// instance proves nothing, and another instance than the claim's is refused before any call.
func TestSignInMastodonInstanceSpeaksForItselfOnly(t *testing.T) {
	en, double := signInEnv(t, true, nil)
	victim := en.client()
	token := en.claimOn(victim, "mastodon", "jisu@mastodon.social")
	res, body := en.startSignIn(victim, token, "mastodon", "evil.example")
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("another instance: %d %s", res.StatusCode, body)
	}
	mustContain(t, body, "the part after @")
	if n := double.Requests.Load(); n != 0 {
		t.Fatalf("%d requests to another instance", n)
	}
	// The claim's instance itself answering for a remote account.
	double.Set(func(s *oauthtest.Server) { s.MastodonUser = "jisu@elsewhere.example" })
	if res, _ := en.signIn(victim, token, "mastodon", "mastodon.social"); res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("remote acct: %d", res.StatusCode)
	}
	if r := en.claimRow(token); r.Proven {
		t.Fatal("an instance proved an account that is not its own")
	}
}

// A provider that stalls or answers without end is cut off: the sign-in fails, nothing changes.
func TestSignInSlowOrHugeProviderCutOff(t *testing.T) {
	en, double := signInEnv(t, true, func(c *oauth.Config) { c.Timeout = 300 * time.Millisecond })
	phone := en.client()
	token := en.claim(phone, "carol_v")
	res, _ := en.startSignIn(phone, token, "x", "")
	back := en.atProvider(res.Header.Get("Location"))
	double.Set(func(s *oauthtest.Server) { s.Slow = 5 * time.Second })
	if res, _ := en.callback(phone, back); res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("stalled token endpoint: %d", res.StatusCode)
	}
	double.Set(func(s *oauthtest.Server) { s.Slow, s.Huge = 0, true })
	if res, _ := en.signIn(phone, token, "x", ""); res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("endless account answer: %d", res.StatusCode)
	}
	if r := en.claimRow(token); r.Proven {
		t.Fatal("claim changed")
	}
}

// Where the campaign requires the code, signing in does not verify with a post lacking it (as
// matching would not); the account is still recorded as proven.
func TestSignInHonoursRequireCode(t *testing.T) {
	en, _ := signInEnv(t, true, nil)
	ctx := context.Background()
	if _, err := en.Pool.Exec(ctx, `UPDATE campaigns SET require_code = true`); err != nil {
		t.Fatal(err)
	}
	phone := en.client()
	token := en.claim(phone, "carol_v")
	if _, err := en.Pool.Exec(ctx, `INSERT INTO tweets (network, id, version_id, handle, handle_norm, created_at, text,
		hashtags, hashtags_norm) SELECT 'twitter', '1764800000000000001', 'v1', 'carol_v', 'carol_v', now(), 'no code',
		required_hashtags, required_hashtags FROM campaigns`); err != nil {
		t.Fatal(err)
	}
	if res, body := en.signIn(phone, token, "x", ""); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("callback: %d %s", res.StatusCode, body)
	}
	if r := en.claimRow(token); r.Status != "pending" || !r.Proven {
		t.Fatalf("require_code campaign: %+v", r)
	}
}

// A sign-in and the attendee's post arriving at the same moment: whichever commits first, the
// claim ends verified by 'oauth' (the person's matching lock orders them; the trigger raises a
// handle proof of a proven account), and neither waits on the other for good.
func TestSignInRacesThePost(t *testing.T) {
	en, _ := signInEnv(t, true, nil)
	ctx := context.Background()
	for i := range 8 {
		handle := "racer_" + string(rune('a'+i))
		token := en.claim(en.client(), handle)
		cl, err := en.GA.ClaimByToken(ctx, token)
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() {
			_, err := en.GA.ProveAccount(ctx, cl.ID, "twitter", "x", handle)
			done <- err
		}()
		en.tweet(handle, "Racing #PyConAPAC #Elastic")
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if r := en.claimRow(token); r.Status != "verified" || deref(r.VerifiedBy) != "oauth" {
			t.Fatalf("%s: %+v", handle, r)
		}
	}
}

// Sign-in is refused where it adds nothing: a provider of another network, or a claim staff
// already decided.
func TestSignInRefusedWhereNotWanted(t *testing.T) {
	en, _ := signInEnv(t, true, nil)
	phone := en.client()
	token := en.claim(phone, "carol_v")
	if res, _ := en.startSignIn(phone, token, "mastodon", "mastodon.social"); res.StatusCode != http.StatusNotFound {
		t.Fatalf("mastodon sign-in for an X claim: %d", res.StatusCode)
	}
	if _, err := en.Pool.Exec(context.Background(), `UPDATE claims SET status = 'rejected'`); err != nil {
		t.Fatal(err)
	}
	res, body := en.startSignIn(phone, token, "x", "")
	if res.StatusCode != http.StatusConflict {
		t.Fatalf("rejected claim: %d", res.StatusCode)
	}
	mustContain(t, body, "needs no sign-in")
}
