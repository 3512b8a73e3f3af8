package server

// Pub/Sub commands (Redis's pubsub.c).

func cmdPsubscribe(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdPublish(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdPubsubHelp(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdPubsubChannels(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdPubsubNumsub(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdPubsubShardnumsub(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdPubsubShardchannels(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdPubsubNumpat(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdPunsubscribe(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdSpublish(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdSsubscribe(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdSubscribe(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdSunsubscribe(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdUnsubscribe(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }
