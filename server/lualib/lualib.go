package lualib

import (
	"fmt"
	"math"
	"strconv"

	lua "github.com/yuin/gopher-lua"
)

// Open sets the globals cjson, cmsgpack, bit and struct in L, as Redis 7.0
// sets them in its scripting environment. Each call builds fresh tables
// (with cjson's configuration at its defaults). cmsgpack.unpack returns up
// to 7999 values, as on Redis, only if L's registry may grow beyond
// gopher-lua's default 5120 slots (lua.Options.RegistryMaxSize).
func Open(L *lua.LState) {
	L.SetGlobal("cjson", newCJSON(L))
	L.SetGlobal("cmsgpack", newCMsgpack(L))
	L.SetGlobal("bit", newBit(L))
	L.SetGlobal("struct", newStruct(L))
}

// IsNull reports whether v is cjson.null, the value cjson.decode gives
// JSON null (Redis's lightuserdata NULL). A script's reply converter treats
// it like any other userdata.
func IsNull(v lua.LValue) bool {
	ud, ok := v.(*lua.LUserData)
	return ok && ud.Value == nullMarker
}

// nullMarker is the payload of every cjson.null userdata: they compare
// equal only by identity in Lua, so one state shares one; IsNull knows all.
var nullMarker = &struct{ name string }{"cjson.null"}

// register sets fns as fields of t, each a Go function.
func register(L *lua.LState, t *lua.LTable, fns map[string]lua.LGFunction) {
	for name, fn := range fns {
		t.RawSetString(name, L.NewFunction(fn))
	}
}

// raise is luaL_error: the message, after the position of the Lua code
// that called the library function ("user_script:1: "), or alone when a Go
// function such as pcall called it directly, as C Lua does. (gopher-lua's
// RaiseError would look past Go callers for a Lua position.)
func raise(L *lua.LState, format string, args ...any) {
	msg := format
	if len(args) > 0 {
		msg = fmt.Sprintf(format, args...)
	}
	if src, line, ok := luaCaller(L); ok {
		msg = src + ":" + strconv.Itoa(line) + ": " + msg
	}
	L.Error(lua.LString(msg), 0)
}

// luaCaller returns the source and current line of the function that
// called the running library function, false when that is not Lua code.
func luaCaller(L *lua.LState) (string, int, bool) {
	dbg, ok := L.GetStack(1)
	if !ok {
		return "", 0, false
	}
	if _, err := L.GetInfo("Sl", dbg, lua.LNil); err != nil || dbg.What == "G" || dbg.CurrentLine <= 0 {
		return "", 0, false
	}
	return dbg.Source, dbg.CurrentLine, true
}

// argError raises Lua 5.1's luaL_argerror message. C Lua names the function
// after the call site, "?" when a Go function (pcall) called it; here a
// Lua caller always sees the library's name for it, which is what the
// usual call (cjson.encode(x)) shows.
func argError(L *lua.LState, n int, fname, msg string) {
	if _, _, ok := luaCaller(L); !ok {
		fname = "?"
	}
	raise(L, "bad argument #%d to '%s' (%s)", n, fname, msg)
}

// typeName is luaL_typename: "no value" for an absent argument.
func typeName(L *lua.LState, n int) string {
	if n > L.GetTop() {
		return "no value"
	}
	return luaTypeName(L.Get(n))
}

// luaTypeName is lua_typename of v's type, as C Lua 5.1 spells it.
func luaTypeName(v lua.LValue) string {
	switch v.Type() {
	case lua.LTNil:
		return "nil"
	case lua.LTBool:
		return "boolean"
	case lua.LTNumber:
		return "number"
	case lua.LTString:
		return "string"
	case lua.LTTable:
		return "table"
	case lua.LTFunction:
		return "function"
	case lua.LTThread:
		return "thread"
	default:
		return "userdata"
	}
}

// typeError raises luaL_typerror's message for argument n.
func typeError(L *lua.LState, n int, fname, want string) {
	argError(L, n, fname, want+" expected, got "+typeName(L, n))
}

// checkNumber is luaL_checknumber: numbers and numeric strings.
func checkNumber(L *lua.LState, n int, fname string) float64 {
	f, ok := toNumber(L.Get(n))
	if !ok {
		typeError(L, n, fname, "number")
	}
	return f
}

// checkInteger is luaL_checkinteger: luaL_checknumber truncated toward
// zero (lua_Integer is ptrdiff_t).
func checkInteger(L *lua.LState, n int, fname string) int64 {
	return cInt64(checkNumber(L, n, fname))
}

// optInteger is luaL_optinteger: def when argument n is none or nil.
func optInteger(L *lua.LState, n int, fname string, def int64) int64 {
	if L.Get(n) == lua.LNil {
		return def
	}
	return checkInteger(L, n, fname)
}

// checkString is luaL_checklstring: strings, and numbers converted as Lua
// converts them.
func checkString(L *lua.LState, n int, fname string) string {
	switch v := L.Get(n).(type) {
	case lua.LString:
		return string(v)
	case lua.LNumber:
		return numberToString(float64(v))
	}
	typeError(L, n, fname, "string")
	return ""
}

// toNumber is lua_tonumber: a number, or a string that C Lua 5.1 reads as
// one (strtod syntax, hexadecimal, surrounding white space).
func toNumber(v lua.LValue) (float64, bool) {
	switch v := v.(type) {
	case lua.LNumber:
		return float64(v), true
	case lua.LString:
		return strToNumber(string(v))
	}
	return 0, false
}

// strToNumber is luaO_str2d.
func strToNumber(s string) (float64, bool) {
	if i := indexNUL(s); i >= 0 {
		s = s[:i] // C sees the string up to its first NUL
	}
	f, n := strtod(s)
	if n == 0 {
		return 0, false
	}
	for ; n < len(s); n++ {
		if !isSpace(s[n]) {
			return 0, false
		}
	}
	return f, true
}

func indexNUL(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			return i
		}
	}
	return -1
}

// isSpace is C's isspace in the "C" locale.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isHex(c byte) bool { return isDigit(c) || (c|0x20) >= 'a' && (c|0x20) <= 'f' }

// strtod parses the longest prefix of s that glibc's strtod accepts and
// returns its value and length (0 when there is none): leading white space,
// a sign, then decimal digits with optional fraction and exponent,
// hexadecimal (0x...) with optional binary exponent, inf, infinity or nan
// (with an optional parenthesised tag), case-insensitively.
func strtod(s string) (float64, int) {
	i := 0
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	sign := func(f float64) float64 {
		if neg {
			return -f
		}
		return f
	}
	rest := s[i:]
	if hasPrefixFold(rest, "inf") {
		n := 3
		if hasPrefixFold(rest, "infinity") {
			n = 8
		}
		return sign(math.Inf(1)), i + n
	}
	if hasPrefixFold(rest, "nan") {
		n := 3
		if n < len(rest) && rest[n] == '(' {
			j := n + 1
			for j < len(rest) && (isDigit(rest[j]) || rest[j] == '_' || (rest[j]|0x20) >= 'a' && (rest[j]|0x20) <= 'z') {
				j++
			}
			if j < len(rest) && rest[j] == ')' {
				n = j + 1
			}
		}
		return sign(math.NaN()), i + n
	}
	if len(rest) > 2 && rest[0] == '0' && (rest[1]|0x20) == 'x' && (isHex(rest[2]) || rest[2] == '.' && len(rest) > 3 && isHex(rest[3])) {
		return strtodHex(rest, i, sign)
	}
	j := 0
	digits := 0
	for j < len(rest) && isDigit(rest[j]) {
		j++
		digits++
	}
	if j < len(rest) && rest[j] == '.' {
		j++
		for j < len(rest) && isDigit(rest[j]) {
			j++
			digits++
		}
	}
	if digits == 0 {
		return 0, 0
	}
	j = exponent(rest, j, 'e')
	f, _ := strconv.ParseFloat(rest[:j], 64) // range errors still give ±Inf or 0
	return sign(f), i + j
}

// strtodHex parses a hexadecimal float at the start of rest (known to hold
// at least one hex digit after 0x).
func strtodHex(rest string, i int, sign func(float64) float64) (float64, int) {
	j := 2
	for j < len(rest) && isHex(rest[j]) {
		j++
	}
	if j < len(rest) && rest[j] == '.' {
		j++
		for j < len(rest) && isHex(rest[j]) {
			j++
		}
	}
	mant := rest[:j]
	end := exponent(rest, j, 'p')
	lit := mant + "p0"
	if end > j {
		lit = rest[:end]
	}
	f, _ := strconv.ParseFloat(lit, 64)
	return sign(f), i + end
}

// exponent returns the end of an exponent (marker, optional sign, digits)
// at s[j:], or j when there is no complete one.
func exponent(s string, j int, marker byte) int {
	if j >= len(s) || s[j]|0x20 != marker {
		return j
	}
	k := j + 1
	if k < len(s) && (s[k] == '+' || s[k] == '-') {
		k++
	}
	if k >= len(s) || !isDigit(s[k]) {
		return j
	}
	for k < len(s) && isDigit(s[k]) {
		k++
	}
	return k
}

func hasPrefixFold(s, prefix string) bool {
	if len(s) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		if s[i]|0x20 != prefix[i] {
			return false
		}
	}
	return true
}

// numberToString is how C Lua 5.1 turns a number into a string ("%.14g").
func numberToString(f float64) string {
	return string(appendG(nil, f, 14))
}

// appendG appends f formatted as C's printf("%.<prec>g").
func appendG(b []byte, f float64, prec int) []byte {
	switch {
	case math.IsNaN(f):
		if math.Signbit(f) {
			return append(b, "-nan"...)
		}
		return append(b, "nan"...)
	case math.IsInf(f, 1):
		return append(b, "inf"...)
	case math.IsInf(f, -1):
		return append(b, "-inf"...)
	}
	return strconv.AppendFloat(b, f, 'g', prec, 64)
}

// cInt64 converts like C's (int64_t)d on x86-64: truncation toward zero,
// and the "integer indefinite" value for NaN and out-of-range values.
func cInt64(f float64) int64 {
	if f != f || f >= 1<<63 || f < -(1<<63) {
		return math.MinInt64
	}
	return int64(f)
}

// cInt32 converts like C's (int)d on x86-64.
func cInt32(f float64) int32 {
	if f != f || f >= 1<<31 || f < -(1<<31) {
		return math.MinInt32
	}
	return int32(f)
}

// cUint64 converts like gcc's (uint64_t)d on x86-64 (values from 2^63 go
// through a biased signed conversion; out-of-range values give 0 or wrap).
func cUint64(f float64) uint64 {
	if !(f >= 1<<63) { // NaN takes this branch too
		return uint64(cInt64(f))
	}
	return uint64(cInt64(f-(1<<63))) ^ (1 << 63)
}
