package server

// Keyspace commands (Redis's db.c, expire.c, object.c).

func cmdCopy(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdDel(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdExists(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdExpire(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdExpireat(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdExpiretime(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdKeys(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdMove(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdObjectHelp(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdObjectFreq(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdObjectEncoding(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdObjectIdletime(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdObjectRefcount(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdPersist(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdPexpire(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdPexpireat(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdPexpiretime(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdPttl(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdRandomkey(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdRename(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdRenamenx(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdScan(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdTouch(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdTtl(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdType(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdUnlink(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }
