package server

import (
	"slices"
	"sync"
	"sync/atomic"

	"github.com/embercache/ember/store"
)

// WATCH invalidation, driven by the journal.
//
// The registry maps each watched (database, key) to the clients watching
// it. A journal subscriber exists only while some key is watched (so with
// no WATCH the journal may stay inactive and writes pay nothing); it runs
// under the writer's shard locks, and for each record marks dirty
// (casDirty) the clients watching a key the record touches: the keys at
// the record's command's key positions (the table's, as for COMMAND
// GETKEYS) and the keys it created or deleted in other databases (MOVE,
// COPY ... DB). FLUSHDB and FLUSHALL touch the watchers of keys that were
// in the emptied database, SWAPDB those of keys in either database, as
// Redis's touchAllWatchedKeysInDb.
//
// Expiry, as Redis 7.0: a key already expired (but not yet removed) when
// WATCHed is flagged expired; its removal by expiry is no logical change
// and clears the flag. Any other record on a watched key, including the
// expiry of a key that was live at WATCH, marks the watcher dirty; and
// EXEC fails when a watched key that was live at WATCH is expired when it
// runs, even if nothing removed it yet.
//
// Locks: subMu (subscription) is taken before the journal's lock
// (Subscribe) and never under it. mu (the map) is a leaf, taken by the
// subscriber under the journal's lock and shard locks; WATCH takes it
// under the key's shard lock, so registration and the records of that key
// are ordered.
type watchRegistry struct {
	subMu  sync.Mutex
	cancel func()
	users  int // clients with watched keys (under subMu)

	mu   sync.Mutex
	keys map[int]map[string][]*watchedKey // db → key → watchers

	nkeys    atomic.Int64 // watched (client, key) pairs
	nclients atomic.Int64 // clients watching keys
}

// watchedKey is one client's watch of one key.
type watchedKey struct {
	c   *Client
	db  int
	key string
	// present: the key was in the table (live or expired) when watched,
	// which (while the watch is clean) it still is; expired: it was there
	// but already expired. Guarded by mu (written under the key's shard
	// lock or the locks of every shard of its database).
	present bool
	expired bool
}

// watch adds keys (in c's database) to c's watched keys.
func (r *watchRegistry) watch(c *Client, keys [][]byte) {
	if len(c.watched) == 0 {
		r.subMu.Lock()
		if r.users == 0 {
			srv := c.srv
			r.cancel = srv.store.Journal().Subscribe(func(m *store.Mutation) { r.onMutation(srv, m) })
		}
		r.users++
		r.subMu.Unlock()
		r.nclients.Add(1)
	}
	db := c.db.Index()
	tx := c.tx
	for _, k := range keys {
		if slices.ContainsFunc(c.watched, func(w *watchedKey) bool { return w.db == db && w.key == string(k) }) {
			continue
		}
		w := &watchedKey{c: c, db: db, key: string(k)}
		tx.LockKey(c.db, k, false)
		w.present, w.expired = c.db.PeekLocked(k, tx.Now())
		r.mu.Lock()
		if r.keys == nil {
			r.keys = make(map[int]map[string][]*watchedKey)
		}
		m := r.keys[db]
		if m == nil {
			m = make(map[string][]*watchedKey)
			r.keys[db] = m
		}
		m[w.key] = append(m[w.key], w)
		r.mu.Unlock()
		tx.Unlock()
		c.watched = append(c.watched, w)
		r.nkeys.Add(1)
	}
}

// unwatch forgets every key c watches.
func (r *watchRegistry) unwatch(c *Client) {
	r.mu.Lock()
	for _, w := range c.watched {
		m := r.keys[w.db]
		ws := slices.DeleteFunc(m[w.key], func(x *watchedKey) bool { return x == w })
		if len(ws) == 0 {
			delete(m, w.key)
		} else {
			m[w.key] = ws
		}
		if len(m) == 0 {
			delete(r.keys, w.db)
		}
	}
	r.mu.Unlock()
	r.nkeys.Add(-int64(len(c.watched)))
	r.nclients.Add(-1)
	clear(c.watched)
	c.watched = c.watched[:0]
	r.subMu.Lock()
	r.users--
	if r.users == 0 && r.cancel != nil {
		r.cancel()
		r.cancel = nil
	}
	r.subMu.Unlock()
}

var (
	recFLUSHDB  = []byte("FLUSHDB")
	recFLUSHALL = []byte("FLUSHALL")
	recSWAPDB   = []byte("SWAPDB")
)

// onMutation marks the watchers of the keys m touches.
func (r *watchRegistry) onMutation(s *Server, m *store.Mutation) {
	if len(m.Args) == 0 || r.nkeys.Load() == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.keys) == 0 {
		return
	}
	name := m.Args[0]
	switch {
	case eqFold(name, "flushdb"):
		r.flushed(m.DB)
		return
	case eqFold(name, "flushall"):
		for db := range r.keys {
			r.flushed(db)
		}
		return
	case eqFold(name, "swapdb") && len(m.Args) == 3:
		i, _ := parseDBIndex(m.Args[1])
		j, _ := parseDBIndex(m.Args[2])
		r.swapped(s, i, j)
		r.swapped(s, j, i)
		return
	}
	if len(m.Args) < 2 {
		return // MULTI, EXEC
	}
	if cmd := s.cmds.lookupName(name); cmd != nil && (cmd.FirstKey > 0 || cmd.GetKeys != nil) {
		for _, i := range cmd.keyPositions(m.Args) {
			r.touch(m.DB, m.Args[i], m.Cause)
		}
	} else {
		r.touch(m.DB, m.Args[1], m.Cause)
	}
	for _, k := range m.Created {
		r.touch(k.DB, k.Key, m.Cause)
	}
	for _, k := range m.Deleted {
		r.touch(k.DB, k.Key, m.Cause)
	}
}

// touch marks the watchers of key in db. REQUIRES: r.mu.
func (r *watchRegistry) touch(db int, key []byte, cause store.Cause) {
	for _, w := range r.keys[db][string(key)] {
		if w.expired && cause == store.CauseExpired {
			// Already expired when watched, now removed: no logical change.
			w.expired, w.present = false, false
			continue
		}
		w.c.casDirty.Store(true)
	}
}

// flushed marks the watchers of keys that were in the emptied db.
// REQUIRES: r.mu.
func (r *watchRegistry) flushed(db int) {
	for _, ws := range r.keys[db] {
		for _, w := range ws {
			switch {
			case !w.present:
			case w.expired:
				w.expired, w.present = false, false
			default:
				w.c.casDirty.Store(true)
			}
		}
	}
}

// swapped marks the watchers of keys of database a after SWAPDB a b: a now
// holds b's keys (peeked under the SWAPDB's locks of every shard of both).
// REQUIRES: r.mu.
func (r *watchRegistry) swapped(s *Server, a, b int) {
	ws := r.keys[a]
	if len(ws) == 0 {
		return
	}
	db := s.store.DB(a)
	now := s.store.Now()
	for key, list := range ws {
		present, expired := db.PeekLocked([]byte(key), now)
		for _, w := range list {
			if !w.present && !present {
				continue
			}
			if w.expired {
				if !present {
					w.expired, w.present = false, false
					continue
				}
				if expired {
					continue
				}
			} else if !w.present && expired {
				w.expired, w.present = true, true
				continue
			}
			w.c.casDirty.Store(true)
		}
	}
}
