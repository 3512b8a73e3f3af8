package server

// Connection commands (Redis's networking.c, acl.c).

func cmdAuth(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdClientSetname(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdClientHelp(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdClientList(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdClientNoEvict(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdClientInfo(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdClientGetname(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdClientID(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdClientKill(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdEcho(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdHello(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdPing(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdQuit(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdReset(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdSelect(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdClientNoTouch(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdClientSetinfo(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }
