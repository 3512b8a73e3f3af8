package server

// Geospatial commands on sorted sets (Redis's geo.c).

func cmdGeoadd(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdGeodist(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdGeohash(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdGeopos(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdGeoradius(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdGeoradiusRo(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdGeoradiusbymember(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdGeoradiusbymemberRo(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdGeosearch(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdGeosearchstore(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }
