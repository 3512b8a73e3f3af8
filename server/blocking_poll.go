//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package server

import (
	"errors"
	"os"
	"syscall"
	"time"
)

// waitConn parks a blocked client until its socket is readable, its read
// deadline passes (the command's timeout, or a claimer moving it to now)
// or the connection fails. Readability is tested by peeking one byte, so a
// blocked client holds no read buffer: only one that sends more input gets
// one (connData), and a zero-byte peek is the client hanging up.
func waitConn(c *Client, w *Waiter, deadline time.Time) connEvent {
	sc, ok := c.conn.(syscall.Conn)
	if !ok {
		return waitChan(c, w, deadline)
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return waitChan(c, w, deadline)
	}
	ev := connDeadline
	var b [1]byte
	err = raw.Read(func(fd uintptr) bool {
		n, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK)
		switch {
		case err == syscall.EAGAIN || err == syscall.EINTR:
			return false // not readable yet: wait for the poller
		case err != nil || n == 0:
			ev = connClosed
		default:
			ev = connData
		}
		return true
	})
	if err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return connDeadline
		}
		return connClosed
	}
	return ev
}
