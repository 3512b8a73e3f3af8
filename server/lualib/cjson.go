package lualib

import (
	"math"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// cjson is Lua CJSON 2.1.0 as Redis 7.0 ships it.
//
// Encoding: strings are escaped with \" \\ \/ \b \f \n \r \t and \u00XX for
// the other control characters and DEL; bytes from 0x80 pass through
// untouched. Numbers print as C's "%.14g" (encode_number_precision changes
// the 14); NaN and infinities are errors unless encode_invalid_numbers
// allows them. A table is an array when all its keys are positive integers
// and it is not "excessively sparse" (largest index > 2 x the number of
// keys and > 10 is an error, or an object with encode_sparse_array(true));
// holes become null. Any other table is an object whose number keys print
// as strings; the empty table is {}. Objects are written in the VM's table
// iteration order: for gopher-lua that is the array part, then the keys in
// insertion order, which is not C Lua's hash order, so only objects of one
// key (or made only of array-part keys) come out byte-identical to Redis.
//
// Decoding follows lua-cjson's tokenizer exactly, including its leniency
// (numbers are read by strtod, so hexadecimal, inf, nan and leading zeros
// are accepted while decode_invalid_numbers is on, the default), its error
// messages ("Expected value but found invalid token at character 1"), and
// its treatment of a NUL byte as the end of the text. JSON null is
// cjson.null, a userdata that compares equal only to itself.
const (
	cjsonDefaultSparseRatio = 2
	cjsonDefaultSparseSafe  = 10
	cjsonDefaultMaxDepth    = 1000
	cjsonDefaultPrecision   = 14
)

// cjsonConfig is one cjson table's settings (cjson.new makes another).
type cjsonConfig struct {
	sparseConvert  bool
	sparseRatio    int
	sparseSafe     int
	encodeMaxDepth int
	decodeMaxDepth int
	encodeInvalid  int // 0 off, 1 on, 2 null
	decodeInvalid  bool
	keepBuffer     bool
	precision      int
	null           *lua.LUserData
}

func newCJSON(L *lua.LState) *lua.LTable {
	null := L.NewUserData()
	null.Value = nullMarker
	return newCJSONWith(L, null)
}

func newCJSONWith(L *lua.LState, null *lua.LUserData) *lua.LTable {
	cfg := &cjsonConfig{
		sparseRatio:    cjsonDefaultSparseRatio,
		sparseSafe:     cjsonDefaultSparseSafe,
		encodeMaxDepth: cjsonDefaultMaxDepth,
		decodeMaxDepth: cjsonDefaultMaxDepth,
		decodeInvalid:  true,
		keepBuffer:     true,
		precision:      cjsonDefaultPrecision,
		null:           null,
	}
	t := L.NewTable()
	register(L, t, map[string]lua.LGFunction{
		"encode":                  cfg.encode,
		"decode":                  cfg.decode,
		"encode_sparse_array":     cfg.encodeSparseArray,
		"encode_max_depth":        cfg.integerOption("encode_max_depth", &cfg.encodeMaxDepth, 1, math.MaxInt32),
		"decode_max_depth":        cfg.integerOption("decode_max_depth", &cfg.decodeMaxDepth, 1, math.MaxInt32),
		"encode_number_precision": cfg.integerOption("encode_number_precision", &cfg.precision, 1, 14),
		"encode_keep_buffer":      cfg.boolOption("encode_keep_buffer", &cfg.keepBuffer),
		"decode_invalid_numbers":  cfg.boolOption("decode_invalid_numbers", &cfg.decodeInvalid),
		"encode_invalid_numbers":  cfg.encodeInvalidNumbers,
		"new": func(L *lua.LState) int {
			L.Push(newCJSONWith(L, null))
			return 1
		},
	})
	t.RawSetString("null", null)
	t.RawSetString("_NAME", lua.LString("cjson"))
	t.RawSetString("_VERSION", lua.LString("2.1.0"))
	return t
}

// ===== configuration =====

// argInit checks that a configuration function got at most n arguments,
// and pads them with nils to n.
func argInit(L *lua.LState, n int, fname string) {
	if L.GetTop() > n {
		argError(L, n+1, fname, "found too many arguments")
	}
	for L.GetTop() < n {
		L.Push(lua.LNil) // so that the results go above the arguments
	}
}

// setInteger is json_integer_option: set from argument idx when given,
// then push the setting.
func setInteger(L *lua.LState, idx int, fname string, setting *int, lo, hi int) {
	if L.Get(idx) != lua.LNil {
		v := checkInteger(L, idx, fname)
		if v < int64(lo) || v > int64(hi) {
			argError(L, 1, fname, "expected integer between "+strconv.Itoa(lo)+" and "+strconv.Itoa(hi))
		}
		*setting = int(v)
	}
	L.Push(lua.LNumber(*setting))
}

// setEnum is json_enum_option: a boolean (when trueValue > 0) or one of
// options by name; pushes a boolean when the setting is 0 or trueValue,
// else the option's name.
func setEnum(L *lua.LState, idx int, fname string, setting *int, options []string, trueValue int) {
	if v := L.Get(idx); v != lua.LNil {
		if b, ok := v.(lua.LBool); ok && trueValue > 0 {
			*setting = 0
			if b {
				*setting = trueValue
			}
		} else {
			name := checkString(L, idx, fname)
			found := -1
			for i, o := range options {
				if o == name {
					found = i
					break
				}
			}
			if found < 0 {
				argError(L, idx, fname, "invalid option '"+name+"'")
			}
			*setting = found
		}
	}
	if trueValue > 0 && (*setting == 0 || *setting == trueValue) {
		L.Push(lua.LBool(*setting != 0))
	} else {
		L.Push(lua.LString(options[*setting]))
	}
}

var cjsonOnOff = []string{"off", "on"}

func (cfg *cjsonConfig) integerOption(fname string, setting *int, lo, hi int) lua.LGFunction {
	return func(L *lua.LState) int {
		argInit(L, 1, fname)
		setInteger(L, 1, fname, setting, lo, hi)
		return 1
	}
}

func (cfg *cjsonConfig) boolOption(fname string, setting *bool) lua.LGFunction {
	return func(L *lua.LState) int {
		argInit(L, 1, fname)
		v := 0
		if *setting {
			v = 1
		}
		setEnum(L, 1, fname, &v, cjsonOnOff, 1)
		*setting = v != 0
		return 1
	}
}

// cjson.encode_sparse_array([convert [,ratio [,safe]]])
func (cfg *cjsonConfig) encodeSparseArray(L *lua.LState) int {
	const fname = "encode_sparse_array"
	argInit(L, 3, fname)
	v := 0
	if cfg.sparseConvert {
		v = 1
	}
	setEnum(L, 1, fname, &v, cjsonOnOff, 1)
	cfg.sparseConvert = v != 0
	setInteger(L, 2, fname, &cfg.sparseRatio, 0, math.MaxInt32)
	setInteger(L, 3, fname, &cfg.sparseSafe, 0, math.MaxInt32)
	return 3
}

// cjson.encode_invalid_numbers([true|false|"on"|"off"|"null"])
func (cfg *cjsonConfig) encodeInvalidNumbers(L *lua.LState) int {
	argInit(L, 1, "encode_invalid_numbers")
	setEnum(L, 1, "encode_invalid_numbers", &cfg.encodeInvalid, []string{"off", "on", "null"}, 1)
	return 1
}

// ===== encoding =====

// cjsonEscape maps each byte to its JSON escape, "" for none.
var cjsonEscape = func() (t [256]string) {
	for c := 0; c < 0x20; c++ {
		t[c] = `\u00` + string("0123456789abcdef"[c>>4]) + string("0123456789abcdef"[c&15])
	}
	t['\b'], t['\t'], t['\n'], t['\f'], t['\r'] = `\b`, `\t`, `\n`, `\f`, `\r`
	t['"'], t['\\'], t['/'], t[0x7f] = `\"`, `\\`, `\/`, `\u007f`
	return t
}()

type cjsonEncoder struct {
	L   *lua.LState
	cfg *cjsonConfig
	buf []byte
}

// fail raises json_encode_exception's message about a value of v's type.
func (e *cjsonEncoder) fail(v lua.LValue, reason string) {
	raise(e.L, "Cannot serialise %s: %s", luaTypeName(v), reason)
}

// cjson.encode(value)
func (cfg *cjsonConfig) encode(L *lua.LState) int {
	if L.GetTop() != 1 {
		argError(L, 1, "encode", "expected 1 argument")
	}
	e := cjsonEncoder{L: L, cfg: cfg}
	e.value(L.Get(1), 0)
	L.Push(lua.LString(e.buf))
	return 1
}

func (e *cjsonEncoder) value(v lua.LValue, depth int) {
	switch v := v.(type) {
	case lua.LString:
		e.str(string(v))
	case lua.LNumber:
		e.number(v)
	case lua.LBool:
		if v {
			e.buf = append(e.buf, "true"...)
		} else {
			e.buf = append(e.buf, "false"...)
		}
	case *lua.LNilType:
		e.buf = append(e.buf, "null"...)
	case *lua.LTable:
		depth++
		if depth > e.cfg.encodeMaxDepth {
			raise(e.L, "Cannot serialise, excessive nesting (%d)", depth)
		}
		if n := e.arrayLength(v); n > 0 {
			e.array(v, n, depth)
		} else {
			e.object(v, depth)
		}
	default:
		if IsNull(v) {
			e.buf = append(e.buf, "null"...)
			return
		}
		e.fail(v, "type not supported")
	}
}

func (e *cjsonEncoder) str(s string) {
	e.buf = append(e.buf, '"')
	for i := 0; i < len(s); i++ {
		if esc := cjsonEscape[s[i]]; esc != "" {
			e.buf = append(e.buf, esc...)
		} else {
			e.buf = append(e.buf, s[i])
		}
	}
	e.buf = append(e.buf, '"')
}

func (e *cjsonEncoder) number(v lua.LNumber) {
	f := float64(v)
	switch e.cfg.encodeInvalid {
	case 0:
		if math.IsInf(f, 0) || math.IsNaN(f) {
			e.fail(v, "must not be NaN or Inf")
		}
	case 1:
		if math.IsNaN(f) {
			e.buf = append(e.buf, "nan"...)
			return
		}
	default:
		if math.IsInf(f, 0) || math.IsNaN(f) {
			e.buf = append(e.buf, "null"...)
			return
		}
	}
	e.buf = appendG(e.buf, f, e.cfg.precision)
}

// arrayLength is lua_array_length: the largest key when every key is a
// positive integer, -1 for an object (or a sparse array converted to one).
// Key arithmetic is in C ints, as in lua-cjson.
func (e *cjsonEncoder) arrayLength(t *lua.LTable) int32 {
	max, items := int32(0), int32(0)
	object := false
	t.ForEach(func(k, _ lua.LValue) {
		if object {
			return
		}
		n, ok := k.(lua.LNumber)
		f := float64(n)
		if !ok || f == 0 || math.Floor(f) != f || f < 1 {
			object = true
			return
		}
		if f > float64(max) {
			max = cInt32(f)
		}
		items++
	})
	if object {
		return -1
	}
	ratio := int32(e.cfg.sparseRatio)
	if ratio > 0 && max > items*ratio && max > int32(e.cfg.sparseSafe) {
		if !e.cfg.sparseConvert {
			e.fail(t, "excessively sparse array")
		}
		return -1
	}
	return max
}

func (e *cjsonEncoder) array(t *lua.LTable, n int32, depth int) {
	e.buf = append(e.buf, '[')
	for i := int32(1); i <= n; i++ {
		if i > 1 {
			e.buf = append(e.buf, ',')
		}
		e.value(t.RawGetInt(int(i)), depth)
	}
	e.buf = append(e.buf, ']')
}

func (e *cjsonEncoder) object(t *lua.LTable, depth int) {
	e.buf = append(e.buf, '{')
	first := true
	t.ForEach(func(k, v lua.LValue) {
		if !first {
			e.buf = append(e.buf, ',')
		}
		first = false
		switch k := k.(type) {
		case lua.LNumber:
			e.buf = append(e.buf, '"')
			e.number(k)
			e.buf = append(e.buf, '"', ':')
		case lua.LString:
			e.str(string(k))
			e.buf = append(e.buf, ':')
		default:
			e.fail(k, "table key must be a number or string")
		}
		e.value(v, depth)
	})
	e.buf = append(e.buf, '}')
}

// ===== decoding =====

type cjsonToken int

const (
	tokObjBegin cjsonToken = iota
	tokObjEnd
	tokArrBegin
	tokArrEnd
	tokString
	tokNumber
	tokBoolean
	tokNull
	tokColon
	tokComma
	tokEnd
	tokWhitespace
	tokError
	tokUnknown
)

var cjsonTokenNames = [...]string{
	"T_OBJ_BEGIN", "T_OBJ_END", "T_ARR_BEGIN", "T_ARR_END", "T_STRING",
	"T_NUMBER", "T_BOOLEAN", "T_NULL", "T_COLON", "T_COMMA", "T_END",
	"T_WHITESPACE", "T_ERROR", "T_UNKNOWN",
}

// cjsonCharToken classifies a token's first byte.
var cjsonCharToken = func() (t [256]cjsonToken) {
	for i := range t {
		t[i] = tokError
	}
	t['{'], t['}'], t['['], t[']'] = tokObjBegin, tokObjEnd, tokArrBegin, tokArrEnd
	t[','], t[':'], t[0] = tokComma, tokColon, tokEnd
	t[' '], t['\t'], t['\n'], t['\r'] = tokWhitespace, tokWhitespace, tokWhitespace, tokWhitespace
	for _, c := range "fiInNt\"+-0123456789" {
		t[c] = tokUnknown
	}
	return t
}()

// cjsonUnescape maps the byte after a backslash to what it stands for
// (0: invalid; 'u': a \uXXXX escape).
var cjsonUnescape = func() (t [256]byte) {
	t['"'], t['\\'], t['/'] = '"', '\\', '/'
	t['b'], t['t'], t['n'], t['f'], t['r'], t['u'] = '\b', '\t', '\n', '\f', '\r', 'u'
	return t
}()

type token struct {
	typ   cjsonToken
	index int     // where the token starts (0-based)
	str   string  // T_STRING's value, T_ERROR's message
	num   float64 // T_NUMBER
	b     bool    // T_BOOLEAN
}

type cjsonDecoder struct {
	L     *lua.LState
	cfg   *cjsonConfig
	data  string
	pos   int
	depth int
	tmp   []byte
}

// at is the byte at i, 0 past the end (the C text is NUL-terminated).
func (d *cjsonDecoder) at(i int) byte {
	if i < len(d.data) {
		return d.data[i]
	}
	return 0
}

// cjson.decode(text)
func (cfg *cjsonConfig) decode(L *lua.LState) int {
	if L.GetTop() != 1 {
		argError(L, 1, "decode", "expected 1 argument")
	}
	d := cjsonDecoder{L: L, cfg: cfg, data: checkString(L, 1, "decode")}
	if len(d.data) >= 2 && (d.data[0] == 0 || d.data[1] == 0) {
		raise(L, "JSON parser does not support UTF-16 or UTF-32")
	}
	var tok token
	d.next(&tok)
	v := d.value(&tok)
	d.next(&tok)
	if tok.typ != tokEnd {
		d.fail("the end", &tok)
	}
	L.Push(v)
	return 1
}

func (d *cjsonDecoder) fail(expected string, tok *token) {
	found := cjsonTokenNames[tok.typ]
	if tok.typ == tokError {
		found = tok.str
	}
	raise(d.L, "Expected %s but found %s at character %d", expected, found, tok.index+1)
}

func (d *cjsonDecoder) errorToken(tok *token, msg string) {
	tok.typ = tokError
	tok.index = d.pos
	tok.str = msg
}

func (d *cjsonDecoder) next(tok *token) {
	var c byte
	for {
		c = d.at(d.pos)
		tok.typ = cjsonCharToken[c]
		if tok.typ != tokWhitespace {
			break
		}
		d.pos++
	}
	tok.index = d.pos
	switch tok.typ {
	case tokError:
		d.errorToken(tok, "invalid token")
		return
	case tokEnd:
		return
	case tokUnknown:
	default:
		d.pos++
		return
	}
	rest := d.data[d.pos:]
	switch {
	case c == '"':
		d.string(tok)
	case c == '-' || isDigit(c):
		if !d.cfg.decodeInvalid && d.invalidNumber() {
			d.errorToken(tok, "invalid number")
			return
		}
		d.number(tok)
	case strings.HasPrefix(rest, "true"):
		tok.typ, tok.b = tokBoolean, true
		d.pos += 4
	case strings.HasPrefix(rest, "false"):
		tok.typ, tok.b = tokBoolean, false
		d.pos += 5
	case strings.HasPrefix(rest, "null"):
		tok.typ = tokNull
		d.pos += 4
	case d.cfg.decodeInvalid && d.invalidNumber():
		d.number(tok)
	default:
		d.errorToken(tok, "invalid token")
	}
}

// invalidNumber is json_is_invalid_number: what strtod accepts but JSON
// does not (a leading +, hexadecimal, leading zeros, inf, nan).
func (d *cjsonDecoder) invalidNumber() bool {
	p := d.pos
	if d.at(p) == '+' {
		return true
	}
	if d.at(p) == '-' {
		p++
	}
	if c := d.at(p); c == '0' {
		c2 := d.at(p + 1)
		return c2|0x20 == 'x' || isDigit(c2)
	} else if c <= '9' {
		return false
	}
	rest := d.data[p:]
	return hasPrefixFold(rest, "inf") || hasPrefixFold(rest, "nan")
}

func (d *cjsonDecoder) number(tok *token) {
	s := d.data[d.pos:]
	if i := strings.IndexByte(s, 0); i >= 0 {
		s = s[:i]
	}
	f, n := strtod(s)
	if n == 0 {
		d.errorToken(tok, "invalid number")
		return
	}
	tok.typ, tok.num = tokNumber, f
	d.pos += n
}

func (d *cjsonDecoder) string(tok *token) {
	d.pos++ // the opening quote
	d.tmp = d.tmp[:0]
	for {
		c := d.at(d.pos)
		if c == '"' {
			break
		}
		if c == 0 {
			d.errorToken(tok, "unexpected end of string")
			return
		}
		if c == '\\' {
			c = cjsonUnescape[d.at(d.pos+1)]
			if c == 'u' {
				if d.unicodeEscape() {
					continue
				}
				d.errorToken(tok, "invalid unicode escape code")
				return
			}
			if c == 0 {
				d.errorToken(tok, "invalid escape code")
				return
			}
			d.pos++
		}
		d.tmp = append(d.tmp, c)
		d.pos++
	}
	d.pos++ // the closing quote
	tok.typ, tok.str = tokString, string(d.tmp)
}

// hex4 decodes the 4 hex digits at i, -1 if they are not.
func (d *cjsonDecoder) hex4(i int) int {
	v := 0
	for j := 0; j < 4; j++ {
		c := d.at(i + j)
		var h int
		switch {
		case isDigit(c):
			h = int(c - '0')
		case (c|0x20) >= 'a' && (c|0x20) <= 'f':
			h = int(c|0x20-'a') + 10
		default:
			return -1
		}
		v = v<<4 | h
	}
	return v
}

// unicodeEscape appends the UTF-8 of the \uXXXX escape (or surrogate pair)
// at d.pos and moves past it; false if it is invalid.
func (d *cjsonDecoder) unicodeEscape() bool {
	cp := d.hex4(d.pos + 2)
	if cp < 0 {
		return false
	}
	n := 6
	if cp&0xF800 == 0xD800 {
		if cp&0x400 != 0 {
			return false // a low surrogate first
		}
		if d.at(d.pos+6) != '\\' || d.at(d.pos+7) != 'u' {
			return false
		}
		lo := d.hex4(d.pos + 8)
		if lo < 0 || lo&0xFC00 != 0xDC00 {
			return false
		}
		cp = ((cp&0x3FF)<<10 | lo&0x3FF) + 0x10000
		n = 12
	}
	switch {
	case cp <= 0x7F:
		d.tmp = append(d.tmp, byte(cp))
	case cp <= 0x7FF:
		d.tmp = append(d.tmp, byte(cp>>6|0xC0), byte(cp&0x3F|0x80))
	case cp <= 0xFFFF:
		d.tmp = append(d.tmp, byte(cp>>12|0xE0), byte(cp>>6&0x3F|0x80), byte(cp&0x3F|0x80))
	default:
		d.tmp = append(d.tmp, byte(cp>>18|0xF0), byte(cp>>12&0x3F|0x80), byte(cp>>6&0x3F|0x80), byte(cp&0x3F|0x80))
	}
	d.pos += n
	return true
}

func (d *cjsonDecoder) descend() {
	d.depth++
	if d.depth > d.cfg.decodeMaxDepth {
		raise(d.L, "Found too many nested data structures (%d) at character %d", d.depth, d.pos)
	}
}

func (d *cjsonDecoder) value(tok *token) lua.LValue {
	switch tok.typ {
	case tokString:
		return lua.LString(tok.str)
	case tokNumber:
		return lua.LNumber(tok.num)
	case tokBoolean:
		return lua.LBool(tok.b)
	case tokNull:
		return d.cfg.null
	case tokObjBegin:
		return d.object()
	case tokArrBegin:
		return d.array()
	}
	d.fail("value", tok)
	return nil
}

func (d *cjsonDecoder) object() lua.LValue {
	return d.container(tokObjEnd, "comma or object end", func(t *lua.LTable, tok *token) {
		if tok.typ != tokString {
			d.fail("object key string", tok)
		}
		key := tok.str
		d.next(tok)
		if tok.typ != tokColon {
			d.fail("colon", tok)
		}
		d.next(tok)
		t.RawSetString(key, d.value(tok))
	})
}

func (d *cjsonDecoder) array() lua.LValue {
	i := 0
	return d.container(tokArrEnd, "comma or array end", func(t *lua.LTable, tok *token) {
		i++
		t.RawSetInt(i, d.value(tok))
	})
}

// container parses an object's or array's comma-separated elements up to
// the closing token; element parses one, starting at its first token.
func (d *cjsonDecoder) container(closing cjsonToken, expected string, element func(*lua.LTable, *token)) lua.LValue {
	d.descend()
	t := d.L.NewTable()
	var tok token
	d.next(&tok)
	if tok.typ != closing { // not empty
		for {
			element(t, &tok)
			d.next(&tok)
			if tok.typ == closing {
				break
			}
			if tok.typ != tokComma {
				d.fail(expected, &tok)
			}
			d.next(&tok)
		}
	}
	d.depth--
	return t
}
