package bench

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"
)

func TestStaticOptimum(t *testing.T) {
	// Key 1 four times, key 2 twice, keys 3 and 4 once.
	trace := []uint32{1, 2, 1, 3, 1, 2, 4, 1}
	opt := StaticOptimum(trace, []int{0, 1, 2, 10})
	warm := WarmOptimum(trace, []int{1, 2})
	want := []float64{0, 4.0 / 8, 6.0 / 8, 1}
	for i := range want {
		if opt[i] != want[i] {
			t.Fatalf("opt %v, want %v", opt, want)
		}
	}
	if warm[0] != 3.0/8 || warm[1] != 4.0/8 {
		t.Fatalf("warm %v", warm)
	}
}

func TestPopularityOptimum(t *testing.T) {
	trace := []uint32{0, 5, 1, 0, 7, 2}
	if got := PopularityOptimum(trace, 2); got != 3.0/6 {
		t.Fatalf("capacity 2: %v", got)
	}
	if got := PopularityOptimum(trace, 0); got != 0 {
		t.Fatalf("capacity 0: %v", got)
	}
	// On a long Zipf trace the distribution's top keys do nearly as well
	// as hindsight's, never better.
	z, _ := MakeTrace(TraceZipf099, 10_000, 500_000, 1)
	pop, st := PopularityOptimum(z, 1000), StaticOptimum(z, []int{1000})[0]
	if pop > st || pop < st-0.02 {
		t.Fatalf("popularity %v, static %v", pop, st)
	}
}

func TestMakeTrace(t *testing.T) {
	a, err := MakeTrace(TraceScan, 1000, 600_000, 1)
	if err != nil || len(a) != 600_000 {
		t.Fatalf("%d %v", len(a), err)
	}
	b, _ := MakeTrace(TraceScan, 1000, 600_000, 1)
	cold := 0
	for i := range a {
		if a[i] != b[i] {
			t.Fatal("same seed, different trace")
		}
		if a[i] >= 1000 {
			cold++
		}
	}
	// Two scans of scanLen cold keys follow the two Zipf phases.
	if cold != 2*scanLen {
		t.Fatalf("%d cold requests", cold)
	}
	if _, err := MakeTrace("nope", 10, 10, 1); err == nil {
		t.Fatal("unknown trace accepted")
	}
}

// TestReplayWarmup: with Warmup w, the first w requests of the trace are
// sent but their hits are not counted, nor are they in Requests.
func TestReplayWarmup(t *testing.T) {
	var mu sync.Mutex
	held := map[string]bool{}
	f := startFake(t, &fakeServer{handle: func(_ int64, args []string) (string, time.Duration) {
		mu.Lock()
		defer mu.Unlock()
		switch args[0] {
		case "GET":
			if held[args[1]] {
				return "$1\r\nv\r\n", 0
			}
			return "$-1\r\n", 0
		case "SET":
			held[args[1]] = true
		case "DBSIZE":
			return ":" + strconv.Itoa(len(held)) + "\r\n", 0
		}
		return "+OK\r\n", 0
	}})
	tg, err := ParseTarget("fake=" + f.addr())
	if err != nil {
		t.Fatal(err)
	}
	// Misses at 0 and 2 (warm-up), hits at 1 and 3 (warm-up), 4 and 6
	// (measured), a miss at 5 (measured).
	trace := []uint32{1, 1, 2, 2, 1, 3, 2}
	o := CacheAsideOptions{Clients: 1, Pipeline: 1, Warmup: 4}
	r, err := replayTrace(context.Background(), tg, trace, o, []byte("v"))
	if err != nil {
		t.Fatal(err)
	}
	if r.Requests != 3 || r.Hits != 2 || r.Keys != 3 {
		t.Fatalf("requests %d hits %d keys %d, want 3 2 3", r.Requests, r.Hits, r.Keys)
	}
}
