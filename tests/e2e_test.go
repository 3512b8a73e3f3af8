package tests

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/embercache/ember/internal/resptest"
)

// cli runs redis-cli against p with args (and stdin, if any) and returns
// its output.
func cli(t *testing.T, bin string, p *emberProc, stdin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"-h", "127.0.0.1", "-p", strconv.Itoa(p.port)}, args...)...)
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("redis-cli %q: %v\n%s", args, err, out)
	}
	return string(out)
}

// TestRedisCLI drives the server with redis-cli, as an operator would.
func TestRedisCLI(t *testing.T) {
	bin := requireTool(t, "redis-cli", "EMBER_REQUIRE_REDIS")
	p := startEmber(t)
	for _, step := range []struct {
		args []string
		want string
	}{
		{[]string{"PING"}, "PONG"},
		{[]string{"SET", "greeting", "hello world"}, "OK"},
		{[]string{"GET", "greeting"}, "hello world"},
		{[]string{"GET", "missing"}, ""},
		{[]string{"INCR", "counter"}, "1"},
		{[]string{"INCR", "counter"}, "2"},
		{[]string{"INCR", "greeting"}, "ERR value is not an integer or out of range"},
		{[]string{"EXPIRE", "greeting", "100"}, "1"},
		{[]string{"TTL", "counter"}, "-1"},
		{[]string{"TTL", "missing"}, "-2"},
	} {
		if got := strings.TrimRight(cli(t, bin, p, "", step.args...), "\n"); got != step.want {
			t.Errorf("redis-cli %q = %q, want %q", step.args, got, step.want)
		}
	}
	if ttl := strings.TrimSpace(cli(t, bin, p, "", "TTL", "greeting")); ttl != "100" && ttl != "99" {
		t.Errorf("TTL after EXPIRE 100 = %q", ttl)
	}

	// Commands on stdin, then --scan over them.
	var in strings.Builder
	var want []string
	for i := 0; i < 300; i++ {
		key := fmt.Sprintf("scan:%03d", i)
		fmt.Fprintf(&in, "SET %s %d\n", key, i)
		want = append(want, key)
	}
	if out := cli(t, bin, p, in.String()); strings.Count(out, "OK\n") != 300 {
		t.Fatalf("SET from stdin: %.200q", out)
	}
	got := strings.Fields(cli(t, bin, p, "", "--scan", "--pattern", "scan:*"))
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("--scan returned %d keys (want %d): %.200q", len(got), len(want), got)
	}
	all := strings.Fields(cli(t, bin, p, "", "--scan"))
	if len(all) != 302 {
		t.Fatalf("--scan without pattern: %d keys, want 302", len(all))
	}
}

// TestBadConfigFile: a config file with an unknown directive stops the
// server at startup with exit code 1 and a message naming the line.
func TestBadConfigFile(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		file, line, reason string
		lineNo             int
	}{
		{"# ember test config\nport 7777\n\nnot-a-directive yes\n", "not-a-directive yes", "Bad directive or wrong number of arguments", 4},
		{"maxmemory 1gb\nmaxmemory lots\n", "maxmemory lots", "argument must be a memory value", 2},
		{"bind 127.0.0.1\nrequirepass \"unbalanced\n", "requirepass \"unbalanced", "Unbalanced quotes in configuration line", 2},
	} {
		path := filepath.Join(dir, "ember.conf")
		if err := os.WriteFile(path, []byte(tc.file), 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(emberBin, path)
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 1 {
			t.Fatalf("%q: exit %v, want code 1\n%s", tc.line, err, out)
		}
		for _, want := range []string{fmt.Sprintf("at line %d", tc.lineNo), ">>> '" + tc.line + "'", tc.reason} {
			if !strings.Contains(string(out), want) {
				t.Errorf("%q: output lacks %q:\n%s", tc.line, want, out)
			}
		}
	}
	// The same on the command line.
	out, err := exec.Command(emberBin, "--port", "0", "--no-such-directive", "1").CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(string(out), "no-such-directive") {
		t.Fatalf("bad flag: %v\n%s", err, out)
	}
}

