package server

import (
	"runtime/debug"
	"time"

	"github.com/embercache/ember/store"
)

// Running commands atomically: the primitive under MULTI/EXEC and scripts.
//
// A transaction or script locks up front every shard its commands may
// touch and runs the commands' ordinary handlers with the client's Tx in
// store's held mode (store/tx_held.go): their own Begin/Key/Lock/LockKey/
// LockAll/Unlock calls then take no locks, so no other client sees a
// partial state and nothing can deadlock (all locks are taken at once, in
// ascending order). Journal records of the held commands are delivered
// together at the end, wrapped in MULTI/EXEC when there are several.
//
// Use (EXEC, EVAL):
//
//	cmd, msg := c.srv.resolveCommand(args) // lookup + arity, as the dispatcher
//	c.holdKeys(plan) or c.holdAll()        // lock; the clock is frozen at the caller's
//	c.runHeld(cmd, args)                   // once per command, replies appended to c
//	c.releaseHeld()                        // journal, serve blocked clients, unlock
//
// Scripts hold every shard of every database (holdAll): a script may touch
// keys it did not declare, and may SELECT. A script runs its redis.call()s
// on a child client (c.heldChild) that shares the caller's Tx, server and
// identity and captures replies in its own out buffer; the caller resets
// child.out before each call and parses it after. Inside an EXEC that
// queued a script, the EXEC already holds everything (plan: holdAll for
// scripts), so EVAL must check c.tx.Held() and, when set, run without
// holding again (HoldsAll tells whether a database is covered).
//
// While held, blocking commands answer as if they timed out at once
// (c.noBlock, checked by c.block), as Redis does inside MULTI and scripts.

// resolveCommand finds args' command (or subcommand) in the table and
// checks its arity, as the dispatcher does. On failure it returns the
// error reply; cmd is then the command when one was found (its stats count
// the rejection), nil for an unknown name.
func (s *Server) resolveCommand(args [][]byte) (cmd *Command, errMsg string) {
	cmd = s.cmds.lookupName(args[0])
	if cmd == nil {
		return nil, errUnknownCommand(args)
	}
	if cmd.subs != nil && len(args) >= 2 {
		if sub := cmd.subcommand(args[1]); sub != nil {
			cmd = sub
		} else if cmd.Handler == nil {
			return cmd, errUnknownSubcommand(args[1], cmd.containerName())
		}
	}
	if (cmd.Arity > 0 && len(args) != cmd.Arity) || len(args) < -cmd.Arity || cmd.Handler == nil {
		return cmd, errWrongArity(cmd.Name)
	}
	return cmd, ""
}

// holdAll locks every shard of every database and enters held mode.
func (c *Client) holdAll() {
	st := c.srv.store
	dbs := make([]*store.DB, st.Databases())
	for i := range dbs {
		dbs[i] = st.DB(i)
	}
	c.tx.HoldAll(dbs...)
	c.enterHeld()
}

// holdKeys locks the shards of keys (pairs of database and key) and enters
// held mode; db is the client's database at the start.
func (c *Client) holdKeys(keys []heldKey) {
	tx := c.tx
	tx.Begin(c.db, true)
	for _, k := range keys {
		tx.KeyIn(k.db, k.key)
	}
	tx.Hold()
	c.enterHeld()
}

// heldKey is a key of an atomic plan.
type heldKey struct {
	db  *store.DB
	key []byte
}

func (c *Client) enterHeld() { c.noBlock = true }

// releaseHeld leaves held mode: the batched journal records are
// delivered, clients blocked on keys the commands fed are served, and the
// shards are released.
func (c *Client) releaseHeld() {
	c.tx.Release()
	c.noBlock = false
}

// runHeld runs one resolved command (arity checked) with c's held Tx,
// appending its reply to c, and counts it in the command's stats (calls,
// failures) as Redis counts the commands of a transaction or script. The
// clock stays the one the caller froze. A panicking handler answers an
// error and leaves the locks held for the rest of the transaction.
func (c *Client) runHeld(cmd *Command, args [][]byte) {
	errs := c.errors
	start := time.Now()
	c.tx.SetCommand(cmd.Name, args)
	func() {
		defer func() {
			if r := recover(); r != nil {
				c.srv.log.Error("command panicked", "cmd", cmd.Name, "panic", r, "stack", string(debug.Stack()))
				c.WriteError("ERR internal error in '" + cmd.Name + "'")
			}
		}()
		if c.trk != nil && c.trk.on {
			c.trackRead(cmd, args) // EXEC's commands
		}
		cmd.Handler(c, args)
	}()
	usec := time.Since(start).Microseconds()
	cmd.stats.call(int(c.id), usec, c.errors != errs)
	c.srv.stats.commandsProcessed.Add(int(c.id), 1)
	c.srv.observe(c, cmd, args, usec) // slow log, latency, MONITOR
	if c.parent != nil && len(c.readyKeys) > 0 {
		// Keys the child fed are served by the parent's Tx at release.
		for _, rk := range c.readyKeys {
			c.parent.signalReady(rk.db, rk.key)
		}
		clear(c.readyKeys)
		c.readyKeys = c.readyKeys[:0]
	}
}

// heldChild returns a client for a script's calls: it shares c's server,
// Tx (held by the caller), database, id, user and authentication, speaks
// RESP3 when resp3 is set, never blocks, and writes replies to its own out
// buffer, which the caller reads and resets. SELECT on the child changes
// only the child's database. It has no connection: commands that need one
// (flagged noscript) must not be run on it. MONITOR names it "lua"
// (monitor.go).
func (c *Client) heldChild(resp3 bool) *Client {
	ch := &Client{
		srv:     c.srv,
		conn:    c.conn,
		id:      c.id,
		tx:      c.tx,
		db:      c.db,
		resp3:   resp3,
		authed:  true,
		noBlock: true,
		parent:  c,
		created: c.created,
		laddr:   c.laddr,
		raddr:   c.raddr,
		user:    c.user,
		stop:    c.stop,
	}
	ch.dbIndex.Store(int64(c.db.Index()))
	return ch
}
