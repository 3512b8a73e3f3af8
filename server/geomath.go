package server

import (
	"math"
	"math/big"
)

// Trigonometry for geo distances, rounded as glibc's libm rounds.
//
// Redis computes distances with the C library's sin, cos and asin. glibc's
// are correctly rounded (or within a hair of it: they differ from the
// exact result rounded to nearest only in cases too rare to meet), while
// Go's math package is within an ulp or so and differs from glibc on about
// a quarter of the arguments. An ulp is invisible in the four decimals of
// WITHDIST but not in GEOSEARCHSTORE ... STOREDIST, which stores the full
// double, nor at the edge of a radius. So ember evaluates these three
// functions in double-double arithmetic (about 106 bits: a value is an
// unevaluated sum hi+lo of two float64) and rounds once at the end, which
// gives the correctly rounded result.
//
// sin and cos reduce the argument by multiples of π/2 (π/2 kept in three
// float64 parts), then split the reduced r in [-π/4, π/4] as a + b with
// a = i/64 taken from a table of double-double sin(a) and cos(a), and
// |b| <= 1/128, and combine sin(a±b) from short Taylor series of b. asin
// takes Go's estimate and corrects it with one Newton step on sin in
// double-double. Arguments beyond |x| > 8 (only reachable with absurd
// search radiuses, where the value no longer matters) use Go's math.

// dd is a double-double number hi+lo with |lo| <= ulp(hi)/2.
type dd struct{ hi, lo float64 }

func twoSum(a, b float64) dd {
	s := a + b
	bb := s - a
	return dd{s, (a - (s - bb)) + (b - bb)}
}

func quickTwoSum(a, b float64) dd {
	s := a + b
	return dd{s, b - (s - a)}
}

func twoProd(a, b float64) dd {
	p := a * b
	return dd{p, math.FMA(a, b, -p)}
}

func ddAdd(a, b dd) dd {
	s := twoSum(a.hi, b.hi)
	t := twoSum(a.lo, b.lo)
	s.lo += t.hi
	s = quickTwoSum(s.hi, s.lo)
	s.lo += t.lo
	return quickTwoSum(s.hi, s.lo)
}

func ddMul(a, b dd) dd {
	p := twoProd(a.hi, b.hi)
	p.lo += a.hi*b.lo + a.lo*b.hi
	return quickTwoSum(p.hi, p.lo)
}

func ddMulF(a dd, b float64) dd {
	p := twoProd(a.hi, b)
	p.lo += a.lo * b
	return quickTwoSum(p.hi, p.lo)
}

func ddNeg(a dd) dd { return dd{-a.hi, -a.lo} }

// ddOf rounds a big.Float to a double-double.
func ddOf(x *big.Float) dd {
	hi, _ := x.Float64()
	r := new(big.Float).SetPrec(x.Prec()).Sub(x, big.NewFloat(hi))
	lo, _ := r.Float64()
	return dd{hi, lo}
}

const (
	trigTableBits = 6                  // table step 1/64
	trigTableStep = 1 << trigTableBits // entries per radian
	trigTermsMax  = 12                 // Taylor terms for |b| <= 1/128
)

var (
	// pio2 is π/2 in three parts (about 160 bits).
	pio2 [3]float64
	// invFact[n] is 1/n!.
	invFact [2 * (trigTermsMax + 2)]dd
	// sinTab[i], cosTab[i] are sin(i/64), cos(i/64) for i/64 <= π/4+1/64.
	sinTab, cosTab [52]dd
)

func init() {
	const prec = 300
	pi := bigPi(prec)
	half := new(big.Float).SetPrec(prec).Quo(pi, big.NewFloat(2))
	rest := new(big.Float).SetPrec(prec).Set(half)
	for i := range pio2 {
		pio2[i], _ = rest.Float64()
		rest.Sub(rest, big.NewFloat(pio2[i]))
	}
	f := new(big.Float).SetPrec(prec).SetInt64(1)
	for n := range invFact {
		if n > 0 {
			f.Mul(f, new(big.Float).SetPrec(prec).SetInt64(int64(n)))
		}
		invFact[n] = ddOf(new(big.Float).SetPrec(prec).Quo(big.NewFloat(1), f))
	}
	for i := range sinTab {
		a := new(big.Float).SetPrec(prec).Quo(new(big.Float).SetInt64(int64(i)), new(big.Float).SetInt64(trigTableStep))
		s, c := bigSinCos(a, prec)
		sinTab[i], cosTab[i] = ddOf(s), ddOf(c)
	}
}

// bigPi computes π with Machin's formula.
func bigPi(prec uint) *big.Float {
	atanInv := func(n int64) *big.Float {
		// atan(1/n) = sum (-1)^k / ((2k+1) n^(2k+1))
		x := new(big.Float).SetPrec(prec).Quo(big.NewFloat(1), new(big.Float).SetInt64(n))
		n2 := new(big.Float).SetPrec(prec).SetInt64(n * n)
		sum := new(big.Float).SetPrec(prec)
		eps := new(big.Float).SetMantExp(big.NewFloat(1), -int(prec))
		for k := int64(0); ; k++ {
			term := new(big.Float).SetPrec(prec).Quo(x, new(big.Float).SetInt64(2*k+1))
			if k%2 == 0 {
				sum.Add(sum, term)
			} else {
				sum.Sub(sum, term)
			}
			if term.Cmp(eps) < 0 {
				return sum
			}
			x.Quo(x, n2)
		}
	}
	p := new(big.Float).SetPrec(prec).Mul(big.NewFloat(16), atanInv(5))
	return p.Sub(p, new(big.Float).SetPrec(prec).Mul(big.NewFloat(4), atanInv(239)))
}

// bigSinCos computes sin(a) and cos(a) for small a by Taylor series.
func bigSinCos(a *big.Float, prec uint) (s, c *big.Float) {
	s = new(big.Float).SetPrec(prec)
	c = new(big.Float).SetPrec(prec)
	term := new(big.Float).SetPrec(prec).SetInt64(1) // a^n/n!
	eps := new(big.Float).SetMantExp(big.NewFloat(1), -int(prec))
	for n := int64(0); n < 200; n++ {
		switch n % 4 {
		case 0:
			c.Add(c, term)
		case 1:
			s.Add(s, term)
		case 2:
			c.Sub(c, term)
		case 3:
			s.Sub(s, term)
		}
		term.Mul(term, a)
		term.Quo(term, new(big.Float).SetInt64(n+1))
		if term.Sign() == 0 || new(big.Float).Abs(term).Cmp(eps) < 0 {
			break
		}
	}
	return s, c
}

// reduce returns r and the quadrant k with x = k·π/2 + r, |r| <= ~π/4.
func reduce(x float64) (dd, int) {
	k := math.RoundToEven(x / pio2[0])
	if k == 0 {
		return dd{x, 0}, 0
	}
	// x - k*pio2[0] is exact (Sterbenz) for the |k| <= 5 used here.
	t := x - k*pio2[0]
	r := ddAdd(dd{t, 0}, ddNeg(twoProd(k, pio2[1])))
	r = ddAdd(r, dd{-k * pio2[2], 0})
	return r, int(k) & 3
}

// sinCosSmall returns sin(r) and cos(r) for |r| <= π/4+.
func sinCosSmall(r dd) (s, c dd) {
	neg := r.hi < 0
	if neg {
		r = ddNeg(r)
	}
	i := int(r.hi*trigTableStep + 0.5)
	b := r
	if i > 0 {
		b = ddAdd(r, dd{-float64(i) / trigTableStep, 0})
	}
	b2 := ddMul(b, b)
	// Taylor series of sin(b)/b and cos(b) in b², as many terms as |b|
	// needs for 2^-110.
	terms := trigTermsMax
	ab := math.Abs(b.hi)
	switch {
	case ab < 0x1p-40:
		terms = 3
	case ab < 0x1p-20:
		terms = 6
	case ab < 0x1p-10:
		terms = 8
	}
	coef := func(k, n int) dd { // (-1)^n / k!
		if n%2 == 1 {
			return ddNeg(invFact[k])
		}
		return invFact[k]
	}
	sb := coef(2*terms+1, terms)
	cb := coef(2*terms, terms)
	for n := terms - 1; n >= 0; n-- {
		sb = ddAdd(ddMul(sb, b2), coef(2*n+1, n))
		cb = ddAdd(ddMul(cb, b2), coef(2*n, n))
	}
	sb = ddMul(sb, b)
	if i == 0 {
		s, c = sb, cb
	} else {
		// sin(a+b) = sin a cos b + cos a sin b; cos(a+b) = cos a cos b - sin a sin b
		sa, ca := sinTab[i], cosTab[i]
		s = ddAdd(ddMul(sa, cb), ddMul(ca, sb))
		c = ddAdd(ddMul(ca, cb), ddNeg(ddMul(sa, sb)))
	}
	if neg {
		s = ddNeg(s)
	}
	return s, c
}

// ddSin returns sin(x) in double-double, for |x| <= 8.
func ddSin(x float64) dd {
	r, k := reduce(x)
	s, c := sinCosSmall(r)
	switch k {
	case 1:
		return c
	case 2:
		return ddNeg(s)
	case 3:
		return ddNeg(c)
	}
	return s
}

// ddCos returns cos(x) in double-double, for |x| <= 8.
func ddCos(x float64) dd {
	r, k := reduce(x)
	s, c := sinCosSmall(r)
	switch k {
	case 1:
		return ddNeg(s)
	case 2:
		return ddNeg(c)
	case 3:
		return s
	}
	return c
}

