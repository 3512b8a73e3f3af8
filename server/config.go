package server

import (
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/embercache/ember/store"
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
	protected bool // CONFIG SET refuses it (enable-protected-configs)
	multi     bool // an enum that takes several of its words ("nosave now")
	compat    bool // accepted and reported; no effect in ember
	// norm validates and canonicalises a value of kindSpecial (and may
	// refine other kinds); it returns the error text after " - ".
	norm func(string) (string, error)
	// apply pushes a new value into the running server (nil: read on use).
	apply func(s *Server, v string)
	// show, when set, is CONFIG GET's spelling of the stored value.
	show func(v string) string
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
		for _, p := range paramList {
			switch p.name {
			case "client-output-buffer-limit":
				p.compat = false
				p.apply = func(s *Server, v string) { s.applyOutputLimits(v) }
			case "notify-keyspace-events":
				p.compat = false
				p.apply = func(s *Server, v string) { s.notify.configure(v) }
				p.show = showNotifyFlags
			case "busy-reply-threshold":
				p.compat = false // read by each script run (lua_run.go)
			}
			if set, ok := encodingParams[p.name]; ok {
				p.compat = false
				p.apply = func(s *Server, v string) {
					n, _ := strconv.ParseInt(v, 10, 64)
					set(s.store.Limits(), n)
				}
			}
			if apply, ok := opsParams[p.name]; ok {
				p.compat = false
				p.apply = apply
			}
			if evictionParams[p.name] {
				p.compat = false
				p.apply = func(s *Server, v string) { s.applyMaxmemory() }
			}
		}
		paramByName = make(map[string]*param)
		for _, p := range paramList {
			if paramByName[p.name] != nil {
				panic("duplicate config parameter " + p.name)
			}
			paramByName[p.name] = p
			for _, a := range p.aliases {
				paramByName[a] = p
			}
		}
	})
	return paramByName
}

// The integer bounds Redis's config table uses (C's INT_MAX, UINT_MAX,
// LLONG_MAX ...).
const (
	maxInt   = math.MaxInt64
	intMax   = math.MaxInt32
	intMin   = math.MinInt32
	uintMax  = math.MaxUint32
	llongMax = math.MaxInt64
)

// emberParams are the parameters ember implements.
func emberParams() []*param {
	return []*param{
		{name: "port", kind: kindInt, def: "6379", min: 0, max: 65535, immutable: true},
		{name: "bind", kind: kindSpecial, def: "127.0.0.1", immutable: true, norm: normBind},
		{name: "databases", kind: kindInt, def: "16", min: 1, max: intMax, immutable: true},
		{name: "shards", kind: kindInt, def: "256", min: 1, max: 65536, immutable: true, norm: normPow2},
		{name: "threads", kind: kindSpecial, def: "auto", norm: normThreads, apply: func(s *Server, v string) { applyThreads(v) }},
		{name: "requirepass", kind: kindString, def: ""},
		{name: "maxclients", kind: kindInt, def: "10000", min: 1, max: uintMax},
		{name: "timeout", kind: kindInt, def: "0", min: 0, max: intMax},
		{name: "tcp-keepalive", kind: kindInt, def: "300", min: 0, max: intMax},
		{name: "loglevel", kind: kindEnum, def: "notice", enum: []string{"debug", "verbose", "notice", "warning", "nothing"}, apply: func(s *Server, v string) { s.setLogLevel(v) }},
		{name: "logfile", kind: kindString, def: "", immutable: true},
		{name: "dir", kind: kindSpecial, def: ".", protected: true, norm: func(v string) (string, error) { return v, nil }, apply: func(s *Server, v string) { _ = os.Chdir(v) }},
		{name: "protected-mode", kind: kindBool, def: "yes"},
		{name: "proto-max-bulk-len", kind: kindMem, def: "536870912", min: 1024 * 1024, max: llongMax},
		{name: "hll-sparse-max-bytes", kind: kindMem, def: "3000", min: 0, max: llongMax},
		{name: "client-query-buffer-limit", kind: kindMem, def: "1073741824", min: 1024 * 1024, max: maxInt},
		{name: "maxmemory", kind: kindMem, def: "0", min: 0, max: maxInt, apply: func(s *Server, v string) { s.applyMaxmemory() }},
		{name: "maxmemory-policy", kind: kindSpecial, def: "noeviction", norm: normMaxmemoryPolicy},
		{name: "hz", kind: kindInt, def: "10", min: 0, max: intMax, norm: func(v string) (string, error) {
			n, _ := strconv.ParseInt(v, 10, 64)
			n = min(max(n, 1), 500)
			return strconv.FormatInt(n, 10), nil
		}},
		{name: "unixsocket", kind: kindString, def: "", immutable: true},
		{name: "unixsocketperm", kind: kindSpecial, def: "0", immutable: true, norm: normOctal},
		{name: "admin-port", kind: kindInt, def: "9121", min: 0, max: 65535, immutable: true},
	}
}

