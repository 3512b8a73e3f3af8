package store

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/embercache/ember/eviction"
)

// Eviction.
//
// When used memory passes maxmemory, the server calls Evict before running
// a command. The store samples candidates (maxmemory-samples entries of a
// random shard per database and round, from the shard's table for the
// allkeys policies or its expiry heap for the volatile ones), scores them
// with the policy (package eviction) into Redis's eviction pool, and
// deletes the best candidate under its shard's write lock, journaling a
// DEL with Cause evicted. Only one shard is locked at a time and readers of
// other shards never wait; one evictor runs at a time (evictor.mu).
//
// A candidate whose access word changed since it was sampled was used in
// the meantime: it is dropped from the pool rather than evicted (Redis
// evicts on the stale score).
//
// The TinyLFU policies add admission: every entry created while they are
// in force is noted in a small ring, and when an eviction is due for it,
// the newcomer and the best sampled victim compare their sketch frequency;
// the less frequent one goes. A key seen once (a scan, a one-hit key) thus
// does not push out a key in regular use.
//
// Eviction stops after a time budget set by maxmemory-eviction-tenacity
// (Redis's evictionTimeLimitUs); the rest continues in the background
// while commands run, as Redis's eviction time proc.

// EvictStatus is the outcome of Evict.
type EvictStatus uint8

// Evict outcomes (Redis's EVICT_OK, EVICT_RUNNING, EVICT_FAIL).
const (
	EvictOK      EvictStatus = iota // memory is within the target
	EvictRunning                    // over, but eviction goes on in the background
	EvictFail                       // over, and nothing (more) can be evicted
)

// newcomerRing is the number of recent entries TinyLFU may consider.
const newcomerRing = 64

// sketchBytesPerKey sizes the TinyLFU sketch: it is made for maxmemory /
// sketchBytesPerKey keys (two bytes of counters each, rounded up to a
// power of two), about twice the keys of ~100-byte values that fit, so
// it also counts keys that are requested but do not fit: their counts are
// what admission compares. The sketch is part of used_memory (2-5% of
// maxmemory, by the rounding). Measured on the cache-aside traces (a million keys, 100-byte
// values, 21 MB): against half this size, the collisions cost more hit
// ratio (zipf-0.99 0.826 vs 0.830 in simulation) than the ~5,000 keys the
// sketch's extra 512 KB would hold.
const sketchBytesPerKey = 64

// evictCand is an eviction pool item: an entry, the shard it was found in
// (whose db field names its database), its key's hash (read under that
// shard's lock: entries do not keep it, and their key bytes may only be
// read under the lock) and its access word when sampled.
type evictCand struct {
	e    *Entry
	sh   *shard
	h    uint64
	word uint32
}

type newcomer struct {
	e  atomic.Pointer[Entry]
	sh atomic.Pointer[shard]
}

// holdsLocked reports whether e is still in s's table, and its key's hash.
// REQUIRES: s locked.
func (s *shard) holdsLocked(e *Entry) (bool, uint64) {
	h := s.tab.hashOf(e.Key())
	return s.tab.lookup(h, e.Key()) == e, h
}

// evictor is the eviction state of a Store.
type evictor struct {
	policy atomic.Uint32 // eviction.Policy
	mu     sync.Mutex    // one evictor at a time; guards what follows
	pool   eviction.Pool[evictCand]
	rng    *rand.Rand
	// The TinyLFU newcomers: written at newPos by inserts, read from
	// newRead by the evictor.
	ring    [newcomerRing]newcomer
	newPos  atomic.Uint64
	newRead uint64
	// background is set while a background eviction runs; bgTarget is
	// its target.
	background atomic.Bool
	bgTarget   atomic.Int64
	// live caches the databases that hold keys (counting a database's
	// keys takes a load per shard), refreshed every liveRefresh.
	live   []*DB
	liveAt time.Time
}

// liveRefresh is how long the evictor trusts its list of non-empty
// databases.
const liveRefresh = 100 * time.Millisecond

// liveDBs returns the databases that held keys recently. REQUIRES: ev.mu.
func (st *Store) liveDBs(refresh bool) []*DB {
	ev := &st.ev
	if refresh || time.Since(ev.liveAt) > liveRefresh {
		ev.live = ev.live[:0]
		for _, db := range st.readyDBs() {
			if db.Len() > 0 {
				ev.live = append(ev.live, db)
			}
		}
		ev.liveAt = time.Now()
	}
	return ev.live
}

// SetEviction sets the maxmemory policy and its parameters. limit is the
// keyspace's byte budget (it sizes the TinyLFU sketch; 0 when unlimited).
// Access words already stored keep their layout until next touched.
func (st *Store) SetEviction(p eviction.Policy, params eviction.Params, limit int64) {
	old := st.access.Load()
	m := &accessMode{meta: p.Metadata(), params: params}
	if p.Sketched() {
		keys := int(min(max(limit/sketchBytesPerKey, st.totalKeys()), 1<<26))
		if old != nil && old.sketch != nil && old.sketch.Keys() >= keys {
			m.sketch = old.sketch
		} else {
			m.sketch = eviction.NewSketch(keys)
		}
	}
	st.access.Store(m)
	st.admitting.Store(p.Sketched() && limit > 0)
	st.ev.mu.Lock()
	if eviction.Policy(st.ev.policy.Load()) != p {
		st.ev.pool.Reset()
	}
	st.ev.policy.Store(uint32(p))
	st.ev.mu.Unlock()
}

// EvictionMemory returns the bytes the eviction policy itself holds (the
// TinyLFU sketch), part of used_memory.
func (st *Store) EvictionMemory() int64 {
	if sk := st.access.Load().sketch; sk != nil {
		return sk.Bytes()
	}
	return 0
}

// Policy returns the maxmemory policy in force.
func (st *Store) Policy() eviction.Policy { return eviction.Policy(st.ev.policy.Load()) }

func (st *Store) totalKeys() int64 {
	var n int64
	for _, db := range st.readyDBs() {
		n += db.Len()
	}
	return n
}

// noteNewcomer offers a just-created entry for TinyLFU admission.
func (st *Store) noteNewcomer(sh *shard, e *Entry) {
	i := st.ev.newPos.Add(1) - 1
	slot := &st.ev.ring[i%newcomerRing]
	slot.sh.Store(sh)
	slot.e.Store(e)
}

// evictTimeLimit is Redis's evictionTimeLimitUs for a tenacity: 50 µs per
// step up to 10, then 15% more per step; 100 means no limit.
func evictTimeLimit(tenacity int) time.Duration {
	if tenacity <= 10 {
		return time.Duration(50*max(tenacity, 0)) * time.Microsecond
	}
	if tenacity >= 100 {
		return time.Duration(1<<63 - 1)
	}
	us := 500.0
	for i := 10; i < tenacity; i++ {
		us *= 1.15
	}
	return time.Duration(us) * time.Microsecond
}

// Evict deletes keys by the policy until the keyspace holds at most target
// bytes. It returns EvictOK when it does, EvictFail when the policy is
// noeviction or no candidate is left, and EvictRunning when its time
// budget ran out and a background eviction continues.
func (st *Store) Evict(target int64) EvictStatus {
	if st.used.Load() <= target {
		return EvictOK
	}
	p := st.Policy()
	if !p.Evicts() {
		return EvictFail
	}
	if st.ev.background.Load() {
		st.ev.bgTarget.Store(target)
		return EvictRunning
	}
	limit := evictTimeLimit(st.access.Load().params.Tenacity)
	status := st.evictFor(target, limit)
	if status == EvictRunning && st.ev.background.CompareAndSwap(false, true) {
		st.ev.bgTarget.Store(target)
		go st.evictBackground(limit)
	}
	return status
}

// evictBackground evicts in slices of limit until the target is reached
// or nothing more can go, yielding between slices.
func (st *Store) evictBackground(limit time.Duration) {
	defer st.ev.background.Store(false)
	for {
		select {
		case <-st.stop:
			return
		default:
		}
		if st.evictFor(st.ev.bgTarget.Load(), max(limit, time.Millisecond)) != EvictRunning {
			return
		}
		time.Sleep(time.Millisecond)
	}
}

// evictFor evicts until target or until limit has passed.
func (st *Store) evictFor(target int64, limit time.Duration) EvictStatus {
	ev := &st.ev
	ev.mu.Lock()
	defer ev.mu.Unlock()
	if ev.rng == nil {
		ev.rng = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	start := time.Now()
	for n := 0; st.used.Load() > target; n++ {
		if !st.evictOne() {
			return EvictFail
		}
		// Check the clock every 16 keys, as Redis does.
		if n&15 == 15 && time.Since(start) > limit {
			if st.used.Load() > target {
				return EvictRunning
			}
			break
		}
	}
	return EvictOK
}

// evictOne evicts one key; false when no candidate exists.
// REQUIRES: ev.mu.
func (st *Store) evictOne() bool {
	p := st.Policy()
	now := st.Now()
	switch p {
	case eviction.AllKeysRandom, eviction.VolatileRandom:
		return st.evictRandom(p.Volatile())
	}
	m := st.access.Load()
	for attempt := 0; attempt < 64; attempt++ {
		if p.Sketched() {
			if nc, ok := st.nextNewcomer(p); ok {
				return st.admit(nc, p, m, now)
			}
		}
		st.populate(p, m, now)
		if c, ok := st.popValid(p); ok {
			return st.evictCand(c)
		}
		st.liveDBs(true)
		if !st.anyCandidates(p) {
			return false
		}
	}
	return false
}

// popValid pops the best pool candidate that is still present, unused
// since sampled, and (for volatile policies) has a TTL. REQUIRES: ev.mu.
func (st *Store) popValid(p eviction.Policy) (evictCand, bool) {
	for {
		c, _, ok := st.ev.pool.Pop()
		if !ok {
			return c, false
		}
		c.sh.lockWalk()
		held, h := c.sh.holdsLocked(c.e)
		valid := held && c.e.access.Load() == c.word && (!p.Volatile() || c.e.expireAt != 0)
		c.sh.unlockWalk()
		c.h = h
		if valid {
			return c, true
		}
	}
}

// nextNewcomer returns the oldest unconsidered entry created under a
// TinyLFU policy that still lives. REQUIRES: ev.mu.
func (st *Store) nextNewcomer(p eviction.Policy) (evictCand, bool) {
	ev := &st.ev
	pos := ev.newPos.Load()
	if pos-ev.newRead > newcomerRing {
		ev.newRead = pos - newcomerRing
	}
	for ; ev.newRead < pos; ev.newRead++ {
		slot := &ev.ring[ev.newRead%newcomerRing]
		e, sh := slot.e.Load(), slot.sh.Load()
		if e == nil || sh == nil {
			continue
		}
		slot.e.Store(nil)
		sh.lockWalk()
		held, h := sh.holdsLocked(e)
		live := held && (!p.Volatile() || e.expireAt != 0)
		var word uint32
		if live {
			word = e.access.Load()
		}
		sh.unlockWalk()
		if live {
			ev.newRead++
			return evictCand{e, sh, h, word}, true
		}
	}
	return evictCand{}, false
}

// admit settles a newcomer against the best sampled victim: the less
// frequent one (the newcomer on a tie) is evicted. REQUIRES: ev.mu.
func (st *Store) admit(nc evictCand, p eviction.Policy, m *accessMode, now int64) bool {
	st.populate(p, m, now)
	victim, ok := st.popValid(p)
	if !ok || victim.e == nc.e {
		return st.evictCand(nc)
	}
	if m.sketch.Estimate(nc.h) > m.sketch.Estimate(victim.h) {
		return st.evictCand(victim)
	}
	// The victim stays a candidate for the next eviction.
	st.ev.pool.Offer(eviction.Score(p, victim.word, victim.e.expireAt, m.sketch.Estimate(victim.h), now, &m.params), victim)
	return st.evictCand(nc)
}

// populate samples maxmemory-samples entries of every database that has
// candidates into the pool: from a random shard on, the next shards too
// while the ones seen held fewer entries. REQUIRES: ev.mu.
func (st *Store) populate(p eviction.Policy, m *accessMode, now int64) {
	samples := max(m.params.Samples, 1)
	rng := st.ev.rng
	volatile := p.Volatile()
	for _, db := range st.liveDBs(false) {
		n := len(db.shards)
		start := rng.IntN(n)
		need := samples
		for k := 0; k < n && need > 0; k++ {
			i := (start + k) % n
			sh := &db.shards[i]
			if (volatile && db.nexts[i].Load() == 0) || (!volatile && sh.keys.Load() == 0) {
				continue
			}
			sh.lockWalk()
			need -= st.sampleShard(sh, volatile, need, rng, func(e *Entry) {
				w := e.access.Load()
				var freq int
				var h uint64
				if m.sketch != nil {
					h = sh.tab.hashOf(e.Key())
					freq = m.sketch.Estimate(h)
				}
				st.ev.pool.Offer(eviction.Score(p, w, e.expireAt, freq, now, &m.params), evictCand{e, sh, h, w})
			})
			sh.unlockWalk()
		}
	}
}

// pickShard returns a random shard of db holding candidates, or nil.
func (st *Store) pickShard(db *DB, volatile bool, rng *rand.Rand) *shard {
	n := len(db.shards)
	start := rng.IntN(n)
	for k := 0; k < n; k++ {
		i := (start + k) % n
		if volatile {
			if db.nexts[i].Load() != 0 {
				return &db.shards[i]
			}
		} else if db.shards[i].keys.Load() > 0 {
			return &db.shards[i]
		}
	}
	return nil
}

// sampleShard calls fn for up to n entries of sh taken at random, and
// returns how many: from the expiry heap when volatile (at most its
// size), else from consecutive buckets from a random one (Redis's
// dictGetSomeKeys). REQUIRES: sh's read lock.
//
// Each sampled entry is a cache miss, often a TLB miss too, into a heap of
// hundreds of megabytes. The entries are found first (bucket slots and
// heap slots are contiguous) and touched together before fn reads them,
// so that their misses overlap instead of being paid one after another
// while walking: under a SET flood past maxmemory, sampling took 35% of
// the CPU, 20% of it in the loads of the sampled entries' words.
func (st *Store) sampleShard(sh *shard, volatile bool, n int, rng *rand.Rand, fn func(*Entry)) int {
	var batch [sampleBatch]*Entry
	if volatile {
		k := min(n, len(sh.exp))
		for done := 0; done < k; {
			c := min(k-done, sampleBatch)
			for i := range c {
				batch[i] = sh.exp[rng.IntN(len(sh.exp))].e
			}
			touchEntries(batch[:c])
			for _, e := range batch[:c] {
				fn(e)
			}
			done += c
		}
		return k
	}
	t := &sh.tab
	if t.count == 0 {
		return 0
	}
	m := uint64(len(t.buckets) - 1)
	b := rng.Uint64() & m
	got := 0
	for steps := uint64(0); steps <= m && got < n; {
		// The heads of the next non-empty buckets, one per entry still
		// needed; their chains are walked in bucket order as before.
		c := 0
		for ; steps <= m && c < min(n-got, sampleBatch); steps++ {
			if e := t.buckets[(b+steps)&m]; e != nil {
				batch[c] = e
				c++
			}
		}
		touchEntries(batch[:c])
		for _, e := range batch[:c] {
			for ; e != nil && got < n; e = e.next {
				fn(e)
				got++
			}
		}
	}
	return got
}

// sampleBatch is how many sampled entries are touched together.
const sampleBatch = 16

// touchEntries loads the access word of each entry: the loads do not
// depend on one another, so the CPU overlaps their cache misses.
func touchEntries(es []*Entry) uint32 {
	var x uint32
	for _, e := range es {
		x += e.access.Load()
	}
	return x
}

// anyCandidates reports whether some database holds an evictable key.
func (st *Store) anyCandidates(p eviction.Policy) bool {
	for _, db := range st.readyDBs() {
		if p.Volatile() {
			for i := range db.nexts {
				if db.nexts[i].Load() != 0 {
					return true
				}
			}
		} else if db.Len() > 0 {
			return true
		}
	}
	return false
}

// evictRandom evicts a random key (of those with a TTL when volatile).
// REQUIRES: ev.mu.
func (st *Store) evictRandom(volatile bool) bool {
	rng := st.ev.rng
	// Redis rotates over the databases; a random start does the same job.
	// A second pass refreshes the list of databases holding keys.
	for pass := 0; pass < 2; pass++ {
		dbs := st.liveDBs(pass == 1)
		start := rng.IntN(max(len(dbs), 1))
		for k := range dbs {
			db := dbs[(start+k)%len(dbs)]
			sh := st.pickShard(db, volatile, rng)
			if sh == nil {
				continue
			}
			sh.lockOne()
			var e *Entry
			if volatile {
				if len(sh.exp) > 0 {
					e = sh.exp[rng.IntN(len(sh.exp))].e
				}
			} else {
				e = sh.tab.random(rng)
			}
			if e != nil {
				st.evictLocked(db, sh, e)
			}
			sh.unlockOne()
			if e != nil {
				return true
			}
		}
	}
	return false
}

// evictCand deletes a candidate if it is still present.
func (st *Store) evictCand(c evictCand) bool {
	sh := c.sh
	sh.lockOne()
	if ok, _ := sh.holdsLocked(c.e); ok {
		st.evictLocked(sh.db, sh, c.e)
	}
	sh.unlockOne()
	return true
}

// evictLocked deletes e, counts it and journals DEL with Cause evicted.
// REQUIRES: sh's write lock.
func (st *Store) evictLocked(db *DB, sh *shard, e *Entry) {
	sh.deleteLocked(e)
	st.stats.EvictedKeys.Add(1)
	st.journal.emitCause(db.index, e.Key(), CauseEvicted)
	st.removedOnOwn(db, e)
}
