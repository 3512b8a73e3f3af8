package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/embercache/ember/internal/resptest"
)

// Bad input and connection abuse: none of it may crash the server, leak
// goroutines, or stop it from serving other clients.

// mustPong sends PING on c and fails unless it is answered with PONG.
func mustPong(t testing.TB, c *resptest.Conn) {
	t.Helper()
	if r, err := c.Do("PING"); err != nil || r != "+PONG\r\n" {
		t.Fatalf("PING: %q %v", r, err)
	}
}

// readUntilClosed reads from conn until the server closes it (EOF or
// reset) or d passes; it returns what was read and whether it was closed.
func readUntilClosed(conn net.Conn, d time.Duration) (string, bool) {
	_ = conn.SetReadDeadline(time.Now().Add(d))
	var out strings.Builder
	buf := make([]byte, 64*1024)
	for {
		n, err := conn.Read(buf)
		out.Write(buf[:n])
		if err != nil {
			var ne net.Error
			return out.String(), !(errors.As(err, &ne) && ne.Timeout())
		}
	}
}

// waitServerClosed is readUntilClosed that fails the test if the server keeps
// the connection open for 10 s.
func waitServerClosed(t testing.TB, conn net.Conn) string {
	t.Helper()
	out, closed := readUntilClosed(conn, 10*time.Second)
	if !closed {
		t.Fatalf("server did not close the connection; read so far: %.200q", out)
	}
	return out
}

// TestGarbageClient: clients sending 100 MB of random bytes (raw, or
// behind a multibulk or inline prefix) are answered with an error and
// disconnected, while another client keeps being served; 100 MB of random
// bytes framed as one bulk are read whole and answered.
func TestGarbageClient(t *testing.T) {
	srv := startServer(t)
	addr := srv.Addr().String()
	good := dial(t, srv)
	mustPong(t, good)

	for i, prefix := range []string{"", "*5\r\n", "*1\r\n$", "SET k \""} {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			const total = 100 << 20
			sent := make(chan int64, 1)
			go func() {
				rng := rand.New(rand.NewSource(int64(i)))
				chunk := make([]byte, 64*1024)
				var n int64
				if _, err := conn.Write([]byte(prefix)); err != nil {
					sent <- n
					return
				}
				for n < total {
					rng.Read(chunk)
					m, err := conn.Write(chunk)
					n += int64(m)
					if err != nil {
						break
					}
				}
				sent <- n
			}()
			// Served while the garbage flows.
			for j := 0; j < 20; j++ {
				mustPong(t, good)
			}
			out := waitServerClosed(t, conn)
			if n := <-sent; n >= total {
				t.Errorf("server read all %d bytes of garbage without closing", n)
			}
			// Whatever arrives before the reset is error replies (to junk
			// that parsed as commands, then the protocol error).
			if out != "" && !strings.HasPrefix(out, "-ERR ") {
				t.Errorf("unexpected reply to garbage: %.200q", out)
			}
			mustPong(t, good)
		})
	}

	// 100 MB of random bytes as one well-formed bulk: the server reads it
	// all, answers the (unknown) command, and serves others meanwhile.
	t.Run("one-bulk", func(t *testing.T) {
		const size = 100 << 20
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		go func() {
			if _, err := fmt.Fprintf(conn, "*1\r\n$%d\r\n", size); err != nil {
				return
			}
			rng := rand.New(rand.NewSource(99))
			chunk := make([]byte, 64*1024)
			for n := 0; n < size; n += len(chunk) {
				rng.Read(chunk)
				if _, err := conn.Write(chunk); err != nil {
					return
				}
			}
			_, _ = conn.Write([]byte("\r\n"))
			_ = conn.(*net.TCPConn).CloseWrite()
		}()
		for j := 0; j < 20; j++ {
			mustPong(t, good)
		}
		out := waitServerClosed(t, conn)
		if !strings.HasPrefix(out, "-ERR unknown command '") || !strings.HasSuffix(out, "\r\n") || strings.Count(out, "\r\n") != 1 {
			t.Fatalf("reply to a 100 MB command: %.200q", out)
		}
		mustPong(t, good)
	})
}