// compatTable lists the Redis 7.2 parameters ember accepts for
// compatibility, one per line: name, type, default, then options:
//
//	bool | str | int LO HI | mem LO HI | enum a,b,c | multi a,b,c | special
//	imm        CONFIG SET refuses it (immutable)
//	prot       CONFIG SET refuses it (protected)
//	alias=X    an old name that also works
//
// Bounds are C's: I = INT_MAX, IMIN = INT_MIN, U = UINT_MAX, L = LONG_MAX.
// "-" stands for an empty default.
const compatTable = `acl-pubsub-default enum allchannels,resetchannels resetchannels
aclfile str - imm
acllog-max-len int 0 L 128
active-defrag-cycle-max int 1 99 25
active-defrag-cycle-min int 1 99 1
active-defrag-ignore-bytes mem 1 L 104857600
active-defrag-max-scan-fields int 1 L 1000
active-defrag-threshold-lower int 0 1000 10
active-defrag-threshold-upper int 0 1000 100
active-expire-effort int 1 10 1
activedefrag special no
activerehashing bool yes
always-show-logo bool no imm
aof-disable-auto-gc bool no
aof-load-truncated bool yes
aof-rewrite-incremental-fsync bool yes
aof-timestamp-enabled bool no
aof-use-rdb-preamble bool yes
aof_rewrite_cpulist str - imm
appenddirname str appendonlydir imm
appendfilename str appendonly.aof imm
appendfsync enum everysec,always,no everysec
appendonly bool no
auto-aof-rewrite-min-size mem 0 L 67108864
auto-aof-rewrite-percentage int 0 I 100
bgsave_cpulist str - imm
bind-source-addr str -
bio_cpulist str - imm
busy-reply-threshold int 0 L 5000 alias=lua-time-limit
client-output-buffer-limit special normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60
cluster-allow-pubsubshard-when-down bool yes
cluster-allow-reads-when-down bool no
cluster-allow-replica-migration bool yes
cluster-announce-bus-port int 0 65535 0
cluster-announce-hostname special -
cluster-announce-human-nodename str -
cluster-announce-ip str -
cluster-announce-port int 0 65535 0
cluster-announce-tls-port int 0 65535 0
cluster-config-file str nodes.conf imm
cluster-enabled bool no imm
cluster-link-sendbuf-limit mem 0 L 0
cluster-migration-barrier int 0 I 1
cluster-node-timeout int 0 L 15000
cluster-port int 0 65535 0 imm
cluster-preferred-endpoint-type enum ip,hostname,unknown-endpoint ip
cluster-replica-no-failover bool no alias=cluster-slave-no-failover
cluster-replica-validity-factor int 0 I 10 alias=cluster-slave-validity-factor
cluster-require-full-coverage bool yes
crash-log-enabled bool yes
crash-memcheck-enabled bool yes
daemonize bool no imm
dbfilename str dump.rdb prot
disable-thp bool yes imm
dynamic-hz bool yes
enable-debug-command enum no,yes,local no imm
enable-module-command enum no,yes,local no imm
enable-protected-configs enum no,yes,local no imm
hash-max-listpack-entries int 0 L 512 alias=hash-max-ziplist-entries
hash-max-listpack-value mem 0 L 64 alias=hash-max-ziplist-value
ignore-warnings str -
io-threads int 1 128 1 imm
io-threads-do-reads bool no imm
jemalloc-bg-thread bool yes
latency-monitor-threshold int 0 L 0
latency-tracking bool yes
latency-tracking-info-percentiles special 50 99 99.9
lazyfree-lazy-eviction bool no
lazyfree-lazy-expire bool no
lazyfree-lazy-server-del bool no
lazyfree-lazy-user-del bool no
lazyfree-lazy-user-flush bool no
lfu-decay-time int 0 I 1
lfu-log-factor int 0 I 10
list-compress-depth int 0 I 0
list-max-listpack-size int IMIN I -2 alias=list-max-ziplist-size
locale-collate str -
masterauth str -
masteruser str -
maxmemory-clients special 0
maxmemory-eviction-tenacity int 0 100 10
maxmemory-samples int 1 I 5
min-replicas-max-lag int 0 I 10 alias=min-slaves-max-lag
min-replicas-to-write int 0 I 0 alias=min-slaves-to-write
no-appendfsync-on-rewrite bool no
notify-keyspace-events special -
oom-score-adj enum no,yes,relative,absolute no
oom-score-adj-values special 0 200 800
pidfile str - imm
proc-title-template special {title} {listen-addr} {server-mode}
propagation-error-behavior enum ignore,panic,panic-on-replicas ignore
rdb-del-sync-files bool no
rdb-save-incremental-fsync bool yes
rdbchecksum bool yes imm
rdbcompression bool yes
repl-backlog-size special 1048576
repl-backlog-ttl int 0 L 3600
repl-disable-tcp-nodelay bool no
repl-diskless-load enum disabled,on-empty-db,swapdb disabled
repl-diskless-sync bool yes
repl-diskless-sync-delay int 0 I 5
repl-diskless-sync-max-replicas int 0 I 0
repl-ping-replica-period int 1 I 10 alias=repl-ping-slave-period
repl-timeout int 1 I 60
replica-announce-ip str - alias=slave-announce-ip
replica-announce-port int 0 65535 0 alias=slave-announce-port
replica-announced bool yes
replica-ignore-disk-write-errors bool no
replica-ignore-maxmemory bool yes alias=slave-ignore-maxmemory
replica-lazy-flush bool no alias=slave-lazy-flush
replica-priority int 0 I 100 alias=slave-priority
replica-read-only bool yes alias=slave-read-only
replica-serve-stale-data bool yes alias=slave-serve-stale-data
replicaof special - imm alias=slaveof
sanitize-dump-payload enum no,yes,clients no
save special 3600 1 300 100 60 10000
server_cpulist str - imm
set-max-intset-entries int 0 L 512
set-max-listpack-entries int 0 L 128
set-max-listpack-value mem 0 L 64
set-proc-title bool yes imm
shutdown-on-sigint multi default,save,nosave,now,force default
shutdown-on-sigterm multi default,save,nosave,now,force default
shutdown-timeout int 0 I 10
slowlog-log-slower-than int -1 L 10000
slowlog-max-len int 0 L 128
socket-mark-id int 0 U 0 imm
stop-writes-on-bgsave-error bool yes
stream-node-max-bytes mem 0 L 4096
stream-node-max-entries int 0 L 100
supervised enum upstart,systemd,auto,no no imm
syslog-enabled bool no imm
syslog-facility enum user,local0,local1,local2,local3,local4,local5,local6,local7 local0 imm
syslog-ident str redis imm
tcp-backlog int 0 I 511 imm
tls-auth-clients enum no,yes,optional yes
tls-ca-cert-dir str -
tls-ca-cert-file str -
tls-cert-file str -
tls-ciphers str -
tls-ciphersuites str -
tls-client-cert-file str -
tls-client-key-file str -
tls-client-key-file-pass str -
tls-cluster special no
tls-dh-params-file str -
tls-key-file str -
tls-key-file-pass str -
tls-port int 0 65535 0
tls-prefer-server-ciphers bool no
tls-protocols str -
tls-replication special no
tls-session-cache-size int 0 I 20480
tls-session-cache-timeout int 0 I 300
tls-session-caching bool yes
tracking-table-max-keys int 0 L 1000000
zset-max-listpack-entries int 0 L 128 alias=zset-max-ziplist-entries
zset-max-listpack-value mem 0 L 64 alias=zset-max-ziplist-value`

