package main

import (
	"bytes"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/embercache/ember/internal/resptest"
)

func runCLI(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "no target"},
		{[]string{"--target", "a=127.0.0.1:1", "--workload", "bogus"}, `unknown workload "bogus"`},
		{[]string{"--target", "a=127.0.0.1:1", "--pipeline", "0"}, "--pipeline"},
		{[]string{"--target", "nohost"}, "bad target"},
		{[]string{"--target", "a=127.0.0.1:1", "--duration", "0"}, "a round must end"},
		{[]string{"--target", "a=127.0.0.1:1", "--target", "a=127.0.0.1:2"}, `two targets named "a"`},
		{[]string{"--target", "a=127.0.0.1:1", "--key-dist", "pareto"}, "unknown key distribution"},
	} {
		code, _, stderr := runCLI(tc.args...)
		if code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%q: exit %d, stderr %q; want 2 and %q", tc.args, code, stderr, tc.want)
		}
	}
	if code, _, stderr := runCLI("--help"); code != 0 || !strings.Contains(stderr, "cache-aside") {
		t.Errorf("--help: exit %d, %q", code, stderr)
	}
}

func TestUnreachableTargetExitsNonZero(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	code, _, stderr := runCLI("--target", "ghost="+addr, "--duration", "50ms", "--rounds", "1")
	if code != 1 || !strings.Contains(stderr, "target ghost ("+addr+"): unreachable") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}

func TestWrongPasswordExitsNonZero(t *testing.T) {
	addr := resptest.StartRedis(t)
	if r := resptest.MustDial(t, addr).MustDo(t, "CONFIG", "SET", "requirepass", "secret"); r != "+OK\r\n" {
		t.Fatalf("CONFIG SET requirepass: %q", r)
	}
	code, _, stderr := runCLI("--target", "redis="+addr, "--password", "guess", "--duration", "50ms", "--rounds", "1")
	if code != 1 || !strings.Contains(stderr, "target redis ("+addr+"): authentication failed: WRONGPASS") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}

// The example, scaled down: both servers started by ember-bench,
// side by side, with ratios to the first, then the JSON and HTML outputs.
func TestSpawnEmberAndRedis(t *testing.T) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		if resptest.RedisRequired() {
			t.Fatal("redis-server not found on PATH")
		}
		t.Skip("redis-server not found on PATH")
	}
	html := filepath.Join(t.TempDir(), "report.html")
	args := []string{"--spawn-ember", "--spawn-redis", "--workload", "get,set", "--clients", "4", "--pipeline", "1,16",
		"--duration", "100ms", "--rounds", "2", "--warmup", "20ms", "--keyspace", "1000"}
	code, out, stderr := runCLI(append(args, "--html", html)...)
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, stderr)
	}
	tables := regexp.MustCompile(`(?m)^== (get|set): 4 clients, pipeline (1|16), median of 2 rounds`).FindAllString(out, -1)
	if len(tables) != 4 {
		t.Fatalf("want 4 tables (get, set × pipeline 1, 16):\n%s", out)
	}
	ember := regexp.MustCompile(`(?m)^\s*ember\s+[\d,]+\s+1\.00x\s`).FindAllString(out, -1)
	redis := regexp.MustCompile(`(?m)^\s*redis\s+[\d,]+\s+\d+\.\d\dx\s`).FindAllString(out, -1)
	if len(ember) != 4 || len(redis) != 4 || strings.Count(out, "vs ember") != 4 {
		t.Fatalf("want ember (1.00x) and redis (a ratio) in every table:\n%s", out)
	}
	if !strings.Contains(stderr, "started ember on 127.0.0.1:") || !strings.Contains(stderr, "started redis on 127.0.0.1:") {
		t.Fatalf("stderr: %s", stderr)
	}
	if b, err := os.ReadFile(html); err != nil || !bytes.Contains(b, []byte("<svg")) {
		t.Fatalf("HTML report: %v", err)
	}

	code, out, stderr = runCLI("--spawn-redis", "--workload", "incr", "--clients", "2", "--duration", "50ms", "--rounds", "1", "--json")
	var rep struct {
		Targets []struct{ Name string }
		Cases   []struct {
			Workload string
			Results  []struct {
				Target    string
				OpsPerSec float64 `json:"ops_per_sec"`
				RSS       int64   `json:"rss_bytes"`
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &rep); code != 0 || err != nil {
		t.Fatalf("--json: exit %d, %v\n%s\n%s", code, err, out, stderr)
	}
	if len(rep.Cases) != 1 || rep.Cases[0].Workload != "incr" || rep.Cases[0].Results[0].OpsPerSec <= 0 || rep.Cases[0].Results[0].RSS <= 0 {
		t.Fatalf("--json: %+v", rep)
	}
}
