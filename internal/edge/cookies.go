package edge

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// Every cookie the service sets, with its flags below: one place to audit them.
const (
	// SessionCookie is the staff session: one login serves the pages and the tablet script's API
	// calls.
	SessionCookie = "giveaway_session"
	// PreSessionCookie binds the CSRF token of a browser that has no session yet (the claim and
	// login forms): a random value only this origin can set.
	PreSessionCookie = "giveaway_csrf"
	// DeviceCookie marks a device on which members logged in before (OWASP's device cookie): its
	// tokens, one per member, let a tablet log in while strangers' wrong PINs lock the name out.
	DeviceCookie = "giveaway_device"
	// ClaimCookie holds the token of the claim this browser made or was given in a campaign. Its
	// path is the campaign's claim page, so each campaign has its own and the status pages (whose
	// URL has the token) do not need it.
	ClaimCookie = "giveaway_claim"
	// SignInCookie binds a sign-in with X or Mastodon to the browser that started it: the
	// callback is refused unless it carries the cookie whose hash the flow's state keeps.
	SignInCookie = "giveaway_signin"
	// FlashCookie is the one-line outcome of a tablet form post, shown by the page it redirects to.
	FlashCookie = "giveaway_flash"
	// LangCookie remembers a language chosen with ?lang=.
	LangCookie = "giveaway_lang"
	// StaffCampaignCookie is the campaign the tablet used last.
	StaffCampaignCookie = "giveaway_staff_campaign"
)

const (
	deviceMaxAge   = 365 * 24 * time.Hour // a tablet stays trusted across an event season
	claimMaxAge    = 60 * 24 * time.Hour
	langMaxAge     = 365 * 24 * time.Hour
	flashMaxAge    = time.Minute
	campaignMaxAge = 7 * 24 * time.Hour
)

// Cookies sets the service's cookies. Every cookie is HttpOnly: no script of ours reads one.
// Behind https every cookie is Secure (HTTPS also marks any other). SameSite is Strict except
// where a link from elsewhere must bring the cookie: the claim page (the booth's QR, a chat), the
// sign-in's callback (the provider's redirect) and the language.
type Cookies struct {
	Secure bool
}

func (k Cookies) cookie(name, value, path string, maxAge time.Duration, site http.SameSite) *http.Cookie {
	return &http.Cookie{Name: name, Value: value, Path: path, MaxAge: int(maxAge.Seconds()),
		HttpOnly: true, Secure: k.Secure, SameSite: site}
}

// clear is the cookie that deletes name at path.
func (k Cookies) clear(name, path string, site http.SameSite) *http.Cookie {
	ck := k.cookie(name, "", path, 0, site)
	ck.MaxAge = -1
	return ck
}

// Value is the request's cookie name, or "".
func Value(c echo.Context, name string) string {
	if ck, err := c.Cookie(name); err == nil {
		return ck.Value
	}
	return ""
}

// SetSession sets the staff session until it expires.
func (k Cookies) SetSession(c echo.Context, token string, expires time.Time) {
	ck := k.cookie(SessionCookie, token, "/", 0, http.SameSiteStrictMode)
	ck.Expires = expires
	c.SetCookie(ck)
}

// ClearSession ends the staff session in the browser.
func (k Cookies) ClearSession(c echo.Context) {
	ck := k.clear(SessionCookie, "/", http.SameSiteStrictMode)
	ck.Expires = time.Unix(0, 0)
	c.SetCookie(ck)
}

func (k Cookies) preSession(value string) *http.Cookie {
	return k.cookie(PreSessionCookie, value, "/", 0, http.SameSiteStrictMode)
}

// SetDevice marks this device as one the member logged in on.
func (k Cookies) SetDevice(c echo.Context, value string) {
	c.SetCookie(k.cookie(DeviceCookie, value, "/", deviceMaxAge, http.SameSiteStrictMode))
}

// ClaimCookiePath is where the claim cookie of a campaign lives: its claim page.
func ClaimCookiePath(slug string) string { return "/c/" + slug }

// SetClaim remembers the claim this browser holds in a campaign. Lax: a link from the booth's QR
// or a chat still opens the claim page with it.
func (k Cookies) SetClaim(c echo.Context, slug, token string) {
	c.SetCookie(k.cookie(ClaimCookie, token, ClaimCookiePath(slug), claimMaxAge, http.SameSiteLaxMode))
}

// SetSignIn binds a sign-in to this browser for ttl. Lax, so the provider's top-level redirect
// back brings it; only the callback (under /oauth/) needs it.
func (k Cookies) SetSignIn(c echo.Context, value string, ttl time.Duration) {
	c.SetCookie(k.cookie(SignInCookie, value, "/oauth/", ttl, http.SameSiteLaxMode))
}

// ClearSignIn forgets a finished sign-in.
func (k Cookies) ClearSignIn(c echo.Context) {
	c.SetCookie(k.clear(SignInCookie, "/oauth/", http.SameSiteLaxMode))
}

// SetFlash leaves the tablet's next page a message.
func (k Cookies) SetFlash(c echo.Context, value string) {
	c.SetCookie(k.cookie(FlashCookie, value, "/staff", flashMaxAge, http.SameSiteStrictMode))
}

// ClearFlash removes a message once shown.
func (k Cookies) ClearFlash(c echo.Context) {
	c.SetCookie(k.clear(FlashCookie, "/staff", http.SameSiteStrictMode))
}

// ConsolePath is where the organiser's console lives; its flash is its own.
const ConsolePath = "/admin"

// IsConsoleURL reports whether u is a page of the console (a local path under ConsolePath, with
// no way out of it: no "//", "..", "%2e", backslash or line break), the only place a console form may
// send the browser back to.
func IsConsoleURL(u string) bool {
	rest, ok := strings.CutPrefix(u, ConsolePath)
	return ok && (rest == "" || rest[0] == '/' || rest[0] == '?') &&
		!strings.ContainsAny(u, "\\\r\n") && !strings.Contains(u, "//") &&
		!strings.Contains(u, "..") && !strings.Contains(strings.ToLower(u), "%2e")
}

// SetConsoleFlash leaves the console's next page a message (the API answering a console form).
func (k Cookies) SetConsoleFlash(c echo.Context, value string) {
	c.SetCookie(k.cookie(FlashCookie, value, ConsolePath, flashMaxAge, http.SameSiteStrictMode))
}

// ClearConsoleFlash removes the console's message once shown.
func (k Cookies) ClearConsoleFlash(c echo.Context) {
	c.SetCookie(k.clear(FlashCookie, ConsolePath, http.SameSiteStrictMode))
}

// Flash encodes a flash: its kind ("ok", "err"), its message ("key|English fallback", see
// pages' messages) and the message's {arguments}.
func Flash(kind, msg string, args map[string]string) string {
	v := url.Values{"k": {kind}, "m": {msg}}
	for k, a := range args {
		v.Set("a_"+k, a)
	}
	return v.Encode()
}

// SetLang remembers the language chosen.
func (k Cookies) SetLang(c echo.Context, lang string) {
	c.SetCookie(k.cookie(LangCookie, lang, "/", langMaxAge, http.SameSiteLaxMode))
}

// SetStaffCampaign remembers the tablet's campaign.
func (k Cookies) SetStaffCampaign(c echo.Context, slug string) {
	c.SetCookie(k.cookie(StaffCampaignCookie, slug, "/staff", campaignMaxAge, http.SameSiteStrictMode))
}
