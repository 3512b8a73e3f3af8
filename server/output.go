package server

import (
	"errors"
	"strings"
	"sync"
	"time"
)

// Asynchronous output.
//
// A plain client's replies are written by its own goroutine, once per
// pipeline (Client.flush). Some clients also receive data that other
// clients produce: pub/sub messages, MONITOR lines, keyspace notifications,
// RESP3 push frames. Such a client switches, once, to asynchronous output
// (enableAsync): from then on every byte for it, its own replies included,
// goes through one queue guarded by a mutex, and a writer goroutine drains
// the queue into the socket. So a publisher never blocks on a slow
// subscriber's socket, and the order of bytes in the queue is the order in
// which they were produced.
//
// A handler that must make a registration and its reply atomic with respect
// to pushes (SUBSCRIBE: no message published after the subscription may
// precede the confirmation) takes the queue lock with lockOut, registers,
// writes its reply, and calls flushLocked before unlockOut.
//
// client-output-buffer-limit applies to the queue: over the hard limit, or
// over the soft limit for longer than its seconds, the client is closed and
// its queue dropped, so a consumer that stops reading cannot make memory
// grow without bound, and publishers go on unaffected. A queue follows its
// client's class (pubsub while subscribed, normal otherwise; replica for
// replicas) and reads that class's limits as configured now, so CONFIG SET
// applies to connected clients at once. The normal class also applies to
// clients with synchronous output: a reply bigger than the hard limit
// closes the connection instead of being written (syncOverLimit).
//
// Messages from other goroutines (published messages, notifications) are
// encoded once, as RESP2 arrays, and turned into RESP3 pushes per receiver
// by swapping the first byte ('*' for '>'), so a publish encodes a message
// once whatever its receivers speak.

// outLimit is one class of client-output-buffer-limit.
type outLimit struct {
	hard, soft int64
	softFor    time.Duration
}

// Client classes of client-output-buffer-limit, in the order of its value.
const (
	classNormal = iota
	classReplica
	classPubsub
	classFixed = -1 // a queue with its own limit (enableAsync)
)

// outLimitClasses are the class names as the parameter's value spells them.
var outLimitClasses = [3]string{"normal", "slave", "pubsub"}

// parseOutputLimits parses a canonical client-output-buffer-limit value
// ("normal 0 0 0 slave 268435456 67108864 60 pubsub ...").
func parseOutputLimits(v string) (l [3]outLimit) {
	f := strings.Fields(v)
	for i := 0; i+3 < len(f); i += 4 {
		for class, name := range outLimitClasses {
			if f[i] == name {
				hard, _ := parseMemory(f[i+1])
				soft, _ := parseMemory(f[i+2])
				secs, _ := parseInt([]byte(f[i+3]))
				l[class] = outLimit{hard: hard, soft: soft, softFor: time.Duration(secs) * time.Second}
			}
		}
	}
	return l
}

// applyOutputLimits installs a client-output-buffer-limit value.
func (s *Server) applyOutputLimits(v string) {
	l := parseOutputLimits(v)
	s.outLimits.Store(&l)
}

// outLimitOf returns the current limits of class.
func (s *Server) outLimitOf(class int) outLimit {
	if l := s.outLimits.Load(); l != nil {
		return l[class]
	}
	return outLimit{}
}

// asyncOut is a client's output queue and writer.
type asyncOut struct {
	mu        sync.Mutex
	buf       []byte
	closed    bool
	resp3     bool      // the client speaks RESP3: messages are pushes
	softSince time.Time // when the output went over the soft limit (zero: not over)
	inflight  int64     // bytes the writer took and is writing
	class     int       // the client's limit class, or classFixed
	limit     outLimit  // the limit of classFixed
	wake      chan struct{}
	done      chan struct{} // closed when the writer has exited
}

// limitLocked returns the queue's current limit. REQUIRES: a.mu.
func (c *Client) limitLocked(a *asyncOut) outLimit {
	if a.class == classFixed {
		return a.limit
	}
	return c.srv.outLimitOf(a.class)
}

