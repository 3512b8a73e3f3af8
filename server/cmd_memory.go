package server

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
)

// MEMORY commands (Redis's object.c), answered from the store's accounting
// (each entry's accounted size, the keyspace total) and the Go runtime's
// view of the heap, the same figures INFO memory reports.

var memoryHelp = []string{
	"MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"DOCTOR",
	"    Return memory problems reports.",
	"MALLOC-STATS",
	"    Return internal statistics report from the memory allocator.",
	"PURGE",
	"    Attempt to purge dirty pages for reclamation by the allocator.",
	"STATS",
	"    Return information about the memory usage of the server.",
	"USAGE <key> [SAMPLES <count>]",
	"    Return memory in bytes used by <key> and its value. Nested values are",
	"    sampled up to <count> times (default: 5, 0 means sample all).",
	"HELP",
	"    Prints this help.",
}

// MEMORY HELP
func cmdMemoryHelp(c *Client, args [][]byte) { c.writeHelp(memoryHelp) }

// MEMORY USAGE key [SAMPLES count]
//
// The size is the entry's accounted size, exact for every value kind, so
// SAMPLES is validated and otherwise has no effect.
func cmdMemoryUsage(c *Client, args [][]byte) {
	for j := 3; j < len(args); j++ {
		if !eqFold(args[j], "samples") || j+1 >= len(args) {
			c.WriteError(errSyntax)
			return
		}
		n, ok := parseInt(args[j+1])
		if !ok {
			c.WriteError(errNotInteger)
			return
		}
		if n < 0 {
			c.WriteError(errSyntax)
			return
		}
		j++
	}
	tx := c.tx
	tx.LockKey(c.db, args[2], false)
	var size int64
	e := tx.Lookup(args[2])
	if e != nil {
		size = e.Size()
	}
	tx.Unlock()
	if e == nil {
		c.WriteNull()
		return
	}
	c.WriteInt(size)
}

// memFigures are the memory figures INFO memory and MEMORY STATS/DOCTOR
// report: used_memory and its peak and startup part, the process's RSS,
// the heap as allocated/active/resident, and the clients' buffers.
type memFigures struct {
	used, peak, startup, rss int64
	alloc, active, resident  int64
	clients, numClients      int64 // mem_clients_normal and the client count
}

func (s *Server) memFigures() memFigures {
	f := memFigures{used: s.notePeak(), startup: s.info.baseMemory, rss: readRSS()}
	f.peak = s.info.peakMemory.Load()
	f.alloc, f.active, f.resident = heapClasses()
	cs := s.clientList()
	f.numClients = int64(len(cs))
	for _, c := range cs {
		f.clients += c.qbufSize.Load() + c.obufSize.Load() + clientStructSize
	}
	return f
}

