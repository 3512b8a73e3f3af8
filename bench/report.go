package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// Results and their presentation: a text table per case, JSON, and (in
// html.go) a page with charts.

// Round is one target's measurement in one round.
type Round struct {
	Ops       uint64  `json:"ops"`
	ElapsedMs float64 `json:"elapsed_ms"`
	OpsPerSec float64 `json:"ops_per_sec"`
	P50Ms     float64 `json:"p50_ms"`
	P99Ms     float64 `json:"p99_ms"`
	P999Ms    float64 `json:"p999_ms"`
	MaxMs     float64 `json:"max_ms"`
	Hits      uint64  `json:"hits"`
	Misses    uint64  `json:"misses"`
	Errors    uint64  `json:"errors"`
	Published uint64  `json:"published,omitempty"` // pubsub

	hist    *Histogram
	errText map[string]uint64
	last    int64 // when the last measured reply arrived
}

func newRound() *Round { return &Round{hist: &Histogram{}, errText: map[string]uint64{}} }

func ms(ns int64) float64 { return float64(ns) / 1e6 }

// finish computes the round's figures from its histogram and the time
// from the start of measurement to the last measured reply.
func (rr *Round) finish(measureStart int64) {
	if elapsedNs := rr.last - measureStart; elapsedNs > 0 {
		rr.ElapsedMs = ms(elapsedNs)
		rr.OpsPerSec = float64(rr.Ops) / (float64(elapsedNs) / 1e9)
	}
	rr.P50Ms = ms(rr.hist.Percentile(50))
	rr.P99Ms = ms(rr.hist.Percentile(99))
	rr.P999Ms = ms(rr.hist.Percentile(99.9))
	rr.MaxMs = ms(rr.hist.Max())
}

// CurvePoint is one point of a latency percentile curve.
type CurvePoint struct {
	Percentile float64 `json:"percentile"`
	Ms         float64 `json:"ms"`
}

// Result is one target's figures for a case: medians over rounds.
type Result struct {
	Target     string            `json:"target"`
	OpsPerSec  float64           `json:"ops_per_sec"`
	Ratio      float64           `json:"ratio"` // ops/s relative to the first target
	P50Ms      float64           `json:"p50_ms"`
	P99Ms      float64           `json:"p99_ms"`
	P999Ms     float64           `json:"p999_ms"`
	MaxMs      float64           `json:"max_ms"`
	HitRatio   *float64          `json:"hit_ratio,omitempty"`
	Errors     uint64            `json:"errors"`
	ErrorTexts map[string]uint64 `json:"error_texts,omitempty"`
	RSS        int64             `json:"rss_bytes"`
	Published  uint64            `json:"published,omitempty"`
	Note       string            `json:"note,omitempty"`
	Rounds     []*Round          `json:"rounds"`
	Curve      []CurvePoint      `json:"latency_curve"`

	hist         Histogram // all rounds
	hits, misses uint64
	errText      map[string]uint64
}

func (res *Result) addRound(rr *Round) {
	res.Rounds = append(res.Rounds, rr)
	res.hist.Merge(rr.hist)
	res.hits += rr.Hits
	res.misses += rr.Misses
	res.Errors += rr.Errors
	res.Published += rr.Published
	for k, v := range rr.errText {
		res.errText[k] += v
	}
}

