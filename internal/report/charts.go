package report

import (
	"bytes"
	"html"
	"html/template"
	"image/color"
	"math"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// palette is Okabe and Ito's colour-blind-safe set; prize i gets palette[i%len]. The page's CSS
// classes .c0 … .c7 use the same colours for the legends.
var palette = []color.RGBA{
	{0xE6, 0x9F, 0x00, 0xff}, {0x56, 0xB4, 0xE9, 0xff}, {0x00, 0x9E, 0x73, 0xff}, {0xF0, 0xE4, 0x42, 0xff},
	{0x00, 0x72, 0xB2, 0xff}, {0xD5, 0x5E, 0x00, 0xff}, {0xCC, 0x79, 0xA7, 0xff}, {0x99, 0x99, 0x99, 0xff},
}

// Colours of the single-series charts and of the timeline's two lines.
var (
	networkColor  = palette[4]
	capturedColor = palette[1]
	eligibleColor = palette[5]
)

// fontFamily replaces the Liberation face gonum measures with, so the page still reads where
// Liberation is missing and Hangul finds a face.
const fontFamily = `font-family:'Liberation Sans',Arial,Helvetica,'Noto Sans CJK KR','Noto Sans',sans-serif`

func newPlot() *plot.Plot {
	p := plot.New()
	sans := func(f *font.Font, size vg.Length) {
		f.Typeface, f.Variant, f.Size = "Liberation", "Sans", size
	}
	sans(&p.Title.TextStyle.Font, 10)
	sans(&p.X.Label.TextStyle.Font, 8)
	sans(&p.Y.Label.TextStyle.Font, 8)
	sans(&p.X.Tick.Label.Font, 7)
	sans(&p.Y.Tick.Label.Font, 7)
	sans(&p.Legend.TextStyle.Font, 8)
	p.Y.Min = 0
	p.Y.Tick.Marker = countTicks{}
	return p
}

// countTicks puts ticks on whole numbers only: half a prize makes no sense.
type countTicks struct{}

func (countTicks) Ticks(min, max float64) []plot.Tick {
	step := 1.0
	for _, s := range []float64{1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000, 20000, 50000, 1e5, 2e5, 5e5, 1e6} {
		step = s
		if max/s <= 6 {
			break
		}
	}
	var ticks []plot.Tick
	for v := math.Ceil(min/step) * step; v <= max+1e-9; v += step {
		ticks = append(ticks, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'f', -1, 64)})
	}
	return ticks
}

// hourTicks labels every third hour of a 0–23 axis.
type hourTicks struct{}

func (hourTicks) Ticks(min, max float64) []plot.Tick {
	var ticks []plot.Tick
	for h := 0; h < 24; h++ {
		t := plot.Tick{Value: float64(h)}
		if h%3 == 0 {
			t.Label = strconv.Itoa(h)
		}
		ticks = append(ticks, t)
	}
	return ticks
}

// render draws p and returns inline SVG markup. The markup is trusted: gonum escapes every text
// it writes (html.EscapeString), and the label is escaped here.
func render(p *plot.Plot, w, h vg.Length, label string) (template.HTML, error) {
	c := vgsvg.New(w, h)
	p.Draw(draw.New(c))
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return "", err
	}
	s := buf.String()
	// Drop the XML prolog and comment: inline in HTML the document starts at <svg.
	if i := strings.Index(s, "<svg"); i >= 0 {
		s = s[i:]
	}
	s = strings.Replace(s, "<svg ", `<svg class="chart" role="img" aria-label="`+html.EscapeString(label)+`" `, 1)
	s = strings.ReplaceAll(s, "font-family:Liberation Sans", fontFamily)
	return template.HTML(s), nil
}

// padX keeps the first and last of n bars off the plot's edges.
func padX(p *plot.Plot, n int) { p.X.Min, p.X.Max = -0.7, float64(n)-0.3 }

func maxY(p *plot.Plot, top float64) {
	p.Y.Min = 0
	p.Y.Max = math.Max(math.Max(p.Y.Max, top), 1)
}

// chartByHour stacks each prize's gives per local hour, one colour per prize.
func chartByHour(r *Report) (template.HTML, error) {
	p := newPlot()
	p.Y.Label.Text = "prizes given"
	p.X.Label.Text = "hour (" + r.Campaign.TimeZone + ")"
	names := make([]string, 24)
	for h := range names {
		names[h] = strconv.Itoa(h)
	}
	var below *plotter.BarChart
	for i, pr := range r.Prizes {
		vs := make(plotter.Values, 24)
		for h, n := range r.ByHourPrize[pr.Key] {
			vs[h] = float64(n)
		}
		bars, err := plotter.NewBarChart(vs, vg.Points(13))
		if err != nil {
			return "", err
		}
		bars.Color = palette[i%len(palette)]
		bars.LineStyle.Width = 0
		if below != nil {
			bars.StackOn(below)
		}
		p.Add(bars)
		below = bars
	}
	var top float64
	for _, h := range r.ByHour {
		top = math.Max(top, float64(h.Given))
	}
	p.Add(plotter.NewGrid())
	p.NominalX(names...)
	padX(p, 24)
	maxY(p, top)
	return render(p, 180*vg.Millimeter, 62*vg.Millimeter, "Prizes given per hour, by prize")
}

// chartByNetwork draws a bar per network that gave prizes (twitter always, as the reference).
func chartByNetwork(r *Report) (template.HTML, error) {
	p := newPlot()
	p.Y.Label.Text = "prizes given"
	var names []string
	var vs plotter.Values
	for _, n := range Networks {
		if r.ByNetwork[n] > 0 || n == "twitter" {
			names = append(names, n)
			vs = append(vs, float64(r.ByNetwork[n]))
		}
	}
	bars, err := plotter.NewBarChart(vs, vg.Points(22))
	if err != nil {
		return "", err
	}
	bars.Color = networkColor
	bars.LineStyle.Width = 0
	p.Add(plotter.NewGrid(), bars)
	p.NominalX(names...)
	padX(p, len(names))
	maxY(p, 0)
	return render(p, 72*vg.Millimeter, 55*vg.Millimeter, "Prizes given per network")
}

// chartTimeline draws the campaign's posts per local hour: captured as bars, eligible as a line.
func chartTimeline(r *Report) (template.HTML, error) {
	p := newPlot()
	p.Y.Label.Text = "posts"
	p.X.Label.Text = "hour (" + r.Campaign.TimeZone + ")"
	p.X.Tick.Marker = hourTicks{}
	captured := make(plotter.Values, 24)
	eligible := make(plotter.XYs, 24)
	var top float64
	for h, t := range r.TweetsByHour {
		captured[h] = float64(t.Captured)
		eligible[h] = plotter.XY{X: float64(h), Y: float64(t.Eligible)}
		top = math.Max(top, float64(t.Captured))
	}
	bars, err := plotter.NewBarChart(captured, vg.Points(13))
	if err != nil {
		return "", err
	}
	bars.Color, bars.LineStyle.Width = capturedColor, 0
	line, points, err := plotter.NewLinePoints(eligible)
	if err != nil {
		return "", err
	}
	line.Color, line.Width = eligibleColor, vg.Points(1.5)
	points.Color, points.Shape, points.Radius = eligibleColor, draw.CircleGlyph{}, vg.Points(1.8)
	p.Add(plotter.NewGrid(), bars, line, points)
	padX(p, 24)
	maxY(p, top)
	return render(p, 180*vg.Millimeter, 55*vg.Millimeter, "Campaign posts per hour: captured (bars) and eligible (line)")
}
