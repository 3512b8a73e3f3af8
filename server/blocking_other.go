//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package server

import "time"

// waitConn, where sockets cannot be peeked, waits without watching the
// connection: a client that hangs up while blocked is noticed only when
// its command ends.
func waitConn(c *Client, w *Waiter, deadline time.Time) connEvent {
	return waitChan(c, w, deadline)
}
