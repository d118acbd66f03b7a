package pages

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/boothgiveaway/giveaway/internal/edge"
	"github.com/boothgiveaway/giveaway/internal/giveaway"
	"github.com/boothgiveaway/giveaway/internal/oauth"
)

// signInView is the status page's sign-in part.
type signInView struct {
	X, Mastodon bool
	Instance    string // the claim's instance, to pre-fill the field
}

// signInFor says which sign-ins the status page offers for a claim.
func (p *Pages) signInFor(cl *giveaway.Claim) *signInView {
	if cl.ProvenAccount || !giveaway.SignInWanted(cl) {
		return nil
	}
	v := &signInView{X: cl.Network == "twitter" && p.deps.OAuth.Enabled(oauth.X),
		Mastodon: cl.Network == "mastodon" && p.deps.OAuth.Enabled(oauth.Mastodon)}
	if _, inst, ok := strings.Cut(cl.Handle, "@"); ok {
		v.Instance = inst
	}
	if !v.X && !v.Mastodon {
		return nil
	}
	return v
}

// allowSignInForms widens the page's form-action to the providers its sign-in forms go to (the
// start's redirect is part of the form's navigation); everything else stays as strict.
func (p *Pages) allowSignInForms(c echo.Context, v *signInView) {
	var origins []string
	if v.X {
		origins = append(origins, p.deps.OAuth.AuthorizeOrigin(oauth.X, ""))
	}
	if v.Mastodon {
		origins = append(origins, p.deps.OAuth.AuthorizeOrigin(oauth.Mastodon, v.Instance))
	}
	extra := ""
	for _, o := range origins {
		if o != "" {
			extra += " " + o
		}
	}
	if extra != "" {
		c.Response().Header().Set("Content-Security-Policy",
			strings.Replace(csp, "form-action 'self'", "form-action 'self'"+extra, 1))
	}
}

func claimPath(token string) string { return edge.ClaimStatusURL("", token) }

// signInStart begins "Sign in with X/Mastodon" for the claim whose page posted the form, and
// sends the browser to the provider.
func (p *Pages) signInStart(c echo.Context) error {
	ctx := c.Request().Context()
	token, provider := c.Param("token"), c.Param("provider")
	claim, err := p.deps.Giveaway.ClaimByToken(ctx, token)
	if err != nil {
		return err
	}
	back := claimPath(token)
	if !p.deps.OAuth.Enabled(provider) || oauth.Network[provider] != claim.Network {
		return p.errorPageBack(c, http.StatusNotFound, "err_signin_unavailable", back, "back_to_claim")
	}
	if !giveaway.SignInWanted(claim) {
		return p.errorPageBack(c, http.StatusConflict, "err_signin_not_needed", back, "back_to_claim")
	}
	if claim.Network == "mastodon" {
		// The account proven is user@<the instance signed in on>, so only the claim's own
		// instance can match: any other is refused before the service calls anywhere.
		_, own, _ := strings.Cut(claim.Handle, "@")
		if inst, err := oauth.Instance(c.FormValue("instance")); err == nil && inst != strings.ToLower(own) {
			return p.errorPageBack(c, http.StatusUnprocessableEntity, "err_instance_mismatch", back, "back_to_claim")
		}
	}
	// The sign-in cookie (edge.SignInCookie) holds a fresh secret and the claim's token (where to
	// go back to), so the hash the flow's state keeps covers both.
	value := oauth.NewSecret() + "." + token
	to, err := p.deps.OAuth.Start(ctx, claim.ID, provider, c.FormValue("instance"), oauth.HashBrowser(value))
	if err != nil {
		status, e := edge.Classify(c, err)
		return p.errorPageBack(c, status, messageKey(e), back, "back_to_claim")
	}
	p.edge.Cookies.SetSignIn(c, value, oauth.StateTTL)
	return c.Redirect(http.StatusSeeOther, to)
}

// signInFinish is where the provider sends the browser back: the state must be this browser's,
// the account the claim's. Then the claim is bound to the account and the browser goes back to
// the claim's page.
func (p *Pages) signInFinish(c echo.Context) error {
	ctx := c.Request().Context()
	var browser []byte
	back := ""
	if v := edge.Value(c, edge.SignInCookie); v != "" {
		browser = oauth.HashBrowser(v)
		if _, token, ok := strings.Cut(v, "."); ok {
			back = claimPath(token)
		}
	}
	res, err := p.deps.OAuth.Finish(ctx, c.Param("provider"), c.QueryParams(), browser)
	if err == nil {
		_, err = p.deps.Giveaway.ProveAccount(ctx, res.ClaimID, oauth.Network[res.Provider], res.Provider, res.Account)
	}
	if err != nil {
		status, e := edge.Classify(c, err)
		if e.Code == "signin_other_browser" {
			back = "" // the cookie, if any, is another flow's
		}
		return p.errorPageBack(c, status, messageKey(e), back, "back_to_claim")
	}
	p.edge.Cookies.ClearSignIn(c)
	return c.Redirect(http.StatusSeeOther, back) // Finish refused any cookie without a claim token
}
