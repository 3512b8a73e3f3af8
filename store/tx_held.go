package store

import (
	"fmt"
	"math/rand/v2"
	"slices"
)

// Held mode: running several commands atomically (MULTI/EXEC, scripts).
//
// A transaction or script locks, once and up front, every shard its
// commands may touch, then runs each command's ordinary handler with the
// same Tx. While the Tx is held, the handler's own locking calls take and
// release nothing:
//
//   - Begin(db, write) starts the next command (fresh clock sample unless
//     SetTime froze it, arena, created/deleted keys) but keeps the held
//     shards; the Tx stays a write Tx whatever write says (the held locks
//     are write locks, so a read may delete an expired key, as Redis does).
//   - Key, KeyIn and LockKey check that the key's shard is held and take no
//     lock. A key outside the held set is a programming error (the caller
//     computed the keys wrongly): it panics with ErrNotHeld rather than
//     touch an unlocked shard; the server answers that command with an
//     error and the other commands still run.
//   - LockAll (FLUSHDB, FLUSHALL, SWAPDB) checks that every shard of the
//     databases is held (HoldAll over them) and takes nothing.
//   - Lock and Unlock do nothing; the before-unlock hook (serving blocked
//     clients) runs once, at Release, after the last command.
//   - Whole-keyspace walks go through the Tx (Tx.Scan, Tx.Each,
//     Tx.RandomKey, Tx.Volatile, Tx.AvgTTL): when the Tx holds every shard
//     of the database they read without locking (re-locking a held shard
//     would deadlock); a held Tx that holds only some shards of the
//     database panics with ErrNotHeld (walking would take shards out of
//     order).
//   - Journal records are batched and delivered together at Release, still
//     under the locks, wrapped in MULTI ... EXEC records when there is more
//     than one (as Redis propagates a transaction or a script's effects):
//     the transaction's records are contiguous in the journal.
//
// Two ways to enter it, both in ascending (db, shard) order like Lock, so
// that held Txs and ordinary commands cannot deadlock:
//
//	tx.Begin(db, true); tx.KeyIn(db, k1); tx.KeyIn(db2, k2); tx.Hold()
//	tx.HoldAll(db0, db1, ...) // every shard of the databases (sorted, distinct)
//
// then run commands (each beginning with Begin or LockKey as usual), then
// tx.Release(). SetTime before Hold freezes the clock for all the commands
// (Redis fixes the time of a transaction or script for expiry decisions).
// TryKeyIn may still add a shard (non-blocking) while held; Release
// releases it with the others.

// ErrNotHeld is the panic value when a held Tx is asked for a shard it
// does not hold.
var ErrNotHeld = fmt.Errorf("store: key outside the shards held by the transaction")

// holdState is the held mode of a Tx.
type holdState struct {
	on bool
	// all[i] says every shard of database i is held (HoldAll).
	all []bool
	// sorted is how many refs (a prefix) are sorted: TryKeyIn appends
	// others after it.
	sorted int
	// batch holds the journal records of the held commands until Release.
	batch []Mutation
}

// Hold locks the shards collected since Begin (in ascending order, as Lock
// does, for writing) and puts the Tx in held mode until Release. The
// database Begin named stays the Tx's database.
func (tx *Tx) Hold() {
	if tx.hold.on {
		panic("store: Hold of a held Tx")
	}
	tx.write = true
	tx.Lock()
	tx.hold.on = true
	tx.hold.sorted = len(tx.refs)
}

// HoldAll locks every shard of dbs (sorted by index, distinct), for
// writing, and puts the Tx in held mode on dbs[0] until Release. Scripts
// hold this way (they may touch keys they did not declare), as do
// transactions whose keys cannot be known before they run.
func (tx *Tx) HoldAll(dbs ...*DB) {
	if tx.hold.on {
		panic("store: HoldAll of a held Tx")
	}
	tx.LockAll(dbs...)
	n := tx.st.Databases()
	if cap(tx.hold.all) < n {
		tx.hold.all = make([]bool, n)
	}
	tx.hold.all = tx.hold.all[:n]
	for _, db := range dbs {
		tx.hold.all[db.index] = true
	}
	tx.hold.on = true
	tx.hold.sorted = len(tx.refs)
}

// Held reports whether the Tx is in held mode.
func (tx *Tx) Held() bool { return tx.hold.on }

// HoldsAll reports whether the Tx is held over every shard of db.
func (tx *Tx) HoldsAll(db *DB) bool {
	return tx.hold.on && db.index < len(tx.hold.all) && tx.hold.all[db.index]
}

// Release ends held mode: it delivers the batched journal records, runs
// the before-unlock hook (blocked clients fed by the commands are served,
// and journal, after the transaction), and releases every shard.
func (tx *Tx) Release() {
	if !tx.hold.on {
		return
	}
	tx.flushBatch()
	tx.hold.on = false
	clear(tx.hold.all)
	tx.hold.all = tx.hold.all[:0]
	tx.hold.sorted = 0
	tx.write = true
	tx.Unlock()
}

// checkHeld panics with ErrNotHeld unless shard idx of db is held.
func (tx *Tx) checkHeld(db *DB, idx uint32) {
	if tx.HoldsAll(db) {
		return
	}
	ref := shardRef{db, idx}
	r := tx.refs
	if _, ok := slices.BinarySearchFunc(r[:tx.hold.sorted], ref, cmpShardRef); ok {
		return
	}
	if slices.Contains(r[tx.hold.sorted:], ref) {
		return
	}
	panic(ErrNotHeld)
}

