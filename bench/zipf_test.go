package bench

import (
	"math"
	"testing"
)

// chiSquare compares observed counts of ranks 1..n with the Zipf
// probabilities.
func chiSquare(z *Zipf, counts []float64, draws int) float64 {
	var sum float64
	for i := 1.0; i <= z.n; i++ {
		sum += math.Pow(i, -z.s)
	}
	var chi float64
	for k := 1; k < len(counts); k++ {
		exp := float64(draws) * math.Pow(float64(k), -z.s) / sum
		d := counts[k] - exp
		chi += d * d / exp
	}
	return chi
}

// chi2Crit49 is the chi-square critical value for 49 degrees of freedom at
// p = 0.001: a correct sampler exceeds it one time in a thousand seeds, and
// the seed is fixed.
const chi2Crit49 = 85.35

func TestZipfMatchesDistribution(t *testing.T) {
	const n, draws = 50, 200_000
	for _, s := range []float64{0.5, 0.99, 1.0, 1.2, 2.0} {
		z := NewZipf(n, s)
		r := newRNG(42, uint64(s*100))
		counts := make([]float64, n+1)
		for i := 0; i < draws; i++ {
			k := z.rank(r)
			if k < 1 || k > n {
				t.Fatalf("s=%g: rank %d outside [1, %d]", s, k, n)
			}
			counts[k]++
		}
		if chi := chiSquare(z, counts, draws); chi > chi2Crit49 {
			t.Errorf("s=%g: chi-square %.1f > %.1f: not Zipf", s, chi, chi2Crit49)
		}
		// Rank-frequency: the head matches its probability closely.
		for k := uint64(1); k <= 3; k++ {
			got, want := counts[k]/draws, z.Prob(k)
			if math.Abs(got-want) > 0.03*want+0.002 {
				t.Errorf("s=%g: rank %d frequency %.4f, want %.4f", s, k, got, want)
			}
		}
	}
}

// The check above has power: uniform draws, or Zipf with the wrong
// exponent, fail it by far.
func TestZipfCheckRejectsOthers(t *testing.T) {
	const n, draws = 50, 200_000
	z := NewZipf(n, 0.99)
	r := newRNG(1)
	uni := make([]float64, n+1)
	wrong := make([]float64, n+1)
	zw := NewZipf(n, 0.9)
	for i := 0; i < draws; i++ {
		uni[1+r.uint64n(n)]++
		wrong[zw.rank(r)]++
	}
	if chi := chiSquare(z, uni, draws); chi < 10*chi2Crit49 {
		t.Fatalf("uniform passes as Zipf: chi-square %.1f", chi)
	}
	if chi := chiSquare(z, wrong, draws); chi < chi2Crit49 {
		t.Fatalf("Zipf(0.9) passes as Zipf(0.99): chi-square %.1f", chi)
	}
}

// A huge key space costs no memory and stays in range; the head is hot.
func TestZipfLargeKeyspace(t *testing.T) {
	const n = 1 << 40
	z := NewZipf(n, 0.99)
	r := newRNG(3)
	ones := 0
	for i := 0; i < 100_000; i++ {
		k := z.rank(r)
		if k < 1 || k > n {
			t.Fatalf("rank %d outside [1, 2^40]", k)
		}
		if k == 1 {
			ones++
		}
	}
	// P(1) = 1/H(n, 0.99) ≈ 1/27.5 for n = 2^40.
	if ones < 2500 || ones > 4800 {
		t.Fatalf("rank 1 drawn %d times in 100000", ones)
	}
}

func TestRNGUint64n(t *testing.T) {
	r := newRNG(9)
	var counts [7]int
	for i := 0; i < 70_000; i++ {
		counts[r.uint64n(7)]++
	}
	for v, c := range counts {
		if c < 9_000 || c > 11_000 {
			t.Fatalf("uint64n(7): %d drawn %d times of 70000", v, c)
		}
	}
	if newRNG(1, 2).uint64() == newRNG(2, 1).uint64() {
		t.Fatal("seed parts are order-insensitive")
	}
}
