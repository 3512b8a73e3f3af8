package server

// MEMORY commands (Redis's object.c).

func cmdMemoryMallocStats(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdMemoryDoctor(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdMemoryUsage(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdMemoryHelp(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdMemoryPurge(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdMemoryStats(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }
