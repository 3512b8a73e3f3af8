package store

import (
	"math/rand/v2"

	"github.com/embercache/ember/eviction"
)

// Access metadata.
//
// Every entry carries one 32-bit access word for the eviction policies,
// laid out as the policy in force says (eviction/access.go): an LRU clock
// (10 ms ticks) for the LRU, random, TTL and TinyLFU policies, Redis's
// minutes-and-counter layout for the LFU ones. A lookup records the access
// with an atomic store, only when the word changes, so reads under a
// shard's read lock cost one atomic load per tick per key. Under the
// TinyLFU policies every lookup, hit or miss, also counts the key in the
// store's frequency sketch. New entries start with the word of the command
// that created them; RENAME and MOVE carry the word over.
//
// Lookups skip the record for commands Redis runs with LOOKUP_NOTOUCH (TTL,
// TYPE, EXISTS, OBJECT: SkipTouch) and for clients in CLIENT NO-TOUCH mode
// (SetNoTouch), except TOUCH itself, which records through Touch.

// accessMode is how lookups record access under the current policy. A Tx
// loads it once per command.
type accessMode struct {
	meta   eviction.Metadata
	params eviction.Params
	sketch *eviction.Sketch // TinyLFU policies only
}

// defaultAccess is the mode before any policy is set: LRU clocks.
var defaultAccess = &accessMode{meta: eviction.MetaLRU, params: eviction.DefaultParams}

// newWord is the access word of an entry created at nowMs.
func (m *accessMode) newWord(nowMs int64) uint32 {
	if m.meta == eviction.MetaLFU {
		return eviction.LFUNew(nowMs)
	}
	return eviction.LRUClock(nowMs)
}

// LRUClockMax is the largest LRU clock value.
const LRUClockMax = 1<<32 - 1

// LRUClock returns the LRU clock for a unix time in milliseconds.
func LRUClock(nowMs int64) uint32 { return eviction.LRUClock(nowMs) }

// IdleMs estimates how long ago an LRU clock value was recorded, in
// milliseconds (OBJECT IDLETIME).
func IdleMs(access uint32, nowMs int64) int64 { return eviction.IdleMs(access, nowMs) }

// LFUCounter decodes an access word in Redis's LFU layout and returns the
// counter after decay (OBJECT FREQ).
func LFUCounter(access uint32, nowMs int64, decayMinutes int64) int64 {
	return eviction.LFUCounter(access, nowMs, decayMinutes)
}

// SkipTouch makes the current command's lookups leave access metadata
// alone (Redis's LOOKUP_NOTOUCH). Begin resets it.
func (tx *Tx) SkipTouch() { tx.touch = false }

// SetNoTouch sets the client-wide CLIENT NO-TOUCH mode: while on, lookups
// never record access; Touch still does.
func (tx *Tx) SetNoTouch(on bool) { tx.noTouch = on }

// Touch records an access to e now, whatever the touch mode (TOUCH).
func (tx *Tx) Touch(e *Entry) { tx.record(e) }

// touched records a lookup's access to a live entry unless the command or
// client asked not to.
func (tx *Tx) touched(e *Entry) {
	if tx.touch {
		tx.record(e)
	}
}

// record stores the access in e's word (and the sketch) as the mode says.
func (tx *Tx) record(e *Entry) {
	m := tx.mode
	if m.meta == eviction.MetaLFU {
		old := e.access.Load()
		if w := eviction.LFUTouch(old, tx.now, &m.params, rand.Uint32()); w != old {
			e.access.Store(w)
		}
		return
	}
	e.TouchAccess(tx.lru)
	if m.sketch != nil {
		m.sketch.Increment(tx.st.hash(e.Key()))
	}
}
