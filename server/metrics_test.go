package server

import (
	"encoding/json"
	"net"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/embercache/ember/internal/resptest"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// startAdminListener serves srv's admin endpoints on a fresh loopback port
// and returns its base URL.
func startAdminListener(t *testing.T, srv *Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv.serveAdmin([]net.Listener{ln})
	return "http://" + ln.Addr().String()
}

// scrape fetches and parses /metrics.
func scrape(t *testing.T, base string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/metrics: %s", resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return fams
}

// metricValue returns the value of the series of family name whose labels
// include want (a counter, gauge or untyped value; a histogram's count).
func metricValue(t *testing.T, fams map[string]*dto.MetricFamily, name string, want ...string) float64 {
	t.Helper()
	v, ok := lookupMetric(fams, name, want...)
	if !ok {
		t.Fatalf("metric %s has no series %v", name, want)
	}
	return v
}

// lookupMetric is metricValue reporting a missing series instead.
func lookupMetric(fams map[string]*dto.MetricFamily, name string, want ...string) (float64, bool) {
	f := fams[name]
	if f == nil {
		return 0, false
	}
next:
	for _, m := range f.Metric {
		have := map[string]string{}
		for _, l := range m.Label {
			have[l.GetName()] = l.GetValue()
		}
		for i := 0; i+1 < len(want); i += 2 {
			if have[want[i]] != want[i+1] {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		case m.Summary != nil:
			return float64(m.Summary.GetSampleCount()), true
		case m.Untyped != nil:
			return m.Untyped.GetValue(), true
		}
	}
	return 0, false
}

// TestMetricsWorkload scrapes /metrics around a known workload: 1,000
// SETs, 300 hits and 200 misses, 5 errors. Counters rise by exactly the
// workload, and every series that mirrors an INFO field lies between two
// INFO readings taken around the scrape (equal for what is idle).
func TestMetricsWorkload(t *testing.T) {
	srv := startServer(t, "--maxmemory", "64mb")
	base := startAdminListener(t, srv)
	c := dial(t, srv)
	c.MustDo(t, "SET", "warm", "up")
	before := scrape(t, base)

	var cmds [][]string
	for i := range 1000 {
		cmds = append(cmds, []string{"SET", "key:" + strconv.Itoa(i), "value", "EX", "1000"})
	}
	for i := range 300 {
		cmds = append(cmds, []string{"GET", "key:" + strconv.Itoa(i)})
	}
	for i := range 200 {
		cmds = append(cmds, []string{"GET", "missing:" + strconv.Itoa(i)})
	}
	for range 5 {
		cmds = append(cmds, []string{"INCR", "key:1"})
	}
	pipeline(t, c, cmds)
	c.MustDo(t, "SELECT", "3")
	c.MustDo(t, "SETEX", "in3", "100", "x")

	info1 := infoFields(t, c.MustDo(t, "INFO", "everything"))
	after := scrape(t, base)
	info2 := infoFields(t, c.MustDo(t, "INFO", "everything"))

	// A series absent before the workload counted zero.
	delta := func(name string, labels ...string) float64 {
		was, _ := lookupMetric(before, name, labels...)
		return metricValue(t, after, name, labels...) - was
	}
	for _, tc := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"redis_commands_total", []string{"cmd", "set"}, 1000},
		{"ember_command_duration_seconds", []string{"cmd", "set"}, 1000},
		{"redis_latency_percentiles_usec", []string{"cmd", "set"}, 1000},
		{"redis_commands_total", []string{"cmd", "get"}, 500},
		{"redis_commands_failed_calls_total", []string{"cmd", "incr"}, 5},
		{"redis_keyspace_hits_total", nil, 300},
		{"redis_keyspace_misses_total", nil, 200},
		{"redis_errors_total", []string{"err", "ERR"}, 5},
	} {
		if got := delta(tc.name, tc.labels...); got != tc.want {
			t.Errorf("%s%v rose by %v, want %v", tc.name, tc.labels, got, tc.want)
		}
	}
	// Between two INFO readings.
	for field, name := range infoCounters {
		sec := sectionOf(info1, field)
		if sec == "" {
			t.Errorf("INFO has no %s", field)
			continue
		}
		lo, _ := strconv.ParseFloat(info1[sec][field], 64)
		hi, _ := strconv.ParseFloat(info2[sec][field], 64)
		if v := metricValue(t, after, "redis_"+name); v < lo || v > hi {
			t.Errorf("redis_%s = %v, INFO %s went %v → %v", name, v, field, lo, hi)
		}
	}
	for _, field := range []string{"connected_clients", "blocked_clients", "maxmemory", "used_memory", "used_memory_startup", "maxclients", "process_id"} {
		sec := sectionOf(info1, field)
		want, _ := strconv.ParseFloat(info1[sec][field], 64)
		if got := metricValue(t, after, "redis_"+infoGauges[field]); got != want {
			t.Errorf("redis_%s = %v, INFO %s = %v", infoGauges[field], got, field, want)
		}
	}
	if v := metricValue(t, after, "redis_memory_max_bytes"); v != 64<<20 {
		t.Errorf("redis_memory_max_bytes %v", v)
	}
	for db, want := range map[string][2]float64{"db0": {1001, 1000}, "db3": {1, 1}, "db15": {0, 0}} {
		if k, e := metricValue(t, after, "redis_db_keys", "db", db), metricValue(t, after, "redis_db_keys_expiring", "db", db); k != want[0] || e != want[1] {
			t.Errorf("%s: keys %v expiring %v, want %v", db, k, e, want)
		}
	}
	if metricValue(t, after, "redis_up") != 1 || metricValue(t, after, "redis_instance_info", "redis_version", RedisVersion, "ember_version", Version, "role", "master") != 1 {
		t.Error("redis_up / redis_instance_info")
	}
	// The histogram agrees with LATENCY HISTOGRAM at every mark.
	v, _ := resptest.Parse(c.MustDo(t, "LATENCY", "HISTOGRAM", "set"))
	hist := after["ember_command_duration_seconds"]
	var h *dto.Histogram
	for _, m := range hist.Metric {
		if m.Label[0].GetValue() == "set" {
			h = m.Histogram
		}
	}
	marksSeen := v.Elems[1].Elems[3].Elems
	for i := 0; i < len(marksSeen); i += 2 {
		le := float64(marksSeen[i].Int) / 1e6
		for _, b := range h.Bucket {
			if b.GetUpperBound() == le && b.GetCumulativeCount() != uint64(marksSeen[i+1].Int) {
				t.Errorf("bucket le=%v: %d, LATENCY HISTOGRAM %d", le, b.GetCumulativeCount(), marksSeen[i+1].Int)
			}
		}
	}
	// The Go runtime's metrics.
	for _, name := range []string{"go_gc_duration_seconds", "go_memstats_heap_inuse_bytes", "go_goroutines", "process_resident_memory_bytes"} {
		if after[name] == nil {
			t.Errorf("%s not exported", name)
		}
	}
}

