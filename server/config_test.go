package server

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/embercache/ember/internal/resptest"
)

// redisConfigError runs redis-server on a config that must be rejected
// and returns the three lines that describe the error (position, line,
// reason).
func redisConfigError(t *testing.T, file string, args ...string) []string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if resptest.RedisRequired() {
			t.Fatal("redis-server not found")
		}
		t.Skip("redis-server not found")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var argv []string
	if file != "" {
		argv = append(argv, file)
	}
	out, _ := exec.CommandContext(ctx, bin, append(argv, args...)...).CombinedOutput()
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) < 4 || !strings.HasPrefix(lines[0], "*** FATAL CONFIG FILE ERROR") {
		t.Fatalf("redis-server accepted the config or failed otherwise:\n%s", out)
	}
	return lines[1:4]
}

// TestLoadConfigErrorsMatchRedis feeds the same bad configurations to
// LoadConfig and to redis-server: line numbers, the quoted line and the
// reason must be Redis's.
func TestLoadConfigErrorsMatchRedis(t *testing.T) {
	dir := t.TempDir()
	for i, tc := range []struct {
		file string
		args []string
	}{
		{file: "port 7000\nfoo bar\n"},
		{file: "# comment\n\n  maxclients\n"},
		{file: "timeout 1 2\n"},
		{file: "requirepass\n"},
		{file: "maxmemory abc\n"},
		{file: "maxmemory -1\n"},
		{file: "maxclients 0\n"},
		{file: "port 99999\n"},
		{file: "timeout 010\n"},
		{file: "protected-mode maybe\n"},
		{file: "maxmemory-policy lru\n"},
		{file: "save 10\n"},
		{file: "save 10 x\n"},
		{file: "client-output-buffer-limit normal 1 2\n"},
		{file: "client-output-buffer-limit nobody 1 2 3\n"},
		{file: "notify-keyspace-events Q\n"},
		{file: "oom-score-adj-values 1 2\n"},
		{file: "hash-max-ziplist-entries x\n"},
		{file: "requirepass \"unbalanced\n"},
		{file: "appendfsync sometimes\n"},
		{file: "hz 1\nactive-expire-effort 11\n"},
		{args: []string{"--foo", "bar"}},
		{args: []string{"--timeout", "1", "--maxmemory", "1 gb"}},
		{args: []string{"--timeout"}},
		{file: "timeout 5\n", args: []string{"--maxclients", "0"}},
		{file: "timeout 5", args: []string{"--save", "x"}},
	} {
		path := ""
		if tc.file != "" {
			path = filepath.Join(dir, "c"+itoa(int64(i))+".conf")
			if err := os.WriteFile(path, []byte(tc.file), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want := redisConfigError(t, path, tc.args...)
		_, err := LoadConfig(path, tc.args)
		var ce *ConfigError
		if !errors.As(err, &ce) {
			t.Errorf("case %d (%q %q): LoadConfig error %v", i, tc.file, tc.args, err)
			continue
		}
		got := strings.Split(ce.Error(), "\n")[1:]
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("case %d (%q %q):\n ember %q\n redis %q", i, tc.file, tc.args, got, want)
		}
	}
}

// TestLoadConfigFile covers what a redis.conf can say: repeated save and
// client-output-buffer-limit lines, quoting, aliases, command-line
// options after the file.
func TestLoadConfigFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ember.conf")
	text := `# a comment
save 900 1
save 300 10
client-output-buffer-limit replica 256mb 64mb 60
client-output-buffer-limit pubsub 1mb 2mb 3
slave-read-only no
notify-keyspace-events ""
proc-title-template "{title} {port}"
maxmemory 2GB
`
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadConfig(path, []string{"--save", "", "--timeout", "7", "--requirepass", "with space"})
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{
		"save":                       "",
		"client-output-buffer-limit": "normal 0 0 0 slave 268435456 67108864 60 pubsub 1048576 2097152 3",
		"replica-read-only":          "no",
		"notify-keyspace-events":     "",
		"proc-title-template":        "{title} {port}",
		"maxmemory":                  "2147483648",
		"timeout":                    "7",
		"requirepass":                "with space",
	} {
		if got := cfg.Get(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	cfg, err = LoadConfig(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Get("save"); got != "900 1 300 10" {
		t.Errorf("save lines: %q", got)
	}
	if cfg.File != path {
		t.Errorf("File %q", cfg.File)
	}
	if _, err := LoadConfig(filepath.Join(t.TempDir(), "missing.conf"), nil); err == nil {
		t.Error("missing file accepted")
	}
}

// TestLoadDebianRedisConf loads Debian's stock redis.conf: an operator's
// file must just work.
func TestLoadDebianRedisConf(t *testing.T) {
	const path = "/etc/redis/redis.conf"
	if _, err := os.Stat(path); err != nil {
		t.Skip("no " + path)
	}
	cfg, err := LoadConfig(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Get("bind") != "127.0.0.1 -::1" || cfg.Get("dir") != "/var/lib/redis" || cfg.Get("port") != "6379" {
		t.Fatalf("bind %q dir %q port %q", cfg.Get("bind"), cfg.Get("dir"), cfg.Get("port"))
	}
}

// TestConfigRewrite starts a server from a config file, changes settings
// and rewrites the file: comments and unknown order stay, directives are
// replaced in place, new ones are appended, and the result loads back to
// the same values.
func TestConfigRewrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ember.conf")
	orig := "# ember test config\nport 0\nbind 127.0.0.1\nadmin-port 0\n\n# memory\nmaxmemory 1mb\nslave-read-only yes\ntimeout 5\ntimeout 6\n"
	if err := os.WriteFile(path, []byte(orig), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadConfig(path, nil)
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
	t.Cleanup(func() { _ = srv.Shutdown(context.Background()) })
	c := dial(t, srv)
	for _, args := range [][]string{
		{"CONFIG", "SET", "maxmemory", "10mb", "maxmemory-policy", "allkeys-lru"},
		{"CONFIG", "SET", "replica-read-only", "no"},
		{"CONFIG", "SET", "save", ""},
		{"CONFIG", "SET", "requirepass", "two words"},
		{"CONFIG", "SET", "timeout", "0"},
	} {
		if r := c.MustDo(t, args...); r != "+OK\r\n" {
			t.Fatalf("%v: %q", args, r)
		}
	}
	if r := c.MustDo(t, "CONFIG", "REWRITE"); r != "+OK\r\n" {
		t.Fatalf("CONFIG REWRITE: %q", r)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := "# ember test config\nport 0\nbind 127.0.0.1\nadmin-port 0\n\n# memory\nmaxmemory 10485760\nreplica-read-only no\ntimeout 0\n" +
		"# Generated by CONFIG REWRITE\nrequirepass \"two words\"\nmaxmemory-policy allkeys-lru\nsave \"\"\n"
	if string(b) != want {
		t.Fatalf("rewritten file:\n%s\nwant:\n%s", b, want)
	}
	again, err := LoadConfig(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"maxmemory", "maxmemory-policy", "replica-read-only", "save", "requirepass", "timeout"} {
		if again.Get(name) != cfg.Get(name) {
			t.Errorf("%s: reloaded %q, running %q", name, again.Get(name), cfg.Get(name))
		}
	}
	// A file that cannot be written is reported.
	if err := os.Chmod(filepath.Dir(path), 0o500); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(filepath.Dir(path), 0o700)
	if os.Geteuid() != 0 { // root writes anyway
		if r := c.MustDo(t, "CONFIG", "REWRITE"); !strings.HasPrefix(r, "-ERR Rewriting config file: ") {
			t.Fatalf("CONFIG REWRITE in a read-only directory: %q", r)
		}
	}
}

// TestConfigSetApplies checks that CONFIG SET reaches the running server:
// apply hooks and the hot-path copies (refreshConfig).
func TestConfigSetApplies(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	c.MustDo(t, "CONFIG", "SET", "loglevel", "debug", "timeout", "100", "requirepass", "pw")
	if srv.level.Level().String() != "DEBUG" {
		t.Errorf("loglevel not applied: %v", srv.level.Level())
	}
	if srv.idleTimeout.Load() != 100 || *srv.requirePass.Load() != "pw" {
		t.Errorf("timeout %d requirepass %q not refreshed", srv.idleTimeout.Load(), *srv.requirePass.Load())
	}
	// A failed CONFIG SET changes nothing, even the pairs before the bad one.
	c.MustDo(t, "CONFIG", "SET", "timeout", "5", "maxmemory", "bad")
	if srv.cfg.Get("timeout") != "100" || srv.idleTimeout.Load() != 100 {
		t.Errorf("partial CONFIG SET applied: timeout %q", srv.cfg.Get("timeout"))
	}
	if got := c.MustDo(t, "CONFIG", "SET", "loglevel", "nothing"); got != "+OK\r\n" { // Redis 7.2's level
		t.Errorf("loglevel nothing: %q", got)
	}
}

// TestProtectedConfigs checks enable-protected-configs: protected
// parameters are refused by default, allowed with yes, and with local for
// a loopback client.
func TestProtectedConfigs(t *testing.T) {
	for _, tc := range []struct{ mode, want string }{
		{"no", "-ERR CONFIG SET failed (possibly related to argument 'dbfilename') - can't set protected config\r\n"},
		{"yes", "+OK\r\n"},
		{"local", "+OK\r\n"},
	} {
		srv := startServer(t, "--enable-protected-configs", tc.mode)
		c := dial(t, srv)
		if got := c.MustDo(t, "CONFIG", "SET", "dbfilename", "other.rdb"); got != tc.want {
			t.Errorf("enable-protected-configs %s: %q, want %q", tc.mode, got, tc.want)
		}
	}
}

// configProbeSkip are parameters the probe leaves alone: ember-only ones,
// ones whose defaults are the test servers' own (port, dir ...), ones
// Redis 7.0 validates differently from 7.2, and ones whose change would
// disturb the reference server.
var configProbeSkip = map[string]string{
	"shards":      "ember only",
	"port":        "each test server has its own; Redis can rebind at run time, ember cannot",
	"bind":        "ember binds 127.0.0.1 by default (safe by default)",
	"dir":         "per server",
	"logfile":     "per server",
	"loglevel":    "Redis 7.2 adds the level nothing",
	"save":        "the reference runs with save \"\"",
	"daemonize":   "Debian's redis-server default differs",
	"requirepass": "would lock the probe out",
	"masterauth":  "sensitive; no validation in either",
	"tls-port":    "Redis tries to start a TLS listener",
	"pidfile":     "Debian's default differs",
}

// TestConfigMatchesRedis compares every parameter both servers know: the
// default value CONFIG GET shows, and the reply to CONFIG SET of probe
// values (validation, error texts, canonical forms).
func TestConfigMatchesRedis(t *testing.T) {
	rc, _, ec := startBoth(t)
	probes := []string{"abc", "-1", "0", "1", "yes", "NO", "2gb", "100", "", "1 2", "0 0 0"}
	compared := 0
	for _, p := range paramList {
		if configProbeSkip[p.name] != "" {
			continue
		}
		want := rc.MustDo(t, "CONFIG", "GET", p.name)
		if want == "*0\r\n" {
			continue // a Redis 7.2 parameter the 7.0 reference lacks
		}
		compared++
		if got := ec.MustDo(t, "CONFIG", "GET", p.name); got != want {
			t.Errorf("CONFIG GET %s: ember %q, redis %q", p.name, got, want)
			continue
		}
		v, _ := resptest.Parse(want)
		orig := v.Elems[1].Str
		for _, probe := range probes {
			w := rc.MustDo(t, "CONFIG", "SET", p.name, probe)
			g := ec.MustDo(t, "CONFIG", "SET", p.name, probe)
			if g != w {
				t.Errorf("CONFIG SET %s %q:\n ember %q\n redis %q", p.name, probe, g, w)
			}
			if gw, ge := rc.MustDo(t, "CONFIG", "GET", p.name), ec.MustDo(t, "CONFIG", "GET", p.name); gw != ge {
				t.Errorf("CONFIG GET %s after SET %q: ember %q, redis %q", p.name, probe, ge, gw)
			}
			rc.MustDo(t, "CONFIG", "SET", p.name, orig)
			ec.MustDo(t, "CONFIG", "SET", p.name, orig)
		}
	}
	if compared < 150 {
		t.Fatalf("only %d parameters compared", compared)
	}
}
