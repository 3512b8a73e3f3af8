package server

import lua "github.com/yuin/gopher-lua"

// redis.call and redis.pcall: running a table command from a script.
//
// The command runs through its ordinary handler on the run's script client
// (scriptClient): a Client with no connection whose Tx is the caller's,
// held over every shard of the run's database(s) (lua_run.go), whose
// database follows SELECT inside the script, and whose protocol is the
// script's (redis.setresp). The handler writes its reply to the script
// client's buffer, which luaParseReply turns into Lua values. Each write
// the handler makes emits its own journal records (Redis 7's effects
// replication); the held Tx delivers a run's records together at the end,
// wrapped in MULTI/EXEC when there are several.

// luaCallArgs converts redis.call's arguments into the script client's
// argument slice; ok is false when one is neither a string nor a number.
func (vm *luaVM) luaCallArgs(L *lua.LState) ([][]byte, bool) {
	n := L.GetTop()
	args := vm.args[:0]
	buf := vm.buf[:0]
	ends := vm.ends[:0]
	for i := 1; i <= n; i++ {
		switch v := L.Get(i).(type) {
		case lua.LString:
			buf = append(buf, string(v)...)
		case lua.LNumber:
			buf = append(buf, luaFormatNumber(v)...)
		default:
			return nil, false
		}
		ends = append(ends, len(buf))
	}
	start := 0
	for _, e := range ends {
		args = append(args, buf[start:e:e])
		start = e
	}
	vm.args, vm.buf, vm.ends = args, buf, ends
	return args, true
}

// redisCall implements redis.call (raise) and redis.pcall.
func (vm *luaVM) redisCall(L *lua.LState, raise bool) int {
	run := vm.run
	fail := func(msg string) int {
		t := luaErrorTable(L, "-"+msg)
		if raise {
			L.Error(t, 1)
		}
		L.Push(t)
		return 1
	}
	if run == nil {
		return fail(errLuaNoRun)
	}
	if L.GetTop() == 0 {
		return fail(errLuaNoArgs)
	}
	sc := run.sc
	args, ok := vm.luaCallArgs(L)
	if !ok {
		return fail(errLuaArgType)
	}
	cmd := vm.srv.cmds.lookupName(args[0])
	if cmd != nil && cmd.subs != nil && len(args) >= 2 {
		if sub := cmd.subcommand(args[1]); sub != nil {
			cmd = sub
		}
	}
	if cmd == nil || cmd.Handler == nil && cmd.subs == nil {
		return fail(errLuaUnknownCommand)
	}
	if (cmd.Arity > 0 && len(args) != cmd.Arity) || len(args) < -cmd.Arity {
		return fail(errLuaWrongArgs)
	}
	if cmd.Flags&FlagNoScript != 0 {
		return fail(errLuaNoScript)
	}
	if cmd.Handler == nil {
		return fail(errLuaUnknownCommand)
	}
	if cmd.Flags&FlagWrite != 0 && run.readOnly {
		return fail(errLuaReadOnly)
	}
	if run.callDeniedOOM(cmd) {
		return fail(errOOM)
	}
	if cmd.Flags&FlagWrite != 0 {
		if !run.state.CompareAndSwap(runClean, runWrote) && run.state.Load() == runKilled {
			L.RaiseError("%s", errScriptKilledCtx.Error())
		}
	}
	sc.resp3 = run.resp3
	sc.out = sc.out[:0]
	sc.runHeld(cmd, args)
	v, _ := luaParseReply(L, sc.out)
	if raise {
		if t, ok := v.(*lua.LTable); ok && len(sc.out) > 0 && sc.out[0] == '-' {
			L.Error(t, 1)
		}
	}
	L.Push(v)
	return 1
}
