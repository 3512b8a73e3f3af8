package bench

import (
	"errors"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/embercache/ember/internal/resptest"
)

func mustTarget(t *testing.T, s string) *Target {
	t.Helper()
	tg, err := ParseTarget(s)
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

// wantTargetError checks that err is a TargetError naming target, for
// what, with detail in its message.
func wantTargetError(t *testing.T, err error, target, what, detail string) {
	t.Helper()
	var te *TargetError
	if !errors.As(err, &te) {
		t.Fatalf("want a TargetError for %s, got %v", target, err)
	}
	if te.Target != target || te.What != what {
		t.Fatalf("error names target %q / %q, want %q / %q: %v", te.Target, te.What, target, what, err)
	}
	if !strings.Contains(err.Error(), "target "+target+" ") || !strings.Contains(err.Error(), detail) {
		t.Fatalf("error %q does not name the target or lacks %q", err, detail)
	}
}

func TestUnreachableTarget(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	f := startFake(t, &fakeServer{})
	o := quickOptions(mustTarget(t, "alive="+f.addr()), mustTarget(t, "ghost="+addr))
	_, _, err = runQuiet(t, o)
	wantTargetError(t, err, "ghost", "unreachable", addr)
	if f.count.Load() != 0 {
		t.Fatalf("load was sent (%d commands) although a target was unreachable", f.count.Load())
	}
}

func TestWrongPasswordFake(t *testing.T) {
	f := startFake(t, &fakeServer{password: "secret"})
	_, _, err := runQuiet(t, quickOptions(mustTarget(t, "locked=wrong@"+f.addr())))
	wantTargetError(t, err, "locked", "authentication failed", "WRONGPASS")

	_, _, err = runQuiet(t, quickOptions(mustTarget(t, "locked="+f.addr())))
	wantTargetError(t, err, "locked", "authentication required", "NOAUTH")

	o := quickOptions(mustTarget(t, "locked="+f.addr()))
	o.Password = "secret"
	if _, _, err = runQuiet(t, o); err != nil {
		t.Fatalf("right password (--password): %v", err)
	}
	if _, _, err = runQuiet(t, quickOptions(mustTarget(t, "locked=redis://:secret@"+f.addr()))); err != nil {
		t.Fatalf("right password (URL): %v", err)
	}
}

func TestWrongPasswordRedis(t *testing.T) {
	addr := resptest.StartRedis(t)
	if r := resptest.MustDial(t, addr).MustDo(t, "CONFIG", "SET", "requirepass", "secret"); r != "+OK\r\n" {
		t.Fatalf("CONFIG SET requirepass: %q", r)
	}
	_, _, err := runQuiet(t, quickOptions(mustTarget(t, "redis=nope@"+addr)))
	wantTargetError(t, err, "redis", "authentication failed", "WRONGPASS")
	_, _, err = runQuiet(t, quickOptions(mustTarget(t, "redis="+addr)))
	wantTargetError(t, err, "redis", "authentication required", "NOAUTH")
}

const oomText = "OOM command not allowed when used memory > 'maxmemory'."

// Every error reply a target sends is counted, shown, and fails the run.
func TestErrorRepliesCounted(t *testing.T) {
	var oom atomic.Int64
	f := startFake(t, &fakeServer{handle: func(n int64, args []string) (string, time.Duration) {
		if args[0] == "SET" && n%3 == 0 {
			oom.Add(1)
			return "-" + oomText + "\r\n", 0
		}
		return "+OK\r\n", 0
	}})
	good := startFake(t, &fakeServer{})
	o := quickOptions(mustTarget(t, "good="+good.addr()), mustTarget(t, "oomy="+f.addr()))
	o.Workloads = []string{WorkloadSet}
	o.Pipelines = []int{1, 4}
	o.Requests = 300
	o.Duration = 5 * time.Second
	o.Warmup = 20 * time.Millisecond
	rep, out, err := runQuiet(t, o)
	if !errors.Is(err, ErrTargetReplies) {
		t.Fatalf("want ErrTargetReplies, got %v", err)
	}
	if !strings.Contains(err.Error(), "target oomy:") || !strings.Contains(err.Error(), oomText) || strings.Contains(err.Error(), "target good") {
		t.Fatalf("error does not name exactly the failing target and its error: %v", err)
	}
	var counted uint64
	for _, c := range rep.Cases {
		res := c.Results[1]
		counted += res.Errors
		if res.ErrorTexts[oomText] != res.Errors {
			t.Fatalf("%s: error texts %v, errors %d", c.title(), res.ErrorTexts, res.Errors)
		}
		if c.Results[0].Errors != 0 {
			t.Fatalf("good target has errors: %v", c.Results[0].ErrorTexts)
		}
		// Measured requests are exactly --requests; errors are not ops.
		var ops uint64
		for _, r := range res.Rounds {
			ops += r.Ops
		}
		if ops == 0 || ops >= 300 {
			t.Fatalf("%s: %d successful ops of 300 requests with a third failing", c.title(), ops)
		}
	}
	if counted != uint64(oom.Load()) {
		t.Fatalf("server sent %d error replies, report counts %d", oom.Load(), counted)
	}
	if !strings.Contains(out, "oomy errors: \""+oomText+"\"") {
		t.Fatalf("table does not show the errors:\n%s", out)
	}
}

// Errors during a preload are counted too.
func TestPreloadErrorsCounted(t *testing.T) {
	f := startFake(t, &fakeServer{handle: func(n int64, args []string) (string, time.Duration) {
		return "-ERR not implemented\r\n", 0
	}})
	o := quickOptions(mustTarget(t, "stub="+f.addr()))
	o.Workloads = []string{WorkloadHget}
	o.Keyspace = 100
	rep, out, err := runQuiet(t, o)
	if !errors.Is(err, ErrTargetReplies) {
		t.Fatalf("want ErrTargetReplies, got %v", err)
	}
	res := rep.Cases[0].Results[0]
	if res.Errors != uint64(f.count.Load()) || res.Errors <= 100 {
		t.Fatalf("server answered %d commands with errors (100 of them preload), report counts %d", f.count.Load(), res.Errors)
	}
	if !strings.Contains(out, `stub errors: "ERR not implemented"`) {
		t.Fatalf("table does not show the errors:\n%s", out)
	}
}

// A target that drops its connections mid-run fails the run, named.
func TestTargetDiesMidRun(t *testing.T) {
	f := startFake(t, &fakeServer{handle: func(n int64, args []string) (string, time.Duration) {
		if n >= 50 {
			return "", 0 // hang up
		}
		return "+OK\r\n", 0
	}})
	o := quickOptions(mustTarget(t, "flaky="+f.addr()))
	o.Workloads = []string{WorkloadSet}
	_, _, err := runQuiet(t, o)
	wantTargetError(t, err, "flaky", "connection failed during set", "EOF")
}
