package server

import (
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// MONITOR.
//
// A client that sends MONITOR switches to asynchronous output (output.go)
// and joins the monitor set. After every command that ran (not those
// refused before running: unknown, wrong arity, NOAUTH), the client that ran
// it formats one line the way Redis's replicationFeedMonitors does,
//
//	+1339518083.107412 [0 127.0.0.1:60866] "keys" "*"
//
// (unix time with microseconds, the database after the command, the
// client's address, the arguments quoted like sdscatrepr, secrets
// redacted) and pushes it to every monitor's queue. Admin commands and
// commands flagged skip_monitor are not shown, as in Redis 7.
//
// Scripts: EVAL, EVALSHA, their _RO forms and FCALL/FCALL_RO are flagged
// skip_monitor and show themselves when their handler starts (feedSelf),
// whatever their outcome, as Redis's evalCommand and fcallCommand do, so
// that the commands their script runs follow them. Those commands run on
// the script's child client (atomic.go), which MONITOR names "lua":
//
//	+1339518083.107412 [0 127.0.0.1:60866] "eval" "redis.call('set','k','v')" "0"
//	+1339518083.107431 [0 lua] "set" "k" "v"
//
// The database of a script's line is the caller's; that of a command the
// script runs is the script's after the command (a SELECT inside a script
// shows its new database). Inside MULTI, MULTI shows when sent, the queued
// commands when EXEC runs them, then EXEC, as in Redis 7.
//
// With nobody monitoring, the command path pays one atomic load (n).
// Feeding takes the set's mutex, then each monitor's queue lock (lock
// order: monitorSet.mu before asyncOut.mu). A monitor that sees its own
// command gets the line after its reply: the line goes to its own reply
// buffer instead of its queue.

// monitorSet is the server's MONITOR clients.
type monitorSet struct {
	n  atomic.Int32 // len(list), read on every command
	mu sync.Mutex
	cs []*Client
}

func (m *monitorSet) add(c *Client) {
	m.mu.Lock()
	m.cs = append(m.cs, c)
	m.n.Store(int32(len(m.cs)))
	m.mu.Unlock()
}

func (m *monitorSet) remove(c *Client) {
	m.mu.Lock()
	if i := slices.Index(m.cs, c); i >= 0 {
		m.cs = slices.Delete(m.cs, i, i+1)
	}
	m.n.Store(int32(len(m.cs)))
	m.mu.Unlock()
}

// feed sends the line for a call of cmd by c with args to every monitor.
func (m *monitorSet) feed(c *Client, cmd *Command, args [][]byte) {
	m.feedLine(c, args, redacted(cmd, args))
}

// feedSelf is how a command flagged skip_monitor that Redis nevertheless
// shows (the script commands) feeds its own line, at the start of its
// handler. With nobody monitoring it costs one atomic load.
func (c *Client) feedSelf(args [][]byte) {
	if m := &c.srv.ops.monitors; m.n.Load() != 0 {
		m.feedLine(c, args, nil)
	}
}

// feedLine sends c's line for args, hiding the arguments hide reports, to
// every monitor.
func (m *monitorSet) feedLine(c *Client, args [][]byte, hide func(int) bool) {
	line := appendMonitorLine(nil, time.Now(), c.dbIndex.Load(), c.monitorAddr(), args, hide)
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, mc := range m.cs {
		if mc == c {
			c.out = append(c.out, line...)
			continue
		}
		mc.Push(line)
	}
}

// monitorAddr is how MONITOR names the client: ip:port, unix:path, or
// lua for a script's child client.
func (c *Client) monitorAddr() string {
	if c.parent != nil {
		return "lua"
	}
	if _, unix := c.conn.(*net.UnixConn); unix {
		return "unix:" + c.srv.cfg.Get("unixsocket")
	}
	return c.peerAddr()
}

// appendMonitorLine appends one MONITOR line; hide (may be nil) says which
// arguments are redacted.
func appendMonitorLine(b []byte, now time.Time, db int64, addr string, args [][]byte, hide func(int) bool) []byte {
	us := now.UnixMicro()
	b = append(b, '+')
	b = strconv.AppendInt(b, us/1e6, 10)
	b = append(b, '.')
	frac := strconv.AppendInt(nil, us%1e6, 10)
	b = append(b, "000000"[len(frac):]...)
	b = append(b, frac...)
	b = append(b, " ["...)
	b = strconv.AppendInt(b, db, 10)
	b = append(b, ' ')
	b = append(b, addr...)
	b = append(b, "] "...)
	for i, a := range args {
		if i > 0 {
			b = append(b, ' ')
		}
		if hide != nil && hide(i) {
			a = redactedArg
		}
		b = appendRepr(b, a)
	}
	return append(b, '\r', '\n')
}

// appendRepr appends s quoted as Redis's sdscatrepr does: in double
// quotes, with \\ \" \n \r \t \a \b escaped and other bytes outside
// printable ASCII as \xHH.
func appendRepr(b, s []byte) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for _, ch := range s {
		switch ch {
		case '\\', '"':
			b = append(b, '\\', ch)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		case '\a':
			b = append(b, '\\', 'a')
		case '\b':
			b = append(b, '\\', 'b')
		default:
			if ch < ' ' || ch > '~' {
				b = append(b, '\\', 'x', hex[ch>>4], hex[ch&15])
			} else {
				b = append(b, ch)
			}
		}
	}
	return append(b, '"')
}

// startMonitoring makes c a monitor (MONITOR).
func (c *Client) startMonitoring() {
	c.enableAsync(c.srv.normalOutLimit())
	c.monitor.Store(true)
	c.srv.ops.monitors.add(c)
}

// stopMonitoring ends c's monitor mode (RESET, disconnection).
func (c *Client) stopMonitoring() {
	if c.monitor.Load() {
		c.monitor.Store(false)
		c.srv.ops.monitors.remove(c)
	}
}

// normalOutLimit is client-output-buffer-limit's "normal" class, which
// Redis applies to monitors.
func (s *Server) normalOutLimit() outLimit {
	f := strings.Fields(s.cfg.Get("client-output-buffer-limit"))
	for i := 0; i+3 < len(f); i += 4 {
		if f[i] == "normal" {
			hard, _ := strconv.ParseInt(f[i+1], 10, 64)
			soft, _ := strconv.ParseInt(f[i+2], 10, 64)
			secs, _ := strconv.ParseInt(f[i+3], 10, 64)
			return outLimit{hard: hard, soft: soft, softFor: time.Duration(secs) * time.Second}
		}
	}
	return outLimit{}
}
