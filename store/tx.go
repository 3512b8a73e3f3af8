package store

import (
	"slices"
	"strconv"
	"unsafe"
)

// Tx is one command's view of the keyspace while it holds the shard locks of
// the keys it touches. A client owns one Tx and reuses it for every command,
// so running a command allocates nothing here.
//
// Use: Begin(db, write); Key(k) for every key; Lock(); work through Lookup,
// SetString, Delete, ...; Emit the effect; Unlock(). LockKey does the first
// three steps for the common one-key case.
//
// Every method that takes a key REQUIRES that the key's shard was locked by
// this Tx (in write mode for methods that change the store).
type Tx struct {
	st     *Store
	db     *DB
	now    int64
	write  bool
	locked bool
	refs   []shardRef
	// groups are the shard groups read-locked for refs; whole are the
	// databases whose every group is write-locked (LockAll). group.go.
	groups []groupRef
	whole  []*DB
	args   [][]byte
	arena  []byte
	// scratch is where value types build a compact value before storing
	// it (blob.go); reused by every command of the Tx.
	scratch []byte

	// cmdNow, when non-zero, is the command's frozen clock (set by the
	// caller once per command, as Redis's commandTimeSnapshot).
	cmdNow int64
	// A one-entry cache of the last key hashed: a command hashes its key
	// to pick the shard, then again to find the entry.
	hkey *byte
	hlen int
	hval uint64

	// beforeUnlock, when set, runs at the start of every Unlock of a write
	// Tx, while the locks are still held (the server serves clients
	// blocked on keys the command filled, atomically with the command).
	beforeUnlock func(*Tx)
	// streamGone, when set, is told of stream keys the Tx removes (gone.go).
	streamGone func(db *DB, key []byte)

	// Access recording (access.go): the command's LRU clock, whether its
	// lookups record access, and the client's CLIENT NO-TOUCH mode.
	mode    *accessMode
	lru     uint32
	touch   bool
	noTouch bool

	// The running command and the keys it created and deleted since its
	// last record, for the journal's Mutation (notify.go).
	cmd     string
	cmdArgs [][]byte
	client  int64 // the client running the Tx, for records (SetClient)
	created []KeyRef
	deleted []KeyRef
	mut     Mutation

	// hold is the held mode of transactions and scripts (tx_held.go).
	hold holdState
}

type shardRef struct {
	db  *DB
	idx uint32
}

// NewTx returns a reusable Tx over st.
func NewTx(st *Store) *Tx {
	return &Tx{st: st, refs: make([]shardRef, 0, 8), args: make([][]byte, 0, 8), arena: make([]byte, 0, 128)}
}

// Begin starts a command on db; write says whether shards are locked for
// writing. It samples the clock once: all TTL checks of the command use it.
func (tx *Tx) Begin(db *DB, write bool) {
	tx.db = db
	if !tx.hold.on { // held: the held shards stay (tx_held.go)
		tx.write = write
		tx.refs = tx.refs[:0]
	}
	tx.arena = tx.arena[:0]
	tx.hkey = nil // keys of an earlier command may reuse the same memory
	if len(tx.created) > 0 || len(tx.deleted) > 0 {
		tx.resetKeyRefs()
	}
	if tx.cmdNow != 0 {
		tx.now = tx.cmdNow
	} else {
		tx.now = tx.st.Now()
	}
	tx.mode = tx.st.access.Load()
	tx.lru = tx.mode.newWord(tx.now)
	tx.touch = !tx.noTouch
}

// SetTime freezes the clock that following Begins use (unix ms), so every
// TTL decision of one command, transaction or script sees the same time;
// 0 returns to reading the store's clock at each Begin.
func (tx *Tx) SetTime(ms int64) { tx.cmdNow = ms }

// hash returns key's hash, reusing the last computation for the same key.
func (tx *Tx) hash(key []byte) uint64 {
	p := unsafe.SliceData(key)
	if p == tx.hkey && len(key) == tx.hlen && p != nil {
		return tx.hval
	}
	h := tx.st.hash(key)
	tx.hkey, tx.hlen, tx.hval = p, len(key), h
	return h
}

