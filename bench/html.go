package bench

import (
	"fmt"
	"html"
	"math"
	"strings"
)

// The HTML report: one self-contained page (no script, no external file)
// with, per workload, a bar chart of throughput per target and pipeline
// depth, and per case a latency percentile curve per target, drawn as
// inline SVG, beside the same tables the terminal shows.

var palette = []string{"#e4572e", "#2e86ab", "#76b041", "#f2a541", "#8e44ad", "#17bebb", "#555555"}

func color(i int) string { return palette[i%len(palette)] }

const pageStyle = `body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;max-width:980px;margin:2em auto;padding:0 1em;color:#222}
h1{font-size:1.6em}h2{margin-top:2em;border-bottom:1px solid #ddd;padding-bottom:.2em}
table{border-collapse:collapse;margin:.8em 0;font-variant-numeric:tabular-nums}
th,td{padding:.25em .7em;text-align:right;border-bottom:1px solid #eee}th:first-child,td:first-child{text-align:left}
.desc{color:#555;font-size:.92em}.err{color:#b00020;font-size:.92em}svg{display:block;margin:.6em 0}
dl{display:grid;grid-template-columns:max-content auto;gap:.2em 1em}dt{color:#555}`

// HTML renders the report as a page.
func (rep *Report) HTML() string {
	var b strings.Builder
	b.WriteString("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>ember-bench report</title><style>")
	b.WriteString(pageStyle)
	b.WriteString("</style></head><body>\n<h1>ember-bench report</h1>\n<dl>")
	dd := func(k, v string) {
		fmt.Fprintf(&b, "<dt>%s</dt><dd>%s</dd>", html.EscapeString(k), html.EscapeString(v))
	}
	dd("started", rep.Started.Format("2006-01-02 15:04:05 MST"))
	for _, t := range rep.Targets {
		v := t.Addr
		if t.Spawned {
			v += " (started by ember-bench)"
		}
		if t.Version != "" {
			v += ", " + t.Version
		}
		dd("target "+t.Name, v)
	}
	s := rep.Settings
	dd("CPUs", fmt.Sprint(s.CPUs))
	if s.Maxmemory != "" || s.Policy != "" {
		dd("server settings", strings.TrimSpace("maxmemory "+s.Maxmemory+" "+s.Policy))
	}
	dd("seed", fmt.Sprint(s.Seed))
	b.WriteString("</dl>\n")

	var names []string
	for _, t := range rep.Targets {
		names = append(names, t.Name)
	}
	// Group cases by workload, keeping their order.
	var order []string
	byWorkload := map[string][]*Case{}
	for _, c := range rep.Cases {
		if _, ok := byWorkload[c.Workload]; !ok {
			order = append(order, c.Workload)
		}
		byWorkload[c.Workload] = append(byWorkload[c.Workload], c)
	}
	for _, w := range order {
		cs := byWorkload[w]
		fmt.Fprintf(&b, "<h2>%s</h2>\n", html.EscapeString(w))
		if w == WorkloadMemory {
			rep.htmlMemory(&b, cs[0], names)
			continue
		}
		unit := "ops/s"
		if w == WorkloadPubsub {
			unit = "delivered msgs/s"
		}
		var groups []string
		var vals [][]float64
		for _, c := range cs {
			groups = append(groups, fmt.Sprintf("pipeline %d", c.Pipeline))
			row := make([]float64, len(names))
			for i, res := range c.Results {
				row[i] = res.OpsPerSec
			}
			vals = append(vals, row)
		}
		b.WriteString(svgBars(w+": throughput ("+unit+", median of rounds)", groups, names, vals, fmtCount))
		for _, c := range cs {
			fmt.Fprintf(&b, "<h3>%s</h3><p class=\"desc\">%s</p>\n", html.EscapeString(c.title()), html.EscapeString(c.describe(&rep.Settings)))
			rep.htmlTable(&b, c, unit)
			var curves [][]CurvePoint
			for _, res := range c.Results {
				curves = append(curves, res.Curve)
			}
			b.WriteString(svgCurves(c.title()+": latency by percentile (all rounds)", names, curves))
		}
	}
	b.WriteString("</body></html>\n")
	return b.String()
}

