package server

import (
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"
)

// The scripting engine: running scripts and functions one at a time,
// atomically, and keeping the rest of the server responsive around them.
//
// Atomicity. A run holds, for its whole duration, every shard of its
// database for writing (of every database when its code mentions SELECT),
// taken first, and then the engine's run lock (one script or function at a
// time, as Redis runs one; this order lets EXEC, which already holds every
// shard, run a queued script), so the keys it reaches are exactly the keys it
// names at run time: declared in KEYS or built from a prefix, they are all
// covered, and no other client sees a state in the middle of the script.
// Commands called from the script run on a script client whose Tx is held
// (lua_call.go), so the handlers' own Lock/Unlock leave the run's locks in
// place.
//
// Busy. A server-wide pointer to the run in progress (one atomic load per
// command) lets the dispatcher treat other clients as Redis treats them
// while a script runs: a command (any but allow-busy ones: Redis runs
// nothing else during a script) waits for the run to end, but only until
// the run is older than busy-reply-threshold; then, and for every later
// command not flagged allow-busy, the reply is -BUSY. A client
// that passed the check just before a run began and then waits on a shard
// lock the run holds is released only when the run ends (the window is
// the few instructions between the check and the lock).
//
// Kill. A run is a context.Context for its VM: SCRIPT KILL / FUNCTION KILL
// close its kill channel, and gopher-lua raises an error at the script's
// next instruction (again at every instruction, so pcall cannot swallow
// it). A run that has called a write command can no longer be killed: the
// run's state moves by CAS from running to wrote or to killed, never both.

// Run states.
const (
	runClean int32 = iota
	runWrote
	runKilled
)

// scriptFlags are a script's shebang flags or a function's flags.
type scriptFlags uint16

const (
	sfNoWrites scriptFlags = 1 << iota
	sfAllowOOM
	sfAllowStale
	sfNoCluster
	sfAllowCrossSlot
	sfShebang // the script declared a shebang (flags apply)
)

var scriptFlagNames = []struct {
	name string
	flag scriptFlags
}{{"no-writes", sfNoWrites}, {"allow-oom", sfAllowOOM}, {"allow-stale", sfAllowStale},
	{"no-cluster", sfNoCluster}, {"allow-cross-slot-keys", sfAllowCrossSlot}}

// luaScript is a compiled EVAL script.
type luaScript struct {
	sha   string
	body  string
	proto *lua.FunctionProto
	flags scriptFlags
	// mayselect: the body mentions SELECT, so a run holds every database.
	mayselect bool
}

// scriptRun is one execution of a script or function.
type scriptRun struct {
	c        *Client // the caller
	start    time.Time
	name     string // the script's SHA or the function's name (errors)
	eval     bool   // EVAL family (else FCALL)
	readOnly bool   // EVAL_RO / FCALL_RO / no-writes
	flags    scriptFlags
	oom      bool // out of memory when the command started (lua_oom.go)
	resp3    bool // redis.setresp(3)
	state    atomic.Int32
	kill     chan struct{} // closed by SCRIPT KILL
	done     chan struct{} // closed when the run ends
	sc       *Client       // the script client commands run on
	args     [][]byte      // FCALL's arguments (FUNCTION STATS)
}

// Deadline is part of context.Context (no deadline).
func (r *scriptRun) Deadline() (time.Time, bool) { return time.Time{}, false }

// Done is closed when the run is killed.
func (r *scriptRun) Done() <-chan struct{} { return r.kill }

// Err is the error gopher-lua raises once the run is killed.
func (r *scriptRun) Err() error { return errScriptKilledCtx }

// Value is part of context.Context.
func (r *scriptRun) Value(any) any { return nil }

var errScriptKilledCtx = errors.New("Script killed by user with SCRIPT KILL...")

// scriptEngine owns the VMs, the script cache and the function libraries.
type scriptEngine struct {
	runMu   sync.Mutex // held for the duration of a run
	running atomic.Pointer[scriptRun]
	rand    luaRand

	vmOnce sync.Once
	evalVM *luaVM
	fnVM   *luaVM

	cacheMu sync.RWMutex
	cache   map[string]*luaScript

	libMu sync.RWMutex // guards libs and funcs (the functions VM is guarded by runMu)
	libs  map[string]*luaLibrary
	funcs map[string]*luaFunction
}

func (e *scriptEngine) init(srv *Server) {
	e.vmOnce.Do(func() {
		e.evalVM = newLuaVM(srv, false)
		e.fnVM = newLuaVM(srv, true)
	})
}

// sha1Hex is the lower-case hex SHA1 of s.
func sha1Hex(s []byte) string {
	sum := sha1.Sum(s)
	return hex.EncodeToString(sum[:])
}

// lookupScript returns the cached script with sha (case-insensitive).
func (e *scriptEngine) lookupScript(sha []byte) *luaScript {
	if len(sha) != 40 {
		return nil
	}
	e.cacheMu.RLock()
	s := e.cache[strings.ToLower(string(sha))]
	e.cacheMu.RUnlock()
	return s
}

// loadScript compiles body (if not cached) and caches it. The error is
// the reply text.
func (e *scriptEngine) loadScript(body []byte) (*luaScript, string) {
	sha := sha1Hex(body)
	e.cacheMu.RLock()
	s := e.cache[sha]
	e.cacheMu.RUnlock()
	if s != nil {
		return s, ""
	}
	flags, code, errMsg := parseShebang(string(body))
	if errMsg != "" {
		return nil, errMsg
	}
	proto, err := compileLua(code, luaChunkName)
	if err != nil {
		return nil, "ERR Error compiling script (new function): " + err.Error()
	}
	s = &luaScript{sha: sha, body: string(body), proto: proto, flags: flags, mayselect: mentionsSelect(code)}
	e.cacheMu.Lock()
	if e.cache == nil {
		e.cache = make(map[string]*luaScript)
	}
	if old := e.cache[sha]; old != nil {
		s = old
	} else {
		e.cache[sha] = s
	}
	e.cacheMu.Unlock()
	return s, ""
}

// compileLua parses and compiles a chunk.
func compileLua(code, name string) (*lua.FunctionProto, error) {
	chunk, err := parse.Parse(strings.NewReader(code), name)
	if err != nil {
		return nil, errors.New(luaSyntaxError(err, name))
	}
	proto, err := lua.Compile(chunk, name)
	if err != nil {
		return nil, err
	}
	// C Lua 5.1 gives a main chunk no `arg` table; gopher-lua builds one
	// (a Go map, for its "n" field) on every call of a vararg function
	// marked as needing it, and marks main chunks so, though nothing can
	// name it there. That map was two thirds of an EVALSHA's allocations.
	proto.IsVarArg &^= lua.VarArgNeedsArg
	compactProto(proto)
	return proto, nil
}

// compactProto trims the slices of a compiled prototype (and its nested
// ones) to their length: gopher-lua's compiler leaves them with room for
// 128 to 1024 entries, about 16 KB per cached script.
func compactProto(p *lua.FunctionProto) {
	p.Code = slices.Clone(p.Code)
	p.Constants = slices.Clone(p.Constants)
	p.FunctionPrototypes = slices.Clone(p.FunctionPrototypes)
	p.DbgSourcePositions = slices.Clone(p.DbgSourcePositions)
	p.DbgLocals = slices.Clone(p.DbgLocals)
	p.DbgCalls = slices.Clone(p.DbgCalls)
	p.DbgUpvalues = slices.Clone(p.DbgUpvalues)
	for _, sub := range p.FunctionPrototypes {
		compactProto(sub)
	}
}

// luaSyntaxError rewrites gopher-lua's "<name> line:N(column:M) near
// 'x':   msg" as Lua 5.1's "name:N: msg near 'x'" (the wording of the
// message itself stays gopher-lua's).
func luaSyntaxError(err error, name string) string {
	var pe *parse.Error
	if errors.As(err, &pe) {
		near := pe.Token
		if near == "EOF" || near == "" {
			near = "<eof>"
		}
		line := pe.Pos.Line
		if line < 1 {
			line = 1
		}
		return name + ":" + itoa(int64(line)) + ": " + strings.TrimSpace(pe.Message) + " near '" + near + "'"
	}
	return err.Error()
}

// parseShebang splits a "#!lua flags=..." first line from an EVAL script.
// The code keeps the line emptied, so line numbers stay those of the body.
func parseShebang(body string) (scriptFlags, string, string) {
	if !strings.HasPrefix(body, "#!") {
		return 0, body, ""
	}
	line, rest, ok := strings.Cut(body, "\n")
	if !ok {
		return 0, "", "ERR Invalid script shebang"
	}
	parts := strings.Split(line, " ")
	if parts[0] != "#!lua" {
		return 0, "", "ERR Unexpected engine in script shebang: " + parts[0]
	}
	flags := sfShebang
	for _, p := range parts[1:] {
		if p == "" {
			continue
		}
		v, ok := strings.CutPrefix(p, "flags=")
		if !ok {
			return 0, "", "ERR Unknown lua shebang option: " + p
		}
		f, bad := parseScriptFlags(strings.Split(v, ","))
		if bad != "" {
			return 0, "", "ERR Unexpected flag in script shebang: " + bad
		}
		flags |= f
	}
	return flags, "\n" + rest, ""
}

// parseScriptFlags maps flag names; it returns the first unknown one.
func parseScriptFlags(names []string) (scriptFlags, string) {
	var f scriptFlags
	for _, n := range names {
		if n == "" {
			continue
		}
		found := false
		for _, sf := range scriptFlagNames {
			if sf.name == n {
				f |= sf.flag
				found = true
			}
		}
		if !found {
			return 0, n
		}
	}
	return f, ""
}

// flushScripts empties the script cache (SCRIPT FLUSH).
func (e *scriptEngine) flushScripts() {
	e.cacheMu.Lock()
	e.cache = nil
	e.cacheMu.Unlock()
}

// busyError is the -BUSY reply for the run in progress.
func busyError(r *scriptRun) string {
	if r.eval {
		return errBusyScript
	}
	return errBusyFunction
}

