package bench

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/embercache/ember/internal/resptest"
)

func testParams(workload string, seed uint64, dist Distribution) *genParams {
	o := DefaultOptions()
	o.Seed = seed
	o.Dist = dist
	o.ValueMin, o.ValueMax = 8, 64
	o.TTL = 5 * time.Second
	o.Clients = 4
	r := newRunner(nil, &o, nil, nil, nil)
	p := *r.p
	p.workload = workload
	return &p
}

// sequence returns the first n commands of connection conn's stream, as
// parsed argument lists, answering every read with a miss.
func sequence(t *testing.T, p *genParams, round, conn, n int) []string {
	t.Helper()
	g := newGen(p, round, conn)
	var out []string
	var s slot
	for i := 0; i < n; i++ {
		g.stamp = int64(i + 1) // pubsub payloads carry a time; fix it
		b := g.next(nil, &s)
		v, err := resptest.Parse(string(b))
		if err != nil || v.Type != '*' {
			t.Fatalf("%s: command %d is not a RESP array: %q (%v)", p.workload, i, b, err)
		}
		var args []string
		for _, e := range v.Elems {
			if e.Type != '$' {
				t.Fatalf("%s: argument of type %q in %q", p.workload, e.Type, b)
			}
			args = append(args, e.Str)
		}
		out = append(out, strings.Join(args, " "))
		if s.op == opCacheGet {
			g.missed(s.key)
		}
	}
	return out
}

// The same seed gives the same request sequence; another seed, round or
// connection gives another.
func TestSequenceDeterministic(t *testing.T) {
	for _, w := range Workloads {
		if w == WorkloadMemory {
			continue
		}
		for _, d := range []Distribution{Uniform, Sequential, ZipfDist} {
			a := sequence(t, testParams(w, 7, d), 0, 1, 300)
			b := sequence(t, testParams(w, 7, d), 0, 1, 300)
			if !slices.Equal(a, b) {
				t.Fatalf("%s/%s: same seed, different sequences", w, d)
			}
			if w == WorkloadPubsub || d == Sequential && w != WorkloadSet {
				continue // no key randomness left to differ
			}
			if slices.Equal(a, sequence(t, testParams(w, 8, d), 0, 1, 300)) {
				t.Fatalf("%s/%s: seeds 7 and 8 give the same sequence", w, d)
			}
			if slices.Equal(a, sequence(t, testParams(w, 7, d), 1, 1, 300)) {
				t.Fatalf("%s/%s: rounds 0 and 1 give the same sequence", w, d)
			}
			if slices.Equal(a, sequence(t, testParams(w, 7, d), 0, 2, 300)) {
				t.Fatalf("%s/%s: connections 1 and 2 give the same sequence", w, d)
			}
		}
	}
}