func (rep *Report) htmlTable(b *strings.Builder, c *Case, unit string) {
	hits := reportsHits(c.Workload)
	base := rep.Targets[0].Name
	fmt.Fprintf(b, "<table><tr><th>target</th><th>%s</th><th>vs %s</th><th>p50</th><th>p99</th><th>p99.9</th><th>max</th>", unit, html.EscapeString(base))
	if hits {
		b.WriteString("<th>hits</th>")
	}
	b.WriteString("<th>errors</th><th>RSS</th></tr>\n")
	for _, res := range c.Results {
		fmt.Fprintf(b, "<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td>", html.EscapeString(res.Target),
			fmtCount(res.OpsPerSec), fmtRatio(res.Ratio), fmtMs(res.P50Ms), fmtMs(res.P99Ms), fmtMs(res.P999Ms), fmtMs(res.MaxMs))
		if hits {
			if res.HitRatio != nil {
				fmt.Fprintf(b, "<td>%.1f%%</td>", 100**res.HitRatio)
			} else {
				b.WriteString("<td>-</td>")
			}
		}
		fmt.Fprintf(b, "<td>%d</td><td>%s</td></tr>\n", res.Errors, fmtBytes(res.RSS))
	}
	b.WriteString("</table>\n")
	for _, res := range c.Results {
		if res.Errors > 0 {
			fmt.Fprintf(b, "<p class=\"err\">%s errors: %s</p>\n", html.EscapeString(res.Target), html.EscapeString(describeErrors(res.errText)))
		}
	}
}

func (rep *Report) htmlMemory(b *strings.Builder, c *Case, names []string) {
	fmt.Fprintf(b, "<p class=\"desc\">%s</p>\n", html.EscapeString(c.describe(&rep.Settings)))
	fmt.Fprintf(b, "<table><tr><th>target</th><th>keys</th><th>RSS before</th><th>RSS after</th><th>RSS/key</th><th>used_memory/key</th><th>vs %s</th><th>load ops/s</th><th>errors</th></tr>\n", html.EscapeString(names[0]))
	rss := make([]float64, len(names))
	used := make([]float64, len(names))
	for i, m := range c.Memory {
		fmt.Fprintf(b, "<tr><td>%s</td><td>%d</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%d</td></tr>\n",
			html.EscapeString(m.Target), m.Keys, fmtBytes(m.RSSBefore), fmtBytes(m.RSSAfter), fmtPerKey(m.RSSPerKey), fmtPerKey(m.UsedPerKey),
			fmtRatio(m.Ratio), fmtCount(m.LoadOpsPerSec), m.Errors)
		rss[i], used[i] = m.RSSPerKey, m.UsedPerKey
	}
	b.WriteString("</table>\n")
	for _, m := range c.Memory {
		if m.Errors > 0 {
			fmt.Fprintf(b, "<p class=\"err\">%s errors: %s</p>\n", html.EscapeString(m.Target), html.EscapeString(describeErrors(m.ErrorTexts)))
		}
	}
	b.WriteString(svgBars("memory: bytes per key", []string{"RSS", "used_memory"}, names, [][]float64{rss, used},
		func(v float64) string { return fmt.Sprintf("%.0f B", v) }))
}

// Chart geometry.
const (
	chartW    = 720
	chartH    = 300
	marginL   = 80
	marginR   = 20
	marginT   = 36
	marginB   = 56
	plotW     = chartW - marginL - marginR
	plotH     = chartH - marginT - marginB
	fontAttr  = `font-family="system-ui,sans-serif" font-size="12"`
	smallAttr = `font-family="system-ui,sans-serif" font-size="10"`
)

// niceCeil rounds v up to 1, 2 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

