package server

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Configuration.
//
// One table of parameters serves the config file, the command line, CONFIG
// GET, CONFIG SET and CONFIG REWRITE. Names, value syntax, defaults and
// error texts are redis.conf's, so an operator's file mostly just works.
// Parameters ember acts on have an apply hook that updates the running
// server; the rest of Redis's parameters are accepted, validated, stored and
// reported (marked compat) so that clients and tools that read or set them
// keep working, and README lists them as having no effect.

type paramKind uint8

const (
	kindBool paramKind = iota
	kindInt
	kindMem // memory size with units (1k, 1kb, 2gb ...)
	kindEnum
	kindString
	kindSpecial // validated and normalised by norm
)

type param struct {
	name      string
	aliases   []string
	kind      paramKind
	def       string
	min, max  int64
	enum      []string
	immutable bool // only settable at startup
	compat    bool // accepted and reported; no effect in ember
	// norm validates and canonicalises a value of kindSpecial (and may
	// refine other kinds); it returns the error text after " - ".
	norm func(string) (string, error)
	// apply pushes a new value into the running server (nil: read on use).
	apply func(s *Server, v string)
}

// Config is the server's parameter set: canonical string values by name.
type Config struct {
	mu     sync.RWMutex
	values map[string]string
	// File is the config file the server started from ("" if none), for
	// CONFIG REWRITE.
	File string
}

var (
	paramsOnce  sync.Once
	paramByName map[string]*param // canonical names and aliases
	paramList   []*param
)

func params() map[string]*param {
	paramsOnce.Do(func() {
		paramList = append(paramList, emberParams()...)
		paramList = append(paramList, compatParams()...)
		paramByName = make(map[string]*param)
		for _, p := range paramList {
			paramByName[p.name] = p
			for _, a := range p.aliases {
				paramByName[a] = p
			}
		}
	})
	return paramByName
}

const maxInt = math.MaxInt64

// emberParams are the parameters ember implements.
func emberParams() []*param {
	return []*param{
		{name: "port", kind: kindInt, def: "6379", min: 0, max: 65535, immutable: true},
		{name: "bind", kind: kindSpecial, def: "127.0.0.1", immutable: true, norm: normBind},
		{name: "databases", kind: kindInt, def: "16", min: 1, max: math.MaxInt32, immutable: true},
		{name: "shards", kind: kindInt, def: "256", min: 1, max: 65536, immutable: true, norm: normPow2},
		{name: "requirepass", kind: kindString, def: ""},
		{name: "maxclients", kind: kindInt, def: "10000", min: 1, max: math.MaxUint32},
		{name: "timeout", kind: kindInt, def: "0", min: 0, max: math.MaxInt32},
		{name: "tcp-keepalive", kind: kindInt, def: "300", min: 0, max: math.MaxInt32},
		{name: "loglevel", kind: kindEnum, def: "notice", enum: []string{"debug", "verbose", "notice", "warning", "nothing"}, apply: func(s *Server, v string) { s.setLogLevel(v) }},
		{name: "logfile", kind: kindString, def: "", immutable: true},
		{name: "dir", kind: kindSpecial, def: ".", norm: func(v string) (string, error) { return v, nil }, apply: func(s *Server, v string) { _ = os.Chdir(v) }},
		{name: "protected-mode", kind: kindBool, def: "yes"},
		{name: "proto-max-bulk-len", kind: kindMem, def: "536870912", min: 1024 * 1024, max: maxInt},
		{name: "client-query-buffer-limit", kind: kindMem, def: "1073741824", min: 1024 * 1024, max: maxInt},
		{name: "maxmemory", kind: kindMem, def: "0", min: 0, max: maxInt, apply: func(s *Server, v string) { s.applyMaxmemory() }},
		{name: "maxmemory-policy", kind: kindEnum, def: "noeviction", enum: []string{"volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl", "allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction"}},
		{name: "hz", kind: kindInt, def: "10", min: 0, max: maxInt, norm: func(v string) (string, error) {
			n, _ := strconv.ParseInt(v, 10, 64)
			n = min(max(n, 1), 500)
			return strconv.FormatInt(n, 10), nil
		}},
		{name: "unixsocket", kind: kindString, def: "", immutable: true},
		{name: "unixsocketperm", kind: kindSpecial, def: "0", immutable: true, norm: normOctal},
	}
}

