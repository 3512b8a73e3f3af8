package server

import "github.com/embercache/ember/store"

// Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH (Redis's multi.c).
//
// After MULTI, commands are checked as the dispatcher checks them (unknown
// command, arity, authentication, no-multi flag ...) and queued, answering
// QUEUED; a rejected command makes EXEC answer EXECABORT. EXEC runs the
// queued commands atomically with the primitive of atomic.go: it locks the
// shards of every key the commands name (from the command table's key
// positions, as COMMAND GETKEYS finds them) at once, in ascending order,
// and runs each handler with the Tx held. Commands whose keys cannot be
// known before they run, or that walk the whole keyspace or another
// database (needsAllShards), make the EXEC hold every shard of every
// database instead: slower (see cmd_multi_test.go's benchmarks) but
// equally atomic and deadlock-free. A command failing at run time does not
// stop the others. Blocking commands answer at once, as if timed out.
//
// WATCH is driven by the journal (watch.go): a registry maps watched keys
// to the clients watching them; a journal subscriber, present only while
// some key is watched, marks a client dirty when a record touches one of
// its keys (writes, expiry and eviction DELs, FLUSHDB/FLUSHALL/SWAPDB of
// the key's database). EXEC checks the dirty mark, and whether a watched
// key's TTL passed since WATCH (as Redis 7.0 does), under the locks of the
// transaction, which include the watched keys' shards.

// multiState is a client's transaction while in MULTI.
type multiState struct {
	cmds    []queuedCmd
	aborted bool // a command was rejected: EXEC answers EXECABORT
	// scriptDeny: a queued EVAL*/FCALL* was denyoom by its script's flags
	// when queued (Redis accumulates the flags at queue time).
	scriptDeny bool
	mem        int64
}

// queuedCmd is one queued command with its own copy of the arguments.
type queuedCmd struct {
	cmd  *Command
	args [][]byte
}

// denyOOM reports whether a queued command is refused when out of memory.
func (m *multiState) denyOOM() bool {
	if m.scriptDeny {
		return true
	}
	for _, q := range m.cmds {
		if q.cmd.Flags&FlagDenyOOM != 0 {
			return true
		}
	}
	return false
}

// queue queues cmd inside MULTI and answers QUEUED, or rejects it; it
// reports false for the commands that run at once even inside MULTI.
func (c *Client) queue(cmd *Command, args [][]byte) bool {
	switch cmd.Name {
	case "exec", "discard", "multi", "watch", "quit", "reset":
		return false
	}
	if cmd.Flags&FlagNoMulti != 0 {
		c.reject(cmd, errNoMulti)
		return true
	}
	cp := copyKeys(args) // args alias the read buffer
	n := 0
	for _, a := range args {
		n += len(a)
	}
	m := c.multi
	if c.scriptCmdDenyOOM(cmd, args) {
		m.scriptDeny = true
	}
	m.cmds = append(m.cmds, queuedCmd{cmd: cmd, args: cp})
	m.mem += int64(n) + int64(len(args))*24 + 48
	c.multiN.Store(int64(len(m.cmds)))
	c.multiMem.Store(m.mem)
	c.WriteSimple("QUEUED")
	return true
}

// MULTI
func cmdMulti(c *Client, args [][]byte) {
	if c.multi != nil {
		c.WriteError(errMultiNested)
		return
	}
	c.multi = &multiState{}
	c.multiN.Store(0)
	c.multiMem.Store(0)
	c.WriteOK()
}

// endMulti leaves MULTI (EXEC, DISCARD, RESET).
func (c *Client) endMulti() {
	c.multi = nil
	c.multiN.Store(-1)
	c.multiMem.Store(0)
}

// execAbort answers an EXEC refused before it ran (arity,
// authentication ...), ending the transaction if any, as Redis's
// execCommandAbort.
func (c *Client) execAbort(msg string) {
	c.endMulti()
	c.unwatchAll()
	c.WriteError(errExecAbortBecause(msg))
}

// DISCARD
func cmdDiscard(c *Client, args [][]byte) {
	if c.multi == nil {
		c.WriteError(errDiscardNoMulti)
		return
	}
	c.endMulti()
	c.unwatchAll()
	c.WriteOK()
}

// EXEC
func cmdExec(c *Client, args [][]byte) {
	m := c.multi
	if m == nil {
		c.WriteError(errExecNoMulti)
		return
	}
	c.endMulti()
	if m.aborted {
		c.unwatchAll()
		c.WriteError(errExecAbort)
		return
	}
	c.holdFor(m.cmds)
	// Under the locks, which cover the watched keys: a write to one either
	// marked c dirty before we locked, or comes after the transaction.
	failed := c.watchFailed()
	c.unwatchAll()
	if failed {
		c.releaseHeld()
		c.WriteNullArray()
		return
	}
	c.WriteArray(len(m.cmds))
	for _, q := range m.cmds {
		c.runHeld(q.cmd, q.args)
	}
	c.releaseHeld()
}

// holdFor enters held mode over what cmds need: the shards of their keys
// and of the watched keys; or, when one of them needs it, every shard of
// each database the transaction may reach (the client's, those named by
// SELECT, SWAPDB, MOVE and COPY ... DB; all of them for FLUSHALL, INFO
// and scripts), and the watched keys' shards in other databases.
func (c *Client) holdFor(cmds []queuedCmd) {
	all, every := false, false
	var dbs []bool
	for _, q := range cmds {
		if !needsAllShards(q.cmd, q.args) {
			continue
		}
		if !all {
			all = true
			dbs = make([]bool, c.srv.store.Databases())
			dbs[c.db.Index()] = true
		}
		every = every || reachedDBs(q.cmd, q.args, dbs)
	}
	if all && every {
		c.holdAll()
		return
	}
	if all {
		var held []*store.DB
		for i, ok := range dbs {
			if ok {
				held = append(held, c.srv.store.DB(i))
			}
		}
		c.tx.HoldAll(held...)
		for _, w := range c.watched {
			if !dbs[w.db] && !c.tx.TryKeyIn(c.srv.store.DB(w.db), []byte(w.key)) {
				// Out of order and busy: hold everything instead.
				c.tx.Release()
				c.holdAll()
				return
			}
		}
		c.enterHeld()
		return
	}
	keys := make([]heldKey, 0, len(cmds)+len(c.watched))
	for _, q := range cmds {
		for _, i := range q.cmd.keyPositions(q.args) {
			keys = append(keys, heldKey{c.db, q.args[i]})
		}
	}
	for _, w := range c.watched {
		keys = append(keys, heldKey{c.srv.store.DB(w.db), []byte(w.key)})
	}
	c.holdKeys(keys)
}

// reachedDBs marks in dbs the databases a command needing every shard may
// reach besides the client's; it reports true when that may be any.
func reachedDBs(cmd *Command, args [][]byte, dbs []bool) bool {
	mark := func(a []byte) {
		if i, ok := parseDBIndex(a); ok && i >= 0 && i < len(dbs) {
			dbs[i] = true
		}
	}
	switch cmd.Name {
	case "select":
		mark(args[1])
	case "move":
		mark(args[2])
	case "swapdb":
		mark(args[1])
		mark(args[2])
	case "copy":
		for i := 3; i+1 < len(args); i++ {
			if eqFold(args[i], "db") {
				mark(args[i+1])
			}
		}
	case "flushall", "info", "eval", "eval_ro", "evalsha", "evalsha_ro", "fcall", "fcall_ro":
		return true
	}
	return false
}

// needsAllShards reports whether a queued command needs every shard of
// every database held: its keys are not all in its key positions, or it
// walks the keyspace, or reaches another database (SELECT changes the
// database of the commands after it).
func needsAllShards(cmd *Command, args [][]byte) bool {
	switch cmd.Name {
	case "select", "move", "swapdb", "flushdb", "flushall", "keys", "scan",
		"randomkey", "dbsize", "info", "memory|stats",
		"eval", "eval_ro", "evalsha", "evalsha_ro", "fcall", "fcall_ro",
		"sort", "sort_ro":
		return true
	case "copy":
		return len(args) > 3 && hasWord(args[3:], "db")
	}
	// A keyless command that reads or writes the keyspace walks it.
	return cmd.FirstKey <= 0 && cmd.GetKeys == nil && cmd.Flags&(FlagWrite|FlagReadonly) != 0
}

// WATCH key [key ...]
func cmdWatch(c *Client, args [][]byte) {
	if c.multi != nil {
		c.WriteError(errWatchInMulti)
		return
	}
	c.srv.watches.watch(c, args[1:])
	c.WriteOK()
}

// UNWATCH
func cmdUnwatch(c *Client, args [][]byte) {
	c.unwatchAll()
	c.WriteOK()
}

// unwatchAll forgets c's watched keys and their dirty mark.
func (c *Client) unwatchAll() {
	if len(c.watched) > 0 {
		c.srv.watches.unwatch(c)
	}
	c.casDirty.Store(false)
}

// watchFailed reports whether EXEC must fail for c's WATCHes: a watched
// key changed, or its TTL passed since WATCH. REQUIRES: c's Tx held over
// the watched keys.
func (c *Client) watchFailed() bool {
	if len(c.watched) == 0 {
		return false
	}
	if c.casDirty.Load() {
		return true
	}
	for _, w := range c.watched {
		if w.expired {
			continue // already expired at WATCH: no logical change
		}
		if c.tx.ExpiredIn(c.srv.store.DB(w.db), []byte(w.key)) {
			return true
		}
	}
	return false
}
