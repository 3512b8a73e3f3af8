package server

// holdDBs takes, for a run, every shard of c's database (and of every
// database when allDBs).
//
// TEMPORARY until the held Tx lands: takes nothing.
func holdDBs(c *Client, allDBs bool) {}

// releaseDBs releases what holdDBs took.
func releaseDBs(c *Client) {}