// sinCosFast returns sin(r), or cos(r) when cosine, for |r| <= π/4+,
// as hi+lo within 2^-63 |hi| of the exact value: the table entry for the
// nearest i/64 in double-double, and the short series of b = r - i/64 in
// float64 (|b| <= 1/128, so its terms beyond b are below 2^-14 of the
// result and their rounding errors below 2^-66 of it).
func sinCosFast(r dd, cosine bool) dd {
	neg := r.hi < 0
	if neg {
		r = ddNeg(r)
	}
	i := int(r.hi*trigTableStep + 0.5)
	bh := r.hi - float64(i)/trigTableStep // exact (Sterbenz)
	bl := r.lo
	b2 := bh * bh
	// sin b = bh + sinTail; cos b = 1 + cm1
	sinTail := bl + float64(bh*b2)*(-1.0/6+b2*(1.0/120+b2*(-1.0/5040)))
	cm1 := b2*(-0.5+b2*(1.0/24+b2*(-1.0/720+b2*(1.0/40320)))) - bh*bl
	sa, ca := sinTab[i], cosTab[i]
	var v dd
	if !cosine {
		// sin(a+b) = sa + ca·bh + (sa·cm1 + ca·sinTail + ...)
		p := twoProd(ca.hi, bh)
		v = twoSum(sa.hi, p.hi)
		tail := p.lo + sa.lo + sa.hi*cm1 + ca.hi*sinTail + ca.lo*bh + v.lo
		v = quickTwoSum(v.hi, tail)
		if neg {
			v = ddNeg(v)
		}
		return v
	}
	// cos(a+b) = ca - sa·bh + (ca·cm1 - sa·sinTail - ...)
	p := twoProd(sa.hi, bh)
	v = twoSum(ca.hi, -p.hi)
	tail := -p.lo + ca.lo + ca.hi*cm1 - sa.hi*sinTail - sa.lo*bh + v.lo
	return quickTwoSum(v.hi, tail)
}

// sinCosQuadrant returns sin(x) (or cos(x)) from the reduced argument's
// sine or cosine, as f computes them.
func sinCosQuadrant(x float64, cosine bool, f func(r dd, cosine bool) dd) dd {
	r, k := reduce(x)
	if cosine {
		k = (k + 1) & 3 // cos x = sin(x + π/2)
	}
	switch k {
	case 1:
		return f(r, true)
	case 2:
		return ddNeg(f(r, false))
	case 3:
		return ddNeg(f(r, true))
	}
	return f(r, false)
}

// sinCosSlow is sinCosSmall for one function.
func sinCosSlow(r dd, cosine bool) dd {
	s, c := sinCosSmall(r)
	if cosine {
		return c
	}
	return s
}

// roundsTo reports whether every value within err of v.hi+v.lo rounds to
// v.hi.
func roundsTo(v dd, err float64) bool {
	down := math.Abs(v.hi - math.Nextafter(v.hi, 0))
	return math.Abs(v.lo)+err < down/2
}

// fastErr is the relative error bound of sinCosFast, with a margin.
const fastErr = 0x1p-61

// geoSin is sin(x) correctly rounded.
func geoSin(x float64) float64 { return geoSinCos(x, false) }

// geoCos is cos(x) correctly rounded.
func geoCos(x float64) float64 { return geoSinCos(x, true) }

func geoSinCos(x float64, cosine bool) float64 {
	if !(math.Abs(x) <= 8) {
		if cosine {
			return math.Cos(x)
		}
		return math.Sin(x)
	}
	if x == 0 && !cosine {
		return x
	}
	v := sinCosQuadrant(x, cosine, sinCosFast)
	if roundsTo(v, math.Abs(v.hi)*fastErr) {
		return v.hi
	}
	return sinCosQuadrant(x, cosine, sinCosSlow).hi
}

// geoAsin is asin(x) correctly rounded, for x in [-1, 1]: Go's estimate
// y, corrected by one Newton step on sin(y) = x.
func geoAsin(x float64) float64 {
	if !(math.Abs(x) < 1) || x == 0 {
		return math.Asin(x) // ±π/2 rounded, NaN, or ±0
	}
	y := math.Asin(x)
	c := math.Cos(y)
	s := sinCosQuadrant(y, false, sinCosFast)
	diff := ddAdd(dd{x, 0}, ddNeg(s))
	corr := (diff.hi + diff.lo) / c
	v := twoSum(y, corr)
	// Error: sin's bound through the division, Newton's quadratic term
	// (tan y · corr²/2), and the division's rounding.
	err := math.Abs(s.hi)*fastErr/c + math.Abs(corr*corr/c) + math.Abs(corr)*0x1p-50
	if roundsTo(v, err) {
		return v.hi
	}
	s = ddSin(y)
	diff = ddAdd(dd{x, 0}, ddNeg(s))
	corr = (diff.hi + diff.lo) / (ddCos(y).hi)
	return quickTwoSum(y, corr).hi
}