// enableAsync switches c to asynchronous output with a fixed limit
// (idempotent; a second call replaces the limit). It must be called by c's
// own goroutine.
func (c *Client) enableAsync(limit outLimit) {
	c.startAsync()
	c.async.mu.Lock()
	c.async.class, c.async.limit = classFixed, limit
	c.async.mu.Unlock()
}

// enableAsyncClass switches c to asynchronous output under the configured
// limits of class (idempotent; a second call changes the class). It must
// be called by c's own goroutine.
func (c *Client) enableAsyncClass(class int) {
	c.startAsync()
	c.async.mu.Lock()
	c.async.class = class
	c.async.mu.Unlock()
}

// startAsync creates c's queue and writer unless it has them.
func (c *Client) startAsync() {
	if c.async != nil {
		return
	}
	a := &asyncOut{wake: make(chan struct{}, 1), done: make(chan struct{}), class: classNormal, resp3: c.resp3}
	a.buf = append(a.buf, c.out...)
	c.out = c.out[:0]
	c.async = a
	c.srv.wg.Add(1)
	go c.writeLoop(a)
	if len(a.buf) > 0 {
		a.signal()
	}
}

func (a *asyncOut) signal() {
	select {
	case a.wake <- struct{}{}:
	default:
	}
}

// writeLoop drains the queue into the socket until the client ends.
func (c *Client) writeLoop(a *asyncOut) {
	defer c.srv.wg.Done()
	defer close(a.done)
	var spare []byte
	for {
		select {
		case <-a.wake:
		case <-c.stop:
			// Deliver what is queued (replies to commands already read),
			// then stop.
			c.drain(a, &spare)
			return
		}
		if !c.drain(a, &spare) {
			c.kill()
			return
		}
	}
}

// drain writes everything queued; false means the connection failed.
func (c *Client) drain(a *asyncOut, spare *[]byte) bool {
	for {
		a.mu.Lock()
		if len(a.buf) == 0 || a.closed {
			a.softSince = time.Time{}
			c.obufSize.Store(0)
			a.mu.Unlock()
			return !a.closed
		}
		out := a.buf
		a.buf = (*spare)[:0]
		a.inflight = int64(len(out))
		a.mu.Unlock()
		n, err := c.conn.Write(out)
		c.srv.stats.netOutput.Add(int(c.id), int64(n))
		a.mu.Lock()
		a.inflight = 0
		a.mu.Unlock()
		if err != nil {
			return false
		}
		if cap(out) > 4*outFlushThreshold {
			out = nil
		}
		*spare = out
	}
}

// appendLocked queues b, applying the output limits. REQUIRES: a.mu.
// It reports false when the client went over its limit (it is then closed).
func (c *Client) appendLocked(a *asyncOut, b []byte) bool {
	if a.closed {
		return false
	}
	a.buf = append(a.buf, b...)
	return c.queuedLocked(a)
}

// appendFrameLocked queues a message frame encoded as a RESP2 array, as a
// push if the client speaks RESP3. REQUIRES: a.mu; false as appendLocked.
func (c *Client) appendFrameLocked(a *asyncOut, frame []byte) bool {
	if a.closed {
		return false
	}
	if a.resp3 {
		a.buf = append(a.buf, '>')
		a.buf = append(a.buf, frame[1:]...)
	} else {
		a.buf = append(a.buf, frame...)
	}
	return c.queuedLocked(a)
}

// appendFrame appends a message frame (RESP2 array form) to dst in c's
// protocol; for c's own goroutine (its reply buffer).
func (c *Client) appendFrame(dst *[]byte, frame []byte) {
	if c.resp3 {
		*dst = append(*dst, '>')
		*dst = append(*dst, frame[1:]...)
	} else {
		*dst = append(*dst, frame...)
	}
}

