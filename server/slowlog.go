package server

import (
	"math"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The slow log, and where the command path hands every call to the
// operations machinery (observe).
//
// A command that took at least slowlog-log-slower-than microseconds is
// logged with Redis's entry shape: id, unix time, duration, its arguments
// (at most slowlogMaxArgs, each cut at slowlogMaxString bytes, with the
// "... (N more arguments)" / "... (N more bytes)" markers Redis uses), the
// client's address and name. Secrets are redacted as Redis redacts them
// (AUTH, HELLO AUTH, CONFIG SET of passwords), in the slow log and in
// MONITOR alike. The threshold check is one atomic load and a compare;
// only a slow command takes the slow log's mutex.

// Redis's SLOWLOG_ENTRY_MAX_ARGC and SLOWLOG_ENTRY_MAX_STRING.
const (
	slowlogMaxArgs   = 32
	slowlogMaxString = 128
)

// redactedArg replaces a secret argument in the slow log and MONITOR.
var redactedArg = []byte("(redacted)")

// opsState is the server's operations machinery: settings read on the
// command path (atomics, refreshed by CONFIG SET), the slow log, the
// latency monitor's events and the MONITOR clients.
type opsState struct {
	tracking         atomic.Bool // latency-tracking: per-command histograms
	percentiles      atomic.Pointer[[]float64]
	slowlogThreshold atomic.Int64 // µs; negative disables
	slowlogMaxLen    atomic.Int64
	latencyThreshold atomic.Int64 // ms; 0 disables
	// watchFrom is the shortest duration (µs) the slow log or the latency
	// monitor records: a faster command skips both with one compare.
	watchFrom atomic.Int64

	slowlog  slowlog
	events   latencyEvents
	monitors monitorSet
}

// opsParams are the parameters this machinery acts on, with the hooks
// that push a new value into it (config.go's params wires them).
var opsParams = map[string]func(s *Server, v string){
	"latency-tracking": func(s *Server, v string) { s.ops.tracking.Store(v == "yes") },
	"latency-tracking-info-percentiles": func(s *Server, v string) {
		ps := []float64{}
		for _, w := range strings.Fields(v) {
			p, _ := strconv.ParseFloat(w, 64)
			ps = append(ps, p)
		}
		s.ops.percentiles.Store(&ps)
	},
	"slowlog-log-slower-than": func(s *Server, v string) {
		n, _ := strconv.ParseInt(v, 10, 64)
		s.ops.slowlogThreshold.Store(n)
		s.ops.refreshWatch()
	},
	"slowlog-max-len": func(s *Server, v string) {
		n, _ := strconv.ParseInt(v, 10, 64)
		// Like Redis, the log is trimmed to a new length at its next entry.
		s.ops.slowlogMaxLen.Store(n)
	},
	"latency-monitor-threshold": func(s *Server, v string) {
		n, _ := strconv.ParseInt(v, 10, 64)
		s.ops.latencyThreshold.Store(n)
		s.ops.refreshWatch()
	},
}

// applyOpsConfig pushes the configured values into s.ops (at startup;
// CONFIG SET applies them one by one).
func (s *Server) applyOpsConfig() {
	for name, apply := range opsParams {
		apply(s, s.cfg.Get(name))
	}
}

// refreshWatch recomputes watchFrom from the thresholds.
func (o *opsState) refreshWatch() {
	w := int64(math.MaxInt64)
	if t := o.slowlogThreshold.Load(); t >= 0 {
		w = t
	}
	if t := o.latencyThreshold.Load(); t > 0 && t < math.MaxInt64/1000 {
		w = min(w, t*1000)
	}
	o.watchFrom.Store(w)
}

// observe is the command path's hand-off after a call of cmd by c that
// took usec microseconds: the latency histogram, the slow log and the
// latency monitor, and MONITOR. With nobody monitoring and no slow
// command, it costs three atomic loads and one striped atomic add.
func (s *Server) observe(c *Client, cmd *Command, args [][]byte, usec int64) {
	o := &s.ops
	if o.tracking.Load() {
		cmd.observeLatency(int(c.id), usec)
	}
	if usec >= o.watchFrom.Load() {
		s.recordSlow(c, cmd, args, usec)
	}
	if o.monitors.n.Load() != 0 && cmd.Flags&(FlagAdmin|FlagSkipMonitor) == 0 {
		o.monitors.feed(c, cmd, args)
	}
}

// recordSlow logs a call that may be slow enough for the slow log or the
// latency monitor.
func (s *Server) recordSlow(c *Client, cmd *Command, args [][]byte, usec int64) {
	o := &s.ops
	now := time.Now().Unix()
	if t := o.slowlogThreshold.Load(); t >= 0 && usec >= t && cmd.Flags&FlagSkipSlowlog == 0 {
		// As in Redis, an entry is added, then the log trimmed to
		// slowlog-max-len (so a length of 0 empties it).
		o.slowlog.push(newSlowlogEntry(c, cmd, args, usec, now), int(o.slowlogMaxLen.Load()))
	}
	if t := o.latencyThreshold.Load(); t > 0 && usec/1000 >= t {
		event := "command"
		if cmd.Flags&FlagFast != 0 {
			event = "fast-command"
		}
		o.events.add(event, usec/1000, now)
	}
}

// redacted reports which arguments of a call of cmd Redis hides from the
// slow log and MONITOR (passwords).
func redacted(cmd *Command, args [][]byte) func(i int) bool {
	switch cmd.Name {
	case "auth":
		return func(i int) bool { return i >= 1 }
	case "hello", "migrate":
		// HELLO protover [AUTH user pass] [SETNAME name];
		// MIGRATE ... [AUTH pass | AUTH2 user pass] [KEYS ...].
		hide := map[int]bool{}
		for j := 2; j < len(args); j++ {
			n := 0
			switch {
			case cmd.Name == "hello" && eqFold(args[j], "setname"):
				j++
			case cmd.Name == "hello" && eqFold(args[j], "auth"):
				n = 2
			case cmd.Name == "migrate" && eqFold(args[j], "auth"):
				n = 1
			case cmd.Name == "migrate" && eqFold(args[j], "auth2"):
				n = 2
			}
			for k := 1; k <= n && j+k < len(args); k++ {
				hide[j+k] = true
			}
			j += n
		}
		return func(i int) bool { return hide[i] }
	case "config|set":
		return func(i int) bool {
			if i < 3 || i%2 == 0 {
				return false
			}
			switch strings.ToLower(string(args[i-1])) {
			case "requirepass", "masterauth", "tls-key-file-pass", "tls-client-key-file-pass":
				return true
			}
			return false
		}
	}
	return nil
}

// slowlogEntry is one slow log record; args are copies.
type slowlogEntry struct {
	id       int64
	time     int64 // unix seconds
	duration int64 // µs
	args     [][]byte
	peer     string
	name     string
}

func newSlowlogEntry(c *Client, cmd *Command, args [][]byte, usec, now int64) slowlogEntry {
	hide := redacted(cmd, args)
	n := min(len(args), slowlogMaxArgs)
	out := make([][]byte, n)
	for j := range n {
		a := args[j]
		switch {
		case n != len(args) && j == n-1:
			a = []byte("... (" + strconv.Itoa(len(args)-n+1) + " more arguments)")
		case hide != nil && hide(j):
			a = redactedArg
		case len(a) > slowlogMaxString:
			a = append(a[:slowlogMaxString:slowlogMaxString], "... ("+strconv.Itoa(len(a)-slowlogMaxString)+" more bytes)"...)
		default:
			a = append([]byte(nil), a...)
		}
		out[j] = a
	}
	return slowlogEntry{time: now, duration: usec, args: out, peer: c.peerAddr(), name: c.name}
}

// slowlog is the log itself, newest entry last.
type slowlog struct {
	mu      sync.Mutex
	entries []slowlogEntry
	nextID  int64
}

// push adds e (assigning its id) and keeps at most maxLen entries.
func (l *slowlog) push(e slowlogEntry, maxLen int) {
	l.mu.Lock()
	e.id = l.nextID
	l.nextID++
	l.entries = append(l.entries, e)
	l.trimLocked(maxLen)
	l.mu.Unlock()
}

func (l *slowlog) trimLocked(maxLen int) {
	if drop := len(l.entries) - max(maxLen, 0); drop > 0 {
		l.entries = append(l.entries[:0:0], l.entries[drop:]...)
	}
}

// newest returns up to n entries, newest first (n < 0: all), and the
// log's length.
func (l *slowlog) newest(n int) ([]slowlogEntry, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if n < 0 || n > len(l.entries) {
		n = len(l.entries)
	}
	out := make([]slowlogEntry, n)
	for i := range n {
		out[i] = l.entries[len(l.entries)-1-i]
	}
	return out, len(l.entries)
}

// reset empties the log; ids keep counting, as in Redis.
func (l *slowlog) reset() {
	l.mu.Lock()
	l.entries = nil
	l.mu.Unlock()
}

// anonHugePages returns the bytes of transparent huge pages the process
// uses (0 where /proc does not tell), for LATENCY DOCTOR's THP advice.
func anonHugePages() int64 { return procKB("/proc/self/smaps_rollup", "AnonHugePages:") }
