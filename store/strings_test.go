package store

import (
	"errors"
	"math/big"
	"strings"
	"testing"
)

// TestParseLongDouble checks the strtold grammar string2ld accepts and the
// values it produces, printed the way INCRBYFLOAT prints them.
func TestParseLongDouble(t *testing.T) {
	for _, tc := range []struct {
		in, want string // want "" means rejected
	}{
		{"0", "0"}, {"-0", "0"}, {"+1.5", "1.5"}, {".5", "0.5"}, {"5.", "5"},
		{"1e3", "1000"}, {"1E+3", "1000"}, {"1e-3", "0.001"}, {"0.1", "0.1"},
		{"0x1p3", "8"}, {"0X1.8P1", "3"}, {"0x.8", "0.5"}, {"-0x10", "-16"},
		{"0xAbC", "2748"}, {"0e99999999999999999999", "0"}, {"0x0p-99999", "0"},
		{"18446744073709551617", "18446744073709551616"}, // 2^64+1 rounds to even
		{"18446744073709551619", "18446744073709551620"},
		{"1e-18", "0"}, {"-1e-18", "0"}, {"0.000000000000000015", "0.00000000000000002"},
		// the ends of the range
		// max long double, 4933 digits ("..." marks a prefix)
		{"1.18973149535723176502e+4932", "1189731495357231765021263853030970205169..."},
		{"1.1897314953572317650e+4932", "1189731495357231765021263853030970205169..."},
		{"1.18973149535723176509e+4932", ""},
		{"1e4933", ""}, {"-1e4933", ""}, {"0x1p16384", ""}, {"1e-5000", ""},
		{"0x1p-16446", ""}, {"0x1p-16445", "0"}, {"1e-4950", "0"},
		{"inf", "inf"}, {"-Infinity", "-inf"}, {"INF", "inf"},
		// rejected syntax
		{"", ""}, {" 1", ""}, {"\t1", ""}, {"1 ", ""}, {"1\x00", ""}, {"\x00", ""},
		{"nan", ""}, {"-nan", ""}, {"nan(1)", ""}, {"infin", ""}, {"1_000", ""},
		{"0b101", ""}, {"0o17", ""}, {"1p3", ""}, {"0x", ""}, {"0x1p", ""},
		{"0x.", ""}, {"0xg", ""}, {"1e", ""}, {"1e+", ""}, {"e3", ""}, {".", ""},
		{"-", ""}, {"+", ""}, {"--1", ""}, {"- 1", ""}, {"1.2.3", ""}, {"1,5", ""},
		{"0x1e3p", ""}, {"1e3.5", ""},
	} {
		var z big.Float
		ok := ParseLongDouble(&z, []byte(tc.in))
		var got string
		switch {
		case !ok:
		case z.IsInf() && z.Signbit():
			got = "-inf"
		case z.IsInf():
			got = "inf"
		default:
			got = string(AppendLongDouble(nil, &z))
		}
		if p, found := strings.CutSuffix(tc.want, "..."); found && strings.HasPrefix(got, p) && len(got) == 4933 {
			continue
		}
		if got != tc.want && !(tc.want == "" && !ok) {
			t.Errorf("%.40q: got %.60q (ok %v), want %.60q", tc.in, got, ok, tc.want)
		}
		if tc.want == "" && ok {
			t.Errorf("%.40q accepted as %.60q", tc.in, got)
		}
	}
	// "1.000…": 5119 bytes are read, 5120 are too long.
	long := []byte("1.")
	for len(long) < maxLongDoubleChars {
		long = append(long, '0')
	}
	var z big.Float
	if ParseLongDouble(&z, long) || !ParseLongDouble(&z, long[:maxLongDoubleChars-1]) {
		t.Error("length limit")
	}
}

// TestAddLongDouble checks rounding to 64 bits and the overflow and
// infinity cases.
func TestAddLongDouble(t *testing.T) {
	parse := func(s string) *big.Float {
		var z big.Float
		if !ParseLongDouble(&z, []byte(s)) {
			t.Fatalf("parse %q", s)
		}
		return &z
	}
	for _, tc := range []struct{ x, y, want string }{
		{"0.1", "0.2", "0.3"},
		{"18446744073709551616", "1", "18446744073709551616"}, // below half an ulp
		{"18446744073709551616", "3", "18446744073709551620"},
		{"-5", "5", "0"},
		{"1e4932", "1e4932", ""},
		{"1e4932", "-1e4932", "0"},
		{"inf", "1", ""}, {"inf", "-inf", ""}, {"1", "-inf", ""},
	} {
		var z big.Float
		got := ""
		if AddLongDouble(&z, parse(tc.x), parse(tc.y)) {
			got = string(AppendLongDouble(nil, &z))
		}
		if got != tc.want {
			t.Errorf("%s + %s = %q, want %q", tc.x, tc.y, got, tc.want)
		}
	}
}

// FuzzParseLongDouble checks that parsing never panics and that a printed
// result reads back to itself (INCRBYFLOAT by 0 keeps a value).
func FuzzParseLongDouble(f *testing.F) {
	for _, s := range []string{"0", "0.1", "-1e-3", "0x1.8p1", "1e4932", "123456789.987654321", "inf", "0x1p-16445", "1e-4950"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var x, y big.Float
		if !ParseLongDouble(&x, b) || x.IsInf() {
			return
		}
		s := AppendLongDouble(nil, &x)
		if !ParseLongDouble(&y, s) {
			t.Fatalf("%q printed as %q, which does not parse", b, s)
		}
		if s2 := AppendLongDouble(nil, &y); string(s2) != string(s) {
			t.Fatalf("%q printed as %q, then %q", b, s, s2)
		}
	})
}

