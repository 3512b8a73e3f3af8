package server

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"testing"
	"time"
)

// newPipeClient returns a client of srv whose connection is one end of an
// in-memory pipe, and the other end (the "remote" side). The client is not
// served: the test acts as its goroutine.
func newPipeClient(t testing.TB, srv *Server) (*Client, net.Conn) {
	t.Helper()
	local, remote := net.Pipe()
	c := newClient(srv, local)
	t.Cleanup(func() {
		c.kill()
		local.Close()
		remote.Close()
	})
	return c, remote
}

// TestAsyncOutputOrder: replies and pushes reach the socket in the order
// they were produced, whatever goroutine produced them.
func TestAsyncOutputOrder(t *testing.T) {
	srv := startServer(t)
	c, remote := newPipeClient(t, srv)
	c.WriteSimple("first")
	c.enableAsync(outLimit{})
	var want bytes.Buffer
	want.WriteString("+first\r\n")
	done := make(chan struct{})
	go func() {
		for i := 0; i < 1000; i++ {
			msg := fmt.Sprintf("+push%d\r\n", i)
			c.Push([]byte(msg))
		}
		close(done)
	}()
	<-done
	for i := 0; i < 1000; i++ {
		want.WriteString(fmt.Sprintf("+push%d\r\n", i))
	}
	c.WriteSimple("last")
	c.flush()
	want.WriteString("+last\r\n")
	got := make([]byte, want.Len())
	_ = remote.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(remote, got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("output out of order:\n%q", got[:min(len(got), 200)])
	}
}

// TestAsyncOutputHardLimit: a reader that never reads gets its client
// closed once the queue passes the hard limit; memory does not grow
// further and pushes report failure.
func TestAsyncOutputHardLimit(t *testing.T) {
	srv := startServer(t)
	c, _ := newPipeClient(t, srv)
	c.enableAsync(outLimit{hard: 1 << 20})
	msg := bytes.Repeat([]byte("x"), 1024)
	ok := true
	n := 0
	for ; n < 10000 && ok; n++ {
		ok = c.Push(msg)
	}
	if ok {
		t.Fatal("pushes kept succeeding past the hard limit")
	}
	if n > 1100 {
		t.Fatalf("cut off after %d KiB, limit 1024 KiB", n)
	}
	c.async.mu.Lock()
	queued := len(c.async.buf)
	c.async.mu.Unlock()
	if queued != 0 || c.Push(msg) {
		t.Fatalf("queue kept %d bytes / accepted a push after the cut", queued)
	}
	checkFor(t, 5*time.Second, 10*time.Millisecond, func() error {
		if !c.killed.Load() {
			return fmt.Errorf("client not killed")
		}
		return nil
	})
}

// TestAsyncOutputSoftLimit: over the soft limit for longer than its
// seconds closes the client; dipping under it resets the clock.
func TestAsyncOutputSoftLimit(t *testing.T) {
	srv := startServer(t)
	c, _ := newPipeClient(t, srv)
	c.enableAsync(outLimit{soft: 4096, softFor: 50 * time.Millisecond})
	big := bytes.Repeat([]byte("y"), 8192)
	if !c.Push(big) {
		t.Fatal("first push over the soft limit must be accepted")
	}
	checkFor(t, 5*time.Second, 20*time.Millisecond, func() error {
		if c.Push([]byte("z")) {
			return fmt.Errorf("still accepted")
		}
		return nil
	})
}