// Key adds key (in the Tx's database) to the set of shards to lock.
func (tx *Tx) Key(key []byte) { tx.KeyIn(tx.db, key) }

// KeyIn adds key of another database to the set of shards to lock.
func (tx *Tx) KeyIn(db *DB, key []byte) {
	if tx.hold.on {
		tx.checkHeld(db, db.shardIndex(tx.hash(key)))
		return
	}
	tx.refs = append(tx.refs, shardRef{db, db.shardIndex(tx.hash(key))})
}

// Lock acquires the collected shard locks in ascending (db, shard) order.
func (tx *Tx) Lock() {
	if tx.hold.on {
		return
	}
	r := tx.refs
	if len(r) > 1 {
		slices.SortFunc(r, func(a, b shardRef) int {
			if a.db.index != b.db.index {
				return a.db.index - b.db.index
			}
			return int(a.idx) - int(b.idx)
		})
		r = slices.CompactFunc(r, func(a, b shardRef) bool { return a == b })
		tx.refs = r
	}
	var gdb *DB
	var g uint32
	for _, ref := range r {
		if rg := ref.db.groupOf(ref.idx); ref.db != gdb || rg != g {
			gdb, g = ref.db, rg
			gdb.groups[g].mu.RLock()
			tx.groups = append(tx.groups, groupRef{gdb, g})
		}
		s := &ref.db.shards[ref.idx]
		if tx.write {
			s.mu.Lock()
		} else {
			s.mu.RLock()
		}
	}
	tx.locked = true
}

// LockKey begins a one-key command and locks its shard.
func (tx *Tx) LockKey(db *DB, key []byte, write bool) {
	tx.Begin(db, write)
	if tx.hold.on {
		tx.checkHeld(db, db.shardIndex(tx.hash(key)))
		return
	}
	tx.refs = append(tx.refs, shardRef{db, db.shardIndex(tx.hash(key))})
	tx.Lock()
}

// LockAll begins a command that needs every shard of the given databases
// (FLUSHDB, FLUSHALL, SWAPDB), always for writing. dbs must be sorted by
// index and distinct.
func (tx *Tx) LockAll(dbs ...*DB) {
	tx.Begin(dbs[0], true)
	if tx.hold.on {
		tx.checkHeldAll(dbs)
		return
	}
	for _, db := range dbs {
		for g := range db.groups {
			db.groups[g].mu.Lock()
		}
		tx.whole = append(tx.whole, db)
	}
	tx.locked = true
}

// Unlock releases every lock the Tx holds.
func (tx *Tx) Unlock() {
	if !tx.locked || tx.hold.on {
		return
	}
	if tx.write && tx.beforeUnlock != nil {
		tx.beforeUnlock(tx)
	}
	if tx.write {
		for _, ref := range tx.refs {
			ref.db.expireDueLocked(&ref.db.shards[ref.idx], tx.now)
		}
	}
	for i := len(tx.refs) - 1; i >= 0; i-- {
		s := &tx.refs[i].db.shards[tx.refs[i].idx]
		if tx.write {
			s.mu.Unlock()
		} else {
			s.mu.RUnlock()
		}
	}
	for i := len(tx.groups) - 1; i >= 0; i-- {
		tx.groups[i].db.groups[tx.groups[i].g].mu.RUnlock()
	}
	tx.groups = tx.groups[:0]
	for i := len(tx.whole) - 1; i >= 0; i-- {
		db := tx.whole[i]
		for g := len(db.groups) - 1; g >= 0; g-- {
			db.groups[g].mu.Unlock()
		}
	}
	tx.whole = tx.whole[:0]
	tx.locked = false
}

// DB returns the database the Tx began on.
func (tx *Tx) DB() *DB { return tx.db }

// Now returns the command's clock sample in unix milliseconds.
func (tx *Tx) Now() int64 { return tx.now }

// Store returns the store the Tx works on.
func (tx *Tx) Store() *Store { return tx.st }

func (tx *Tx) locate(db *DB, key []byte) (*shard, uint64) {
	h := tx.hash(key)
	return &db.shards[db.shardIndex(h)], h
}

// Lookup returns key's live entry in the Tx's database, or nil. An expired
// entry is absent; under a write lock it is also deleted (journaled as DEL).
func (tx *Tx) Lookup(key []byte) *Entry { return tx.LookupIn(tx.db, key) }

// LookupIn is Lookup in another locked database.
func (tx *Tx) LookupIn(db *DB, key []byte) *Entry {
	s, h := tx.locate(db, key)
	e := s.tab.lookup(h, key)
	if e != nil && e.expireAt != 0 && e.expireAt <= tx.now {
		if tx.write {
			db.expireEntryLocked(s, e)
			tx.removed(db, e)
		}
		return nil
	}
	if e != nil {
		tx.touched(e)
	}
	return e
}

// LookupRead is Lookup for commands that read the value: it counts a
// keyspace hit or miss.
func (tx *Tx) LookupRead(key []byte) *Entry {
	s, h := tx.locate(tx.db, key)
	e := s.tab.lookup(h, key)
	if e != nil && e.expireAt != 0 && e.expireAt <= tx.now {
		if tx.write {
			tx.db.expireEntryLocked(s, e)
			tx.removed(tx.db, e)
		}
		e = nil
	}
	if e == nil {
		s.misses.Add(1)
		if sk := tx.mode.sketch; sk != nil && tx.touch {
			sk.Increment(h) // TinyLFU counts misses: the history of absent keys
		}
		if fn := tx.st.keyMiss.Load(); fn != nil {
			(*fn)(tx.db.index, key)
		}
	} else {
		s.hits.Add(1)
		tx.touched(e)
	}
	return e
}

// SetString stores val as key's string value with absolute expiry at (0 for
// none), replacing a value of any kind. It returns the entry.
func (tx *Tx) SetString(key, val []byte, at int64) *Entry {
	s, h := tx.locate(tx.db, key)
	e := s.tab.lookup(h, key)
	if e == nil {
		e = newEntry(h, key, val)
		e.access.Store(tx.lru)
		s.insertLocked(e, h)
		if at != 0 {
			s.setExpireLocked(e, at)
			tx.st.expiryScheduled(at)
		}
		tx.noteCreated(tx.db, key)
		return e
	}
	tx.removed(tx.db, e)
	before := e.size()
	if e.kind == KindString {
		e.setData(e.Key(), val)
	} else {
		e.setData(key, val)
	}
	e.dropObject()
	e.kind = KindString
	e.enc = encAuto
	s.setExpireLocked(e, at)
	tx.st.expiryScheduled(at)
	s.addUsed(e.size() - before)
	return e
}

// AppendString appends v to a string entry in the Tx's database and returns
// the new length. Like Redis's sds, the buffer grows geometrically, so
// repeated APPENDs are amortised O(1); the encoding becomes raw.
func (tx *Tx) AppendString(e *Entry, v []byte) int {
	s := tx.entryShard(tx.db, e)
	before := e.size()
	e.setBytes(append(e.dataBytes(), v...))
	e.enc = encRaw
	e.dropObject() // drop hll.go's byte past the end, as Redis re-terminates
	s.addUsed(e.size() - before)
	return len(e.dataBytes()) - int(e.klen)
}

// SetRange overwrites a string entry's bytes from offset with v, padding
// with zero bytes when offset is past the end, and returns the new length.
func (tx *Tx) SetRange(e *Entry, offset int, v []byte) int {
	s := tx.entryShard(tx.db, e)
	before := e.size()
	end := int(e.klen) + offset + len(v)
	if end > len(e.dataBytes()) {
		if end <= cap(e.dataBytes()) {
			old := len(e.dataBytes())
			e.setBytes(e.dataBytes()[:end])
			clear(e.dataBytes()[old:])
		} else {
			nd := make([]byte, end, end+end/4)
			copy(nd, e.dataBytes())
			e.setBytes(nd)
		}
	}
	copy(e.dataBytes()[int(e.klen)+offset:], v)
	e.enc = encRaw
	s.addUsed(e.size() - before)
	return len(e.dataBytes()) - int(e.klen)
}

