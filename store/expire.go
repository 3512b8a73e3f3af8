package store

import (
	"runtime"
	"time"
)

// Expiry.
//
// Redis expires keys two ways: lazily, when a command touches an expired key,
// and actively, by sampling 20 random keys with a TTL ten times a second and
// repeating while more than a quarter of a sample was stale. Sampling lets up
// to ~10% of the keyspace's memory sit in keys that are already dead.
//
// ember keeps, per shard, a binary min-heap of the entries that have a TTL,
// ordered by absolute expiry time. The active cycle pops exactly the entries
// whose time has passed, so after each cycle no stale key remains (unless a
// cycle ran out of its time budget, which INFO's expired_stale_perc then
// shows). The cost is O(log n) per TTL change, paid under the shard lock the
// write holds anyway, and 4 bytes per entry for its heap position.
//
// Lazy expiry still runs on access: a read that meets an expired entry treats
// it as absent, and a write deletes it (emitting DEL) before acting.
//
// The cycle does not run on a fixed tick: each shard publishes its heap's
// earliest expiry in an atomic, kept side by side with the other shards'
// (DB.nexts), so a cycle checks every shard in a few cache lines without
// taking a lock, and the loop sleeps until the earliest expiry of
// the whole store, at most ActiveExpireInterval and at least
// minExpireGap, and at least three times the last cycle's duration (the
// cycle stays under a quarter of a core, as Redis's slow cycle) unless that
// cycle ran out of budget with keys still due: then the loop rests a
// quarter of the time it took (its wall-clock budget is mostly spent
// waiting for a thread when clients keep every thread busy), and yields every millisecond of work so that clients
// sharing its thread keep running. A write that sets
// a TTL earlier than the loop's next wake-up wakes it. So keys are removed
// (and their "expired" events published) within milliseconds of their
// expiry time, where sampling lets Redis lag by seconds on a large
// keyspace.

// Tuning constants of the active expiry cycle.
const (
	// ActiveExpireInterval is how often the cycle runs (Redis: hz 10).
	ActiveExpireInterval = 100 * time.Millisecond
	// activeExpireBatch is how many keys one shard lock hold may expire,
	// so a burst of expiries never blocks a shard for long.
	activeExpireBatch = 64
	// activeExpireBudget bounds one whole cycle's CPU time (25% of the
	// interval, as Redis's ACTIVE_EXPIRE_CYCLE_SLOW_TIME_PERC).
	activeExpireBudget = ActiveExpireInterval / 4
	// minExpireGap is the shortest sleep between two cycles.
	minExpireGap = time.Millisecond
	// expireDutyFactor: the loop sleeps at least this many times the
	// last cycle's duration (a cycle uses at most 1/(1+factor) of a core);
	// After a cycle that ran out of budget it rests a quarter of the
	// time it took (expireBacklogRestDiv): the cycle's budget is wall
	// time, and under load most of it is spent waiting for a thread.
	expireDutyFactor     = 3
	expireBacklogRestDiv = 4
	// expireYieldEvery is how long a cycle works between yields.
	expireYieldEvery = time.Millisecond
)

// expHeap is a 4-ary min-heap of entries by expireAt; entries know their
// index. Each item carries its entry's expiry beside the pointer, so
// sifting compares contiguous memory instead of chasing each entry (the
// heap's pointer chasing was a sixth of the server's CPU under a stream of
// TTL writes), and a node's four children share a cache line.
type expHeap []expItem

// expItem is one heap slot: the entry and a copy of its expireAt.
type expItem struct {
	at int64
	e  *Entry
}

const expArity = 4

func (h expHeap) swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].e.heapIdx = int32(i)
	h[j].e.heapIdx = int32(j)
}

func (h expHeap) up(j int) {
	it := h[j]
	for j > 0 {
		i := (j - 1) / expArity
		if it.at >= h[i].at {
			break
		}
		h[j] = h[i]
		h[j].e.heapIdx = int32(j)
		j = i
	}
	h[j] = it
	it.e.heapIdx = int32(j)
}

func (h expHeap) down(i int) bool {
	i0 := i
	n := len(h)
	it := h[i]
	for {
		c := expArity*i + 1
		if c >= n {
			break
		}
		m := c
		for k := c + 1; k < c+expArity && k < n; k++ {
			if h[k].at < h[m].at {
				m = k
			}
		}
		if h[m].at >= it.at {
			break
		}
		h[i] = h[m]
		h[i].e.heapIdx = int32(i)
		i = m
	}
	h[i] = it
	it.e.heapIdx = int32(i)
	return i > i0
}

// push adds e (heapIdx must be -1).
func (h *expHeap) push(e *Entry) {
	*h = append(*h, expItem{e.expireAt, e})
	h.up(len(*h) - 1)
}

// remove takes e out of the heap (heapIdx must be valid).
func (h *expHeap) remove(e *Entry) {
	i := int(e.heapIdx)
	n := len(*h) - 1
	if i != n {
		h.swap(i, n)
	}
	(*h)[n] = expItem{}
	*h = (*h)[:n]
	e.heapIdx = -1
	if i != n {
		if !h.down(i) {
			h.up(i)
		}
	}
	if cap(*h) > 64 && len(*h) < cap(*h)/4 {
		*h = append(expHeap(nil), (*h)...)
	}
}

// countDue counts the entries due by now, at most limit. A node after now
// has only later nodes below it, so the walk visits the due nodes and
// their children: O(1) when nothing is due.
func (h expHeap) countDue(now int64, limit int) int {
	var stack [128]int
	todo := stack[:0]
	if len(h) > 0 {
		todo = append(todo, 0)
	}
	n := 0
	for len(todo) > 0 && n < limit {
		i := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		if h[i].at > now {
			continue
		}
		n++
		for c := expArity*i + 1; c <= expArity*i+expArity && c < len(h); c++ {
			todo = append(todo, c)
		}
	}
	return n
}