// MEMORY STATS
func cmdMemoryStats(c *Client, args [][]byte) {
	f := c.srv.memFigures()
	st := c.srv.store
	type kv struct {
		name string
		i    int64
		f    float64
		dbs  bool
	}
	net := max(f.used-f.startup, 0)
	var keys int64
	type dbOverhead struct{ idx, main, expires int64 }
	var dbs []dbOverhead
	for i := range st.Databases() {
		db := st.PeekDB(i)
		n := db.Len()
		if n == 0 {
			continue
		}
		keys += n
		// A key costs its table slot and, when it has a TTL, its
		// expiry heap slot: a pointer each.
		dbs = append(dbs, dbOverhead{int64(i), n * 8, c.tx.Volatile(db) * 8})
	}
	perKey := int64(0)
	if keys > 0 {
		perKey = net / keys
	}
	dataset := f.used - f.startup
	out := []kv{
		{name: "peak.allocated", i: f.peak},
		{name: "total.allocated", i: f.used},
		{name: "startup.allocated", i: f.startup},
		{name: "replication.backlog"},
		{name: "clients.slaves"},
		{name: "clients.normal", i: f.clients},
		{name: "cluster.links"},
		{name: "aof.buffer"},
		{name: "lua.caches"},
		{name: "functions.caches"},
		{dbs: true},
		{name: "overhead.total", i: f.startup},
		{name: "keys.count", i: keys},
		{name: "keys.bytes-per-key", i: perKey},
		{name: "dataset.bytes", i: dataset},
		{name: "dataset.percentage", f: ratio(dataset, net) * 100},
		{name: "peak.percentage", f: ratio(f.used, f.peak) * 100},
		{name: "allocator.allocated", i: f.alloc},
		{name: "allocator.active", i: f.active},
		{name: "allocator.resident", i: f.resident},
		{name: "allocator-fragmentation.ratio", f: ratio(f.active, f.alloc)},
		{name: "allocator-fragmentation.bytes", i: f.active - f.alloc},
		{name: "allocator-rss.ratio", f: ratio(f.resident, f.active)},
		{name: "allocator-rss.bytes", i: f.resident - f.active},
		{name: "rss-overhead.ratio", f: ratio(f.rss, f.resident)},
		{name: "rss-overhead.bytes", i: f.rss - f.resident},
		{name: "fragmentation", f: ratio(f.rss, f.used)},
		{name: "fragmentation.bytes", i: f.rss - f.used},
	}
	c.WriteMap(len(out) - 1 + len(dbs))
	for _, e := range out {
		switch {
		case e.dbs:
			for _, d := range dbs {
				c.WriteBulkString("db." + itoa(d.idx))
				c.WriteMap(3)
				c.WriteBulkString("overhead.hashtable.main")
				c.WriteInt(d.main)
				c.WriteBulkString("overhead.hashtable.expires")
				c.WriteInt(d.expires)
				c.WriteBulkString("overhead.hashtable.slot-to-keys")
				c.WriteInt(0)
			}
		case strings.HasSuffix(e.name, "ratio") || strings.HasSuffix(e.name, "percentage") || e.name == "fragmentation":
			c.WriteBulkString(e.name)
			c.WriteDouble(e.f)
		default:
			c.WriteBulkString(e.name)
			c.WriteInt(e.i)
		}
	}
}

// Thresholds of MEMORY DOCTOR (Redis's getMemoryDoctorReport).
const (
	doctorMinUsed      = 5 << 20   // below this the instance is "empty"
	doctorBigBytes     = 10 << 20  // a ratio is a problem only past this many bytes
	doctorClientBuffer = 200 << 10 // average client buffers per client
)

// MEMORY DOCTOR
func cmdMemoryDoctor(c *Client, args [][]byte) { c.WriteVerbatim(memoryDoctor(c.srv.memFigures())) }

