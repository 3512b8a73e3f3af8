package lualib

import (
	"math"

	lua "github.com/yuin/gopher-lua"
)

// The bit library is LuaBitOp 1.0.2: 32-bit operations on Lua numbers.
// An argument is converted by adding 2^52+2^51 to it and keeping the low 32
// bits of the resulting double's representation: for numbers within ±2^51
// that is the integer nearest the number (ties to even) modulo 2^32, and
// beyond it whatever those bits are, exactly as on the C library. Results
// are signed 32-bit numbers.

// bitLib lists the bit functions; each one's name is also the name its
// argument errors show.
var bitLib = map[string]func(L *lua.LState, fname string) uint32{
	"tobit": func(L *lua.LState, f string) uint32 { return bitArg(L, 1, f) },
	"bnot":  func(L *lua.LState, f string) uint32 { return ^bitArg(L, 1, f) },
	"band":  func(L *lua.LState, f string) uint32 { return bitFold(L, f, func(a, b uint32) uint32 { return a & b }) },
	"bor":   func(L *lua.LState, f string) uint32 { return bitFold(L, f, func(a, b uint32) uint32 { return a | b }) },
	"bxor":  func(L *lua.LState, f string) uint32 { return bitFold(L, f, func(a, b uint32) uint32 { return a ^ b }) },
	"lshift": func(L *lua.LState, f string) uint32 {
		b, n := bitArg(L, 1, f), bitArg(L, 2, f)&31
		return b << n
	},
	"rshift": func(L *lua.LState, f string) uint32 {
		b, n := bitArg(L, 1, f), bitArg(L, 2, f)&31
		return b >> n
	},
	"arshift": func(L *lua.LState, f string) uint32 {
		b, n := bitArg(L, 1, f), bitArg(L, 2, f)&31
		return uint32(int32(b) >> n)
	},
	"rol": func(L *lua.LState, f string) uint32 {
		b, n := bitArg(L, 1, f), bitArg(L, 2, f)&31
		return b<<n | b>>((32-n)&31)
	},
	"ror": func(L *lua.LState, f string) uint32 {
		b, n := bitArg(L, 1, f), bitArg(L, 2, f)&31
		return b>>n | b<<((32-n)&31)
	},
	"bswap": func(L *lua.LState, f string) uint32 {
		b := bitArg(L, 1, f)
		return b>>24 | (b>>8)&0xff00 | (b&0xff00)<<8 | b<<24
	},
}

func newBit(L *lua.LState) *lua.LTable {
	t := L.NewTable()
	for name, op := range bitLib {
		t.RawSetString(name, L.NewFunction(func(L *lua.LState) int {
			L.Push(lua.LNumber(int32(op(L, name))))
			return 1
		}))
	}
	t.RawSetString("tohex", L.NewFunction(bitTohex))
	return t
}

// bitArg converts argument n as LuaBitOp's barg does.
func bitArg(L *lua.LState, n int, fname string) uint32 {
	f, ok := toNumber(L.Get(n))
	b := uint32(math.Float64bits(f + 6755399441055744.0))
	if b == 0 && !ok {
		typeError(L, n, fname, "number")
	}
	return b
}

// bitFold applies op over all arguments, left to right from the last one
// down, as band, bor and bxor do.
func bitFold(L *lua.LState, fname string, op func(a, b uint32) uint32) uint32 {
	b := bitArg(L, 1, fname)
	for i := L.GetTop(); i > 1; i-- {
		b = op(b, bitArg(L, i, fname))
	}
	return b
}

// bit.tohex(x [,n]): n hex digits of x (default 8, at most 8), upper case
// when n is negative.
func bitTohex(L *lua.LState) int {
	b := bitArg(L, 1, "tohex")
	n := int32(8)
	if L.GetTop() >= 2 {
		n = int32(bitArg(L, 2, "tohex"))
	}
	digits := "0123456789abcdef"
	if n == math.MinInt32 {
		n = math.MinInt32 + 1 // Redis's fix: -n would overflow
	}
	if n < 0 {
		n = -n
		digits = "0123456789ABCDEF"
	}
	if n > 8 {
		n = 8
	}
	buf := make([]byte, n)
	for i := n - 1; i >= 0; i-- {
		buf[i] = digits[b&15]
		b >>= 4
	}
	L.Push(lua.LString(buf))
	return 1
}
