package server

import (
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Latency: per-command latency histograms and the latency monitor.
//
// Histograms. Redis keeps an HdrHistogram per command (nanoseconds, two
// significant digits) and shows it in two ways: LATENCY HISTOGRAM prints
// cumulative counts at power-of-two nanosecond marks (1024 ns, 2048 ns,
// ...), each labelled with the highest value its HDR bucket holds, in whole
// microseconds: 1, 2, 4, 8, 16, 33, 66, 132, ... up to 1082130 (one second,
// where Redis clamps); INFO latencystats prints percentiles. Because
// command durations are whole microseconds, a duration of d µs belongs to
// the first mark whose label is >= d, so those marks can be counted exactly
// without an HdrHistogram: latEdges are the labels, and a histogram here is
// one counter per mark, each split into latSub linear sub-buckets so that
// percentiles keep a resolution of 1/latSub of a mark's range (exact up to
// 16 µs, about 12% above). Percentiles are then reported the way Redis
// reports them, as the HDR-equivalent value of the sub-bucket reached.
//
// Cost on the command path: the counters are striped like cmdStats (a
// client adds to the stripe its id picks), so an observation is a bucket
// computation (a bit length, a table lookup, a multiply) and one atomic add
// on a cache line no other core writes in practice. A command's histogram
// is allocated on its first call, so commands never called cost nothing.
// The same counters feed LATENCY HISTOGRAM, INFO latencystats and the
// ember_command_duration_seconds metric.
//
// The latency monitor (LATENCY LATEST/HISTORY/GRAPH/DOCTOR/RESET) is
// Redis's: when latency-monitor-threshold is set, a command that took at
// least that many milliseconds adds a sample to the "command" event (or
// "fast-command" for commands flagged fast); each event keeps its last
// latencyTSLen samples, one per second (the highest of that second).

// Shape of a latency histogram.
const (
	latBuckets  = 21                     // Redis's LATENCY HISTOGRAM marks, 1 µs ... 1082130 µs
	latSub      = 8                      // linear sub-buckets per mark
	latOverflow = latBuckets * latSub    // index of durations above the last mark
	latCounters = latOverflow + 1        // counters per stripe
	latStride   = (latCounters + 7) &^ 7 // a stripe's counters padded to whole cache lines
	latMaxUsec  = 1_000_000              // Redis clamps recorded durations to one second
)

var (
	// latEdges are the marks' labels (µs): hdrHighest(1024<<k)/1000.
	latEdges [latBuckets]int64
	// latRecip[k] maps an offset inside mark k to its sub-bucket with a
	// multiply and a shift: ceil(latSub<<32 / width of mark k).
	latRecip [latBuckets]uint64
)

func init() {
	for k := range latEdges {
		latEdges[k] = hdrHighest(1024<<k) / 1000
	}
	latRecip[0] = 0
	for k := 1; k < latBuckets; k++ {
		w := uint64(latEdges[k] - latEdges[k-1])
		latRecip[k] = (latSub<<32 + w - 1) / w
	}
}

// hdrHighest and hdrLowest are the bounds of the HdrHistogram bucket
// (lowest trackable value 1, two significant digits: 256 sub-buckets) that
// holds v, the values Redis reports for a percentile.
func hdrHighest(v int64) int64 {
	if v < 256 {
		return v
	}
	shift := uint(bits.Len64(uint64(v)) - 8)
	return v>>shift<<shift + 1<<shift - 1
}

func hdrLowest(v int64) int64 {
	if v < 256 {
		return v
	}
	shift := uint(bits.Len64(uint64(v)) - 8)
	return v >> shift << shift
}

// latIndex returns the counter a duration of usec microseconds goes to.
// Mark 0 keeps 0 µs and 1 µs apart (sub-buckets 0 and 1), as Redis's
// nanosecond histogram does.
func latIndex(usec int64) int {
	if usec <= 1 {
		if usec < 1 {
			return 0
		}
		return 1
	}
	if usec > latEdges[latBuckets-1] {
		return latOverflow
	}
	k := bits.Len64(uint64(usec)) - 1 // usec in [2^k, 2^(k+1)); its mark is k or k+1
	if usec > latEdges[k] {
		k++
	}
	j := int(uint64(usec-latEdges[k-1]-1) * latRecip[k] >> 32)
	return k*latSub + min(j, latSub-1)
}

// latRep returns, for each counter, the largest duration (µs) counted in
// it: the value a percentile falling in that counter reports.
var latRep = sync.OnceValue(func() (rep [latCounters]int64) {
	for i := range latOverflow {
		// The largest u with latIndex(u) <= i (latIndex is monotone).
		lo, hi := int64(0), latEdges[latBuckets-1]
		for lo < hi {
			mid := (lo + hi + 1) / 2
			if latIndex(mid) <= i {
				lo = mid
			} else {
				hi = mid - 1
			}
		}
		rep[i] = lo
	}
	rep[latOverflow] = latMaxUsec
	return rep
})

// latencyHist is one command's striped latency histogram.
type latencyHist struct {
	s [counterStripes][latStride]atomic.Int64
}

// snapshot sums the stripes.
func (h *latencyHist) snapshot() (c [latCounters]int64, total int64) {
	for s := range h.s {
		for i := range latCounters {
			v := h.s[s][i].Load()
			c[i] += v
			total += v
		}
	}
	return c, total
}

// marks returns the cumulative count at each of Redis's marks; durations
// above the last mark count in it, as Redis clamps them to one second.
func marks(c *[latCounters]int64) (cum [latBuckets]int64) {
	var n int64
	for k := range latBuckets {
		for j := range latSub {
			n += c[k*latSub+j]
		}
		cum[k] = n
	}
	cum[latBuckets-1] += c[latOverflow]
	return cum
}

// percentile returns the duration in nanoseconds Redis would report for
// percentile p (0-100) of a histogram with counts c and the given total:
// hdr_value_at_percentile over the sub-buckets.
func percentile(c *[latCounters]int64, total int64, p float64) int64 {
	if total == 0 {
		return 0
	}
	target := int64(min(p, 100)/100*float64(total) + 0.5)
	target = max(target, 1)
	rep := latRep()
	var n int64
	for i, v := range c {
		n += v
		if n < target {
			continue
		}
		ns := min(rep[i], latMaxUsec) * 1000
		if ns == 0 {
			ns = 1 // Redis records a zero duration as 1 ns
		}
		if p == 0 {
			return hdrLowest(ns)
		}
		return hdrHighest(ns)
	}
	return 0
}

// observeLatency records one call of cmd in its histogram, allocating the
// histogram on the first call.
func (cmd *Command) observeLatency(stripe int, usec int64) {
	h := cmd.lat.Load()
	if h == nil {
		h = new(latencyHist)
		if !cmd.lat.CompareAndSwap(nil, h) {
			h = cmd.lat.Load()
		}
	}
	h.s[stripe&(counterStripes-1)][latIndex(usec)].Add(1)
}

// latencySnapshot returns cmd's histogram counts; ok is false when the
// command has no calls recorded.
func (cmd *Command) latencySnapshot() (c [latCounters]int64, total int64, ok bool) {
	h := cmd.lat.Load()
	if h == nil {
		return c, 0, false
	}
	c, total = h.snapshot()
	return c, total, total > 0
}

// formatPercentile prints a percentile as Redis's INFO does ("%f" with
// trailing zeros and point trimmed: 50, 99.9).
func formatPercentile(p float64) string {
	s := strconv.FormatFloat(p, 'f', 6, 64)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// infoLatencyStats writes INFO's latencystats section.
func (s *Server) infoLatencyStats(b *infoBuf) {
	b.header("Latencystats")
	ps := *s.ops.percentiles.Load()
	for _, cmd := range s.cmds.sortedByName() {
		c, total, ok := cmd.latencySnapshot()
		if !ok {
			continue
		}
		var v []byte
		for i, p := range ps {
			if i > 0 {
				v = append(v, ',')
			}
			v = append(v, 'p')
			v = append(v, formatPercentile(p)...)
			v = append(v, '=')
			v = strconv.AppendFloat(v, float64(percentile(&c, total, p))/1000, 'f', 3, 64)
		}
		b.field("latency_percentiles_usec_"+cmd.FullName(), string(v))
	}
}

// sortedByName returns every command and subcommand ordered by full name.
func (t *commandTable) sortedByName() []*Command {
	cmds := t.all()
	slices.SortFunc(cmds, func(x, y *Command) int { return strings.Compare(x.Name, y.Name) })
	return cmds
}

// The latency monitor.

// latencyTSLen is the number of samples an event keeps (Redis's
// LATENCY_TS_LEN).
const latencyTSLen = 160

type latencySample struct {
	time    int64 // unix seconds; 0 = unused slot
	latency int64 // milliseconds
}

// latencySeries is one event's samples, a ring of one sample per second.
type latencySeries struct {
	idx     int
	max     int64
	samples [latencyTSLen]latencySample
}

// latencyEvents are the latency monitor's events by name.
type latencyEvents struct {
	mu sync.Mutex
	m  map[string]*latencySeries
}

// add records a latency of ms milliseconds for event at unix second now.
func (e *latencyEvents) add(event string, ms, now int64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.m == nil {
		e.m = make(map[string]*latencySeries)
	}
	ts := e.m[event]
	if ts == nil {
		ts = &latencySeries{}
		e.m[event] = ts
	}
	ts.max = max(ts.max, ms)
	prev := &ts.samples[(ts.idx+latencyTSLen-1)%latencyTSLen]
	if prev.time == now {
		prev.latency = max(prev.latency, ms)
		return
	}
	ts.samples[ts.idx] = latencySample{time: now, latency: ms}
	ts.idx = (ts.idx + 1) % latencyTSLen
}

// reset drops the named event (every event when name is nil) and returns
// how many were dropped. Names match case-insensitively, as in Redis.
func (e *latencyEvents) reset(name []byte) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for ev := range e.m {
		if name == nil || strings.EqualFold(ev, string(name)) {
			delete(e.m, ev)
			n++
		}
	}
	return n
}

// eventView is a copy of one event taken under the lock.
type eventView struct {
	name    string
	max     int64
	samples []latencySample // oldest first
}

// latest returns the last sample of a view.
func (v *eventView) latest() latencySample { return v.samples[len(v.samples)-1] }

// view copies the events (sorted by name) or, with name set, only that one.
func (e *latencyEvents) view(name string) []eventView {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []eventView
	for ev, ts := range e.m {
		if name != "" && ev != name {
			continue
		}
		v := eventView{name: ev, max: ts.max}
		for j := range latencyTSLen {
			s := ts.samples[(ts.idx+j)%latencyTSLen]
			if s.time != 0 {
				v.samples = append(v.samples, s)
			}
		}
		out = append(out, v)
	}
	slices.SortFunc(out, func(a, b eventView) int { return strings.Compare(a.name, b.name) })
	return out
}

// latencyStats are analyzeLatencyForEvent's figures for LATENCY DOCTOR.
type latencyStats struct {
	samples, avg, mad, min, max int64
	period                      int64 // seconds covered by the samples
}

func analyzeLatency(v *eventView, now int64) latencyStats {
	var ls latencyStats
	if len(v.samples) == 0 {
		return ls
	}
	var sum int64
	oldest := v.samples[0].time
	ls.min, ls.max = v.samples[0].latency, v.samples[0].latency
	for _, s := range v.samples {
		sum += s.latency
		ls.min = min(ls.min, s.latency)
		ls.max = max(ls.max, s.latency)
		oldest = min(oldest, s.time)
	}
	ls.samples = int64(len(v.samples))
	ls.avg = sum / ls.samples
	ls.period = max(now-oldest, 1)
	var dev int64
	for _, s := range v.samples {
		d := ls.avg - s.latency
		if d < 0 {
			d = -d
		}
		dev += d
	}
	ls.mad = dev / ls.samples
	return ls
}

// latencyDoctor is LATENCY DOCTOR's report, Redis's analysis for the
// events ember records (command and fast-command) and its THP check.
func (s *Server) latencyDoctor() string {
	now := time.Now().Unix()
	events := s.ops.events.view("")
	threshold := s.ops.latencyThreshold.Load()
	if len(events) == 0 && threshold == 0 {
		return "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n"
	}
	var b strings.Builder
	var slowlogEnabled, slowlogTuning, slowlogInspect, scheduler, largeObjects, thp bool
	advices := 0
	for i, ev := range events {
		if i == 0 {
			b.WriteString("Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n")
		}
		ls := analyzeLatency(&ev, now)
		b.WriteString(strconv.Itoa(i+1) + ". " + ev.name + ": " + itoa(ls.samples) + " latency spikes (average " +
			itoa(ls.avg) + "ms, mean deviation " + itoa(ls.mad) + "ms, period " +
			strconv.FormatFloat(float64(ls.period)/float64(ls.samples), 'f', 2, 64) +
			" sec). Worst all time event " + itoa(ev.max) + "ms.")
		switch strings.ToLower(ev.name) {
		case "command":
			if s.ops.slowlogThreshold.Load() < 0 || s.ops.slowlogMaxLen.Load() == 0 {
				slowlogEnabled = true
				advices++
			} else if s.ops.slowlogThreshold.Load()/1000 > threshold {
				slowlogTuning = true
				advices++
			}
			slowlogInspect, largeObjects = true, true
			advices += 2
		case "fast-command":
			scheduler = true
			advices++
		}
		b.WriteByte('\n')
	}
	if anonHugePages() > 0 {
		thp = true
		advices++
	}
	switch {
	case len(events) == 0 && advices == 0:
		b.WriteString("Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n")
	case len(events) > 0 && advices == 0:
		b.WriteString("\nWhile there are latency events logged, I'm not able to suggest any easy fix. Please use the Redis community to get some help, providing this report in your help request.\n")
	default:
		b.WriteString("\nI have a few advices for you:\n\n")
		suggested := strconv.FormatInt(threshold*1000, 10)
		if slowlogEnabled {
			b.WriteString("- There are latency issues with potentially slow commands you are using. Try to enable the Slow Log Redis feature using the command 'CONFIG SET slowlog-log-slower-than " + suggested + "'. If the Slow log is disabled Redis is not able to log slow commands execution for you.\n")
		}
		if slowlogTuning {
			b.WriteString("- Your current Slow Log configuration only logs events that are slower than your configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than " + suggested + "'.\n")
		}
		if slowlogInspect {
			b.WriteString("- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.\n")
		}
		if scheduler {
			b.WriteString("- The system is slow to execute Redis code paths not containing system calls. This usually means the system does not provide Redis CPU time to run for long periods. You should try to:\n" +
				"  1) Lower the system load.\n" +
				"  2) Use a computer / VM just for Redis if you are running other software in the same system.\n" +
				"  3) Check if you have a \"noisy neighbour\" problem.\n" +
				"  4) Check with 'redis-cli --intrinsic-latency 100' what is the intrinsic latency in your system.\n" +
				"  5) Check if the problem is allocator-related by recompiling Redis with MALLOC=libc, if you are using Jemalloc. However this may create fragmentation problems.\n")
		}
		if largeObjects {
			b.WriteString("- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.\n")
		}
		if thp {
			b.WriteString("- I detected a non zero amount of anonymous huge pages used by your process. This creates very serious latency events in different conditions, especially when Redis is persisting on disk. To disable THP support use the command 'echo never > /sys/kernel/mm/transparent_hugepage/enabled', make sure to also add it into /etc/rc.local so that the command will be executed again after a reboot. Note that even if you have already disabled THP, you still need to restart the Redis process to get rid of the huge pages already created.\n")
		}
	}
	return b.String()
}

// Sparkline graphs for LATENCY GRAPH (Redis's sparkline.c): each sample is
// a column; its height is drawn over graphRows rows with three levels per
// row ("_o#", filled below with '|'), and the sample's label (how long ago
// it happened) is written vertically below, after one blank row.
const (
	graphCols = 80
	graphRows = 4
)

type sparkSample struct {
	value float64
	label string
}

func renderSparkline(b *strings.Builder, seq []sparkSample) {
	const fill = "_o#"
	if len(seq) == 0 {
		return
	}
	lo, hi := seq[0].value, seq[0].value
	labels := false
	for _, s := range seq {
		lo, hi = min(lo, s.value), max(hi, s.value)
		labels = labels || s.label != ""
	}
	rel := hi - lo
	if rel == 0 {
		rel = 1
	}
	steps := len(fill) * graphRows
	for off := 0; off < len(seq); off += graphCols {
		if off != 0 {
			b.WriteByte('\n')
		}
		part := seq[off:min(off+graphCols, len(seq))]
		line := make([]byte, len(part))
		for row := 0; ; row++ {
			more := false
			for j := range line {
				line[j] = ' '
			}
			for j, s := range part {
				step := int(float64(int((s.value-lo)*float64(steps))) / rel)
				step = min(max(step, 0), steps-1)
				if row < graphRows {
					more = true
					idx := step - (graphRows-row-1)*len(fill)
					if idx >= 0 && idx < len(fill) {
						line[j] = fill[idx]
					} else if idx >= len(fill) {
						line[j] = '|'
					}
					continue
				}
				if labels && row-graphRows < 1 {
					more = true // the blank row between graph and labels
					break
				}
				if c := row - graphRows - 1; c < len(s.label) {
					more = true
					line[j] = s.label[c]
				}
			}
			if !more {
				break
			}
			b.Write(line)
			b.WriteByte('\n')
		}
	}
}

// latencyGraph is LATENCY GRAPH's picture of one event.
func latencyGraph(v *eventView, now int64) string {
	var b strings.Builder
	seq := make([]sparkSample, 0, len(v.samples))
	lo, hi := v.samples[0].latency, v.samples[0].latency
	for _, s := range v.samples {
		lo, hi = min(lo, s.latency), max(hi, s.latency)
		ago := now - s.time
		var label string
		switch {
		case ago < 60:
			label = itoa(ago) + "s"
		case ago < 3600:
			label = itoa(ago/60) + "m"
		case ago < 86400:
			label = itoa(ago/3600) + "h"
		default:
			label = itoa(ago/86400) + "d"
		}
		seq = append(seq, sparkSample{value: float64(s.latency), label: label})
	}
	b.WriteString(v.name + " - high " + itoa(hi) + " ms, low " + itoa(lo) + " ms (all time high " + itoa(v.max) + " ms)\n")
	b.WriteString(strings.Repeat("-", graphCols) + "\n")
	renderSparkline(&b, seq)
	return b.String()
}