// fix restores order after e.expireAt changed.
func (h expHeap) fix(e *Entry) {
	i := int(e.heapIdx)
	h[i].at = e.expireAt
	if !h.down(i) {
		h.up(i)
	}
}

// setExpireLocked sets e's absolute expiry (0 removes it) and maintains the
// shard's heap. REQUIRES: the shard's write lock.
func (s *shard) setExpireLocked(e *Entry, at int64) {
	switch {
	case at == 0 && e.heapIdx >= 0:
		e.expireAt = 0
		s.exp.remove(e)
	case at == 0:
		e.expireAt = 0
	case e.heapIdx >= 0:
		e.expireAt = at
		s.exp.fix(e)
	default:
		e.expireAt = at
		s.exp.push(e)
	}
	s.noteNextLocked()
}

// noteNextLocked publishes the heap's earliest expiry (0: none) for the
// lock-free checks of the expiry loop. REQUIRES: the shard's write lock.
func (s *shard) noteNextLocked() {
	var v int64
	if len(s.exp) > 0 {
		v = s.exp[0].at
	}
	if s.next.Load() != v {
		s.next.Store(v)
	}
}

// expiryScheduled wakes the expiry loop when a TTL was set that expires
// before the loop's next planned cycle.
func (st *Store) expiryScheduled(at int64) {
	if at != 0 && at < st.wakeAt.Load() {
		select {
		case st.wake <- struct{}{}:
		default:
		}
	}
}

// expireCycle removes expired entries from every shard of every database,
// at most activeExpireBatch per lock hold, within activeExpireBudget. It
// returns how many keys it expired, whether it ran out of time, and the
// earliest expiry still pending (0: none).
func (st *Store) expireCycle() (n int, timedOut bool, next int64) {
	start := time.Now()
	lastYield := start
	now := st.Now()
	for _, db := range st.readyDBs() {
		for i := range db.nexts {
			for {
				at := db.nexts[i].Load()
				if at == 0 || at > now {
					if at != 0 && (next == 0 || at < next) {
						next = at
					}
					break
				}
				k := st.expireShardBatch(db, &db.shards[i], now)
				now = st.Now()
				n += k
				if k < activeExpireBatch {
					continue // re-read next: the shard may be done
				}
				t := time.Now()
				if t.Sub(start) > activeExpireBudget {
					return n, true, now
				}
				// Yield now and then, not after every batch: under load a
				// yield waits for every runnable client goroutine, and
				// expiry would fall behind the writes.
				if t.Sub(lastYield) > expireYieldEvery {
					runtime.Gosched()
					lastYield = time.Now()
				}
			}
		}
	}
	return n, false, next
}

// expireDelay is how long the loop sleeps after a cycle that took took
// (and timedOut, with keys still due), when the earliest pending expiry is
// next (0: none) and the time is now.
func expireDelay(now, next int64, took time.Duration, timedOut bool) time.Duration {
	d := ActiveExpireInterval
	if next != 0 {
		d = min(d, time.Duration(next-now)*time.Millisecond)
	}
	if timedOut {
		return max(d, minExpireGap, took/expireBacklogRestDiv)
	}
	return max(d, minExpireGap, expireDutyFactor*took)
}

// expireShardBatch deletes up to activeExpireBatch entries of sh that expired
// by now, emitting a DEL for each.
func (st *Store) expireShardBatch(db *DB, sh *shard, now int64) int {
	sh.lockOne()
	defer sh.unlockOne()
	k := 0
	for k < activeExpireBatch && len(sh.exp) > 0 && sh.exp[0].at <= now {
		e := sh.exp[0].e
		db.expireEntryLocked(sh, e)
		st.removedOnOwn(db, e)
		k++
	}
	return k
}

// inlineExpireMax bounds the expired entries a write command removes from
// the shards it holds before unlocking them.
const inlineExpireMax = 8

// expireDueLocked removes up to inlineExpireMax entries of sh that expired
// by now. Every write command calls it for the shards it write-locked, at
// unlock: a shard that is written to sheds its expired keys within a few
// commands even when the expiry loop gets little CPU (one scheduler thread
// shared with many busy clients, a GC cycle), which keeps the share of
// expired-but-present keys near zero under load. When nothing is due it
// costs one atomic load. REQUIRES: sh's write lock.
func (db *DB) expireDueLocked(sh *shard, now int64) {
	if n := sh.next.Load(); n == 0 || n > now {
		return
	}
	for k := 0; k < inlineExpireMax && len(sh.exp) > 0 && sh.exp[0].at <= now; k++ {
		e := sh.exp[0].e
		db.expireEntryLocked(sh, e)
		db.store.removedOnOwn(db, e)
	}
}

// expireEntryLocked deletes an expired entry, counts it, and journals DEL.
// REQUIRES: the shard's write lock.
func (db *DB) expireEntryLocked(sh *shard, e *Entry) {
	sh.deleteLocked(e)
	db.store.stats.ExpiredKeys.Add(1)
	db.store.journal.emitExpired(db.index, e.Key())
}

// staleCount returns how many entries of the store are expired but not yet
// removed, and how many entries have a TTL, for expired_stale_perc.
func (st *Store) staleCount() (stale, volatile int) {
	now := st.Now()
	for _, db := range st.readyDBs() {
		for i := range db.shards {
			if db.nexts[i].Load() == 0 {
				continue // no TTL in this shard
			}
			sh := &db.shards[i]
			sh.lockWalk()
			volatile += len(sh.exp)
			stale += sh.exp.countDue(now, 1024)
			sh.unlockWalk()
		}
	}
	return stale, volatile
}
