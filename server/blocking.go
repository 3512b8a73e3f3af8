package server

import (
	"errors"
	"math"
	"math/big"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/embercache/ember/store"
)

// Blocking commands.
//
// A client whose blocking command (BLPOP, BZPOPMIN, BLMOVE ...) finds
// nothing to do registers a waiter on each key it waits for and parks its
// own goroutine; it holds no lock while waiting and no other goroutine or
// timer exists for it. Waiters on a key form a FIFO queue (an intrusive
// doubly linked list, so unregistering is O(keys) however many wait).
//
// A command that gives a waited-for key data (a push, a key created by
// RENAME, ...) calls signalReady while it holds the key's shard lock. Just
// before that command's Tx releases its locks (store.Tx's before-unlock
// hook), the writing client serves the queues of the keys it signalled, in
// signal order, each in FIFO order, *on behalf of* the waiters: it runs each
// waiter's attempt function with its own Tx (which holds the key's shard)
// and the waiter's Client (its protocol and output buffer), then wakes the
// waiter, whose goroutine only flushes the reply. So a blocked client is
// served atomically with the write that fed it, before any other client can
// take the data, and within a transaction or script only after the last of
// its commands (their Tx unlocks once, at the end), as in Redis.
//
// Which key serves a client blocked on several: Redis (7.0, and its
// documentation) serves it from the first key that received data, not
// from the first of its keys in command order; the attempt learns that key
// from Waiter.Ready and should take from it.
//
// Shards: the attempt needs the ready key's shard (always held: the writer
// signalled under it) and those of the waiter's other keys (Keys, unless
// ReadyOnly, and Also, e.g. BLMOVE's destination). The writer adds a
// shard it does not hold with a non-blocking try-lock (it cannot wait for
// one out of order without risking deadlock); only when that fails is the
// key's serving deferred until right after the writer unlocks (still
// before the writer's reply), with a Tx over the ready key and the
// waiter's keys. In that window another client may take the data first;
// the waiter then stays blocked.
//
// A waiter whose attempt declines (the key now holds a type it does not
// wait for: a string renamed onto it, a list where BZPOPMIN waits) stays
// blocked and is passed over; the others in the queue are still served.
//
// A waiter is claimed by exactly one party through a CAS on its state: the
// client serving it, its own timeout, CLIENT UNBLOCK, or its connection
// closing or being killed. The party that wins writes the reply (if any),
// interrupts the blocked goroutine's wait and closes done. A server that
// claims a waiter only to try its attempt gives the claim back when the
// attempt declines; a timeout or disconnection that falls meanwhile waits
// for the claim to be finished or given back (awaitClaim), then claims it.
//
// A stream deleted or replaced under XREADGROUP clients answers them
// (blocking_gone.go): its key is signalled with gone set, and its waiters
// are tried even if the key is now missing.
//
// While blocked, the goroutine waits for its socket to become readable
// (without a buffer: see waitConn) under a read deadline that is the
// command's timeout. So a client that disconnects is noticed at once and
// unregistered (its waiter must not swallow data nobody will read), a
// timeout costs no timer of its own, and a claimer wakes the goroutine by
// moving the deadline to now. Commands pipelined behind the blocking one
// are read into the query buffer and run after it, as in Redis.
//
// Cost: with no client blocked, signalReady is one atomic load. A blocked
// client costs its parked goroutine's stack, its waiter and queue nodes;
// its read buffer is released while it waits. Measured with 10,000 clients
// blocked in BLPOP: about 0.6 KB of RSS each beyond what the idle
// connection already cost, and no CPU while they wait.

// waiter states.
const (
	waitWaiting int32 = iota
	waitClaimed       // someone is serving, unblocking or timing it out
	waitDone
)

// BlockAttempt tries to run a blocked command on behalf of its client w.C,
// with tx holding the shards of w.Ready, of w.Also and (unless w.ReadyOnly)
// of every key in w.Keys (in db w.DB). It writes the reply to w.C and
// reports true when it did the command's work (or answered it with an
// error); false leaves the client blocked (nothing to take yet, or the key
// holds another type). Writes it makes must be journaled and, if they feed
// other waited keys, signalled with sink.signalReady, like any command's.
type BlockAttempt func(tx *store.Tx, w *Waiter, sink *Client) bool

// Waiter is one blocked client.
type Waiter struct {
	C    *Client
	DB   *store.DB
	Keys [][]byte // copies; the keys it waits on, in command order
	// Also are copies of keys the attempt writes besides the one it takes
	// from (BLMOVE's destination); they are locked for it, not waited on.
	Also [][]byte
	// ReadyOnly says the attempt touches only w.Ready (and Also), not the
	// other keys it waits on, so serving it needs fewer shards.
	ReadyOnly bool
	// Ready is set before each Attempt to the key being served.
	Ready []byte
	// Attempt serves the command; OnTimeout writes the reply for a timeout
	// (or CLIENT UNBLOCK ... TIMEOUT), usually a null.
	Attempt   BlockAttempt
	OnTimeout func(c *Client)
	// OnNoBlock, when set, replies instead of OnTimeout where the client
	// may not block (inside EXEC or a script): BLMOVE answers a null
	// bulk there but a null array on a timeout, as Redis 7.0.
	OnNoBlock func(c *Client)

	state atomic.Int32
	done  chan struct{}
	nodes []waitNode // one per key in Keys (q nil for a repeated key)
}

// waitNode is a waiter's place in one key's queue.
type waitNode struct {
	w          *Waiter
	q          *waitQueue
	prev, next *waitNode
}

// waitQueue is the FIFO of waiters on one key.
type waitQueue struct {
	key        blockKey
	head, tail *waitNode
}

type blockKey struct {
	db  int
	key string
}

// blocking is the server's registry of waiters.
type blocking struct {
	count atomic.Int64 // blocked clients, for the fast path and INFO
	mu    sync.RWMutex
	keys  map[blockKey]*waitQueue
}

func (b *blocking) add(w *Waiter) {
	w.nodes = make([]waitNode, len(w.Keys))
	b.mu.Lock()
	if b.keys == nil {
		b.keys = make(map[blockKey]*waitQueue)
	}
	for i, k := range w.Keys {
		bk := blockKey{w.DB.Index(), string(k)}
		q := b.keys[bk]
		if q == nil {
			q = &waitQueue{key: bk}
			b.keys[bk] = q
		} else if q.tail.w == w {
			continue // the same key twice in one command: queued once
		}
		n := &w.nodes[i]
		n.w, n.q, n.prev = w, q, q.tail
		if q.tail != nil {
			q.tail.next = n
		} else {
			q.head = n
		}
		q.tail = n
	}
	b.mu.Unlock()
	b.count.Add(1)
}

func (b *blocking) remove(w *Waiter) {
	b.mu.Lock()
	for i := range w.nodes {
		n := &w.nodes[i]
		q := n.q
		if q == nil {
			continue
		}
		if n.prev != nil {
			n.prev.next = n.next
		} else {
			q.head = n.next
		}
		if n.next != nil {
			n.next.prev = n.prev
		} else {
			q.tail = n.prev
		}
		if q.head == nil {
			delete(b.keys, q.key)
		}
		*n = waitNode{}
	}
	b.mu.Unlock()
	b.count.Add(-1)
}

// has reports whether anyone waits on key in db.
func (b *blocking) has(db int, key []byte) bool {
	if b.count.Load() == 0 {
		return false
	}
	b.mu.RLock()
	_, ok := b.keys[blockKey{db, string(key)}]
	b.mu.RUnlock()
	return ok
}

// head returns the first still-waiting waiter of a key's queue after
// skipping skip of them; waiters another party has claimed are passed over
// (not removed: their claimer does that).
func (b *blocking) head(db int, key []byte, skip int) *Waiter {
	b.mu.RLock()
	defer b.mu.RUnlock()
	q := b.keys[blockKey{db, string(key)}]
	if q == nil {
		return nil
	}
	for n := q.head; n != nil; n = n.next {
		if n.w.state.Load() == waitWaiting {
			if skip == 0 {
				return n.w
			}
			skip--
		}
	}
	return nil
}

// readyKey is a key signalled by the running command (a copy). skip is,
// for a deferred key, how many waiters at the head of its queue declined
// it already. gone says a stream was removed from the key (blocking_gone.go):
// its waiters are tried even if the key is now missing.
type readyKey struct {
	db   *store.DB
	key  []byte
	skip int
	gone bool
}

// signalReady records that key in db may now serve blocked clients. Call it
// with the key's shard locked, after the write that fed the key.
func (c *Client) signalReady(db *store.DB, key []byte) {
	if !c.srv.blocking.has(db.Index(), key) {
		return
	}
	// Keys already served in this round may be signalled again (a served
	// BLMOVE feeding a key served earlier): only pending ones are deduped.
	for _, rk := range c.readyKeys[c.readyNext:] {
		if rk.db == db && string(rk.key) == string(key) {
			return
		}
	}
	c.readyKeys = append(c.readyKeys, readyKey{db: db, key: append([]byte(nil), key...)})
}

