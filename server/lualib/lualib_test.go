package lualib

import (
	"bufio"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/embercache/ember/internal/resptest"
	lua "github.com/yuin/gopher-lua"
)

// The transcript testdata/scripts.txt lists one-line scripts, each followed
// by "=> " and what redis-server 7.0 replied to EVAL of it, rendered by
// renderReply. TestScripts runs every script in a bare gopher-lua state
// after Open and renders its value the way Redis converts a script's
// result to a reply; TestScriptsMatchRedis runs them on a real
// redis-server, so the recorded answers cannot drift from the reference.
// A script written "!err CODE" runs CODE in pcall and returns the error
// message (or "no error"). -rewrite records redis-server's answers anew.
var rewrite = flag.Bool("rewrite", false, "rewrite testdata/scripts.txt with redis-server's replies")

const scriptsFile = "testdata/scripts.txt"

type scriptCase struct {
	line   int
	source string // as written in the transcript
	want   string
}

// script is the Lua text a case runs.
func (c scriptCase) script() string {
	if code, ok := strings.CutPrefix(c.source, "!err "); ok {
		return "local ok, e = pcall(function() " + code + " end) if ok then return 'no error' end return e"
	}
	return c.source
}

func readScripts(t *testing.T) (cases []scriptCase, lines []string) {
	t.Helper()
	f, err := os.Open(scriptsFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		lines = append(lines, line)
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "=> "):
			if len(cases) == 0 || cases[len(cases)-1].want != "" {
				t.Fatalf("%s:%d: answer without a script", scriptsFile, len(lines))
			}
			cases[len(cases)-1].want = strings.TrimPrefix(line, "=> ")
		default:
			cases = append(cases, scriptCase{line: len(lines), source: line})
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return cases, lines
}

func TestScripts(t *testing.T) {
	cases, _ := readScripts(t)
	if len(cases) == 0 {
		t.Fatal("no scripts")
	}
	for _, c := range cases {
		if c.want == "" {
			t.Errorf("%s:%d: no recorded answer (run with -rewrite)", scriptsFile, c.line)
			continue
		}
		if got := runScript(c.script()); got != c.want {
			t.Errorf("%s:%d: %s\n got: %s\nwant: %s", scriptsFile, c.line, c.source, got, c.want)
		}
	}
}

// stateOptions give the value stack room for C Lua's LUAI_MAXCSTACK values
// (gopher-lua's default registry is fixed at 5120), as the scripting core
// must.
var stateOptions = lua.Options{RegistrySize: 1024, RegistryMaxSize: 64 * 1024, RegistryGrowStep: 1024}

// runScript runs src in a fresh state (the libraries' settings start at
// their defaults, like a script on a fresh redis-server) and renders its
// first result.
func runScript(src string) string {
	L := lua.NewState(stateOptions)
	defer L.Close()
	Open(L)
	fn, err := L.Load(strings.NewReader(src), "user_script")
	if err != nil {
		return "(compile error) " + err.Error()
	}
	L.Push(fn)
	if err := L.PCall(0, 1, nil); err != nil {
		return "(script error) " + err.Error()
	}
	return renderLua(L.Get(-1))
}

// renderLua renders v as Redis converts a script's result: strings are bulk
// strings, numbers integers (truncated), true 1, false and nil a null, a
// table with err or ok an error or status, any other table an array up to
// its first nil.
func renderLua(v lua.LValue) string {
	switch v := v.(type) {
	case lua.LString:
		return strconv.Quote(string(v))
	case lua.LNumber:
		return strconv.FormatInt(cInt64(float64(v)), 10)
	case lua.LBool:
		if v {
			return "1"
		}
	case *lua.LTable:
		if e, ok := v.RawGetString("err").(lua.LString); ok {
			return "(error) " + string(e)
		}
		if s, ok := v.RawGetString("ok").(lua.LString); ok {
			return "(status) " + string(s)
		}
		var elems []string
		for i := 1; ; i++ {
			e := v.RawGetInt(i)
			if e == lua.LNil {
				break
			}
			elems = append(elems, renderLua(e))
		}
		return "[" + strings.Join(elems, ", ") + "]"
	}
	return "nil"
}

// renderReply renders a RESP2 reply the same way.
func renderReply(v resptest.Value) string {
	switch v.Type {
	case '$':
		if v.Null {
			return "nil"
		}
		return strconv.Quote(v.Str)
	case ':':
		return strconv.FormatInt(v.Int, 10)
	case '-':
		return "(error) " + v.Str
	case '+':
		return "(status) " + v.Str
	case '*':
		if v.Null {
			return "nil"
		}
		elems := make([]string, len(v.Elems))
		for i, e := range v.Elems {
			elems[i] = renderReply(e)
		}
		return "[" + strings.Join(elems, ", ") + "]"
	}
	return fmt.Sprintf("(unexpected %q)", v.Type)
}

