package bench

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeServer is a minimal RESP server for tests: it answers PING and AUTH
// itself and everything else through handle, can demand a password, stall
// a chosen command, and records what each connection sent.
type fakeServer struct {
	ln       net.Listener
	password string
	// handle returns the reply to a command (args[0] upper-cased) and how
	// long to stall before sending it; an empty reply hangs up. nil
	// answers +OK.
	handle func(n int64, args []string) (string, time.Duration)
	// record keeps each connection's raw commands (by accept order).
	record bool

	count atomic.Int64 // commands handled by handle
	mu    sync.Mutex
	conns [][]string // recorded commands per connection
	wg    sync.WaitGroup
}

func startFake(t *testing.T, f *fakeServer) *fakeServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f.ln = ln
	var open sync.Map
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			f.mu.Lock()
			idx := len(f.conns)
			f.conns = append(f.conns, nil)
			f.mu.Unlock()
			open.Store(c, true)
			f.wg.Add(1)
			go func() {
				defer f.wg.Done()
				defer open.Delete(c)
				f.serve(c, idx)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		open.Range(func(k, _ any) bool { k.(net.Conn).Close(); return true })
		f.wg.Wait()
	})
	return f
}

func (f *fakeServer) addr() string { return f.ln.Addr().String() }

// readCommand parses one multibulk command.
func readCommand(br *bufio.Reader) ([]string, error) {
	line, err := br.ReadString('\n')
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(line, "*") {
		return nil, io.ErrUnexpectedEOF
	}
	n, err := strconv.Atoi(strings.TrimSpace(line[1:]))
	if err != nil {
		return nil, err
	}
	args := make([]string, n)
	for i := range args {
		line, err := br.ReadString('\n')
		if err != nil {
			return nil, err
		}
		l, err := strconv.Atoi(strings.TrimSpace(line[1:]))
		if err != nil {
			return nil, err
		}
		buf := make([]byte, l+2)
		if _, err := io.ReadFull(br, buf); err != nil {
			return nil, err
		}
		args[i] = string(buf[:l])
	}
	return args, nil
}

func (f *fakeServer) serve(c net.Conn, idx int) {
	defer c.Close()
	br := bufio.NewReader(c)
	bw := bufio.NewWriter(c)
	authed := f.password == ""
	for {
		args, err := readCommand(br)
		if err != nil {
			return
		}
		name := strings.ToUpper(args[0])
		var reply string
		var stall time.Duration
		switch {
		case name == "AUTH":
			if args[len(args)-1] == f.password {
				authed, reply = true, "+OK\r\n"
			} else {
				reply = "-WRONGPASS invalid username-password pair or user is disabled.\r\n"
			}
		case !authed:
			reply = "-NOAUTH Authentication required.\r\n"
		case name == "PING":
			reply = "+PONG\r\n"
		case name == "INFO" || name == "FLUSHALL":
			reply = "-ERR unknown command '" + args[0] + "'\r\n"
		default:
			if f.record {
				f.mu.Lock()
				f.conns[idx] = append(f.conns[idx], strings.Join(args, " "))
				f.mu.Unlock()
			}
			n := f.count.Add(1)
			reply = "+OK\r\n"
			if f.handle != nil {
				reply, stall = f.handle(n, append([]string{name}, args[1:]...))
			}
		}
		if reply == "" {
			return
		}
		if stall > 0 {
			if bw.Flush() != nil {
				return
			}
			time.Sleep(stall)
		}
		bw.WriteString(reply)
		if br.Buffered() == 0 {
			if bw.Flush() != nil {
				return
			}
		}
	}
}

// recorded returns connection i's recorded commands.
func (f *fakeServer) recorded(i int) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if i >= len(f.conns) {
		return nil
	}
	return append([]string(nil), f.conns[i]...)
}

// loadConns lists the connections that sent recorded commands, in
// accept order.
func (f *fakeServer) loadConns() []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []int
	for i, c := range f.conns {
		if len(c) > 0 {
			out = append(out, i)
		}
	}
	return out
}

// quickOptions are options for short test runs against the given targets.
func quickOptions(targets ...*Target) Options {
	o := DefaultOptions()
	o.Targets = targets
	o.Clients = 2
	o.Duration = 100 * time.Millisecond
	o.Rounds = 1
	o.Warmup = 0
	o.Keyspace = 1000
	return o
}

// runQuiet runs o and returns the report, the text output and the error.
func runQuiet(t *testing.T, o Options) (*Report, string, error) {
	t.Helper()
	var out bytes.Buffer
	rep, err := Run(t.Context(), o, &out)
	return rep, out.String(), err
}