// beforeUnlock is the client's Tx hook: serve what its command fed.
func (c *Client) beforeUnlock(tx *store.Tx) {
	if len(c.readyKeys) == 0 {
		return
	}
	// readyKeys may grow while serving (a served BLMOVE feeds its
	// destination).
	for c.readyNext < len(c.readyKeys) {
		rk := c.readyKeys[c.readyNext]
		c.readyNext++
		if skip, done := c.serveKey(tx, rk, 0, true); !done {
			rk.skip = skip
			c.deferredReady = append(c.deferredReady, rk)
		}
	}
	clear(c.readyKeys)
	c.readyKeys = c.readyKeys[:0]
	c.readyNext = 0
}

// serveKey serves rk's waiters in FIFO order, after the first skip ones,
// while the key has a value (or, for a key whose stream was removed, to
// the end of the queue). A waiter whose attempt declines (the key holds a
// type it does not wait for) is passed over. With tryLock, shards
// the Tx lacks are try-locked. done is false when the next waiter needs a
// shard the Tx does not (or could not) hold: skip then says where the rest
// of the queue starts, for serveDeferred.
func (c *Client) serveKey(tx *store.Tx, rk readyKey, skip int, tryLock bool) (int, bool) {
	for {
		w := c.srv.blocking.head(rk.db.Index(), rk.key, skip)
		if w == nil {
			return skip, true
		}
		if !tryLock {
			if !holdsFor(tx, rk, w) {
				return skip, false // the next waiter needs other shards: new Tx
			}
		} else if !tx.Holds(rk.db, rk.key) || !lockFor(tx, rk, w) {
			return skip, false
		}
		if tx.LookupIn(rk.db, rk.key) == nil && !rk.gone {
			return skip, true // nothing left for anyone
		}
		served, claimed := c.serveWaiter(tx, w, rk.key)
		if claimed && !served {
			skip++
		}
	}
}

// waiterKeys calls fn for each key (in w.DB) whose shard w's attempt
// needs besides the ready key.
func waiterKeys(w *Waiter, fn func(k []byte) bool) bool {
	if !w.ReadyOnly {
		for _, k := range w.Keys {
			if !fn(k) {
				return false
			}
		}
	}
	for _, k := range w.Also {
		if !fn(k) {
			return false
		}
	}
	return true
}

// lockFor makes tx hold every shard w's attempt needs, try-locking those
// it lacks; false if one is busy.
func lockFor(tx *store.Tx, rk readyKey, w *Waiter) bool {
	return waiterKeys(w, func(k []byte) bool { return tx.Holds(w.DB, k) || tx.TryKeyIn(w.DB, k) })
}

// holdsFor reports whether tx holds the shards of rk and of w's keys.
func holdsFor(tx *store.Tx, rk readyKey, w *Waiter) bool {
	return tx.Holds(rk.db, rk.key) && waiterKeys(w, func(k []byte) bool { return tx.Holds(w.DB, k) })
}

// serveWaiter claims w and runs its attempt with tx. claimed is false if
// another party got w first; served says whether the attempt did the work
// (w is then woken and unregistered).
func (c *Client) serveWaiter(tx *store.Tx, w *Waiter, key []byte) (served, claimed bool) {
	if !w.state.CompareAndSwap(waitWaiting, waitClaimed) {
		return false, false
	}
	w.Ready = key
	ok := w.Attempt(tx, w, c)
	w.Ready = nil
	if ok {
		c.srv.blocking.remove(w)
		w.finish()
		return true, true
	}
	w.state.Store(waitWaiting)
	return false, true
}

// finish ends a claimed waiter: the blocked goroutine's wait is
// interrupted, then done is closed (in this order, so that once the
// goroutine sees done it will not be interrupted again).
func (w *Waiter) finish() {
	w.state.Store(waitDone)
	_ = w.C.conn.SetReadDeadline(time.Now())
	close(w.done)
}

// serveDeferred serves ready keys whose waiters needed shards the writing
// command could not take, each waiter with a Tx over the key and the
// waiter's keys. It runs after the command released its locks.
func (c *Client) serveDeferred() {
	for len(c.deferredReady) > 0 {
		rk := c.deferredReady[0]
		c.deferredReady = c.deferredReady[1:]
		for {
			w := c.srv.blocking.head(rk.db.Index(), rk.key, rk.skip)
			if w == nil {
				break
			}
			tx := c.tx
			tx.Begin(rk.db, true)
			tx.KeyIn(rk.db, rk.key)
			waiterKeys(w, func(k []byte) bool { tx.KeyIn(w.DB, k); return true })
			tx.Lock()
			// Serve this waiter and any after it that the same locks cover.
			skip, done := c.serveKey(tx, rk, rk.skip, false)
			tx.Unlock() // may serve (or defer) keys the attempts fed
			if done {
				break
			}
			rk.skip = skip
		}
	}
	c.deferredReady = nil
}

// block parks the client until w is served, times out (timeout 0 waits
// forever), is unblocked, or the connection closes or is killed. Call it
// with tx holding the locks of w.Keys: the waiter is registered before
// they are released, so no write in between can be missed. It releases tx.
// After it returns the handler must not use its args (the query buffer may
// have been refilled while blocked).
//
// Inside EXEC or a script (c.noBlock) it answers at once as for a
// timeout instead.
func (c *Client) block(tx *store.Tx, w *Waiter, timeout time.Duration) {
	if c.noBlock { // inside EXEC or a script: as if timed out at once
		tx.Unlock()
		if w.OnNoBlock != nil {
			w.OnNoBlock(c)
		} else {
			w.OnTimeout(c)
		}
		return
	}
	w.C = c
	w.done = make(chan struct{})
	var deadline time.Time
	if timeout > 0 {
		deadline = time.Now().Add(timeout)
	}
	// The deadline is armed before the waiter is visible: a claimer's
	// interrupt (deadline = now) always comes after it.
	_ = c.conn.SetReadDeadline(deadline)
	// Replies of commands pipelined before this one go out now; the
	// waiter's own reply is written to a fresh buffer by its claimer.
	pending := c.out
	if len(pending) > 0 {
		c.out = nil
	}
	c.srv.blocking.add(w)
	c.waiter.Store(w)
	tx.Unlock()
	if len(pending) > 0 {
		n, err := c.conn.Write(pending)
		c.srv.stats.netOutput.Add(int(c.id), int64(n))
		if err != nil {
			c.closeAfter = true
		}
	}
	c.rd.release()
	c.waitBlocked(w, deadline)
	c.waiter.Store(nil)
	if len(pending) > 0 {
		c.out = append(pending[:0], c.out...)
	}
	select {
	case <-c.stop: // killed or shutting down: leave the deadline alone
	default:
		_ = c.conn.SetReadDeadline(time.Time{})
		c.idleArmed = false
	}
}

// waitBlocked waits until w is done, claiming it itself on timeout, kill
// or disconnection.
func (c *Client) waitBlocked(w *Waiter, deadline time.Time) {
	for {
		select {
		case <-w.done:
			return
		case <-c.stop:
			c.abandon(w)
			return
		default:
		}
		var ev connEvent
		if c.closeAfter {
			ev = connClosed // the pending replies could not be written
		} else {
			ev = waitConn(c, w, deadline)
		}
		switch ev {
		case connData:
			// Commands sent behind the blocking one: keep them for later.
			if err := c.rd.fill(); err != nil {
				if !errors.Is(err, os.ErrDeadlineExceeded) {
					c.closeAfter = true
				}
			}
		case connClosed:
			c.closeAfter = true
			c.abandon(w)
			return
		case connDeadline:
			if !deadline.IsZero() && !time.Now().Before(deadline) {
				c.timeOut(w)
				return
			}
			if w.state.Load() != waitWaiting && awaitClaim(w) {
				return // a claimer finished w
			}
		}
	}
}

// timeOut ends w with its timeout reply, unless another party finishes
// it first. A party may hold w's claim only to try an attempt that
// declines and gives it back: the timeout must then still win.
func (c *Client) timeOut(w *Waiter) {
	for !w.state.CompareAndSwap(waitWaiting, waitClaimed) {
		if awaitClaim(w) {
			return
		}
	}
	c.srv.blocking.remove(w)
	w.OnTimeout(c)
	w.state.Store(waitDone)
	close(w.done)
}

// awaitClaim waits while another party holds w's claim: true once w is
// done, false if the claim was given back (an attempt declined).
func awaitClaim(w *Waiter) bool {
	for w.state.Load() == waitClaimed {
		select {
		case <-w.done:
			return true
		case <-time.After(50 * time.Microsecond):
		}
	}
	if w.state.Load() == waitDone {
		<-w.done
		return true
	}
	return false
}

