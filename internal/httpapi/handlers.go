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

	"github.com/boothgiveaway/giveaway/internal/auth"
	"github.com/boothgiveaway/giveaway/internal/database"
	"github.com/boothgiveaway/giveaway/internal/edge"
	"github.com/boothgiveaway/giveaway/internal/giveaway"
	"github.com/boothgiveaway/giveaway/internal/idempotency"
	"github.com/boothgiveaway/giveaway/internal/source"
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

// sources shows the organiser each source's state, what it may be missing now, and the gaps
// recorded over the last week.
func (s *server) sources(c echo.Context) error {
	out, err := source.Describe(c.Request().Context(), s.deps.Pool, s.deps.Sources, time.Now().Add(-source.OverviewSince))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

func (s *server) createCampaign(c echo.Context) error {
	var in giveaway.CampaignInput
	if err := bind(c, &in); err != nil {
		return err
	}
	out, err := s.deps.Giveaway.CreateCampaign(c.Request().Context(), in)
	if err != nil {
		return err
	}
	return s.replyAt(c, http.StatusCreated, out, "flash_campaign_created", edge.ConsolePath+"/c/"+out.Slug)
}

func (s *server) updateCampaign(c echo.Context) error {
	var in giveaway.CampaignChange
	if err := bind(c, &in); err != nil {
		return err
	}
	out, err := s.deps.Giveaway.UpdateCampaign(c.Request().Context(), c.Param("slug"), in, edge.Actor(c))
	if err != nil {
		return err
	}
	return s.reply(c, http.StatusOK, out, "flash_campaign_saved")
}

func (s *server) getCampaign(c echo.Context) error {
	out, err := s.deps.Giveaway.Campaign(c.Request().Context(), c.Param("slug"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

func (s *server) createStaff(c echo.Context) error {
	var in auth.NewStaff
	if err := bind(c, &in); err != nil {
		return err
	}
	out, err := s.deps.Auth.AddStaff(c.Request().Context(), in, edge.Actor(c))
	if err != nil {
		return err
	}
	return s.reply(c, http.StatusCreated, out, "flash_staff_added")
}

// ClaimTokenHeader carries the token of the claim an API client made, when it claims again.
const ClaimTokenHeader = "X-Claim-Token"

func (s *server) createClaim(c echo.Context) error {
	var in giveaway.ClaimInput
	if err := decode(c, &in); err != nil {
		return err
	}
	in.Note = "" // only staff write notes
	// Claiming again returns the claim only to the device that holds its token.
	in.HeldToken = c.Request().Header.Get(ClaimTokenHeader)
	in.ClientAddr = c.RealIP()
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
	slug := c.Param("slug")
	request, _ := json.Marshal(struct {
		Slug string `json:"slug"`
		giveaway.ClaimInput
	}{slug, in})
	return s.idempotent(c, "manual_claim", request, func(ctx stdctx.Context) (int, any, error) {
		out, created, err := s.deps.Giveaway.ManualClaim(ctx, slug, in, edge.Actor(c))
		if created {
			return http.StatusCreated, out, err
		}
		return http.StatusOK, out, err
	})
}

// give hands out a prize. With an Idempotency-Key, a retry (a tablet's offline queue replaying,
// a double tap, a timeout) returns the first answer instead of giving again.
func (s *server) give(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	var in giveaway.GiveInput
	if err := decode(c, &in); err != nil {
		return err
	}
	// The request as keys stored before account_checked existed, so their retries still match.
	request := fmt.Appendf(nil, "%d\x00%s", id, in.Prize)
	if in.AccountChecked {
		request = append(request, "\x00account_checked"...)
	}
	return s.idempotent(c, "give", request, func(ctx stdctx.Context) (int, any, error) {
		out, err := s.deps.Giveaway.Give(ctx, id, in, edge.Actor(c))
		return http.StatusOK, out, err
	})
}

func (s *server) undo(c echo.Context) error {
	return s.claimAction(c, "undo", s.deps.Giveaway.Undo)
}

func (s *server) approve(c echo.Context) error {
	return s.claimAction(c, "approve", s.deps.Giveaway.Approve)
}

func (s *server) reject(c echo.Context) error {
	return s.claimAction(c, "reject", s.deps.Giveaway.Reject)
}

func (s *server) claimAction(c echo.Context, scope string, act func(ctx stdctx.Context, id int64, by giveaway.Actor) (*giveaway.Claim, error)) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	return s.idempotent(c, scope, strconv.AppendInt(nil, id, 10), func(ctx stdctx.Context) (int, any, error) {
		out, err := act(ctx, id, edge.Actor(c))
		return http.StatusOK, out, err
	})
}

// idempotent runs a staff action once it has started, whether or not its client is still there
// (on a context the client cannot cancel). With an Idempotency-Key it runs at most once per key:
// the action, the key and the answer commit in one transaction, and a retry with the same key
// and request (scope plus what identifies the request) gets the first answer, refusals included
// (see idempotency.Keys.Do). act must do its writes through the giveaway service, which joins
// that transaction.
func (s *server) idempotent(c echo.Context, scope string, request []byte, act func(stdctx.Context) (int, any, error)) error {
	key := c.Request().Header.Get("Idempotency-Key")
	if key == "" {
		ctx, cancel := s.keys.Detach(c.Request().Context())
		defer cancel()
		status, out, err := act(ctx)
		if err != nil {
			return err
		}
		return c.JSON(status, out)
	}
	hash := sha256.Sum256(append([]byte(scope+"\x00"), request...))
	a, err := s.keys.Do(c.Request().Context(), scope, key, hash[:], func(ctx stdctx.Context) idempotency.Answer {
		status, out, err := act(ctx)
		st, body := answer(c, status, out, err)
		return idempotency.Answer{Status: st, Body: body}
	})
	if err != nil {
		return err
	}
	c.Response().Header().Set("Idempotency-Key", key)
	return c.JSONBlob(a.Status, a.Body)
}

func (s *server) login(c echo.Context) error {
	var in struct {
		Name string `json:"name"`
		PIN  string `json:"pin"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	sess, err := s.deps.Auth.Login(c.Request().Context(), s.loginAttempt(c, in.Name, in.PIN))
	if err != nil {
		return err
	}
	s.edge.Cookies.SetDevice(c, sess.Device)
	s.edge.Cookies.SetSession(c, sess.Token, sess.ExpiresAt)
	return c.JSON(http.StatusOK, sess)
}

func (s *server) logout(c echo.Context) error {
	if t := edge.Token(c); t != "" {
		if err := s.deps.Auth.Logout(c.Request().Context(), t); err != nil {
			return err
		}
	}
	s.edge.Cookies.ClearSession(c)
	return c.NoContent(http.StatusNoContent)
}

// session tells a cookie-authenticated client who it is and the CSRF token to send back.
func (s *server) session(c echo.Context) error {
	a := edge.Actor(c)
	csrf, _ := c.Get(edge.CSRFContextKey).(string)
	return c.JSON(http.StatusOK, map[string]any{"name": a.Name, "role": a.Role, "csrf_token": csrf})
}