// What each workload sends, checked on its first commands.
func TestSequenceShapes(t *testing.T) {
	first := func(w string, d Distribution, conn, n int) []string {
		return sequence(t, testParams(w, 1, d), 0, conn, n)
	}
	// Sequential keys: connection c of 4 starts at c*keyspace/4.
	seq := first(WorkloadGet, Sequential, 1, 3)
	if want := []string{"GET key:25000", "GET key:25001", "GET key:25002"}; !slices.Equal(seq, want) {
		t.Fatalf("sequential GETs: %q, want %q", seq, want)
	}
	for _, c := range first(WorkloadSet, Uniform, 0, 50) {
		f := strings.Fields(c)
		if len(f) != 5 || f[0] != "SET" || !strings.HasPrefix(f[1], "key:") || len(f[2]) < 8 || len(f[2]) > 64 || f[3] != "PX" || f[4] != "5000" {
			t.Fatalf("SET with value size 8-64 and TTL 5s: %q", c)
		}
	}
	mixed := first(WorkloadMixed, Uniform, 0, 1100)
	sets := 0
	for _, c := range mixed {
		if strings.HasPrefix(c, "SET ") {
			sets++
		}
	}
	if sets < 50 || sets > 150 { // 1:10 of 1100 is 100
		t.Fatalf("mixed 1:10: %d SETs in 1100 commands", sets)
	}
	// cache-aside: every miss is followed by a SET of the same key.
	ca := first(WorkloadCacheAside, Uniform, 0, 10)
	for i := 0; i+1 < len(ca); i += 2 {
		get, set := strings.Fields(ca[i]), strings.Fields(ca[i+1])
		if get[0] != "GET" || set[0] != "SET" || get[1] != set[1] || !strings.HasPrefix(get[1], "cache:") {
			t.Fatalf("cache-aside after a miss: %q then %q", ca[i], ca[i+1])
		}
	}
	lp := first(WorkloadLpop, Uniform, 0, 6)
	for i := 0; i < len(lp); i += 2 {
		push, pop := strings.Fields(lp[i]), strings.Fields(lp[i+1])
		if push[0] != "LPUSH" || pop[0] != "LPOP" || push[1] != pop[1] {
			t.Fatalf("lpop pairs: %q then %q", lp[i], lp[i+1])
		}
	}
	if m := strings.Fields(first(WorkloadMset, Uniform, 0, 1)[0]); m[0] != "MSET" || len(m) != 21 {
		t.Fatalf("MSET of 10 keys: %q", m)
	}
	for w, want := range map[string]string{WorkloadIncr: "INCR counter:", WorkloadLpush: "LPUSH list:", WorkloadHset: "HSET hash:",
		WorkloadHget: "HGET hash:", WorkloadZadd: "ZADD zset:", WorkloadZrange: "ZRANGE zset:", WorkloadPubsub: "PUBLISH ember-bench "} {
		if c := first(w, Uniform, 0, 1)[0]; !strings.HasPrefix(c, want) {
			t.Fatalf("%s: %q, want prefix %q", w, c, want)
		}
	}
}

// Two targets in one run receive the same requests, connection by
// connection.
func TestTargetsGetSameRequests(t *testing.T) {
	a := startFake(t, &fakeServer{record: true})
	b := startFake(t, &fakeServer{record: true})
	o := quickOptions(&Target{Name: "a", Addr: a.addr()}, &Target{Name: "b", Addr: b.addr()})
	o.Workloads = []string{WorkloadMixed}
	o.Dist = ZipfDist
	o.Requests = 400
	o.Duration = 10 * time.Second
	o.Pipelines = []int{4}
	if _, _, err := runQuiet(t, o); err != nil {
		t.Fatal(err)
	}
	// The round's two connections are the last to send load (after the
	// preload's four).
	ca, cb := a.loadConns(), b.loadConns()
	if len(ca) != 6 || len(cb) != 6 {
		t.Fatalf("connections with load: %d and %d, want 4 preload + 2", len(ca), len(cb))
	}
	for i := 4; i < 6; i++ {
		conn := i
		ra, rb := a.recorded(ca[i]), b.recorded(cb[i])
		n := min(len(ra), len(rb))
		if n < 200 {
			t.Fatalf("connection %d: only %d/%d commands recorded", conn, len(ra), len(rb))
		}
		if !slices.Equal(ra[:n], rb[:n]) {
			t.Fatalf("connection %d: targets received different requests", conn)
		}
	}
}

func TestParsers(t *testing.T) {
	tg, err := ParseTarget("e=user:pw@127.0.0.1:6380")
	if err != nil || tg.Name != "e" || tg.Addr != "127.0.0.1:6380" || tg.User != "user" || tg.Password != "pw" {
		t.Fatalf("ParseTarget: %+v %v", tg, err)
	}
	for _, bad := range []string{"127.0.0.1:6379", "x=", "=1.2.3.4:5", "x=localhost"} {
		if _, err := ParseTarget(bad); err == nil {
			t.Fatalf("ParseTarget(%q) accepted", bad)
		}
	}
	if lo, hi, err := ParseRange("16-256"); err != nil || lo != 16 || hi != 256 {
		t.Fatalf("ParseRange: %d %d %v", lo, hi, err)
	}
	if s, g, err := ParseRatio("1:10"); err != nil || s != 1 || g != 10 {
		t.Fatalf("ParseRatio: %d %d %v", s, g, err)
	}
	if _, err := ParseWorkloads("get,bogus"); err == nil {
		t.Fatal("ParseWorkloads accepted bogus")
	}
	if ps, err := ParseInts("1,16"); err != nil || fmt.Sprint(ps) != "[1 16]" {
		t.Fatalf("ParseInts: %v %v", ps, err)
	}
}
