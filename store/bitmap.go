package store

import (
	"encoding/binary"
	"math"
	"math/bits"
)

// Bitmaps (Redis's bitops.c).
//
// A bitmap is a plain string value read as a bit array: bit 0 is the most
// significant bit of byte 0, bit 8 the most significant bit of byte 1, and
// so on. Bits past the end of the string read as zero; writing one grows
// the string with zero bytes (as SETRANGE pads) and, as in Redis, leaves
// its encoding raw.
//
// The functions on []byte below are the algorithms (counting, searching,
// combining, reading and writing integer fields); the Tx methods make the
// writes on entries. Argument parsing, range normalisation and journaling
// stay in the server.

// BitCount returns the number of set bits of s in the bit range
// [first, last] (inclusive, 0 ≤ first ≤ last < 8·len(s)).
func BitCount(s []byte, first, last int64) int64 {
	fb, lb := first>>3, last>>3
	if fb == lb {
		return int64(bits.OnesCount8(s[fb] & headMask(first) & tailMask(last)))
	}
	n := int64(bits.OnesCount8(s[fb]&headMask(first))) + int64(bits.OnesCount8(s[lb]&tailMask(last)))
	return n + popcount(s[fb+1:lb])
}

// headMask keeps the bits of a byte from bit offset b (of the bitmap) on.
func headMask(b int64) byte { return 0xff >> (b & 7) }

// tailMask keeps the bits of a byte up to bit offset b (of the bitmap).
func tailMask(b int64) byte { return 0xff << (7 - b&7) }

// popcount counts the set bits of s, eight bytes at a time.
func popcount(s []byte) int64 {
	var n int
	for len(s) >= 8 {
		n += bits.OnesCount64(binary.LittleEndian.Uint64(s))
		s = s[8:]
	}
	for _, b := range s {
		n += bits.OnesCount8(b)
	}
	return int64(n)
}

// BitPos returns the offset of the first bit equal to bit (0 or 1) in the
// bit range [first, last] of s (0 ≤ first ≤ last < 8·len(s)), or -1 when
// there is none.
func BitPos(s []byte, bit int, first, last int64) int64 {
	var flip byte // XOR turning the bits sought into ones
	var flip64 uint64
	if bit == 0 {
		flip, flip64 = 0xff, math.MaxUint64
	}
	fb, lb := first>>3, last>>3
	for i := fb; i <= lb; {
		if i&7 == 0 && i+8 <= lb {
			// A whole aligned word strictly inside the range.
			if binary.BigEndian.Uint64(s[i:])^flip64 == 0 {
				i += 8
				continue
			}
		}
		b := s[i] ^ flip
		if i == fb {
			b &= headMask(first)
		}
		if i == lb {
			b &= tailMask(last)
		}
		if b != 0 {
			return i<<3 + int64(bits.LeadingZeros8(b))
		}
		i++
	}
	return -1
}

// BitOpKind is a BITOP operation.
type BitOpKind uint8

// The BITOP operations.
const (
	BitAnd BitOpKind = iota
	BitOr
	BitXor
	BitNot
)

// BitOp combines srcs (missing bytes of shorter strings read as zero)
// into a new string as long as the longest source; BitNot takes one
// source. It returns nil when every source is empty.
func BitOp(op BitOpKind, srcs [][]byte) []byte {
	n := 0
	for _, s := range srcs {
		n = max(n, len(s))
	}
	if n == 0 {
		return nil
	}
	res := make([]byte, n)
	switch op {
	case BitNot:
		for i, b := range srcs[0] {
			res[i] = ^b
		}
		return res
	case BitAnd:
		for _, s := range srcs {
			if len(s) < n {
				// A shorter source zeroes the tail: AND is zero past
				// the shortest string.
				n = len(s)
			}
		}
		copy(res, srcs[0][:n])
		for _, s := range srcs[1:] {
			andBytes(res[:n], s[:n])
		}
		return res
	}
	copy(res, srcs[0])
	for _, s := range srcs[1:] {
		if op == BitOr {
			orBytes(res, s)
		} else {
			xorBytes(res, s)
		}
	}
	return res
}

// andBytes sets dst[i] &= src[i]; len(src) ≥ len(dst).
func andBytes(dst, src []byte) {
	i := 0
	for ; i+8 <= len(dst); i += 8 {
		binary.LittleEndian.PutUint64(dst[i:], binary.LittleEndian.Uint64(dst[i:])&binary.LittleEndian.Uint64(src[i:]))
	}
	for ; i < len(dst); i++ {
		dst[i] &= src[i]
	}
}

// orBytes sets dst[i] |= src[i]; len(src) ≤ len(dst).
func orBytes(dst, src []byte) {
	i := 0
	for ; i+8 <= len(src); i += 8 {
		binary.LittleEndian.PutUint64(dst[i:], binary.LittleEndian.Uint64(dst[i:])|binary.LittleEndian.Uint64(src[i:]))
	}
	for ; i < len(src); i++ {
		dst[i] |= src[i]
	}
}

// xorBytes sets dst[i] ^= src[i]; len(src) ≤ len(dst).
func xorBytes(dst, src []byte) {
	i := 0
	for ; i+8 <= len(src); i += 8 {
		binary.LittleEndian.PutUint64(dst[i:], binary.LittleEndian.Uint64(dst[i:])^binary.LittleEndian.Uint64(src[i:]))
	}
	for ; i < len(src); i++ {
		dst[i] ^= src[i]
	}
}

// GetBit returns bit off of s (0 past its end).
func GetBit(s []byte, off uint64) int {
	if off>>3 >= uint64(len(s)) {
		return 0
	}
	return int(s[off>>3]>>(7-off&7)) & 1
}

// GetBits returns the width-bit field (1 ≤ width ≤ 64) of s at bit offset
// off as an unsigned integer, the first bit being the most significant;
// bits past the end of s read as zero.
func GetBits(s []byte, off uint64, width uint) uint64 {
	// Gather the (at most 9) bytes covering the field, zero-padded.
	var win [9]byte
	if b := off >> 3; b < uint64(len(s)) {
		copy(win[:], s[b:])
	}
	shift := uint(off & 7) // bits of the first byte before the field
	v := binary.BigEndian.Uint64(win[:8])<<shift | uint64(win[8])>>(8-shift)
	return v >> (64 - width)
}

// GetSignedBits is GetBits read as a two's complement width-bit integer.
func GetSignedBits(s []byte, off uint64, width uint) int64 {
	return int64(GetBits(s, off, width)<<(64-width)) >> (64 - width)
}

// setBits writes the low width bits of v into s at bit offset off, most
// significant bit first. REQUIRES: the field lies inside s.
func setBits(s []byte, off uint64, width uint, v uint64) {
	for i := uint64(0); i < uint64(width); i++ {
		p := off + i
		bit := byte(v>>(uint64(width)-1-i)) & 1
		m := byte(0x80) >> (p & 7)
		if bit != 0 {
			s[p>>3] |= m
		} else {
			s[p>>3] &^= m
		}
	}
}

// Overflow is a BITFIELD overflow policy.
type Overflow uint8

// The BITFIELD overflow policies.
const (
	OverflowWrap Overflow = iota // wrap around (modular arithmetic)
	OverflowSat                  // saturate at the type's minimum or maximum
	OverflowFail                 // refuse the write, reply nil
)

// BitfieldField is one BITFIELD GET, SET or INCRBY, with its result.
type BitfieldField struct {
	Offset   uint64 // bit offset (after resolving "#n" forms)
	Width    uint8  // 1..64 signed, 1..63 unsigned
	Signed   bool
	Write    bool  // SET or INCRBY (false: GET)
	Incr     bool  // INCRBY (with Write)
	Arg      int64 // the SET value or the increment
	Overflow Overflow

	// Results, filled in by Bitfield.
	Value  int64 // the reply: GET's value, SET's old value, INCRBY's new value
	Failed bool  // an overflow under OverflowFail: nothing written, reply nil
	Stored int64 // for writes, the field's value afterwards
}

// apply runs f (a write) on s, which covers the field.
func (f *BitfieldField) apply(s []byte) {
	w := uint(f.Width)
	if f.Signed {
		old := GetSignedBits(s, f.Offset, w)
		val, incr := f.Arg, int64(0)
		if f.Incr {
			val, incr = old, f.Arg
		}
		nv, over := signedFieldAdd(val, incr, w, f.Overflow)
		f.Value, f.Stored, f.Failed = old, old, over && f.Overflow == OverflowFail
		if f.Incr {
			f.Value = nv
		}
		if !f.Failed {
			setBits(s, f.Offset, w, uint64(nv))
			f.Stored = nv
		}
		return
	}
	old := GetBits(s, f.Offset, w)
	val, incr := uint64(f.Arg), int64(0)
	if f.Incr {
		val, incr = old, f.Arg
	}
	nv, over := unsignedFieldAdd(val, incr, w, f.Overflow)
	f.Value, f.Stored, f.Failed = int64(old), int64(old), over && f.Overflow == OverflowFail
	if f.Incr {
		f.Value = int64(nv)
	}
	if !f.Failed {
		setBits(s, f.Offset, w, nv)
		f.Stored = int64(nv)
	}
}

