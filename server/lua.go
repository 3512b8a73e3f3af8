package server

import (
	"crypto/sha1"
	"encoding/hex"
	"math"
	"strconv"
	"strings"
	"sync"

	lua "github.com/yuin/gopher-lua"
)

// Lua scripting: the virtual machine.
//
// Scripts (EVAL) and function libraries (FUNCTION LOAD) run on
// github.com/yuin/gopher-lua, a Lua 5.1 VM in pure Go. As in Redis there is
// one VM for EVAL scripts and one for functions; only one script or function
// runs at a time (the scripting engine's run lock, lua_run.go), so a VM is
// never shared between goroutines while it runs and needs no pool: its
// registry, call stack and compiled scripts are reused by every run.
//
// The sandbox follows Redis 7.0: the base library without dofile, loadfile,
// print, require, module, getfenv/setfenv and (unlike 7.0, which still has
// them) load and loadstring, which compile code at run time; string, table,
// math, coroutine; no os, io, debug or package. Globals are read-only: a
// script sees the globals through an empty proxy table whose __newindex
// raises "Attempt to modify a readonly table" and whose __index is the real
// globals table, itself guarded by an __index that raises "Script attempted
// to access nonexistent global variable". The library tables (redis,
// string, math, ...) are proxies the same way, so no script can change
// what the next one sees. rawset and setmetatable refuse the proxies.
// gopher-lua has no read-only tables of its own (Redis patched its Lua);
// the visible difference is that pairs() over a proxied table is empty.
//
// Compiled chunks (gopher-lua FunctionProtos) are cached by SHA1 in the
// script cache (lua_run.go); a run makes a closure from the prototype, so
// a script compiles once.

// luaChunkName is the chunk name of scripts: errors read
// "user_script:1: ..." and the error source is "@user_script", as in Redis.
const luaChunkName = "user_script"

// Log levels of redis.log, as Redis numbers them.
const (
	luaLogDebug = iota
	luaLogVerbose
	luaLogNotice
	luaLogWarning
)

// luaVM is one Lua state with the sandbox installed.
type luaVM struct {
	L       *lua.LState
	srv     *Server
	globals *lua.LTable // the real globals (behind the proxy)
	env     *lua.LTable // the proxy scripts use as their environment
	// readonly are the proxy tables that rawset and setmetatable refuse.
	readonly map[*lua.LTable]bool
	errFn    *lua.LFunction // error handler adding source and line
	run      *scriptRun     // the run in progress (nil between runs)
	// loading is set while FUNCTION LOAD runs a library's body: only then
	// may redis.register_function be called.
	loading   *luaLibrary
	loadAPI   *lua.LTable // the globals of a library's body (functions VM)
	envMeta   *lua.LTable // env's metatable (its __index is switched)
	redisFull *lua.LTable // the redis table behind its proxy
	// Reused buffers for redis.call's arguments.
	args [][]byte
	buf  []byte
	ends []int
	// sc is the script client commands run on (lua_call.go).
	sc *Client
}

// newLuaVM builds a sandboxed Lua state. functions says whether it is
// the functions VM (redis.register_function, no KEYS/ARGV globals).
func newLuaVM(srv *Server, functions bool) *luaVM {
	L := lua.NewState(lua.Options{SkipOpenLibs: true, RegistryMaxSize: 1 << 20, RegistryGrowStep: 1024, MinimizeStackMemory: true})
	vm := &luaVM{L: L, srv: srv, readonly: make(map[*lua.LTable]bool)}
	for _, open := range []struct {
		name string
		fn   lua.LGFunction
	}{{lua.BaseLibName, lua.OpenBase}, {lua.TabLibName, lua.OpenTable}, {lua.StringLibName, lua.OpenString},
		{lua.MathLibName, lua.OpenMath}, {lua.CoroutineLibName, lua.OpenCoroutine}} {
		L.Push(L.NewFunction(open.fn))
		L.Push(lua.LString(open.name))
		L.Call(1, 0)
	}
	g := L.G.Global
	vm.globals = g
	for _, name := range []string{"dofile", "loadfile", "print", "require", "module", "getfenv", "setfenv",
		"load", "loadstring", "_printregs", "newproxy", "_GOPHER_LUA_VERSION"} {
		g.RawSetString(name, lua.LNil)
	}
	g.RawSetString("gcinfo", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LNumber(0))
		return 1
	}))
	g.RawSetString("rawset", L.NewFunction(vm.rawset))
	g.RawSetString("tostring", L.NewFunction(luaTostring))
	basePcall := g.RawGetString("pcall").(*lua.LFunction)
	g.RawSetString("pcall", L.NewFunction(func(L *lua.LState) int {
		// As Redis's luaRedisPcall: an error table {err=s} is caught as
		// the string s, so scripts written for older versions still work.
		n := L.GetTop()
		L.Insert(basePcall, 1)
		L.Call(n, lua.MultRet)
		if L.Get(1) == lua.LFalse {
			if t, ok := L.Get(2).(*lua.LTable); ok {
				if e, ok := t.RawGetString("err").(lua.LString); ok {
					L.Replace(2, e)
				}
			}
		}
		return L.GetTop()
	}))
	baseSetmeta := g.RawGetString("setmetatable").(*lua.LFunction)
	g.RawSetString("setmetatable", L.NewFunction(func(L *lua.LState) int {
		if t, ok := L.Get(1).(*lua.LTable); ok && vm.readonly[t] {
			L.Error(lua.LString("Attempt to modify a readonly table"), 0)
		}
		L.Push(baseSetmeta)
		L.Push(L.Get(1))
		L.Push(L.Get(2))
		L.Call(2, 1)
		return 1
	}))
	if s, ok := g.RawGetString("string").(*lua.LTable); ok {
		s.RawSetString("gfind", s.RawGetString("gmatch"))
	}
	m := g.RawGetString("math").(*lua.LTable)
	m.RawSetString("random", L.NewFunction(srv.scripts.rand.luaRandom))
	m.RawSetString("randomseed", L.NewFunction(srv.scripts.rand.luaRandomseed))
	vm.redisFull = vm.redisTable(functions)
	g.RawSetString("redis", vm.redisFull)
	openLuaLibs(L)

	vm.errFn = L.NewFunction(vm.errorHandler)
	// Every library table becomes a read-only proxy; then the globals.
	g.ForEach(func(k, v lua.LValue) {
		if t, ok := v.(*lua.LTable); ok && k.String() != "_G" {
			g.RawSet(k, vm.protect(t))
		}
	})
	env, envMeta := vm.protectMT(g)
	vm.env, vm.envMeta = env, envMeta
	g.RawSetString("_G", env)
	vm.guardGlobals(g)
	if functions {
		vm.loadAPI = vm.libraryAPI()
	}
	return vm
}

// guardGlobals makes reading a missing key of g an error.
func (vm *luaVM) guardGlobals(g *lua.LTable) {
	gm := vm.L.NewTable()
	gm.RawSetString("__index", vm.L.NewFunction(func(L *lua.LState) int {
		L.RaiseError("Script attempted to access nonexistent global variable '%s'", L.CheckAny(2).String())
		return 0
	}))
	vm.L.SetMetatable(g, gm)
}

// libraryAPI builds the globals a function library's body sees while
// FUNCTION LOAD runs it: only redis.register_function, redis.log and the
// constants, as in Redis 7.0.
func (vm *luaVM) libraryAPI() *lua.LTable {
	L := vm.L
	r := L.NewTable()
	r.RawSetString("register_function", L.NewFunction(vm.luaRegisterFunction))
	r.RawSetString("log", L.NewFunction(vm.luaLog))
	full := vm.redisFull
	for _, k := range []string{"LOG_DEBUG", "LOG_VERBOSE", "LOG_NOTICE", "LOG_WARNING", "REDIS_VERSION", "REDIS_VERSION_NUM"} {
		r.RawSetString(k, full.RawGetString(k))
	}
	vm.guardGlobals(r)
	g := L.NewTable()
	g.RawSetString("redis", vm.protect(r))
	vm.guardGlobals(g)
	return g
}

// setLoading switches the globals scripts see between the library API
// (FUNCTION LOAD) and the full globals.
func (vm *luaVM) setLoading(on bool) {
	mt := vm.envMeta
	if on {
		mt.RawSetString("__index", vm.loadAPI)
	} else {
		mt.RawSetString("__index", vm.globals)
	}
}

// protect returns a read-only proxy of t.
func (vm *luaVM) protect(t *lua.LTable) *lua.LTable {
	p, _ := vm.protectMT(t)
	return p
}

// protectMT is protect, also returning the proxy's metatable.
func (vm *luaVM) protectMT(t *lua.LTable) (*lua.LTable, *lua.LTable) {
	L := vm.L
	p := L.NewTable()
	mt := L.NewTable()
	mt.RawSetString("__index", t)
	mt.RawSetString("__newindex", L.NewFunction(luaReadonly))
	mt.RawSetString("__metatable", lua.LFalse)
	L.SetMetatable(p, mt)
	vm.readonly[p] = true
	return p, mt
}

// luaReadonly is the __newindex of read-only tables. The error names the
// script position that assigned, as Redis's does.
func luaReadonly(L *lua.LState) int {
	L.RaiseError("Attempt to modify a readonly table")
	return 0
}

func (vm *luaVM) rawset(L *lua.LState) int {
	t := L.CheckTable(1)
	if vm.readonly[t] {
		L.Error(lua.LString("Attempt to modify a readonly table"), 0)
	}
	t.RawSet(L.CheckAny(2), L.CheckAny(3))
	L.Push(t)
	return 1
}

// luaTostring is tostring with Lua 5.1's number format ("%.14g").
func luaTostring(L *lua.LState) int {
	v := L.CheckAny(1)
	if n, ok := v.(lua.LNumber); ok {
		L.Push(lua.LString(luaFormatNumber(n)))
		return 1
	}
	if fn := L.GetMetaField(v, "__tostring"); fn != lua.LNil {
		L.Push(fn)
		L.Push(v)
		L.Call(1, 1)
		return 1
	}
	L.Push(lua.LString(v.String()))
	return 1
}

// errorHandler is the message handler of every run (Redis's
// __redis__err__handler): it turns a string error into {err='ERR ...'}
// and records where the error was raised (the script frame, skipping a Go
// function such as error or redis.call).
func (vm *luaVM) errorHandler(L *lua.LState) int {
	e := L.Get(1)
	var t *lua.LTable
	if et, ok := e.(*lua.LTable); ok {
		t = et
	} else {
		t = L.NewTable()
		t.RawSetString("err", lua.LString("ERR "+luaErrorString(e)))
	}
	for level := 1; level <= 2; level++ {
		dbg, ok := L.GetStack(level)
		if !ok {
			break
		}
		if _, err := L.GetInfo("Sl", dbg, lua.LNil); err != nil {
			break
		}
		if dbg.What == "G" {
			continue
		}
		t.RawSetString("source", lua.LString("@"+dbg.Source))
		t.RawSetString("line", lua.LNumber(dbg.CurrentLine))
		break
	}
	L.Push(t)
	return 1
}

// luaRaise raises {err="ERR msg"} as Redis's library functions do (the
// message carries no position; the error handler adds where it was).
func luaRaise(L *lua.LState, msg string) {
	L.Error(luaErrorTable(L, "-ERR "+msg), 1)
}

// luaErrorString is tostring of an error value.
func luaErrorString(v lua.LValue) string {
	if n, ok := v.(lua.LNumber); ok {
		return luaFormatNumber(n)
	}
	return v.String()
}

// luaFormatNumber formats n as Lua 5.1 does ("%.14g").
func luaFormatNumber(n lua.LNumber) string {
	f := float64(n)
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return strconv.FormatInt(int64(f), 10)
	}
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		return "nan"
	}
	return strconv.FormatFloat(f, 'g', 14, 64)
}

// redisTable builds the redis library table.
func (vm *luaVM) redisTable(functions bool) *lua.LTable {
	L := vm.L
	r := L.NewTable()
	fns := map[string]lua.LGFunction{
		"call":               func(L *lua.LState) int { return vm.redisCall(L, true) },
		"pcall":              func(L *lua.LState) int { return vm.redisCall(L, false) },
		"error_reply":        luaErrorReply,
		"status_reply":       luaStatusReply,
		"sha1hex":            luaSha1hex,
		"log":                vm.luaLog,
		"setresp":            vm.luaSetresp,
		"set_repl":           vm.luaSetRepl,
		"replicate_commands": func(L *lua.LState) int { L.Push(lua.LTrue); return 1 },
		"breakpoint":         func(L *lua.LState) int { L.Push(lua.LFalse); return 1 },
		"debug":              func(L *lua.LState) int { return 0 },
		"acl_check_cmd":      vm.luaACLCheck,
	}
	for name, fn := range fns {
		r.RawSetString(name, L.NewFunction(fn))
	}
	for name, v := range map[string]int{"LOG_DEBUG": luaLogDebug, "LOG_VERBOSE": luaLogVerbose,
		"LOG_NOTICE": luaLogNotice, "LOG_WARNING": luaLogWarning,
		"REPL_NONE": 0, "REPL_AOF": 1, "REPL_SLAVE": 2, "REPL_REPLICA": 2, "REPL_ALL": 3} {
		r.RawSetString(name, lua.LNumber(v))
	}
	r.RawSetString("REDIS_VERSION", lua.LString(RedisVersion))
	r.RawSetString("REDIS_VERSION_NUM", lua.LNumber(redisVersionNum()))
	return r
}

// redisVersionNum is RedisVersion as 0x00MMmmpp.
func redisVersionNum() int {
	n := 0
	for _, p := range strings.Split(RedisVersion, ".") {
		v, _ := strconv.Atoi(p)
		n = n<<8 | v
	}
	return n
}

// redis.error_reply(msg): {err=msg}, with "ERR " when msg has no code.
func luaErrorReply(L *lua.LState) int {
	if L.GetTop() != 1 || L.Get(1).Type() != lua.LTString {
		L.Push(luaErrorTable(L, "-ERR wrong number or type of arguments"))
		return 1
	}
	msg := L.Get(1).String()
	if !strings.HasPrefix(msg, "-") {
		msg = "-" + msg
	}
	L.Push(luaErrorTable(L, msg))
	return 1
}

// luaErrorTable builds {err="CODE msg"} from an error reply text that
// starts with '-' (Redis's luaPushErrorBuff): a message without a space
// gets the code ERR; trailing CR/LF are trimmed.
func luaErrorTable(L *lua.LState, reply string) *lua.LTable {
	code, msg := "ERR", reply
	if strings.HasPrefix(reply, "-") {
		if i := strings.IndexByte(reply, ' '); i >= 0 {
			code, msg = reply[1:i], reply[i+1:]
		} else {
			msg = reply[1:]
		}
	}
	msg = strings.Trim(msg, "\r\n")
	t := L.CreateTable(0, 1)
	t.RawSetString("err", lua.LString(code+" "+msg))
	return t
}

// redis.status_reply(msg): {ok=msg}.
func luaStatusReply(L *lua.LState) int {
	if L.GetTop() != 1 || L.Get(1).Type() != lua.LTString {
		L.Push(luaErrorTable(L, "-ERR wrong number or type of arguments"))
		return 1
	}
	t := L.CreateTable(0, 1)
	t.RawSetString("ok", L.Get(1))
	L.Push(t)
	return 1
}

// redis.sha1hex(s)
func luaSha1hex(L *lua.LState) int {
	if L.GetTop() != 1 {
		luaRaise(L, "wrong number of arguments")
	}
	s, ok := luaArgString(L.Get(1))
	if !ok {
		s = ""
	}
	sum := sha1.Sum([]byte(s))
	L.Push(lua.LString(hex.EncodeToString(sum[:])))
	return 1
}

// luaArgString converts a string or number argument as lua_tolstring.
func luaArgString(v lua.LValue) (string, bool) {
	switch v := v.(type) {
	case lua.LString:
		return string(v), true
	case lua.LNumber:
		return luaFormatNumber(v), true
	}
	return "", false
}

// redis.log(level, msg ...)
func (vm *luaVM) luaLog(L *lua.LState) int {
	n := L.GetTop()
	if n < 2 {
		luaRaise(L, "redis.log() requires two arguments or more.")
	}
	lv, ok := L.Get(1).(lua.LNumber)
	if !ok {
		luaRaise(L, "First argument must be a number (log level).")
	}
	if lv < luaLogDebug || lv > luaLogWarning {
		luaRaise(L, "Invalid debug level.")
	}
	var b strings.Builder
	for i := 2; i <= n; i++ {
		if i > 2 {
			b.WriteByte(' ')
		}
		s, _ := luaArgString(L.Get(i))
		b.WriteString(s)
	}
	log := vm.srv.log
	switch int(lv) {
	case luaLogDebug, luaLogVerbose:
		log.Debug(b.String(), "source", "script")
	case luaLogNotice:
		log.Info(b.String(), "source", "script")
	default:
		log.Warn(b.String(), "source", "script")
	}
	return 0
}

// redis.setresp(2|3): the protocol of replies redis.call converts.
func (vm *luaVM) luaSetresp(L *lua.LState) int {
	if L.GetTop() != 1 {
		luaRaise(L, "redis.setresp() requires one argument.")
	}
	n, ok := L.Get(1).(lua.LNumber)
	if !ok || (n != 2 && n != 3) {
		luaRaise(L, "RESP version must be 2 or 3.")
	}
	if vm.run != nil {
		vm.run.resp3 = n == 3
	}
	return 0
}

// redis.set_repl(flags): accepted and ignored beyond validation; every
// write is journaled as its effect (see lua_call.go).
func (vm *luaVM) luaSetRepl(L *lua.LState) int {
	if L.GetTop() != 1 {
		luaRaise(L, "redis.set_repl() requires two arguments.")
	}
	n, ok := L.Get(1).(lua.LNumber)
	if !ok || n < 0 || n > 3 {
		luaRaise(L, "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.")
	}
	return 0
}

// redis.acl_check_cmd(cmd, ...): ember's only user may run every command;
// it checks that the command exists.
func (vm *luaVM) luaACLCheck(L *lua.LState) int {
	if L.GetTop() < 1 {
		luaRaise(L, "Please specify at least one argument for this redis lib call")
	}
	name, _ := luaArgString(L.Get(1))
	if vm.srv.cmds.lookupName([]byte(name)) == nil {
		luaRaise(L, "Invalid command passed to redis.acl_check_cmd()")
	}
	L.Push(lua.LTrue)
	return 1
}

// luaRand is Redis's rand.c: the POSIX drand48 linear congruential
// generator, shared by every script of the server and seeded with 0 at
// start (math.random does not restart per script in Redis 7.0).
type luaRand struct {
	mu sync.Mutex
	x  uint64
}

const (
	randA    = 0x5DEECE66D
	randC    = 0xB
	randMask = 1<<48 - 1
	// randMax is REDIS_LRAND48_MAX (INT32_MAX).
	randMax = math.MaxInt32
)

// randInit is drand48's initial state (0x1234ABCD330E).
const randInit = 0x1234ABCD330E

func (r *luaRand) seed(s int32) {
	r.mu.Lock()
	r.x = (uint64(uint32(s))<<16 | 0x330E) & randMask
	r.mu.Unlock()
}

func (r *luaRand) next() int32 {
	r.mu.Lock()
	if r.x == 0 {
		r.x = randInit
	}
	r.x = (randA*r.x + randC) & randMask
	v := int32(r.x >> 17)
	r.mu.Unlock()
	return v
}

// math.random([m [, n]]) as Redis's redis_math_random.
func (r *luaRand) luaRandom(L *lua.LState) int {
	f := float64(r.next()%randMax) / float64(randMax)
	switch L.GetTop() {
	case 0:
		L.Push(lua.LNumber(f))
	case 1:
		u := L.CheckInt(1)
		if u < 1 {
			L.ArgError(1, "interval is empty")
		}
		L.Push(lua.LNumber(math.Floor(f*float64(u)) + 1))
	case 2:
		l, u := L.CheckInt(1), L.CheckInt(2)
		if l > u {
			L.ArgError(2, "interval is empty")
		}
		L.Push(lua.LNumber(math.Floor(f*float64(u-l+1)) + float64(l)))
	default:
		luaRaise(L, "wrong number of arguments")
	}
	return 1
}

// math.randomseed(n)
func (r *luaRand) luaRandomseed(L *lua.LState) int {
	r.seed(int32(L.CheckInt(1)))
	return 0
}
