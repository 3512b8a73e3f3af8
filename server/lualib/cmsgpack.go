package lualib

import (
	"encoding/binary"
	"math"

	lua "github.com/yuin/gopher-lua"
)

// cmsgpack is lua-cmsgpack 0.4.0 as Redis 7.0 ships it. Its encoding
// choices, which scripts and their callers depend on byte for byte:
//
//   - A number that is an integer within int64 (and not infinite) is
//     encoded as the smallest MessagePack integer that holds it: positive
//     fixint, uint8/16/32/64 for non-negative values, negative fixint,
//     int8/16/32/64 for negative ones. Any other number is a float32 when
//     converting it to float32 and back loses nothing (so 1.5, inf, but not
//     0.1 or NaN), otherwise a float64.
//   - A string is a fixstr, str8, str16 or str32 (never bin).
//   - A table whose keys are exactly the integers 1..n (n >= 0, so the
//     empty table too) is an array; any other table is a map. Tables nested
//     16 deep are encoded as nil (this is how cycles end).
//   - nil, functions, userdata (cjson.null too) and threads encode as nil.
//
// Decoding gives Lua numbers for every integer and float (uint64 values of
// 2^63 and more wrap to negative, as lua_pushinteger does), strings for
// str and nothing else: bin, ext and the reserved byte are "Bad data
// format in input.", and truncated input is "Missing bytes in input.".
const (
	msgpackMaxNesting = 16
	luaMaxCStack      = 8000 // Lua 5.1's LUAI_MAXCSTACK
)

func newCMsgpack(L *lua.LState) *lua.LTable {
	t := L.NewTable()
	register(L, t, map[string]lua.LGFunction{
		"pack":         msgpackPack,
		"unpack":       msgpackUnpack,
		"unpack_one":   msgpackUnpackOne,
		"unpack_limit": msgpackUnpackLimit,
	})
	t.RawSetString("_NAME", lua.LString("cmsgpack"))
	t.RawSetString("_VERSION", lua.LString("lua-cmsgpack 0.4.0"))
	t.RawSetString("_COPYRIGHT", lua.LString("Copyright (C) 2012, Salvatore Sanfilippo"))
	t.RawSetString("_DESCRIPTION", lua.LString("MessagePack C implementation for Lua"))
	return t
}

// cmsgpack.pack(v1, v2, ...): the values' encodings, concatenated.
func msgpackPack(L *lua.LState) int {
	n := L.GetTop()
	if n == 0 {
		argError(L, 0, "pack", "MessagePack pack needs input.")
	}
	var buf []byte
	for i := 1; i <= n; i++ {
		buf = msgpackEncode(buf, L.Get(i), 0)
	}
	L.Push(lua.LString(buf))
	return 1
}

func msgpackEncode(b []byte, v lua.LValue, level int) []byte {
	switch v := v.(type) {
	case lua.LString:
		return msgpackString(b, string(v))
	case lua.LBool:
		if v {
			return append(b, 0xc3)
		}
		return append(b, 0xc2)
	case lua.LNumber:
		f := float64(v)
		if !math.IsInf(f, 0) && float64(cInt64(f)) == f {
			return msgpackInt(b, cInt64(f))
		}
		return msgpackFloat(b, f)
	case *lua.LTable:
		if level == msgpackMaxNesting {
			return append(b, 0xc0)
		}
		if n, ok := msgpackArrayLen(v); ok {
			b = msgpackHeader(b, 0x90, 0xdc, 0xdd, uint64(n))
			for i := 1; i <= n; i++ {
				b = msgpackEncode(b, v.RawGetInt(i), level+1)
			}
			return b
		}
		count := 0
		v.ForEach(func(lua.LValue, lua.LValue) { count++ })
		b = msgpackHeader(b, 0x80, 0xde, 0xdf, uint64(count))
		v.ForEach(func(k, val lua.LValue) {
			b = msgpackEncode(b, k, level+1)
			b = msgpackEncode(b, val, level+1)
		})
		return b
	}
	return append(b, 0xc0)
}

// msgpackArrayLen reports whether t's keys are exactly 1..n (keys compared
// as C ints, the way lua-cmsgpack does).
func msgpackArrayLen(t *lua.LTable) (int, bool) {
	count, max := int32(0), int32(0)
	array := true
	t.ForEach(func(k, _ lua.LValue) {
		if !array {
			return
		}
		n, ok := k.(lua.LNumber)
		if !ok || n <= 0 || float64(cInt32(float64(n))) != float64(n) {
			array = false
			return
		}
		if i := cInt32(float64(n)); i > max {
			max = i
		}
		count++
	})
	return int(count), array && max == count
}

func msgpackString(b []byte, s string) []byte {
	n := len(s)
	switch {
	case n < 32:
		b = append(b, 0xa0|byte(n))
	case n <= 0xff:
		b = append(b, 0xd9, byte(n))
	case n <= 0xffff:
		b = append(b, 0xda)
		b = binary.BigEndian.AppendUint16(b, uint16(n))
	default:
		b = append(b, 0xdb)
		b = binary.BigEndian.AppendUint32(b, uint32(n))
	}
	return append(b, s...)
}

func msgpackFloat(b []byte, f float64) []byte {
	if f32 := float32(f); float64(f32) == f {
		b = append(b, 0xca)
		return binary.BigEndian.AppendUint32(b, math.Float32bits(f32))
	}
	b = append(b, 0xcb)
	return binary.BigEndian.AppendUint64(b, math.Float64bits(f))
}

func msgpackInt(b []byte, n int64) []byte {
	switch {
	case n >= 0 && n <= 127:
		return append(b, byte(n))
	case n >= 0 && n <= 0xff:
		return append(b, 0xcc, byte(n))
	case n >= 0 && n <= 0xffff:
		return binary.BigEndian.AppendUint16(append(b, 0xcd), uint16(n))
	case n >= 0 && n <= 0xffffffff:
		return binary.BigEndian.AppendUint32(append(b, 0xce), uint32(n))
	case n >= 0:
		return binary.BigEndian.AppendUint64(append(b, 0xcf), uint64(n))
	case n >= -32:
		return append(b, byte(n))
	case n >= -128:
		return append(b, 0xd0, byte(n))
	case n >= -32768:
		return binary.BigEndian.AppendUint16(append(b, 0xd1), uint16(n))
	case n >= -2147483648:
		return binary.BigEndian.AppendUint32(append(b, 0xd2), uint32(n))
	}
	return binary.BigEndian.AppendUint64(append(b, 0xd3), uint64(n))
}

// msgpackHeader appends an array or map header: the fix form up to 15
// elements, then the 16-bit and the 32-bit forms.
func msgpackHeader(b []byte, fix, b16, b32 byte, n uint64) []byte {
	switch {
	case n <= 15:
		return append(b, fix|byte(n))
	case n <= 0xffff:
		return binary.BigEndian.AppendUint16(append(b, b16), uint16(n))
	}
	return binary.BigEndian.AppendUint32(append(b, b32), uint32(n))
}

// msgpackDecoder decodes values off the front of data.
type msgpackDecoder struct {
	data string
	err  string
}

const (
	msgpackEOF    = "Missing bytes in input."
	msgpackBadFmt = "Bad data format in input."
)

func (d *msgpackDecoder) need(n uint64) bool {
	if uint64(len(d.data)) < n {
		d.err = msgpackEOF
		return false
	}
	return true
}

func (d *msgpackDecoder) u(off, size int) uint64 {
	var v uint64
	for i := 0; i < size; i++ {
		v = v<<8 | uint64(d.data[off+i])
	}
	return v
}

// decode decodes one value (nil after an error, with d.err set).
func (d *msgpackDecoder) decode(L *lua.LState) lua.LValue {
	if !d.need(1) {
		return lua.LNil
	}
	c := d.data[0]
	fixed := func(size int) (uint64, bool) {
		if !d.need(uint64(1 + size)) {
			return 0, false
		}
		v := d.u(1, size)
		d.data = d.data[1+size:]
		return v, true
	}
	str := func(hdr int, n uint64) lua.LValue {
		if !d.need(uint64(hdr) + n) {
			return lua.LNil
		}
		s := d.data[hdr : uint64(hdr)+n]
		d.data = d.data[uint64(hdr)+n:]
		return lua.LString(s)
	}
	switch {
	case c <= 0x7f:
		d.data = d.data[1:]
		return lua.LNumber(c)
	case c >= 0xe0:
		d.data = d.data[1:]
		return lua.LNumber(int8(c))
	case c&0xe0 == 0xa0:
		return str(1, uint64(c&0x1f))
	case c&0xf0 == 0x90:
		d.data = d.data[1:]
		return d.array(L, uint64(c&0xf))
	case c&0xf0 == 0x80:
		d.data = d.data[1:]
		return d.hash(L, uint64(c&0xf))
	}
	var size int
	switch c {
	case 0xc0:
		d.data = d.data[1:]
		return lua.LNil
	case 0xc2, 0xc3:
		d.data = d.data[1:]
		return lua.LBool(c == 0xc3)
	case 0xcc, 0xd0, 0xd9:
		size = 1
	case 0xcd, 0xd1, 0xda, 0xdc, 0xde:
		size = 2
	case 0xce, 0xd2, 0xdb, 0xca, 0xdd, 0xdf:
		size = 4
	case 0xcf, 0xd3, 0xcb:
		size = 8
	default:
		d.err = msgpackBadFmt
		return lua.LNil
	}
	if c == 0xd9 || c == 0xda || c == 0xdb {
		if !d.need(uint64(1 + size)) {
			return lua.LNil
		}
		return str(1+size, d.u(1, size))
	}
	v, ok := fixed(size)
	if !ok {
		return lua.LNil
	}
	switch c {
	case 0xcc, 0xcd, 0xce:
		return lua.LNumber(v)
	case 0xcf, 0xd3:
		return lua.LNumber(int64(v))
	case 0xd0:
		return lua.LNumber(int8(v))
	case 0xd1:
		return lua.LNumber(int16(v))
	case 0xd2:
		return lua.LNumber(int32(v))
	case 0xca:
		return lua.LNumber(math.Float32frombits(uint32(v)))
	case 0xcb:
		return lua.LNumber(math.Float64frombits(v))
	case 0xdc, 0xdd:
		return d.array(L, v)
	}
	return d.hash(L, v)
}

func (d *msgpackDecoder) array(L *lua.LState, n uint64) lua.LValue {
	t := L.NewTable()
	for i := uint64(1); i <= n; i++ {
		v := d.decode(L)
		if d.err != "" {
			return lua.LNil
		}
		t.RawSetInt(int(i), v)
	}
	return t
}

func (d *msgpackDecoder) hash(L *lua.LState, n uint64) lua.LValue {
	t := L.NewTable()
	for ; n > 0; n-- {
		k := d.decode(L)
		if d.err != "" {
			return lua.LNil
		}
		v := d.decode(L)
		if d.err != "" {
			return lua.LNil
		}
		if k == lua.LNil {
			// lua_settable's own error, raised in C: no position.
			L.Error(lua.LString("table index is nil"), 0)
		}
		if f, ok := k.(lua.LNumber); ok && f != f {
			L.Error(lua.LString("table index is NaN"), 0)
		}
		t.RawSet(k, v)
	}
	return t
}

// msgpackUnpack decodes the string in argument 1 from offset: all values
// when limit and offset are both 0, else at most limit values, preceded by
// the offset after them (-1 at the end of the input).
func msgpackUnpack(L *lua.LState) int {
	return msgpackUnpackFull(L, "unpack", 0, 0)
}

// cmsgpack.unpack_one(s [,offset])
func msgpackUnpackOne(L *lua.LState) int {
	offset := optInteger(L, 2, "unpack_one", 0)
	return msgpackUnpackFull(L, "unpack_one", 1, offset)
}

// cmsgpack.unpack_limit(s, limit [,offset])
func msgpackUnpackLimit(L *lua.LState) int {
	limit := checkInteger(L, 2, "unpack_limit")
	offset := optInteger(L, 3, "unpack_limit", 0)
	return msgpackUnpackFull(L, "unpack_limit", limit, offset)
}

func msgpackUnpackFull(L *lua.LState, fname string, limit, offset int64) int {
	s := checkString(L, 1, fname)
	all := limit == 0 && offset == 0
	if offset < 0 || limit < 0 {
		// (sic: the C library prints the input length as the limit)
		raise(L, "Invalid request to unpack with offset of %d and limit of %d.", int32(offset), int32(len(s)))
	} else if uint64(offset) > uint64(len(s)) {
		raise(L, "Start offset %d greater than input length %d.", int32(offset), int32(len(s)))
	}
	if all {
		limit = math.MaxInt32
	}
	d := msgpackDecoder{data: s[offset:]}
	var vals []lua.LValue
	for cnt := int64(0); len(d.data) > 0 && cnt < limit; cnt++ {
		// C Lua's stack holds the argument and the values so far; it stops
		// at LUAI_MAXCSTACK slots.
		if 1+cnt+1 > luaMaxCStack {
			raise(L, "stack overflow (too many return values at once; use unpack_one or unpack_limit instead.)")
		}
		v := d.decode(L)
		if d.err != "" {
			raise(L, "%s", d.err)
		}
		vals = append(vals, v)
	}
	if !all {
		next := lua.LNumber(-1)
		if len(d.data) > 0 {
			next = lua.LNumber(len(s) - len(d.data))
		}
		L.Push(next)
	}
	for _, v := range vals {
		L.Push(v)
	}
	if all {
		return len(vals)
	}
	return len(vals) + 1
}