// TestConnectionChurnNoLeak opens and drops 10,000 connections, some after
// sending a partial command, with bounded concurrency: afterwards the
// goroutine count returns to where it was and the server still serves.
func TestConnectionChurnNoLeak(t *testing.T) {
	srv := startServer(t)
	addr := srv.Addr().String()
	mustPong(t, dial(t, srv))
	before := runtime.NumGoroutine()

	const total, workers = 10000, 32
	var wg sync.WaitGroup
	jobs := make(chan int)
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				conn, err := net.Dial("tcp", addr)
				if err != nil {
					select {
					case errs <- err:
					default:
					}
					continue
				}
				switch i % 4 {
				case 1:
					_, _ = conn.Write([]byte("*2\r\n$3\r\nGET\r\n$5\r\nab")) // partial
				case 2:
					_, _ = conn.Write([]byte("GET k\r\n")) // reply left unread
				case 3:
					if tc, ok := conn.(*net.TCPConn); ok {
						_ = tc.SetLinger(0) // reset instead of FIN
					}
				}
				conn.Close()
			}
		}()
	}
	for i := 0; i < total; i++ {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	select {
	case err := <-errs:
		t.Fatalf("dial: %v", err)
	default:
	}
	checkFor(t, 20*time.Second, 20*time.Millisecond, func() error {
		if n := runtime.NumGoroutine(); n > before {
			return fmt.Errorf("%d goroutines, %d before the churn", n, before)
		}
		return nil
	})
	checkFor(t, 10*time.Second, 20*time.Millisecond, func() error {
		if n := len(srv.clientList()); n != 1 {
			return fmt.Errorf("%d clients registered, want 1", n)
		}
		return nil
	})
	mustPong(t, dial(t, srv))
}

// TestMaxClients: past maxclients a new connection gets Redis's error and
// is closed; once a client leaves, a new one is admitted.
func TestMaxClients(t *testing.T) {
	srv := startServer(t, "--maxclients", "2")
	a, b := dial(t, srv), dial(t, srv)
	mustPong(t, a)
	mustPong(t, b)
	third, err := net.Dial("tcp", srv.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer third.Close()
	if out := waitServerClosed(t, third); out != "-ERR max number of clients reached\r\n" {
		t.Fatalf("third client got %q", out)
	}
	b.Close()
	checkFor(t, 10*time.Second, 20*time.Millisecond, func() error {
		c, err := resptest.Dial(srv.Addr().String())
		if err != nil {
			return err
		}
		defer c.Close()
		if r, err := c.Do("PING"); err != nil || r != "+PONG\r\n" {
			return fmt.Errorf("after a client left: %q %v", r, err)
		}
		return nil
	})
	mustPong(t, a)
}

// TestQueryBufferLimit: with client-query-buffer-limit 1mb, a client whose
// pending command exceeds it is closed without a reply (as Redis does);
// one under it is served.
func TestQueryBufferLimit(t *testing.T) {
	srv := startServer(t, "--client-query-buffer-limit", "1mb")
	good := dial(t, srv)
	val := strings.Repeat("v", 900*1024)
	if r := good.MustDo(t, "SET", "k", val); r != "+OK\r\n" {
		t.Fatalf("SET under the limit: %q", r)
	}
	if r := good.MustDo(t, "GET", "k"); r != fmt.Sprintf("$%d\r\n%s\r\n", len(val), val) {
		t.Fatalf("GET under the limit: %.40q", r)
	}
	for name, req := range map[string]string{
		// As in Redis: the bulk's bytes pile up past the limit.
		"big-bulk": "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2000000\r\n" + strings.Repeat("x", 2000000) + "\r\n",
		// ember refuses from the header a bulk that cannot fit (Redis
		// waits until the bytes arrive, then closes).
		"announced": "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1048577\r\n",
		// Arguments alias the buffer, so in ember a whole command must fit
		// in the limit (Redis moves parsed arguments out of its buffer and
		// would accept this 2 MB MSET).
		"many-bulks": "*101\r\n$4\r\nMSET\r\n" + strings.Repeat("$20000\r\n"+strings.Repeat("y", 20000)+"\r\n", 100),
	} {
		t.Run(name, func(t *testing.T) {
			conn, err := net.Dial("tcp", srv.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			go func() { _, _ = conn.Write([]byte(req)) }()
			if out := waitServerClosed(t, conn); out != "" {
				t.Fatalf("got a reply: %.100q", out)
			}
			mustPong(t, good)
		})
	}
}

// TestIdleTimeout: with timeout 1 an idle client is closed; a client that
// keeps talking is not.
func TestIdleTimeout(t *testing.T) {
	srv := startServer(t, "--timeout", "1")
	idle, err := net.Dial("tcp", srv.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	busy := dial(t, srv)
	done := make(chan bool, 1)
	go func() {
		_, closed := readUntilClosed(idle, 10*time.Second)
		done <- closed
	}()
	for {
		select {
		case closed := <-done:
			if !closed {
				t.Fatal("idle client still connected after 10 s with timeout 1")
			}
			// The idle one is gone; the busy one, never idle for a
			// second, is still served.
			mustPong(t, busy)
			return
		case <-time.After(200 * time.Millisecond):
			mustPong(t, busy)
		}
	}
}

// TestTimeoutDisabledAtRuntime: a client whose idle deadline was armed
// under timeout 1 is not closed by it once timeout is set to 0.
func TestTimeoutDisabledAtRuntime(t *testing.T) {
	srv := startServer(t, "--timeout", "1")
	c := dial(t, srv)
	mustPong(t, c) // armed with timeout 1
	if err := srv.cfg.Set("timeout", "0"); err != nil {
		t.Fatal(err)
	}
	srv.refreshConfig()
	mustPong(t, c) // re-armed with timeout 0
	if _, err := c.ReadTimeout(1500 * time.Millisecond); err == nil {
		t.Fatal("unexpected data from an idle connection")
	} else if ne, ok := err.(net.Error); !ok || !ne.Timeout() {
		t.Fatalf("idle connection closed after timeout was disabled: %v", err)
	}
	mustPong(t, c)
}

// TestShutdownWithIdleTimeout: Shutdown stops clients whose idle deadline
// is armed (timeout > 0) instead of waiting for the deadline.
func TestShutdownWithIdleTimeout(t *testing.T) {
	srv := startServer(t, "--timeout", "3600")
	var conns []*resptest.Conn
	for i := 0; i < 20; i++ {
		c := resptest.MustDial(t, srv.Addr().String())
		mustPong(t, c)
		conns = append(conns, c)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown did not finish by itself: %v", err)
	}
	for _, c := range conns {
		if _, err := c.Read(); !errors.Is(err, io.EOF) {
			t.Fatalf("client after shutdown: %v", err)
		}
	}
}

// TestHugeCommandNameCostsNothing: looking up an unknown command name of
// any length allocates nothing (the name is never copied or lower-cased),
// and every name in the table is short enough for the allocation-free
// lookup to find it.
func TestHugeCommandNameCostsNothing(t *testing.T) {
	table := newCommandTable(commandDefs())
	for _, cmd := range table.all() {
		parent, sub, _ := strings.Cut(cmd.Name, "|")
		if len(parent) > 32 || len(sub) > 32 {
			t.Errorf("command name %q is longer than lookupName handles", cmd.Name)
		}
		if got := table.lookupName([]byte(strings.ToUpper(parent))); got == nil || got.Name != parent {
			t.Errorf("lookupName(%q) = %v", strings.ToUpper(parent), got)
		}
	}
	name := bytes.Repeat([]byte("GET"), 1<<20)
	if a := testing.AllocsPerRun(10, func() {
		if table.lookupName(name) != nil {
			t.Fatal("a 3 MB name found a command")
		}
	}); a != 0 {
		t.Fatalf("%.0f allocations looking up a 3 MB name", a)
	}
}
