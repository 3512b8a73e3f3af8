package server

import (
	"time"
)

// Operations commands: SLOWLOG, LATENCY, MONITOR (Redis's slowlog.c,
// latency.c and the monitor half of replication.c). The machinery they
// read lives in slowlog.go, latency.go and monitor.go.

var slowlogHelp = []string{
	"SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"GET [<count>]",
	"    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
	"    Entries are made of:",
	"    id, timestamp, time in microseconds, arguments array, client IP and port,",
	"    client name",
	"LEN",
	"    Return the length of the slowlog.",
	"RESET",
	"    Reset the slowlog.",
	"HELP",
	"    Prints this help.",
}

// SLOWLOG HELP
func cmdSlowlogHelp(c *Client, args [][]byte) { c.writeHelp(slowlogHelp) }

// SLOWLOG GET [count]
func cmdSlowlogGet(c *Client, args [][]byte) {
	if len(args) > 3 {
		c.WriteError(errSubcommandSyntax(args))
		return
	}
	count := int64(10)
	if len(args) == 3 {
		n, ok := parseInt(args[2])
		if !ok || n < -1 {
			c.WriteError(errSlowlogCount)
			return
		}
		count = n
	}
	entries, _ := c.srv.ops.slowlog.newest(int(min(count, 1<<30)))
	c.WriteArray(len(entries))
	for _, e := range entries {
		c.WriteArray(6)
		c.WriteInt(e.id)
		c.WriteInt(e.time)
		c.WriteInt(e.duration)
		c.WriteArray(len(e.args))
		for _, a := range e.args {
			c.WriteBulk(a)
		}
		c.WriteBulkString(e.peer)
		c.WriteBulkString(e.name)
	}
}

// SLOWLOG LEN
func cmdSlowlogLen(c *Client, args [][]byte) {
	_, n := c.srv.ops.slowlog.newest(0)
	c.WriteInt(int64(n))
}

// SLOWLOG RESET
func cmdSlowlogReset(c *Client, args [][]byte) {
	c.srv.ops.slowlog.reset()
	c.WriteOK()
}

var latencyHelp = []string{
	"LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"DOCTOR",
	"    Return a human readable latency analysis report.",
	"GRAPH <event>",
	"    Return an ASCII latency graph for the <event> class.",
	"HISTORY <event>",
	"    Return time-latency samples for the <event> class.",
	"LATEST",
	"    Return the latest latency samples for all events.",
	"RESET [<event> ...]",
	"    Reset latency data of one or more <event> classes.",
	"    (default: reset all data for all event classes)",
	"HISTOGRAM [COMMAND ...]",
	"    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
	"    If no commands are specified then all histograms are replied.",
	"HELP",
	"    Prints this help.",
}

// LATENCY HELP
func cmdLatencyHelp(c *Client, args [][]byte) { c.writeHelp(latencyHelp) }

// LATENCY LATEST
func cmdLatencyLatest(c *Client, args [][]byte) {
	events := c.srv.ops.events.view("")
	c.WriteArray(len(events))
	for _, ev := range events {
		last := ev.latest()
		c.WriteArray(4)
		c.WriteBulkString(ev.name)
		c.WriteInt(last.time)
		c.WriteInt(last.latency)
		c.WriteInt(ev.max)
	}
}

// LATENCY HISTORY event
func cmdLatencyHistory(c *Client, args [][]byte) {
	events := c.srv.ops.events.view(string(args[2]))
	if len(events) == 0 {
		c.WriteArray(0)
		return
	}
	c.WriteArray(len(events[0].samples))
	for _, s := range events[0].samples {
		c.WriteArray(2)
		c.WriteInt(s.time)
		c.WriteInt(s.latency)
	}
}

// LATENCY GRAPH event
func cmdLatencyGraph(c *Client, args [][]byte) {
	events := c.srv.ops.events.view(string(args[2]))
	if len(events) == 0 {
		c.WriteError(errNoLatencySamples(args[2]))
		return
	}
	c.WriteVerbatim(latencyGraph(&events[0], time.Now().Unix()))
}

// LATENCY DOCTOR
func cmdLatencyDoctor(c *Client, args [][]byte) { c.WriteVerbatim(c.srv.latencyDoctor()) }

// LATENCY RESET [event [event ...]]
func cmdLatencyReset(c *Client, args [][]byte) {
	ev := &c.srv.ops.events
	if len(args) == 2 {
		c.WriteInt(int64(ev.reset(nil)))
		return
	}
	n := 0
	for _, name := range args[2:] {
		n += ev.reset(name)
	}
	c.WriteInt(int64(n))
}

// LATENCY HISTOGRAM [command [command ...]]
//
// Named commands that have no calls are left out, and a container command
// brings its subcommands along, as in Redis.
func cmdLatencyHistogram(c *Client, args [][]byte) {
	var cmds []*Command
	if len(args) == 2 {
		cmds = c.srv.cmds.sortedByName()
	} else {
		for _, name := range args[2:] {
			cmd := c.srv.cmds.lookupFullName(name)
			if cmd == nil {
				continue
			}
			cmds = append(cmds, cmd)
			cmds = append(cmds, cmd.Subcommands...)
		}
	}
	type hist struct {
		name  string
		total int64
		cum   [latBuckets]int64
	}
	var hs []hist
	for _, cmd := range cmds {
		counts, total, ok := cmd.latencySnapshot()
		if ok {
			hs = append(hs, hist{cmd.FullName(), total, marks(&counts)})
		}
	}
	c.WriteMap(len(hs))
	for _, h := range hs {
		c.WriteBulkString(h.name)
		c.WriteMap(2)
		c.WriteBulkString("calls")
		c.WriteInt(h.total)
		c.WriteBulkString("histogram_usec")
		n, prev := 0, int64(0)
		for _, v := range h.cum {
			if v > prev {
				n++
			}
			prev = v
		}
		c.WriteMap(n)
		prev = 0
		for k, v := range h.cum {
			if v > prev {
				c.WriteInt(latEdges[k])
				c.WriteInt(v)
			}
			prev = v
		}
	}
}

// MONITOR
//
// Sent again by a monitor, it is ignored without a reply, as in Redis.
// The OK is written before the client joins the monitors, so that no line
// can precede it.
func cmdMonitor(c *Client, args [][]byte) {
	if c.monitor.Load() {
		return
	}
	c.WriteOK()
	c.startMonitoring()
}
