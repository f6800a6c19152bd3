package web

import (
	"fmt"
	"html/template"
	"math"
	"strings"
	"time"
)

// chart is a small chart drawn on the server as inline SVG: a line or a
// row of bars over a series of points, oldest first. It needs no script,
// and the CSS gives it the theme's colours.
type chart struct {
	ID    string // the id of its title, for aria-labelledby
	Title string
	Bars  bool // bars, else a line with a dot at each point
	// Max is the top of the value axis; 0: the largest value.
	Max    float64
	Format func(float64) string // a value as the axis and tooltips show it
	Points []chartPoint
}

// chartPoint is one point of a chart.
type chartPoint struct {
	Label string // what the point is, for its tooltip
	Value float64
	Href  string // where the point links to; "" for none
	Class string // ok, bad, run or off: the point's colour
}

const (
	chartW, chartH        = 640, 180
	chartLeft, chartRight = 56, 8
	chartTop, chartBottom = 10, 22
)

// SVG renders the chart. An empty chart renders as a note.
func (c *chart) SVG() template.HTML {
	if len(c.Points) == 0 {
		return template.HTML(`<p class="empty">No data yet.</p>`)
	}
	format := c.Format
	if format == nil {
		format = func(v float64) string { return fmt.Sprintf("%.0f", v) }
	}
	top := c.Max
	lo, hi, sum := math.Inf(1), math.Inf(-1), 0.0
	for _, p := range c.Points {
		lo, hi, sum = min(lo, p.Value), max(hi, p.Value), sum+p.Value
	}
	if top <= 0 {
		top = hi
	}
	if top <= 0 {
		top = 1
	}
	esc := template.HTMLEscapeString
	var b strings.Builder
	plotW, plotH := float64(chartW-chartLeft-chartRight), float64(chartH-chartTop-chartBottom)
	y := func(v float64) float64 { return chartTop + plotH - plotH*min(max(v, 0), top)/top }
	n := len(c.Points)
	step := plotW / float64(n)
	x := func(i int) float64 { return chartLeft + step*(float64(i)+0.5) }
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %d %d" role="img" aria-labelledby="%s-t %s-d" preserveAspectRatio="xMidYMid meet">`, chartW, chartH, esc(c.ID), esc(c.ID))
	fmt.Fprintf(&b, `<title id="%s-t">%s</title>`, esc(c.ID), esc(c.Title))
	fmt.Fprintf(&b, `<desc id="%s-d">%d points, oldest first: average %s, lowest %s, highest %s, latest %s.</desc>`,
		esc(c.ID), n, esc(format(sum/float64(n))), esc(format(lo)), esc(format(hi)), esc(format(c.Points[n-1].Value)))
	// The value axis: lines at 0, half and the top.
	for _, f := range []float64{0, 0.5, 1} {
		v := top * f
		fmt.Fprintf(&b, `<line class="grid" x1="%d" x2="%d" y1="%.1f" y2="%.1f"/>`, chartLeft, chartW-chartRight, y(v), y(v))
		fmt.Fprintf(&b, `<text class="axis" x="%d" y="%.1f" text-anchor="end" dominant-baseline="middle">%s</text>`, chartLeft-6, y(v), esc(format(v)))
	}
	fmt.Fprintf(&b, `<text class="axis" x="%d" y="%d">%s</text>`, chartLeft, chartH-4, esc(c.Points[0].Label))
	if n > 1 {
		fmt.Fprintf(&b, `<text class="axis" x="%d" y="%d" text-anchor="end">%s</text>`, chartW-chartRight, chartH-4, esc(c.Points[n-1].Label))
	}
	if !c.Bars && n > 1 {
		b.WriteString(`<polyline class="line" points="`)
		for i, p := range c.Points {
			fmt.Fprintf(&b, "%.1f,%.1f ", x(i), y(p.Value))
		}
		b.WriteString(`"/>`)
	}
	for i, p := range c.Points {
		if p.Href != "" {
			fmt.Fprintf(&b, `<a href="%s">`, esc(p.Href))
		}
		cls := p.Class
		if cls == "" {
			cls = "off"
		}
		tip := esc(p.Label + ": " + format(p.Value))
		if c.Bars {
			w := min(max(step*0.7, 1), 28)
			h := max(chartTop+plotH-y(p.Value), 1)
			fmt.Fprintf(&b, `<rect class="pt %s" x="%.1f" y="%.1f" width="%.1f" height="%.1f"><title>%s</title></rect>`, cls, x(i)-w/2, chartTop+plotH-h, w, h, tip)
		} else {
			fmt.Fprintf(&b, `<circle class="pt %s" cx="%.1f" cy="%.1f" r="4"><title>%s</title></circle>`, cls, x(i), y(p.Value), tip)
		}
		if p.Href != "" {
			b.WriteString(`</a>`)
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// percent formats a percentage for a chart.
func percent(v float64) string {
	if v == math.Trunc(v) {
		return fmt.Sprintf("%.0f%%", v)
	}
	return fmt.Sprintf("%.1f%%", v)
}

// seconds formats a number of seconds for a chart.
func seconds(v float64) string {
	switch {
	case v > 0 && v < 1:
		return fmt.Sprintf("%.2fs", v)
	case v < 60 && v != math.Trunc(v):
		return fmt.Sprintf("%.1fs", v)
	}
	return fmtDur(time.Duration(v * float64(time.Second)))
}