// compatDefaults lists Redis 7 parameters ember accepts for compatibility
// (name, default); the kind is inferred from the default.
const compatDefaults = `acl-pubsub-default resetchannels
aclfile
acllog-max-len 128
active-defrag-cycle-max 25
active-defrag-cycle-min 1
active-defrag-ignore-bytes 104857600
active-defrag-max-scan-fields 1000
active-defrag-threshold-lower 10
active-defrag-threshold-upper 100
active-expire-effort 1
activedefrag no
activerehashing yes
always-show-logo no
aof-disable-auto-gc no
aof-load-truncated yes
aof-rewrite-incremental-fsync yes
aof-timestamp-enabled no
aof-use-rdb-preamble yes
aof_rewrite_cpulist
appenddirname appendonlydir
appendfilename appendonly.aof
appendfsync everysec
appendonly no
auto-aof-rewrite-min-size 67108864
auto-aof-rewrite-percentage 100
bgsave_cpulist
bio_cpulist
busy-reply-threshold 5000 lua-time-limit
cluster-allow-pubsubshard-when-down yes
cluster-allow-reads-when-down no
cluster-allow-replica-migration yes
cluster-announce-bus-port 0
cluster-announce-hostname
cluster-announce-ip
cluster-announce-port 0
cluster-announce-tls-port 0
cluster-config-file nodes.conf
cluster-enabled no
cluster-link-sendbuf-limit 0
cluster-migration-barrier 1
cluster-node-timeout 15000
cluster-port 0
cluster-preferred-endpoint-type ip
cluster-replica-no-failover no cluster-slave-no-failover
cluster-replica-validity-factor 10 cluster-slave-validity-factor
cluster-require-full-coverage yes
crash-log-enabled yes
crash-memcheck-enabled yes
daemonize no
dbfilename dump.rdb
disable-thp yes
dynamic-hz yes
enable-debug-command no
enable-module-command no
enable-protected-configs no
hash-max-listpack-entries 512 hash-max-ziplist-entries
hash-max-listpack-value 64 hash-max-ziplist-value
hll-sparse-max-bytes 3000
ignore-warnings
io-threads 1
io-threads-do-reads no
jemalloc-bg-thread yes
latency-monitor-threshold 0
latency-tracking yes
lazyfree-lazy-eviction no
lazyfree-lazy-expire no
lazyfree-lazy-server-del no
lazyfree-lazy-user-del no
lazyfree-lazy-user-flush no
lfu-decay-time 1
lfu-log-factor 10
list-compress-depth 0
list-max-listpack-size -2 list-max-ziplist-size
masterauth
masteruser
maxmemory-clients 0
maxmemory-eviction-tenacity 10
maxmemory-samples 5
min-replicas-max-lag 10 min-slaves-max-lag
min-replicas-to-write 0 min-slaves-to-write
no-appendfsync-on-rewrite no
notify-keyspace-events
oom-score-adj no
pidfile
proc-title-template {title} {listen-addr} {server-mode}
propagation-error-behavior ignore
rdb-del-sync-files no
rdb-save-incremental-fsync yes
rdbchecksum yes
rdbcompression yes
repl-backlog-size 1048576
repl-backlog-ttl 3600
repl-disable-tcp-nodelay no
repl-diskless-load disabled
repl-diskless-sync yes
repl-diskless-sync-delay 5
repl-diskless-sync-max-replicas 0
repl-ping-replica-period 10 repl-ping-slave-period
repl-timeout 60
replica-announce-ip slave-announce-ip
replica-announce-port 0 slave-announce-port
replica-announced yes
replica-ignore-disk-write-errors no
replica-ignore-maxmemory yes slave-ignore-maxmemory
replica-lazy-flush no slave-lazy-flush
replica-priority 100 slave-priority
replica-read-only yes slave-read-only
replica-serve-stale-data yes slave-serve-stale-data
replicaof slaveof
sanitize-dump-payload no
server_cpulist
set-max-intset-entries 512
set-max-listpack-entries 128
set-max-listpack-value 64
set-proc-title yes
shutdown-on-sigint default
shutdown-on-sigterm default
shutdown-timeout 10
slowlog-log-slower-than 10000
slowlog-max-len 128
socket-mark-id 0
stop-writes-on-bgsave-error yes
stream-node-max-bytes 4096
stream-node-max-entries 100
supervised no
syslog-enabled no
syslog-facility local0
syslog-ident redis
tcp-backlog 511
tls-auth-clients yes
tls-ca-cert-dir
tls-ca-cert-file
tls-cert-file
tls-ciphers
tls-ciphersuites
tls-client-cert-file
tls-client-key-file
tls-client-key-file-pass
tls-cluster no
tls-dh-params-file
tls-key-file
tls-key-file-pass
tls-port 0
tls-prefer-server-ciphers no
tls-protocols
tls-replication no
tls-session-cache-size 20480
tls-session-cache-timeout 300
tls-session-caching yes
tracking-table-max-keys 1000000
zset-max-listpack-entries 128 zset-max-ziplist-entries
zset-max-listpack-value 64 zset-max-ziplist-value`

