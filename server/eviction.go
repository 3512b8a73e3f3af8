package server

import (
	"errors"
	"math"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/embercache/ember/eviction"
	"github.com/embercache/ember/store"
)

// maxmemory: the limit, the policy, and the Go runtime's memory limit.
//
// Before every command, when maxmemory is set and used_memory is past it,
// the store evicts by the policy (store/evict.go). If it cannot (policy
// noeviction, or no key the policy may evict) commands flagged denyoom get
// Redis's OOM error; the others run, so reads keep working.
//
// The Go runtime's soft memory limit (debug.SetMemoryLimit) follows
// maxmemory: the collector works harder as the heap nears it, so the
// process's RSS stays within a fixed factor of maxmemory instead of
// growing to twice the live heap (GOGC's default) under a write flood.

// evictionParams are the parameters whose change reconfigures eviction.
var evictionParams = map[string]bool{
	"maxmemory-policy": true, "maxmemory-samples": true, "lfu-log-factor": true,
	"lfu-decay-time": true, "maxmemory-eviction-tenacity": true,
}

// redisPolicies are the maxmemory-policy values Redis knows, which its
// error message lists; ember also accepts its own (eviction.Names).
const redisPolicies = "volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction"

// normMaxmemoryPolicy validates a maxmemory-policy (case-insensitive).
func normMaxmemoryPolicy(v string) (string, error) {
	lv := strings.ToLower(v)
	if _, ok := eviction.Parse(lv); !ok {
		return "", errors.New("argument(s) must be one of the following: " + redisPolicies)
	}
	return lv, nil
}

// evictState is the server's copy of maxmemory for the command path.
type evictState struct {
	maxmemory atomic.Int64
}

// Go memory limit headroom over maxmemory: the heap also holds garbage
// between collections, clients' buffers and the runtime's own structures.
const (
	goLimitSlack = 48 << 20
	goLimitNum   = 13 // limit = maxmemory * goLimitNum / goLimitDen + slack
	goLimitDen   = 10
)

// goGCPercentMaxmemory is the collector's GOGC while maxmemory is set
// (unless GOGC is set in the environment). With Go's default of 100 the
// heap grows to twice the live data between collections, so a small cache
// (maxmemory 21mb, ~25 MB live) peaked at 59 MB of RSS against Redis's
// 32; at 50 it peaks at 48 MB with no measurable loss of cache-aside
// throughput, because eviction makes every write replace a key and the
// live heap stays flat. Large caches are bounded by the memory limit
// above either way.
const goGCPercentMaxmemory = 50

var (
	goLimitOnce    sync.Once
	goLimitInitial int64 // the limit before any maxmemory (GOMEMLIMIT or none)
	goGCInitial    int   // GOGC before any maxmemory
	goGCFromEnv    bool  // GOGC was set in the environment: left alone
)

// applyMaxmemory pushes maxmemory, the policy and its tunables into the
// store and the Go runtime (at startup and on CONFIG SET).
func (s *Server) applyMaxmemory() {
	maxmem := s.cfg.Int("maxmemory")
	policy, _ := eviction.Parse(s.cfg.Get("maxmemory-policy"))
	params := eviction.Params{
		Samples:      int(s.cfg.Int("maxmemory-samples")),
		LogFactor:    s.cfg.Int("lfu-log-factor"),
		DecayMinutes: s.cfg.Int("lfu-decay-time"),
		Tenacity:     int(s.cfg.Int("maxmemory-eviction-tenacity")),
	}
	s.store.SetEviction(policy, params, maxmem)
	s.evict.maxmemory.Store(maxmem)
	goLimitOnce.Do(func() {
		goLimitInitial = debug.SetMemoryLimit(-1)
		_, goGCFromEnv = os.LookupEnv("GOGC")
		goGCInitial = debug.SetGCPercent(100) // read it...
		debug.SetGCPercent(goGCInitial)       // ...and put it back
	})
	if maxmem > 0 && maxmem < (math.MaxInt64-goLimitSlack)/goLimitNum {
		debug.SetMemoryLimit(maxmem/goLimitDen*goLimitNum + goLimitSlack)
		if !goGCFromEnv {
			debug.SetGCPercent(goGCPercentMaxmemory)
		}
	} else {
		debug.SetMemoryLimit(goLimitInitial)
		if !goGCFromEnv {
			debug.SetGCPercent(goGCInitial)
		}
	}
}

// outOfMemory evicts if used memory is over maxmemory, and reports
// whether it stays over (Redis's out_of_memory in processCommand).
func (s *Server) outOfMemory() bool {
	maxmem := s.evict.maxmemory.Load()
	if maxmem == 0 {
		return false
	}
	base := s.info.baseMemory + s.store.EvictionMemory()
	if base+s.store.UsedMemory() <= maxmem {
		return false
	}
	return s.store.Evict(maxmem-base) == store.EvictFail
}

// deniedOnOOM reports whether cmd is refused when memory stays over
// maxmemory after evicting, as Redis's processCommand decides: denyoom
// commands; inside MULTI every command but EXEC, DISCARD, QUIT and RESET
// (the transaction then aborts); EXEC when a queued command is denyoom.
// EVAL* and FCALL* are denyoom by their script's flags (lua_oom.go).
func (c *Client) deniedOnOOM(cmd *Command, args [][]byte) bool {
	if c.multi != nil {
		switch cmd.Name {
		case "exec":
			return c.multi.denyOOM()
		case "discard", "quit", "reset":
			return false
		}
		return true
	}
	return cmd.Flags&FlagDenyOOM != 0 || c.scriptCmdDenyOOM(cmd, args)
}
