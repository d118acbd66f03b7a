package httpapi

import (
	"bytes"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/boothgiveaway/giveaway/internal/apperr"
	"github.com/boothgiveaway/giveaway/internal/report"
)

var errInvalidFormat = apperr.New(apperr.Invalid, "invalid_format", "format is json, csv or gaps-csv").With("field", "format")

// report answers the end-of-day report as JSON, or as CSV with ?format=csv (one row per prize
// given, for the spreadsheet) or ?format=gaps-csv (one row per stretch a source could not read).
func (s *server) report(c echo.Context) error {
	format := c.QueryParam("format")
	if format != "" && format != "json" && format != "csv" && format != "gaps-csv" {
		return errInvalidFormat
	}
	r, err := s.buildReport(c)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	if format == "csv" || format == "gaps-csv" {
		write, name := report.WriteCSV, r.Campaign.Slug+"-"+r.From.String()+".csv"
		if format == "gaps-csv" {
			write, name = report.WriteGapsCSV, r.Campaign.Slug+"-"+r.From.String()+"-gaps.csv"
		}
		var buf bytes.Buffer
		if err := write(&buf, r); err != nil {
			return err
		}
		c.Response().Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
		return c.Blob(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
	}
	return c.JSON(http.StatusOK, r)
}

// buildReport is the report a request asks for: the campaign of :slug, ?date= or ?from=&to=.
// The printable page (internal/pages) asks the same way.
func (s *server) buildReport(c echo.Context) (*report.Report, error) {
	return report.BuildQuery(c.Request().Context(), s.deps.Pool, c.Param("slug"), c.QueryParam("date"),
		c.QueryParam("from"), c.QueryParam("to"), time.Now(), report.WithXPricePerPost(s.cfg.XPricePerPost))
}