// PutIn stores a value of any kind under key in db, replacing what was
// there; str is the value of a string, obj the value of other kinds. at is
// the absolute expiry (0 for none). It returns the new entry.
func (tx *Tx) PutIn(db *DB, key []byte, kind Kind, str []byte, obj any, at int64) *Entry {
	return tx.putIn(db, key, kind, str, obj, at, false)
}

// putIn is PutIn; alwaysNew counts the key as created even when it
// replaced one (RENAME, MOVE and COPY add their destination anew, as
// Redis's dbAdd after a delete).
func (tx *Tx) putIn(db *DB, key []byte, kind Kind, str []byte, obj any, at int64, alwaysNew bool) *Entry {
	s, h := tx.locate(db, key)
	old := s.tab.lookup(h, key)
	if old != nil {
		s.deleteLocked(old)
		tx.removed(db, old)
	}
	if old == nil || alwaysNew {
		tx.noteCreated(db, key)
	}
	e := newEntry(h, key, str)
	e.kind = kind
	e.setObject(obj)
	e.access.Store(tx.lru)
	s.insertLocked(e, h)
	if at != 0 {
		s.setExpireLocked(e, at)
		tx.st.expiryScheduled(at)
	}
	return e
}

// CloneEntryTo copies src (of any database) under key in db, with src's
// value and TTL, replacing what was there; cloneObj deep-copies non-string
// values. It returns the new entry (COPY, and RENAME/MOVE via MoveEntry).
func (tx *Tx) CloneEntryTo(db *DB, key []byte, src *Entry, cloneObj func(any) any) *Entry {
	var obj any
	if src.tag != objNone {
		obj = cloneObj(src.object())
	}
	e := tx.putIn(db, key, src.kind, src.Str(), obj, src.expireAt, true)
	e.enc = src.enc
	return e
}

// MoveEntry moves src (found in srcDB) to key in dstDB, keeping its value,
// TTL and encoding, replacing what was at the destination (RENAME, MOVE).
func (tx *Tx) MoveEntry(srcDB *DB, src *Entry, dstDB *DB, key []byte) *Entry {
	s := tx.entryShard(srcDB, src)
	s.deleteLocked(src)
	tx.removed(srcDB, src)
	e := tx.putIn(dstDB, key, src.kind, src.Str(), src.object(), src.expireAt, true)
	e.enc = src.enc
	e.access.Store(src.access.Load())
	return e
}

// Delete removes key from the Tx's database; it reports whether a live key
// was removed.
func (tx *Tx) Delete(key []byte) bool { return tx.DeleteIn(tx.db, key) }

// DeleteIn is Delete in another locked database.
func (tx *Tx) DeleteIn(db *DB, key []byte) bool {
	e := tx.LookupIn(db, key)
	if e == nil {
		return false
	}
	s := tx.entryShard(db, e)
	s.deleteLocked(e)
	tx.noteDeleted(db, key)
	tx.removed(db, e)
	return true
}

// SetExpire sets e's absolute expiry in ms (0 removes the TTL). e must be in
// the Tx's database.
func (tx *Tx) SetExpire(e *Entry, at int64) {
	tx.entryShard(tx.db, e).setExpireLocked(e, at)
	tx.st.expiryScheduled(at)
}

// Size returns the bytes accounted to e; pair with Resized after changing a
// collection in place.
func (e *Entry) Size() int64 { return e.size() }

// Resized re-accounts e after its value changed in place; before is
// e.Size() measured before the change.
func (tx *Tx) Resized(e *Entry, before int64) {
	tx.entryShard(tx.db, e).addUsed(e.size() - before)
}

// FlushLocked empties db. REQUIRES: LockAll over db. The old tables are left
// to the garbage collector, so the pause is O(shards) however big db was.
func (tx *Tx) FlushLocked(db *DB) {
	for i := range db.shards {
		s := &db.shards[i]
		s.tab = table{seed: s.tab.seed}
		s.exp = nil
		s.next.Store(0)
		s.keys.Store(0)
		s.addUsed(-s.used.Load())
	}
}

