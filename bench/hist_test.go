package bench

import (
	"math"
	"testing"
)

func TestHistogramPercentiles(t *testing.T) {
	var h Histogram
	for v := int64(1); v <= 100_000; v++ {
		h.Record(v * 1000) // 1µs .. 100ms
	}
	if h.Count() != 100_000 || h.Min() != 1000 || h.Max() != 100_000_000 {
		t.Fatalf("count %d min %d max %d", h.Count(), h.Min(), h.Max())
	}
	for _, q := range []float64{1, 50, 90, 99, 99.9, 99.99} {
		want := q / 100 * 100_000 * 1000
		got := float64(h.Percentile(q))
		if got < want || got > want*(1+1.0/histHalf) {
			t.Errorf("p%g = %.0f, want %.0f within +%.2f%%", q, got, want, 100.0/histHalf)
		}
	}
	if h.Percentile(100) != h.Max() || h.Percentile(0) != h.Min() {
		t.Fatalf("p100 %d p0 %d", h.Percentile(100), h.Percentile(0))
	}
	if m := h.Mean(); math.Abs(m-50_000_500) > 1 {
		t.Fatalf("mean %f", m)
	}
}

func TestHistogramSmallValuesExact(t *testing.T) {
	var h Histogram
	for v := int64(0); v < 2*histHalf; v++ {
		h.Record(v)
	}
	for v := int64(0); v < 2*histHalf; v++ {
		q := 100 * float64(v+1) / float64(2*histHalf)
		if got := h.Percentile(q); got != v {
			t.Fatalf("p%g = %d, want %d", q, got, v)
		}
	}
}

// Every value falls in a bucket whose upper edge is at most 1/histHalf
// above it, and buckets are ordered.
func TestHistogramBuckets(t *testing.T) {
	r := newRNG(5)
	for i := 0; i < 100_000; i++ {
		v := int64(r.uint64() >> (1 + r.uint64n(63)))
		idx := histIndex(v)
		if idx < 0 || idx >= histBuckets {
			t.Fatalf("index %d of %d out of range", idx, v)
		}
		up := histUpper(idx)
		if up < v || float64(up-v) > float64(v)/histHalf {
			t.Fatalf("value %d: bucket %d upper edge %d", v, idx, up)
		}
		if idx > 0 && histUpper(idx-1) >= v {
			t.Fatalf("value %d: previous bucket's edge %d is not below it", v, histUpper(idx-1))
		}
	}
	if histIndex(math.MaxInt64) >= histBuckets {
		t.Fatal("MaxInt64 out of range")
	}
}

func TestHistogramMerge(t *testing.T) {
	var a, b, all Histogram
	r := newRNG(6)
	for i := 0; i < 10_000; i++ {
		v := int64(r.uint64n(1e9))
		if i%3 == 0 {
			a.Record(v)
		} else {
			b.Record(v)
		}
		all.Record(v)
	}
	var m Histogram
	m.Merge(&a)
	m.Merge(&b)
	if m.counts != all.counts || m.Count() != all.Count() || m.Min() != all.Min() || m.Max() != all.Max() {
		t.Fatal("merged histogram differs from recording everything in one")
	}
	for _, q := range []float64{50, 99, 99.9} {
		if m.Percentile(q) != all.Percentile(q) {
			t.Fatalf("p%g differs after merge", q)
		}
	}
}
