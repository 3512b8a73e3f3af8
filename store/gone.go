package store

// Removed streams.
//
// Redis 7.0 answers a client blocked in XREADGROUP with "UNBLOCKED the
// stream key no longer exists" when its stream is deleted or replaced
// while it waits (DEL, UNLINK, a value stored over it, RENAME or MOVE
// away, expiry), so the server must learn of every removal of a stream
// entry. A Tx reports the ones its command makes to the hook its owner
// installed (SetStreamGone); active expiry, which runs without a Tx,
// reports to the store's hook (SetStreamExpiredHook). Both are a kind
// comparison when the removed entry is not a stream; FLUSHDB/FLUSHALL and
// SWAPDB, which drop whole tables, are left to the caller.

// SetStreamGone installs fn to run whenever the Tx removes or replaces a
// stream key: Delete, a value stored over it (SetString, PutIn, the
// destination of CloneEntryTo/MoveEntry), the source of MoveEntry, or a
// write lookup expiring it. fn runs under the key's shard lock; it must
// not Lock or Unlock the Tx nor call the store, and key is only valid
// during the call.
func (tx *Tx) SetStreamGone(fn func(db *DB, key []byte)) { tx.streamGone = fn }

// removed reports e (of db), just taken out of the keyspace or about to be
// replaced, to the stream hook if it is a stream.
func (tx *Tx) removed(db *DB, e *Entry) {
	if e.kind == KindStream && tx.streamGone != nil {
		tx.streamGone(db, e.Key())
	}
}

// SetStreamExpiredHook installs fn to run when active expiry removes a
// stream key; nil removes it. fn runs on the expiry goroutine under the
// key's shard lock: it must be quick, must not block and must not call the
// store. key is only valid during the call.
func (st *Store) SetStreamExpiredHook(fn func(db *DB, key []byte)) {
	if fn == nil {
		st.streamExpired.Store(nil)
		return
	}
	st.streamExpired.Store(&fn)
}