// checkHeldAll panics unless every shard of dbs is held.
func (tx *Tx) checkHeldAll(dbs []*DB) {
	for _, db := range dbs {
		if !tx.HoldsAll(db) {
			panic(ErrNotHeld)
		}
	}
}

func cmpShardRef(a, b shardRef) int {
	if a.db.index != b.db.index {
		return a.db.index - b.db.index
	}
	return int(a.idx) - int(b.idx)
}

// batchRecord keeps a copy of the record being emitted by a held Tx.
func (tx *Tx) batchRecord(m *Mutation) {
	c := Mutation{DB: m.DB, Cause: m.Cause, Cmd: m.Cmd, Client: m.Client,
		Args: copyArgs(m.Args), CmdArgs: copyArgs(m.CmdArgs)}
	if len(m.Created) > 0 {
		c.Created = copyRefs(m.Created)
	}
	if len(m.Deleted) > 0 {
		c.Deleted = copyRefs(m.Deleted)
	}
	tx.hold.batch = append(tx.hold.batch, c)
}

func copyArgs(a [][]byte) [][]byte {
	if a == nil {
		return nil
	}
	n := 0
	for _, x := range a {
		n += len(x)
	}
	buf := make([]byte, 0, n)
	out := make([][]byte, len(a))
	for i, x := range a {
		buf = append(buf, x...)
		out[i] = buf[len(buf)-len(x) : len(buf) : len(buf)]
	}
	return out
}

func copyRefs(rs []KeyRef) []KeyRef {
	out := make([]KeyRef, len(rs))
	for i, r := range rs {
		out[i] = KeyRef{DB: r.DB, Key: append([]byte(nil), r.Key...)}
	}
	return out
}

var (
	cmdMULTI = []byte("MULTI")
	cmdEXEC  = []byte("EXEC")
)

// flushBatch delivers the batched records in one go under the journal's
// lock, wrapped in MULTI/EXEC when there are several.
func (tx *Tx) flushBatch() {
	b := tx.hold.batch
	if len(b) == 0 {
		return
	}
	j := &tx.st.journal
	if p := j.subs.Load(); p != nil {
		j.mu.Lock()
		wrap := len(b) > 1
		if wrap {
			j.deliverLocked(*p, &Mutation{DB: b[0].DB, Args: [][]byte{cmdMULTI}, Cause: CauseCommand, Cmd: "multi"})
		}
		for i := range b {
			j.deliverLocked(*p, &b[i])
		}
		if wrap {
			j.deliverLocked(*p, &Mutation{DB: b[0].DB, Args: [][]byte{cmdEXEC}, Cause: CauseCommand, Cmd: "exec"})
		}
		j.mu.Unlock()
	}
	clear(b)
	tx.hold.batch = b[:0]
	if cap(tx.hold.batch) > 1024 {
		tx.hold.batch = nil
	}
}

// Whole-keyspace walks through a Tx: outside held mode they lock shard by
// shard like the DB methods; held over every shard of db they read without
// locking (with the Tx's clock).

// walkNow returns the clock and whether to lock for a walk of db.
func (tx *Tx) walkNow(db *DB) (now int64, lock bool) {
	if !tx.hold.on {
		return db.store.Now(), true
	}
	if !tx.HoldsAll(db) {
		panic(ErrNotHeld)
	}
	return tx.now, false
}

// Scan is DB.Scan for a command running in this Tx.
func (tx *Tx) Scan(db *DB, cursor uint64, count int, fn func(e *Entry)) uint64 {
	now, lock := tx.walkNow(db)
	return db.scan(cursor, count, fn, now, lock)
}

// Each is DB.Each for a command running in this Tx.
func (tx *Tx) Each(db *DB, fn func(e *Entry) bool) {
	now, lock := tx.walkNow(db)
	db.each(fn, now, lock)
}

// RandomKey is DB.RandomKey for a command running in this Tx.
func (tx *Tx) RandomKey(db *DB, r *rand.Rand) []byte {
	now, lock := tx.walkNow(db)
	return db.randomKey(r, now, lock)
}

// Volatile is DB.Volatile for a command running in this Tx.
func (tx *Tx) Volatile(db *DB) int64 {
	_, lock := tx.walkNow(db)
	return db.volatile(lock)
}

// AvgTTL is DB.AvgTTL for a command running in this Tx.
func (tx *Tx) AvgTTL(db *DB) int64 {
	now, lock := tx.walkNow(db)
	return db.avgTTL(now, lock)
}

// ExpiredIn reports whether key is in db but its TTL has passed (at the
// Tx's clock), without removing it (EXEC's check of WATCHed keys, as
// Redis's keyIsExpired). REQUIRES: the key's shard locked by the Tx.
func (tx *Tx) ExpiredIn(db *DB, key []byte) bool {
	s, h := tx.locate(db, key)
	e := s.tab.lookup(h, key)
	return e != nil && e.expireAt != 0 && e.expireAt <= tx.now
}

// PeekLocked reports whether key is in db's table (present, live or not)
// and whether it is present but expired at now, without touching it.
// REQUIRES: the key's shard locked, by anyone: a journal subscriber may use
// it for the databases of the record it is handed (their writer holds the
// shards), and must take no lock.
func (db *DB) PeekLocked(key []byte, now int64) (present, expired bool) {
	h := db.store.hash(key)
	e := db.shards[db.shardIndex(h)].tab.lookup(h, key)
	if e == nil {
		return false, false
	}
	return true, e.expireAt != 0 && e.expireAt <= now
}
