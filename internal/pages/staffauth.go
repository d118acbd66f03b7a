package pages

import (
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/boothgiveaway/giveaway/internal/apperr"
	"github.com/boothgiveaway/giveaway/internal/auth"
	"github.com/boothgiveaway/giveaway/internal/giveaway"
)

// sessionCookie is the JSON API's staff session cookie: one login serves the pages and the
// tablet script's API calls.
const sessionCookie = "giveaway_session"

// deviceCookie is the JSON API's device cookie (OWASP's device cookie pattern): a tablet on which
// a member logged in before keeps logging in as them while strangers' wrong PINs lock the name.
const (
	deviceCookie = "giveaway_device"
	deviceMaxAge = 365 * 24 * 60 * 60
)

const identityKey = "pages.identity"

func (p *Pages) actor(c echo.Context) (giveaway.Actor, bool) {
	id, ok := p.identity(c)
	return id.Actor, ok
}

func (p *Pages) identity(c echo.Context) (auth.Identity, bool) {
	if id, ok := c.Get(identityKey).(auth.Identity); ok {
		return id, true
	}
	ck, err := c.Cookie(sessionCookie)
	if err != nil || ck.Value == "" {
		return auth.Identity{}, false
	}
	id, err := p.deps.Auth.Identify(c.Request().Context(), ck.Value)
	if err != nil || id.Role == "" {
		return auth.Identity{}, false
	}
	c.Set(identityKey, id)
	return id, true
}

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
		setFlash(c, "err", "flash_session_expired", nil)
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

func (p *Pages) setSession(c echo.Context, value string, expires time.Time) {
	ck := &http.Cookie{Name: sessionCookie, Value: value, Path: "/", HttpOnly: true,
		Secure: p.deps.SecureCookies, SameSite: http.SameSiteStrictMode, Expires: expires}
	if value == "" {
		ck.MaxAge = -1
	}
	c.SetCookie(ck)
}

func (p *Pages) staffLogin(c echo.Context) error {
	a := auth.Attempt{Name: c.FormValue("name"), PIN: c.FormValue("pin"), Client: c.RealIP()}
	if ck, err := c.Cookie(deviceCookie); err == nil {
		a.Device = ck.Value
	}
	sess, err := p.deps.Auth.Login(c.Request().Context(), a)
	if err != nil {
		// Back to the login form with c and q, so a scanned claim still opens after a retry.
		e, ok := apperr.As(err)
		switch {
		case !ok:
			slog.Error("staff login failed", "err", err)
			setFlash(c, "err", "flash_login_error", nil)
		case e.Code == "invalid_credentials":
			setFlash(c, "err", "flash_login_failed", nil)
		case e.Code == "login_locked":
			secs := strconv.Itoa(int(math.Ceil(e.RetryAfter.Seconds())))
			setFlash(c, "err", "flash_login_locked", map[string]string{"secs": secs})
		default:
			setFlash(c, "err", messageKey(e), nil)
		}
		return back(c)
	}
	p.setSession(c, sess.Token, sess.ExpiresAt)
	c.SetCookie(&http.Cookie{Name: deviceCookie, Value: sess.Device, Path: "/", MaxAge: deviceMaxAge,
		HttpOnly: true, Secure: p.deps.SecureCookies, SameSite: http.SameSiteStrictMode})
	return back(c)
}

// staffLogout ends the session. The tablet script refuses to submit this form while gives wait
// in its offline queue.
func (p *Pages) staffLogout(c echo.Context) error {
	if ck, err := c.Cookie(sessionCookie); err == nil && ck.Value != "" {
		if err := p.deps.Auth.Logout(c.Request().Context(), ck.Value); err != nil {
			return p.domainError(c, err)
		}
	}
	p.setSession(c, "", time.Unix(0, 0))
	return redirect(c, "/staff", nil)
}

// A flash is the one-line outcome of a form post, shown by the page the post redirects to.
const flashCookie = "giveaway_flash"

func setFlash(c echo.Context, kind, key string, args map[string]string) {
	v := url.Values{"k": {kind}, "m": {key}}
	for k, a := range args {
		v.Set("a_"+k, a)
	}
	c.SetCookie(&http.Cookie{Name: flashCookie, Value: v.Encode(), Path: "/staff", MaxAge: 60,
		HttpOnly: true, SameSite: http.SameSiteStrictMode})
}

// takeFlash reads and clears the flash, with its message in the reader's language.
func takeFlash(c echo.Context, msgs map[string]string) *flashView {
	ck, err := c.Cookie(flashCookie)
	if err != nil || ck.Value == "" {
		return nil
	}
	c.SetCookie(&http.Cookie{Name: flashCookie, Path: "/staff", MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteStrictMode})
	v, err := url.ParseQuery(ck.Value)
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