// Case is one workload at one pipeline depth, across targets.
type Case struct {
	Workload string          `json:"workload"`
	Pipeline int             `json:"pipeline,omitempty"`
	Results  []*Result       `json:"results,omitempty"`
	Memory   []*MemoryResult `json:"memory,omitempty"`
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func medianOf(rs []*Round, f func(*Round) float64) float64 {
	xs := make([]float64, len(rs))
	for i, r := range rs {
		xs[i] = f(r)
	}
	return median(xs)
}

// curveNines are the curve's points, as numbers of nines: 1 is p90, 2 is
// p99, 3 is p99.9.
var curveNines = []float64{0, 0.301, 0.5, 0.75, 1, 1.25, 1.5, 1.75, 2, 2.25, 2.5, 2.75, 3, 3.25, 3.5, 3.75, 4, 4.5, 5}

func curve(h *Histogram) []CurvePoint {
	var pts []CurvePoint
	if h.Count() == 0 {
		return pts
	}
	limit := math.Log10(float64(h.Count()))
	for _, n := range curveNines {
		if n > limit {
			break
		}
		q := 100 * (1 - math.Pow(10, -n))
		pts = append(pts, CurvePoint{Percentile: q, Ms: ms(h.Percentile(q))})
	}
	return append(pts, CurvePoint{Percentile: 100, Ms: ms(h.Max())})
}

// summarize computes medians, hit ratios and ratios to the first target.
func (c *Case) summarize() {
	for _, res := range c.Results {
		res.OpsPerSec = medianOf(res.Rounds, func(r *Round) float64 { return r.OpsPerSec })
		res.P50Ms = medianOf(res.Rounds, func(r *Round) float64 { return r.P50Ms })
		res.P99Ms = medianOf(res.Rounds, func(r *Round) float64 { return r.P99Ms })
		res.P999Ms = medianOf(res.Rounds, func(r *Round) float64 { return r.P999Ms })
		res.MaxMs = medianOf(res.Rounds, func(r *Round) float64 { return r.MaxMs })
		if reportsHits(c.Workload) && res.hits+res.misses > 0 {
			h := float64(res.hits) / float64(res.hits+res.misses)
			res.HitRatio = &h
		}
		if len(res.errText) > 0 {
			res.ErrorTexts = res.errText
		}
		res.Curve = curve(&res.hist)
	}
	if len(c.Results) > 0 && c.Results[0].OpsPerSec > 0 {
		for _, res := range c.Results {
			res.Ratio = res.OpsPerSec / c.Results[0].OpsPerSec
		}
	}
}

// TargetInfo describes a target in the report.
type TargetInfo struct {
	Name    string `json:"name"`
	Addr    string `json:"addr"`
	Spawned bool   `json:"spawned"`
	Version string `json:"version,omitempty"`
}

// Settings are the run's parameters, as the report shows them.
type Settings struct {
	Clients     int     `json:"clients"`
	Pipelines   []int   `json:"pipelines"`
	Rounds      int     `json:"rounds"`
	Duration    string  `json:"duration,omitempty"`
	Requests    uint64  `json:"requests,omitempty"`
	Warmup      string  `json:"warmup"`
	Keyspace    uint64  `json:"keyspace"`
	Dist        string  `json:"distribution"`
	ZipfExp     float64 `json:"zipf_exponent,omitempty"`
	ValueSize   string  `json:"value_size"`
	TTL         string  `json:"ttl,omitempty"`
	Seed        uint64  `json:"seed"`
	Rate        float64 `json:"rate,omitempty"`
	Ratio       string  `json:"ratio,omitempty"`
	Subscribers int     `json:"subscribers,omitempty"`
	Channels    int     `json:"channels,omitempty"`
	Psubscribe  bool    `json:"psubscribe,omitempty"`
	Maxmemory   string  `json:"maxmemory,omitempty"`
	Policy      string  `json:"maxmemory_policy,omitempty"`
	CPUs        int     `json:"cpus"`
}

// Report is a whole run's results.
type Report struct {
	Started  time.Time    `json:"started"`
	Settings Settings     `json:"settings"`
	Targets  []TargetInfo `json:"targets"`
	Cases    []*Case      `json:"cases"`
}

func newReport(o *Options, targets []*Target) *Report {
	vs := fmt.Sprint(o.ValueMin)
	if o.ValueMax != o.ValueMin {
		vs = fmt.Sprintf("%d-%d", o.ValueMin, o.ValueMax)
	}
	rep := &Report{Started: time.Now(), Settings: Settings{
		Clients: o.Clients, Pipelines: o.Pipelines, Rounds: o.Rounds, Requests: o.Requests,
		Warmup: o.Warmup.String(), Keyspace: o.Keyspace, Dist: o.Dist.String(),
		ValueSize: vs, Seed: o.Seed, Rate: o.Rate, Subscribers: o.Subscribers,
		Channels: o.Channels, Psubscribe: o.Psubscribe,
		Maxmemory: o.Server.Maxmemory, Policy: o.Server.MaxmemoryPolicy, CPUs: runtime.NumCPU(),
	}}
	if o.Duration > 0 {
		rep.Settings.Duration = o.Duration.String()
	}
	if o.Dist == ZipfDist {
		rep.Settings.ZipfExp = o.ZipfExp
	}
	if o.TTL > 0 {
		rep.Settings.TTL = o.TTL.String()
	}
	if slices.Contains(o.Workloads, WorkloadMixed) {
		rep.Settings.Ratio = fmt.Sprintf("%d:%d", o.RatioSet, o.RatioGet)
	}
	for _, t := range targets {
		rep.Targets = append(rep.Targets, TargetInfo{Name: t.Name, Addr: t.Addr, Spawned: t.proc != nil, Version: t.version()})
	}
	return rep
}

// version asks the target what it is ("" if it won't say).
func (t *Target) version() string {
	m := t.info("server")
	switch {
	case m == nil:
		return ""
	case m["ember_version"] != "":
		return "ember " + m["ember_version"]
	case m["redis_version"] != "":
		return "redis " + m["redis_version"]
	}
	return ""
}

// WriteJSON writes the report as indented JSON.
func (rep *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

// replyErrors returns an error naming every target that replied with
// errors, or nil.
func (rep *Report) replyErrors() error {
	var lines []string
	for _, c := range rep.Cases {
		for _, res := range c.Results {
			if res.Errors > 0 {
				lines = append(lines, fmt.Sprintf("target %s: %d error replies in %s: %s", res.Target, res.Errors, c.title(), describeErrors(res.errText)))
			}
		}
		for _, m := range c.Memory {
			if m.Errors > 0 {
				lines = append(lines, fmt.Sprintf("target %s: %d error replies in %s: %s", m.Target, m.Errors, c.title(), describeErrors(m.ErrorTexts)))
			}
		}
	}
	if len(lines) == 0 {
		return nil
	}
	return fmt.Errorf("%w:\n  %s", ErrTargetReplies, strings.Join(lines, "\n  "))
}

func (c *Case) title() string {
	if c.Workload == WorkloadMemory {
		return c.Workload
	}
	return fmt.Sprintf("%s (pipeline %d)", c.Workload, c.Pipeline)
}

// describe is the case's one-line description of the settings.
func (c *Case) describe(s *Settings) string {
	var b strings.Builder
	if c.Workload == WorkloadMemory {
		fmt.Fprintf(&b, "%d keys, values of %s B", s.Keyspace, s.ValueSize)
		if s.TTL != "" {
			fmt.Fprintf(&b, ", TTL %s", s.TTL)
		}
		return b.String()
	}
	if c.Workload == WorkloadPubsub {
		subs := s.Subscribers
		if subs < 1 {
			subs = s.Clients
		}
		how := "SUBSCRIBE"
		if s.Psubscribe {
			how = "PSUBSCRIBE"
		}
		fmt.Fprintf(&b, "1 publisher, %d subscribers (%s), %d channel(s), pipeline %d", subs, how, max(s.Channels, 1), c.Pipeline)
	} else {
		fmt.Fprintf(&b, "%d clients, pipeline %d", s.Clients, c.Pipeline)
	}
	if s.Rate > 0 {
		fmt.Fprintf(&b, ", fixed rate %s/s", fmtCount(s.Rate))
	}
	if s.Rounds == 1 {
		b.WriteString(", 1 round")
	} else {
		fmt.Fprintf(&b, ", median of %d rounds", s.Rounds)
	}
	if s.Duration != "" {
		fmt.Fprintf(&b, " of %s", s.Duration)
	}
	if s.Requests > 0 {
		fmt.Fprintf(&b, " (at most %d requests)", s.Requests)
	}
	if c.Workload != WorkloadPubsub {
		fmt.Fprintf(&b, ", %d keys %s", s.Keyspace, s.Dist)
		if s.ZipfExp > 0 {
			fmt.Fprintf(&b, " (s=%g)", s.ZipfExp)
		}
	}
	fmt.Fprintf(&b, ", values %s B", s.ValueSize)
	if s.TTL != "" {
		fmt.Fprintf(&b, ", TTL %s", s.TTL)
	}
	if c.Workload == WorkloadMixed {
		fmt.Fprintf(&b, ", set:get %s", s.Ratio)
	}
	return b.String()
}

// writeText prints the case as a table.
func (c *Case) writeText(w io.Writer, rep *Report) {
	fmt.Fprintf(w, "\n== %s: %s\n", c.Workload, c.describe(&rep.Settings))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	base, width := "", len("target")
	for i, t := range rep.Targets {
		if i == 0 {
			base = t.Name
		}
		width = max(width, len(t.Name))
	}
	name := func(s string) string { return fmt.Sprintf("%-*s", width, s) } // left-aligned
	if c.Workload == WorkloadMemory {
		fmt.Fprintf(tw, "%s\tkeys\tRSS before\tRSS after\tRSS/key\tused_memory/key\tvs %s\tload ops/s\terrors\t\n", name("target"), base)
		for _, m := range c.Memory {
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t\n", name(m.Target), m.Keys, fmtBytes(m.RSSBefore), fmtBytes(m.RSSAfter),
				fmtPerKey(m.RSSPerKey), fmtPerKey(m.UsedPerKey), fmtRatio(m.Ratio), fmtCount(m.LoadOpsPerSec), m.Errors)
		}
		tw.Flush()
		for _, m := range c.Memory {
			if m.Errors > 0 {
				fmt.Fprintf(w, "  %s errors: %s\n", m.Target, describeErrors(m.ErrorTexts))
			}
		}
		return
	}
	unit := "ops/s"
	if c.Workload == WorkloadPubsub {
		unit = "msgs/s"
	}
	hits := reportsHits(c.Workload)
	fmt.Fprintf(tw, "%s\t%s\tvs %s\tp50\tp99\tp99.9\tmax\t", name("target"), unit, base)
	if hits {
		fmt.Fprint(tw, "hits\t")
	}
	fmt.Fprint(tw, "errors\tRSS\t\n")
	for _, res := range c.Results {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t", name(res.Target), fmtCount(res.OpsPerSec), fmtRatio(res.Ratio),
			fmtMs(res.P50Ms), fmtMs(res.P99Ms), fmtMs(res.P999Ms), fmtMs(res.MaxMs))
		if hits {
			if res.HitRatio != nil {
				fmt.Fprintf(tw, "%.1f%%\t", 100**res.HitRatio)
			} else {
				fmt.Fprint(tw, "-\t")
			}
		}
		fmt.Fprintf(tw, "%d\t%s\t\n", res.Errors, fmtBytes(res.RSS))
	}
	tw.Flush()
	for _, res := range c.Results {
		if res.Errors > 0 {
			fmt.Fprintf(w, "  %s errors: %s\n", res.Target, describeErrors(res.errText))
		}
		if res.Note != "" {
			fmt.Fprintf(w, "  %s: %s\n", res.Target, res.Note)
		}
	}
}

// fmtCount formats a rate with thousands separators.
func fmtCount(v float64) string {
	n := int64(math.Round(v))
	s := fmt.Sprint(n)
	var b []byte
	for i := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b = append(b, ',')
		}
		b = append(b, s[i])
	}
	return string(b)
}

func fmtRatio(r float64) string {
	if r == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2fx", r)
}

// fmtMs formats a latency with a unit that suits it.
func fmtMs(v float64) string {
	switch {
	case v == 0:
		return "-"
	case v < 1:
		return fmt.Sprintf("%.0fµs", v*1000)
	case v < 10:
		return fmt.Sprintf("%.2fms", v)
	case v < 1000:
		return fmt.Sprintf("%.1fms", v)
	}
	return fmt.Sprintf("%.2fs", v/1000)
}

func fmtBytes(n int64) string {
	switch {
	case n <= 0:
		return "-"
	case n < 1<<20:
		return fmt.Sprintf("%.1fKB", float64(n)/(1<<10))
	case n < 1<<30:
		return fmt.Sprintf("%.1fMB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%.2fGB", float64(n)/(1<<30))
}

func fmtPerKey(v float64) string {
	if v == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f B", v)
}
