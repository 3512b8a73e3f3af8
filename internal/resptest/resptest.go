// Package resptest is test tooling shared by ember's packages: a raw RESP
// client that returns replies byte for byte, a reply parser, and a helper
// that starts a real redis-server for differential tests.
package resptest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Conn is a raw RESP connection: it sends commands as multibulk and returns
// each reply's exact bytes.
type Conn struct {
	c  net.Conn
	br *bufio.Reader
}

// Dial connects to addr.
func Dial(addr string) (*Conn, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	return &Conn{c: c, br: bufio.NewReaderSize(c, 64*1024)}, nil
}

// MustDial connects or fails the test; the connection closes at cleanup.
func MustDial(t testing.TB, addr string) *Conn {
	t.Helper()
	c, err := Dial(addr)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// Close closes the connection.
func (c *Conn) Close() error { return c.c.Close() }

// NetConn exposes the socket (for deadlines and half-closes).
func (c *Conn) NetConn() net.Conn { return c.c }

// Encode returns args as a RESP multibulk command.
func Encode(args ...string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	return b.Bytes()
}

// Write sends raw bytes.
func (c *Conn) Write(b []byte) error {
	_ = c.c.SetWriteDeadline(time.Now().Add(10 * time.Second))
	_, err := c.c.Write(b)
	return err
}

// Do sends one command and returns its reply's raw bytes.
func (c *Conn) Do(args ...string) (string, error) {
	if err := c.Write(Encode(args...)); err != nil {
		return "", err
	}
	return c.Read()
}

// MustDo is Do that fails the test on I/O errors.
func (c *Conn) MustDo(t testing.TB, args ...string) string {
	t.Helper()
	r, err := c.Do(args...)
	if err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	return r
}

// Read reads one complete reply (any RESP2/RESP3 frame) and returns its
// raw bytes.
func (c *Conn) Read() (string, error) {
	_ = c.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	var b bytes.Buffer
	err := readFrame(c.br, &b)
	return b.String(), err
}

// ReadTimeout reads one reply, waiting at most d.
func (c *Conn) ReadTimeout(d time.Duration) (string, error) {
	_ = c.c.SetReadDeadline(time.Now().Add(d))
	var b bytes.Buffer
	err := readFrame(c.br, &b)
	return b.String(), err
}

func readLine(br *bufio.Reader, b *bytes.Buffer) (string, error) {
	line, err := br.ReadString('\n')
	b.WriteString(line)
	if err != nil {
		return "", err
	}
	if !strings.HasSuffix(line, "\r\n") {
		return "", errors.New("resptest: line without CRLF: " + strconv.Quote(line))
	}
	return line[:len(line)-2], nil
}

func readFrame(br *bufio.Reader, b *bytes.Buffer) error {
	line, err := readLine(br, b)
	if err != nil {
		return err
	}
	if line == "" {
		return errors.New("resptest: empty line")
	}
	switch line[0] {
	case '+', '-', ':', '_', ',', '#', '(':
		return nil
	case '$', '=', '!':
		n, err := strconv.Atoi(line[1:])
		if err != nil {
			return err
		}
		if n < 0 {
			return nil
		}
		buf := make([]byte, n+2)
		if _, err := ioReadFull(br, buf); err != nil {
			return err
		}
		b.Write(buf)
		return nil
	case '*', '~', '>', '%', '|':
		n, err := strconv.Atoi(line[1:])
		if err != nil {
			return err
		}
		if line[0] == '%' || line[0] == '|' {
			n *= 2
		}
		for i := 0; i < n; i++ {
			if err := readFrame(br, b); err != nil {
				return err
			}
		}
		if line[0] == '|' {
			// An attribute precedes the real reply.
			return readFrame(br, b)
		}
		return nil
	}
	return fmt.Errorf("resptest: unknown frame %q", line)
}

func ioReadFull(br *bufio.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := br.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// Value is a parsed reply, for tests that look inside one.
type Value struct {
	Type  byte // the frame's first byte
	Str   string
	Int   int64
	Elems []Value
	Null  bool
}

// Parse parses one raw reply.
func Parse(raw string) (Value, error) {
	v, rest, err := parse(raw)
	if err == nil && rest != "" {
		err = errors.New("resptest: trailing bytes")
	}
	return v, err
}

func parse(s string) (Value, string, error) {
	i := strings.Index(s, "\r\n")
	if i < 1 {
		return Value{}, "", errors.New("resptest: bad frame")
	}
	t, line, rest := s[0], s[1:i], s[i+2:]
	v := Value{Type: t}
	switch t {
	case '+', '-', ',', '#', '(':
		v.Str = line
	case '_':
		v.Null = true
	case ':':
		n, err := strconv.ParseInt(line, 10, 64)
		if err != nil {
			return v, "", err
		}
		v.Int = n
	case '$', '=', '!':
		n, err := strconv.Atoi(line)
		if err != nil {
			return v, "", err
		}
		if n < 0 {
			v.Null = true
			return v, rest, nil
		}
		if len(rest) < n+2 {
			return v, "", errors.New("resptest: short bulk")
		}
		v.Str, rest = rest[:n], rest[n+2:]
	case '*', '~', '>', '%':
		n, err := strconv.Atoi(line)
		if err != nil {
			return v, "", err
		}
		if n < 0 {
			v.Null = true
			return v, rest, nil
		}
		if t == '%' {
			n *= 2
		}
		for j := 0; j < n; j++ {
			var e Value
			e, rest, err = parse(rest)
			if err != nil {
				return v, "", err
			}
			v.Elems = append(v.Elems, e)
		}
	default:
		return v, "", fmt.Errorf("resptest: unknown frame %q", t)
	}
	return v, rest, nil
}

// FreePort returns a loopback TCP port that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// RedisRequired reports whether a missing redis-server must fail the test
// run (EMBER_REQUIRE_REDIS=1, set by the CI test command) instead of
// skipping differential tests.
func RedisRequired() bool { return os.Getenv("EMBER_REQUIRE_REDIS") == "1" }

// StartRedis starts a real redis-server on a free loopback port with
// persistence off and the given extra directives, stops it at cleanup, and
// returns its address. Without a redis-server binary it skips the test (or
// fails it when RedisRequired).
func StartRedis(t testing.TB, extra ...string) string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if RedisRequired() {
			t.Fatalf("redis-server not found on PATH (install Debian's redis-server)")
		}
		t.Skip("redis-server not found on PATH; differential test skipped")
	}
	dir := t.TempDir()
	for attempt := 0; attempt < 5; attempt++ {
		port := FreePort(t)
		args := append([]string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
			"--daemonize", "no", "--dir", dir, "--logfile", filepath.Join(dir, "redis.log")}, extra...)
		cmd := exec.Command(bin, args...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		addr := "127.0.0.1:" + strconv.Itoa(port)
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) {
			if c, err := Dial(addr); err == nil {
				r, err := c.Do("PING")
				c.Close()
				// A server started with requirepass answers NOAUTH: ready too.
				if err == nil && (r == "+PONG\r\n" || strings.HasPrefix(r, "-NOAUTH")) {
					t.Cleanup(func() {
						_ = cmd.Process.Kill()
						_ = cmd.Wait()
					})
					return addr
				}
			}
			time.Sleep(20 * time.Millisecond)
		}
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}
	t.Fatal("could not start redis-server")
	return ""
}
