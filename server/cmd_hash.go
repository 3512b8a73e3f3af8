package server

// Hash commands (Redis's t_hash.c).

func cmdHdel(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdHexists(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdHget(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdHgetall(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdHincrby(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdHincrbyfloat(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdHkeys(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdHlen(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdHmget(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdHmset(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdHrandfield(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdHscan(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdHset(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdHsetnx(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdHstrlen(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdHvals(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }
