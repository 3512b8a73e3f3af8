package bench

import (
	"testing"
	"time"
)

const stall = 200 * time.Millisecond

// stallingServer answers +OK, but holds the reply to its at'th command
// for 200ms (and with it every reply behind it on that connection).
func stallingServer(t *testing.T, at int64) *fakeServer {
	return startFake(t, &fakeServer{handle: func(n int64, args []string) (string, time.Duration) {
		if n == at {
			return "+OK\r\n", stall
		}
		return "+OK\r\n", 0
	}})
}

// At a fixed rate, latency runs from the intended send time: the requests
// that should have left while the server stalled are late by up to the
// stall, and that shows in the high percentiles, not just in max. (Timed
// from the actual send, one request would see 200ms and p99 would hide
// it: coordinated omission.)
func TestFixedRateShowsStall(t *testing.T) {
	for _, depth := range []int{1, 4} {
		f := stallingServer(t, 200)
		o := quickOptions(&Target{Name: "slow", Addr: f.addr()})
		o.Workloads = []string{WorkloadSet}
		o.Pipelines = []int{depth}
		o.Rate = 2000 // 1000/s per connection: ~200 requests fall due during the stall
		o.Duration = 600 * time.Millisecond
		rep, _, err := runQuiet(t, o)
		if err != nil {
			t.Fatal(err)
		}
		res := rep.Cases[0].Results[0]
		if f.count.Load() < 200 {
			t.Fatalf("pipeline %d: the server saw %d commands, the stall never happened", depth, f.count.Load())
		}
		h := &res.hist
		if res.MaxMs < ms(int64(stall)) {
			t.Fatalf("pipeline %d: max %.1fms < the %v stall", depth, res.MaxMs, stall)
		}
		// About 200 requests were due during the stall, waiting on
		// average half of it: far more than 1% of ~1200 requests.
		if p := ms(h.Percentile(99)); p < ms(int64(stall/2)) {
			t.Fatalf("pipeline %d: p99 %.2fms does not show the %v stall (coordinated omission?); %d samples", depth, p, stall, h.Count())
		}
		if p := ms(h.Percentile(95)); p < ms(int64(stall/10)) {
			t.Fatalf("pipeline %d: p95 %.2fms does not show the %v stall; %d samples", depth, p, stall, h.Count())
		}
	}
}

// In closed loop, --requests bounds the measured requests exactly, and a
// stalled reply is measured like any other.
func TestClosedLoopRequestsAndStall(t *testing.T) {
	f := stallingServer(t, 600)
	o := quickOptions(&Target{Name: "slow", Addr: f.addr()})
	o.Workloads = []string{WorkloadSet}
	o.Pipelines = []int{3}
	o.Requests = 1001
	o.Duration = 10 * time.Second
	rep, _, err := runQuiet(t, o)
	if err != nil {
		t.Fatal(err)
	}
	res := rep.Cases[0].Results[0]
	if n := res.hist.Count(); n != 1001 || res.Rounds[0].Ops != 1001 {
		t.Fatalf("measured %d requests (%d ops), want exactly --requests 1001", n, res.Rounds[0].Ops)
	}
	if f.count.Load() < 1001 {
		t.Fatalf("server saw %d commands", f.count.Load())
	}
	if res.hist.Max() < int64(stall) {
		t.Fatalf("max %v < the %v stall", time.Duration(res.hist.Max()), stall)
	}
}
