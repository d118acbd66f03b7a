package pages

import (
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/boothgiveaway/giveaway/internal/apperr"
	"github.com/boothgiveaway/giveaway/internal/auth"
	"github.com/boothgiveaway/giveaway/internal/edge"
	"github.com/boothgiveaway/giveaway/internal/giveaway"
)

func (p *Pages) actor(c echo.Context) (giveaway.Actor, bool) {
	id, ok := p.identity(c)
	return id.Actor, ok
}

func (p *Pages) identity(c echo.Context) (auth.Identity, bool) { return p.edge.SessionStaff(c) }

// staffOnly sends a browser without a live session back to the login form; a script gets 401.
// A member scoped to campaigns is refused the others' (see scope).
func (p *Pages) staffOnly(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if _, ok := p.actor(c); ok {
			return p.scope(next)(c)
		}
		if c.Path() == "/staff/events" || c.Path() == "/staff/live" {
			return c.NoContent(http.StatusUnauthorized) // the script shows the login again
		}
		p.setFlash(c, "err", "flash_session_expired", nil)
		return redirect(c, "/staff", nil)
	}
}

// scope refuses a member scoped to campaigns (403 campaign_forbidden) a claim of another
// campaign, or another campaign chosen by the tablet's c (query, form or cookie). The tablet
// opened without c on a campaign outside the scope moves to the first campaign within it.
// Without a session, or for unscoped staff, it does nothing.
func (p *Pages) scope(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, ok := p.identity(c)
		if !ok || id.Campaigns == nil {
			return next(c)
		}
		ctx := c.Request().Context()
		if claim, ok := formID(c); ok && strings.HasPrefix(c.Path(), "/staff/claims/") {
			if err := p.deps.Auth.CheckClaim(ctx, id, claim); err != nil {
				return err
			}
			return next(c)
		}
		refs, err := p.campaignRefs(ctx)
		if err != nil {
			return err
		}
		err = p.deps.Auth.CheckCampaign(ctx, id, p.campaignFor(c, refs))
		if !apperr.Is(err, "campaign_forbidden") {
			if err != nil {
				return err
			}
			return next(c)
		}
		if c.Path() == "/staff" && c.QueryParam("c") == "" {
			for _, r := range refs {
				if p.deps.Auth.CheckCampaign(ctx, id, r.Slug) == nil {
					return redirect(c, "/staff", url.Values{"c": {r.Slug}})
				}
			}
		}
		return err
	}
}

func (p *Pages) staffLogin(c echo.Context) error {
	a := auth.Attempt{Name: c.FormValue("name"), PIN: c.FormValue("pin"), Client: c.RealIP()}
	a.Device = edge.Value(c, edge.DeviceCookie)
	sess, err := p.deps.Auth.Login(c.Request().Context(), a)
	if err != nil {
		// Back to the login form with c and q, so a scanned claim still opens after a retry.
		e, ok := apperr.As(err)
		switch {
		case !ok:
			slog.Error("staff login failed", "err", err)
			p.setFlash(c, "err", "flash_login_error", nil)
		case e.Code == "invalid_credentials":
			p.setFlash(c, "err", "flash_login_failed", nil)
		case e.Code == "login_locked":
			secs := strconv.Itoa(int(math.Ceil(e.RetryAfter.Seconds())))
			p.setFlash(c, "err", "flash_login_locked", map[string]string{"secs": secs})
		default:
			p.setFlash(c, "err", messageKey(e), nil)
		}
		return back(c)
	}
	p.edge.Cookies.SetSession(c, sess.Token, sess.ExpiresAt)
	p.edge.Cookies.SetDevice(c, sess.Device)
	return back(c)
}

// staffLogout ends the session. The tablet script refuses to submit this form while gives wait
// in its offline queue.
func (p *Pages) staffLogout(c echo.Context) error {
	if token := edge.Value(c, edge.SessionCookie); token != "" {
		if err := p.deps.Auth.Logout(c.Request().Context(), token); err != nil {
			return err
		}
	}
	p.edge.Cookies.ClearSession(c)
	return redirect(c, "/staff", nil)
}

// A flash is the one-line outcome of a form post, shown by the page the post redirects to
// (edge.FlashCookie).
func (p *Pages) setFlash(c echo.Context, kind, key string, args map[string]string) {
	if isConsole(c) {
		p.edge.Cookies.SetConsoleFlash(c, edge.Flash(kind, key, args))
		return
	}
	p.edge.Cookies.SetFlash(c, edge.Flash(kind, key, args))
}

// takeFlash reads and clears the flash, with its message in the reader's language.
func (p *Pages) takeFlash(c echo.Context, msgs map[string]string) *flashView {
	flash := edge.Value(c, edge.FlashCookie)
	if flash == "" {
		return nil
	}
	if isConsole(c) {
		p.edge.Cookies.ClearConsoleFlash(c)
	} else {
		p.edge.Cookies.ClearFlash(c)
	}
	v, err := url.ParseQuery(flash)
	if err != nil {
		return nil
	}
	key, fallback, _ := strings.Cut(v.Get("m"), "|")
	text, ok := msgs[key]
	if !ok {
		text = fallback
	}
	for k := range v {
		if name, ok := strings.CutPrefix(k, "a_"); ok {
			text = strings.ReplaceAll(text, "{"+name+"}", v.Get(k))
		}
	}
	return &flashView{Kind: v.Get("k"), Text: text}
}

type flashView struct {
	Kind, Text string
}

// isConsole: the request is the console's (its pages, or its login form coming back to one),
// whose flash lives at the console's path.
func isConsole(c echo.Context) bool {
	return edge.IsConsoleURL(c.Request().URL.Path) || isConsolePath(c.FormValue("next"))
}

func isConsolePath(u string) bool { return edge.IsConsoleURL(u) }