// setGetReply is the reply to the i-th "SET k i GET" of a fresh server: the
// previous value.
func setGetReply(i int) string {
	if i == 0 {
		return "$-1\r\n"
	}
	v := strconv.Itoa(i - 1)
	return fmt.Sprintf("$%d\r\n%s\r\n", len(v), v)
}

// TestSIGTERMGraceful: SIGTERM while a client pipelines 10,000 commands.
// The client gets a reply to every command the server read, in order and
// whole, then the connection closes, and the process exits 0.
func TestSIGTERMGraceful(t *testing.T) {
	p := startEmber(t)
	c := resptest.MustDial(t, p.addr)
	const total, batch = 10000, 100
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // pipelines in batches so that the signal lands mid-stream
		defer wg.Done()
		for i := 0; i < total; i += batch {
			var buf []byte
			for j := i; j < i+batch; j++ {
				buf = append(buf, resptest.Encode("SET", "k", strconv.Itoa(j), "GET")...)
			}
			if c.Write(buf) != nil {
				return
			}
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	got := 0
	var readErr error
	for {
		r, err := c.Read()
		if err != nil {
			readErr = err
			break
		}
		if want := setGetReply(got); r != want {
			t.Fatalf("reply %d = %q, want %q", got, r, want)
		}
		got++
		if got == 2000 {
			p.signal(t, syscall.SIGTERM)
		}
	}
	close(stop)
	wg.Wait()
	if got < 2000 || got > total {
		t.Fatalf("%d replies", got)
	}
	var ne net.Error
	if errors.As(readErr, &ne) && ne.Timeout() {
		t.Fatalf("connection not closed after SIGTERM (%d replies)", got)
	}
	if !errors.Is(readErr, io.EOF) && !errors.Is(readErr, syscall.ECONNRESET) {
		t.Fatalf("after %d replies: %v (a reply cut short?)", got, readErr)
	}
	if code := p.exitCode(t); code != 0 {
		t.Fatalf("exit code %d after SIGTERM", code)
	}
	t.Logf("%d of %d commands answered before the shutdown", got, total)
}

// TestSIGINT: SIGINT stops the server cleanly (exit 0) and disconnects an
// idle client.
func TestSIGINT(t *testing.T) {
	p := startEmber(t)
	c := resptest.MustDial(t, p.addr)
	if r, err := c.Do("SET", "k", "v"); err != nil || r != "+OK\r\n" {
		t.Fatalf("SET: %q %v", r, err)
	}
	p.signal(t, syscall.SIGINT)
	if code := p.exitCode(t); code != 0 {
		t.Fatalf("exit code %d after SIGINT", code)
	}
	if _, err := c.Read(); !errors.Is(err, io.EOF) && !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("idle client after SIGINT: %v", err)
	}
}

// TestRedisBenchmark runs redis-benchmark's PING, SET, GET, INCR and MSET
// tests without and with pipelining: every request must succeed
// (redis-benchmark exits non-zero at the first error reply).
func TestRedisBenchmark(t *testing.T) {
	bin := requireTool(t, "redis-benchmark", "EMBER_REQUIRE_REDIS")
	p := startEmber(t)
	for _, pipeline := range []string{"1", "16"} {
		cmd := exec.Command(bin, "-h", "127.0.0.1", "-p", strconv.Itoa(p.port),
			"-t", "ping,set,get,incr,mset", "-n", "20000", "-q", "-P", pipeline)
		out, err := cmd.CombinedOutput()
		text := string(out)
		if err != nil {
			t.Fatalf("-P %s: %v\n%s", pipeline, err, text)
		}
		if strings.Contains(strings.ToLower(text), "error") {
			t.Errorf("-P %s: errors reported:\n%s", pipeline, text)
		}
		for _, test := range []string{"PING_INLINE:", "PING_MBULK:", "SET:", "GET:", "INCR:", "MSET (10 keys):"} {
			if !strings.Contains(text, test) {
				t.Errorf("-P %s: no result for %s\n%s", pipeline, test, text)
			}
		}
	}
}
