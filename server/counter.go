package server

import "sync/atomic"

// Counters on the command path.
//
// A counter that every command bumps (calls of GET, commands processed,
// bytes in and out) would, as one atomic, bounce its cache line between
// every core running clients. Such counters are striped instead: a client
// adds to the stripe its id picks, and readers (INFO, metrics) sum the
// stripes. Two clients share a stripe only when their ids are equal modulo
// counterStripes, so the adds stay uncontended in practice.

// counterStripes is the number of stripes per counter (a power of two).
const counterStripes = 16

// stripedInt is a striped int64 counter.
type stripedInt struct {
	s [counterStripes]struct {
		v atomic.Int64
		_ [56]byte // one stripe per cache line
	}
}

// Add adds n to the given stripe.
func (c *stripedInt) Add(stripe int, n int64) { c.s[stripe&(counterStripes-1)].v.Add(n) }

// Load returns the sum of the stripes.
func (c *stripedInt) Load() int64 {
	var n int64
	for i := range c.s {
		n += c.s[i].v.Load()
	}
	return n
}

// Store sets the counter to v (CONFIG RESETSTAT).
func (c *stripedInt) Store(v int64) {
	for i := range c.s {
		c.s[i].v.Store(0)
	}
	c.s[0].v.Add(v)
}

// cmdStats are the INFO commandstats counters of one command, striped like
// stripedInt with the four counters of a stripe on one cache line.
type cmdStats struct {
	s [counterStripes]struct {
		calls, usec, rejected, failed atomic.Int64
		_                             [32]byte
	}
}

// call records one executed call of usec microseconds.
func (st *cmdStats) call(stripe int, usec int64, failed bool) {
	p := &st.s[stripe&(counterStripes-1)]
	p.calls.Add(1)
	p.usec.Add(usec)
	if failed {
		p.failed.Add(1)
	}
}

// reject records a call refused before it ran (arity, auth, ...).
func (st *cmdStats) reject(stripe int) { st.s[stripe&(counterStripes-1)].rejected.Add(1) }

// load sums the stripes.
func (st *cmdStats) load() (calls, usec, rejected, failed int64) {
	for i := range st.s {
		p := &st.s[i]
		calls += p.calls.Load()
		usec += p.usec.Load()
		rejected += p.rejected.Load()
		failed += p.failed.Load()
	}
	return
}

// reset zeroes the counters.
func (st *cmdStats) reset() {
	for i := range st.s {
		p := &st.s[i]
		p.calls.Store(0)
		p.usec.Store(0)
		p.rejected.Store(0)
		p.failed.Store(0)
	}
}
