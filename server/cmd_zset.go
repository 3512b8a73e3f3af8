package server

// Sorted set commands, blocking pops included (Redis's t_zset.c).

func cmdBzmpop(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdBzpopmax(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdBzpopmin(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdZadd(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdZcard(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdZcount(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdZdiff(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdZdiffstore(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdZincrby(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdZinter(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdZintercard(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdZinterstore(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdZlexcount(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdZmpop(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdZmscore(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdZpopmax(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdZpopmin(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdZrandmember(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdZrange(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdZrangebylex(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdZrangebyscore(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdZrangestore(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdZrank(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdZrem(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdZremrangebylex(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdZremrangebyrank(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdZremrangebyscore(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdZrevrange(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdZrevrangebylex(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdZrevrangebyscore(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdZrevrank(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdZscan(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdZscore(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdZunion(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdZunionstore(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }
