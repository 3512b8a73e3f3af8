package store

import "sync/atomic"

// Limits are the thresholds at which collections leave their compact
// encodings (Redis's *-max-listpack-* and set-max-intset-entries
// directives). The server sets them from its configuration; value types
// read them when they grow. A collection that has converted never converts
// back, as in Redis.
type Limits struct {
	HashMaxListpackEntries atomic.Int64 // hash-max-listpack-entries (512)
	HashMaxListpackValue   atomic.Int64 // hash-max-listpack-value (64)
	SetMaxIntsetEntries    atomic.Int64 // set-max-intset-entries (512)
	SetMaxListpackEntries  atomic.Int64 // set-max-listpack-entries (128)
	SetMaxListpackValue    atomic.Int64 // set-max-listpack-value (64)
	ZsetMaxListpackEntries atomic.Int64 // zset-max-listpack-entries (128)
	ZsetMaxListpackValue   atomic.Int64 // zset-max-listpack-value (64)
	// ListMaxListpackSize is list-max-listpack-size: positive, the most
	// entries per list node; -1..-5, a node byte limit of 4, 8, 16, 32 or
	// 64 KiB (-2 = 8 KiB).
	ListMaxListpackSize atomic.Int64
	// StreamNodeMaxBytes and StreamNodeMaxEntries are stream-node-max-bytes
	// (4096) and stream-node-max-entries (100): when a stream's tail node
	// is full and a new one starts (0: no limit of that kind).
	StreamNodeMaxBytes   atomic.Int64
	StreamNodeMaxEntries atomic.Int64
}

func (l *Limits) setDefaults() {
	l.HashMaxListpackEntries.Store(512)
	l.HashMaxListpackValue.Store(64)
	l.SetMaxIntsetEntries.Store(512)
	l.SetMaxListpackEntries.Store(128)
	l.SetMaxListpackValue.Store(64)
	l.ZsetMaxListpackEntries.Store(128)
	l.ZsetMaxListpackValue.Store(64)
	l.ListMaxListpackSize.Store(-2)
	l.StreamNodeMaxBytes.Store(4096)
	l.StreamNodeMaxEntries.Store(100)
}

// Limits returns the store's encoding thresholds (defaults are Redis's).
func (st *Store) Limits() *Limits { return &st.limits }
