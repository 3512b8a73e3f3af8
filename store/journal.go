package store

import (
	"sync"
	"sync/atomic"
)

// The journal.
//
// Every effective write to the keyspace is described once, as a
// deterministic command (SET k v PXAT <ms>, DEL k, ...), by the code that
// made it, while that code still holds the shard locks of the keys involved.
// Persistence, replication, keyspace notifications and cache invalidation
// subscribe to the journal instead of being called by command handlers.
//
// Emit delivers a record synchronously to every subscriber under the
// journal's mutex, which gives one total order consistent with the order of
// changes in memory for every key. Subscribers must therefore be quick (copy
// the record into a buffer and return) and must not call into the store.
// When nobody subscribes, Emit costs one atomic load; callers check Active
// before building records that would allocate.

// Cause says why a mutation happened.
type Cause uint8

// Causes of mutations.
const (
	CauseCommand Cause = iota // a client command (or script, or transaction)
	CauseExpired              // the key's TTL passed (lazy or active expiry)
	CauseEvicted              // maxmemory eviction
)

// Mutation is one journal record.
type Mutation struct {
	// Seq numbers records in journal order, from 1.
	Seq uint64
	// DB is the database the command applies to.
	DB int
	// Args is the deterministic command, name first (upper case). The
	// slices are only valid during the subscriber call: copy to keep.
	Args [][]byte
	// Cause says why the change happened.
	Cause Cause
	// Cmd is the lower-case name of the command that made the change, as
	// in the command table ("incr", "client|kill"); "" when not known
	// (expiry, eviction). CmdArgs is that command as the client sent it.
	// Keyspace notifications name events from them: INCR is journaled as
	// SET ... KEEPTTL but notifies "incrby".
	Cmd     string
	CmdArgs [][]byte
	// Client is the id of the client whose command made the change (Tx.SetClient), 0 when none.
	Client int64
	// Created lists the keys the command added to the keyspace since its
	// previous record (Redis's "new" events), Deleted the keys it removed
	// with Tx.Delete (a collection emptied by HDEL, LPOP ...). Valid only
	// during the subscriber call.
	Created []KeyRef
	Deleted []KeyRef
}

// KeyRef names a key of a database.
type KeyRef struct {
	DB  int
	Key []byte
}

// Subscriber receives journal records in order. It runs under the journal's
// lock and the writer's shard locks: it must not block or call the store.
type Subscriber func(m *Mutation)

// Journal fans mutation records out to its subscribers.
type Journal struct {
	mu   sync.Mutex
	seq  uint64
	subs atomic.Pointer[[]*subscription]
	// expired is emitExpired's record, reused under mu (expiry must not
	// allocate per key: a burst of expiries would feed the GC).
	expired     Mutation
	expiredArgs [2][]byte
}

type subscription struct{ fn Subscriber }

// Subscribe registers fn and returns a function that removes it.
func (j *Journal) Subscribe(fn Subscriber) (cancel func()) {
	s := &subscription{fn: fn}
	j.mu.Lock()
	var cur []*subscription
	if p := j.subs.Load(); p != nil {
		cur = *p
	}
	next := append(append([]*subscription(nil), cur...), s)
	j.subs.Store(&next)
	j.mu.Unlock()
	return func() {
		j.mu.Lock()
		defer j.mu.Unlock()
		p := j.subs.Load()
		if p == nil {
			return
		}
		var next []*subscription
		for _, x := range *p {
			if x != s {
				next = append(next, x)
			}
		}
		if len(next) == 0 {
			j.subs.Store(nil)
		} else {
			j.subs.Store(&next)
		}
	}
}

// Active reports whether anyone subscribes; records need not be built
// otherwise.
func (j *Journal) Active() bool { return j.subs.Load() != nil }

// Seq returns the sequence number of the last record emitted.
func (j *Journal) Seq() uint64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.seq
}

// emit delivers one record. REQUIRES: the shard locks of the keys involved.
func (j *Journal) emit(db int, cause Cause, args [][]byte) {
	j.emitMutation(&Mutation{DB: db, Args: args, Cause: cause})
}

// emitMutation delivers m, numbering it. REQUIRES: the shard locks of the
// keys involved.
func (j *Journal) emitMutation(m *Mutation) {
	p := j.subs.Load()
	if p == nil {
		return
	}
	j.mu.Lock()
	j.deliverLocked(*p, m)
	j.mu.Unlock()
}

// deliverLocked numbers m and hands it to subs. REQUIRES: j.mu.
func (j *Journal) deliverLocked(subs []*subscription, m *Mutation) {
	j.seq++
	m.Seq = j.seq
	for _, s := range subs {
		s.fn(m)
	}
}

var (
	cmdDEL = []byte("DEL")
)

// emitExpired journals the removal of an expired key as DEL.
func (j *Journal) emitExpired(db int, key []byte) { j.emitCause(db, key, CauseExpired) }

// emitCause journals the removal of a key as DEL for a cause other than a
// command (expiry, eviction).
func (j *Journal) emitCause(db int, key []byte, cause Cause) {
	p := j.subs.Load()
	if p == nil {
		return
	}
	j.mu.Lock()
	j.expiredArgs = [2][]byte{cmdDEL, key}
	j.expired = Mutation{DB: db, Args: j.expiredArgs[:], Cause: cause}
	j.deliverLocked(*p, &j.expired)
	j.expired = Mutation{}
	j.expiredArgs = [2][]byte{}
	j.mu.Unlock()
}
