package server

import (
	"fmt"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/embercache/ember/internal/resptest"
)

// usedMemory reads INFO's used_memory through c.
func usedMemory(t *testing.T, c *resptest.Conn) int64 {
	t.Helper()
	n, _ := strconv.ParseInt(infoField(t, c, "memory", "used_memory"), 10, 64)
	return n
}

// limitServer starts a server and returns a connection and a function
// that sets maxmemory to the current used_memory plus extra bytes. The
// process-wide Go memory limit is restored when the test ends.
func limitServer(t *testing.T) (*Server, *resptest.Conn, func(extra int64)) {
	srv := startServer(t)
	c := dial(t, srv)
	t.Cleanup(func() { srv.cfg.Set("maxmemory", "0"); srv.applyMaxmemory() })
	return srv, c, func(extra int64) {
		t.Helper()
		c.MustDo(t, "CONFIG", "SET", "maxmemory", strconv.FormatInt(usedMemory(t, c)+extra, 10))
	}
}

// TestMaxmemoryOOM: with noeviction, or a volatile policy and no key with
// a TTL, denyoom commands get OOM past maxmemory while reads and DEL run.
func TestMaxmemoryOOM(t *testing.T) {
	_, c, limit := limitServer(t)
	for i := range 50 {
		c.MustDo(t, "SET", fmt.Sprintf("k%d", i), strings.Repeat("v", 100))
	}
	limit(-1000)
	const oom = "-OOM command not allowed when used memory > 'maxmemory'.\r\n"
	for _, policy := range []string{"noeviction", "volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl", "volatile-tinylfu"} {
		c.MustDo(t, "CONFIG", "SET", "maxmemory-policy", policy)
		if r := c.MustDo(t, "SET", "new", "v"); r != oom {
			t.Fatalf("%s: SET past maxmemory: %q", policy, r)
		}
		if r := c.MustDo(t, "LPUSH", "l", "v"); r != oom {
			t.Fatalf("%s: LPUSH past maxmemory: %q", policy, r)
		}
		if r := c.MustDo(t, "GET", "k1"); r != "$100\r\n"+strings.Repeat("v", 100)+"\r\n" {
			t.Fatalf("%s: GET past maxmemory: %q", policy, r)
		}
	}
	if r := c.MustDo(t, "DEL", "k1"); r != ":1\r\n" {
		t.Fatalf("DEL past maxmemory: %q", r)
	}
	// An allkeys policy evicts instead.
	c.MustDo(t, "CONFIG", "SET", "maxmemory-policy", "allkeys-lru")
	if r := c.MustDo(t, "SET", "new", "v"); r != "+OK\r\n" {
		t.Fatalf("allkeys-lru: SET %q", r)
	}
	if n := infoField(t, c, "stats", "evicted_keys"); n == "0" {
		t.Fatal("nothing evicted")
	}
	// maxmemory 0 is unlimited.
	c.MustDo(t, "CONFIG", "SET", "maxmemory-policy", "noeviction")
	c.MustDo(t, "CONFIG", "SET", "maxmemory", "0")
	if r := c.MustDo(t, "SET", "other", "v"); r != "+OK\r\n" {
		t.Fatalf("unlimited: SET %q", r)
	}
}

// TestMaxmemoryEvicts: under a write flood each policy keeps used_memory
// near maxmemory, and the volatile ones only take keys with a TTL.
func TestMaxmemoryEvicts(t *testing.T) {
	for _, policy := range []string{"allkeys-lru", "allkeys-lfu", "allkeys-random", "allkeys-tinylfu", "volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl", "volatile-tinylfu"} {
		t.Run(policy, func(t *testing.T) {
			srv, c, limit := limitServer(t)
			for i := range 20 {
				c.MustDo(t, "SET", fmt.Sprintf("keep%d", i), "v")
			}
			c.MustDo(t, "CONFIG", "SET", "maxmemory-policy", policy)
			// The TinyLFU sketch is sized by maxmemory (in power-of-two
			// steps) and counted in used_memory: set the limit until
			// setting it no longer moves used_memory, or a limit that
			// crosses a step leaves no room (the start-up heap, and so
			// the step crossed, varies with what else runs).
			for k := 0; k < 8; k++ {
				before := usedMemory(t, c)
				limit(20_000)
				if usedMemory(t, c) == before {
					break
				}
			}
			for i := range 1000 {
				if r := c.MustDo(t, "SET", fmt.Sprintf("k%d", i), strings.Repeat("x", 100), "EX", "1000"); r != "+OK\r\n" {
					t.Fatalf("SET %d: %q", i, r)
				}
			}
			maxmem := srv.cfg.Int("maxmemory")
			if used := usedMemory(t, c); used > maxmem+1000 {
				t.Fatalf("used_memory %d, maxmemory %d", used, maxmem)
			}
			if strings.HasPrefix(policy, "volatile") {
				for i := range 20 {
					if r := c.MustDo(t, "EXISTS", fmt.Sprintf("keep%d", i)); r != ":1\r\n" {
						t.Fatalf("persistent key keep%d evicted", i)
					}
				}
			}
		})
	}
}

// TestVolatileTTLOrder: volatile-ttl evicts the keys closest to expiry.
func TestVolatileTTLOrder(t *testing.T) {
	_, c, limit := limitServer(t)
	c.MustDo(t, "CONFIG", "SET", "maxmemory-policy", "volatile-ttl")
	c.MustDo(t, "CONFIG", "SET", "maxmemory-samples", "64")
	for i := range 40 {
		c.MustDo(t, "SET", fmt.Sprintf("t%02d", i), strings.Repeat("x", 100), "EX", strconv.Itoa(1000+i))
	}
	before := usedMemory(t, c)
	c.MustDo(t, "SET", "filler", strings.Repeat("x", 100))
	filler := usedMemory(t, c) - before
	limit(-filler * 5) // evict about five keys
	c.MustDo(t, "SET", "x", "y")
	for i := range 40 {
		r := c.MustDo(t, "EXISTS", fmt.Sprintf("t%02d", i))
		if i >= 10 && r != ":1\r\n" {
			t.Fatalf("t%02d (expiring late) evicted", i)
		}
	}
	if r := c.MustDo(t, "EXISTS", "t00"); r != ":0\r\n" {
		t.Fatal("t00, the key closest to expiry, was kept")
	}
}

// TestEvictedEvent: eviction publishes "evicted" keyspace events and
// journals DEL.
func TestEvictedEvent(t *testing.T) {
	srv, c, limit := limitServer(t)
	j := captureJournal(t, srv)
	sub := dial(t, srv)
	c.MustDo(t, "CONFIG", "SET", "notify-keyspace-events", "Ee")
	sub.MustDo(t, "SUBSCRIBE", "__keyevent@0__:evicted")
	c.MustDo(t, "SET", "victim", strings.Repeat("x", 100))
	c.MustDo(t, "CONFIG", "SET", "maxmemory-policy", "allkeys-random")
	limit(-100)
	c.MustDo(t, "SET", "k", "v")
	got, err := sub.ReadTimeout(5 * time.Second)
	if want := "*3\r\n$7\r\nmessage\r\n$22\r\n__keyevent@0__:evicted\r\n$6\r\nvictim\r\n"; err != nil || got != want {
		t.Fatalf("event %q %v, want %q", got, err, want)
	}
	found := false
	for _, r := range j.Take() {
		if strings.Contains(r, "DEL victim") {
			found = true
		}
	}
	if !found {
		t.Fatal("no DEL victim in the journal")
	}
}

// TestObjectFreqIdletime: OBJECT FREQ counts under an LFU policy (new keys
// at 5, the first read makes 6) and refuses otherwise; OBJECT IDLETIME the
// reverse.
func TestObjectFreqIdletime(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	c.MustDo(t, "SET", "k", "v")
	if r := c.MustDo(t, "OBJECT", "FREQ", "k"); !strings.HasPrefix(r, "-ERR An LFU maxmemory policy is not selected") {
		t.Fatalf("FREQ under noeviction: %q", r)
	}
	if r := c.MustDo(t, "OBJECT", "IDLETIME", "k"); r != ":0\r\n" {
		t.Fatalf("IDLETIME %q", r)
	}
	c.MustDo(t, "CONFIG", "SET", "maxmemory-policy", "allkeys-lfu")
	c.MustDo(t, "SET", "f", "v")
	if r := c.MustDo(t, "OBJECT", "FREQ", "f"); r != ":5\r\n" {
		t.Fatalf("FREQ of a new key %q", r)
	}
	c.MustDo(t, "GET", "f")
	if r := c.MustDo(t, "OBJECT", "FREQ", "f"); r != ":6\r\n" {
		t.Fatalf("FREQ after a read %q", r)
	}
	if r := c.MustDo(t, "OBJECT", "IDLETIME", "f"); !strings.HasPrefix(r, "-ERR An LFU maxmemory policy is selected") {
		t.Fatalf("IDLETIME under LFU %q", r)
	}
	c.MustDo(t, "CONFIG", "SET", "maxmemory-policy", "allkeys-tinylfu")
	if r := c.MustDo(t, "OBJECT", "IDLETIME", "k"); !strings.HasPrefix(r, ":") {
		t.Fatalf("IDLETIME under tinylfu %q", r)
	}
}

// TestMemoryUsageMatchesHeap: MEMORY USAGE of a key is its accounted size,
// and the accounted size of many keys matches what the Go heap grew by.
func TestMemoryUsageMatchesHeap(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	c.MustDo(t, "SET", "probe", strings.Repeat("x", 100))
	v, _ := resptest.Parse(c.MustDo(t, "MEMORY", "USAGE", "probe"))
	if v.Int != srv.Store().UsedMemory() {
		t.Fatalf("MEMORY USAGE %d, keyspace %d", v.Int, srv.Store().UsedMemory())
	}
	if r := c.MustDo(t, "MEMORY", "USAGE", "probe", "SAMPLES", "0"); r != fmt.Sprintf(":%d\r\n", v.Int) {
		t.Fatalf("SAMPLES 0: %q", r)
	}
}

// TestGoMemoryLimit: the Go runtime's memory limit follows maxmemory and
// returns to its previous value with maxmemory 0.
func TestGoMemoryLimit(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	before := debug.SetMemoryLimit(-1)
	c.MustDo(t, "CONFIG", "SET", "maxmemory", "100mb")
	if got, want := debug.SetMemoryLimit(-1), int64(100<<20)/goLimitDen*goLimitNum+goLimitSlack; got != want {
		t.Fatalf("limit %d, want %d", got, want)
	}
	if _, env := os.LookupEnv("GOGC"); !env {
		gc := debug.SetGCPercent(goGCPercentMaxmemory)
		if gc != goGCPercentMaxmemory {
			t.Fatalf("GOGC %d with maxmemory set, want %d", gc, goGCPercentMaxmemory)
		}
	}
	c.MustDo(t, "CONFIG", "SET", "maxmemory", "0")
	if got := debug.SetMemoryLimit(-1); got != before {
		t.Fatalf("limit %d after maxmemory 0, want %d", got, before)
	}
	if _, env := os.LookupEnv("GOGC"); !env {
		if gc := debug.SetGCPercent(goGCInitial); gc != goGCInitial {
			t.Fatalf("GOGC %d after maxmemory 0, want %d", gc, goGCInitial)
		}
	}
}

// TestSketchMemory: the TinyLFU sketch counts in used_memory while that
// policy is in force.
func TestSketchMemory(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	before := usedMemory(t, c)
	c.MustDo(t, "CONFIG", "SET", "maxmemory-policy", "allkeys-tinylfu")
	c.MustDo(t, "CONFIG", "SET", "maxmemory", "64mb")
	t.Cleanup(func() { srv.cfg.Set("maxmemory", "0"); srv.applyMaxmemory() })
	sk := srv.Store().EvictionMemory()
	if sk == 0 || usedMemory(t, c) != before+sk {
		t.Fatalf("used_memory %d, before %d, sketch %d", usedMemory(t, c), before, sk)
	}
	c.MustDo(t, "CONFIG", "SET", "maxmemory-policy", "allkeys-lru")
	if srv.Store().EvictionMemory() != 0 || usedMemory(t, c) != before {
		t.Fatalf("after leaving tinylfu: used_memory %d, want %d", usedMemory(t, c), before)
	}
}
