package server

// List commands, blocking pops included (Redis's t_list.c).

func cmdBlmove(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdBlmpop(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdBlpop(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdBrpop(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdBrpoplpush(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdLindex(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdLinsert(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdLlen(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdLmove(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdLmpop(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdLpop(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdLpos(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdLpush(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdLpushx(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdLrange(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdLrem(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdLset(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdLtrim(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdRpop(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdRpoplpush(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdRpush(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdRpushx(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdClientUnblock(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }
