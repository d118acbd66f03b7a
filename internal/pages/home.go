package pages

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/boothgiveaway/giveaway/internal/store"
)

type homeCampaign struct {
	Slug, Name string
	// Until is when the campaign ends, in its own time zone.
	Until string
}

type homeData struct {
	Campaigns []homeCampaign
	// Fresh: no campaign at all yet, so the page says how to create the first.
	Fresh bool
}

// home is the service's front door: what it is, the campaigns running now with their claim
// page, poster and wall, and the way in for staff. It names campaigns only, never a claim.
func (p *Pages) home(c echo.Context) error {
	ctx := c.Request().Context()
	q := store.New(p.deps.Pool)
	running, err := q.HomeCampaigns(ctx)
	if err != nil {
		return err
	}
	d := homeData{}
	for _, r := range running {
		end := r.EndsAt
		if loc, err := time.LoadLocation(r.TimeZone); err == nil {
			end = end.In(loc)
		}
		d.Campaigns = append(d.Campaigns, homeCampaign{Slug: r.Slug, Name: r.Name,
			Until: end.Format("2006-01-02 15:04") + " (" + r.TimeZone + ")"})
	}
	if len(running) == 0 {
		anyCampaign, err := q.AnyCampaign(ctx)
		if err != nil {
			return err
		}
		d.Fresh = !anyCampaign
	}
	return p.page(c, http.StatusOK, "home", "home_title", "attendee", d)
}
