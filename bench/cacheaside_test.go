package bench

import "testing"

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
