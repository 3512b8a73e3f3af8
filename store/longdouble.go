package store

import (
	"math/big"
)

// Long double arithmetic, as INCRBYFLOAT and HINCRBYFLOAT see it.
//
// Redis parses float increments and the values they apply to with C's
// strtold, adds them as long doubles and prints the sum with "%.17Lf"
// before stripping trailing zeros. On x86-64 a long double is the x87
// 80-bit extended format: a 64-bit mantissa, exponents up to 2^16383, and
// every operation rounded to nearest, ties to even. float64 would give
// visibly different answers ("SET k 0.1" then "INCRBYFLOAT k 0.2" is "0.3"
// in Redis, 0.30000000000000004 in float64), so ember emulates the format
// with math/big:
//
//   - Parsing accepts exactly the strings Redis's string2ld accepts: the
//     whole string must be a strtold number (decimal or hexadecimal with an
//     optional exponent, "inf" or "infinity"), with no leading whitespace,
//     no trailing bytes, no NaN, shorter than 5120 bytes, and not out of
//     range (strtold's ERANGE: beyond ~1.19e4932, or so small that it
//     rounds to zero). The digits are converted exactly (big.Int) and
//     rounded once to 64 bits, which is what glibc's correctly rounded
//     strtold does. big.Float's own parser is not used: it accepts syntax
//     strtold rejects (underscores, 0b/0o prefixes, decimal 'p' exponents)
//     and may round twice for long decimal exponents.
//   - Addition is big.Float's, at precision 64 with ties to even: the x87
//     result. A sum beyond the long double range is an overflow (Redis
//     sees infinity); an infinite operand always fails (inf, or NaN for
//     inf-inf).
//   - Printing is big.Float's exact 'f' conversion to 17 decimals (glibc's
//     printf is exact too, ties to even), then Redis's trimming.
//
// x87 subnormals (below 2^-16382) lose precision that big.Float keeps;
// such values print as 0 at 17 decimals and are lost in any sum with a
// normal number, so the difference cannot show in a reply.

// LongDoublePrec is the mantissa width of an x87 long double.
const LongDoublePrec = 64

// Limits of the long double format, as binary exponents of big.Float's
// MantExp (x = mant × 2^exp with 0.5 ≤ |mant| < 1).
const (
	ldMaxExp = 16384  // |x| < 2^16384
	ldMinExp = -16445 // |x| > 2^-16446 (smaller rounds to zero)
	// maxLongDoubleChars is Redis's MAX_LONG_DOUBLE_CHARS: string2ld
	// rejects inputs this long or longer.
	maxLongDoubleChars = 5 * 1024
)

// ParseLongDouble sets z (to precision 64) to the value of b as Redis's
// string2ld reads it, reporting false when Redis would answer "value is not
// a valid float". z may be infinite on success ("inf").
func ParseLongDouble(z *big.Float, b []byte) bool {
	z.SetPrec(LongDoublePrec).SetMode(big.ToNearestEven)
	if len(b) == 0 || len(b) >= maxLongDoubleChars {
		return false
	}
	i, neg := 0, false
	if b[0] == '+' || b[0] == '-' {
		neg = b[0] == '-'
		i++
	}
	rest := b[i:]
	if eqFoldASCII(rest, "inf") || eqFoldASCII(rest, "infinity") {
		z.SetInf(neg)
		return true
	}
	var ok bool
	if len(rest) > 1 && rest[0] == '0' && (rest[1] == 'x' || rest[1] == 'X') {
		ok = parseUnsignedFloat(z, rest[2:], true)
	} else {
		ok = parseUnsignedFloat(z, rest, false)
	}
	if !ok {
		return false
	}
	if neg {
		z.Neg(z)
	}
	return inLongDoubleRange(z)
}

// inLongDoubleRange reports whether a finite x is representable as a long
// double: not past the largest one, and not so small that it rounds to 0.
// Zero itself is fine.
func inLongDoubleRange(x *big.Float) bool {
	if x.Sign() == 0 {
		return true
	}
	exp := x.MantExp(nil)
	if exp > ldMaxExp {
		return false
	}
	// 2^-16446 itself is the tie between 0 and the smallest subnormal:
	// it rounds to even, zero.
	return exp > ldMinExp || (exp == ldMinExp && !isPow2(x))
}

// isPow2 reports whether |x| is a power of two.
func isPow2(x *big.Float) bool {
	var m big.Float
	x.MantExp(&m)
	return m.Cmp(big.NewFloat(0.5)) == 0 || m.Cmp(big.NewFloat(-0.5)) == 0
}

// scanDigits returns the length of the run of digits at the start of b
// (hex digits when hex).
func scanDigits(b []byte, hex bool) int {
	n := 0
	for n < len(b) {
		c := b[n]
		if c >= '0' && c <= '9' || hex && (c|0x20 >= 'a' && c|0x20 <= 'f') {
			n++
			continue
		}
		break
	}
	return n
}

