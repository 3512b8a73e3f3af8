package server

// Server commands (Redis's server.c, config.c, db.c).

func cmdCommandHelp(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdCommandGetkeysandflags(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdCommandCount(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdCommandList(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdCommandInfo(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdCommandDocs(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdCommandGetkeys(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdCommand(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdConfigHelp(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdConfigResetstat(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdConfigGet(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdConfigRewrite(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdConfigSet(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdDbsize(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdFlushall(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdFlushdb(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdInfo(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdLastsave(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdShutdown(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdSwapdb(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdTime(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }
