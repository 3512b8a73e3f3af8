package server

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/embercache/ember/internal/resptest"
	"github.com/embercache/ember/store"
)

// startServer starts an in-process ember on a free loopback port with the
// given extra directives ("--maxclients", "10", ...) and stops it when the
// test ends.
func startServer(t testing.TB, directives ...string) *Server {
	t.Helper()
	cfg, err := LoadConfig("", append([]string{"--port", "0", "--bind", "127.0.0.1", "--admin-port", "0"}, directives...))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(cfg, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return srv
}

// dial opens a raw RESP connection to srv.
func dial(t testing.TB, srv *Server) *resptest.Conn {
	t.Helper()
	return resptest.MustDial(t, srv.Addr().String())
}

// checkFor polls fn every step until it returns nil or total elapses, then
// fails with fn's last error (instead of sleeping a guessed time).
func checkFor(t testing.TB, total, step time.Duration, fn func() error) {
	t.Helper()
	deadline := time.Now().Add(total)
	for {
		err := fn()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(step)
	}
}

// journalLog records journal mutations as "db CMD arg arg ..." lines, for
// tests asserting what a write command emits.
type journalLog struct {
	mu   sync.Mutex
	recs []string
}

// captureJournal subscribes to srv's journal until the test ends.
func captureJournal(t testing.TB, srv *Server) *journalLog {
	t.Helper()
	l := &journalLog{}
	cancel := srv.Store().Journal().Subscribe(func(m *store.Mutation) {
		parts := []string{strconv.Itoa(m.DB)}
		for _, a := range m.Args {
			parts = append(parts, string(a))
		}
		l.mu.Lock()
		l.recs = append(l.recs, strings.Join(parts, " "))
		l.mu.Unlock()
	})
	t.Cleanup(cancel)
	return l
}

// expect runs cmd (split on spaces) on c and fails the test unless it
// emitted exactly the records want.
func (l *journalLog) expect(t testing.TB, c *resptest.Conn, cmd string, want []string) {
	t.Helper()
	c.MustDo(t, strings.Fields(cmd)...)
	if got := l.Take(); !slices.Equal(got, want) {
		t.Fatalf("%s: records %q, want %q", cmd, got, want)
	}
}

// Take returns and clears the records so far.
func (l *journalLog) Take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.recs
	l.recs = nil
	return r
}

// readStreamed reads n bytes of a reply streaming on c (a random-member
// command with a huge count), checking how it starts.
func readStreamed(t testing.TB, c *resptest.Conn, prefix string, n int) {
	t.Helper()
	buf := make([]byte, 64*1024)
	for read := 0; read < n; {
		_ = c.NetConn().SetReadDeadline(time.Now().Add(10 * time.Second))
		got, err := c.NetConn().Read(buf)
		if err != nil {
			t.Fatalf("after %d bytes: %v", read, err)
		}
		if read == 0 && !strings.HasPrefix(string(buf[:got]), prefix) {
			t.Fatalf("reply starts %q, want %q", buf[:min(got, 40)], prefix)
		}
		read += got
	}
}

// waitConnected waits until the server ctl talks to has want clients.
func waitConnected(t testing.TB, ctl *resptest.Conn, want int) {
	t.Helper()
	checkFor(t, 10*time.Second, 10*time.Millisecond, func() error {
		line := "connected_clients:" + strconv.Itoa(want) + "\r\n"
		if info := ctl.MustDo(t, "INFO", "clients"); !strings.Contains(info, line) {
			return fmt.Errorf("not %d clients connected", want)
		}
		return nil
	})
}

// checkUsedMemory checks that the store's used memory is the sum of its
// entries' sizes in database 0 and not zero.
func checkUsedMemory(t testing.TB, srv *Server) {
	t.Helper()
	var sum int64
	srv.Store().DB(0).Each(func(e *store.Entry) bool { sum += e.Size(); return true })
	if used := srv.Store().UsedMemory(); used != sum || used == 0 {
		t.Fatalf("used_memory %d, entries %d", used, sum)
	}
}

// scanChurning runs a SCAN-like command (SSCAN, ZSCAN...) over key from
// cursor 0 to the end with COUNT 7, calling churn between calls, and
// returns every element array it got.
func scanChurning(t testing.TB, c *resptest.Conn, cmd, key string, churn func(call int)) []resptest.Value {
	t.Helper()
	var out []resptest.Value
	cursor := "0"
	for calls := 0; ; calls++ {
		v, err := resptest.Parse(c.MustDo(t, cmd, key, cursor, "COUNT", "7"))
		if err != nil || len(v.Elems) != 2 {
			t.Fatalf("%s reply: %v %v", cmd, v, err)
		}
		cursor = v.Elems[0].Str
		out = append(out, v.Elems[1])
		churn(calls)
		if cursor == "0" || calls > 10000 {
			return out
		}
	}
}

// checkZeroAlloc runs each command through c's dispatcher and fails for
// those that allocate.
func checkZeroAlloc(t *testing.T, c *Client, cmds [][]string) {
	t.Helper()
	for _, cmd := range cmds {
		args := strArgs(cmd...)
		allocs := testing.AllocsPerRun(100, func() {
			c.out = c.out[:0]
			c.execute(args)
		})
		if allocs != 0 {
			t.Errorf("%q: %.1f allocs per call, reply %q", cmd, allocs, c.out)
		}
	}
}