// abandon unregisters w for a client that is going away (no reply), or
// waits for the claimer that got it first.
func (c *Client) abandon(w *Waiter) {
	for !w.state.CompareAndSwap(waitWaiting, waitClaimed) {
		if awaitClaim(w) {
			return
		}
	}
	c.srv.blocking.remove(w)
	w.state.Store(waitDone)
	close(w.done)
}

// connEvent is what ended a blocked client's wait on its connection.
type connEvent int

const (
	connDeadline connEvent = iota // the read deadline passed (or was moved to now)
	connData                      // the client sent more input
	connClosed                    // EOF or a connection error
)

// waitChan is waitConn for connections that cannot be polled without
// reading (or platforms without a peek): it waits for a claimer, a kill or
// the deadline, and cannot notice a disconnection.
func waitChan(c *Client, w *Waiter, deadline time.Time) connEvent {
	var timer <-chan time.Time
	if !deadline.IsZero() {
		t := time.NewTimer(time.Until(deadline))
		defer t.Stop()
		timer = t.C
	}
	waitStart := time.Now()
	defer func() { c.blockedFor += time.Since(waitStart) }()
	select {
	case <-w.done:
	case <-c.stop:
	case <-timer:
	}
	return connDeadline
}

// unblock ends another client's blocking command (CLIENT UNBLOCK): with
// asError it gets the UNBLOCKED error, otherwise its timeout reply. It
// reports whether the client was blocked.
func (c *Client) unblock(asError bool) bool {
	w := c.waiter.Load()
	if w == nil || !w.state.CompareAndSwap(waitWaiting, waitClaimed) {
		return false
	}
	c.srv.blocking.remove(w)
	// The blocked goroutine does not touch its output buffer until done
	// closes: writing its reply here is safe, and the close publishes it.
	if asError {
		c.WriteError(errUnblockedByClient)
	} else {
		w.OnTimeout(c)
	}
	w.finish()
	return true
}

// BlockTimeout parses a blocking command's timeout argument (seconds) as
// Redis 7.0 does: a long double (hex floats and "inf" included) times
// 1000, rounded up to whole milliseconds as a 64-bit integer; a negative
// result is "timeout is negative", and so is a product beyond the 64-bit
// range (the C conversion yields LLONG_MIN), while a tiny negative like
// -0.0001 rounds up to 0: forever. It replies and returns false when the
// timeout is invalid; 0 means forever (as does a wait longer than a
// time.Duration can hold, ~292 years).
func BlockTimeout(c *Client, arg []byte) (time.Duration, bool) {
	var z big.Float
	if !store.ParseLongDouble(&z, arg) {
		c.WriteError(errTimeoutNotFloat)
		return 0, false
	}
	if z.IsInf() {
		c.WriteError(errTimeoutNegative)
		return 0, false
	}
	z.Mul(&z, big.NewFloat(1000)) // rounded to the 64-bit mantissa, as x87
	ms, acc := z.Int(nil)         // truncated toward zero
	if acc == big.Below {
		ms.Add(ms, big.NewInt(1)) // ceil
	}
	if !ms.IsInt64() || ms.Sign() < 0 {
		c.WriteError(errTimeoutNegative)
		return 0, false
	}
	n := ms.Int64()
	if n > math.MaxInt64/int64(time.Millisecond) {
		return 0, true
	}
	return time.Duration(n) * time.Millisecond, true
}

// signalSwapped signals every waited-for key of databases a and b after
// SWAPDB exchanged their contents (Redis's scanDatabaseForReadyKeys and
// scanDatabaseForDeletedStreams): the waiters stay on their database
// index, whose data changed under them, so each key counts as replaced.
// The caller holds every shard of both, so all are served before it
// unlocks.
func (c *Client) signalSwapped(a, b *store.DB) { c.signalAllGone(a, b) }

// keysOf returns the keys waited on in database db, sorted (so serving
// after SWAPDB is deterministic).
func (b *blocking) keysOf(db int) [][]byte {
	b.mu.RLock()
	var keys []string
	for bk := range b.keys {
		if bk.db == db {
			keys = append(keys, bk.key)
		}
	}
	b.mu.RUnlock()
	slices.Sort(keys)
	out := make([][]byte, len(keys))
	for i, k := range keys {
		out[i] = []byte(k)
	}
	return out
}