// sectionOf finds the INFO section holding field.
func sectionOf(info map[string]map[string]string, field string) string {
	for sec, fs := range info {
		if _, ok := fs[field]; ok {
			return sec
		}
	}
	return ""
}

// TestDashboardMetricsExported: every metric the shipped Grafana dashboard
// queries is exported.
func TestDashboardMetricsExported(t *testing.T) {
	b, err := os.ReadFile("../deploy/grafana-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
		Templating struct{ List []struct{ Definition string } }
	}
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatal(err)
	}
	var exprs []string
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			exprs = append(exprs, tg.Expr)
		}
	}
	for _, v := range dash.Templating.List {
		exprs = append(exprs, v.Definition)
	}
	srv := startServer(t, "--slowlog-log-slower-than", "0")
	c := dial(t, srv)
	c.MustDo(t, "SET", "k", "v")
	c.MustDo(t, "INCR", "k")
	fams := scrape(t, startAdminListener(t, srv))
	ident := regexp.MustCompile(`\b(redis|ember|go|process)_[a-zA-Z0-9_]+\b`)
	seen := 0
	for _, e := range exprs {
		for _, name := range ident.FindAllString(e, -1) {
			seen++
			if fams[name] != nil {
				continue
			}
			base := name
			for _, suf := range []string{"_bucket", "_sum", "_count"} {
				base = strings.TrimSuffix(base, suf)
			}
			if f := fams[base]; f == nil || (f.GetType() != dto.MetricType_HISTOGRAM && f.GetType() != dto.MetricType_SUMMARY) {
				t.Errorf("the dashboard queries %s, which is not exported (in %q)", name, e)
			}
		}
	}
	if seen < 30 {
		t.Fatalf("only %d metric references found in the dashboard", seen)
	}
}
