package httpapi

import (
	"bufio"
	stdctx "context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/boothgiveaway/giveaway/internal/apperr"
	"github.com/boothgiveaway/giveaway/internal/draws"
	"github.com/boothgiveaway/giveaway/internal/edge"
	"github.com/boothgiveaway/giveaway/internal/giveaway"
)

func drawID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, apperr.New(apperr.Invalid, "invalid_id", "the draw id must be a positive number")
	}
	return id, nil
}

func (s *server) createDraw(c echo.Context) error {
	var in draws.Input
	if err := bind(c, &in); err != nil {
		return err
	}
	slug := c.Param("slug")
	request, _ := json.Marshal(struct {
		Slug string `json:"slug"`
		draws.Input
	}{slug, in})
	return s.idempotentReply(c, "draw_create", request, "flash_draw_created", func(ctx stdctx.Context) (int, any, error) {
		out, err := s.draws.Create(ctx, slug, in, edge.Actor(c))
		return http.StatusCreated, out, err
	})
}

// listDraws is every draw of the campaign, oldest first, without pools: the console's and the
// tablet's list.
func (s *server) listDraws(c echo.Context) error {
	camp, err := s.deps.Giveaway.Campaign(c.Request().Context(), c.Param("slug"))
	if err != nil {
		return err
	}
	out, err := s.draws.OfCampaign(c.Request().Context(), camp.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"draws": out})
}

func (s *server) commitDraw(c echo.Context) error {
	id, err := drawID(c)
	if err != nil {
		return err
	}
	var in draws.CommitInput
	if c.Request().ContentLength != 0 || isForm(c) {
		if err := bind(c, &in); err != nil {
			return err
		}
	}
	return s.idempotentReply(c, "draw_commit", fmt.Appendf(nil, "%d\x00%s", id, in.SeedCommit), "flash_draw_committed", func(ctx stdctx.Context) (int, any, error) {
		out, err := s.draws.Commit(ctx, id, in, edge.Actor(c))
		return http.StatusOK, out, err
	})
}

func (s *server) revealDraw(c echo.Context) error {
	id, err := drawID(c)
	if err != nil {
		return err
	}
	var in draws.RevealInput
	if c.Request().ContentLength != 0 || isForm(c) {
		if err := bind(c, &in); err != nil {
			return err
		}
	}
	return s.idempotentReply(c, "draw_reveal", fmt.Appendf(nil, "%d\x00%s\x00%s", id, in.Seed, in.Beacon), "flash_draw_revealed", func(ctx stdctx.Context) (int, any, error) {
		out, err := s.draws.Reveal(ctx, id, in, edge.Actor(c))
		return http.StatusOK, out, err
	})
}

func (s *server) drawPresent(c echo.Context) error {
	return s.drawDecision(c, "present", s.draws.Present)
}
func (s *server) drawAbsent(c echo.Context) error { return s.drawDecision(c, "absent", s.draws.Absent) }

func (s *server) drawDecision(c echo.Context, scope string, decide func(stdctx.Context, int64, int, giveaway.Actor) (*draws.Draw, error)) error {
	id, err := drawID(c)
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(c.Param("n"))
	if err != nil || n < 1 {
		return apperr.New(apperr.Invalid, "invalid_winner", "the winner number is 1, 2, ...")
	}
	// A member scoped to campaigns decides only their campaigns' draws.
	if who, ok := edge.Staff(c); ok && who.Campaigns != nil {
		d, err := s.draws.Get(c.Request().Context(), id)
		if err != nil {
			return err
		}
		if err := s.deps.Auth.CheckCampaign(c.Request().Context(), who, d.Campaign); err != nil {
			return err
		}
	}
	return s.idempotentReply(c, "draw_"+scope, fmt.Appendf(nil, "%d\x00%d", id, n), "flash_draw_"+scope, func(ctx stdctx.Context) (int, any, error) {
		out, err := decide(ctx, id, n, edge.Actor(c))
		return http.StatusOK, out, err
	})
}

// getDraw is the public record of a draw: everything verify needs, with the pool last and
// streamed a page at a time (a million entry ids are never one string). ?pool=false leaves it out.
func (s *server) getDraw(c echo.Context) error {
	id, err := drawID(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	d, err := s.draws.Get(ctx, id)
	if err != nil {
		return err
	}
	head, err := json.Marshal(d)
	if err != nil {
		return err
	}
	if c.QueryParam("pool") == "false" || d.State == "open" {
		return c.JSONBlob(http.StatusOK, head)
	}
	res := c.Response()
	res.Header().Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
	res.WriteHeader(http.StatusOK)
	w := bufio.NewWriterSize(res, 64<<10)
	w.Write(head[:len(head)-1])
	w.WriteString(`,"pool":[`)
	first := true
	err = s.draws.Pool(ctx, id, func(ids []string) error {
		for _, e := range ids {
			if !first {
				w.WriteByte(',')
			}
			first = false
			w.WriteByte('"')
			w.WriteString(e) // entry ids are [a-z2-7]: nothing to escape
			w.WriteByte('"')
		}
		return nil
	})
	if err != nil {
		return nil // the status is sent: a cut-off document fails to parse, as it should
	}
	w.WriteString("]}")
	return w.Flush()
}
