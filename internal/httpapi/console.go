package httpapi

import (
	stdctx "context"
	"crypto/sha256"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/boothgiveaway/giveaway/internal/apperr"
	"github.com/boothgiveaway/giveaway/internal/edge"
	"github.com/boothgiveaway/giveaway/internal/giveaway"
	"github.com/boothgiveaway/giveaway/internal/idempotency"
)

// The organiser's routes (issue 12), shared by scripts (JSON) and the console's forms (bind,
// reply, consoleForms in form.go).

func (s *server) listCampaigns(c echo.Context) error {
	out, err := s.deps.Giveaway.ListCampaigns(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"campaigns": out})
}

func (s *server) addPrize(c echo.Context) error {
	var in giveaway.NewPrize
	if err := bind(c, &in); err != nil {
		return err
	}
	out, err := s.deps.Giveaway.AddPrize(c.Request().Context(), c.Param("slug"), in, edge.Actor(c))
	if err != nil {
		return err
	}
	return s.reply(c, http.StatusCreated, out, "flash_prize_added")
}

// updatePrize renames, restocks, caps or retires a prize. A restock is done once per
// Idempotency-Key (a form carries it as idempotency_key): a resent form never adds twice.
func (s *server) updatePrize(c echo.Context) error {
	var in giveaway.PrizeChange
	if err := bind(c, &in); err != nil {
		return err
	}
	slug, key := c.Param("slug"), c.Param("key")
	request, _ := json.Marshal(struct {
		Slug, Key string
		giveaway.PrizeChange
	}{slug, key, in})
	return s.idempotentReply(c, "prize_change", request, "flash_prize_saved", func(ctx stdctx.Context) (int, any, error) {
		out, err := s.deps.Giveaway.UpdatePrize(ctx, slug, key, in, edge.Actor(c))
		return http.StatusOK, out, err
	})
}

func (s *server) dryRun(c echo.Context) error {
	var in giveaway.DryRunInput
	if err := bind(c, &in); err != nil {
		return err
	}
	out, err := s.deps.Giveaway.DryRun(c.Request().Context(), c.Param("slug"), in)
	if err != nil {
		return err
	}
	if !isForm(c) {
		return c.JSON(http.StatusOK, out)
	}
	// The console shows the verdict: the reasons' codes and the missing hashtags, which it words
	// in the reader's language.
	args := map[string]string{"handle": out.Handle}
	flash := "dry_counts"
	if !out.Counts {
		flash = "dry_not_counted"
		for _, r := range out.Reasons {
			args["reasons"] += r.Code + " "
			for _, m := range r.Missing {
				args["missing"] += "#" + m + " "
			}
		}
	}
	s.edge.Cookies.SetConsoleFlash(c, edge.Flash("dry", flash, args))
	return c.Redirect(http.StatusSeeOther, consoleBack(c))
}

func (s *server) campaignAudit(c echo.Context) error {
	f := giveaway.AuditFilter{Action: c.QueryParam("action"), Staff: c.QueryParam("staff")}
	var err error
	if f.Since, err = queryTime(c, "since"); err != nil {
		return err
	}
	if f.Until, err = queryTime(c, "until"); err != nil {
		return err
	}
	if v := c.QueryParam("before"); v != "" {
		if f.BeforeID, err = strconv.ParseInt(v, 10, 64); err != nil || f.BeforeID <= 0 {
			return apperr.New(apperr.Invalid, "invalid_before", "before is the id of an entry").With("field", "before")
		}
	}
	if v := c.QueryParam("limit"); v != "" {
		if f.Limit, err = strconv.Atoi(v); err != nil || f.Limit < 1 || f.Limit > 500 {
			return apperr.New(apperr.Invalid, "invalid_limit", "limit is 1 to 500").With("field", "limit")
		}
	}
	out, err := s.deps.Giveaway.Audit(c.Request().Context(), c.Param("slug"), f)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"entries": out})
}

func queryTime(c echo.Context, name string) (time.Time, error) {
	v := c.QueryParam(name)
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return t, apperr.New(apperr.Invalid, "invalid_time", "%s is an RFC 3339 time, e.g. 2016-08-13T09:00:00+09:00", name).
			With("field", name)
	}
	return t, nil
}

// idempotentReply is idempotent for JSON clients; a console form's key is its idempotency_key
// field, and its stored answer becomes the console's flash and a 303 back.
func (s *server) idempotentReply(c echo.Context, scope string, request []byte, flash string, act func(stdctx.Context) (int, any, error)) error {
	if !isForm(c) {
		return s.idempotent(c, scope, request, act)
	}
	key := c.FormValue("idempotency_key")
	if key == "" {
		ctx, cancel := s.keys.Detach(c.Request().Context())
		defer cancel()
		_, out, err := act(ctx)
		if err != nil {
			return err
		}
		return s.reply(c, http.StatusOK, out, flash)
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
	if a.Status >= 400 {
		var e struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		json.Unmarshal(a.Body, &e)
		return apperr.New(apperr.Conflict, e.Error.Code, "%s", e.Error.Message)
	}
	return s.reply(c, a.Status, nil, flash)
}
