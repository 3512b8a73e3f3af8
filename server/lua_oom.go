package server

// Scripts and maxmemory, as Redis 7.0 does it.
//
// The dispatcher records whether memory was over maxmemory (after
// evicting) when a command started: Redis's pre_command_oom_state, kept
// per client in Client.oomAtStart. A script run takes it from its caller
// (for a script queued in MULTI, from the EXEC), before the run takes its
// locks, so nothing is evicted while a script holds its shards.
//
//   - A script with a shebang, and a function, is denyoom for the
//     dispatcher unless it declares allow-oom or no-writes (Redis's
//     scriptFlagsToCmdFlags): EVAL/FCALL and EXEC of a transaction holding
//     one are refused with the plain OOM error.
//   - Such a script that reaches its run anyway when out of memory (queued
//     in MULTI before it was loaded) is refused with errScriptOOMFlag.
//   - A script without a shebang runs; redis.call of a denyoom command
//     fails with OOM until the script has made a first write (it cannot
//     stop in the middle of writing). allow-oom lifts the check.

// scriptCmdDenyOOM reports whether EVAL*/FCALL* args is denyoom by its
// script's flags, as Redis's evalGetCommandFlags and fcallGetCommandFlags
// find them: a script that is not cached or whose shebang does not parse,
// and a function that does not exist, keep the command's own flags.
func (c *Client) scriptCmdDenyOOM(cmd *Command, args [][]byte) bool {
	var flags scriptFlags
	e := &c.srv.scripts
	switch cmd.Name {
	case "eval", "eval_ro":
		if s := e.lookupScript([]byte(sha1Hex(args[1]))); s != nil {
			flags = s.flags
		} else if f, _, msg := parseShebang(string(args[1])); msg == "" {
			flags = f
		}
	case "evalsha", "evalsha_ro":
		if s := e.lookupScript(args[1]); s != nil {
			flags = s.flags
		}
	case "fcall", "fcall_ro":
		if f := e.lookupFunction(args[1]); f != nil {
			flags = f.flags | sfShebang
		}
	default:
		return false
	}
	return scriptDeniesOOM(flags)
}

// scriptDeniesOOM reports whether a script with flags may not start when
// out of memory: it has a shebang and neither allow-oom nor no-writes.
func scriptDeniesOOM(flags scriptFlags) bool {
	return flags&sfShebang != 0 && flags&(sfAllowOOM|sfNoWrites) == 0
}

// scriptOOMDenied checks, at the start of a run, the OOM state c's command
// started with against the script's flags, writing the error.
func (c *Client) scriptOOMDenied(flags scriptFlags) bool {
	if c.oomAtStart && scriptDeniesOOM(flags) {
		c.WriteError(errScriptOOMFlag)
		return true
	}
	return false
}

// callDeniedOOM reports whether redis.call of cmd fails with OOM: the run
// started out of memory, cmd is denyoom, the script has not written yet
// and does not declare allow-oom (Redis's scriptVerifyOOM).
func (run *scriptRun) callDeniedOOM(cmd *Command) bool {
	return run.oom && cmd.Flags&FlagDenyOOM != 0 && run.flags&sfAllowOOM == 0 &&
		run.state.Load() == runClean
}
