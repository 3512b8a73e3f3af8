package store

import "sync"

// Shard groups: a second, coarser level of locks above the shards.
//
// Every holder of a shard lock also holds the read side of its shard's
// group lock (taken just before the first shard of the group, in the same
// ascending order), so whoever takes the write side of every group of a
// database excludes every shard of it with maxGroups locks instead of one
// per shard. That is how commands that need a whole database — FLUSHDB,
// FLUSHALL, SWAPDB, scripts (they may touch keys they did not declare) and
// transactions that walk the keyspace — lock: 16 write locks rather than
// 256, which took half of a short script's time.
//
// An ordinary command pays one uncontended read lock and unlock of its
// group (two atomic operations on a line shared with the 1/16th of the
// keyspace in the same group). The order is (database, group, shard):
// groups are consecutive ranges of shards, so sorting shards also sorts
// groups, and a Tx acquires a group just before its first shard in it.

// maxGroups is the number of groups of a database (fewer when there are
// fewer shards).
const maxGroups = 16

// groupLock is one group's lock, on its own cache line.
type groupLock struct {
	mu sync.RWMutex
	_  [40]byte
}

// groupRef names a group of a database.
type groupRef struct {
	db *DB
	g  uint32
}

// groupOf returns the group of shard idx.
func (db *DB) groupOf(idx uint32) uint32 { return idx >> db.gshift }

// initGroups sizes the groups for n shards (a power of two).
func (db *DB) initGroups(n int) {
	g := min(n, maxGroups)
	db.groups = make([]groupLock, g)
	for n > g {
		n >>= 1
		db.gshift++
	}
	for i := range db.shards {
		db.shards[i].grp = &db.groups[db.groupOf(uint32(i))].mu
	}
}

// lockWalk read-locks s and its group (walks, one shard at a time).
func (s *shard) lockWalk() {
	s.grp.RLock()
	s.mu.RLock()
}

// unlockWalk undoes lockWalk.
func (s *shard) unlockWalk() {
	s.mu.RUnlock()
	s.grp.RUnlock()
}

// lockOne write-locks s under its group's read lock (active expiry,
// eviction: one shard at a time).
func (s *shard) lockOne() {
	s.grp.RLock()
	s.mu.Lock()
}

// unlockOne undoes lockOne.
func (s *shard) unlockOne() {
	s.mu.Unlock()
	s.grp.RUnlock()
}

// holdsGroup reports whether the Tx holds group g of db in read mode.
func (tx *Tx) holdsGroup(db *DB, g uint32) bool {
	for _, r := range tx.groups {
		if r.db == db && r.g == g {
			return true
		}
	}
	return false
}

// holdsWhole reports whether the Tx holds every group of db for writing
// (LockAll).
func (tx *Tx) holdsWhole(db *DB) bool {
	for _, d := range tx.whole {
		if d == db {
			return true
		}
	}
	return false
}
