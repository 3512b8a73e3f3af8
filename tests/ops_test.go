package tests

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/embercache/ember/internal/resptest"
)

// An operator's tools against the built binary: redis-cli's --stat,
// --bigkeys, --memkeys, --latency and MONITOR modes, the admin port, and
// the health-check mode the Docker image uses.

// fillKeys writes n string keys of growing size through redis-cli and one
// big key, so that --bigkeys and --memkeys have an answer.
func fillKeys(t *testing.T, bin string, p *emberProc, n int) {
	t.Helper()
	var in strings.Builder
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&in, "SET key:%03d %s\n", i, strings.Repeat("v", i))
	}
	fmt.Fprintf(&in, "SET big %s\n", strings.Repeat("x", 5000))
	if out := cli(t, bin, p, in.String()); strings.Count(out, "OK\n") != n+1 {
		t.Fatalf("fill: %.200q", out)
	}
}

// TestRedisCLIStatBigkeysMemkeys runs redis-cli's scanning and statistics
// modes and parses what they print.
func TestRedisCLIStatBigkeysMemkeys(t *testing.T) {
	bin := requireTool(t, "redis-cli", "EMBER_REQUIRE_REDIS")
	p := startEmber(t)
	fillKeys(t, bin, p, 50)

	out := cli(t, bin, p, "", "--bigkeys")
	for _, want := range []string{
		"Sampled 51 keys in the keyspace!",
		`Biggest string found '"big"' has 5000 bytes`,
		"51 strings with 6275 bytes (100.00% of keys, avg size 123.04)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("--bigkeys lacks %q:\n%s", want, out)
		}
	}
	out = cli(t, bin, p, "", "--memkeys")
	m := regexp.MustCompile(`Biggest string found '"big"' has (\d+) bytes`).FindStringSubmatch(out)
	if m == nil || !strings.Contains(out, "Sampled 51 keys in the keyspace!") {
		t.Fatalf("--memkeys:\n%s", out)
	}
	if n, _ := strconv.Atoi(m[1]); n < 5000 || n > 6000 {
		t.Errorf("--memkeys: big uses %d bytes", n)
	}

	// --latency prints one line per interval and exits when its output is
	// not a terminal: "min max avg samples".
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	lat, err := exec.CommandContext(ctx, bin, "-h", "127.0.0.1", "-p", strconv.Itoa(p.port), "--latency", "-i", "1").Output()
	if err != nil {
		t.Fatalf("--latency: %v\n%s", err, lat)
	}
	f := strings.Fields(string(lat))
	if len(f) != 4 {
		t.Fatalf("--latency printed %q", lat)
	}
	if samples, err := strconv.Atoi(f[3]); err != nil || samples < 1 {
		t.Fatalf("--latency samples %q", lat)
	}

	// --stat loops until killed; its rows are read as they come (stdbuf
	// keeps its output line-buffered through the pipe).
	stdbuf, err := exec.LookPath("stdbuf")
	if err != nil {
		t.Skip("stdbuf not found: --stat's output stays buffered")
	}
	rows := takeLines(t, lineStream(t, exec.Command(stdbuf, "-oL", bin, "-h", "127.0.0.1", "-p", strconv.Itoa(p.port), "--stat", "-i", "0.2")), 4)
	if !strings.HasPrefix(rows[0], "------- data ------") || !strings.HasPrefix(rows[1], "keys       mem      clients") {
		t.Fatalf("--stat header: %q", rows)
	}
	for _, r := range rows[2:] {
		f := strings.Fields(r)
		if len(f) < 6 || f[0] != "51" || f[2] != "1" || f[3] != "0" || !strings.HasSuffix(f[1], "M") && !strings.HasSuffix(f[1], "K") {
			t.Fatalf("--stat row %q", r)
		}
	}
}

// lineStream runs cmd and delivers its output lines; the process is
// killed when the test ends.
func lineStream(t *testing.T, cmd *exec.Cmd) <-chan string {
	t.Helper()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	lines := make(chan string, 64)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	return lines
}

// takeLines reads n lines from a lineStream.
func takeLines(t *testing.T, lines <-chan string, n int) []string {
	t.Helper()
	var got []string
	timeout := time.After(20 * time.Second)
	for len(got) < n {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("output ended after %q", got)
			}
			got = append(got, l)
		case <-timeout:
			t.Fatalf("%d of %d lines: %q", len(got), n, got)
		}
	}
	return got
}

// TestRedisCLIMonitor watches the server with `redis-cli monitor` while
// another client works.
func TestRedisCLIMonitor(t *testing.T) {
	bin := requireTool(t, "redis-cli", "EMBER_REQUIRE_REDIS")
	stdbuf, err := exec.LookPath("stdbuf")
	if err != nil {
		t.Skip("stdbuf not found: MONITOR's output stays buffered")
	}
	p := startEmber(t)
	mon := lineStream(t, exec.Command(stdbuf, "-oL", bin, "-h", "127.0.0.1", "-p", strconv.Itoa(p.port), "monitor"))
	if l := takeLines(t, mon, 1); l[0] != "OK" {
		t.Fatalf("monitor: %q", l)
	}
	// Commands sent before MONITOR took effect are not shown: wait for it.
	c := resptest.MustDial(t, p.addr)
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(c.MustDo(t, "CLIENT", "LIST"), "flags=O") {
		if time.Now().After(deadline) {
			t.Fatal("no monitor connected")
		}
		time.Sleep(10 * time.Millisecond)
	}
	c.MustDo(t, "SET", "greeting", "hello \"world\"\n")
	c.MustDo(t, "SELECT", "5")
	c.MustDo(t, "GET", "greeting")
	lines := takeLines(t, mon, 3)
	line := regexp.MustCompile(`^\d+\.\d{6} \[(\d+) 127\.0\.0\.1:\d+\] (.*)$`)
	want := [][2]string{{"0", `"SET" "greeting" "hello \"world\"\n"`}, {"5", `"SELECT" "5"`}, {"5", `"GET" "greeting"`}}
	for i, w := range want {
		m := line.FindStringSubmatch(lines[i])
		if m == nil || m[1] != w[0] || m[2] != w[1] {
			t.Errorf("line %q, want db %s and %s", lines[i], w[0], w[1])
		}
	}
}

// httpGet fetches url and returns the status and body.
func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// runPing runs `ember --ping args...` and returns its exit code.
func runPing(t *testing.T, args ...string) int {
	t.Helper()
	err := exec.Command(emberBin, append([]string{"--ping"}, args...)...).Run()
	if err == nil {
		return 0
	}
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	t.Fatal(err)
	return -1
}

// TestConfigFileAdminAndPing runs the binary the way the Docker image
// does (a config file, then directives), checks the admin port and the
// health-check mode, and that both report the shutdown.
func TestConfigFileAdminAndPing(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "ember.conf")
	adminPort := resptest.FreePort(t)
	if err := os.WriteFile(conf, []byte("# as mounted at /etc/ember/ember.conf\nmaxmemory 64mb\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// startEmber's --admin-port 0 comes after the file: set it again.
	p := startEmber(t, conf, "--dir", dir, "--admin-port", strconv.Itoa(adminPort))
	admin := "http://127.0.0.1:" + strconv.Itoa(adminPort)
	if code := runPing(t, p.addr); code != 0 {
		t.Fatalf("--ping %s: exit %d", p.addr, code)
	}
	if code := runPing(t, strconv.Itoa(p.port)); code != 0 {
		t.Fatalf("--ping %d: exit %d", p.port, code)
	}
	if code, body := httpGet(t, admin+"/healthz"); code != 200 || body != "ok\n" {
		t.Fatalf("/healthz: %d %q", code, body)
	}
	code, body := httpGet(t, admin+"/metrics")
	if code != 200 || !strings.Contains(body, "\nredis_up 1\n") || !strings.Contains(body, "\nredis_memory_max_bytes 6.7108864e+07\n") {
		t.Fatalf("/metrics: %d\n%.2000s", code, body)
	}
	p.signal(t, syscall.SIGTERM)
	if code := p.exitCode(t); code != 0 {
		t.Fatalf("exit code %d after SIGTERM", code)
	}
	if code := runPing(t, p.addr); code != 1 {
		t.Fatalf("--ping of a stopped server: exit %d", code)
	}
	if code := runPing(t, "a", "b"); code != 1 {
		t.Fatalf("--ping with two addresses: exit %d", code)
	}
}
