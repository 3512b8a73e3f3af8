package bench

import (
	"bytes"
	"sync/atomic"
	"time"
)

// The load loop: one goroutine per connection.
//
// Closed loop (the default), a connection sends a batch of --pipeline
// commands in one write, then reads the batch's replies; each request's
// latency runs from the write to its reply. This is how redis-benchmark -P
// and memtier measure, and it measures capacity: the server sets the pace.
//
// Open loop (--rate), each connection has a schedule: request i is meant
// to leave at start + i*interval. The connection sends every request that
// is due (keeping at most --pipeline in flight), sleeps when none is, and
// measures each latency from the request's intended send time, not from
// when it actually left. When the server stalls, the requests that should
// have been sent meanwhile are late, and their lateness is counted: a
// 200 ms stall shows up in the percentiles as the run of slow requests a
// real client at that rate would have seen, not as one slow request among
// thousands of fast ones ("coordinated omission", after Gil Tene). One
// lateness is not the server's: a connection with nothing in flight sleeps
// until its next request is due, and the OS wakes it late (up to a
// millisecond or more on a busy machine); requests that fell due during
// such a sleep are timed from the wake-up.
//
// Nothing in the steady state allocates: the command buffer, the slots and
// the histogram belong to the connection and are reused; replies are
// parsed in place. Only a new error text is copied (to count it by text).

// epoch anchors now; time.Since reads the monotonic clock.
var epoch = time.Now()

// now is monotonic nanoseconds since epoch.
func now() int64 { return int64(time.Since(epoch)) }

// maxIdleSleep bounds an open-loop connection's sleep, so that a slow
// --rate still ends a round promptly.
const maxIdleSleep = 50 * time.Millisecond

// maxErrorTexts bounds how many distinct error texts a connection keeps.
const maxErrorTexts = 16

// otherErrors collects the errors past maxErrorTexts distinct texts.
const otherErrors = "(other errors)"

// roundCtl is shared by a round's connections.
type roundCtl struct {
	measureStart atomic.Int64 // 0 during warm-up
	stop         atomic.Bool
}

// worker drives one connection.
type worker struct {
	c     *conn
	g     *gen
	depth int
	slots []slot

	// Open loop: nanoseconds between requests (0 for closed loop) and the
	// first request's intended time.
	interval float64
	first    int64

	quota uint64 // measured requests to send, 0 for no limit
	sent  uint64
	idle  bool // --requests left this connection nothing to send

	stats
	live atomic.Uint64
}

// stats is what one connection counted in a round.
type stats struct {
	hist    Histogram
	ops     uint64 // measured successful replies
	hits    uint64
	misses  uint64
	errs    uint64 // error replies, warm-up included
	errText []errCount
	lastT   int64 // time of the last measured reply
}

func newWorker(c *conn, g *gen, depth int) *worker {
	return &worker{c: c, g: g, depth: depth, slots: make([]slot, depth)}
}

// account handles one reply to s, recording its latency if measured.
func (w *worker) account(s *slot, rp *reply, measured bool, lat int64) {
	if rp.kind == '-' {
		w.noteError(rp.text)
	} else if s.op != opWrite {
		miss := rp.empty()
		if miss && s.op == opCacheGet {
			w.g.missed(s.key) // in warm-up too: it fills the cache
		}
		switch {
		case !measured:
		case miss:
			w.misses++
		default:
			w.hits++
		}
	}
	if measured {
		w.hist.Record(lat)
		if rp.kind != '-' {
			w.ops++
		}
	}
}

// errorKey is the part of an error text that identifies it: Redis quotes
// the arguments in some errors ("ERR unknown command 'X', with args
// beginning with: ..."), which would make each request's error distinct.
func errorKey(text []byte) []byte {
	if i := bytes.Index(text, []byte(", with args beginning with:")); i >= 0 {
		text = text[:i]
	}
	return text[:min(len(text), maxErrorLen)]
}

// maxErrorLen bounds the error text kept.
const maxErrorLen = 120