func TestScriptsMatchRedis(t *testing.T) {
	addr := resptest.StartRedis(t)
	conn := resptest.MustDial(t, addr)
	cases, lines := readScripts(t)
	answers := map[int]string{}
	for _, c := range cases {
		raw, err := conn.Do("EVAL", c.script(), "0")
		if err != nil {
			t.Fatal(err)
		}
		v, err := resptest.Parse(raw)
		if err != nil {
			t.Fatalf("%s:%d: %v", scriptsFile, c.line, err)
		}
		got := renderReply(v)
		answers[c.line] = got
		if !*rewrite && got != c.want {
			t.Errorf("%s:%d: %s\nredis-server: %s\n    recorded: %s", scriptsFile, c.line, c.source, got, c.want)
		}
	}
	if !*rewrite {
		return
	}
	var out []string
	for i, line := range lines {
		if strings.HasPrefix(line, "=> ") {
			continue
		}
		out = append(out, line)
		if a, ok := answers[i+1]; ok {
			out = append(out, "=> "+a)
		}
	}
	if err := os.WriteFile(scriptsFile, []byte(strings.Join(out, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestIsNull: the scripting core recognises cjson.null (from the module,
// from cjson.new() and from decoding) and nothing else.
func TestIsNull(t *testing.T) {
	L := lua.NewState()
	defer L.Close()
	Open(L)
	if err := L.DoString(`return cjson.null, cjson.new().null, cjson.decode('[null]')[1], {}, "null"`); err != nil {
		t.Fatal(err)
	}
	for i, want := range []bool{true, true, true, false, false} {
		if got := IsNull(L.Get(i + 1)); got != want {
			t.Errorf("value %d: IsNull = %v, want %v", i+1, got, want)
		}
	}
	if IsNull(L.NewUserData()) {
		t.Error("IsNull(other userdata) = true")
	}
}

// randomScript turns each number in ARGV into what the libraries make of
// it; TestRandomNumbersMatchRedis compares the lot with redis-server.
const randomScript = `local out = {}
for _, s in ipairs(ARGV) do
  local n = tonumber(s)
  local ok, json = pcall(cjson.encode, n)
  local u = cmsgpack.unpack(cmsgpack.pack(n))
  out[#out+1] = table.concat({s, tostring(json), cmsgpack.pack(n), struct.pack('>d', u), bit.tobit(n), bit.tohex(n),
    struct.pack('>lLi3f', n, n, n, n), struct.pack('<I16', n)}, '|')
end
return out`

// TestRandomNumbersMatchRedis runs randomScript on random numbers of every
// magnitude, integral and not, in gopher-lua and on redis-server.
func TestRandomNumbersMatchRedis(t *testing.T) {
	conn, rng := randomAgainstRedis(t)
	var args []string
	for i := 0; i < 300; i++ {
		var f float64
		switch i % 4 {
		case 0: // integers of every size
			f = math.Trunc(math.Ldexp(rng.Float64(), rng.IntN(70)))
		case 1: // halves and other short fractions
			f = float64(rng.IntN(1<<20)) / float64(int(1)<<rng.IntN(6))
		case 2: // any double within a wide range
			f = math.Ldexp(rng.Float64(), rng.IntN(200)-100)
		default: // any bit pattern that is a finite double
			for f = math.Inf(1); math.IsInf(f, 0) || math.IsNaN(f); {
				f = math.Float64frombits(rng.Uint64())
			}
		}
		if rng.IntN(2) == 0 && f != 0 { // gopher-lua reads "-0" as 0
			f = -f
		}
		args = append(args, strconv.FormatFloat(f, 'g', 17, 64))
	}
	compareWithRedis(t, conn, randomScript, args)
}

// decodeScript decodes each text in ARGV and shows the result's exact
// bits (or the error).
const decodeScript = `local out = {}
for _, s in ipairs(ARGV) do
  local ok, v = pcall(cjson.decode, s)
  if not ok then
    out[#out+1] = s .. ' -> ' .. v
  elseif type(v) == 'number' then
    out[#out+1] = s .. ' -> ' .. struct.pack('>d', v)
  elseif type(v) == 'table' then
    out[#out+1] = s .. ' -> ' .. cjson.encode(v) .. ' ' .. cmsgpack.pack(v)
  else
    out[#out+1] = s .. ' -> ' .. type(v) .. ' ' .. tostring(v == cjson.null)
  end
end
return out`

// TestRandomJSONMatchesRedis decodes random short texts over an alphabet
// of JSON's and strtod's characters, in gopher-lua and on redis-server.
func TestRandomJSONMatchesRedis(t *testing.T) {
	conn, rng := randomAgainstRedis(t)
	const alphabet = "0123456789012345.eE+-xXpabcdfinINFtruelsNy \t\"[]{}:,\\u"
	var texts []string
	for i := 0; i < 500; i++ {
		b := make([]byte, 1+rng.IntN(10))
		for j := range b {
			b[j] = alphabet[rng.IntN(len(alphabet))]
		}
		texts = append(texts, string(b))
	}
	compareWithRedis(t, conn, decodeScript, texts)
}

// randomAgainstRedis starts a redis-server for a randomized differential
// test and seeds its generator (logged, to replay a failure).
func randomAgainstRedis(t *testing.T) (*resptest.Conn, *rand.Rand) {
	t.Helper()
	conn := resptest.MustDial(t, resptest.StartRedis(t))
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	return conn, rand.New(rand.NewPCG(seed, seed>>32))
}

// compareWithRedis runs script with ARGV set to args on redis-server and
// in gopher-lua, and compares the arrays of strings they return.
func compareWithRedis(t *testing.T, conn *resptest.Conn, script string, args []string) {
	t.Helper()
	raw, err := conn.Do(append([]string{"EVAL", script, "0"}, args...)...)
	if err != nil {
		t.Fatal(err)
	}
	want, err := resptest.Parse(raw)
	if err != nil || want.Type != '*' {
		t.Fatalf("redis-server: %q %v", raw, err)
	}
	L := lua.NewState(stateOptions)
	defer L.Close()
	Open(L)
	argv := L.NewTable()
	for _, a := range args {
		argv.Append(lua.LString(a))
	}
	L.SetGlobal("ARGV", argv)
	if err := L.DoString(script); err != nil {
		t.Fatal(err)
	}
	got := L.Get(-1).(*lua.LTable)
	if got.Len() != len(want.Elems) {
		t.Fatalf("%d results, redis-server %d", got.Len(), len(want.Elems))
	}
	for i, w := range want.Elems {
		if g := got.RawGetInt(i + 1).String(); g != w.Str {
			t.Errorf("argument %q:\n got %q\nwant %q", args[i], g, w.Str)
		}
	}
}

// structScript packs ARGV's numbers with each random format and unpacks
// the result, showing the bytes, the values' exact bits and any error.
const structScript = `local out = {}
for i = 1, #ARGV, 2 do
  local fmt, n = ARGV[i], tonumber(ARGV[i+1])
  local args = {}
  for j = 1, 12 do args[j] = n * j end
  local ok, packed = pcall(struct.pack, fmt, unpack(args))
  local line = fmt .. ' ' .. ARGV[i+1] .. ' -> ' .. tostring(packed)
  if ok then
    local res = {pcall(struct.unpack, fmt, packed .. 'tail\0')}
    for j = 2, #res do
      local v = res[j]
      line = line .. '|' .. (type(v) == 'number' and struct.pack('>d', v) or tostring(v))
    end
    local ok2, size = pcall(struct.size, fmt)
    line = line .. '|size ' .. tostring(size)
  end
  out[#out+1] = line
end
return out`

// TestRandomStructMatchesRedis packs, unpacks and sizes random formats
// (endianness, alignment, every option, counts) in gopher-lua and on
// redis-server.
func TestRandomStructMatchesRedis(t *testing.T) {
	conn, rng := randomAgainstRedis(t)
	opts := []string{"<", ">", "!", "!2", "!4", "!8", "b", "B", "h", "H", "l", "L", "T", "i", "I", "i1", "I2", "i3", "I5", "i8", "I12",
		"f", "d", "x", "c", "c2", "s", " "}
	var args []string
	for i := 0; i < 300; i++ {
		var f strings.Builder
		for j := 1 + rng.IntN(5); j > 0; j-- {
			f.WriteString(opts[rng.IntN(len(opts))])
		}
		n := math.Ldexp(rng.Float64()-0.5, rng.IntN(70))
		if rng.IntN(2) == 0 {
			n = math.Trunc(n)
		}
		if n == 0 {
			n = 0 // gopher-lua reads "-0" as 0
		}
		args = append(args, f.String(), strconv.FormatFloat(n, 'g', 17, 64))
	}
	compareWithRedis(t, conn, structScript, args)
}
