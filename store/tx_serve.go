package store

// Tx methods for work done on another client's behalf: serving a blocked
// client from inside the command that fed its key, where the key may be in
// another database than the one the Tx began on, and where the shards the
// blocked command needs may not all be held yet.

// TryKeyIn adds the shard of key in db to a locked write Tx if it can do
// so without waiting, reporting whether the Tx now holds it. Unlock
// releases it with the others. Because it never waits, it may take a shard
// out of ascending order without risking a deadlock.
func (tx *Tx) TryKeyIn(db *DB, key []byte) bool {
	if !tx.locked || !tx.write {
		return false
	}
	if tx.Holds(db, key) {
		return true
	}
	idx := db.shardIndex(tx.st.hash(key))
	g := db.groupOf(idx)
	needGroup := !tx.holdsGroup(db, g)
	if needGroup && !db.groups[g].mu.TryRLock() {
		return false
	}
	if !db.shards[idx].mu.TryLock() {
		if needGroup {
			db.groups[g].mu.RUnlock()
		}
		return false
	}
	if needGroup {
		tx.groups = append(tx.groups, groupRef{db, g})
	}
	tx.refs = append(tx.refs, shardRef{db, idx})
	return true
}

// ResizedIn is Resized for an entry of another locked database.
func (tx *Tx) ResizedIn(db *DB, e *Entry, before int64) {
	tx.entryShard(db, e).addUsed(e.size() - before)
}