func (s *stats) noteError(text []byte) {
	s.errs++
	text = errorKey(text)
	for i := range s.errText {
		if s.errText[i].text == string(text) { // compares without allocating
			s.errText[i].n++
			return
		}
	}
	if len(s.errText) >= maxErrorTexts {
		text = []byte(otherErrors)
	}
	s.errText = append(s.errText, errCount{string(text), 1})
}

// errCount counts one error text.
type errCount struct {
	text string
	n    uint64
}

// add adds a connection's counts to the round.
func (rr *Round) add(s *stats) {
	rr.hist.Merge(&s.hist)
	rr.Ops += s.ops
	rr.Hits += s.hits
	rr.Misses += s.misses
	rr.Errors += s.errs
	for _, e := range s.errText {
		rr.errText[e.text] += e.n
	}
	rr.last = max(rr.last, s.lastT)
}

// budget is how many requests may go in the next batch (0: quota used up).
func (w *worker) budget(measuring bool, want int) int {
	if !measuring || w.quota == 0 {
		return want
	}
	if w.sent >= w.quota {
		return 0
	}
	return int(min(uint64(want), w.quota-w.sent))
}

// runClosed sends batches until the round stops or the quota is sent.
func (w *worker) runClosed(ctl *roundCtl) error {
	rp := &w.c.rp
	for !ctl.stop.Load() {
		ms := ctl.measureStart.Load()
		measuring := ms != 0
		n := w.budget(measuring, w.depth)
		if n == 0 {
			return nil
		}
		b := w.c.wb[:0]
		for i := 0; i < n; i++ {
			b = w.g.next(b, &w.slots[i])
		}
		w.c.wb = b
		t0 := now()
		if measuring {
			w.sent += uint64(n)
		}
		if _, err := w.c.nc.Write(b); err != nil {
			return err
		}
		var t int64
		for i := 0; i < n; i++ {
			if err := w.c.rd.read(rp); err != nil {
				return err
			}
			t = now()
			w.account(&w.slots[i], rp, measuring, t-t0)
		}
		if measuring {
			w.lastT = t
			w.live.Add(uint64(n))
		}
	}
	return nil
}

// runOpen sends on the fixed schedule until the round stops or the quota
// is sent, then collects the replies still in flight.
func (w *worker) runOpen(ctl *roundCtl) error {
	rp := &w.c.rp
	next := float64(w.first)
	head, inFlight := 0, 0
	done := false
	var woke int64 // when the last idle sleep ended
	for {
		t := now()
		ms := ctl.measureStart.Load()
		if !done && ctl.stop.Load() {
			done = true
		}
		if !done {
			b := w.c.wb[:0]
			for inFlight < w.depth && int64(next) <= t {
				intended := int64(next)
				measuring := ms != 0 && intended >= ms
				if w.budget(measuring, 1) == 0 {
					done = true
					break
				}
				s := &w.slots[(head+inFlight)%w.depth]
				// A request that fell due while the connection slept idle
				// is late by the timer's slack, not by the server's doing.
				w.g.stamp = max(intended, woke)
				b = w.g.next(b, s)
				s.t = w.g.stamp
				if measuring {
					w.sent++
				}
				inFlight++
				next += w.interval
			}
			w.c.wb = b
			if len(b) > 0 {
				if _, err := w.c.nc.Write(b); err != nil {
					return err
				}
			}
		}
		if inFlight == 0 {
			if done {
				return nil
			}
			if d := int64(next) - now(); d > 0 {
				time.Sleep(min(time.Duration(d), maxIdleSleep)) // wake to notice a stop
				woke = now()
			}
			continue
		}
		if err := w.c.rd.read(rp); err != nil {
			return err
		}
		t = now()
		s := &w.slots[head]
		measuring := ms != 0 && s.t >= ms
		w.account(s, rp, measuring, t-s.t)
		if measuring {
			w.lastT = t
			w.live.Add(1)
		}
		head = (head + 1) % w.depth
		inFlight--
	}
}
