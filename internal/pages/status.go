package pages

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/boothgiveaway/giveaway/internal/draws"
	"github.com/boothgiveaway/giveaway/internal/giveaway"
)

type statusData struct {
	Claim    *giveaway.Claim
	Campaign *giveaway.Campaign
	Token    string
	// PostText is what to post: the hashtags and the claim's code, which proves the post is the
	// claimant's (verified_by "code"); Intent is X's compose page pre-filled with it.
	PostText string
	Intent   string
	SignIn   *signInView // nil: no sign-in offered
	// Entries are the committed draws the claim is in, with its entry id in each, so the
	// attendee can find themselves in the published pool.
	Entries []draws.Entry
}

// StaffScanURL is what a claim's QR code holds: the tablet's page for the claim's campaign and
// short code. The tablet's scanner reads the code out of it; a phone camera that opens it lands
// on the staff login, so the QR reveals nothing an attendee could not read off the screen.
func StaffScanURL(base, slug, code string) string {
	return base + "/staff?" + url.Values{"c": {slug}, "code": {code}}.Encode()
}

// claimStatus shows one claim to whoever holds its token, and nothing else.
func (p *Pages) claimStatus(c echo.Context) error {
	ctx := c.Request().Context()
	claim, err := p.deps.Giveaway.ClaimByToken(ctx, c.Param("token"))
	if err != nil {
		return err
	}
	camp, err := p.deps.Giveaway.Campaign(ctx, claim.Campaign)
	if err != nil {
		return err
	}
	// Whoever opens the link holds the claim from now on (a re-issued link on a new phone too).
	p.edge.Cookies.SetClaim(c, claim.Campaign, c.Param("token"))
	d := statusData{Claim: claim, Campaign: camp, Token: c.Param("token"), PostText: tagLine(camp) + " " + claim.Code,
		SignIn: p.signInFor(claim)}
	if claim.Network == "twitter" {
		d.Intent = xIntent(d.PostText)
	}
	if d.Entries, err = p.draws.EntriesOfClaim(ctx, camp.ID, claim.ID); err != nil {
		return err
	}
	if d.SignIn != nil {
		p.allowSignInForms(c, d.SignIn)
	}
	return p.page(c, http.StatusOK, "status", camp.Name, "attendee", d)
}

func (p *Pages) claimQR(c echo.Context) error {
	claim, err := p.deps.Giveaway.ClaimByToken(c.Request().Context(), c.Param("token"))
	if err != nil {
		return err
	}
	return qrPNG(c, StaffScanURL(p.deps.PublicBaseURL, claim.Campaign, claim.Code), 320)
}

// claimEvents streams the claim's status: at once on (re)connect, so a phone that slept catches
// up, and again whenever the claim changes.
func (p *Pages) claimEvents(c echo.Context) error {
	cs, err := p.openClaimEvents(c)
	if cs == nil {
		return err
	}
	defer p.hub.Unsubscribe(cs.sub)
	return cs.s.pump(c, p.stopping, cs.sub, cs.changed)
}

// claimStream is one claim page's open stream and the status it last sent.
type claimStream struct {
	p     *Pages
	ctx   context.Context
	token string
	last  string
	s     *sseStream
	sub   *Sub
}

// openClaimEvents subscribes and sends the status; nil: nothing to pump. Apart from
// claimEvents to keep the idle stream's frames small (see pump).
//
//go:noinline
func (p *Pages) openClaimEvents(c echo.Context) (*claimStream, error) {
	ctx := c.Request().Context()
	token := c.Param("token")
	claim, err := p.deps.Giveaway.ClaimByToken(ctx, token)
	if err != nil {
		return nil, err
	}
	// Subscribe before reading the status, so a change in between is not lost.
	sub, _, _ := p.hub.Subscribe(claimTopic(claim.ID), "")
	cs := &claimStream{p: p, ctx: ctx, token: token, s: openSSE(c), sub: sub}
	ev, err := cs.status()
	if err == nil {
		err = cs.s.send(*ev)
	}
	if err != nil {
		p.hub.Unsubscribe(sub)
		return nil, nil
	}
	return cs, nil
}

func (cs *claimStream) changed(*Event) (*Event, error) { return cs.status() }

// status is the claim's status as an event, or nil when it has not changed since the last one.
func (cs *claimStream) status() (*Event, error) {
	cl, err := cs.p.deps.Giveaway.ClaimByToken(cs.ctx, cs.token)
	if err != nil {
		return nil, err
	}
	if cl.Status == cs.last {
		return nil, nil
	}
	cs.last = cl.Status
	b, _ := json.Marshal(map[string]string{"status": cl.Status})
	return &Event{ID: cl.Status, Name: "status", Data: b}, nil
}