// signedFieldAdd computes value+incr for a signed width-bit field and
// reports whether it overflowed the field's range; the result is then
// wrapped (two's complement) or saturated per ow. value itself may be out
// of range (a SET argument, with incr 0).
//
// The overflow test is Redis's, limits computed with 64-bit wrap-around
// included: for a SET of a value far below the minimum of a wide field
// (i63 and -2^62-1, say), max−value wraps negative and Redis reports an
// overflow upwards, saturating at the maximum. ember answers the same.
func signedFieldAdd(value, incr int64, width uint, ow Overflow) (int64, bool) {
	maxV := int64(math.MaxInt64)
	if width < 64 {
		maxV = 1<<(width-1) - 1
	}
	minV := -maxV - 1
	maxIncr := int64(uint64(maxV) - uint64(value))
	minIncr := minV - value
	over := 0
	switch {
	case value > maxV || (width != 64 && incr > maxIncr) || (value >= 0 && incr > 0 && incr > maxIncr):
		over = 1
	case value < minV || (width != 64 && incr < minIncr) || (value < 0 && incr < 0 && incr < minIncr):
		over = -1
	}
	if over == 0 {
		return value + incr, false
	}
	if ow == OverflowSat {
		if over > 0 {
			return maxV, true
		}
		return minV, true
	}
	// Wrap: the low width bits of the (modular) sum, sign-extended.
	u := uint64(value+incr) << (64 - width)
	return int64(u) >> (64 - width), true
}

// unsignedFieldAdd is signedFieldAdd for an unsigned width-bit field
// (width ≤ 63). A SET of a negative value reads as a huge unsigned one, as
// in Redis, so it overflows upwards.
func unsignedFieldAdd(value uint64, incr int64, width uint, ow Overflow) (uint64, bool) {
	maxV := uint64(1)<<width - 1
	over := 0
	switch {
	case value > maxV || (incr > 0 && uint64(incr) > maxV-value):
		over = 1
	case incr < 0 && uint64(-incr) > value:
		// -incr cannot overflow here: MinInt64's magnitude 2^63 exceeds
		// any value ≤ 2^63-1, and uint64(-MinInt64) is 2^63.
		over = -1
	}
	if over == 0 {
		return value + uint64(incr), false
	}
	if ow == OverflowSat {
		if over > 0 {
			return maxV, true
		}
		return 0, true
	}
	return (value + uint64(incr)) & maxV, true
}

// zeroBytes backs the zero padding of small new bitmaps.
var zeroBytes [256]byte

// BitString returns key's string entry for a bit write that reaches byte
// n-1, creating it (n zero bytes) or growing it with zero bytes as needed,
// as Redis's lookupStringForBitCommand; its encoding becomes raw. grown
// reports whether the value was created or lengthened. Errors:
// ErrWrongType.
func (tx *Tx) BitString(key []byte, n int64) (e *Entry, grown bool, err error) {
	e = tx.Lookup(key)
	switch {
	case e == nil:
		z := zeroBytes[:]
		if n > int64(len(z)) {
			z = make([]byte, n)
		}
		e = tx.SetString(key, z[:n], 0)
		grown = true
	case e.kind != KindString:
		return nil, false, ErrWrongType
	case int64(len(e.Str())) < n:
		tx.SetRange(e, int(n-1), zeroBytes[:1])
		grown = true
	}
	e.enc = encRaw
	return e, grown, nil
}

// SetBit sets bit off of key's string to on, creating or growing the
// string as needed, and returns the bit's previous value and whether the
// value changed (in a bit or in length). Errors: ErrWrongType.
func (tx *Tx) SetBit(key []byte, off uint64, on bool) (old int, changed bool, err error) {
	e, grown, err := tx.BitString(key, int64(off>>3)+1)
	if err != nil {
		return 0, false, err
	}
	s := e.Str()
	old = GetBit(s, off)
	m := byte(0x80) >> (off & 7)
	if on {
		s[off>>3] |= m
	} else {
		s[off>>3] &^= m
	}
	return old, grown || (old == 1) != on, nil
}

// Bitfield runs BITFIELD's operations in order on key's string and fills
// in their results. With write (some field is a SET or INCRBY) the string
// is created or grown first to cover every written field, as Redis does,
// and the key exists afterwards even if every write failed; without, the
// key is only read (a missing key reads as zeros). Errors: ErrWrongType.
func (tx *Tx) Bitfield(key []byte, fields []BitfieldField, write bool) error {
	var s []byte
	if write {
		var end uint64
		for i := range fields {
			if f := &fields[i]; f.Write {
				end = max(end, f.Offset+uint64(f.Width)-1)
			}
		}
		e, _, err := tx.BitString(key, int64(end>>3)+1)
		if err != nil {
			return err
		}
		s = e.Str()
	} else if e := tx.LookupRead(key); e != nil {
		if e.kind != KindString {
			return ErrWrongType
		}
		s = e.Str()
	}
	for i := range fields {
		f := &fields[i]
		switch {
		case f.Write:
			f.apply(s)
		case f.Signed:
			f.Value = GetSignedBits(s, f.Offset, uint(f.Width))
		default:
			f.Value = int64(GetBits(s, f.Offset, uint(f.Width)))
		}
	}
	return nil
}

// SetRawString stores val as key's string value without expiry, replacing
// any value, with the raw encoding Redis gives a string it built (BITOP's
// result).
func (tx *Tx) SetRawString(key, val []byte) *Entry {
	e := tx.SetString(key, val, 0)
	e.enc = encRaw
	return e
}
