package server

// Stream commands, consumer groups and blocking reads (Redis's t_stream.c).

func cmdXack(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdXadd(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdXautoclaim(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdXclaim(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdXdel(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdXgroupDelconsumer(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdXgroupCreateconsumer(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdXgroupCreate(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdXgroupSetid(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdXgroupHelp(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdXgroupDestroy(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdXinfoStream(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdXinfoGroups(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdXinfoHelp(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdXinfoConsumers(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdXlen(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdXpending(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdXrange(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdXread(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdXreadgroup(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdXrevrange(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdXsetid(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdXtrim(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }
