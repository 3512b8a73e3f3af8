package server

import (
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// CLIENT PAUSE timeout [WRITE|ALL] and CLIENT UNPAUSE.
//
// While a pause is in force, a client's command waits before it runs (after
// the checks that answer at once: unknown command, arity, authentication,
// OOM) until the pause ends: every command under ALL, write and
// may-replicate commands (and an EXEC with such commands queued) under
// WRITE, as Redis's processCommand postpones them. That includes the
// pausing client and CLIENT UNPAUSE itself under ALL, as in Redis: only the
// timeout ends an ALL pause that no admin connection can reach. A second
// pause extends the end time and keeps the stricter mode.
//
// Not done: Redis also stops expiring and evicting keys during a WRITE
// pause; ember keeps doing both.

// pauseState is the server's pause.
type pauseState struct {
	active atomic.Bool // the fast path: no lock while no pause is in force
	mu     sync.Mutex  // guards what follows
	all    bool
	end    time.Time
	done   chan struct{} // closed when the current pause ends
	timer  *time.Timer
}

// pauseClients starts or extends a pause of d.
func (s *Server) pauseClients(d time.Duration, all bool) {
	p := &s.pause
	p.mu.Lock()
	defer p.mu.Unlock()
	end := time.Now().Add(d)
	if p.active.Load() {
		p.all = p.all || all
		if end.After(p.end) {
			p.end = end
			p.timer.Reset(d)
		}
		return
	}
	p.all, p.end, p.done = all, end, make(chan struct{})
	p.timer = time.AfterFunc(d, s.pauseTimeout)
	p.active.Store(true)
}

// pauseTimeout ends the pause if its end has come (a pause extended while
// the timer fired is re-armed).
func (s *Server) pauseTimeout() {
	p := &s.pause
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.active.Load() {
		return
	}
	if left := time.Until(p.end); left > 0 {
		p.timer.Reset(left)
		return
	}
	p.endLocked()
}

// unpauseClients ends the pause now (CLIENT UNPAUSE).
func (s *Server) unpauseClients() {
	p := &s.pause
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.active.Load() {
		p.timer.Stop()
		p.endLocked()
	}
}

// endLocked lets every waiting client go. REQUIRES: p.mu.
func (p *pauseState) endLocked() {
	p.active.Store(false)
	close(p.done)
}

// waitPause holds c while a pause covers cmd. It reports false when the
// client must stop meanwhile (killed, server shutting down).
func (c *Client) waitPause(cmd *Command) bool {
	p := &c.srv.pause
	for p.active.Load() {
		p.mu.Lock()
		if !p.active.Load() {
			p.mu.Unlock()
			return true
		}
		covered := p.all || c.pausedByWrite(cmd)
		done := p.done
		p.mu.Unlock()
		if !covered {
			return true
		}
		select {
		case <-done:
		case <-c.stop:
			return false
		}
	}
	return true
}

// pausedByWrite reports whether a WRITE pause holds cmd: a write or
// may-replicate command, or EXEC with one queued.
func (c *Client) pausedByWrite(cmd *Command) bool {
	const writes = FlagWrite | FlagMayReplicate
	if cmd.Flags&writes != 0 {
		return true
	}
	if cmd.Name == "exec" && c.multi != nil {
		for _, q := range c.multi.cmds {
			if q.cmd.Flags&writes != 0 {
				return true
			}
		}
	}
	return false
}

// CLIENT PAUSE timeout [WRITE | ALL]
func cmdClientPause(c *Client, args [][]byte) {
	if len(args) > 4 {
		c.WriteError(errSubcommandSyntax(args))
		return
	}
	ms, ok := parseInt(args[2])
	if !ok {
		c.WriteError(errTimeout)
		return
	}
	if ms < 0 {
		c.WriteError(errTimeoutNegative)
		return
	}
	all := true
	if len(args) == 4 {
		switch {
		case eqFold(args[3], "write"):
			all = false
		case eqFold(args[3], "all"):
		default:
			c.WriteError(errPauseMode)
			return
		}
	}
	d := time.Duration(math.MaxInt64)
	if ms < math.MaxInt64/int64(time.Millisecond) {
		d = time.Duration(ms) * time.Millisecond
	}
	c.srv.pauseClients(d, all)
	c.WriteOK()
}

// CLIENT UNPAUSE
func cmdClientUnpause(c *Client, args [][]byte) {
	c.srv.unpauseClients()
	c.WriteOK()
}
