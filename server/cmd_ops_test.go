package server

import (
	"context"
	"fmt"
	"math"
	"net"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/embercache/ember/internal/resptest"
	"github.com/redis/go-redis/v9"
)

// TestLatencyMarks: the histogram's marks are the labels Redis prints in
// LATENCY HISTOGRAM, and every duration lands in the first mark that
// holds it, in its own sub-bucket up to 16 µs.
func TestLatencyMarks(t *testing.T) {
	// Labels seen from redis-server 7.0's LATENCY HISTOGRAM.
	seen := []int64{1, 2, 4, 8, 16, 33, 66, 132, 264, 528, 1056, 2113, 4227, 8454, 16908, 33816}
	if !slices.Equal(latEdges[:len(seen)], seen) || latEdges[latBuckets-1] != 1082130 {
		t.Fatalf("marks %v", latEdges)
	}
	prev := -1
	for usec := int64(0); usec <= 2_000_000; usec++ {
		i := latIndex(usec)
		if i < prev {
			t.Fatalf("latIndex not monotone at %d", usec)
		}
		prev = i
		want := latBuckets // overflow
		for k, e := range latEdges {
			if usec <= e {
				want = k
				break
			}
		}
		got := i / latSub
		if i == latOverflow {
			got = latBuckets
		}
		if got != want {
			t.Fatalf("%d µs: mark %d, want %d", usec, got, want)
		}
		if usec <= 16 && latRep()[i] != usec {
			t.Fatalf("%d µs shares sub-bucket %d (rep %d)", usec, i, latRep()[i])
		}
	}
}

// TestLatencyPercentiles checks INFO latencystats values against what
// redis-server 7.0 printed for single durations (its HdrHistogram keeps
// them to two significant digits in nanoseconds).
func TestLatencyPercentiles(t *testing.T) {
	for _, tc := range []struct {
		usec   int64
		p, p0  string // p50 and p0 as Redis prints them
		marked int64  // LATENCY HISTOGRAM mark
	}{
		{0, "0.001", "0.001", 1},
		{1, "1.003", "1.000", 1},
		{2, "2.007", "2.000", 2},
		{3, "3.007", "2.992", 4},
		{9, "9.023", "8.960", 16},
		{14, "14.015", "13.952", 16},
	} {
		var c [latCounters]int64
		c[latIndex(tc.usec)] = 3
		f := func(p float64) string {
			return strconv.FormatFloat(float64(percentile(&c, 3, p))/1000, 'f', 3, 64)
		}
		if f(50) != tc.p || f(99.9) != tc.p || f(0) != tc.p0 {
			t.Errorf("%d µs: p50 %s p99.9 %s p0 %s, want %s %s", tc.usec, f(50), f(99.9), f(0), tc.p, tc.p0)
		}
		cum := marks(&c)
		k := slices.Index(latEdges[:], tc.marked)
		if cum[k] != 3 || (k > 0 && cum[k-1] != 0) {
			t.Errorf("%d µs: marks %v", tc.usec, cum)
		}
	}
	// Percentiles pick the sub-bucket where the count is reached.
	var c [latCounters]int64
	c[latIndex(1)] = 90
	c[latIndex(5)] = 9
	c[latIndex(1000)] = 1
	for p, want := range map[float64]int64{50: hdrHighest(1000), 90: hdrHighest(1000), 95: hdrHighest(5000),
		99.9: hdrHighest(latRep()[latIndex(1000)] * 1000), 100: hdrHighest(latRep()[latIndex(1000)] * 1000)} {
		if got := percentile(&c, 100, p); got != want {
			t.Errorf("p%v = %d, want %d", p, got, want)
		}
	}
	if got := latRep()[latIndex(1000)]; got < 1000 || float64(got) > 1000*1.13 {
		t.Errorf("1000 µs reported as %d µs", got)
	}
	if formatPercentile(99.9) != "99.9" || formatPercentile(50) != "50" || formatPercentile(12.5) != "12.5" || formatPercentile(0) != "0" {
		t.Error("formatPercentile")
	}
}

