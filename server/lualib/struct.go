package lualib

import (
	"math"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// The struct library is Roberto Ierusalimschy's struct 0.2 as Redis ships
// it, on x86-64: native little endian, long and size_t of 8 bytes, int of 4,
// default maximum alignment 8. Format characters:
//
//	>  <      big / little endian        !n   maximum alignment n (default 8)
//	x         one padding byte           ' '  ignored
//	b B       signed / unsigned char     h H  short (2)
//	l L       long (8)                   T    size_t (8)
//	i I [n]   int of n bytes (default 4, at most 32)
//	f d       float / double             s    zero-terminated string
//	c [n]     n characters (pack: 0 = the whole string; unpack: 0 = the
//	          previous number read is the length)
const (
	structMaxIntSize = 32
	structMaxAlign   = 8
)

// structHeader is the running endianness and alignment of a format.
type structHeader struct {
	little bool
	align  int
}

// structFormat walks a format string as the C library does.
type structFormat struct {
	L   *lua.LState
	fn  string
	fmt string
	pos int
	h   structHeader
}

func newStructFormat(L *lua.LState, fname string) *structFormat {
	f := checkString(L, 1, fname)
	if i := strings.IndexByte(f, 0); i >= 0 {
		f = f[:i] // a C string
	}
	return &structFormat{L: L, fn: fname, fmt: f, h: structHeader{little: true, align: 1}}
}

// next returns the next option, or false at the end.
func (f *structFormat) next() (byte, bool) {
	if f.pos >= len(f.fmt) {
		return 0, false
	}
	f.pos++
	return f.fmt[f.pos-1], true
}

// getnum reads an optional decimal count, df when there is none.
func (f *structFormat) getnum(df int) int {
	if f.pos >= len(f.fmt) || !isDigit(f.fmt[f.pos]) {
		return df
	}
	a := 0
	for f.pos < len(f.fmt) && isDigit(f.fmt[f.pos]) {
		d := int(f.fmt[f.pos] - '0')
		if a > math.MaxInt32/10 || a*10 > math.MaxInt32-d {
			raise(f.L, "integral size overflow")
		}
		a = a*10 + d
		f.pos++
	}
	return a
}

// optsize is the size of option opt (reading its count).
func (f *structFormat) optsize(opt byte) int {
	switch opt {
	case 'B', 'b':
		return 1
	case 'H', 'h':
		return 2
	case 'L', 'l', 'T', 'd':
		return 8
	case 'f':
		return 4
	case 'x':
		return 1
	case 'c':
		return f.getnum(1)
	case 'i', 'I':
		sz := f.getnum(4)
		if sz > structMaxIntSize {
			raise(f.L, "integral size %d is larger than limit of %d", sz, structMaxIntSize)
		}
		return sz
	}
	return 0
}

// toalign is the padding before an item of size at offset n.
func (f *structFormat) toalign(n, size int, opt byte) int {
	if size == 0 || opt == 'c' {
		return 0
	}
	if size > f.h.align {
		size = f.h.align
	}
	return (size - (n & (size - 1))) & (size - 1)
}

// control handles the options that change endianness or alignment, and
// rejects anything else.
func (f *structFormat) control(opt byte) {
	switch opt {
	case ' ':
	case '>':
		f.h.little = false
	case '<':
		f.h.little = true
	case '!':
		a := f.getnum(structMaxAlign)
		if a <= 0 || a&(a-1) != 0 {
			raise(f.L, "alignment %d is not a power of 2", a)
		}
		f.h.align = a
	default:
		argError(f.L, 1, f.fn, "invalid format option '"+string(opt)+"'")
	}
}

func newStruct(L *lua.LState) *lua.LTable {
	t := L.NewTable()
	register(L, t, map[string]lua.LGFunction{
		"pack":   structPack,
		"unpack": structUnpack,
		"size":   structSize,
	})
	return t
}

// struct.pack(fmt, v1, v2, ...)
func structPack(L *lua.LState) int {
	f := newStructFormat(L, "pack")
	// The C library pushes a nil above the arguments (so a missing one is
	// "got nil", not "got no value").
	L.Push(lua.LNil)
	arg := 2
	var out []byte
	for {
		opt, ok := f.next()
		if !ok {
			break
		}
		size := f.optsize(opt)
		for pad := f.toalign(len(out), size, opt); pad > 0; pad-- {
			out = append(out, 0)
		}
		switch opt {
		case 'b', 'B', 'h', 'H', 'l', 'L', 'T', 'i', 'I':
			n := checkNumber(L, arg, "pack")
			arg++
			var v uint64
			if n < 0 {
				v = uint64(cInt64(n))
			} else {
				v = cUint64(n)
			}
			out = appendStructInt(out, v, size, f.h.little)
		case 'x':
			out = append(out, 0)
		case 'f':
			bits := math.Float32bits(float32(checkNumber(L, arg, "pack")))
			arg++
			out = appendStructInt(out, uint64(bits), 4, f.h.little)
		case 'd':
			bits := math.Float64bits(checkNumber(L, arg, "pack"))
			arg++
			out = appendStructInt(out, bits, 8, f.h.little)
		case 'c', 's':
			s := checkString(L, arg, "pack")
			arg++
			if size == 0 {
				size = len(s)
			}
			if len(s) < size {
				argError(L, arg, "pack", "string too short")
			}
			out = append(out, s[:size]...)
			if opt == 's' {
				out = append(out, 0)
			}
		default:
			f.control(opt)
		}
	}
	L.Push(lua.LString(out))
	return 1
}

// appendStructInt appends the low size bytes of v (bytes beyond the 8 of
// an unsigned long are zero).
func appendStructInt(out []byte, v uint64, size int, little bool) []byte {
	start := len(out)
	for i := 0; i < size; i++ {
		out = append(out, byte(v))
		v >>= 8
	}
	if !little {
		b := out[start:]
		for i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {
			b[i], b[j] = b[j], b[i]
		}
	}
	return out
}

// struct.unpack(fmt, s [,pos]): the values, then the position after them.
func structUnpack(L *lua.LState) int {
	f := newStructFormat(L, "unpack")
	data := checkString(L, 2, "unpack")
	pos := uint64(optInteger(L, 3, "unpack", 1)) // size_t: negative is huge
	if pos == 0 {
		argError(L, 3, "unpack", "offset must be 1 or greater")
	}
	pos--
	ld := uint64(len(data))
	fits := func(size uint64) {
		if size > ld || pos > ld-size {
			argError(L, 2, "unpack", "data string too short")
		}
	}
	var res []lua.LValue
	for {
		opt, ok := f.next()
		if !ok {
			break
		}
		size := uint64(f.optsize(opt))
		pos += uint64(f.toalign(int(pos), int(size), opt))
		fits(size)
		switch opt {
		case 'b', 'B', 'h', 'H', 'l', 'L', 'T', 'i', 'I':
			signed := opt >= 'a'
			res = append(res, lua.LNumber(structGetInt(data[pos:pos+size], f.h.little, signed)))
		case 'x':
		case 'f':
			bits := binaryUint(data[pos:pos+4], f.h.little)
			res = append(res, lua.LNumber(math.Float32frombits(uint32(bits))))
		case 'd':
			bits := binaryUint(data[pos:pos+8], f.h.little)
			res = append(res, lua.LNumber(math.Float64frombits(bits)))
		case 'c':
			if size == 0 {
				// The length is the previous value read, if it is a number.
				var n float64
				ok := len(res) > 0
				if ok {
					n, ok = toNumber(res[len(res)-1])
				}
				if !ok {
					raise(L, "format 'c0' needs a previous size")
				}
				res = res[:len(res)-1]
				size = cUint64(n)
				fits(size)
			}
			res = append(res, lua.LString(data[pos:pos+size]))
		case 's':
			e := strings.IndexByte(data[pos:], 0)
			if e < 0 {
				raise(L, "unfinished string in data")
			}
			size = uint64(e) + 1
			res = append(res, lua.LString(data[pos:pos+size-1]))
		default:
			f.control(opt)
		}
		pos += size
	}
	for _, v := range res {
		L.Push(v)
	}
	L.Push(lua.LNumber(float64(int64(pos + 1))))
	return len(res) + 1
}

// binaryUint reads a 4- or 8-byte unsigned integer.
func binaryUint(b string, little bool) uint64 {
	var v uint64
	for i := range len(b) {
		c := b[i]
		if little {
			c = b[len(b)-1-i]
		}
		v = v<<8 | uint64(c)
	}
	return v
}

// structGetInt reads a size-byte integer into an unsigned long (keeping
// its low 64 bits) and sign-extends it, as the C library's getinteger.
func structGetInt(b string, little, signed bool) float64 {
	l := binaryUint(b, little) // the low 64 bits for sizes over 8
	if !signed {
		return float64(l)
	}
	mask := ^uint64(0) << ((uint(len(b))*8 - 1) & 63) // x86 masks the shift count
	if l&mask != 0 {
		l |= mask
	}
	return float64(int64(l))
}

// struct.size(fmt): the size of a fixed-size format.
func structSize(L *lua.LState) int {
	f := newStructFormat(L, "size")
	pos := 0
	for {
		opt, ok := f.next()
		if !ok {
			break
		}
		size := f.optsize(opt)
		pos += f.toalign(pos, size, opt)
		if opt == 's' {
			argError(L, 1, "size", "option 's' has no fixed size")
		} else if opt == 'c' && size == 0 {
			argError(L, 1, "size", "option 'c0' has no fixed size")
		}
		if !isAlnum(opt) {
			f.control(opt)
		}
		pos += size
	}
	L.Push(lua.LNumber(pos))
	return 1
}

func isAlnum(c byte) bool { return isDigit(c) || (c|0x20) >= 'a' && (c|0x20) <= 'z' }
