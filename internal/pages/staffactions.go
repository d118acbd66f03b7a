package pages

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/boothgiveaway/giveaway/internal/apperr"
	"github.com/boothgiveaway/giveaway/internal/edge"
	"github.com/boothgiveaway/giveaway/internal/giveaway"
	"github.com/boothgiveaway/giveaway/internal/moderation"
)

// The tablet's forms: each calls the domain, leaves a flash and redirects back (POST-redirect-
// GET), so they work without JavaScript and a reload never repeats them.

// back is the tablet page the form came from, rebuilt from its fields (never a URL it names).
func back(c echo.Context) error {
	return c.Redirect(http.StatusSeeOther, backURL(c))
}

func backURL(c echo.Context) string {
	// The console's login form comes back to the console page it was opened on.
	if next := c.FormValue("next"); isConsolePath(next) {
		return next
	}
	q := url.Values{}
	if v := c.FormValue("c"); v != "" {
		q.Set("c", v)
	}
	if v := c.FormValue("q"); v != "" {
		q.Set("q", v)
	}
	if len(q) == 0 {
		return "/staff"
	}
	return "/staff?" + q.Encode()
}

func formID(c echo.Context) (int64, bool) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	return id, err == nil && id > 0
}

// failed leaves the error as the flash. already_given says who gave it and when, in the
// campaign's time zone.
func (p *Pages) failed(c echo.Context, err error) error {
	e, ok := apperr.As(err)
	if !ok {
		return err
	}
	args := map[string]string{}
	if by, ok := e.Details["given_by"].(string); ok {
		args["by"] = by
	}
	if at, ok := e.Details["given_at"].(time.Time); ok {
		loc := time.Local
		if camp, err := p.deps.Giveaway.Campaign(c.Request().Context(), c.FormValue("c")); err == nil {
			loc = camp.Location()
		}
		args["at"] = at.In(loc).Format("15:04")
	}
	p.setFlash(c, "err", messageKey(e), args)
	return back(c)
}

func (p *Pages) staffGive(c echo.Context) error {
	id, ok := formID(c)
	if !ok {
		return back(c)
	}
	a, _ := p.actor(c)
	// account_checked: staff ticked "I checked their account on their phone".
	checked, _ := strconv.ParseBool(c.FormValue("account_checked"))
	g, err := p.deps.Giveaway.Give(c.Request().Context(), id,
		giveaway.GiveInput{Prize: c.FormValue("prize"), AccountChecked: checked || c.FormValue("account_checked") == "on",
			CheckRequired: true}, a)
	if err != nil {
		return p.failed(c, err)
	}
	p.setFlash(c, "ok", "flash_given", map[string]string{"handle": g.Handle, "prize": g.Prize})
	return back(c)
}

func (p *Pages) claimAction(c echo.Context, act func(context.Context, int64, giveaway.Actor) (*giveaway.Claim, error), done string) error {
	id, ok := formID(c)
	if !ok {
		return back(c)
	}
	a, _ := p.actor(c)
	cl, err := act(c.Request().Context(), id, a)
	if err != nil {
		return p.failed(c, err)
	}
	p.setFlash(c, "ok", done, map[string]string{"handle": cl.Handle})
	return back(c)
}

func (p *Pages) staffUndo(c echo.Context) error {
	return p.claimAction(c, p.deps.Giveaway.Undo, "flash_undone")
}

func (p *Pages) staffApprove(c echo.Context) error {
	return p.claimAction(c, p.deps.Giveaway.Approve, "flash_approved")
}

func (p *Pages) staffReject(c echo.Context) error {
	return p.claimAction(c, p.deps.Giveaway.Reject, "flash_rejected")
}

// staffManual records a post staff saw with their own eyes and, when a prize is picked, gives
// it in the same flow.
func (p *Pages) staffManual(c echo.Context) error {
	a, _ := p.actor(c)
	ctx := c.Request().Context()
	cl, _, err := p.deps.Giveaway.ManualClaim(ctx, c.FormValue("c"), giveaway.ClaimInput{
		Network: c.FormValue("network"), Handle: c.FormValue("handle"),
		PostURL: c.FormValue("post_url"), Note: c.FormValue("note")}, a)
	if err != nil {
		return p.failed(c, err)
	}
	if prize := c.FormValue("prize"); prize != "" {
		g, err := p.deps.Giveaway.GivePrize(ctx, cl.ID, prize, a)
		if err != nil {
			return p.failed(c, err)
		}
		p.setFlash(c, "ok", "flash_given", map[string]string{"handle": g.Handle, "prize": g.Prize})
		return back(c)
	}
	p.setFlash(c, "ok", "flash_manual", map[string]string{"handle": cl.Handle})
	return back(c)
}