// TestLatencyHistogramCommand runs commands and reads them back through
// LATENCY HISTOGRAM and INFO latencystats.
func TestLatencyHistogramCommand(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	for i := range 50 {
		c.MustDo(t, "SET", "k"+strconv.Itoa(i), "v")
	}
	c.MustDo(t, "CLIENT", "SETNAME", "n")
	v, err := resptest.Parse(c.MustDo(t, "LATENCY", "HISTOGRAM", "set", "client", "nosuch"))
	if err != nil || len(v.Elems) != 4 || v.Elems[0].Str != "set" || v.Elems[2].Str != "client|setname" {
		t.Fatalf("LATENCY HISTOGRAM: %+v %v", v, err)
	}
	h := v.Elems[1].Elems
	if h[0].Str != "calls" || h[1].Int != 50 || h[2].Str != "histogram_usec" {
		t.Fatalf("set's histogram: %+v", h)
	}
	marks := h[3].Elems
	last := int64(0)
	for i := 0; i < len(marks); i += 2 {
		if !slices.Contains(latEdges[:], marks[i].Int) || marks[i+1].Int <= last {
			t.Fatalf("histogram_usec not cumulative over Redis's marks: %+v", marks)
		}
		last = marks[i+1].Int
	}
	if last != 50 {
		t.Fatalf("histogram_usec ends at %d", last)
	}
	f := infoFields(t, c.MustDo(t, "INFO", "latencystats"))["latencystats"]
	if !regexp.MustCompile(`^p50=\d+\.\d{3},p99=\d+\.\d{3},p99\.9=\d+\.\d{3}$`).MatchString(f["latency_percentiles_usec_set"]) {
		t.Fatalf("latencystats: %v", f)
	}
	// Without tracking, calls are not recorded; RESETSTAT drops the
	// histograms as Redis does.
	c.MustDo(t, "CONFIG", "SET", "latency-tracking", "no")
	c.MustDo(t, "SET", "x", "y")
	if v, _ := resptest.Parse(c.MustDo(t, "LATENCY", "HISTOGRAM", "set")); v.Elems[1].Elems[1].Int != 50 {
		t.Fatalf("untracked SET counted: %+v", v)
	}
	c.MustDo(t, "CONFIG", "SET", "latency-tracking", "yes")
	c.MustDo(t, "CONFIG", "SET", "latency-tracking-info-percentiles", "")
	if f := infoFields(t, c.MustDo(t, "INFO", "latencystats"))["latencystats"]; f["latency_percentiles_usec_set"] != "" {
		t.Fatalf("empty percentiles: %v", f)
	}
	c.MustDo(t, "CONFIG", "RESETSTAT")
	if r := c.MustDo(t, "LATENCY", "HISTOGRAM", "set"); r != "*0\r\n" {
		t.Fatalf("after RESETSTAT: %q", r)
	}
}

// TestSlowlogMatchesRedis runs the same commands on ember and redis-server
// with every command logged and compares SLOWLOG GET entry by entry, with
// the time, duration and client port masked: truncation of long and
// numerous arguments, redaction, the client's name.
func TestSlowlogMatchesRedis(t *testing.T) {
	rc, _, ec := startBoth(t)
	long := strings.Repeat("x", 130)
	mset := []string{"MSET"}
	for i := range 21 {
		mset = append(mset, "k"+strconv.Itoa(i), "v")
	}
	cmds := [][]string{
		{"CONFIG", "SET", "slowlog-log-slower-than", "0"},
		{"CLIENT", "SETNAME", "myname"},
		{"SET", "k", long},
		mset,
		{"AUTH", "secret"},
		{"AUTH", "user", "secret"},
		{"HELLO", "2", "AUTH", "default", "secret", "SETNAME", "other"},
		{"HELLO", "2", "SETNAME", "auth"},
		{"CONFIG", "SET", "masterauth", "secret", "maxclients", "100"},
		{"ECHO", "a\x00b\xffc"},
		{"GET", "nokey"},
	}
	now := time.Now().Unix()
	entries := map[string][]resptest.Value{}
	for name, c := range map[string]*resptest.Conn{"redis": rc, "ember": ec} {
		for _, cmd := range cmds {
			c.MustDo(t, cmd...)
		}
		v, err := resptest.Parse(c.MustDo(t, "SLOWLOG", "GET", "-1"))
		if err != nil || v.Type != '*' {
			t.Fatalf("%s: SLOWLOG GET: %v", name, err)
		}
		port := strconv.Itoa(c.NetConn().LocalAddr().(*net.TCPAddr).Port)
		for i, e := range v.Elems {
			if len(e.Elems) != 6 || e.Elems[1].Int < now-5 || e.Elems[1].Int > now+5 || e.Elems[2].Int < 0 ||
				e.Elems[4].Str != "127.0.0.1:"+port {
				t.Fatalf("%s: entry %d: %+v", name, i, e)
			}
			e.Elems[1].Int, e.Elems[2].Int, e.Elems[4].Str = 0, 0, ""
		}
		entries[name] = v.Elems
	}
	if len(entries["ember"]) != len(entries["redis"]) {
		t.Fatalf("ember logged %d entries, redis %d", len(entries["ember"]), len(entries["redis"]))
	}
	for i := range entries["redis"] {
		g, w := fmt.Sprintf("%+v", entries["ember"][i]), fmt.Sprintf("%+v", entries["redis"][i])
		if g != w {
			t.Errorf("entry %d:\nember %s\nredis %s", i, g, w)
		}
	}
}

// TestSlowlogThresholds: only calls at least slowlog-log-slower-than µs
// are logged; skip_slowlog commands never are; the latency monitor adds
// events for calls over its threshold.
func TestSlowlogThresholds(t *testing.T) {
	srv := startServer(t, "--slowlog-log-slower-than", "5000", "--latency-monitor-threshold", "3")
	c := dial(t, srv)
	c.MustDo(t, "PING") // the client is registered
	cl := srv.clientList()[0]
	get := srv.cmds.lookupName([]byte("get"))
	set := srv.cmds.lookupName([]byte("set"))
	args := [][]byte{[]byte("GET"), []byte("k")}
	srv.observe(cl, get, args, 4999)
	srv.observe(cl, get, args, 5000)
	srv.observe(cl, set, [][]byte{[]byte("SET"), []byte("k"), []byte("v")}, 2999)
	skip := &Command{Name: "skipper", Flags: FlagSkipSlowlog}
	srv.observe(cl, skip, [][]byte{[]byte("SKIPPER")}, 9000)
	if r := c.MustDo(t, "SLOWLOG", "LEN"); r != ":1\r\n" {
		t.Fatalf("SLOWLOG LEN %q", r)
	}
	v, _ := resptest.Parse(c.MustDo(t, "SLOWLOG", "GET"))
	if e := v.Elems[0].Elems; e[2].Int != 5000 || e[3].Elems[0].Str != "GET" {
		t.Fatalf("entry %+v", e)
	}
	// GET is fast: its 5 ms went to fast-command; SKIPPER's 9 ms to command.
	v, _ = resptest.Parse(c.MustDo(t, "LATENCY", "LATEST"))
	if len(v.Elems) != 2 || v.Elems[0].Elems[0].Str != "command" || v.Elems[0].Elems[2].Int != 9 ||
		v.Elems[1].Elems[0].Str != "fast-command" || v.Elems[1].Elems[2].Int != 5 {
		t.Fatalf("LATENCY LATEST %+v", v)
	}
	if r := c.MustDo(t, "LATENCY", "RESET", "FAST-COMMAND", "nosuch"); r != ":1\r\n" {
		t.Fatalf("LATENCY RESET %q", r)
	}
	c.MustDo(t, "CONFIG", "SET", "slowlog-log-slower-than", "-1", "latency-monitor-threshold", "0")
	srv.observe(cl, get, args, 1e9)
	if r := c.MustDo(t, "SLOWLOG", "LEN"); r != ":1\r\n" {
		t.Fatalf("disabled slowlog logged: %q", r)
	}
	if srv.ops.watchFrom.Load() != math.MaxInt64 {
		t.Fatal("watchFrom not reset")
	}
}

// TestLatencyEvents checks the latency monitor's replies on samples added
// directly: one sample per second keeping the highest, LATEST, HISTORY,
// GRAPH against a graph redis-server drew, DOCTOR, RESET.
func TestLatencyEvents(t *testing.T) {
	srv := startServer(t, "--latency-monitor-threshold", "1")
	c := dial(t, srv)
	ev := &srv.ops.events
	for _, s := range []struct{ t, ms int64 }{{1795734980, 1}, {1795734982, 20}, {1795734982, 22}, {1795734982, 3}, {1795734983, 7}, {1795734984, 45}} {
		ev.add("command", s.ms, s.t)
	}
	if r := c.MustDo(t, "LATENCY", "LATEST"); r != "*1\r\n*4\r\n$7\r\ncommand\r\n:1795734984\r\n:45\r\n:45\r\n" {
		t.Fatalf("LATEST %q", r)
	}
	if r := c.MustDo(t, "LATENCY", "HISTORY", "command"); r != "*4\r\n*2\r\n:1795734980\r\n:1\r\n*2\r\n:1795734982\r\n:22\r\n*2\r\n:1795734983\r\n:7\r\n*2\r\n:1795734984\r\n:45\r\n" {
		t.Fatalf("HISTORY %q", r)
	}
	// redis-server 7.0 drew this for the same samples, 5 s after the last.
	want := "command - high 45 ms, low 1 ms (all time high 45 ms)\n" + strings.Repeat("-", 80) + "\n" +
		"   #\n   |\n # |\n_|o|\n    \n9765\nssss\n"
	views := ev.view("command")
	if got := latencyGraph(&views[0], 1795734989); got != want {
		t.Fatalf("GRAPH:\n%s\nwant:\n%s", got, want)
	}
	if r := c.MustDo(t, "LATENCY", "GRAPH", "command"); !strings.HasPrefix(r, "$") || !strings.Contains(r, "command - high 45 ms, low 1 ms") {
		t.Fatalf("GRAPH reply %q", r)
	}
	doc := bulkText(t, c.MustDo(t, "LATENCY", "DOCTOR"))
	for _, w := range []string{"Dave, I have observed latency spikes", "1. command: 4 latency spikes (average 18ms, mean deviation 14ms, period ",
		"Worst all time event 45ms.", "- Check your Slow Log", "CONFIG SET slowlog-log-slower-than 1000'"} {
		if !strings.Contains(doc, w) {
			t.Errorf("DOCTOR lacks %q:\n%s", w, doc)
		}
	}
	// A full ring keeps the newest latencyTSLen samples.
	for i := range int64(latencyTSLen + 10) {
		ev.add("fast-command", i+1, 1000+i)
	}
	v, _ := resptest.Parse(c.MustDo(t, "LATENCY", "HISTORY", "fast-command"))
	if len(v.Elems) != latencyTSLen || v.Elems[0].Elems[1].Int != 11 || v.Elems[latencyTSLen-1].Elems[1].Int != latencyTSLen+10 {
		t.Fatalf("ring: %d samples, first %+v", len(v.Elems), v.Elems[0])
	}
	if r := c.MustDo(t, "LATENCY", "RESET"); r != ":2\r\n" {
		t.Fatalf("RESET %q", r)
	}
	c.MustDo(t, "CONFIG", "SET", "latency-monitor-threshold", "0")
	if doc := bulkText(t, c.MustDo(t, "LATENCY", "DOCTOR")); !strings.HasPrefix(doc, "I'm sorry, Dave") {
		t.Fatalf("DOCTOR disabled: %q", doc)
	}
}

// readMonitor reads n MONITOR lines from c with the timestamp and the
// client address masked: "[db] ...", or "[db lua] ..." for a command a
// script ran.
func readMonitor(t *testing.T, c *resptest.Conn, n int) []string {
	t.Helper()
	stamp := regexp.MustCompile(`^\+(\d+)\.(\d{6}) \[(\d+)(?: 127\.0\.0\.1:\d+|( lua))\] `)
	var out []string
	for range n {
		r, err := c.ReadTimeout(5 * time.Second)
		if err != nil {
			t.Fatalf("MONITOR: %v after %q", err, out)
		}
		m := stamp.FindStringSubmatch(r)
		if m == nil {
			t.Fatalf("not a MONITOR line: %q", r)
		}
		if sec, _ := strconv.ParseInt(m[1], 10, 64); sec < time.Now().Unix()-5 || sec > time.Now().Unix()+5 {
			t.Fatalf("MONITOR time %q", r)
		}
		out = append(out, "["+m[3]+m[4]+"] "+strings.TrimPrefix(r, m[0]))
	}
	return out
}

// TestMonitorMatchesRedis sends the same commands to ember and redis-server
// while a MONITOR client watches each, and compares the lines: argument
// quoting, redaction, the database, what is not shown (admin commands,
// refused commands), a monitor's own commands after their replies, and
// RESET leaving monitor mode.
func TestMonitorMatchesRedis(t *testing.T) {
	redisAddr := resptest.StartRedis(t)
	srv := startServer(t)
	got := map[string][]string{}
	for name, addr := range map[string]string{"redis": redisAddr, "ember": srv.Addr().String()} {
		mon := resptest.MustDial(t, addr)
		if r := mon.MustDo(t, "MONITOR"); r != "+OK\r\n" {
			t.Fatalf("%s: MONITOR %q", name, r)
		}
		c := resptest.MustDial(t, addr)
		for _, cmd := range [][]string{
			{"SET", "a", "1"},
			{"SET", "q", "he\"l\\lo\n\r\t\a\b\x00\x01\x7f é"},
			{"AUTH", "secret"},
			{"HELLO", "2", "AUTH", "default", "pw"},
			{"SELECT", "2"},
			{"get", "x"},
			{"nosuchcommand", "x"},
			{"GET"},
			{"CONFIG", "GET", "port"},
			{"SLOWLOG", "LEN"},
			{"CLIENT", "SETNAME", "nm"},
			{"INCR", "q"},
			{"ECHO", ""},
		} {
			c.MustDo(t, cmd...)
		}
		lines := readMonitor(t, mon, 9)
		// The monitor's own commands: keyspace commands are refused, the
		// line of its PING follows the PONG, MONITOR again is ignored.
		if r := mon.MustDo(t, "GET", "a"); r != "-ERR Replica can't interact with the keyspace\r\n" {
			t.Fatalf("%s: monitor's GET: %q", name, r)
		}
		if err := mon.Write(resptest.Encode("MONITOR")); err != nil {
			t.Fatal(err)
		}
		if r := mon.MustDo(t, "PING"); r != "+PONG\r\n" {
			t.Fatalf("%s: monitor's PING: %q", name, r)
		}
		lines = append(lines, readMonitor(t, mon, 1)...)
		if r := mon.MustDo(t, "CLIENT", "INFO"); !strings.Contains(r, " flags=O ") {
			t.Fatalf("%s: CLIENT INFO %q", name, r)
		}
		lines = append(lines, readMonitor(t, mon, 1)...)
		if r := mon.MustDo(t, "RESET"); r != "+RESET\r\n" {
			t.Fatalf("%s: RESET %q", name, r)
		}
		c.MustDo(t, "SET", "after", "reset")
		if r := mon.MustDo(t, "PING"); r != "+PONG\r\n" {
			t.Fatalf("%s: a line after RESET: %q", name, r)
		}
		got[name] = lines
	}
	if !slices.Equal(got["ember"], got["redis"]) {
		t.Fatalf("MONITOR lines differ:\nember %q\nredis %q", got["ember"], got["redis"])
	}
}

// TestMonitorClients: several monitors see every line in order, a monitor
// that disconnects leaves the set, and with none left nothing is fed.
func TestMonitorClients(t *testing.T) {
	srv := startServer(t)
	m1, m2 := dial(t, srv), dial(t, srv)
	m1.MustDo(t, "MONITOR")
	m2.MustDo(t, "MONITOR")
	c := dial(t, srv)
	for i := range 100 {
		c.MustDo(t, "SET", "k", strconv.Itoa(i))
	}
	for _, m := range []*resptest.Conn{m1, m2} {
		lines := readMonitor(t, m, 100)
		for i, l := range lines {
			if want := `[0] "SET" "k" "` + strconv.Itoa(i) + "\"\r\n"; l != want {
				t.Fatalf("line %d %q, want %q", i, l, want)
			}
		}
	}
	m1.Close()
	m2.MustDo(t, "RESET")
	checkFor(t, 5*time.Second, 10*time.Millisecond, func() error {
		if n := srv.ops.monitors.n.Load(); n != 0 {
			return fmt.Errorf("%d monitors left", n)
		}
		return nil
	})
}

// TestGoRedisInfoMap reads INFO through go-redis's parser, in both
// protocols.
func TestGoRedisInfoMap(t *testing.T) {
	srv := startServer(t)
	for _, proto := range []int{2, 3} {
		rdb := redis.NewClient(&redis.Options{Addr: srv.Addr().String(), Protocol: proto})
		ctx := context.Background()
		if err := rdb.Set(ctx, "k", "v", 0).Err(); err != nil {
			t.Fatal(err)
		}
		m, err := rdb.InfoMap(ctx, "everything").Result()
		if err != nil {
			t.Fatal(err)
		}
		if m["Server"]["redis_version"] != RedisVersion || m["Keyspace"]["db0"] == "" ||
			!strings.HasPrefix(m["Latencystats"]["latency_percentiles_usec_set"], "p50=") ||
			!strings.HasPrefix(m["Commandstats"]["cmdstat_set"], "calls=") || m["Memory"]["used_memory"] == "" {
			t.Errorf("RESP%d InfoMap: %v", proto, m)
		}
		rdb.Close()
	}
}

// BenchmarkObserve measures what the operations hooks cost a command: GET
// and SET through the dispatcher with latency-tracking on and off (the
// slow log's compare and MONITOR's load run in both).
func BenchmarkObserve(b *testing.B) {
	srv := startServer(b)
	c := strClient(b, srv)
	strDo(c, "SET", "key:1", "value-of-some-length")
	for _, tracking := range []string{"yes", "no"} {
		strDo(c, "CONFIG", "SET", "latency-tracking", tracking)
		for _, cmd := range [][]string{{"GET", "key:1"}, {"SET", "key:1", "value-of-some-length"}} {
			args := strArgs(cmd...)
			b.Run(cmd[0]+"/tracking="+tracking, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					c.out = c.out[:0]
					c.execute(args)
				}
			})
		}
	}
}
