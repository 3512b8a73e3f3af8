package server

// Set commands (Redis's t_set.c).

func cmdSadd(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdScard(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdSdiff(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdSdiffstore(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdSinter(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdSintercard(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdSinterstore(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdSismember(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdSmembers(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdSmismember(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdSmove(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdSpop(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdSrandmember(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdSrem(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdSscan(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdSunion(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdSunionstore(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }
