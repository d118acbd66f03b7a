package httpapi

import (
	"bytes"
	"crypto/subtle"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/boothgiveaway/giveaway/internal/apperr"
	"github.com/boothgiveaway/giveaway/internal/auth"
	"github.com/boothgiveaway/giveaway/internal/edge"
	"github.com/boothgiveaway/giveaway/internal/giveaway"
	"github.com/boothgiveaway/giveaway/internal/webhook"
)

const actorKey = "actor"

func bearer(c echo.Context) string {
	h := c.Request().Header.Get(echo.HeaderAuthorization)
	if t, ok := strings.CutPrefix(h, "Bearer "); ok {
		return strings.TrimSpace(t)
	}
	return ""
}

// token returns the bearer token, else the session cookie.
func token(c echo.Context) string {
	if t := bearer(c); t != "" {
		return t
	}
	return edge.Value(c, edge.SessionCookie)
}

func (s *server) authenticate(c echo.Context) (giveaway.Actor, error) {
	id, err := s.deps.Auth.Identify(c.Request().Context(), token(c))
	if err != nil {
		return id.Actor, err
	}
	if err := s.checkScope(c, id); err != nil {
		return id.Actor, err
	}
	c.Set(actorKey, id.Actor)
	return id.Actor, nil
}

func actor(c echo.Context) giveaway.Actor { a, _ := c.Get(actorKey).(giveaway.Actor); return a }

// checkScope refuses a member scoped to campaigns (403 campaign_forbidden) a route of another
// campaign: one naming it by :slug, or one naming a claim of it by :id. Unscoped staff and the
// admin token cost no query.
func (s *server) checkScope(c echo.Context, id auth.Identity) error {
	if id.Campaigns == nil {
		return nil
	}
	ctx := c.Request().Context()
	if slug := c.Param("slug"); slug != "" {
		return s.deps.Auth.CheckCampaign(ctx, id, slug)
	}
	if strings.HasPrefix(c.Path(), "/api/v1/claims/:id") {
		if claim, err := strconv.ParseInt(c.Param("id"), 10, 64); err == nil {
			return s.deps.Auth.CheckClaim(ctx, id, claim)
		}
	}
	return nil
}

// staffOnly admits a staff session or the admin token.
func (s *server) staffOnly(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if _, err := s.authenticate(c); err != nil {
			return err
		}
		return next(c)
	}
}

// adminOnly admits the admin token or a staff member with the admin role.
func (s *server) adminOnly(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		a, err := s.authenticate(c)
		if err != nil {
			return err
		}
		if !a.IsAdmin() {
			return apperr.New(apperr.Forbidden, "admin_only", "this needs the admin token or an admin")
		}
		return next(c)
	}
}

// ingestOnly admits the ingest token, or a body signed with the ingest secret (the service's
// scheme, with a timestamp) or with the X app's secret (X's webhook deliveries).
func (s *server) ingestOnly(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Request().Header
		var verify func(body []byte) error
		switch token := bearer(c); {
		case token != "":
			if s.cfg.IngestToken == "" || subtle.ConstantTimeCompare([]byte(token), []byte(s.cfg.IngestToken)) != 1 {
				return apperr.New(apperr.Unauthorized, "invalid_ingest_token", "the ingest token is wrong")
			}
			return next(c)
		case h.Get(webhook.SignatureHeader) != "" && s.cfg.IngestSecret != "":
			verify = func(body []byte) error {
				return webhook.Verify([]byte(s.cfg.IngestSecret), h, body, time.Now(), s.cfg.SignatureWindow)
			}
		case h.Get(webhook.XSignatureHeader) != "" && s.cfg.XWebhookSecret != "":
			verify = func(body []byte) error { return webhook.VerifyX([]byte(s.cfg.XWebhookSecret), h, body) }
		default:
			return apperr.New(apperr.Unauthorized, "invalid_ingest_token",
				"send the ingest token as Authorization: Bearer, or sign the body (%s)", webhook.SignatureHeader)
		}
		body, err := io.ReadAll(c.Request().Body)
		if err != nil {
			return err // the body limit: 413
		}
		switch err := verify(body); {
		case errors.Is(err, webhook.ErrStale):
			return apperr.New(apperr.Unauthorized, "stale_signature",
				"%s is more than %s away from the server's clock", webhook.TimestampHeader, s.cfg.SignatureWindow)
		case err != nil:
			return apperr.New(apperr.Unauthorized, "invalid_signature", "%v", err)
		}
		c.Request().Body = io.NopCloser(bytes.NewReader(body))
		return next(c)
	}
}

// csrf guards requests that a browser authenticates by cookie. A request with an Authorization
// header or without the session cookie carries no ambient authority, so it needs no token. The
// token is bound to the session (edge.CSRF), the same one the pages embed.
func (s *server) csrf() echo.MiddlewareFunc {
	return s.edge.CSRF.Middleware(edge.CSRFOptions{
		Skip: func(c echo.Context) bool {
			if bearer(c) != "" {
				return true
			}
			_, err := c.Cookie(edge.SessionCookie)
			return err != nil && c.Request().Method != http.MethodGet
		},
		Fail: func(c echo.Context) error {
			return apperr.New(apperr.Forbidden, "csrf_failed", "missing or wrong CSRF token (X-CSRF-Token header)")
		},
	})
}