// SwapLocked exchanges the contents of a and b (SWAPDB). REQUIRES: LockAll
// over both.
func (tx *Tx) SwapLocked(a, b *DB) {
	for i := range a.shards {
		x, y := &a.shards[i], &b.shards[i]
		x.tab, y.tab = y.tab, x.tab
		x.exp, y.exp = y.exp, x.exp
		xk, yk := x.keys.Load(), y.keys.Load()
		x.keys.Store(yk)
		y.keys.Store(xk)
		xu, yu := x.used.Load(), y.used.Load()
		x.used.Store(yu)
		y.used.Store(xu)
		xn, yn := x.next.Load(), y.next.Load()
		x.next.Store(yn)
		y.next.Store(xn)
	}
}

// Journaling reports whether the journal has subscribers: callers skip
// building records (and formatting numbers for them) when it has none.
func (tx *Tx) Journaling() bool { return tx.st.journal.Active() }

// Emit journals the command's effect on the Tx's database. The arguments
// are only read during the call.
func (tx *Tx) Emit(args ...[]byte) { tx.EmitIn(tx.db, args...) }

// EmitIn journals an effect on another database.
func (tx *Tx) EmitIn(db *DB, args ...[]byte) {
	if !tx.st.journal.Active() {
		return
	}
	tx.args = append(tx.args[:0], args...)
	tx.mut = Mutation{DB: db.index, Args: tx.args, Cause: CauseCommand, Cmd: tx.cmd, CmdArgs: tx.cmdArgs, Client: tx.client,
		Created: tx.created, Deleted: tx.deleted}
	if tx.hold.on {
		tx.batchRecord(&tx.mut) // delivered at Release (tx_held.go)
	} else {
		tx.st.journal.emitMutation(&tx.mut)
	}
	tx.mut = Mutation{}
	clear(tx.args)
	if len(tx.created) > 0 || len(tx.deleted) > 0 {
		tx.resetKeyRefs()
	}
}

// Int formats n into the Tx's scratch arena for use in an Emit (valid until
// the next Begin).
func (tx *Tx) Int(n int64) []byte {
	start := len(tx.arena)
	tx.arena = strconv.AppendInt(tx.arena, n, 10)
	return tx.arena[start:len(tx.arena):len(tx.arena)]
}

// Bytes copies b into the scratch arena (valid until the next Begin).
func (tx *Tx) Bytes(b []byte) []byte {
	start := len(tx.arena)
	tx.arena = append(tx.arena, b...)
	return tx.arena[start:len(tx.arena):len(tx.arena)]
}

// SetBeforeUnlock installs fn to run at the start of every Unlock of a
// write Tx, with the locks still held. fn may use the Tx (the keys whose
// shards it holds) but must not Lock or Unlock it.
func (tx *Tx) SetBeforeUnlock(fn func(*Tx)) { tx.beforeUnlock = fn }

// Holds reports whether the Tx holds, for writing, the shard of key in db.
func (tx *Tx) Holds(db *DB, key []byte) bool {
	if !tx.locked || !tx.write {
		return false
	}
	if tx.holdsWhole(db) {
		return true
	}
	idx := db.shardIndex(tx.st.hash(key))
	for _, r := range tx.refs {
		if r.db == db && r.idx == idx {
			return true
		}
	}
	return false
}

// entryShard returns the locked shard holding e, an entry of db: the Tx's
// only shard when it holds just one (a one-key command: no hashing), else
// the shard e's key hashes to (entries do not keep their hash).
func (tx *Tx) entryShard(db *DB, e *Entry) *shard {
	if len(tx.refs) == 1 && tx.refs[0].db == db {
		return &db.shards[tx.refs[0].idx]
	}
	return &db.shards[db.shardIndex(tx.st.hash(e.Key()))]
}

// Locked reports whether the Tx currently holds its locks.
func (tx *Tx) Locked() bool { return tx.locked }
