package server

import (
	"strings"
	"testing"
	"time"
)

// TestClientPauseWrite: under CLIENT PAUSE WRITE reads run, writes and an
// EXEC with queued writes wait until CLIENT UNPAUSE (not a write, so it
// runs); a client killed while it waits goes away.
func TestClientPauseWrite(t *testing.T) {
	srv := startServer(t)
	a, b, m, k := dial(t, srv), dial(t, srv), dial(t, srv), dial(t, srv)
	m.MustDo(t, "MULTI")
	m.MustDo(t, "SET", "x", "1")
	kid := strings.TrimSpace(strings.TrimPrefix(k.MustDo(t, "CLIENT", "ID"), ":"))
	if r := a.MustDo(t, "CLIENT", "PAUSE", "60000", "WRITE"); r != "+OK\r\n" {
		t.Fatalf("PAUSE: %q", r)
	}
	if r := b.MustDo(t, "GET", "k"); r != "$-1\r\n" {
		t.Fatalf("GET during a WRITE pause: %q", r)
	}
	for _, c := range []struct {
		conn interface{ Write([]byte) error }
		cmd  string
	}{{b, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n"}, {m, "*1\r\n$4\r\nEXEC\r\n"}, {k, "*2\r\n$4\r\nINCR\r\n$1\r\nn\r\n"}} {
		if err := c.conn.Write([]byte(c.cmd)); err != nil {
			t.Fatal(err)
		}
	}
	if r, err := b.ReadTimeout(200 * time.Millisecond); err == nil {
		t.Fatalf("SET answered during a WRITE pause: %q", r)
	}
	if r, err := m.ReadTimeout(50 * time.Millisecond); err == nil {
		t.Fatalf("EXEC of a write answered during a WRITE pause: %q", r)
	}
	if r := a.MustDo(t, "CLIENT", "KILL", "ID", kid); r != ":1\r\n" {
		t.Fatalf("CLIENT KILL of a held client: %q", r)
	}
	if r, err := k.Read(); err == nil {
		t.Fatalf("killed client answered: %q", r)
	}
	if r := a.MustDo(t, "CLIENT", "UNPAUSE"); r != "+OK\r\n" {
		t.Fatalf("UNPAUSE: %q", r)
	}
	if r, err := b.Read(); err != nil || r != "+OK\r\n" {
		t.Fatalf("SET after UNPAUSE: %q %v", r, err)
	}
	if r, err := m.Read(); err != nil || r != "*1\r\n+OK\r\n" {
		t.Fatalf("EXEC after UNPAUSE: %q %v", r, err)
	}
	if r := b.MustDo(t, "GET", "n"); r != "$-1\r\n" {
		t.Fatalf("the killed client's INCR ran: %q", r)
	}
}

// TestClientPauseAll: an ALL pause holds every command, CLIENT UNPAUSE
// included, until it times out; a later pause keeps the longer end and the
// stricter mode.
func TestClientPauseAll(t *testing.T) {
	srv := startServer(t)
	a, b := dial(t, srv), dial(t, srv)
	start := time.Now()
	a.MustDo(t, "CLIENT", "PAUSE", "300")
	if r := b.MustDo(t, "CLIENT", "UNPAUSE"); r != "+OK\r\n" {
		t.Fatalf("UNPAUSE: %q", r)
	}
	if el := time.Since(start); el < 250*time.Millisecond {
		t.Fatalf("CLIENT UNPAUSE ran %v into an ALL pause of 300 ms", el)
	}
	// WRITE for 400 ms, then ALL for 10 ms: ALL until the 400 ms end.
	start = time.Now()
	a.MustDo(t, "CLIENT", "PAUSE", "400", "WRITE")
	a.MustDo(t, "CLIENT", "PAUSE", "10", "ALL")
	if r := b.MustDo(t, "GET", "k"); r != "$-1\r\n" {
		t.Fatalf("GET: %q", r)
	}
	if el := time.Since(start); el < 300*time.Millisecond {
		t.Fatalf("GET ran %v into a pause made ALL until 400 ms", el)
	}
	if r := a.MustDo(t, "PING"); r != "+PONG\r\n" {
		t.Fatalf("PING after the pause: %q", r)
	}
}