// compatNorm holds the validators of the compat parameters of type
// special, with Redis's error texts.
var compatNorm = map[string]func(string) (string, error){
	"activedefrag":                      normActiveDefrag,
	"client-output-buffer-limit":        normClientOutputBufferLimit,
	"latency-tracking-info-percentiles": normPercentiles,
	"maxmemory-clients":                 normMaxmemoryClients,
	"notify-keyspace-events":            normKeyspaceEvents,
	"oom-score-adj-values":              normOOMScoreAdjValues,
	"proc-title-template":               normProcTitle,
	"repl-backlog-size":                 normReplBacklogSize,
	"replicaof":                         func(v string) (string, error) { return v, nil },
	"save":                              normSave,
	"cluster-announce-hostname":         normHostname,
	"tls-cluster":                       normNoTLS,
	"tls-replication":                   normNoTLS,
}

func compatBound(s string) int64 {
	switch s {
	case "I":
		return intMax
	case "IMIN":
		return intMin
	case "U":
		return uintMax
	case "L":
		return llongMax
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		panic("bad bound in compatTable: " + s)
	}
	return n
}

func compatParams() []*param {
	var out []*param
	for _, line := range strings.Split(compatTable, "\n") {
		f := strings.Fields(line)
		p := &param{name: f[0], compat: true}
		rest := f[2:]
		switch f[1] {
		case "bool":
			p.kind = kindBool
		case "str":
			p.kind = kindString
		case "int", "mem":
			p.kind = kindInt
			if f[1] == "mem" {
				p.kind = kindMem
			}
			p.min, p.max = compatBound(rest[0]), compatBound(rest[1])
			rest = rest[2:]
		case "enum", "multi":
			p.kind = kindEnum
			p.multi = f[1] == "multi"
			p.enum = strings.Split(rest[0], ",")
			rest = rest[1:]
		case "special":
			p.kind = kindSpecial
			p.norm = compatNorm[p.name]
			if p.norm == nil {
				panic("no validator for " + p.name)
			}
		default:
			panic("bad type in compatTable: " + line)
		}
		// The default runs up to the first option (several words for
		// some special parameters).
		var def []string
		for _, w := range rest {
			switch {
			case w == "imm":
				p.immutable = true
			case w == "prot":
				p.protected = true
			case strings.HasPrefix(w, "alias="):
				p.aliases = append(p.aliases, strings.TrimPrefix(w, "alias="))
			case w != "-":
				def = append(def, w)
			}
		}
		p.def = strings.Join(def, " ")
		out = append(out, p)
	}
	return out
}

