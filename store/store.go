package store

import (
	"errors"
	"hash/maphash"
	"math/bits"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Config sizes a Store.
type Config struct {
	// Databases is the number of logical databases (SELECT 0..n-1).
	Databases int
	// Shards is the number of lock stripes per database, a power of two.
	Shards int
}

// DefaultShards is the number of shards per database when Config.Shards is
// zero. 256 stripes keep lock contention negligible for tens of cores while
// costing ~16 KiB per database.
const DefaultShards = 256

// Stats are keyspace counters read by INFO and metrics. Counters that the
// read path bumps (hits, misses) live per shard instead, to avoid a shared
// cache line; Store.Hits and Store.Misses sum them.
type Stats struct {
	ExpiredKeys atomic.Int64 // keys removed because their TTL passed
	EvictedKeys atomic.Int64 // keys removed by maxmemory eviction
	// ExpiredStalePerc is the last measured share of TTL keys that had
	// expired but not yet been removed, in hundredths of a percent.
	ExpiredStalePerc atomic.Int64
	// ExpireCycleTimeouts counts active expiry cycles that hit their time
	// budget before all due keys were removed.
	ExpireCycleTimeouts atomic.Int64
}

// Store is the whole keyspace: every database, the journal and the stats.
type Store struct {
	dbs     []*DB
	journal Journal
	stats   Stats
	limits  Limits
	seed    maphash.Seed
	clock   atomic.Pointer[func() int64]
	keyMiss atomic.Pointer[func(db int, key []byte)] // notify.go
	// streamRemoved is told of streams the store removes on its own (gone.go).
	streamRemoved atomic.Pointer[func(db *DB, key []byte)]

	// used is the keyspace's accounted bytes, the sum of the shards'
	// (one counter, so the maxmemory check before a command is one load).
	used atomic.Int64
	// Eviction (evict.go): the policy in force for access recording, and
	// the evictor's state.
	access    atomic.Pointer[accessMode]
	admitting atomic.Bool // TinyLFU: new entries are offered for admission
	ev        evictor

	// The expiry loop's next planned wake-up (store ms) and its wake-up
	// call for TTLs due sooner (expire.go).
	wakeAt atomic.Int64
	wake   chan struct{}

	// ready lists the databases whose shards exist (readyDBs); readyMu
	// serialises its updates.
	ready   atomic.Pointer[[]*DB]
	readyMu sync.Mutex

	stopOnce sync.Once
	stop     chan struct{}
	done     chan struct{}
}

// ErrBadShards reports a shard count that is not a positive power of two.
var ErrBadShards = errors.New("shards must be a power of two between 1 and 65536")

// New builds a Store; call Start to run its background expiry.
func New(cfg Config) (*Store, error) {
	if cfg.Databases <= 0 {
		cfg.Databases = 16
	}
	if cfg.Shards == 0 {
		cfg.Shards = DefaultShards
	}
	if cfg.Shards < 1 || cfg.Shards > 65536 || cfg.Shards&(cfg.Shards-1) != 0 {
		return nil, ErrBadShards
	}
	st := &Store{
		seed: maphash.MakeSeed(),
		stop: make(chan struct{}),
		done: make(chan struct{}),
		wake: make(chan struct{}, 1),
	}
	st.limits.setDefaults()
	st.access.Store(defaultAccess)
	shift := uint8(64 - bits.TrailingZeros(uint(cfg.Shards)))
	for i := 0; i < cfg.Databases; i++ {
		st.dbs = append(st.dbs, &DB{store: st, index: i, shift: shift, nshards: cfg.Shards})
	}
	st.dbs[0].materialize()
	return st, nil
}

// Start runs the active expiry cycle until Close.
func (st *Store) Start() {
	go st.expireLoop()
}

// Close stops background work and waits for it.
func (st *Store) Close() {
	st.stopOnce.Do(func() {
		close(st.stop)
	})
	select {
	case <-st.done:
	case <-time.After(5 * time.Second):
	}
}

func (st *Store) expireLoop() {
	defer close(st.done)
	t := time.NewTimer(ActiveExpireInterval)
	defer t.Stop()
	st.wakeAt.Store(st.Now() + ActiveExpireInterval.Milliseconds())
	var lastStale time.Time
	for {
		select {
		case <-st.stop:
			return
		case <-t.C:
		case <-st.wake:
			t.Stop()
		}
		start := time.Now()
		_, timedOut, next := st.expireCycle()
		if timedOut {
			st.stats.ExpireCycleTimeouts.Add(1)
		}
		if start.Sub(lastStale) >= ActiveExpireInterval {
			lastStale = start
			stale, vol := st.staleCount()
			if vol > 0 {
				st.stats.ExpiredStalePerc.Store(int64(stale) * 10000 / int64(vol))
			} else {
				st.stats.ExpiredStalePerc.Store(0)
			}
		}
		now := st.Now()
		d := expireDelay(now, next, time.Since(start), timedOut)
		st.wakeAt.Store(now + d.Milliseconds())
		t.Reset(d)
	}
}

// ExpireNow runs one active expiry cycle synchronously (tests and DEBUG).
func (st *Store) ExpireNow() int {
	n, _, _ := st.expireCycle()
	return n
}

// SetClock replaces the millisecond clock (tests); nil restores wall time.
func (st *Store) SetClock(fn func() int64) {
	if fn == nil {
		st.clock.Store(nil)
		return
	}
	st.clock.Store(&fn)
}

// Now returns the store's current time in unix milliseconds.
func (st *Store) Now() int64 {
	if fn := st.clock.Load(); fn != nil {
		return (*fn)()
	}
	return time.Now().UnixMilli()
}

// NowFrom converts a wall-clock reading to the store's milliseconds,
// honouring a test clock set with SetClock.
func (st *Store) NowFrom(t time.Time) int64 {
	if fn := st.clock.Load(); fn != nil {
		return (*fn)()
	}
	return t.UnixMilli()
}

// DB returns database i, or nil if out of range. A database's shards are
// allocated the first time DB returns it (see materialize).
func (st *Store) DB(i int) *DB {
	if i < 0 || i >= len(st.dbs) {
		return nil
	}
	db := st.dbs[i]
	if !db.ready.Load() {
		db.materialize()
	}
	return db
}

// PeekDB returns database i without allocating its shards: for readers
// such as INFO keyspace, where a database never used reads as empty.
// nil if out of range.
func (st *Store) PeekDB(i int) *DB {
	if i < 0 || i >= len(st.dbs) {
		return nil
	}
	return st.dbs[i]
}

// materialize allocates db's shards, once. Until then the database has no
// shards (Len is 0) and the store's own loops (expiry, eviction, stats)
// skip it: a server starts with 16 databases of 256 shards, ~48 KB each,
// and most deployments only ever use database 0; that memory counts in
// used_memory, so it would otherwise be taken from the keys under
// maxmemory.
func (db *DB) materialize() {
	db.initMu.Lock()
	defer db.initMu.Unlock()
	if db.ready.Load() {
		return
	}
	n := db.nshards
	db.shards = make([]shard, n)
	db.nexts = make([]atomic.Int64, n)
	for j := range db.shards {
		db.shards[j].next = &db.nexts[j]
		db.shards[j].db = db
		db.shards[j].tab.seed = &db.store.seed
	}
	db.initGroups(n)
	st := db.store
	st.readyMu.Lock()
	var dbs []*DB
	if old := st.ready.Load(); old != nil {
		dbs = append(dbs, *old...)
	}
	dbs = append(dbs, db)
	slices.SortFunc(dbs, func(a, b *DB) int { return a.index - b.index })
	st.ready.Store(&dbs)
	st.readyMu.Unlock()
	db.ready.Store(true)
}

// readyDBs returns the databases whose shards exist, in index order, for
// the store's own walks over every database.
func (st *Store) readyDBs() []*DB { return *st.ready.Load() }

// Databases returns the number of databases.
func (st *Store) Databases() int { return len(st.dbs) }

// Journal returns the store's journal of mutations.
func (st *Store) Journal() *Journal { return &st.journal }

// Stats returns the store's counters.
func (st *Store) Stats() *Stats { return &st.stats }

// Hits returns keyspace_hits summed over every shard.
func (st *Store) Hits() int64 {
	var n int64
	for _, db := range st.readyDBs() {
		for i := range db.shards {
			n += db.shards[i].hits.Load()
		}
	}
	return n
}

// Misses returns keyspace_misses summed over every shard.
func (st *Store) Misses() int64 {
	var n int64
	for _, db := range st.readyDBs() {
		for i := range db.shards {
			n += db.shards[i].misses.Load()
		}
	}
	return n
}

// ResetStats zeroes the resettable counters (CONFIG RESETSTAT).
func (st *Store) ResetStats() {
	st.stats.ExpiredKeys.Store(0)
	st.stats.EvictedKeys.Store(0)
	st.stats.ExpireCycleTimeouts.Store(0)
	for _, db := range st.readyDBs() {
		for i := range db.shards {
			db.shards[i].hits.Store(0)
			db.shards[i].misses.Store(0)
		}
	}
}

// UsedMemory returns the bytes accounted to the keyspace.
func (st *Store) UsedMemory() int64 { return st.used.Load() }

// hash returns the 64-bit hash of key used for shard and bucket choice.
func (st *Store) hash(key []byte) uint64 { return maphash.Bytes(st.seed, key) }

// shard is one lock stripe of a database.
type shard struct {
	mu     sync.RWMutex
	grp    *sync.RWMutex // its group's lock (group.go)
	tab    table
	exp    expHeap
	keys   atomic.Int64 // entries in tab, readable without the lock
	used   atomic.Int64 // accounted bytes, readable without the lock
	hits   atomic.Int64
	misses atomic.Int64
	next   *atomic.Int64 // earliest expireAt in exp, 0 when empty: an element of DB.nexts
	db     *DB           // the shard's database
	_      [24]byte      // keep neighbouring shards' locks on separate cache lines
}

// addUsed changes the shard's and the store's accounted bytes by d.
func (s *shard) addUsed(d int64) {
	s.used.Add(d)
	s.db.store.used.Add(d)
}

// insertLocked adds a new entry. REQUIRES: write lock.
func (s *shard) insertLocked(e *Entry, h uint64) {
	s.tab.insert(e, h)
	s.keys.Add(1)
	s.addUsed(e.size())
	if s.db.store.admitting.Load() {
		s.db.store.noteNewcomer(s, e)
	}
}

// deleteLocked removes e from the table and the expiry heap.
// REQUIRES: write lock.
func (s *shard) deleteLocked(e *Entry) {
	if e.heapIdx >= 0 {
		s.exp.remove(e)
		s.noteNextLocked()
	}
	s.tab.remove(e)
	s.keys.Add(-1)
	s.addUsed(-e.size())
}

// DB is one logical database: a fixed array of shards.
type DB struct {
	store  *Store
	index  int
	shards []shard // allocated by materialize
	// nexts holds each shard's earliest expiry side by side, so the
	// expiry loop checks every shard in a few cache lines (expire.go).
	nexts []atomic.Int64
	shift uint8
	// groups lock ranges of shards as one (group.go); shard idx is in
	// group idx>>gshift.
	groups []groupLock
	gshift uint8
	// ready is set once shards, nexts and groups exist (materialize,
	// under initMu); nshards is how many they will be.
	ready   atomic.Bool
	initMu  sync.Mutex
	nshards int
}

// Index returns the database number.
func (db *DB) Index() int { return db.index }

// shardIndex maps a hash to its shard.
func (db *DB) shardIndex(h uint64) uint32 {
	if db.shift >= 64 {
		return 0
	}
	return uint32(h >> db.shift)
}

// Len returns the number of keys (including expired ones not yet removed),
// without taking locks: DBSIZE.
func (db *DB) Len() int64 {
	if !db.ready.Load() {
		return 0
	}
	var n int64
	for i := range db.shards {
		n += db.shards[i].keys.Load()
	}
	return n
}

// Volatile returns the number of keys with a TTL (INFO keyspace "expires").
func (db *DB) Volatile() int64 { return db.volatile(true) }

func (db *DB) volatile(lock bool) int64 {
	var n int64
	for i := range db.shards {
		s := &db.shards[i]
		s.rlock(lock)
		n += int64(len(s.exp))
		s.runlock(lock)
	}
	return n
}

// rlock read-locks s when lock is set (a walk of a Tx that holds every
// shard of the database takes none: tx_held.go).
func (s *shard) rlock(lock bool) {
	if lock {
		s.lockWalk()
	}
}

// runlock undoes rlock.
func (s *shard) runlock(lock bool) {
	if lock {
		s.unlockWalk()
	}
}

// AvgTTL returns the average remaining TTL in ms of keys with one, sampled
// from each shard's heap (INFO keyspace "avg_ttl").
func (db *DB) AvgTTL() int64 { return db.avgTTL(db.store.Now(), true) }

func (db *DB) avgTTL(now int64, lock bool) int64 {
	var sum, n int64
	for i := range db.shards {
		s := &db.shards[i]
		s.rlock(lock)
		for j := 0; j < len(s.exp) && j < 16; j++ {
			if d := s.exp[j].at - now; d > 0 {
				sum += d
				n++
			}
		}
		s.runlock(lock)
	}
	if n == 0 {
		return 0
	}
	return sum / n
}

// Scan continues a SCAN iteration from cursor, calling fn for live entries
// (under the shard's read lock; fn must copy what it keeps) until at least
// count buckets' worth of entries were visited. It returns the next cursor,
// 0 when the iteration is complete. Every key present from the first call to
// the last is returned at least once, whatever resizing happens between.
func (db *DB) Scan(cursor uint64, count int, fn func(e *Entry)) uint64 {
	return db.scan(cursor, count, fn, db.store.Now(), true)
}

func (db *DB) scan(cursor uint64, count int, fn func(e *Entry), now int64, lock bool) uint64 {
	nsh := uint64(len(db.shards))
	sbits := uint(bits.TrailingZeros64(nsh))
	si := cursor & (nsh - 1)
	v := cursor >> sbits
	visited := 0
	for {
		s := &db.shards[si]
		s.rlock(lock)
		if s.tab.count == 0 {
			v = 0
		} else {
			v = s.tab.scan(v, func(e *Entry) {
				visited++
				if e.expireAt != 0 && e.expireAt <= now {
					return
				}
				fn(e)
			})
		}
		s.runlock(lock)
		if v == 0 {
			si++
			if si == nsh {
				return 0
			}
		}
		if visited >= count {
			// A cursor that does not fit (absurdly large tables) restarts
			// the shard rather than corrupting the shard index.
			if v > (^uint64(0))>>sbits {
				v = 0
			}
			return v<<sbits | si
		}
	}
}

// Each calls fn for every live entry, one shard at a time under its read
// lock, until fn returns false (KEYS). fn must copy what it keeps.
func (db *DB) Each(fn func(e *Entry) bool) { db.each(fn, db.store.Now(), true) }

func (db *DB) each(fn func(e *Entry) bool, now int64, lock bool) {
	for i := range db.shards {
		s := &db.shards[i]
		cont := true
		s.rlock(lock)
		s.tab.each(func(e *Entry) bool {
			if e.expireAt != 0 && e.expireAt <= now {
				return true
			}
			cont = fn(e)
			return cont
		})
		s.runlock(lock)
		if !cont {
			return
		}
	}
}

// RandomKey returns a copy of a random live key, or nil if none is found.
func (db *DB) RandomKey(r *rand.Rand) []byte { return db.randomKey(r, db.store.Now(), true) }

func (db *DB) randomKey(r *rand.Rand, now int64, lock bool) []byte {
	n := len(db.shards)
	for attempt := 0; attempt < 100; attempt++ {
		start := r.IntN(n)
		for k := 0; k < n; k++ {
			s := &db.shards[(start+k)%n]
			if s.keys.Load() == 0 {
				continue
			}
			s.rlock(lock)
			e := s.tab.random(r)
			var key []byte
			live := e != nil && (e.expireAt == 0 || e.expireAt > now)
			if live {
				key = append([]byte(nil), e.Key()...)
			}
			s.runlock(lock)
			if live {
				return key
			}
			break
		}
	}
	// Mostly expired keys: fall back to a walk.
	var key []byte
	db.each(func(e *Entry) bool {
		key = append([]byte(nil), e.Key()...)
		return false
	}, now, lock)
	return key
}
