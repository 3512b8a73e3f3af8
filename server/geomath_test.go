package server

import (
	"bufio"
	"math"
	"math/big"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
)

// exactSin and exactCos compute sin and cos of a float64 to 400 bits.
func exactSinCos(x float64) (s, c *big.Float) {
	return bigSinCos(new(big.Float).SetPrec(400).SetFloat64(x), 400)
}

// closer reports whether a is at least as close to the exact value v as b.
func closer(a, b float64, v *big.Float) bool {
	da := new(big.Float).Sub(v, big.NewFloat(a))
	db := new(big.Float).Sub(v, big.NewFloat(b))
	return da.Abs(da).Cmp(db.Abs(db)) <= 0
}

// TestGeoMathMatchesGlibc checks geoSin, geoCos and geoAsin against values
// computed by glibc's libm (testdata/geomath.txt, written by Python's math
// module on the reference machine). They must be bit-identical, except
// where glibc is not correctly rounded (about 0.1% of arguments): there
// ember's result must be the correctly rounded one.
func TestGeoMathMatchesGlibc(t *testing.T) {
	f, err := os.Open("testdata/geomath.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fns := map[string]func(float64) float64{"sin": geoSin, "cos": geoCos, "asin": geoAsin}
	sc := bufio.NewScanner(f)
	n, glibcOff := 0, 0
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		w := strings.Fields(line)
		x, err1 := strconv.ParseFloat(w[1], 64)
		want, err2 := strconv.ParseFloat(w[2], 64)
		if err1 != nil || err2 != nil {
			t.Fatalf("bad line %q", line)
		}
		n++
		got := fns[w[0]](x)
		if math.Float64bits(got) == math.Float64bits(want) {
			continue
		}
		var ok bool
		switch w[0] {
		case "sin", "cos":
			s, c := exactSinCos(x)
			v := s
			if w[0] == "cos" {
				v = c
			}
			ok = closer(got, want, v) && !closer(want, got, v)
		case "asin":
			// Closer to asin(x) means sin of it closer to x.
			sg, _ := exactSinCos(got)
			sw, _ := exactSinCos(want)
			dg := new(big.Float).Sub(sg, big.NewFloat(x))
			dw := new(big.Float).Sub(sw, big.NewFloat(x))
			ok = dg.Abs(dg).Cmp(dw.Abs(dw)) < 0
		}
		if !ok {
			t.Errorf("%s(%v) = %v, glibc %v, and ours is not the correctly rounded one", w[0], x, got, want)
		}
		glibcOff++
	}
	if n < 1000 {
		t.Fatalf("only %d vectors", n)
	}
	if glibcOff*500 > n {
		t.Errorf("%d of %d differ from glibc: more than 0.2%%", glibcOff, n)
	}
	t.Logf("%d vectors, %d where glibc is not correctly rounded", n, glibcOff)
}

// TestGeoMathFastPath checks that the float64 fast paths round as the full
// double-double evaluation does, and that both are correctly rounded.
func TestGeoMathFastPath(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 20000; i++ {
		x := (r.Float64()*2 - 1) * 3.3
		if i%3 == 0 {
			x *= math.Pow(2, -float64(r.IntN(30)))
		}
		if got, want := geoSin(x), ddSin(x).hi; got != want {
			t.Fatalf("sin(%v): fast %v, dd %v", x, got, want)
		}
		if got, want := geoCos(x), ddCos(x).hi; got != want {
			t.Fatalf("cos(%v): fast %v, dd %v", x, got, want)
		}
		if i%50 == 0 {
			s, c := exactSinCos(x)
			if sf, _ := s.Float64(); sf != geoSin(x) {
				t.Fatalf("sin(%v) = %v, exact rounds to %v", x, geoSin(x), sf)
			}
			if cf, _ := c.Float64(); cf != geoCos(x) {
				t.Fatalf("cos(%v) = %v, exact rounds to %v", x, geoCos(x), cf)
			}
		}
	}
}

func BenchmarkGeoDistance(b *testing.B) {
	for i := 0; i < b.N; i++ {
		geoDistance(13.361389, 38.115556, 15.087269+float64(i&7)*1e-3, 37.502669)
	}
}

// TestQuickReject: the arithmetic rejection never rejects a member the
// exact distance puts inside the radius, and rejects most of those far
// outside it.
func TestQuickReject(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	rejected, outside := 0, 0
	for i := 0; i < 200000; i++ {
		lon, lat := rng.Float64()*360-180, rng.Float64()*170-85
		limit := math.Exp(rng.Float64() * 16) // 1 m to ~9,000 km
		var q quickReject
		q.setup(lon, lat, limit)
		// candidates around the centre, within a few radii
		spread := limit / earthRadius * 180 / math.Pi * 3
		lon2 := lon + (rng.Float64()*2-1)*spread
		lat2 := math.Max(-85, math.Min(85, lat+(rng.Float64()*2-1)*spread))
		d := geoDistance(lon, lat, lon2, lat2)
		if q.out(lon2, lat2) {
			rejected++
			if d <= limit {
				t.Fatalf("rejected (%v,%v) at %v m from (%v,%v), radius %v", lon2, lat2, d, lon, lat, limit)
			}
		}
		if d > limit*1.5 {
			outside++
		}
	}
	if rejected < outside/2 {
		t.Errorf("rejected %d of %d members well outside", rejected, outside)
	}
}