func normBind(v string) (string, error) {
	f := strings.Fields(v)
	if len(f) == 0 {
		return "", errors.New("Too many bind addresses specified.")
	}
	if len(f) > 16 {
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

func normActiveDefrag(v string) (string, error) {
	switch strings.ToLower(v) {
	case "no":
		return "no", nil
	case "yes":
		return "", errors.New("Active defragmentation cannot be enabled: it requires a Redis server compiled with a modified Jemalloc like the one shipped by default with the Redis source distribution")
	}
	return "", errors.New("argument must be 'yes' or 'no'")
}

// normSave validates "seconds changes [seconds changes ...]" (or "").
func normSave(v string) (string, error) {
	f := strings.Fields(v)
	if len(f)%2 != 0 {
		return "", errors.New("Invalid save parameters")
	}
	for _, w := range f {
		if n, ok := parseInt([]byte(w)); !ok || n < 0 {
			return "", errors.New("Invalid save parameters")
		}
	}
	return strings.Join(f, " "), nil
}

// normClientOutputBufferLimit validates "class hard soft seconds ..."
// alone; Config merges the classes given onto its current value instead
// (mergeOutputBufferLimit), as Redis does.
func normClientOutputBufferLimit(v string) (string, error) { return mergeOutputBufferLimit("", v) }

// mergeOutputBufferLimit applies "class hard soft seconds ..." onto the
// current three-class value.
func mergeOutputBufferLimit(current, v string) (string, error) {
	f := strings.Fields(v)
	if len(f)%4 != 0 {
		return "", errors.New("Wrong number of arguments in buffer limit configuration.")
	}
	cur := map[string][3]string{}
	cf := strings.Fields(current)
	for i := 0; i+3 < len(cf); i += 4 {
		cur[cf[i]] = [3]string{cf[i+1], cf[i+2], cf[i+3]}
	}
	for i := 0; i < len(f); i += 4 {
		class := strings.ToLower(f[i])
		if class == "replica" {
			class = "slave"
		}
		if _, ok := cur[class]; !ok {
			return "", errors.New("Invalid client class specified in buffer limit configuration.")
		}
		hard, ok1 := parseMemory(f[i+1])
		soft, ok2 := parseMemory(f[i+2])
		secs, ok3 := parseInt([]byte(f[i+3]))
		if !ok1 || !ok2 || !ok3 || hard < 0 || soft < 0 || secs < 0 {
			return "", errors.New("Error in hard, soft or soft_seconds setting in buffer limit configuration.")
		}
		cur[class] = [3]string{itoa(hard), itoa(soft), itoa(secs)}
	}
	var out []string
	for _, class := range []string{"normal", "slave", "pubsub"} {
		l := cur[class]
		out = append(out, class, l[0], l[1], l[2])
	}
	return strings.Join(out, " "), nil
}

func normPercentiles(v string) (string, error) {
	f := strings.Fields(v)
	for _, w := range f {
		p, err := strconv.ParseFloat(w, 64)
		if err != nil {
			return "", errors.New("Invalid latency-tracking-info-percentiles parameters")
		}
		if p < 0 || p > 100 {
			return "", errors.New("latency-tracking-info-percentiles parameters should sit between [0.0,100.0]")
		}
	}
	return strings.Join(f, " "), nil
}

func normOOMScoreAdjValues(v string) (string, error) {
	f := strings.Fields(v)
	if len(f) != 3 {
		return "", errors.New("wrong number of arguments")
	}
	for _, w := range f {
		n, ok := parseInt([]byte(w))
		if !ok || n < -2000 || n > 2000 {
			return "", errors.New("Invalid oom-score-adj-values, elements must be between -2000 and 2000.")
		}
	}
	return strings.Join(f, " "), nil
}

// normMaxmemoryClients accepts a memory value or a percentage of maxmemory.
func normMaxmemoryClients(v string) (string, error) {
	if pct, ok := strings.CutSuffix(v, "%"); ok {
		n, ok := parseInt([]byte(pct))
		if !ok || n < 0 {
			return "", errors.New("argument must be a memory or percent value")
		}
		if n > 100 {
			return "", errors.New("percentage argument must be less or equal to 100")
		}
		return v, nil
	}
	n, ok := parseMemory(v)
	if !ok || n < 0 {
		return "", errors.New("argument must be a memory or percent value")
	}
	return itoa(n), nil
}

func normReplBacklogSize(v string) (string, error) {
	n, ok := parseMemory(v)
	if !ok || n < 0 {
		return "", errors.New("argument must be a memory value")
	}
	if n < 1 {
		return "", errors.New("argument must be between 1 and 9223372036854775807 inclusive")
	}
	// Redis raises a backlog below its minimum to 16 KiB.
	return itoa(max(n, 16*1024)), nil
}

// normProcTitle accepts the templates Redis does: "{{" and "}}" are
// literal braces, every {variable} must be one Redis knows, and the
// template may not be empty.
func normProcTitle(v string) (string, error) {
	bad := errors.New("template format is invalid or contains unknown variables")
	known := []string{"title", "listen-addr", "server-mode", "port", "tls-port", "unixsocket", "config-file"}
	if v == "" {
		return "", bad
	}
	for i := 0; i < len(v); i++ {
		if v[i] != '{' {
			continue
		}
		if i+1 < len(v) && v[i+1] == '{' {
			i++
			continue
		}
		j := strings.IndexByte(v[i:], '}')
		if j < 0 || !slices.Contains(known, v[i+1:i+j]) {
			return "", bad
		}
		i += j
	}
	return v, nil
}

// normHostname accepts what Redis accepts as cluster-announce-hostname.
func normHostname(v string) (string, error) {
	for i := 0; i < len(v); i++ {
		ch := v[i]
		if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '-' || ch == '.') {
			return "", errors.New("Hostnames may only contain alphanumeric characters, hyphens or dots")
		}
	}
	return v, nil
}

// normNoTLS is the validator of the TLS switches: ember has no TLS
// configuration to update, so only "no" is accepted, with the error Redis
// gives when its TLS setup cannot be applied.
func normNoTLS(v string) (string, error) {
	switch strings.ToLower(v) {
	case "no":
		return "no", nil
	case "yes":
		return "", errors.New("Unable to update TLS configuration. Check server logs.")
	}
	return "", errors.New("argument must be 'yes' or 'no'")
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
	if s == "" {
		return 0, true // Redis's memtoull reads an empty string as 0
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || s[0] == '+' || s[0] == '-' {
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
			var ok bool
			if n, ok = parseInt([]byte(v)); !ok {
				return "", errors.New("argument couldn't be parsed into an integer")
			}
		}
		if n < p.min || n > p.max {
			return "", fmt.Errorf("argument must be between %d and %d inclusive", p.min, p.max)
		}
		v = strconv.FormatInt(n, 10)
	case kindEnum:
		words := []string{v}
		if p.multi {
			words = strings.Fields(v)
		}
		if len(words) == 0 {
			return "", errors.New("argument(s) must be one of the following: " + strings.Join(p.enum, ", "))
		}
		for i, w := range words {
			lw := strings.ToLower(w)
			if !slices.Contains(p.enum, lw) {
				return "", errors.New("argument(s) must be one of the following: " + strings.Join(p.enum, ", "))
			}
			words[i] = lw
		}
		v = strings.Join(words, " ")
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

// checkLocked validates value for p and returns the canonical value to
// store. Immutable and protected parameters may be set only at startup
// (setMany checks them itself). REQUIRES: c.mu held
// (client-output-buffer-limit merges onto the current value).
func (c *Config) checkLocked(p *param, value string, startup bool) (string, error) {
	if !startup && p.immutable {
		return "", errors.New("can't set immutable config")
	}
	if !startup && p.protected {
		return "", errors.New("can't set protected config")
	}
	if p.name == "client-output-buffer-limit" {
		return mergeOutputBufferLimit(c.values[p.name], value)
	}
	return p.normalize(value)
}

// set validates and stores one value.
func (c *Config) set(name, value string, startup bool) (*param, error) {
	p := params()[strings.ToLower(name)]
	if p == nil {
		return nil, errUnknownParam
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	v, err := c.checkLocked(p, value, startup)
	if err != nil {
		return p, err
	}
	c.values[p.name] = v
	return p, nil
}

// Set changes a parameter at startup (immutable ones included); the error
// text is the one Redis prints after " - ".
func (c *Config) Set(name, value string) error {
	_, err := c.set(name, value, true)
	return err
}

var errUnknownParam = errors.New("Bad directive or wrong number of arguments")

// configSetError says why CONFIG SET refused its arguments: an unknown
// parameter (Unknown), or Reason about the parameter Name (as Redis
// names it in the error).
type configSetError struct {
	Unknown bool
	Name    string
	Reason  string
}

// setMany is CONFIG SET: it validates every name/value pair before storing
// any, so the change is all or nothing, and returns the changed
// parameters. Checks run in Redis's order: names (unknown, immutable,
// protected, duplicate) first, then values.
//
// Protected parameters (dir, dbfilename) are refused unless
// enable-protected-configs is yes, or local and the client is local.
func (c *Config) setMany(pairs [][2]string, localClient bool) ([]*param, *configSetError) {
	allowProtected := c.Get("enable-protected-configs") == "yes" ||
		(c.Get("enable-protected-configs") == "local" && localClient)
	ps := make([]*param, len(pairs))
	// Like Redis 7.0, an alias counts as a parameter of its own for the
	// duplicate check.
	names := make([]string, len(pairs))
	var first *configSetError
	for i, kv := range pairs {
		names[i] = strings.ToLower(kv[0])
		p := params()[names[i]]
		switch {
		case first != nil:
		case p == nil:
			first = &configSetError{Unknown: true, Name: kv[0]}
		case p.immutable:
			first = &configSetError{Name: kv[0], Reason: "can't set immutable config"}
		case p.protected && !allowProtected:
			first = &configSetError{Name: kv[0], Reason: "can't set protected config"}
		case slices.Contains(names[:i], names[i]):
			first = &configSetError{Name: kv[0], Reason: "duplicate parameter"}
		}
		ps[i] = p
	}
	if first != nil {
		return nil, first
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	vals := make([]string, len(pairs))
	for i, p := range ps {
		// Names were checked above: validate the value only.
		v, err := c.checkLocked(p, pairs[i][1], true)
		if err != nil {
			name := p.name
			if lname := strings.ToLower(pairs[i][0]); slices.Contains(p.aliases, lname) {
				name = lname
			}
			return nil, &configSetError{Name: name, Reason: err.Error()}
		}
		vals[i] = v
	}
	for i, p := range ps {
		c.values[p.name] = vals[i]
	}
	return ps, nil
}

// ConfigError is a startup configuration error, formatted as Redis reports
// it: the line number, the offending line and the reason.
type ConfigError struct {
	Line   int
	Text   string
	Reason string
}

// Error formats the error as Redis prints a bad configuration line.
func (e *ConfigError) Error() string {
	return fmt.Sprintf("*** FATAL CONFIG FILE ERROR (ember %s) ***\nReading the configuration file, at line %d\n>>> '%s'\n%s", Version, e.Line, e.Text, e.Reason)
}

// multiWord parameters take every argument on their line as one value.
var multiWord = map[string]bool{
	"bind": true, "save": true, "client-output-buffer-limit": true,
	"oom-score-adj-values": true, "latency-tracking-info-percentiles": true,
	"replicaof": true, "shutdown-on-sigint": true, "shutdown-on-sigterm": true,
}

// reprArg quotes a command-line argument the way Redis's sdscatrepr does
// when it turns "--name value" options into config lines.
func reprArg(s string) string { return string(appendRepr(nil, []byte(s))) }

// LoadConfig builds a Config from an optional redis.conf-style file and
// command-line arguments ("--port 7000 --save ”" ...), applied after the
// file as Redis does: the options become lines after the file's (with
// their values quoted), so an error's line number counts both, as in
// Redis's message.
func LoadConfig(path string, args []string) (*Config, error) {
	cfg := NewConfig()
	var text strings.Builder
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("can't open config file '%s': %w", path, err)
		}
		text.Write(b)
		cfg.File = path
	}
	if len(args) > 0 {
		text.WriteByte('\n')
		for i, a := range args {
			if strings.HasPrefix(a, "--") && len(a) > 2 {
				if i > 0 {
					text.WriteByte('\n')
				}
				text.WriteString(a[2:])
			} else {
				text.WriteString(reprArg(a))
			}
			text.WriteByte(' ')
		}
	}
	saveLoaded := false
	for n, raw := range strings.Split(text.String(), "\n") {
		line := strings.Trim(raw, " \t\r\n")
		if line == "" || line[0] == '#' {
			continue
		}
		fail := func(reason string) error { return &ConfigError{Line: n + 1, Text: line, Reason: reason} }
		words, ok := splitArgs([]byte(line), nil)
		if !ok {
			return nil, fail("Unbalanced quotes in configuration line")
		}
		if len(words) == 0 {
			continue
		}
		name := strings.ToLower(string(words[0]))
		vals := make([]string, 0, len(words)-1)
		for _, w := range words[1:] {
			vals = append(vals, string(w))
		}
		if name == "include" {
			return nil, fail("include is not supported; merge the files")
		}
		p := params()[name]
		if p == nil {
			return nil, fail("Bad directive or wrong number of arguments")
		}
		if len(vals) == 0 || (len(vals) > 1 && !multiWord[p.name]) {
			return nil, fail("wrong number of arguments")
		}
		value := strings.Join(vals, " ")
		if p.name == "save" {
			// The file's first save line replaces the default; later
			// ones add to it; save "" clears.
			if saveLoaded && value != "" && cfg.Get("save") != "" {
				value = cfg.Get("save") + " " + value
			}
			saveLoaded = true
		}
		if err := cfg.Set(name, value); err != nil {
			return nil, fail(err.Error())
		}
	}
	return cfg, nil
}

// get is CONFIG GET: for each pattern, a name without glob characters is
// looked up exactly (answered under the name as given), a pattern is
// matched against every parameter name and alias. A name matched twice is
// answered once.
func (c *Config) get(patterns []string) [][2]string {
	var out [][2]string
	seen := map[string]bool{}
	c.mu.RLock()
	defer c.mu.RUnlock()
	add := func(name string, p *param) {
		if !seen[name] {
			seen[name] = true
			v := c.values[p.name]
			if p.show != nil {
				v = p.show(v)
			}
			out = append(out, [2]string{name, v})
		}
	}
	for _, pat := range patterns {
		if !strings.ContainsAny(pat, "[*?") {
			if p := params()[strings.ToLower(pat)]; p != nil {
				add(pat, p)
			}
			continue
		}
		for _, p := range paramList {
			for _, name := range append([]string{p.name}, p.aliases...) {
				if globMatchString(pat, name, true) {
					add(name, p)
				}
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

// normThreads validates the threads directive: "auto" or a positive count.
func normThreads(v string) (string, error) {
	if strings.EqualFold(v, "auto") {
		return "auto", nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 1 || n > 1024 {
		return "", errors.New("argument must be 'auto' or between 1 and 1024 inclusive")
	}
	return strconv.FormatInt(n, 10), nil
}

// encodingParams are the redis.conf thresholds of compact collection
// encodings, pushed into the store's Limits.
var encodingParams = map[string]func(l *store.Limits, n int64){
	"hash-max-listpack-entries": func(l *store.Limits, n int64) { l.HashMaxListpackEntries.Store(n) },
	"hash-max-listpack-value":   func(l *store.Limits, n int64) { l.HashMaxListpackValue.Store(n) },
	"set-max-intset-entries":    func(l *store.Limits, n int64) { l.SetMaxIntsetEntries.Store(n) },
	"set-max-listpack-entries":  func(l *store.Limits, n int64) { l.SetMaxListpackEntries.Store(n) },
	"set-max-listpack-value":    func(l *store.Limits, n int64) { l.SetMaxListpackValue.Store(n) },
	"zset-max-listpack-entries": func(l *store.Limits, n int64) { l.ZsetMaxListpackEntries.Store(n) },
	"zset-max-listpack-value":   func(l *store.Limits, n int64) { l.ZsetMaxListpackValue.Store(n) },
	"list-max-listpack-size":    func(l *store.Limits, n int64) { l.ListMaxListpackSize.Store(n) },
	"stream-node-max-bytes":     func(l *store.Limits, n int64) { l.StreamNodeMaxBytes.Store(n) },
	"stream-node-max-entries":   func(l *store.Limits, n int64) { l.StreamNodeMaxEntries.Store(n) },
}

// applyEncodingLimits pushes the configured encoding thresholds into the
// store (at startup; CONFIG SET applies them one by one).
func (s *Server) applyEncodingLimits() {
	for name, set := range encodingParams {
		set(s.store.Limits(), s.cfg.Int(name))
	}
}