// campaignID is the form's campaign, for moderation.
func (p *Pages) campaignID(c echo.Context) (int64, error) {
	camp, err := p.deps.Giveaway.Campaign(c.Request().Context(), c.FormValue("c"))
	if err != nil {
		return 0, err
	}
	return camp.ID, nil
}

// Moderation forms come with hidden fields the tablet fills in; input it could not have sent
// is refused with an error page and its status (400 malformed, 422 no such post or not one for
// this wall), writing nothing. Refusals about the campaign stay a flash, as for other forms.

func formNetwork(c echo.Context, fallback string) (string, error) {
	n := strings.ToLower(strings.TrimSpace(c.FormValue("network"))) // as the domain reads networks
	if n == "" {
		n = fallback
	}
	if !slices.Contains(giveaway.Networks, n) {
		return "", apperr.New(apperr.Invalid, "invalid_network", "network must be one of %s",
			strings.Join(giveaway.Networks, ", ")).With("field", "network")
	}
	return n, nil
}

// refuse shows a refused moderation form as an error page with a way back to the tablet.
func (p *Pages) refuse(c echo.Context, err error) error {
	e, ok := apperr.As(err)
	if !ok || (e.Kind != apperr.Invalid && e.Kind != apperr.Unprocessable) {
		return p.failed(c, err)
	}
	status, e := edge.Classify(c, err)
	return p.errorPageBack(c, status, messageKey(e), backURL(c))
}

// staffBlock blocks (or with unblock=1 unblocks) a person from the campaign's wall.
func (p *Pages) staffBlock(c echo.Context) error {
	network, err := formNetwork(c, "twitter")
	if err != nil {
		return p.refuse(c, err)
	}
	handle := moderation.NormHandle(c.FormValue("handle"))
	if handle == "" {
		return p.refuse(c, apperr.New(apperr.Invalid, "handle_required", "enter the handle of the person to block").
			With("field", "handle"))
	}
	id, err := p.campaignID(c)
	if err != nil {
		return p.failed(c, err)
	}
	a, _ := p.actor(c)
	on := c.FormValue("unblock") == ""
	if err := p.walls.Block(c.Request().Context(), id, network, handle, a.Name, on); err != nil {
		return p.failed(c, err)
	}
	key := "flash_blocked"
	if !on {
		key = "flash_unblocked"
	}
	p.setFlash(c, "ok", key, map[string]string{"handle": handle})
	return back(c)
}

// staffWallSettings switches the wall between automatic and manual, and works the kill switch.
func (p *Pages) staffWallSettings(c echo.Context) error {
	id, err := p.campaignID(c)
	if err != nil {
		return p.failed(c, err)
	}
	a, _ := p.actor(c)
	s := moderation.Settings{Mode: c.FormValue("mode"), Killed: c.FormValue("killed") == "on"}
	if s.Mode != "manual" {
		s.Mode = "auto"
	}
	if err := p.walls.SetSettings(c.Request().Context(), id, s, a.Name); err != nil {
		return p.failed(c, err)
	}
	key := "flash_wall_live"
	if s.Killed {
		key = "flash_wall_killed"
	}
	p.setFlash(c, "ok", key, nil)
	return back(c)
}

func (p *Pages) staffHide(c echo.Context) error {
	return p.postAction(c, p.walls.Hide, "flash_hidden")
}

func (p *Pages) staffApprovePost(c echo.Context) error {
	return p.postAction(c, p.walls.Approve, "flash_post_approved")
}

func (p *Pages) postAction(c echo.Context, act func(context.Context, int64, string, string, string) error, done string) error {
	network, err := formNetwork(c, "")
	if err != nil {
		return p.refuse(c, err)
	}
	postID := strings.TrimSpace(c.FormValue("id"))
	if postID == "" {
		return p.refuse(c, apperr.New(apperr.Invalid, "post_id_required", "say which post: its id is missing").
			With("field", "id"))
	}
	id, err := p.campaignID(c)
	if err != nil {
		return p.failed(c, err)
	}
	a, _ := p.actor(c)
	if err := act(c.Request().Context(), id, network, postID, a.Name); err != nil {
		return p.refuse(c, err)
	}
	p.setFlash(c, "ok", done, nil)
	return back(c)
}
