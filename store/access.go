package store

// Access metadata.
//
// Every entry carries one 32-bit access word for the eviction policies. For
// now it holds Redis's LRU clock: unix seconds masked to 24 bits, the same
// resolution and wrap-around as Redis's LRU_CLOCK (one wrap every ~194
// days). A lookup records the command's clock in the word with an atomic
// store, only when the value changed, so reads under a shard's read lock
// cost one atomic load per second per key. New entries start with the clock
// of the command that created them; RENAME and MOVE carry the word over.
//
// Lookups skip the record for commands Redis runs with LOOKUP_NOTOUCH (TTL,
// TYPE, EXISTS, OBJECT: SkipTouch) and for clients in CLIENT NO-TOUCH mode
// (SetNoTouch), except TOUCH itself, which records through Touch.
//
// Under an LFU policy Redis reads the same 24 bits as a 16-bit minute
// timestamp and an 8-bit logarithmic counter; LFUCounter decodes that
// layout, so a word written under LRU reads as Redis's would right after a
// policy switch ("data will take some time to adjust").

// LRUClockMax is the largest LRU clock value (Redis's LRU_CLOCK_MAX).
const LRUClockMax = 1<<24 - 1

// LRUClock returns the LRU clock for a unix time in milliseconds.
func LRUClock(nowMs int64) uint32 { return uint32(nowMs/1000) & LRUClockMax }

// IdleMs estimates how long ago an LRU clock value was recorded, in
// milliseconds, allowing for one wrap of the clock (Redis's
// estimateObjectIdleTime).
func IdleMs(access uint32, nowMs int64) int64 {
	clock := LRUClock(nowMs)
	access &= LRUClockMax
	if clock >= access {
		return int64(clock-access) * 1000
	}
	return int64(clock+(LRUClockMax-access)) * 1000
}

// LFUCounter decodes an access word in Redis's LFU layout (minutes<<8 |
// counter) and returns the counter after decay: one step per decayMinutes
// elapsed since the recorded minute (Redis's LFUDecrAndReturn).
func LFUCounter(access uint32, nowMs int64, decayMinutes int64) int64 {
	ldt := int64(access>>8) & 0xffff
	counter := int64(access & 0xff)
	now := (nowMs / 1000 / 60) & 0xffff
	var elapsed int64
	if now >= ldt {
		elapsed = now - ldt
	} else {
		elapsed = 65535 - ldt + now
	}
	if decayMinutes <= 0 {
		return counter
	}
	if periods := elapsed / decayMinutes; periods > 0 {
		if periods > counter {
			return 0
		}
		return counter - periods
	}
	return counter
}

// SkipTouch makes the current command's lookups leave access metadata
// alone (Redis's LOOKUP_NOTOUCH). Begin resets it.
func (tx *Tx) SkipTouch() { tx.touch = false }

// SetNoTouch sets the client-wide CLIENT NO-TOUCH mode: while on, lookups
// never record access; Touch still does.
func (tx *Tx) SetNoTouch(on bool) { tx.noTouch = on }

// Touch records an access to e now, whatever the touch mode (TOUCH).
func (tx *Tx) Touch(e *Entry) { e.TouchAccess(tx.lru) }

// touched records a lookup's access to a live entry unless the command or
// client asked not to.
func (tx *Tx) touched(e *Entry) {
	if tx.touch {
		e.TouchAccess(tx.lru)
	}
}
