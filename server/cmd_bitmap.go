package server

// Bitmap and HyperLogLog commands (Redis's bitops.c, hyperloglog.c).

func cmdBitcount(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdBitfield(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdBitfieldRo(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdBitop(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdBitpos(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdGetbit(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdPfadd(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdPfcount(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdPfmerge(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdSetbit(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }
