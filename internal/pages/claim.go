package pages

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/boothgiveaway/giveaway/internal/apperr"
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
	d, err := p.claimData(c)
	if err != nil {
		return p.domainError(c, err)
	}
	return p.page(c, http.StatusOK, "claim", d.Campaign.Name, "attendee", d)
}

// claimSubmit creates the claim (or finds the person's claim) and sends the phone to it.
func (p *Pages) claimSubmit(c echo.Context) error {
	d, err := p.claimData(c)
	if err != nil {
		return p.domainError(c, err)
	}
	d.Form = giveaway.ClaimInput{Network: c.FormValue("network"), Handle: c.FormValue("handle"),
		PostURL: c.FormValue("post_url")}
	claim, _, err := p.deps.Giveaway.CreateClaim(c.Request().Context(), c.Param("slug"), d.Form)
	if err != nil {
		e, ok := apperr.As(err)
		if !ok || e.Kind == apperr.NotFound {
			return p.domainError(c, err)
		}
		// Show the form again, filled in, with what to fix.
		d.Error = messageKey(e)
		d.Field, _ = e.Details["field"].(string)
		status := http.StatusUnprocessableEntity
		if e.Kind == apperr.TooMany {
			status = http.StatusTooManyRequests
		}
		return p.page(c, status, "claim", d.Campaign.Name, "attendee", d)
	}
	return redirect(c, "/claims/"+url.PathEscape(claim.Token), nil)
}
