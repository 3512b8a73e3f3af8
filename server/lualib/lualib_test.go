package lualib

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

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

// runScript runs src in a fresh state (the libraries' settings start at
// their defaults, like a script on a fresh redis-server) and renders its
// first result.
func runScript(src string) string {
	L := lua.NewState()
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