// scanNumber splits the whole of b, an unsigned strtold number without
// its "0x" prefix, into integer digits, fraction digits and exponent:
// "(D+[.D*] | .D+)[e[+-]D+]", with hex digits and a 'p' (binary) exponent
// when hex.
func scanNumber(b []byte, hex bool) (intPart, frac []byte, exp int64, ok bool) {
	n := scanDigits(b, hex)
	intPart, rest := b[:n], b[n:]
	if len(rest) > 0 && rest[0] == '.' {
		m := scanDigits(rest[1:], hex)
		frac, rest = rest[1:1+m], rest[1+m:]
	}
	if len(intPart)+len(frac) == 0 {
		return nil, nil, 0, false
	}
	if len(rest) == 0 {
		return intPart, frac, 0, true
	}
	expChar := byte('e')
	if hex {
		expChar = 'p'
	}
	if rest[0]|0x20 != expChar {
		return nil, nil, 0, false
	}
	exp, ok = scanExponent(rest[1:])
	return intPart, frac, exp, ok
}

// scanExponent parses a whole "[+-]D+" (the part after 'e' or 'p'),
// saturating at ±1e9 (far beyond any representable exponent).
func scanExponent(b []byte) (int64, bool) {
	neg := false
	if len(b) > 0 && (b[0] == '+' || b[0] == '-') {
		neg = b[0] == '-'
		b = b[1:]
	}
	if len(b) == 0 || scanDigits(b, false) != len(b) {
		return 0, false
	}
	var e int64
	for _, c := range b {
		if e < 1e9 {
			e = e*10 + int64(c-'0')
		}
	}
	if neg {
		e = -e
	}
	return e, true
}

// mantissaInt returns the integer written by the digits of intPart and
// frac (in base 10 or 16) and its number of significant digits (0 when it
// is zero).
func mantissaInt(intPart, frac []byte, base int) (*big.Int, int64) {
	digits := make([]byte, 0, len(intPart)+len(frac))
	digits = append(append(digits, intPart...), frac...)
	lead := 0
	for lead < len(digits) && digits[lead] == '0' {
		lead++
	}
	m, _ := new(big.Int).SetString(string(digits), base)
	return m, int64(len(digits) - lead)
}

// parseUnsignedFloat converts an unsigned strtold number, decimal or (hex,
// without its "0x") hexadecimal, exactly, then rounds once to z's
// precision.
func parseUnsignedFloat(z *big.Float, b []byte, hex bool) bool {
	intPart, frac, exp, ok := scanNumber(b, hex)
	if !ok {
		return false
	}
	base := 10
	if hex {
		base = 16
	}
	m, d := mantissaInt(intPart, frac, base)
	if d == 0 {
		z.SetInt64(0)
		return true
	}
	if hex {
		return scaleBinary(z, m, exp-4*int64(len(frac)))
	}
	return scaleDecimal(z, m, d, exp-int64(len(frac)))
}

// scaleDecimal sets z to m·10^exp rounded once, where m has d significant
// digits, or reports false when that is out of the long double range.
func scaleDecimal(z *big.Float, m *big.Int, d, exp int64) bool {
	// m·10^exp lies in [10^(d-1+exp), 10^(d+exp)). Decide the far-out
	// cases without computing huge powers: 10^4933 > max long double, and
	// 10^-4951 < 2^-16446 (which rounds to zero).
	if d-1+exp >= 4933 || d+exp <= -4951 {
		return false
	}
	if exp >= 0 {
		m.Mul(m, new(big.Int).Exp(big.NewInt(10), big.NewInt(exp), nil))
		z.SetInt(m)
		return true
	}
	var num, den big.Float
	num.SetInt(m)
	den.SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(-exp), nil))
	z.Quo(&num, &den)
	return true
}

// scaleBinary sets z to m·2^exp rounded once, or reports false when that
// is out of the long double range.
func scaleBinary(z *big.Float, m *big.Int, exp int64) bool {
	bitLen := int64(m.BitLen())
	if bitLen-1+exp >= ldMaxExp || bitLen+exp <= ldMinExp-1 {
		return false
	}
	z.SetInt(m)
	z.SetMantExp(z, int(exp))
	return true
}

// AddLongDouble sets z = x + y as an x87 long double addition would,
// reporting false when the result is infinite or NaN (an infinite operand,
// or a sum beyond the long double range): Redis's "increment would produce
// NaN or Infinity".
func AddLongDouble(z, x, y *big.Float) bool {
	if x.IsInf() || y.IsInf() {
		return false
	}
	z.SetPrec(LongDoublePrec).SetMode(big.ToNearestEven)
	z.Add(x, y)
	return z.Sign() == 0 || z.MantExp(nil) <= ldMaxExp
}

// AppendLongDouble appends finite x the way Redis prints a float increment's
// result (ld2string in LD_STR_HUMAN mode): "%.17Lf", trailing zeros and a
// trailing point removed, "-0" printed as "0".
func AppendLongDouble(dst []byte, x *big.Float) []byte {
	start := len(dst)
	dst = x.Append(dst, 'f', 17)
	end := len(dst)
	for end > start && dst[end-1] == '0' {
		end--
	}
	if end > start && dst[end-1] == '.' {
		end--
	}
	dst = dst[:end]
	if string(dst[start:]) == "-0" {
		dst = append(dst[:start], '0')
	}
	return dst
}

// eqFoldASCII reports whether b equals the lower-case word w, ignoring
// ASCII case.
func eqFoldASCII(b []byte, w string) bool {
	if len(b) != len(w) {
		return false
	}
	for i := range b {
		if b[i]|0x20 != w[i] {
			return false
		}
	}
	return true
}
