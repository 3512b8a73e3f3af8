package bench

import (
	"math"
	"math/bits"
)

// A log-linear latency histogram, in the manner of HdrHistogram.
//
// Values (nanoseconds) below 2^histSubBits are counted exactly, one bucket
// per value. Above that, every power-of-two range [2^k, 2^(k+1)) is split
// into 2^(histSubBits-1) equal buckets, so a bucket's width is at most
// 1/2^(histSubBits-1) of its lower bound: with histSubBits = 8 a percentile
// is reported within 0.8% of the recorded value, whatever its magnitude,
// from a fixed array of a few thousand counters. Recording is a bit scan,
// a shift and an increment: no allocation, no search, no lock (each
// connection records into its own histogram; they are merged at the end).
//
// The bucket of v is e*half + v>>e, where e is how far v must be shifted
// right to fit in histSubBits bits (0 for small values) and half is
// 2^(histSubBits-1). For e = 0 this is v itself; for each e ≥ 1 the top
// histSubBits bits of v range over [half, 2*half), so consecutive e's fill
// consecutive runs of half buckets.

const (
	histSubBits = 8
	histHalf    = 1 << (histSubBits - 1)
	// histMaxShift covers every non-negative int64.
	histMaxShift = 63 - histSubBits + 1
	histBuckets  = (histMaxShift+1)*histHalf + histHalf
)

// Histogram counts latency samples in nanoseconds. The zero value is empty
// and ready to use.
type Histogram struct {
	counts [histBuckets]uint64
	total  uint64
	min    int64
	max    int64
	sum    float64
}

func histIndex(v int64) int {
	e := bits.Len64(uint64(v)) - histSubBits
	if e < 0 {
		e = 0
	}
	return e*histHalf + int(v>>e)
}

// histUpper is the largest value that falls in bucket i.
func histUpper(i int) int64 {
	if i < 2*histHalf {
		return int64(i)
	}
	e := i/histHalf - 1
	m := int64(i - e*histHalf)
	return (m+1)<<e - 1
}

// Record adds one sample of v nanoseconds (negative values count as 0).
func (h *Histogram) Record(v int64) {
	if v < 0 {
		v = 0
	}
	h.counts[histIndex(v)]++
	if h.total == 0 || v < h.min {
		h.min = v
	}
	if v > h.max {
		h.max = v
	}
	h.total++
	h.sum += float64(v)
}

// Merge adds o's samples to h.
func (h *Histogram) Merge(o *Histogram) {
	if o.total == 0 {
		return
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	if h.total == 0 || o.min < h.min {
		h.min = o.min
	}
	h.max = max(h.max, o.max)
	h.total += o.total
	h.sum += o.sum
}

// Reset empties h.
func (h *Histogram) Reset() { *h = Histogram{} }

// Count is the number of samples.
func (h *Histogram) Count() uint64 { return h.total }

// Max is the largest sample (exact).
func (h *Histogram) Max() int64 { return h.max }

// Min is the smallest sample (exact).
func (h *Histogram) Min() int64 { return h.min }

// Mean is the average sample (exact).
func (h *Histogram) Mean() float64 {
	if h.total == 0 {
		return 0
	}
	return h.sum / float64(h.total)
}

// Percentile returns the value at or below which q percent of the samples
// fall (q in [0, 100]), as the upper edge of the bucket holding that sample
// and never more than Max. An empty histogram reports 0.
func (h *Histogram) Percentile(q float64) int64 {
	if h.total == 0 {
		return 0
	}
	if q <= 0 {
		return h.min
	}
	rank := uint64(math.Ceil(q / 100 * float64(h.total)))
	rank = min(max(rank, 1), h.total)
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return min(max(histUpper(i), h.min), h.max)
		}
	}
	return h.max
}
