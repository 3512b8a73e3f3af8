package bench

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Target is one server under test.
type Target struct {
	Name     string
	Addr     string // host:port
	User     string // AUTH user ("" for the default user)
	Password string // "" for no AUTH

	proc *process // set when ember-bench started the server
}

// ParseTarget parses name=host:port, name=[user:]password@host:port or
// name=redis://[user:password@]host:port.
func ParseTarget(s string) (*Target, error) {
	name, addr, ok := strings.Cut(s, "=")
	name = strings.TrimSpace(name)
	if !ok || name == "" || addr == "" {
		return nil, fmt.Errorf("bad target %q (want name=host:port)", s)
	}
	t := &Target{Name: name}
	if strings.HasPrefix(addr, "redis://") {
		u, err := url.Parse(addr)
		if err != nil {
			return nil, fmt.Errorf("bad target %q: %v", s, err)
		}
		addr = u.Host
		if u.User != nil {
			t.Password, _ = u.User.Password()
			t.User = u.User.Username()
		}
	} else if at := strings.LastIndex(addr, "@"); at >= 0 {
		cred := addr[:at]
		addr = addr[at+1:]
		if u, p, ok := strings.Cut(cred, ":"); ok {
			t.User, t.Password = u, p
		} else {
			t.Password = cred
		}
	}
	if _, port, err := net.SplitHostPort(addr); err != nil || port == "" {
		return nil, fmt.Errorf("bad target %q: address %q is not host:port", s, addr)
	}
	t.Addr = addr
	return t, nil
}

// TargetError is a failure that belongs to one target.
type TargetError struct {
	Target string
	Addr   string
	What   string // what failed: "unreachable", "authentication failed", ...
	Err    error
}

// Error reads "target NAME (ADDR): WHAT: cause".
func (e *TargetError) Error() string {
	return fmt.Sprintf("target %s (%s): %s: %v", e.Target, e.Addr, e.What, e.Err)
}

// Unwrap returns the cause.
func (e *TargetError) Unwrap() error { return e.Err }

func (t *Target) fail(what string, err error) error {
	var te *TargetError
	if errors.As(err, &te) {
		return err
	}
	return &TargetError{Target: t.Name, Addr: t.Addr, What: what, Err: err}
}

// ReplyError is an error reply from a server.
type ReplyError string

// Error returns the reply's text.
func (e ReplyError) Error() string { return string(e) }

const dialTimeout = 3 * time.Second

// conn is one client connection.
type conn struct {
	nc net.Conn
	rd respReader
	wb []byte
	rp reply
}

// dial connects to the target and authenticates.
func (t *Target) dial() (*conn, error) {
	nc, err := net.DialTimeout("tcp", t.Addr, dialTimeout)
	if err != nil {
		return nil, t.fail("unreachable", err)
	}
	if tc, ok := nc.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
	}
	c := &conn{nc: nc, rd: respReader{br: bufio.NewReaderSize(nc, 64<<10)}, wb: make([]byte, 0, 16<<10)}
	if t.Password != "" {
		args := []string{"AUTH", t.Password}
		if t.User != "" {
			args = []string{"AUTH", t.User, t.Password}
		}
		if _, err := c.do(args...); err != nil {
			c.close()
			var re ReplyError
			if errors.As(err, &re) {
				return nil, t.fail("authentication failed", err)
			}
			return nil, t.fail("AUTH", err)
		}
	}
	return c, nil
}

func (c *conn) close() { _ = c.nc.Close() }

// do sends one command and returns its reply: the text of a simple string
// or the bytes of a bulk string. An error reply is a ReplyError. It is for
// setup and control, not for load.
func (c *conn) do(args ...string) (string, error) {
	_ = c.nc.SetDeadline(time.Now().Add(10 * time.Second))
	defer c.nc.SetDeadline(time.Time{})
	c.wb = appendCommand(c.wb[:0], args...)
	if _, err := c.nc.Write(c.wb); err != nil {
		return "", err
	}
	l, err := c.rd.line()
	if err != nil {
		return "", err
	}
	switch l[0] {
	case '-':
		return "", ReplyError(l[1:])
	case '+', ':':
		return string(l[1:]), nil
	case '$':
		n, ok := parseInt(l[1:])
		if !ok {
			return "", fmt.Errorf("%w: %q", errProtocol, l)
		}
		if n < 0 {
			return "", nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(c.rd.br, buf); err != nil {
			return "", err
		}
		return string(buf[:n]), nil
	}
	// An aggregate: skip it whole.
	return "", c.skipRest(l)
}

// skipRest skips the rest of an aggregate reply whose header line is l.
func (c *conn) skipRest(l []byte) error {
	n, ok := parseInt(l[1:])
	if !ok {
		return fmt.Errorf("%w: %q", errProtocol, l)
	}
	var rp reply
	for i := int64(0); i < n; i++ {
		if err := c.rd.read(&rp); err != nil {
			return err
		}
	}
	return nil
}

// preflight checks that the target answers, and that it does not want a
// password it was not given.
func (t *Target) preflight() error {
	c, err := t.dial()
	if err != nil {
		return err
	}
	defer c.close()
	_, err = c.do("PING")
	var re ReplyError
	switch {
	case errors.As(err, &re) && strings.HasPrefix(string(re), "NOAUTH"):
		return t.fail("authentication required", fmt.Errorf("%v (give a password: --password, or name=password@host:port)", err))
	case errors.As(err, &re):
		return nil // it answered; a server without PING is still a server
	case err != nil:
		return t.fail("no reply", err)
	}
	return nil
}

// info returns the fields of INFO section (nil if the target has no INFO).
func (t *Target) info(section string) map[string]string {
	c, err := t.dial()
	if err != nil {
		return nil
	}
	defer c.close()
	s, err := c.do("INFO", section)
	if err != nil {
		return nil
	}
	m := make(map[string]string)
	for _, line := range strings.Split(s, "\r\n") {
		if k, v, ok := strings.Cut(line, ":"); ok {
			m[k] = v
		}
	}
	return m
}

// memory reports the target's resident set size and INFO used_memory in
// bytes (0 when unknown). RSS comes from /proc for a server ember-bench
// started, and from INFO used_memory_rss otherwise.
func (t *Target) memory() (rss, used int64) {
	m := t.info("memory")
	if m != nil {
		used, _ = strconv.ParseInt(m["used_memory"], 10, 64)
		rss, _ = strconv.ParseInt(m["used_memory_rss"], 10, 64)
	}
	if t.proc != nil {
		rss = procRSS(t.proc.pid())
	}
	return rss, used
}

// procRSS reads VmRSS from /proc/<pid>/status, in bytes (0 if unknown).
func procRSS(pid int) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range bytes.Split(b, []byte("\n")) {
		if v, ok := bytes.CutPrefix(line, []byte("VmRSS:")); ok {
			f := strings.Fields(string(v))
			if len(f) >= 1 {
				kb, _ := strconv.ParseInt(f[0], 10, 64)
				return kb * 1024
			}
		}
	}
	return 0
}
