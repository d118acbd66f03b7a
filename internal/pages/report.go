package pages

import (
	"bytes"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/boothgiveaway/giveaway/internal/report"
)

// reportPage is the printable report: one HTML file with inline CSS and server-drawn SVG charts.
// It asks for the day as the JSON report does (?date= or ?from=&to=).
func (p *Pages) reportPage(c echo.Context) error {
	r, err := report.BuildQuery(c.Request().Context(), p.deps.Pool, c.Param("slug"), c.QueryParam("date"),
		c.QueryParam("from"), c.QueryParam("to"), time.Now(), report.WithXPricePerPost(p.deps.XPricePerPost))
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := report.WriteHTML(&buf, r); err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:")
	h.Set("Cache-Control", "no-store")
	return c.HTMLBlob(http.StatusOK, buf.Bytes())
}
