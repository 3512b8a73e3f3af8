package server

import (
	"sync"

	"github.com/embercache/ember/store"
)

// Clients blocked on a stream that goes away.
//
// Redis 7.0 answers a client blocked in XREADGROUP with "UNBLOCKED the
// stream key no longer exists" when its stream is deleted or replaced
// while it waits: DEL, UNLINK, SET or any value stored over it, RENAME
// or MOVE away, expiry, eviction, FLUSHDB/FLUSHALL, SWAPDB (a key whose
// stream was replaced by another stream answers NOGROUP if that stream
// lacks the group, or is served from it). XREAD without a group, BLPOP and BZPOPMIN
// keep waiting.
//
// The store tells the Tx's owner of every stream it removes (store's
// gone.go); the client signals the key as ready with gone set, so that
// serveKey tries its waiters even if the key is now missing, under the
// same locks and at the same point as for a write that feeds a key (at the
// end of a transaction or script, after its last command: DEL then XADD in
// one MULTI answers NOGROUP, as in Redis). XREADGROUP's attempt answers
// UNBLOCKED for a missing key or one of another type, NOGROUP for a stream
// without its group; the other blocked commands decline a missing key and
// stay blocked. Removals the store makes on its own (active expiry, the
// expiry of due entries when a write unlocks, eviction) have no client to
// serve them: the key is queued, and a short-lived goroutine serves it
// with a client of its own.
//
// Cost: with no client blocked, a removed stream costs signalReady's one
// atomic load; removing any other kind costs a comparison in the store.

// signalGone records that a stream was removed from key in db (the Tx
// hook): its waiters are tried before the command's locks are released.
func (c *Client) signalGone(db *store.DB, key []byte) {
	if !c.srv.blocking.has(db.Index(), key) {
		return
	}
	for i := c.readyNext; i < len(c.readyKeys); i++ {
		if rk := &c.readyKeys[i]; rk.db == db && string(rk.key) == string(key) {
			rk.gone = true
			return
		}
	}
	c.readyKeys = append(c.readyKeys, readyKey{db: db, key: append([]byte(nil), key...), gone: true})
}

// signalAllGone signals every waited-for key of dbs as gone, after their
// whole contents were dropped or exchanged (FLUSHDB, FLUSHALL, SWAPDB). The
// caller holds every shard of dbs. Keys are signalled in sorted order, so
// serving is deterministic.
func (c *Client) signalAllGone(dbs ...*store.DB) {
	if c.srv.blocking.count.Load() == 0 {
		return
	}
	for _, db := range dbs {
		for _, k := range c.srv.blocking.keysOf(db.Index()) {
			c.signalGone(db, k)
		}
	}
}

// goneQueue holds stream keys the store removed on its own while clients
// waited on them, until a goroutine serves them.
type goneQueue struct {
	mu      sync.Mutex
	keys    []readyKey
	running bool // a drainGone goroutine is serving the queue
}

// streamRemoved is the store's hook for streams it removes on its own
// (active expiry, expiry at a write's unlock, eviction): it runs under the
// key's shard lock, maybe after the writer's waiters were served, so it
// only queues the key.
func (s *Server) streamRemoved(db *store.DB, key []byte) {
	if !s.blocking.has(db.Index(), key) {
		return
	}
	q := &s.goneKeys
	q.mu.Lock()
	q.keys = append(q.keys, readyKey{db: db, key: append([]byte(nil), key...), gone: true})
	start := !q.running
	q.running = true
	q.mu.Unlock()
	if start {
		go s.drainGone()
	}
}

// drainGone serves the queued removed streams' waiters, each key with a
// Tx over it, as the writer of a deleted key would, then exits.
func (s *Server) drainGone() {
	c := &Client{srv: s, tx: store.NewTx(s.store), db: s.store.DB(0)}
	c.tx.SetBeforeUnlock(c.beforeUnlock)
	c.tx.SetStreamGone(c.signalGone)
	q := &s.goneKeys
	for {
		q.mu.Lock()
		keys := q.keys
		q.keys = nil
		if len(keys) == 0 {
			q.running = false
			q.mu.Unlock()
			return
		}
		q.mu.Unlock()
		for _, rk := range keys {
			c.tx.LockKey(rk.db, rk.key, true)
			c.signalGone(rk.db, rk.key)
			c.tx.Unlock() // serves it
			c.serveDeferred()
		}
	}
}
