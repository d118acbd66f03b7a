package pages

import (
	"context"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/boothgiveaway/giveaway/internal/apperr"
	"github.com/boothgiveaway/giveaway/internal/draws"
	"github.com/boothgiveaway/giveaway/internal/giveaway"
)

// drawData is a draw's public page: the commitment before, the winners' handles after, and how
// to check it all without trusting the service.
type drawData struct {
	Draw      *draws.Draw
	Campaign  *giveaway.Campaign
	RecordURL string // the JSON record giveaway draw verify reads
}

// drawPage is /draws/{id}.
func (p *Pages) drawPage(c echo.Context) error {
	ctx := c.Request().Context()
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return apperr.New(apperr.NotFound, "draw_not_found", "no such draw")
	}
	d, err := p.draws.Get(ctx, id)
	if err != nil {
		return err
	}
	camp, err := p.deps.Giveaway.Campaign(ctx, d.Campaign)
	if err != nil {
		return err
	}
	base := p.deps.PublicBaseURL
	if base == "" {
		base = c.Scheme() + "://" + c.Request().Host
	}
	return p.page(c, http.StatusOK, "draw", d.Prize+" · "+camp.Name, "attendee",
		drawData{Draw: d, Campaign: camp, RecordURL: base + "/api/v1/draws/" + strconv.FormatInt(id, 10)})
}

// wallDrawData is the wall's draw panel: the campaign's latest committed or revealed draw.
type wallDrawData struct {
	Draw *draws.Draw // nil: no draw to show
}

func (p *Pages) latestDraw(ctx context.Context, campaignID int64) (*draws.Draw, error) {
	all, err := p.draws.OfCampaign(ctx, campaignID)
	if err != nil {
		return nil, err
	}
	for i := len(all) - 1; i >= 0; i-- {
		if all[i].State != "open" {
			return all[i], nil
		}
	}
	return nil, nil
}

// wallDraw is the wall's draw panel alone, which the wall's script fetches when a draw moves.
func (p *Pages) wallDraw(c echo.Context) error {
	camp, err := p.deps.Giveaway.Campaign(c.Request().Context(), c.Param("slug"))
	if err != nil {
		return err
	}
	d, err := p.latestDraw(c.Request().Context(), camp.ID)
	if err != nil {
		return err
	}
	return p.fragment(c, "wall", "walldraw", wallData{Campaign: camp, Draw: wallDrawData{Draw: d}})
}
