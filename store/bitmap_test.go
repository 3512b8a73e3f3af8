package store

import (
	"bytes"
	"math"
	"math/big"
	mathrand "math/rand"
	"math/rand/v2"
	"testing"
)

// bitAt is the reference reading of bit i of s (0 past the end).
func bitAt(s []byte, i int64) int {
	if i>>3 >= int64(len(s)) {
		return 0
	}
	return int(s[i>>3]>>(7-i&7)) & 1
}

func randBytes(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		switch r.IntN(4) {
		case 0:
			b[i] = 0
		case 1:
			b[i] = 0xff
		default:
			b[i] = byte(r.IntN(256))
		}
	}
	return b
}

// TestBitCountAndPos compares BitCount and BitPos with bit-by-bit
// reference loops over random strings and ranges.
func TestBitCountAndPos(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	for iter := 0; iter < 20000; iter++ {
		s := randBytes(r, 1+r.IntN(40))
		if r.IntN(3) == 0 {
			// Long runs of one value exercise the word-at-a-time paths.
			fill := byte(0)
			if r.IntN(2) == 0 {
				fill = 0xff
			}
			for i := range s {
				if r.IntN(30) != 0 {
					s[i] = fill
				}
			}
		}
		n := int64(len(s)) * 8
		first := r.Int64N(n)
		last := first + r.Int64N(n-first)
		var count int64
		pos := [2]int64{-1, -1}
		for i := first; i <= last; i++ {
			b := bitAt(s, i)
			count += int64(b)
			if pos[b] < 0 {
				pos[b] = i
			}
		}
		if got := BitCount(s, first, last); got != count {
			t.Fatalf("BitCount(%x, %d, %d) = %d, want %d", s, first, last, got, count)
		}
		for bit := 0; bit < 2; bit++ {
			if got := BitPos(s, bit, first, last); got != pos[bit] {
				t.Fatalf("BitPos(%x, %d, %d, %d) = %d, want %d", s, bit, first, last, got, pos[bit])
			}
		}
	}
}

// TestBits checks GetBits, GetSignedBits and setBits against bit-by-bit
// reference code, including fields reaching past the string.
func TestBits(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 2))
	for iter := 0; iter < 20000; iter++ {
		s := randBytes(r, r.IntN(20))
		width := uint(1 + r.IntN(64))
		off := uint64(r.IntN(200))
		var want uint64
		for i := uint64(0); i < uint64(width); i++ {
			want = want<<1 | uint64(bitAt(s, int64(off+i)))
		}
		if got := GetBits(s, off, width); got != want {
			t.Fatalf("GetBits(%x, %d, %d) = %x, want %x", s, off, width, got, want)
		}
		signed := int64(want)
		if width < 64 && want>>(width-1) == 1 {
			signed = int64(want) - int64(1)<<width
		}
		if got := GetSignedBits(s, off, width); got != signed {
			t.Fatalf("GetSignedBits(%x, %d, %d) = %d, want %d", s, off, width, got, signed)
		}
		// Write a random value into a string covering the field; only the
		// field's bits change.
		buf := randBytes(r, int(off+uint64(width)+7)/8)
		before := bytes.Clone(buf)
		v := r.Uint64()
		setBits(buf, off, width, v)
		if got := GetBits(buf, off, width); got != v&(math.MaxUint64>>(64-width)) {
			t.Fatalf("setBits then GetBits: %x, want %x", got, v)
		}
		for i := int64(0); i < int64(len(buf))*8; i++ {
			if (uint64(i) < off || uint64(i) >= off+uint64(width)) && bitAt(buf, i) != bitAt(before, i) {
				t.Fatalf("setBits(%d, %d) changed bit %d", off, width, i)
			}
		}
	}
}

// TestFieldAdd checks BITFIELD's overflow arithmetic against exact
// integers: for values in the field's range, overflow is detected exactly,
// WRAP is modular and SAT clamps.
func TestFieldAdd(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	rb := mathrand.New(mathrand.NewSource(3)) // big.Int.Rand takes math/rand
	for iter := 0; iter < 50000; iter++ {
		width := uint(1 + r.IntN(64))
		signed := width == 64 || r.IntN(2) == 0
		var lo, hi big.Int
		if signed {
			hi.Lsh(big.NewInt(1), width-1)
			lo.Neg(&hi)
			hi.Sub(&hi, big.NewInt(1))
		} else {
			hi.Lsh(big.NewInt(1), width)
			hi.Sub(&hi, big.NewInt(1))
		}
		// A value in range, and an increment of any size.
		span := new(big.Int).Sub(&hi, &lo)
		val := new(big.Int).Add(&lo, new(big.Int).Rand(rb, span.Add(span, big.NewInt(1))))
		var incr int64
		switch r.IntN(3) {
		case 0:
			incr = int64(r.Uint64())
		case 1:
			incr = r.Int64N(9) - 4
		default:
			incr = int64(r.Uint64()) >> r.IntN(64)
		}
		sum := new(big.Int).Add(val, big.NewInt(incr))
		over := sum.Cmp(&hi) > 0 || sum.Cmp(&lo) < 0
		mod := new(big.Int).Lsh(big.NewInt(1), width)
		wrapped := new(big.Int).Mod(new(big.Int).Sub(sum, &lo), mod)
		wrapped.Add(wrapped, &lo)
		sat := sum
		if sum.Cmp(&hi) > 0 {
			sat = &hi
		} else if sum.Cmp(&lo) < 0 {
			sat = &lo
		}
		for _, ow := range []Overflow{OverflowWrap, OverflowSat, OverflowFail} {
			var got int64
			var gotOver bool
			if signed {
				got, gotOver = signedFieldAdd(val.Int64(), incr, width, ow)
			} else {
				var u uint64
				u, gotOver = unsignedFieldAdd(val.Uint64(), incr, width, ow)
				got = int64(u)
			}
			want := wrapped
			if ow == OverflowSat {
				want = sat
			}
			if !over {
				want = sum
			}
			if gotOver != over || (ow != OverflowFail && got != want.Int64()) {
				t.Fatalf("width %d signed %v %v + %d (%v): got %d over %v, want %v over %v",
					width, signed, val, incr, ow, got, gotOver, want, over)
			}
		}
	}
	// Redis's quirk, kept: a SET far below a wide signed field's minimum
	// wraps max−value past int64 and counts as an overflow upwards.
	if v, over := signedFieldAdd(-(1<<62)-1, 0, 63, OverflowSat); !over || v != 1<<62-1 {
		t.Fatalf("i63 SET -2^62-1 under SAT: %d %v", v, over)
	}
	// A negative SET on an unsigned field is a huge value: overflow up.
	if v, over := unsignedFieldAdd(uint64(math.MaxUint64), 0, 8, OverflowSat); !over || v != 255 {
		t.Fatalf("u8 SET -1 under SAT: %d %v", v, over)
	}
}
