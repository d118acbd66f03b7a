package report

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io"
	"strconv"
	"time"
)

//go:embed templates/report.html templates/report.css
var templateFS embed.FS

var page = template.Must(template.New("report.html").Funcs(template.FuncMap{
	"clock": clock,
	"when":  when,
	"usd":   func(v float64) string { return "US$" + strconv.FormatFloat(v, 'f', -1, 64) },
	"sourceName": func(s string) string {
		return map[string]string{"x_stream": "X", "mastodon": "Mastodon", "bluesky": "Bluesky"}[s]
	},
	"color":   func(i int) string { return "c" + strconv.Itoa(i%len(palette)) },
	"perDay":  func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) },
	"warning": warningText,
}).ParseFS(templateFS, "templates/report.html"))

var pageCSS = func() template.CSS {
	b, err := templateFS.ReadFile("templates/report.css")
	if err != nil {
		panic(err)
	}
	return template.CSS(b) // our own file, not user input
}()

type pageData struct {
	R        *Report
	CSS      template.CSS
	OneDay   bool
	Days     int
	ByHour   template.HTML
	Network  template.HTML
	Timeline template.HTML
	// More counts open claims and moderation actions the lists left out.
	MoreOpen int64
}

// WriteHTML writes the printable page of the report: one self-contained HTML document (inline
// CSS and SVG, no scripts, no external assets) laid out for A4.
func WriteHTML(w io.Writer, r *Report) error {
	d := pageData{R: r, CSS: pageCSS, OneDay: r.From == r.To, Days: r.From.DaysUntil(r.To) + 1}
	var err error
	if d.ByHour, err = chartByHour(r); err != nil {
		return fmt.Errorf("report: chart: %w", err)
	}
	if d.Network, err = chartByNetwork(r); err != nil {
		return fmt.Errorf("report: chart: %w", err)
	}
	if d.Timeline, err = chartTimeline(r); err != nil {
		return fmt.Errorf("report: chart: %w", err)
	}
	d.MoreOpen = r.Claims["pending"] + r.Claims["rejected"] - int64(len(r.OpenClaims))
	// Render to a buffer first so a template error never leaves half a page on the wire.
	var buf bytes.Buffer
	if err := page.Execute(&buf, d); err != nil {
		return fmt.Errorf("report: page: %w", err)
	}
	_, err = buf.WriteTo(w)
	return err
}

// clock shows an RFC 3339 local time as HH:MM on a one-day page and MM-DD HH:MM on a range.
func clock(oneDay bool, s string) string {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return s
	}
	if oneDay {
		return t.Format("15:04")
	}
	return t.Format("01-02 15:04")
}

// when shows an RFC 3339 time as date, minutes and offset.
func when(s string) string {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return s
	}
	return t.Format("2006-01-02 15:04 -07:00")
}

func warningText(p Prize) string {
	switch p.Warning {
	case WarnOutOfStock:
		return "out of stock"
	case WarnRunsOutTomorrow:
		return "runs out tomorrow"
	}
	return ""
}
