package server

import (
	"math"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// Conversions between RESP replies and Lua values, as Redis 7.0 does them.
//
// A command called from a script writes its reply, in the script's
// protocol (RESP2 unless redis.setresp(3)), to the script client's output
// buffer; luaParseReply turns it into Lua values:
//
//	integer → number          bulk → string      null bulk/array (RESP2) → false
//	status  → {ok=s}          error → {err=s}    array → table
//	RESP3:  null → nil, map → {map={k=v}}, set → {set={m=true}},
//	        double → {double=n}, boolean → true/false,
//	        big number → {big_number=s}, verbatim → {verbatim_string={format=f, string=s}}
//
// The script's result goes the other way (writeLuaReply): string → bulk,
// number → integer (truncated), true → 1 and false → null (RESP2 script;
// booleans after setresp(3)), a table with err/ok/double/big_number/map/
// set/verbatim_string → that reply, another table → array up to its first
// nil, anything else → null.

// luaMaxDepth bounds nested tables converted to a reply (a table that
// contains itself would otherwise recurse forever).
const luaMaxDepth = 1000

// luaParseReply converts the first reply in b into a Lua value and returns
// the bytes after it. b is well-formed RESP written by reply.go.
func luaParseReply(L *lua.LState, b []byte) (lua.LValue, []byte) {
	if len(b) < 3 {
		return lua.LNil, nil
	}
	typ := b[0]
	end := indexCRLF(b)
	line := b[1:end]
	rest := b[end+2:]
	switch typ {
	case '+':
		t := L.CreateTable(0, 1)
		t.RawSetString("ok", lua.LString(line))
		return t, rest
	case '-':
		return luaErrorTable(L, "-"+string(line)), rest
	case ':':
		n, _ := strconv.ParseInt(string(line), 10, 64)
		return lua.LNumber(n), rest
	case '$', '=':
		n, _ := strconv.Atoi(string(line))
		if n < 0 {
			return lua.LFalse, rest
		}
		s := string(rest[:n])
		rest = rest[n+2:]
		if typ == '=' {
			v := L.CreateTable(0, 2)
			v.RawSetString("format", lua.LString(s[:3]))
			v.RawSetString("string", lua.LString(s[4:]))
			t := L.CreateTable(0, 1)
			t.RawSetString("verbatim_string", v)
			return t, rest
		}
		return lua.LString(s), rest
	case '*', '>':
		n, _ := strconv.Atoi(string(line))
		if n < 0 {
			return lua.LFalse, rest
		}
		t := L.CreateTable(n, 0)
		for i := 1; i <= n; i++ {
			var v lua.LValue
			v, rest = luaParseReply(L, rest)
			t.RawSetInt(i, v)
		}
		return t, rest
	case '%', '~':
		n, _ := strconv.Atoi(string(line))
		m := L.CreateTable(0, n)
		for i := 0; i < n; i++ {
			var k, v lua.LValue
			k, rest = luaParseReply(L, rest)
			if typ == '%' {
				v, rest = luaParseReply(L, rest)
			} else {
				v = lua.LTrue
			}
			if k != lua.LNil {
				m.RawSet(k, v)
			}
		}
		t := L.CreateTable(0, 1)
		if typ == '%' {
			t.RawSetString("map", m)
		} else {
			t.RawSetString("set", m)
		}
		return t, rest
	case '|':
		n, _ := strconv.Atoi(string(line))
		for i := 0; i < 2*n; i++ {
			_, rest = luaParseReply(L, rest)
		}
		return luaParseReply(L, rest)
	case '_':
		return lua.LNil, rest
	case '#':
		return lua.LBool(len(line) > 0 && line[0] == 't'), rest
	case ',':
		f, _ := strconv.ParseFloat(string(line), 64)
		switch string(line) {
		case "inf":
			f = math.Inf(1)
		case "-inf":
			f = math.Inf(-1)
		}
		t := L.CreateTable(0, 1)
		t.RawSetString("double", lua.LNumber(f))
		return t, rest
	case '(':
		t := L.CreateTable(0, 1)
		t.RawSetString("big_number", lua.LString(line))
		return t, rest
	}
	return lua.LNil, rest
}

// indexCRLF returns the index of the first "\r\n" in b.
func indexCRLF(b []byte) int {
	for i := 0; i+1 < len(b); i++ {
		if b[i] == '\r' && b[i+1] == '\n' {
			return i
		}
	}
	return len(b) - 2
}

// writeLuaReply writes v, a script's result, as the caller's reply;
// resp3 is the script's protocol (redis.setresp).
func (c *Client) writeLuaReply(v lua.LValue, resp3 bool, depth int) {
	switch v := v.(type) {
	case lua.LString:
		c.WriteBulk([]byte(string(v)))
	case lua.LBool:
		switch {
		case resp3:
			c.WriteBool(bool(v))
		case bool(v):
			c.WriteInt(1)
		default:
			c.WriteNull()
		}
	case lua.LNumber:
		c.WriteInt(luaToInt(v))
	case *lua.LTable:
		if depth >= luaMaxDepth {
			c.WriteError(errLuaStackLimit)
			return
		}
		c.writeLuaTable(v, resp3, depth)
	default:
		c.WriteNull()
	}
}

// luaToInt truncates a Lua number as C's (long long) cast does.
func luaToInt(n lua.LNumber) int64 {
	f := float64(n)
	switch {
	case math.IsNaN(f):
		return math.MinInt64
	case f >= math.MaxInt64:
		return math.MinInt64
	case f < math.MinInt64:
		return math.MinInt64
	}
	return int64(f)
}

func (c *Client) writeLuaTable(t *lua.LTable, resp3 bool, depth int) {
	if e, ok := t.RawGetString("err").(lua.LString); ok {
		c.WriteError(string(e))
		return
	}
	if s, ok := t.RawGetString("ok").(lua.LString); ok {
		c.WriteSimple(noCRLF(string(s)))
		return
	}
	if d, ok := t.RawGetString("double").(lua.LNumber); ok {
		c.WriteDouble(float64(d))
		return
	}
	if s, ok := t.RawGetString("big_number").(lua.LString); ok {
		s := noCRLF(string(s))
		if c.resp3 {
			c.out = append(c.out, '(')
			c.out = append(c.out, s...)
			c.out = append(c.out, '\r', '\n')
		} else {
			c.WriteBulkString(s)
		}
		return
	}
	if m, ok := t.RawGetString("map").(*lua.LTable); ok {
		n := 0
		m.ForEach(func(lua.LValue, lua.LValue) { n++ })
		c.WriteMap(n)
		m.ForEach(func(k, v lua.LValue) {
			c.writeLuaReply(k, resp3, depth+1)
			c.writeLuaReply(v, resp3, depth+1)
		})
		return
	}
	if s, ok := t.RawGetString("set").(*lua.LTable); ok {
		n := 0
		s.ForEach(func(lua.LValue, lua.LValue) { n++ })
		c.WriteSet(n)
		s.ForEach(func(k, _ lua.LValue) { c.writeLuaReply(k, resp3, depth+1) })
		return
	}
	if vs, ok := t.RawGetString("verbatim_string").(*lua.LTable); ok {
		f, ok1 := vs.RawGetString("format").(lua.LString)
		s, ok2 := vs.RawGetString("string").(lua.LString)
		if ok1 && ok2 {
			if c.resp3 {
				c.out = append(c.out, '=')
				c.out = strconv.AppendInt(c.out, int64(len(s)+4), 10)
				c.out = append(c.out, '\r', '\n')
				c.out = append(c.out, string(f)...)
				c.out = append(c.out, ':')
				c.out = append(c.out, string(s)...)
				c.out = append(c.out, '\r', '\n')
			} else {
				c.WriteBulkString(string(s))
			}
			return
		}
	}
	n := 0
	for t.RawGetInt(n+1) != lua.LNil {
		n++
	}
	c.WriteArray(n)
	for i := 1; i <= n; i++ {
		c.writeLuaReply(t.RawGetInt(i), resp3, depth+1)
	}
}

// noCRLF maps \r and \n to spaces (status replies must be one line).
func noCRLF(s string) string {
	if strings.ContainsAny(s, "\r\n") {
		return strings.NewReplacer("\r", " ", "\n", " ").Replace(s)
	}
	return s
}
