package server

import (
	"math"
	"math/big"
	"sync"
	"sync/atomic"
	"time"

	"github.com/embercache/ember/store"
)

// Blocking commands.
//
// A client whose blocking command (BLPOP, BZPOPMIN, BLMOVE, XREAD BLOCK ...)
// finds nothing to do registers a waiter on each key it waits for and parks
// its own goroutine on a channel; it holds no lock while waiting and no
// other goroutine exists for it. Waiters on a key form a FIFO queue.
//
// A command that gives a waited-for key data (a push, a key created by
// RENAME, ...) calls signalReady while it holds the key's shard lock. Just
// before that command's Tx releases its locks (store.Tx's before-unlock
// hook), the writing client serves the queues of the keys it signalled, in
// FIFO order, *on behalf of* the waiters: it runs each waiter's attempt
// function with its own Tx (which holds the key's shard) and the waiter's
// Client (its protocol and output buffer), then wakes the waiter, whose
// goroutine only flushes the reply. So a blocked client is served atomically
// with the write that fed it, before any other client can take the data,
// and within a transaction or script only after the last of its commands
// (their Tx unlocks once, at the end), as in Redis.
//
// When a waiter's attempt needs a shard the writer's Tx does not hold (the
// destination of BLMOVE in another shard), that key's serving continues
// right after the writer unlocks, with a Tx over the key and the waiter's
// keys.
//
// A waiter is claimed by exactly one party through a CAS on its state: the
// server serving it, its own timeout, CLIENT UNBLOCK, or its connection
// closing. The party that wins writes the reply (if any) and closes done.
//
// Cost: with no client blocked, signalReady is one atomic load. A blocked
// client costs its parked goroutine (a few KB of stack), its waiter and
// queue slots; its read buffer is released while it waits.

// waiter states.
const (
	waitWaiting int32 = iota
	waitClaimed       // someone is serving, unblocking or timing it out
	waitDone
)

// BlockAttempt tries to run a blocked command on behalf of its client w.C,
// with tx holding at least the shards of the ready key and of every key in
// w.Keys (in db w.DB). It writes the reply to w.C and reports true when it
// did the command's work; false leaves the client blocked (nothing to take
// yet). Writes it makes must be journaled and, if they feed other waited
// keys, signalled with sink.signalReady, like any command's.
type BlockAttempt func(tx *store.Tx, w *Waiter, sink *Client) bool

// Waiter is one blocked client.
type Waiter struct {
	C    *Client
	DB   *store.DB
	Keys [][]byte // copies; the keys it waits on, in command order
	// Attempt serves the command; OnTimeout writes the reply for a timeout
	// (or CLIENT UNBLOCK ... TIMEOUT), usually a null.
	Attempt   BlockAttempt
	OnTimeout func(c *Client)

	state atomic.Int32
	done  chan struct{}
}

type blockKey struct {
	db  int
	key string
}

// blocking is the server's registry of waiters.
type blocking struct {
	count atomic.Int64 // blocked clients, for the fast path and INFO
	mu    sync.Mutex
	keys  map[blockKey][]*Waiter
}

func (b *blocking) add(w *Waiter) {
	b.mu.Lock()
	if b.keys == nil {
		b.keys = make(map[blockKey][]*Waiter)
	}
	for _, k := range w.Keys {
		bk := blockKey{w.DB.Index(), string(k)}
		b.keys[bk] = append(b.keys[bk], w)
	}
	b.mu.Unlock()
	b.count.Add(1)
}

func (b *blocking) remove(w *Waiter) {
	b.mu.Lock()
	for _, k := range w.Keys {
		bk := blockKey{w.DB.Index(), string(k)}
		q := b.keys[bk]
		for i, x := range q {
			if x == w {
				q = append(q[:i], q[i+1:]...)
				break
			}
		}
		if len(q) == 0 {
			delete(b.keys, bk)
		} else {
			b.keys[bk] = q
		}
	}
	b.mu.Unlock()
	b.count.Add(-1)
}

// has reports whether anyone waits on key in db.
func (b *blocking) has(db int, key []byte) bool {
	if b.count.Load() == 0 {
		return false
	}
	b.mu.Lock()
	_, ok := b.keys[blockKey{db, string(key)}]
	b.mu.Unlock()
	return ok
}

// head returns the first still-waiting waiter of a key's queue, skipping
// (not removing) ones another party has claimed.
func (b *blocking) head(db int, key string, skip int) *Waiter {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for _, w := range b.keys[blockKey{db, key}] {
		if w.state.Load() == waitWaiting {
			if n == skip {
				return w
			}
			n++
		}
	}
	return nil
}

type readyKey struct {
	db  *store.DB
	key string
}

// signalReady records that key in db may now serve blocked clients. Call it
// with the key's shard locked, after the write that fed the key.
func (c *Client) signalReady(db *store.DB, key []byte) {
	if !c.srv.blocking.has(db.Index(), key) {
		return
	}
	for _, rk := range c.readyKeys {
		if rk.db == db && rk.key == string(key) {
			return
		}
	}
	c.readyKeys = append(c.readyKeys, readyKey{db, string(key)})
}