// compatSpecial are compat parameters whose value holds several words.
var compatSpecial = map[string]string{
	"save":                              "3600 1 300 100 60 10000",
	"client-output-buffer-limit":        "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
	"oom-score-adj-values":              "0 200 800",
	"latency-tracking-info-percentiles": "50 99 99.9",
}

func compatParams() []*param {
	var out []*param
	for _, line := range strings.Split(compatDefaults, "\n") {
		f := strings.Fields(line)
		p := &param{name: f[0], compat: true, kind: kindString}
		var alias string
		switch {
		case len(f) == 1:
		case f[0] == "proc-title-template":
			p.def = strings.TrimPrefix(line, f[0]+" ")
		case len(f) == 3:
			p.def, alias = f[1], f[2]
		case len(f) == 2 && strings.HasPrefix(f[1], "slave"):
			alias = f[1]
		case len(f) == 2 && f[0] == "replicaof":
			alias = f[1]
		default:
			p.def = f[1]
		}
		if alias != "" {
			p.aliases = []string{alias}
		}
		if p.def == "yes" || p.def == "no" {
			p.kind = kindBool
		} else if n, err := strconv.ParseInt(p.def, 10, 64); err == nil {
			p.kind = kindInt
			p.min, p.max = 0, maxInt
			if n < 0 {
				p.min = math.MinInt64
			}
		}
		out = append(out, p)
	}
	for name, def := range compatSpecial {
		out = append(out, &param{name: name, compat: true, kind: kindString, def: def})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

func normBind(v string) (string, error) {
	f := strings.Fields(v)
	if len(f) == 0 {
		return "", errors.New("Too many bind addresses specified.")
	}
	return strings.Join(f, " "), nil
}

func normPow2(v string) (string, error) {
	n, _ := strconv.ParseInt(v, 10, 64)
	if n&(n-1) != 0 {
		return "", errors.New("argument must be a power of two")
	}
	return v, nil
}

func normOctal(v string) (string, error) {
	if _, err := strconv.ParseUint(v, 8, 32); err != nil {
		return "", errors.New("argument couldn't be parsed into an integer")
	}
	return v, nil
}

// parseMemory parses a redis.conf memory value: bytes, or a number with a
// k/kb/m/mb/g/gb suffix (k = 1000, kb = 1024), case-insensitive.
func parseMemory(v string) (int64, bool) {
	s := strings.ToLower(v)
	mul := int64(1)
	for _, u := range []struct {
		suf string
		mul int64
	}{{"gb", 1 << 30}, {"mb", 1 << 20}, {"kb", 1 << 10}, {"g", 1e9}, {"m", 1e6}, {"k", 1e3}, {"b", 1}} {
		if strings.HasSuffix(s, u.suf) {
			s, mul = strings.TrimSuffix(s, u.suf), u.mul
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || s == "" || s[0] == '+' {
		return 0, false
	}
	if n != 0 && (n*mul)/mul != n {
		return 0, false
	}
	return n * mul, true
}

// normalize validates v for p and returns its canonical form, or the text
// Redis puts after "- " in its error.
func (p *param) normalize(v string) (string, error) {
	switch p.kind {
	case kindBool:
		switch strings.ToLower(v) {
		case "yes":
			return "yes", nil
		case "no":
			return "no", nil
		}
		return "", errors.New("argument must be 'yes' or 'no'")
	case kindInt, kindMem:
		var n int64
		if p.kind == kindMem {
			var ok bool
			if n, ok = parseMemory(v); !ok {
				return "", errors.New("argument must be a memory value")
			}
		} else {
			var err error
			if n, err = strconv.ParseInt(v, 10, 64); err != nil {
				return "", errors.New("argument couldn't be parsed into an integer")
			}
		}
		if n < p.min || n > p.max {
			return "", fmt.Errorf("argument must be between %d and %d inclusive", p.min, p.max)
		}
		v = strconv.FormatInt(n, 10)
	case kindEnum:
		lv := strings.ToLower(v)
		if !slices.Contains(p.enum, lv) {
			return "", errors.New("argument(s) must be one of the following: " + strings.Join(p.enum, ", "))
		}
		v = lv
	}
	if p.norm != nil {
		return p.norm(v)
	}
	return v, nil
}

// NewConfig returns a Config holding every parameter's default.
func NewConfig() *Config {
	c := &Config{values: make(map[string]string)}
	for _, p := range params() {
		c.values[p.name] = p.def
	}
	return c
}

// Get returns a parameter's canonical value ("" for unknown names).
func (c *Config) Get(name string) string {
	p := params()[strings.ToLower(name)]
	if p == nil {
		return ""
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.values[p.name]
}

// Int returns a numeric parameter's value.
func (c *Config) Int(name string) int64 {
	n, _ := strconv.ParseInt(c.Get(name), 10, 64)
	return n
}

// Bool returns a yes/no parameter's value.
func (c *Config) Bool(name string) bool { return c.Get(name) == "yes" }

// set validates and stores one value; at startup immutable ones are allowed.
func (c *Config) set(name, value string, startup bool) (*param, error) {
	p := params()[strings.ToLower(name)]
	if p == nil {
		return nil, errUnknownParam
	}
	if p.immutable && !startup {
		return p, errors.New("can't set immutable config")
	}
	v, err := p.normalize(value)
	if err != nil {
		return p, err
	}
	c.mu.Lock()
	c.values[p.name] = v
	c.mu.Unlock()
	return p, nil
}

// Set changes a parameter at startup (immutable ones included); the error
// text is the one Redis prints after " - ".
func (c *Config) Set(name, value string) error {
	_, err := c.set(name, value, true)
	return err
}

var errUnknownParam = errors.New("Bad directive or wrong number of arguments")

// ConfigError is a startup configuration error, formatted as Redis reports
// it: the line number, the offending line and the reason.
type ConfigError struct {
	Line   int
	Text   string
	Reason string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("*** FATAL CONFIG FILE ERROR ***\nReading the configuration file, at line %d\n>>> '%s'\n%s", e.Line, e.Text, e.Reason)
}

// multiWord parameters take every argument on their line as one value.
var multiWord = map[string]bool{
	"bind": true, "save": true, "client-output-buffer-limit": true,
	"oom-score-adj-values": true, "latency-tracking-info-percentiles": true,
	"notify-keyspace-events": false, "replicaof": true, "slaveof": true,
	"proc-title-template": false,
}

// LoadConfig builds a Config from an optional redis.conf-style file and
// command-line arguments ("--port 7000 --save ”" ...), applied after the
// file as Redis does.
func LoadConfig(path string, args []string) (*Config, error) {
	cfg := NewConfig()
	var text bytes.Buffer
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("can't open config file '%s': %w", path, err)
		}
		text.Write(b)
		text.WriteByte('\n')
		cfg.File = path
	}
	fileLines := strings.Count(text.String(), "\n")
	// Command-line options become extra lines: "--name a b" → "name a b".
	var cur []string
	flush := func() {
		if len(cur) > 0 {
			text.WriteString(strings.Join(cur, " "))
			text.WriteByte('\n')
			cur = nil
		}
	}
	for _, a := range args {
		if strings.HasPrefix(a, "--") && len(a) > 2 {
			flush()
			cur = append(cur, a[2:])
			continue
		}
		if a == "" {
			a = `""`
		} else if strings.ContainsAny(a, " \t\"'") {
			a = strconv.Quote(a)
		}
		cur = append(cur, a)
	}
	flush()
	sc := bufio.NewScanner(&text)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		words, ok := splitArgs([]byte(line), nil)
		if !ok {
			return nil, &ConfigError{Line: n, Text: line, Reason: "Unbalanced quotes in configuration line"}
		}
		if len(words) == 0 {
			continue
		}
		name := strings.ToLower(string(words[0]))
		var vals []string
		for _, w := range words[1:] {
			vals = append(vals, string(w))
		}
		if name == "include" {
			return nil, &ConfigError{Line: n, Text: line, Reason: "include is not supported; merge the files"}
		}
		p := params()[name]
		if p == nil || len(vals) == 0 || (len(vals) > 1 && !multiWord[p.name]) {
			if p != nil && len(vals) == 0 && p.kind == kindString {
				vals = []string{""}
			} else {
				return nil, &ConfigError{Line: n, Text: line, Reason: "Bad directive or wrong number of arguments"}
			}
		}
		if err := cfg.Set(name, strings.Join(vals, " ")); err != nil {
			where := n
			if n > fileLines {
				where = n - fileLines
			}
			return nil, &ConfigError{Line: where, Text: line, Reason: err.Error()}
		}
	}
	return cfg, nil
}

// matching returns the canonical names and aliases matching a CONFIG GET
// pattern, with their values.
func (c *Config) matching(pattern string) [][2]string {
	var out [][2]string
	lp := strings.ToLower(pattern)
	c.mu.RLock()
	defer c.mu.RUnlock()
	for _, p := range paramList {
		for _, name := range append([]string{p.name}, p.aliases...) {
			if globMatchString(lp, name, true) {
				out = append(out, [2]string{name, c.values[p.name]})
			}
		}
	}
	return out
}

// rewrite writes the running configuration back to c.File, keeping
// comments and unknown lines, replacing directives in place and appending
// changed parameters that were not in the file.
func (c *Config) rewrite() error {
	if c.File == "" {
		return errors.New("The server is running without a config file")
	}
	old, err := os.ReadFile(c.File)
	if err != nil {
		return err
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	seen := map[string]bool{}
	var out []string
	for _, line := range strings.Split(strings.TrimRight(string(old), "\n"), "\n") {
		t := strings.TrimSpace(line)
		if t == "" || t[0] == '#' {
			out = append(out, line)
			continue
		}
		words, ok := splitArgs([]byte(t), nil)
		if !ok || len(words) == 0 {
			out = append(out, line)
			continue
		}
		p := params()[strings.ToLower(string(words[0]))]
		if p == nil {
			out = append(out, line)
			continue
		}
		if seen[p.name] {
			continue
		}
		seen[p.name] = true
		out = append(out, p.name+" "+quoteConfValue(p, c.values[p.name]))
	}
	header := false
	for _, p := range paramList {
		if seen[p.name] || c.values[p.name] == p.def {
			continue
		}
		if !header {
			out = append(out, "# Generated by CONFIG REWRITE")
			header = true
		}
		out = append(out, p.name+" "+quoteConfValue(p, c.values[p.name]))
	}
	tmp := c.File + ".tmp"
	if err := os.WriteFile(tmp, []byte(strings.Join(out, "\n")+"\n"), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, c.File)
}

func quoteConfValue(p *param, v string) string {
	if multiWord[p.name] && v != "" {
		return v
	}
	if v == "" || strings.ContainsAny(v, " \t\"'\\") {
		return strconv.Quote(v)
	}
	return v
}