// protoChanged tells c's queue that c switched protocol (HELLO, RESET), so
// later messages are framed accordingly. c's own goroutine.
func (c *Client) protoChanged() {
	if a := c.async; a != nil {
		a.mu.Lock()
		a.resp3 = c.resp3
		a.mu.Unlock()
	}
}

// queuedLocked applies the output limits after bytes were queued and
// wakes the writer. REQUIRES: a.mu; false as appendLocked.
func (c *Client) queuedLocked(a *asyncOut) bool {
	// Bytes the writer is still pushing into a full socket count too:
	// together they are what the client has not consumed.
	n := int64(len(a.buf)) + a.inflight
	c.obufSize.Store(n)
	limit := c.limitLocked(a)
	over := false
	if limit.hard > 0 && n > limit.hard {
		over = true
	} else if limit.soft > 0 && n > limit.soft {
		if a.softSince.IsZero() {
			a.softSince = time.Now()
		} else if time.Since(a.softSince) > limit.softFor {
			over = true
		}
	} else {
		a.softSince = time.Time{}
	}
	if over {
		a.closed = true
		a.buf = nil
		c.srv.log.Warn("client closed for overcoming of output buffer limits", "client", c.raddr, "bytes", n)
		c.srv.stats.outputLimitKills.Add(1)
		go c.kill()
		return false
	}
	a.signal()
	return true
}

// Push queues bytes for c from another goroutine (a published message, a
// MONITOR line). It reports false if c has been closed, now or before, for
// exceeding its output limit. c must be in asynchronous mode.
func (c *Client) Push(b []byte) bool {
	a := c.async
	a.mu.Lock()
	ok := c.appendLocked(a, b)
	a.mu.Unlock()
	return ok
}

// lockOut takes c's output queue lock (asynchronous mode only), so that a
// registration and the reply that confirms it are atomic with respect to
// pushes from other goroutines. Pair with flushLocked and unlockOut.
func (c *Client) lockOut() { c.async.mu.Lock() }

// unlockOut releases the lock taken by lockOut.
func (c *Client) unlockOut() { c.async.mu.Unlock() }

// flushLocked moves c's pending replies into the queue. REQUIRES: lockOut.
func (c *Client) flushLocked() {
	if len(c.out) > 0 {
		c.appendLocked(c.async, c.out)
		c.out = c.out[:0]
	}
}

// stageOut moves the replies of c's earlier commands into its queue, so
// that messages queued while the next command runs (notifications of its
// own writes) come after them, as in Redis. c's own goroutine.
func (c *Client) stageOut() {
	if len(c.out) > 0 {
		c.flushAsync()
	}
}

// errOutputLimit reports a reply over the normal class's hard limit.
var errOutputLimit = errors.New("output buffer limit")

// syncOverLimit checks a synchronous client's pending replies against the
// normal class's hard limit before they are written: a client whose reply
// is bigger is closed instead, as Redis closes a client whose output
// buffer passes the limit. (The soft limit needs time spent over it,
// which a synchronous write does not spend in ember's buffers.)
func (c *Client) syncOverLimit() error {
	l := c.srv.outLimitOf(classNormal)
	if l.hard <= 0 || int64(len(c.out)) <= l.hard {
		return nil
	}
	c.srv.log.Warn("client closed for overcoming of output buffer limits", "client", c.raddr, "bytes", len(c.out))
	c.srv.stats.outputLimitKills.Add(1)
	c.out = c.out[:0]
	return errOutputLimit
}

// flushAsync is flush in asynchronous mode.
func (c *Client) flushAsync() bool {
	a := c.async
	a.mu.Lock()
	c.flushLocked()
	closed := a.closed
	a.mu.Unlock()
	return !closed
}

// finishAsync stops the writer after it has written what is queued (or
// the connection failed), bounded by a grace period; the client's goroutine
// calls it before closing the connection.
func (c *Client) finishAsync() {
	if c.async == nil {
		return
	}
	c.stopOnce.Do(func() { close(c.stop) })
	select {
	case <-c.async.done:
	case <-time.After(5 * time.Second):
	}
}