// memoryDoctor is Redis's memory report over ember's figures (the checks
// that apply: peak, RSS and heap overheads, client buffers).
func memoryDoctor(f memFigures) string {
	if f.used < doctorMinUsed {
		return "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.\n"
	}
	var issues []string
	big := func(r, limit float64, bytes int64) bool { return r > limit && bytes > doctorBigBytes }
	if ratio(f.peak, f.used) > 1.5 {
		issues = append(issues, " * Peak memory: In the past this instance used more than 150% the memory that is currently using. The allocator is normally not able to release memory after a peak, so you can expect to see a big fragmentation ratio, however this is actually harmless and is only due to the memory peak, and if the Redis instance Resident Set Size (RSS) is currently bigger than expected, the memory will be used as soon as you fill the Redis instance with more data. If the memory peak was only occasional and you want to try to reclaim memory, please try the MEMORY PURGE command, otherwise the only other option is to shutdown and restart the instance.\n\n")
	}
	if big(ratio(f.rss, f.used), 1.4, f.rss-f.used) {
		issues = append(issues, " * High total RSS: This instance has a memory fragmentation and RSS overhead greater than 1.4 (this means that the Resident Set Size of the Redis process is much larger than the sum of the logical allocations Redis performed). This problem is usually due either to a large peak memory (check if there is a peak memory entry above in the report) or may result from a workload that causes the allocator to fragment memory a lot. If the problem is a large peak memory, then there is no issue. Otherwise, the Go garbage collector may be running rarely: consider setting maxmemory, which bounds the heap. Note: The currently used allocator is \"go-"+runtime.Version()+"\".\n\n")
	}
	if big(ratio(f.active, f.alloc), 1.1, f.active-f.alloc) {
		issues = append(issues, " * High allocator fragmentation: This instance has an allocator external fragmentation greater than 1.1. This problem is usually due either to a large peak memory (check if there is a peak memory entry above in the report) or may result from a workload that causes the allocator to fragment memory a lot.\n\n")
	}
	if big(ratio(f.resident, f.active), 1.1, f.resident-f.active) {
		issues = append(issues, " * High allocator RSS overhead: This instance has an RSS memory overhead is greater than 1.1 (this means that the Resident Set Size of the allocator is much larger than the sum what the allocator actually holds). This problem is usually due to a large peak memory (check if there is a peak memory entry above in the report), you can try the MEMORY PURGE command to reclaim it.\n\n")
	}
	if big(ratio(f.rss, f.resident), 1.1, f.rss-f.resident) {
		issues = append(issues, " * High process RSS overhead: This instance has non-allocator RSS memory overhead is greater than 1.1 (this means that the Resident Set Size of the Redis process is much larger than the RSS the allocator holds). This problem may be due to goroutine stacks or to memory the Go runtime has not yet returned to the system.\n\n")
	}
	if f.numClients > 0 && f.clients/f.numClients > doctorClientBuffer {
		issues = append(issues, " * Big client buffers: The clients output buffers in this instance are greater than 200K per client (on average). This may result from different causes, like Pub/Sub clients subscribed to channels bot not receiving data fast enough, so that data piles on the Redis instance output buffer, or clients sending commands with large replies or very large sequences of commands in the same pipeline. Please use the CLIENT LIST command in order to investigate the issue if it causes problems in your instance, or to understand better why certain clients are using a big amount of memory.\n\n")
	}
	if len(issues) == 0 {
		return "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n"
	}
	return "Sam, I detected a few issues in this Redis instance memory implants:\n\n" + strings.Join(issues, "") +
		"I'm here to keep you safe, Sam. I want to help you.\n"
}

// MEMORY MALLOC-STATS
//
// ember's allocator is the Go runtime's: the report lists its memory
// classes and GC figures (runtime/metrics), as jemalloc's report does for
// Redis.
func cmdMemoryMallocStats(c *Client, args [][]byte) {
	var b strings.Builder
	b.WriteString("___ Begin Go runtime memory statistics ___\n")
	b.WriteString("Version: \"" + runtime.Version() + "\"\n")
	descs := metrics.All()
	samples := make([]metrics.Sample, 0, len(descs))
	for _, d := range descs {
		if strings.HasPrefix(d.Name, "/memory/") || strings.HasPrefix(d.Name, "/gc/") {
			samples = append(samples, metrics.Sample{Name: d.Name})
		}
	}
	metrics.Read(samples)
	for _, s := range samples {
		switch s.Value.Kind() {
		case metrics.KindUint64:
			b.WriteString(s.Name + ": " + strconv.FormatUint(s.Value.Uint64(), 10) + "\n")
		case metrics.KindFloat64:
			b.WriteString(s.Name + ": " + strconv.FormatFloat(s.Value.Float64(), 'g', -1, 64) + "\n")
		}
	}
	b.WriteString("___ End Go runtime memory statistics ___\n")
	c.WriteVerbatim(b.String())
}

// MEMORY PURGE
//
// Runs a garbage collection and returns as much memory to the operating
// system as the runtime can (Redis asks jemalloc to purge dirty pages).
func cmdMemoryPurge(c *Client, args [][]byte) {
	debug.FreeOSMemory()
	c.WriteOK()
}
