// Package store holds ember's keyspace: databases split into lock-striped
// shards, entries with their absolute expiry, the value types, the expiry
// index, SCAN cursors, memory accounting and the journal of mutations.
//
// The store knows nothing about connections or RESP. Callers (the server's
// command handlers) open a Tx over the keys a command touches, which locks
// the shards those keys hash to in ascending order, work on entries through
// the Tx, emit the command's effect to the journal while the locks are still
// held, and release. Lock ordering is documented in locking.md beside this
// file.
package store
