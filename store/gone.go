package store

// Removed streams.
//
// Redis 7.0 answers a client blocked in XREADGROUP with "UNBLOCKED the
// stream key no longer exists" when its stream is deleted or replaced
// while it waits (DEL, UNLINK, a value stored over it, RENAME or MOVE
// away, expiry, eviction), so the server must learn of every removal of a stream
// entry. A Tx reports the ones its command makes to the hook its owner
// installed (SetStreamGone); removals no command asked for (active
// expiry, the expiry of due entries when a write unlocks its shards,
// eviction) report to the store's hook (SetStreamRemovedHook). Both are a kind
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

// SetStreamRemovedHook installs fn to run when the store removes a stream
// key on its own: active expiry, the expiry of due entries when a write
// unlocks its shards, eviction; nil removes it. fn runs under the key's
// shard lock, on the expiry goroutine or any client's: it must be quick,
// must not block and must not call the store. key is only valid during
// the call.
func (st *Store) SetStreamRemovedHook(fn func(db *DB, key []byte)) {
	if fn == nil {
		st.streamRemoved.Store(nil)
		return
	}
	st.streamRemoved.Store(&fn)
}

// removedOnOwn reports e (of db), which the store removed on its own, to
// the store's hook if it is a stream.
func (st *Store) removedOnOwn(db *DB, e *Entry) {
	if e.kind == KindStream {
		if fn := st.streamRemoved.Load(); fn != nil {
			(*fn)(db, e.Key())
		}
	}
}
