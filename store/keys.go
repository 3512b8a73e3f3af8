package store

import "fmt"

// Typed operations of the keyspace commands (COPY's deep copy).

// Cloner is implemented by every non-string value kind: COPY duplicates a
// value through it, so the copy shares no mutable state with the source.
type Cloner interface {
	// Clone returns a deep copy of the value.
	Clone() any
}

// CloneValue deep-copies a non-string value for COPY; nil (a string
// entry's obj) stays nil. A value kind that does not implement Cloner is a
// programming error and panics (the server answers the command with an
// internal error and stays up).
func CloneValue(obj any) any {
	if obj == nil {
		return nil
	}
	if c, ok := obj.(Cloner); ok {
		return c.Clone()
	}
	panic(fmt.Sprintf("store: value of type %T does not implement Cloner", obj))
}

// CopyEntryTo copies src under key in db with its value and TTL, replacing
// what was there (COPY). It returns the new entry.
func (tx *Tx) CopyEntryTo(db *DB, key []byte, src *Entry) *Entry {
	return tx.CloneEntryTo(db, key, src, CloneValue)
}

// CountHits adds n keyspace hits to db, for commands that read keys
// outside a Tx (SCAN's TYPE filter looks each candidate up, as Redis's
// does, and Redis counts those lookups).
func (db *DB) CountHits(n int64) {
	if n > 0 {
		db.shards[0].hits.Add(n)
	}
}
