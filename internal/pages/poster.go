package pages

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/boothgiveaway/giveaway/internal/giveaway"
)

type posterData struct {
	Campaign *giveaway.Campaign
	Tags     []string
	URL      string
	// EN and KO are both printed: the poster speaks to everyone at the booth.
	EN, KO map[string]string
}

// ClaimURL is where the booth QR sends attendees.
func ClaimURL(base, slug string) string { return base + "/c/" + slug }

// poster is the printable A4 booth poster.
func (p *Pages) poster(c echo.Context) error {
	camp, err := p.deps.Giveaway.Campaign(c.Request().Context(), c.Param("slug"))
	if err != nil {
		return err
	}
	s, err := p.site()
	if err != nil {
		return err
	}
	return p.page(c, http.StatusOK, "poster", camp.Name, "posterpage", posterData{
		Campaign: camp, Tags: camp.RequiredHashtags, URL: ClaimURL(p.deps.PublicBaseURL, camp.Slug),
		EN: s.msgs["en"], KO: s.msgs["ko"]})
}

func (p *Pages) posterQR(c echo.Context) error {
	camp, err := p.deps.Giveaway.Campaign(c.Request().Context(), c.Param("slug"))
	if err != nil {
		return err
	}
	return qrPNG(c, ClaimURL(p.deps.PublicBaseURL, camp.Slug), 1024)
}