// beforeUnlock is the client's Tx hook: serve what its command fed.
func (c *Client) beforeUnlock(tx *store.Tx) {
	if len(c.readyKeys) == 0 {
		return
	}
	// readyKeys may grow while serving (a served BLMOVE feeds its
	// destination).
	for i := 0; i < len(c.readyKeys); i++ {
		rk := c.readyKeys[i]
		skip := 0
		for {
			w := c.srv.blocking.head(rk.db.Index(), rk.key, skip)
			if w == nil {
				break
			}
			if !tx.Holds(rk.db, []byte(rk.key)) || !holdsAll(tx, w) {
				c.deferredReady = append(c.deferredReady, rk)
				break
			}
			served, claimed := c.serveWaiter(tx, w)
			if !claimed {
				skip++ // lost the race to its timeout; look at the next one
				continue
			}
			if !served {
				break // nothing left in the key for anyone
			}
		}
	}
	c.readyKeys = c.readyKeys[:0]
}

func holdsAll(tx *store.Tx, w *Waiter) bool {
	for _, k := range w.Keys {
		if !tx.Holds(w.DB, k) {
			return false
		}
	}
	return true
}

// serveWaiter claims w and runs its attempt with tx. claimed is false if
// another party got w first; served says whether the attempt did the work
// (w is then woken and unregistered).
func (c *Client) serveWaiter(tx *store.Tx, w *Waiter) (served, claimed bool) {
	if !w.state.CompareAndSwap(waitWaiting, waitClaimed) {
		return false, false
	}
	if w.Attempt(tx, w, c) {
		c.srv.blocking.remove(w)
		w.state.Store(waitDone)
		close(w.done)
		return true, true
	}
	w.state.Store(waitWaiting)
	return false, true
}

// serveDeferred serves ready keys whose waiters needed shards the writing
// command did not hold, each with a Tx over the key and the head waiter's
// keys. It runs after the command released its locks.
func (c *Client) serveDeferred() {
	for len(c.deferredReady) > 0 {
		rk := c.deferredReady[0]
		c.deferredReady = c.deferredReady[1:]
		for {
			w := c.srv.blocking.head(rk.db.Index(), rk.key, 0)
			if w == nil {
				break
			}
			tx := c.tx
			tx.Begin(rk.db, true)
			tx.Key([]byte(rk.key))
			for _, k := range w.Keys {
				tx.KeyIn(w.DB, k)
			}
			tx.Lock()
			served, claimed := c.serveWaiter(tx, w)
			tx.Unlock() // may serve (or defer) keys this one fed
			if claimed && !served {
				break
			}
		}
	}
	c.deferredReady = nil
}

// errUnblocked is the reply of a command ended by CLIENT UNBLOCK ... ERROR.
const errUnblocked = "UNBLOCKED client unblocked via CLIENT UNBLOCK"

// block parks the client until w is served, times out (timeout 0 waits
// forever), is unblocked, or the connection closes. Call it with tx
// holding the locks of w.Keys: the waiter is registered before they are
// released, so no write in between can be missed. It releases tx.
//
// Inside MULTI (or wherever blocking is not allowed) the caller must reply
// as for a timeout instead of calling block.
func (c *Client) block(tx *store.Tx, w *Waiter, timeout time.Duration) {
	w.C = c
	w.done = make(chan struct{})
	c.srv.blocking.add(w)
	c.waiter.Store(w)
	tx.Unlock()
	c.rd.release()

	var timer <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		timer = t.C
	}
	waitStart := time.Now()
	defer func() { c.blockedFor += time.Since(waitStart) }()
	select {
	case <-w.done:
	case <-timer:
		if w.state.CompareAndSwap(waitWaiting, waitClaimed) {
			c.srv.blocking.remove(w)
			w.OnTimeout(c)
			w.state.Store(waitDone)
			close(w.done)
		}
		<-w.done
	case <-c.stop:
		if w.state.CompareAndSwap(waitWaiting, waitClaimed) {
			c.srv.blocking.remove(w)
			w.state.Store(waitDone)
			close(w.done)
		}
		<-w.done
	}
	c.waiter.Store(nil)
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
	// The blocked goroutine is parked until done closes: writing its reply
	// here is safe, and the close publishes it.
	if asError {
		c.WriteError(errUnblocked)
	} else {
		w.OnTimeout(c)
	}
	w.state.Store(waitDone)
	close(w.done)
	return true
}

// BlockTimeout parses a blocking command's timeout argument (seconds, as
// Redis reads it: a long double, hex floats and "inf" included) with
// Redis's errors, replying and returning false when invalid. 0 means
// forever. Like Redis, a value whose millisecond count does not fit in 64
// bits is reported as negative.
func BlockTimeout(c *Client, arg []byte) (time.Duration, bool) {
	var z big.Float
	if !store.ParseLongDouble(&z, arg) {
		c.WriteError(errTimeoutNotFloat)
		return 0, false
	}
	f, _ := z.Float64()
	ms := f * 1000
	if f < 0 || math.IsInf(ms, 0) || ms >= math.MaxInt64 {
		c.WriteError(errTimeoutNegative)
		return 0, false
	}
	d := time.Duration(int64(math.Ceil(ms))) * time.Millisecond
	if d < 0 {
		// Beyond Go's 292-year Duration: effectively forever.
		return 0, true
	}
	return d, true
}
