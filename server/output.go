package server

import (
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
// grow without bound, and publishers go on unaffected.

// outLimit is one class of client-output-buffer-limit.
type outLimit struct {
	hard, soft int64
	softFor    time.Duration
}

// asyncOut is a client's output queue and writer.
type asyncOut struct {
	mu        sync.Mutex
	buf       []byte
	closed    bool
	softSince time.Time // when the output went over the soft limit (zero: not over)
	inflight  int64     // bytes the writer took and is writing
	limit     outLimit
	wake      chan struct{}
	done      chan struct{} // closed when the writer has exited
}

// enableAsync switches c to asynchronous output (idempotent). It must be
// called by c's own goroutine.
func (c *Client) enableAsync(limit outLimit) {
	if c.async != nil {
		c.async.mu.Lock()
		c.async.limit = limit
		c.async.mu.Unlock()
		return
	}
	a := &asyncOut{wake: make(chan struct{}, 1), done: make(chan struct{}), limit: limit}
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
			a.mu.Unlock()
			c.obufSize.Store(0)
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
	// Bytes the writer is still pushing into a full socket count too:
	// together they are what the client has not consumed.
	n := int64(len(a.buf)) + a.inflight
	c.obufSize.Store(n)
	over := false
	if a.limit.hard > 0 && n > a.limit.hard {
		over = true
	} else if a.limit.soft > 0 && n > a.limit.soft {
		if a.softSince.IsZero() {
			a.softSince = time.Now()
		} else if time.Since(a.softSince) > a.limit.softFor {
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
