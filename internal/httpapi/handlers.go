package httpapi

import (
	stdctx "context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/boothgiveaway/giveaway/internal/database"
	"github.com/boothgiveaway/giveaway/internal/giveaway"
	"github.com/boothgiveaway/giveaway/internal/idempotency"
)

func (s *server) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

func (s *server) readyz(c echo.Context) error {
	out := map[string]any{"status": "ok", "database": "ok"}
	status := http.StatusOK
	if err := database.Check(c.Request().Context(), s.deps.Pool); err != nil {
		// The driver's text names the user, database and address: the log has it, not the answer.
		slog.Warn("readyz: database check failed", "err", err)
		out["status"], out["database"] = "unavailable", "unavailable"
		status = http.StatusServiceUnavailable
	}
	if s.deps.Ready != nil {
		for k, v := range s.deps.Ready(c.Request().Context()) {
			out[k] = redactErrors(k, v)
		}
	}
	return c.JSON(status, out)
}

// redactErrors keeps a source's status but replaces the text of its errors (which may name hosts,
// users and databases) with "failing": /readyz is public, the log is not.
func redactErrors(source string, v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return "unavailable"
	}
	var m any
	json.Unmarshal(b, &m)
	var walk func(any)
	walk = func(x any) {
		switch x := x.(type) {
		case map[string]any:
			for k, v := range x {
				if e, ok := v.(string); ok && k == "last_error" && e != "" {
					slog.Debug("readyz: source error", "source", source, "err", e)
					x[k] = "failing (details in the log)"
					continue
				}
				walk(v)
			}
		case []any:
			for _, v := range x {
				walk(v)
			}
		}
	}
	walk(m)
	return m
}

func (s *server) createCampaign(c echo.Context) error {
	var in giveaway.CampaignInput
	if err := decode(c, &in); err != nil {
		return err
	}
	out, err := s.deps.Giveaway.CreateCampaign(c.Request().Context(), in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, out)
}

func (s *server) getCampaign(c echo.Context) error {
	out, err := s.deps.Giveaway.Campaign(c.Request().Context(), c.Param("slug"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

func (s *server) createStaff(c echo.Context) error {
	var in struct {
		Name string `json:"name"`
		PIN  string `json:"pin"`
		Role string `json:"role"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	out, err := s.deps.Auth.CreateStaff(c.Request().Context(), in.Name, in.PIN, in.Role)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, out)
}

func (s *server) createClaim(c echo.Context) error {
	var in giveaway.ClaimInput
	if err := decode(c, &in); err != nil {
		return err
	}
	in.Note = "" // only staff write notes
	out, created, err := s.deps.Giveaway.CreateClaim(c.Request().Context(), c.Param("slug"), in)
	if err != nil {
		return err
	}
	if created {
		return c.JSON(http.StatusCreated, out)
	}
	return c.JSON(http.StatusOK, out)
}

func (s *server) getClaim(c echo.Context) error {
	out, err := s.deps.Giveaway.ClaimByToken(c.Request().Context(), c.Param("token"))
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, out)
}

func (s *server) listClaims(c echo.Context) error {
	limit, _ := strconv.Atoi(c.QueryParam("limit"))
	out, err := s.deps.Giveaway.ListClaims(c.Request().Context(), c.Param("slug"), giveaway.ListFilter{
		Status: c.QueryParam("status"), Query: c.QueryParam("q"), Limit: limit})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"claims": out})
}

func (s *server) manualClaim(c echo.Context) error {
	var in giveaway.ClaimInput
	if err := decode(c, &in); err != nil {
		return err
	}
	out, created, err := s.deps.Giveaway.ManualClaim(c.Request().Context(), c.Param("slug"), in, actor(c))
	if err != nil {
		return err
	}
	if created {
		return c.JSON(http.StatusCreated, out)
	}
	return c.JSON(http.StatusOK, out)
}

// give hands out a prize. With an Idempotency-Key, a retry (a tablet's offline queue replaying,
// a double tap) returns the first answer instead of giving again.
func (s *server) give(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	var in struct {
		Prize string `json:"prize"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	ctx := c.Request().Context()
	key := c.Request().Header.Get("Idempotency-Key")
	if key == "" {
		out, err := s.deps.Giveaway.GivePrize(ctx, id, in.Prize, actor(c))
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, out)
	}
	hash := sha256.Sum256(fmt.Appendf(nil, "give\x00%d\x00%s", id, in.Prize))
	a, err := s.keys.Do(ctx, "give", key, hash[:], func(ctx2 stdctx.Context) idempotency.Answer {
		out, err := s.deps.Giveaway.GivePrize(ctx2, id, in.Prize, actor(c))
		st, body := answer(http.StatusOK, out, err)
		return idempotency.Answer{Status: st, Body: body}
	})
	if err != nil {
		return err
	}
	c.Response().Header().Set("Idempotency-Key", key)
	return c.JSONBlob(a.Status, a.Body)
}

func (s *server) undo(c echo.Context) error {
	return s.claimAction(c, s.deps.Giveaway.Undo)
}

func (s *server) approve(c echo.Context) error {
	return s.claimAction(c, s.deps.Giveaway.Approve)
}

func (s *server) reject(c echo.Context) error {
	return s.claimAction(c, s.deps.Giveaway.Reject)
}

func (s *server) claimAction(c echo.Context, act func(ctx stdctx.Context, id int64, by giveaway.Actor) (*giveaway.Claim, error)) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	out, err := act(c.Request().Context(), id, actor(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

func (s *server) login(c echo.Context) error {
	var in struct {
		Name string `json:"name"`
		PIN  string `json:"pin"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	sess, err := s.deps.Auth.Login(c.Request().Context(), in.Name, in.PIN)
	if err != nil {
		return err
	}
	c.SetCookie(&http.Cookie{Name: sessionCookie, Value: sess.Token, Path: "/", Expires: sess.ExpiresAt,
		HttpOnly: true, Secure: s.cfg.SecureCookies, SameSite: http.SameSiteStrictMode})
	return c.JSON(http.StatusOK, sess)
}

func (s *server) logout(c echo.Context) error {
	if t := token(c); t != "" {
		if err := s.deps.Auth.Logout(c.Request().Context(), t); err != nil {
			return err
		}
	}
	c.SetCookie(&http.Cookie{Name: sessionCookie, Value: "", Path: "/", Expires: time.Unix(0, 0), MaxAge: -1,
		HttpOnly: true, Secure: s.cfg.SecureCookies, SameSite: http.SameSiteStrictMode})
	return c.NoContent(http.StatusNoContent)
}

// session tells a cookie-authenticated client who it is and the CSRF token to send back.
func (s *server) session(c echo.Context) error {
	a := actor(c)
	csrf, _ := c.Get("csrf").(string)
	return c.JSON(http.StatusOK, map[string]any{"name": a.Name, "role": a.Role, "csrf_token": csrf})
}