// busyThreshold returns busy-reply-threshold.
func (s *Server) busyThreshold() time.Duration {
	return time.Duration(s.cfg.Int("busy-reply-threshold")) * time.Millisecond
}

// waitScript is the dispatcher's check while a script runs (r is the run,
// not c's own). As in Redis, where nothing else runs during a script, the
// command waits for the run to end, but only until the run is older than
// busy-reply-threshold; then it is refused with -BUSY. It reports whether
// cmd may run now; false means the BUSY reply was written.
func (c *Client) waitScript(r *scriptRun, cmd *Command) bool {
	for r != nil && r.c != c {
		left := c.srv.busyThreshold() - time.Since(r.start)
		if left <= 0 {
			c.WriteError(busyError(r))
			cmd.stats.reject(int(c.id))
			return false
		}
		t := time.NewTimer(left)
		select {
		case <-r.done:
		case <-t.C:
		case <-c.stop:
		}
		t.Stop()
		r = c.srv.scripts.running.Load()
	}
	return true
}

// abort kills the running script or function whatever it did (shutdown).
func (e *scriptEngine) abort() {
	r := e.running.Load()
	if r == nil {
		return
	}
	for {
		st := r.state.Load()
		if st == runKilled {
			return
		}
		if r.state.CompareAndSwap(st, runKilled) {
			close(r.kill)
			return
		}
	}
}

// killRun implements SCRIPT KILL (eval) and FUNCTION KILL.
func (c *Client) killRun(eval bool) {
	r := c.srv.scripts.running.Load()
	if r == nil {
		c.WriteError(errNotBusy)
		return
	}
	if r.state.Load() == runWrote {
		c.WriteError(errUnkillable)
		return
	}
	if eval != r.eval {
		c.WriteError(busyError(r))
		return
	}
	if r.state.CompareAndSwap(runClean, runKilled) {
		close(r.kill)
	} else if r.state.Load() == runWrote {
		c.WriteError(errUnkillable)
		return
	}
	c.WriteOK()
}

// runLua runs a script or function for c, holding the engine and every
// shard of c's database for the run, and writes the result or error as
// c's reply. push, called under the run lock, pushes the function and its
// arguments and returns the number of arguments. allDBs says the code may
// SELECT: every database is held.
func (e *scriptEngine) runLua(c *Client, vm *luaVM, run *scriptRun, allDBs bool, push func(L *lua.LState) int) {
	// Lock order: a run's shards first, then the run lock (EXEC, which
	// holds every shard, may run a queued script).
	held := c.holdForRun(allDBs)
	e.runMu.Lock()
	L := vm.L
	sc := c.heldChild(false)
	run.c, run.sc = c, sc
	run.start = time.Now()
	run.kill = make(chan struct{})
	run.done = make(chan struct{})
	vm.run = run
	L.SetContext(run)
	e.running.Store(run)

	n := push(L)
	err := L.PCall(n, 1, vm.errFn)
	var ret lua.LValue = lua.LNil
	if err == nil {
		ret = L.Get(-1)
	}
	if held {
		// Journal records go out, blocked clients fed by the script are
		// served (the child forwarded its keys to c), shards unlock.
		c.releaseHeld()
	}
	switch {
	case run.state.Load() == runKilled:
		c.WriteError(runErrorText(run, vm.killTable(err)))
	case err != nil:
		c.WriteError(runErrorText(run, err))
	default:
		c.writeLuaReply(ret, run.resp3, 0)
	}
	L.SetTop(0)
	vm.run = nil
	e.running.Store(nil)
	close(run.done)
	e.runMu.Unlock()
}

// killTable is the error of a killed run: Redis's message, at the
// position the kill interrupted.
func (vm *luaVM) killTable(err error) error {
	t := vm.L.NewTable()
	t.RawSetString("err", lua.LString("ERR "+errScriptKilledCtx.Error()))
	var ae *lua.ApiError
	if errors.As(err, &ae) {
		if et, ok := ae.Object.(*lua.LTable); ok {
			t.RawSetString("source", et.RawGetString("source"))
			t.RawSetString("line", et.RawGetString("line"))
		}
	}
	return &lua.ApiError{Object: t}
}

// runErrorText formats a failed run's error reply as Redis 7.0 does:
// "<err> script: <name>, on <source>:<line>." when the error table knows
// where it was raised.
func runErrorText(run *scriptRun, err error) string {
	var ae *lua.ApiError
	if !errors.As(err, &ae) {
		return "ERR Error running script " + run.name + ", " + err.Error()
	}
	t, ok := ae.Object.(*lua.LTable)
	if !ok {
		msg := luaErrorString(ae.Object)
		if len(msg) > 100 {
			msg = msg[:100]
		}
		return "ERR Error running script " + run.name + ", " + msg
	}
	msg := luaErrorString(t.RawGetString("err"))
	src, ok1 := t.RawGetString("source").(lua.LString)
	line, ok2 := t.RawGetString("line").(lua.LNumber)
	if ok1 && ok2 {
		msg += " script: " + run.name + ", on " + string(src) + ":" + luaFormatNumber(line) + "."
	}
	return msg
}
