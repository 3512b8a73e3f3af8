package server

// Operations commands: SLOWLOG, LATENCY, MONITOR.

func cmdLatencyGraph(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdLatencyHelp(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdLatencyReset(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdLatencyDoctor(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdLatencyHistory(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdLatencyLatest(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdLatencyHistogram(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdMonitor(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdSlowlogLen(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdSlowlogHelp(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdSlowlogGet(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdSlowlogReset(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }
