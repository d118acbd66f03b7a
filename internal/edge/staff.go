package edge

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/boothgiveaway/giveaway/internal/apperr"
	"github.com/boothgiveaway/giveaway/internal/auth"
	"github.com/boothgiveaway/giveaway/internal/giveaway"
)

// Bearer is the request's Authorization: Bearer token, or "".
func Bearer(c echo.Context) string {
	h := c.Request().Header.Get(echo.HeaderAuthorization)
	if t, ok := strings.CutPrefix(h, "Bearer "); ok {
		return strings.TrimSpace(t)
	}
	return ""
}

// Token is the credential of an API request: the bearer token, else the session cookie.
func Token(c echo.Context) string {
	if t := Bearer(c); t != "" {
		return t
	}
	return Value(c, SessionCookie)
}

const staffKey = "edge.staff"

// SetStaff records the staff member the request was identified as; Staff reads it.
func SetStaff(c echo.Context, id auth.Identity) { c.Set(staffKey, id) }

// Staff is the staff member the request was identified as, if any.
func Staff(c echo.Context) (auth.Identity, bool) {
	id, ok := c.Get(staffKey).(auth.Identity)
	return id, ok
}

// Actor is the request's staff member as the domain names who did something.
func Actor(c echo.Context) giveaway.Actor { id, _ := Staff(c); return id.Actor }

// SessionStaff is the staff member of a browser's live session cookie (pages take no bearer
// token), recorded as Staff.
func (x *Edge) SessionStaff(c echo.Context) (auth.Identity, bool) {
	if id, ok := Staff(c); ok {
		return id, true
	}
	token := Value(c, SessionCookie)
	if token == "" {
		return auth.Identity{}, false
	}
	id, err := x.auth.Identify(c.Request().Context(), token)
	if err != nil || id.Role == "" {
		return auth.Identity{}, false
	}
	SetStaff(c, id)
	return id, true
}

// Authenticate identifies the request by its bearer token or session cookie, within its
// member's scope, and records the member (Staff).
func (x *Edge) Authenticate(c echo.Context) (giveaway.Actor, error) {
	id, err := x.auth.Identify(c.Request().Context(), Token(c))
	if err != nil {
		return id.Actor, err
	}
	if err := x.checkScope(c, id); err != nil {
		return id.Actor, err
	}
	SetStaff(c, id)
	return id.Actor, nil
}

// checkScope refuses a member scoped to campaigns (403 campaign_forbidden) a route of another
// campaign: one naming it by :slug, or one naming a claim of it by :id. Unscoped staff and the
// admin token cost no query.
func (x *Edge) checkScope(c echo.Context, id auth.Identity) error {
	if id.Campaigns == nil {
		return nil
	}
	ctx := c.Request().Context()
	if slug := c.Param("slug"); slug != "" {
		return x.auth.CheckCampaign(ctx, id, slug)
	}
	if strings.HasPrefix(c.Path(), "/api/v1/claims/:id") {
		if claim, err := strconv.ParseInt(c.Param("id"), 10, 64); err == nil {
			return x.auth.CheckClaim(ctx, id, claim)
		}
	}
	return nil
}

// StaffOnly admits a staff session or the admin token.
func (x *Edge) StaffOnly(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if _, err := x.Authenticate(c); err != nil {
			return err
		}
		return next(c)
	}
}

// AdminOnly admits the admin token or a staff member with the admin role.
func (x *Edge) AdminOnly(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		a, err := x.Authenticate(c)
		if err != nil {
			return err
		}
		if !a.IsAdmin() {
			return apperr.New(apperr.Forbidden, "admin_only", "this needs the admin token or an admin")
		}
		return next(c)
	}
}

// APICSRF guards requests that a browser authenticates by cookie. A request with an
// Authorization header or without the session cookie carries no ambient authority, so it needs
// no token. The token is the one the pages embed.
func (x *Edge) APICSRF() echo.MiddlewareFunc {
	return x.CSRF.Middleware(CSRFOptions{
		Skip: func(c echo.Context) bool {
			if Bearer(c) != "" {
				return true
			}
			_, err := c.Cookie(SessionCookie)
			return err != nil && c.Request().Method != http.MethodGet
		},
	})
}
