package store

// What keyspace notifications need from the store.
//
// Notifications are driven by the journal, but a journal record is the
// deterministic effect of a command, not the command: INCR is journaled as
// SET ... KEEPTTL, yet Redis notifies "incrby". So every record carries the
// name and arguments of the command that produced it (Tx.SetCommand), and
// the keys that command added to the keyspace ("new" events) and removed
// with Tx.Delete (the "del" that follows an HDEL or LPOP which emptied a
// collection). Keys are tracked only while the journal is active, so a
// server without subscribers pays one atomic load per created key.
//
// Key misses ("keymiss" events) are reads, which the journal never sees: a
// hook installed with SetKeyMissHook runs on every miss LookupRead counts.

// SetCommand names the command the Tx runs until the next SetCommand:
// name is its lower-case table name, args the command as sent (aliased,
// not copied: valid while the command runs).
func (tx *Tx) SetCommand(name string, args [][]byte) {
	tx.cmd = name
	tx.cmdArgs = args
}

// noteCreated records that key was added to db, for the next record.
func (tx *Tx) noteCreated(db *DB, key []byte) {
	if tx.st.journal.Active() {
		tx.created = append(tx.created, KeyRef{DB: db.index, Key: key})
	}
}

// noteDeleted records that key was removed from db, for the next record.
func (tx *Tx) noteDeleted(db *DB, key []byte) {
	if tx.st.journal.Active() {
		tx.deleted = append(tx.deleted, KeyRef{DB: db.index, Key: key})
	}
}

// resetKeyRefs forgets the created and deleted keys (they alias command
// arguments and entries, which must not be kept alive).
func (tx *Tx) resetKeyRefs() {
	clear(tx.created)
	clear(tx.deleted)
	tx.created = tx.created[:0]
	tx.deleted = tx.deleted[:0]
}

// SetKeyMissHook installs fn to run whenever a lookup that reads a value
// (Tx.LookupRead) finds no live key; nil removes it. fn runs under the
// key's shard lock, possibly on many goroutines at once: it must be quick,
// must not block and must not call the store. key is only valid during
// the call.
func (st *Store) SetKeyMissHook(fn func(db int, key []byte)) {
	if fn == nil {
		st.keyMiss.Store(nil)
		return
	}
	st.keyMiss.Store(&fn)
}