// newStringsTx returns a one-shard store and a Tx holding its write lock.
func newStringsTx(t *testing.T, key string) (*Store, *Tx) {
	t.Helper()
	st, err := New(Config{Databases: 1, Shards: 1}) // one shard: every key is locked
	if err != nil {
		t.Fatal(err)
	}
	tx := NewTx(st)
	tx.LockKey(st.DB(0), []byte(key), true)
	t.Cleanup(tx.Unlock)
	return st, tx
}

// TestStringOpsKeepTTL checks that the read-modify-write operations keep
// the key's expiry and re-derive its encoding as Redis does.
func TestStringOpsKeepTTL(t *testing.T) {
	st, tx := newStringsTx(t, "k")
	at := st.Now() + 100000
	k := []byte("k")
	tx.SetString(k, []byte("10"), at)
	if v, err := tx.IncrBy(k, 5); v != 15 || err != nil {
		t.Fatalf("IncrBy: %d %v", v, err)
	}
	if e := tx.Lookup(k); e.ExpireAt() != at || e.Encoding() != "int" {
		t.Fatalf("after IncrBy: at %d enc %s", e.ExpireAt(), e.Encoding())
	}
	if v, err := tx.IncrByFloat(k, []byte("1")); string(v) != "16" || err != nil {
		t.Fatalf("IncrByFloat: %q %v", v, err)
	}
	if e := tx.Lookup(k); e.ExpireAt() != at || e.Encoding() != "embstr" {
		t.Fatalf("after IncrByFloat: at %d enc %s", e.ExpireAt(), e.Encoding())
	}
	if n, err := tx.Append(k, []byte("0"), 1<<20); n != 3 || err != nil {
		t.Fatalf("Append: %d %v", n, err)
	}
	if e := tx.Lookup(k); e.ExpireAt() != at || e.Encoding() != "raw" || string(e.Str()) != "160" {
		t.Fatalf("after Append: at %d enc %s %q", e.ExpireAt(), e.Encoding(), e.Str())
	}
	if n, ch, err := tx.SetRangeKey(k, 5, []byte("x"), 1<<20); n != 6 || !ch || err != nil {
		t.Fatalf("SetRangeKey: %d %v %v", n, ch, err)
	}
	if e := tx.Lookup(k); e.ExpireAt() != at || string(e.Str()) != "160\x00\x00x" {
		t.Fatalf("after SetRangeKey: at %d %q", e.ExpireAt(), e.Str())
	}
	if _, err := tx.IncrBy(k, 1); !errors.Is(err, ErrNotInteger) {
		t.Fatalf("IncrBy on non-integer: %v", err)
	}
}

// TestStringOpsLimits checks that a size limit is enforced before anything
// changes, and the canonical integer rules.
func TestStringOpsLimits(t *testing.T) {
	_, tx := newStringsTx(t, "k")
	k := []byte("k")
	tx.SetString(k, []byte("abc"), 0)
	if _, err := tx.Append(k, []byte("de"), 4); !errors.Is(err, ErrTooBig) {
		t.Fatalf("Append past max: %v", err)
	}
	if _, _, err := tx.SetRangeKey(k, 3, []byte("de"), 4); !errors.Is(err, ErrTooBig) {
		t.Fatalf("SetRangeKey past max: %v", err)
	}
	if _, _, err := tx.SetRangeKey(k, 1<<62, []byte("x"), 1<<62); !errors.Is(err, ErrTooBig) {
		t.Fatalf("SetRangeKey overflow: %v", err)
	}
	if e := tx.Lookup(k); string(e.Str()) != "abc" || e.Encoding() != "embstr" {
		t.Fatalf("changed by refused writes: %q %s", e.Str(), e.Encoding())
	}
	if n, _, err := tx.SetRangeKey([]byte("new"), 1000, []byte("x"), 1<<20); n != 1001 || err != nil {
		t.Fatalf("SetRangeKey on a missing key: %d %v", n, err)
	}
	if e := tx.Lookup([]byte("new")); cap(e.dataBytes()) != len(e.dataBytes()) || e.Str()[999] != 0 || e.Str()[1000] != 'x' || e.Encoding() != "raw" {
		t.Fatalf("new SetRangeKey value: cap %d len %d enc %s", cap(e.dataBytes()), len(e.dataBytes()), e.Encoding())
	}
	if n, ch, err := tx.SetRangeKey([]byte("none"), 7, nil, 4); n != 0 || ch || err != nil || tx.Lookup([]byte("none")) != nil {
		t.Fatalf("empty SetRangeKey on a missing key: %d %v %v", n, ch, err)
	}
	for in, want := range map[string]bool{
		"0": true, "-1": true, "9223372036854775807": true, "-9223372036854775808": true,
		"-0": false, "01": false, "+1": false, " 1": false, "1 ": false, "": false, "-": false,
		"9223372036854775808": false, "-9223372036854775809": false, "123456789012345678901": false,
	} {
		if _, ok := parseStrictInt([]byte(in)); ok != want {
			t.Errorf("parseStrictInt(%q) = %v", in, ok)
		}
	}
}
