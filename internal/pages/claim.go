package pages

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/boothgiveaway/giveaway/internal/apperr"
	"github.com/boothgiveaway/giveaway/internal/edge"
	"github.com/boothgiveaway/giveaway/internal/giveaway"
)

type claimPageData struct {
	Campaign *giveaway.Campaign
	Tags     string // "#PyConAPAC #Elastic", what to copy
	Intent   string // X's compose page, pre-filled
	Networks []string
	Form     giveaway.ClaimInput
	Error    string // a message key, see messageKey
	Field    string // the input the error is about
	Closed   bool
}

func tagLine(c *giveaway.Campaign) string {
	tags := make([]string, len(c.RequiredHashtags))
	for i, t := range c.RequiredHashtags {
		tags[i] = "#" + t
	}
	return strings.Join(tags, " ")
}

// xIntent is X's compose page pre-filled with text.
func xIntent(text string) string { return "https://x.com/intent/post?text=" + url.QueryEscape(text) }

func (p *Pages) claimData(c echo.Context) (*claimPageData, error) {
	camp, err := p.deps.Giveaway.Campaign(c.Request().Context(), c.Param("slug"))
	if err != nil {
		return nil, err
	}
	tags := tagLine(camp)
	return &claimPageData{
		Campaign: camp, Tags: tags, Networks: giveaway.Networks,
		Intent: xIntent(tags + " "),
		Form:   giveaway.ClaimInput{Network: "twitter"},
		Closed: !time.Now().Before(camp.EndsAt),
	}, nil
}

// claimPage is what the booth QR opens: what to post, and the form to claim.
func (p *Pages) claimPage(c echo.Context) error {
	// A browser that has a claim here goes back to it: the claim page is what a reload or the
	// booth QR opens, and the claim is what the attendee came for.
	if cl, token := p.ownClaim(c, c.Param("slug")); cl != nil {
		return c.Redirect(http.StatusSeeOther, claimPath(token))
	}
	d, err := p.claimData(c)
	if err != nil {
		return err
	}
	return p.page(c, http.StatusOK, "claim", d.Campaign.Name, "attendee", d)
}

// claimSubmit creates the claim (or finds the person's claim) and sends the phone to it.
func (p *Pages) claimSubmit(c echo.Context) error {
	d, err := p.claimData(c)
	if err != nil {
		return err
	}
	d.Form = giveaway.ClaimInput{Network: c.FormValue("network"), Handle: c.FormValue("handle"),
		PostURL: c.FormValue("post_url")}
	in := d.Form
	in.HeldToken, in.ClientAddr = heldClaimToken(c), c.RealIP()
	claim, _, err := p.deps.Giveaway.CreateClaim(c.Request().Context(), c.Param("slug"), in)
	if err != nil {
		e, ok := apperr.As(err)
		if !ok || e.Kind == apperr.NotFound {
			return err
		}
		// Show the form again, filled in, with what to fix.
		d.Error = messageKey(e)
		d.Field, _ = e.Details["field"].(string)
		status := http.StatusUnprocessableEntity
		switch e.Kind {
		case apperr.TooMany:
			status = http.StatusTooManyRequests
		case apperr.Conflict:
			status = http.StatusConflict
		}
		return p.page(c, status, "claim", d.Campaign.Name, "attendee", d)
	}
	p.edge.Cookies.SetClaim(c, claim.Campaign, claim.Token)
	return redirect(c, claimPath(claim.Token), nil)
}

// heldClaimToken is the token of the claim this browser holds in the request's campaign, if any
// (edge.ClaimCookie, whose path is the campaign's claim page).
func heldClaimToken(c echo.Context) string { return edge.Value(c, edge.ClaimCookie) }

// ownClaim is the claim this browser holds in the campaign, or nil (none, revoked, another's).
func (p *Pages) ownClaim(c echo.Context, slug string) (*giveaway.Claim, string) {
	token := heldClaimToken(c)
	if token == "" {
		return nil, ""
	}
	cl, err := p.deps.Giveaway.ClaimByToken(c.Request().Context(), token)
	if err != nil || cl.Campaign != slug {
		return nil, ""
	}
	return cl, token
}
