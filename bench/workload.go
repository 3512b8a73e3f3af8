package bench

import (
	"encoding/binary"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Workloads: what each connection sends.
//
// A workload is a generator of commands, one per connection per round,
// seeded so the sequence is fixed by (seed, round, connection): every
// target receives the same requests in the same round. Each workload uses
// its own key prefix, so a string workload never trips over the lists or
// hashes another left behind (no WRONGTYPE), and read workloads find keys
// their preload wrote.

// Workload names accepted by --workload.
const (
	WorkloadSet        = "set"
	WorkloadGet        = "get"
	WorkloadMixed      = "mixed"
	WorkloadIncr       = "incr"
	WorkloadMset       = "mset"
	WorkloadLpush      = "lpush"
	WorkloadLpop       = "lpop"
	WorkloadHset       = "hset"
	WorkloadHget       = "hget"
	WorkloadZadd       = "zadd"
	WorkloadZrange     = "zrange"
	WorkloadPubsub     = "pubsub"
	WorkloadCacheAside = "cache-aside"
	WorkloadMemory     = "memory"
)

// Workloads lists every workload, in the order they are documented.
var Workloads = []string{
	WorkloadSet, WorkloadGet, WorkloadMixed, WorkloadIncr, WorkloadMset,
	WorkloadLpush, WorkloadLpop, WorkloadHset, WorkloadHget, WorkloadZadd,
	WorkloadZrange, WorkloadPubsub, WorkloadCacheAside, WorkloadMemory,
}

// workloadHelp describes each workload for --help.
var workloadHelp = map[string]string{
	WorkloadSet:        "SET key value [PX ttl]",
	WorkloadGet:        "GET key, on a preloaded key space (hit ratio)",
	WorkloadMixed:      "SET and GET in --ratio set:get, on a preloaded key space (hit ratio)",
	WorkloadIncr:       "INCR key",
	WorkloadMset:       "MSET with --mset-keys keys per command (ops are commands)",
	WorkloadLpush:      "LPUSH key value",
	WorkloadLpop:       "LPUSH key value then LPOP key, in pairs so lists never drain (hit ratio of LPOP)",
	WorkloadHset:       "HSET key field value, --fields fields per key",
	WorkloadHget:       "HGET key field, on preloaded hashes (hit ratio)",
	WorkloadZadd:       "ZADD key score member, --fields members per key",
	WorkloadZrange:     "ZRANGE key 0 -1, on preloaded sorted sets of --fields members",
	WorkloadPubsub:     "1 publisher -> --subscribers subscribers: delivered msgs/s, end-to-end latency",
	WorkloadCacheAside: "GET key, then SET key on a miss (hit ratio)",
	WorkloadMemory:     "load --keyspace keys of --value-size: bytes per key from RSS and INFO used_memory",
}

// WorkloadHelp returns one line per workload for usage text.
func WorkloadHelp() string {
	var b strings.Builder
	for _, w := range Workloads {
		fmt.Fprintf(&b, "  %-12s %s\n", w, workloadHelp[w])
	}
	return b.String()
}

// Key prefixes, one per data type.
const (
	prefixString = "key:"
	prefixCount  = "counter:"
	prefixList   = "list:"
	prefixHash   = "hash:"
	prefixZset   = "zset:"
	prefixCache  = "cache:"
	prefixMemory = "memory:"
	pubsubChan   = "ember-bench"
)

// stampLen is the size of the send time at the start of a pubsub payload.
const stampLen = 8

// preloadKind is the data a read workload needs before it starts.
type preloadKind uint8

const (
	preloadNone preloadKind = iota
	preloadStrings
	preloadHashes
	preloadZsets
)

func preloadFor(w string) preloadKind {
	switch w {
	case WorkloadGet, WorkloadMixed:
		return preloadStrings
	case WorkloadHget:
		return preloadHashes
	case WorkloadZrange:
		return preloadZsets
	}
	return preloadNone
}

// reportsHits says whether a workload has a hit ratio.
func reportsHits(w string) bool {
	switch w {
	case WorkloadGet, WorkloadMixed, WorkloadLpop, WorkloadHget, WorkloadZrange, WorkloadCacheAside:
		return true
	}
	return false
}

// Distribution is how keys are drawn from the key space.
type Distribution uint8

// Key distributions.
const (
	Uniform Distribution = iota
	Sequential
	ZipfDist
)

// String names the distribution as --key-dist does.
func (d Distribution) String() string {
	return [...]string{"uniform", "sequential", "zipf"}[d]
}

// ParseDistribution parses uniform, sequential or zipf.
func ParseDistribution(s string) (Distribution, error) {
	switch strings.ToLower(s) {
	case "uniform", "random":
		return Uniform, nil
	case "sequential", "seq":
		return Sequential, nil
	case "zipf", "zipfian":
		return ZipfDist, nil
	}
	return 0, fmt.Errorf("unknown key distribution %q (uniform, sequential, zipf)", s)
}

// opKind is how a request's reply is accounted.
type opKind uint8

const (
	opWrite    opKind = iota // any non-error reply
	opRead                   // nil or empty is a miss, anything else a hit
	opCacheGet               // a read that, on a miss, queues a SET of its key
)

// slot is one request in flight.
type slot struct {
	t   int64 // when it was sent, or was meant to be sent at a fixed rate
	op  opKind
	key uint64
}

// Workload parameters shared by every connection of a run.
type genParams struct {
	workload   string
	keyspace   uint64
	dist       Distribution
	zipf       *Zipf
	valueMin   int
	valueMax   int
	ttlMillis  uint64
	ttlMaxMs   uint64 // > ttlMillis: TTLs uniform in [ttlMillis, ttlMaxMs]
	ttlPercent uint64 // share of writes with a TTL, percent (0: all)
	ratioSet   uint64 // mixed: SETs per ratioSet+ratioGet requests
	ratioGet   uint64
	msetKeys   int
	fields     uint64
	values     []byte // valueMax bytes fixed by the seed
	seed       uint64
	numClients int
	channels   uint64 // pubsub: channels published to (1: pubsubChan alone)
}

// gen produces one connection's command stream.
type gen struct {
	p     *genParams
	r     *rng
	seq   uint64   // next key for the sequential distribution
	pend  []uint64 // cache-aside: keys whose GET missed, to SET next
	pair  bool     // lpop: the LPUSH of a pair was sent, the LPOP is next
	pairK uint64
	stamp int64 // pubsub: the send time to put in the next payload (0: now)
}

// newGen returns connection conn's generator for a round. The same
// arguments always yield the same command sequence.
func newGen(p *genParams, round, conn int) *gen {
	g := &gen{p: p, r: newRNG(p.seed, uint64(round), uint64(conn))}
	if p.numClients > 0 {
		g.seq = uint64(conn) * p.keyspace / uint64(p.numClients)
	}
	return g
}

// key draws the next key number in [0, keyspace).
func (g *gen) key() uint64 {
	switch g.p.dist {
	case Sequential:
		k := g.seq
		g.seq++
		if g.seq >= g.p.keyspace {
			g.seq = 0
		}
		return k
	case ZipfDist:
		return g.p.zipf.rank(g.r) - 1
	}
	return g.r.uint64n(g.p.keyspace)
}

// value draws the next value.
func (g *gen) value() []byte {
	if g.p.valueMin == g.p.valueMax {
		return g.p.values
	}
	n := g.p.valueMin + int(g.r.uint64n(uint64(g.p.valueMax-g.p.valueMin+1)))
	return g.p.values[:n]
}

// appendSet appends SET prefix<k> value [PX ttl].
func (g *gen) appendSet(b []byte, prefix string, k uint64) []byte {
	ttl := g.ttl()
	if ttl > 0 {
		b = append(b, "*5\r\n$3\r\nSET\r\n"...)
	} else {
		b = append(b, "*3\r\n$3\r\nSET\r\n"...)
	}
	b = appendBulkKey(b, prefix, k)
	b = appendBulk(b, g.value())
	if ttl > 0 {
		b = append(b, "$2\r\nPX\r\n"...)
		b = appendBulkUint(b, ttl)
	}
	return b
}

// ttl returns the TTL in ms of the next write, 0 for none.
func (g *gen) ttl() uint64 {
	p := g.p
	if p.ttlMillis == 0 || (p.ttlPercent > 0 && g.r.uint64n(100) >= p.ttlPercent) {
		return 0
	}
	if p.ttlMaxMs > p.ttlMillis {
		return p.ttlMillis + g.r.uint64n(p.ttlMaxMs-p.ttlMillis+1)
	}
	return p.ttlMillis
}

// next appends the connection's next command to b and describes it in s
// (all but s.t).
func (g *gen) next(b []byte, s *slot) []byte {
	s.op = opWrite
	switch g.p.workload {
	case WorkloadSet:
		s.key = g.key()
		return g.appendSet(b, prefixString, s.key)
	case WorkloadGet:
		s.key, s.op = g.key(), opRead
		b = append(b, "*2\r\n$3\r\nGET\r\n"...)
		return appendBulkKey(b, prefixString, s.key)
	case WorkloadMixed:
		isSet := g.r.uint64n(g.p.ratioSet+g.p.ratioGet) < g.p.ratioSet
		s.key = g.key()
		if isSet {
			return g.appendSet(b, prefixString, s.key)
		}
		s.op = opRead
		b = append(b, "*2\r\n$3\r\nGET\r\n"...)
		return appendBulkKey(b, prefixString, s.key)
	case WorkloadIncr:
		s.key = g.key()
		b = append(b, "*2\r\n$4\r\nINCR\r\n"...)
		return appendBulkKey(b, prefixCount, s.key)
	case WorkloadMset:
		b = appendArray(b, 1+2*g.p.msetKeys)
		b = append(b, "$4\r\nMSET\r\n"...)
		for i := 0; i < g.p.msetKeys; i++ {
			s.key = g.key()
			b = appendBulkKey(b, prefixString, s.key)
			b = appendBulk(b, g.value())
		}
		return b
	case WorkloadLpush:
		s.key = g.key()
		b = append(b, "*3\r\n$5\r\nLPUSH\r\n"...)
		b = appendBulkKey(b, prefixList, s.key)
		return appendBulk(b, g.value())
	case WorkloadLpop:
		if g.pair {
			g.pair = false
			s.key, s.op = g.pairK, opRead
			b = append(b, "*2\r\n$4\r\nLPOP\r\n"...)
			return appendBulkKey(b, prefixList, s.key)
		}
		g.pair, g.pairK = true, g.key()
		s.key = g.pairK
		b = append(b, "*3\r\n$5\r\nLPUSH\r\n"...)
		b = appendBulkKey(b, prefixList, s.key)
		return appendBulk(b, g.value())
	case WorkloadHset:
		s.key = g.key()
		b = append(b, "*4\r\n$4\r\nHSET\r\n"...)
		b = appendBulkKey(b, prefixHash, s.key)
		b = appendBulkKey(b, "f:", g.r.uint64n(g.p.fields))
		return appendBulk(b, g.value())
	case WorkloadHget:
		s.key, s.op = g.key(), opRead
		b = append(b, "*3\r\n$4\r\nHGET\r\n"...)
		b = appendBulkKey(b, prefixHash, s.key)
		return appendBulkKey(b, "f:", g.r.uint64n(g.p.fields))
	case WorkloadZadd:
		s.key = g.key()
		b = append(b, "*4\r\n$4\r\nZADD\r\n"...)
		b = appendBulkKey(b, prefixZset, s.key)
		b = appendBulkUint(b, g.r.uint64n(1_000_000))
		return appendBulkKey(b, "m:", g.r.uint64n(g.p.fields))
	case WorkloadZrange:
		s.key, s.op = g.key(), opRead
		b = append(b, "*4\r\n$6\r\nZRANGE\r\n"...)
		b = appendBulkKey(b, prefixZset, s.key)
		return append(b, "$1\r\n0\r\n$2\r\n-1\r\n"...)
	case WorkloadCacheAside:
		if len(g.pend) > 0 {
			s.key = g.pend[0]
			g.pend = append(g.pend[:0], g.pend[1:]...)
			return g.appendSet(b, prefixCache, s.key)
		}
		s.key, s.op = g.key(), opCacheGet
		b = append(b, "*2\r\n$3\r\nGET\r\n"...)
		return appendBulkKey(b, prefixCache, s.key)
	case WorkloadPubsub:
		stamp := g.stamp
		if stamp == 0 {
			stamp = now()
		}
		v := g.value()
		b = append(b, "*3\r\n$7\r\nPUBLISH\r\n"...)
		if g.p.channels > 1 {
			b = appendBulkKey(b, pubsubChan+":", g.r.uint64n(g.p.channels))
		} else {
			b = appendBulkString(b, pubsubChan)
		}
		b = append(b, '$')
		b = appendUint(b, uint64(max(len(v), stampLen)))
		b = append(b, '\r', '\n')
		b = binary.LittleEndian.AppendUint64(b, uint64(stamp))
		if len(v) > stampLen {
			b = append(b, v[stampLen:]...)
		}
		return append(b, '\r', '\n')
	}
	panic("bench: no generator for workload " + g.p.workload)
}

// missed tells the generator that a cache-aside GET of key found nothing.
func (g *gen) missed(key uint64) { g.pend = append(g.pend, key) }

// appendPreload appends the command that writes key i of a read
// workload's data set (without TTL, so it lasts the run).
func (g *gen) appendPreload(b []byte, kind preloadKind, i uint64) []byte {
	switch kind {
	case preloadStrings:
		b = append(b, "*3\r\n$3\r\nSET\r\n"...)
		b = appendBulkKey(b, prefixString, i)
		return appendBulk(b, g.value())
	case preloadHashes:
		b = appendArray(b, 2+2*int(g.p.fields))
		b = append(b, "$4\r\nHSET\r\n"...)
		b = appendBulkKey(b, prefixHash, i)
		for f := uint64(0); f < g.p.fields; f++ {
			b = appendBulkKey(b, "f:", f)
			b = appendBulk(b, g.value())
		}
		return b
	case preloadZsets:
		b = appendArray(b, 2+2*int(g.p.fields))
		b = append(b, "$4\r\nZADD\r\n"...)
		b = appendBulkKey(b, prefixZset, i)
		for f := uint64(0); f < g.p.fields; f++ {
			b = appendBulkUint(b, f)
			b = appendBulkKey(b, "m:", f)
		}
		return b
	}
	return b
}

// appendMemorySet appends the memory workload's write of key i.
func (g *gen) appendMemorySet(b []byte, i uint64) []byte {
	return g.appendSet(b, prefixMemory, i)
}

// ParseList splits a comma-separated list, dropping empty items.
func ParseList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// ParseWorkloads validates a comma-separated list of workloads.
func ParseWorkloads(s string) ([]string, error) {
	ws := ParseList(s)
	if len(ws) == 0 {
		return nil, fmt.Errorf("no workload given")
	}
	for i, w := range ws {
		w = strings.ToLower(w)
		if w == "cacheaside" {
			w = WorkloadCacheAside
		}
		if !slices.Contains(Workloads, w) {
			return nil, fmt.Errorf("unknown workload %q (one of %s)", w, strings.Join(Workloads, ", "))
		}
		ws[i] = w
	}
	return ws, nil
}

// ParseInts parses a comma-separated list of positive integers ("1,16").
func ParseInts(s string) ([]int, error) {
	var out []int
	for _, f := range ParseList(s) {
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%q is not a positive integer", f)
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("empty list")
	}
	return out, nil
}

// ParseRange parses a value size: "32" or "16-256".
func ParseRange(s string) (lo, hi int, err error) {
	a, b, isRange := strings.Cut(s, "-")
	lo, err = strconv.Atoi(strings.TrimSpace(a))
	if err != nil || lo < 1 {
		return 0, 0, fmt.Errorf("bad size %q", s)
	}
	hi = lo
	if isRange {
		hi, err = strconv.Atoi(strings.TrimSpace(b))
		if err != nil || hi < lo {
			return 0, 0, fmt.Errorf("bad size range %q", s)
		}
	}
	return lo, hi, nil
}

// ParseRatio parses a set:get ratio such as "1:10".
func ParseRatio(s string) (sets, gets uint64, err error) {
	a, b, ok := strings.Cut(s, ":")
	if ok {
		sets, err = strconv.ParseUint(strings.TrimSpace(a), 10, 32)
		if err == nil {
			gets, err = strconv.ParseUint(strings.TrimSpace(b), 10, 32)
		}
	}
	if !ok || err != nil || sets+gets == 0 {
		return 0, 0, fmt.Errorf("bad ratio %q (want set:get, e.g. 1:10)", s)
	}
	return sets, gets, nil
}
