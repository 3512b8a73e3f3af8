package server

import "github.com/embercache/ember/store"

// holdForRun enters held mode for a script run by c: every shard of c's
// database, or of every database when the code may SELECT (allDBs). It
// reports false when c's Tx is already held (a script queued in MULTI:
// EXEC holds every shard of every database), in which case the run must
// not release it.
func (c *Client) holdForRun(allDBs bool) bool {
	if c.tx.Held() {
		return false
	}
	if allDBs {
		c.holdAll()
		return true
	}
	c.dbsOne[0] = c.db
	c.tx.HoldAll(c.dbsOne[:]...)
	c.enterHeld()
	return true
}

// scriptDBs is a one-database list, reused by holdForRun.
type scriptDBs = [1]*store.DB
