package server

import (
	"slices"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// Function libraries (FUNCTION LOAD, FCALL).
//
// A library is Lua code starting with "#!lua name=<lib>". FUNCTION LOAD
// compiles it in the functions VM and runs its body once with the library
// API as globals (redis.register_function, redis.log and constants only);
// each redis.register_function call records a callback with its name,
// flags and description. The callbacks then run, on FCALL, with the full
// globals (the VM's environment proxy switches its __index back). A body
// that runs longer than luaLoadTimeout is stopped.

// luaLoadTimeout bounds a library body's run (Redis's 500 ms).
const luaLoadTimeout = 500 * time.Millisecond

// luaLibrary is a loaded function library.
type luaLibrary struct {
	name  string
	code  string
	funcs []*luaFunction // in registration order
	// mayselect: the code mentions SELECT (its runs hold every database).
	mayselect bool
}

// luaFunction is a registered function.
type luaFunction struct {
	name  string
	lib   *luaLibrary
	fn    *lua.LFunction
	desc  string
	hasD  bool
	flags scriptFlags
}

// validLuaName reports whether s is a valid library or function name.
func validLuaName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// parseLibraryMeta reads the "#!lua name=<lib>" line; the error is the
// reply text.
func parseLibraryMeta(code string) (string, string) {
	if !strings.HasPrefix(code, "#!") {
		return "", "ERR Missing library metadata"
	}
	line, _, ok := strings.Cut(code, "\n")
	if !ok {
		return "", "ERR Invalid library metadata"
	}
	parts := strings.Split(line, " ")
	engine := strings.TrimPrefix(parts[0], "#!")
	if !strings.EqualFold(engine, "lua") {
		return "", "ERR Engine '" + engine + "' not found"
	}
	name := ""
	for _, p := range parts[1:] {
		if p == "" {
			continue
		}
		v, ok := strings.CutPrefix(p, "name=")
		if !ok {
			return "", "ERR Invalid metadata value given: " + p
		}
		name = v
	}
	if name == "" {
		return "", "ERR Library name was not given"
	}
	if !validLuaName(name) {
		return "", "ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long"
	}
	return name, ""
}

// loadLibrary compiles and runs a library's code and installs it; replace
// allows replacing a library of the same name. REQUIRES: the run lock.
func (e *scriptEngine) loadLibrary(code string, replace bool) (string, string) {
	name, msg := parseLibraryMeta(code)
	if msg != "" {
		return "", msg
	}
	e.libMu.RLock()
	old := e.libs[name]
	e.libMu.RUnlock()
	if old != nil && !replace {
		return "", "ERR Library '" + name + "' already exists"
	}
	// The metadata line is blanked so that line numbers are the code's.
	_, body, _ := strings.Cut(code, "\n")
	proto, err := compileLua("\n"+body, "user_function")
	if err != nil {
		return "", "ERR Error compiling function: " + err.Error()
	}
	vm := e.fnVM
	L := vm.L
	lib := &luaLibrary{name: name, code: code, mayselect: mentionsSelect(code)}
	run := &scriptRun{name: name, kill: make(chan struct{})}
	timer := time.AfterFunc(luaLoadTimeout, func() {
		if run.state.CompareAndSwap(runClean, runKilled) {
			close(run.kill)
		}
	})
	L.SetContext(run)
	vm.loading = lib
	vm.setLoading(true)
	fn := L.NewFunctionFromProto(proto)
	fn.Env = vm.env
	L.Push(fn)
	perr := L.PCall(0, 0, vm.errFn)
	timer.Stop()
	vm.setLoading(false)
	vm.loading = nil
	L.SetTop(0)
	if run.state.Load() == runKilled {
		return "", "ERR FUNCTION LOAD timeout"
	}
	if perr != nil {
		return "", "ERR Error registering functions: " + luaLoadError(perr)
	}
	if len(lib.funcs) == 0 {
		return "", "ERR No functions registered"
	}
	e.libMu.Lock()
	defer e.libMu.Unlock()
	for _, f := range lib.funcs {
		if other := e.funcs[f.name]; other != nil && other.lib.name != name {
			return "", "ERR Function " + f.name + " already exists"
		}
	}
	e.installLocked(lib)
	return name, ""
}

// installLocked adds lib, replacing a library of the same name.
// REQUIRES: libMu.
func (e *scriptEngine) installLocked(lib *luaLibrary) {
	if e.libs == nil {
		e.libs = make(map[string]*luaLibrary)
		e.funcs = make(map[string]*luaFunction)
	}
	if old := e.libs[lib.name]; old != nil {
		for _, f := range old.funcs {
			delete(e.funcs, f.name)
		}
	}
	e.libs[lib.name] = lib
	for _, f := range lib.funcs {
		e.funcs[f.name] = f
	}
}

// luaLoadError is the text of an error raised by a library's body.
func luaLoadError(err error) string {
	if ae, ok := err.(*lua.ApiError); ok {
		if t, ok := ae.Object.(*lua.LTable); ok {
			return luaErrorString(t.RawGetString("err"))
		}
		return luaErrorString(ae.Object)
	}
	return err.Error()
}

// luaRegisterFunction is redis.register_function(name, fn) or
// redis.register_function{function_name=, callback=, flags=, description=}.
func (vm *luaVM) luaRegisterFunction(L *lua.LState) int {
	lib := vm.loading
	fail := func(msg string) int {
		L.Error(luaErrorTable(L, "-"+msg), 1)
		return 0
	}
	if lib == nil {
		return fail("ERR redis.register_function can only be called on FUNCTION LOAD command")
	}
	f := &luaFunction{lib: lib}
	switch L.GetTop() {
	case 1:
		t, ok := L.Get(1).(*lua.LTable)
		if !ok {
			return fail("ERR calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).")
		}
		bad := ""
		t.ForEach(func(k, v lua.LValue) {
			if bad != "" {
				return
			}
			ks, ok := k.(lua.LString)
			if !ok {
				bad = "ERR named argument key given to redis.register_function is not a string"
				return
			}
			switch string(ks) {
			case "function_name":
				s, ok := v.(lua.LString)
				if !ok {
					bad = "ERR function_name argument given to redis.register_function must be a string"
					return
				}
				f.name = string(s)
			case "description":
				s, ok := v.(lua.LString)
				if !ok {
					bad = "ERR description argument given to redis.register_function must be a string"
					return
				}
				f.desc, f.hasD = string(s), true
			case "callback":
				fn, ok := v.(*lua.LFunction)
				if !ok {
					bad = "ERR callback argument given to redis.register_function must be a function"
					return
				}
				f.fn = fn
			case "flags":
				ft, ok := v.(*lua.LTable)
				if !ok {
					bad = "ERR flags argument to redis.register_function must be a table representing function flags"
					return
				}
				var names []string
				ft.ForEach(func(_, fv lua.LValue) {
					s, ok := fv.(lua.LString)
					if !ok {
						bad = "ERR unknown flag given"
					}
					names = append(names, string(s))
				})
				if bad != "" {
					return
				}
				fl, unknown := parseScriptFlags(names)
				if unknown != "" || slices.Contains(names, "") {
					bad = "ERR unknown flag given"
					return
				}
				f.flags = fl
			default:
				bad = "ERR unknown argument given to redis.register_function"
			}
		})
		if bad != "" {
			return fail(bad)
		}
		if f.name == "" {
			return fail("ERR redis.register_function must get a function name argument")
		}
		if f.fn == nil {
			return fail("ERR redis.register_function must get a callback argument")
		}
	case 2:
		s, ok := L.Get(1).(lua.LString)
		if !ok {
			return fail("ERR first argument to redis.register_function must be a string")
		}
		fn, ok := L.Get(2).(*lua.LFunction)
		if !ok {
			return fail("ERR second argument to redis.register_function must be a function")
		}
		f.name, f.fn = string(s), fn
	default:
		return fail("ERR wrong number of arguments to redis.register_function")
	}
	if !validLuaName(f.name) {
		return fail("ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long")
	}
	for _, o := range lib.funcs {
		if o.name == f.name {
			return fail("ERR Function already exists in the library")
		}
	}
	lib.funcs = append(lib.funcs, f)
	return 0
}

// lookupFunction returns the function called name.
func (e *scriptEngine) lookupFunction(name []byte) *luaFunction {
	e.libMu.RLock()
	f := e.funcs[string(name)]
	e.libMu.RUnlock()
	return f
}
