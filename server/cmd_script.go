package server

import (
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// numkeysKeys finds the keys of EVAL-like commands: "cmd x numkeys key ...".
func numkeysKeys(args [][]byte) []int {
	if len(args) < 3 {
		return nil
	}
	n, ok := parseInt(args[2])
	if !ok || n <= 0 || n > int64(len(args)-3) {
		return nil
	}
	out := make([]int, n)
	for i := range out {
		out[i] = 3 + i
	}
	return out
}

// parseNumkeys checks EVAL's and FCALL's numkeys, writing the error.
func (c *Client) parseNumkeys(args [][]byte) (int, bool) {
	n, ok := parseInt(args[2])
	switch {
	case !ok:
		c.WriteError(errNotInteger)
	case n > int64(len(args)-3):
		c.WriteError(errNumkeysTooMany)
	case n < 0:
		c.WriteError(errNumkeysNegative)
	default:
		return int(n), true
	}
	return 0, false
}

// EVAL script numkeys [key ...] [arg ...]
func cmdEval(c *Client, args [][]byte) { evalGeneric(c, args, false, false) }

// EVALSHA sha1 numkeys [key ...] [arg ...]
func cmdEvalsha(c *Client, args [][]byte) { evalGeneric(c, args, true, false) }

// EVAL_RO script numkeys [key ...] [arg ...]
func cmdEvalRo(c *Client, args [][]byte) { evalGeneric(c, args, false, true) }

// EVALSHA_RO sha1 numkeys [key ...] [arg ...]
func cmdEvalshaRo(c *Client, args [][]byte) { evalGeneric(c, args, true, true) }

func evalGeneric(c *Client, args [][]byte, bySHA, ro bool) {
	c.feedSelf(args) // before the script's commands, as in Redis (monitor.go)
	numkeys, ok := c.parseNumkeys(args)
	if !ok {
		return
	}
	e := &c.srv.scripts
	e.init(c.srv)
	var s *luaScript
	if bySHA {
		if s = e.lookupScript(args[1]); s == nil {
			c.WriteError(errNoScript)
			return
		}
	} else {
		var msg string
		if s, msg = e.loadScript(args[1]); s == nil {
			c.WriteError(msg)
			return
		}
	}
	if s.flags&sfShebang != 0 && s.flags&sfNoWrites == 0 && ro {
		c.WriteError(errScriptWriteFlagRO)
		return
	}
	if c.scriptOOMDenied(s.flags) {
		return
	}
	vm := e.evalVM
	run := &scriptRun{name: s.sha, eval: true, flags: s.flags, oom: c.oomAtStart,
		readOnly: ro || s.flags&sfNoWrites != 0}
	keys, argv := args[3:3+numkeys], args[3+numkeys:]
	e.runLua(c, vm, run, s.mayselect, func(L *lua.LState) int {
		vm.setArgTables(keys, argv)
		fn := L.NewFunctionFromProto(s.proto)
		fn.Env = vm.env
		L.Push(fn)
		return 0
	})
}

// setArgTables sets the KEYS and ARGV globals for the next run.
func (vm *luaVM) setArgTables(keys, argv [][]byte) {
	vm.globals.RawSetString("KEYS", luaStrings(vm.L, keys))
	vm.globals.RawSetString("ARGV", luaStrings(vm.L, argv))
}

// luaStrings makes a Lua array of strings.
func luaStrings(L *lua.LState, items [][]byte) *lua.LTable {
	t := L.CreateTable(len(items), 0)
	for i, it := range items {
		t.RawSetInt(i+1, lua.LString(it))
	}
	return t
}

// SCRIPT EXISTS sha1 [sha1 ...]
func cmdScriptExists(c *Client, args [][]byte) {
	e := &c.srv.scripts
	c.WriteArray(len(args) - 2)
	for _, sha := range args[2:] {
		if e.lookupScript(sha) != nil {
			c.WriteInt(1)
		} else {
			c.WriteInt(0)
		}
	}
}

// SCRIPT FLUSH [ASYNC|SYNC]
func cmdScriptFlush(c *Client, args [][]byte) {
	if !flushModeOK(args) {
		c.WriteError(errScriptFlushMode)
		return
	}
	c.srv.scripts.flushScripts()
	c.WriteOK()
}

// flushModeOK checks the optional ASYNC|SYNC of SCRIPT/FUNCTION FLUSH.
func flushModeOK(args [][]byte) bool {
	switch len(args) {
	case 2:
		return true
	case 3:
		return eqFold(args[2], "async") || eqFold(args[2], "sync")
	}
	return false
}

var scriptHelp = []string{
	"SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"DEBUG (YES|SYNC|NO)",
	"    Set the debug mode for subsequent scripts executed.",
	"EXISTS <sha1> [<sha1> ...]",
	"    Return information about the existence of the scripts in the script cache.",
	"FLUSH [ASYNC|SYNC]",
	"    Flush the Lua scripts cache. Very dangerous on replicas.",
	"    When called without the optional mode argument, the behavior is determined by the",
	"    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
	"    * ASYNC: Asynchronously flush the scripts cache.",
	"    * SYNC: Synchronously flush the scripts cache.",
	"KILL",
	"    Kill the currently executing Lua script.",
	"LOAD <script>",
	"    Load a script into the scripts cache without executing it.",
	"HELP",
	"    Prints this help.",
}

// SCRIPT DEBUG YES|SYNC|NO: ember has no Lua debugger; NO (the default)
// is accepted.
func cmdScriptDebug(c *Client, args [][]byte) {
	switch {
	case eqFold(args[2], "no"):
		c.WriteOK()
	case eqFold(args[2], "yes"), eqFold(args[2], "sync"):
		c.WriteError(errScriptDebugUnsupported)
	default:
		c.WriteError(errScriptDebugArg)
	}
}

// SCRIPT HELP
func cmdScriptHelp(c *Client, args [][]byte) { c.writeHelp(scriptHelp) }

// SCRIPT KILL
func cmdScriptKill(c *Client, args [][]byte) { c.killRun(true) }

// SCRIPT LOAD script
func cmdScriptLoad(c *Client, args [][]byte) {
	e := &c.srv.scripts
	s, msg := e.loadScript(args[2])
	if s == nil {
		c.WriteError(msg)
		return
	}
	c.WriteBulkString(s.sha)
}

// mentionsSelect reports whether code contains "select" in any case: a
// script that may switch databases holds all of them for its run.
func mentionsSelect(code string) bool {
	return strings.Contains(strings.ToLower(code), "select")
}
