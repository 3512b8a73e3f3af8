package bench

import (
	"math"
	"math/bits"
	"math/rand/v2"
)

// Random numbers and the Zipf distribution.
//
// Every connection draws from its own PCG generator, seeded from the run's
// seed, the round and the connection's index, so a seed fixes each
// connection's request sequence exactly and every target sees the same
// sequence in the same round. PCG is a concrete type: drawing a number is a
// direct call, with no interface and no lock.
//
// Zipf draws use rejection-inversion (W. Hörmann and G. Derflinger,
// "Rejection-inversion to generate variates from monotone discrete
// distributions", 1996), the method behind Apache Commons RNG's Zipf
// sampler. It needs O(1) memory and a few logarithms per draw for any key
// space size and any exponent s > 0 (math/rand's Zipf needs s > 1, while
// cache traces are usually fitted with s just below 1). The idea: the
// probability of rank k is proportional to h(k) = k^-s; the integral H of h
// is invertible in closed form, so drawing u uniformly between H(1.5)-1 and
// H(n+0.5) and rounding H⁻¹(u) to the nearest integer k gives a candidate
// whose chance is the area under h around k. Accepting k when u falls
// inside the part of that area that exactly equals h(k) (the test below)
// makes the result exact; the rest is rejected and redrawn, which is rare.

// rng is a seeded pseudo-random source.
type rng struct{ pcg rand.PCG }

// newRNG returns a generator whose stream is fixed by the parts.
func newRNG(parts ...uint64) *rng {
	a, b := uint64(0x9e3779b97f4a7c15), uint64(0xbf58476d1ce4e5b9)
	for _, p := range parts {
		a = splitmix(a ^ p)
		b = splitmix(b + a)
	}
	r := &rng{}
	r.pcg.Seed(a, b)
	return r
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

func (r *rng) uint64() uint64 { return r.pcg.Uint64() }

// float64 is uniform in [0, 1).
func (r *rng) float64() float64 { return float64(r.pcg.Uint64()>>11) * 0x1p-53 }

// uint64n is uniform in [0, n) (Lemire's multiply-and-reject), n > 0.
func (r *rng) uint64n(n uint64) uint64 {
	hi, lo := bits.Mul64(r.pcg.Uint64(), n)
	if lo < n {
		thresh := -n % n
		for lo < thresh {
			hi, lo = bits.Mul64(r.pcg.Uint64(), n)
		}
	}
	return hi
}

// Zipf draws ranks 1..n with probability proportional to k^-s.
type Zipf struct {
	n, s      float64
	hx1, hn   float64 // H(1.5)-1 and H(n+0.5)
	threshold float64 // accept k at once when k-x ≤ threshold
}

// NewZipf returns a Zipf distribution over ranks 1..n with exponent s > 0.
func NewZipf(n uint64, s float64) *Zipf {
	z := &Zipf{n: float64(n), s: s}
	z.hx1 = z.hIntegral(1.5) - 1
	z.hn = z.hIntegral(z.n + 0.5)
	z.threshold = 2 - z.hIntegralInverse(z.hIntegral(2.5)-z.h(2))
	return z
}

// Prob is the exact probability of rank k (for tests and reports); it sums
// the series, so it costs O(n).
func (z *Zipf) Prob(k uint64) float64 {
	var sum float64
	for i := 1.0; i <= z.n; i++ {
		sum += math.Pow(i, -z.s)
	}
	return math.Pow(float64(k), -z.s) / sum
}

// rank draws one rank in [1, n] from r.
func (z *Zipf) rank(r *rng) uint64 {
	for {
		u := z.hn + r.float64()*(z.hx1-z.hn)
		x := z.hIntegralInverse(u)
		k := math.Floor(x + 0.5)
		if k < 1 {
			k = 1
		} else if k > z.n {
			k = z.n
		}
		if k-x <= z.threshold || u >= z.hIntegral(k+0.5)-z.h(k) {
			return uint64(k)
		}
	}
}

func (z *Zipf) h(x float64) float64 { return math.Exp(-z.s * math.Log(x)) }

// hIntegral is H(x) = (x^(1-s) - 1) / (1-s), or log(x) when s = 1.
func (z *Zipf) hIntegral(x float64) float64 {
	lx := math.Log(x)
	return helperExpm1Div((1-z.s)*lx) * lx
}

func (z *Zipf) hIntegralInverse(x float64) float64 {
	t := x * (1 - z.s)
	if t < -1 { // only by rounding error
		t = -1
	}
	return math.Exp(helperLog1pDiv(t) * x)
}

// helperLog1pDiv is log(1+x)/x, continuous at 0.
func helperLog1pDiv(x float64) float64 {
	if math.Abs(x) > 1e-8 {
		return math.Log1p(x) / x
	}
	return 1 - x*(0.5-x*(1.0/3-0.25*x))
}

// helperExpm1Div is (e^x - 1)/x, continuous at 0.
func helperExpm1Div(x float64) float64 {
	if math.Abs(x) > 1e-8 {
		return math.Expm1(x) / x
	}
	return 1 + x*0.5*(1+x*(1.0/3)*(1+0.25*x))
}