func svgOpen(b *strings.Builder, title string) {
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="%s">`,
		chartW, chartH, chartW, chartH, html.EscapeString(title))
	fmt.Fprintf(b, `<text x="%d" y="20" %s font-weight="bold">%s</text>`, marginL, fontAttr, html.EscapeString(title))
}

func svgLegend(b *strings.Builder, series []string) {
	x := marginL
	for i, s := range series {
		fmt.Fprintf(b, `<rect x="%d" y="%d" width="12" height="12" fill="%s"/><text x="%d" y="%d" %s>%s</text>`,
			x, chartH-18, color(i), x+16, chartH-8, fontAttr, html.EscapeString(s))
		x += 30 + 8*len(s)
	}
}

// svgBars draws a grouped bar chart: values[group][series].
func svgBars(title string, groups, series []string, values [][]float64, label func(float64) string) string {
	var b strings.Builder
	svgOpen(&b, title)
	top := 0.0
	for _, row := range values {
		for _, v := range row {
			top = max(top, v)
		}
	}
	step := niceCeil(top / 4)
	ticks := max(1, int(math.Ceil(top/step)))
	top = step * float64(ticks)
	y := func(v float64) float64 { return marginT + plotH - v/top*plotH }
	for i := 0; i <= ticks; i++ {
		v := step * float64(i)
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#ddd"/><text x="%d" y="%.1f" %s text-anchor="end">%s</text>`,
			marginL, marginL+plotW, y(v), y(v), marginL-6, y(v)+4, fontAttr, html.EscapeString(label(v)))
	}
	if len(groups) > 0 && len(series) > 0 {
		gw := float64(plotW) / float64(len(groups))
		bw := gw * 0.8 / float64(len(series))
		for g, row := range values {
			gx := marginL + gw*float64(g) + gw*0.1
			for s, v := range row {
				x := gx + bw*float64(s)
				fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s %s: %s</title></rect>`,
					x, y(v), bw-2, y(0)-y(v), color(s), html.EscapeString(series[s]), html.EscapeString(groups[g]), html.EscapeString(label(v)))
				if v > 0 {
					fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" %s text-anchor="middle">%s</text>`,
						x+bw/2-1, y(v)-3, smallAttr, html.EscapeString(label(v)))
				}
			}
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" %s text-anchor="middle">%s</text>`, gx+gw*0.4, marginT+plotH+16, fontAttr, html.EscapeString(groups[g]))
		}
	}
	fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="#888"/>`, marginL, marginL+plotW, marginT+plotH, marginT+plotH)
	svgLegend(&b, series)
	b.WriteString("</svg>\n")
	return b.String()
}

// nines maps a percentile to the x axis: 0 for p0, 1 for p90, 2 for p99.
func nines(q float64) float64 {
	if q >= 100 {
		return math.Inf(1)
	}
	return -math.Log10(1 - q/100)
}

// svgCurves draws latency against percentile, one line per series, on a
// log scale both ways; the last point of each curve is its max.
func svgCurves(title string, series []string, curves [][]CurvePoint) string {
	var b strings.Builder
	svgOpen(&b, title)
	xmax, lo, hi := 1.0, math.Inf(1), 0.0
	for _, c := range curves {
		for _, p := range c {
			if n := nines(p.Percentile); !math.IsInf(n, 1) {
				xmax = max(xmax, math.Ceil(n))
			}
			if p.Ms > 0 {
				lo, hi = min(lo, p.Ms), max(hi, p.Ms)
			}
		}
	}
	if hi == 0 {
		b.WriteString("</svg>\n")
		return b.String()
	}
	xmaxPlot := xmax + 0.5 // the max points sit half a decade past the last
	lo = math.Pow(10, math.Floor(math.Log10(lo)))
	hi = math.Pow(10, math.Ceil(math.Log10(hi)))
	if hi <= lo {
		hi = lo * 10
	}
	xf := func(n float64) float64 {
		if math.IsInf(n, 1) {
			n = xmaxPlot
		}
		return marginL + n/xmaxPlot*plotW
	}
	yf := func(v float64) float64 {
		v = max(v, lo)
		return marginT + plotH - (math.Log10(v)-math.Log10(lo))/(math.Log10(hi)-math.Log10(lo))*plotH
	}
	for d := lo; d <= hi*1.0001; d *= 10 {
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#ddd"/><text x="%d" y="%.1f" %s text-anchor="end">%s</text>`,
			marginL, marginL+plotW, yf(d), yf(d), marginL-6, yf(d)+4, fontAttr, fmtMs(d))
	}
	xlabel := func(n float64, s string) {
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%d" y2="%d" stroke="#eee"/><text x="%.1f" y="%d" %s text-anchor="middle">%s</text>`,
			xf(n), xf(n), marginT, marginT+plotH, xf(n), marginT+plotH+16, fontAttr, s)
	}
	xlabel(0, "p0")
	xlabel(nines(50), "p50")
	labels := []string{"p90", "p99", "p99.9", "p99.99", "p99.999", "p99.9999"}
	for n := 1.0; n <= xmax && int(n) <= len(labels); n++ {
		xlabel(n, labels[int(n)-1])
	}
	xlabel(math.Inf(1), "max")
	for i, c := range curves {
		var pts []string
		for _, p := range c {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", xf(nines(p.Percentile)), yf(p.Ms)))
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>`, color(i), strings.Join(pts, " "))
		for _, p := range c {
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="2.5" fill="%s"><title>%s p%g: %s</title></circle>`,
				xf(nines(p.Percentile)), yf(p.Ms), color(i), html.EscapeString(series[i]), math.Round(p.Percentile*1000)/1000, fmtMs(p.Ms))
		}
	}
	fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="#888"/>`, marginL, marginL+plotW, marginT+plotH, marginT+plotH)
	svgLegend(&b, series)
	b.WriteString("</svg>\n")
	return b.String()
}
