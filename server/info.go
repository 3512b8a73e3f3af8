package server

import (
	"crypto/rand"
	"encoding/hex"
	"hash/fnv"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/embercache/ember/store"
)

// INFO.
//
// The reply is built from counters that the command path already keeps
// (per-command stats, the server's atomics, the store's per-shard counters)
// and from what the Go runtime and /proc report; producing it takes no lock
// that a command holds. Field names, order and formats are Redis 7.2's, so
// that redis_exporter, redis-cli --stat and client libraries read it as
// they read Redis's. Fields that describe machinery ember does not have
// (forks, Lua, jemalloc's arenas, replicas) keep Redis's names with the
// values Redis shows when that machinery is idle; fields ember cannot
// measure honestly are left out (infoOmitted in info_test lists them).
//
// Rates (instantaneous_ops_per_sec, instantaneous_*_kbps) are computed like
// Redis's: a background loop samples the counters every statsSampleEvery
// and each rate is the mean over the last statsSamples samples. The same
// loop keeps used_memory_peak current between INFO calls.

// Tuning of the stats sampler (Redis's STATS_METRIC_SAMPLES and its 100 ms
// cron period for trackInstantaneousMetric).
const (
	statsSamples     = 16
	statsSampleEvery = 100 * time.Millisecond
)

// infoSectionOrder is the order in which INFO prints its sections.
var infoSectionOrder = []string{
	"server", "clients", "memory", "persistence", "stats", "replication",
	"cpu", "modules", "commandstats", "errorstats", "latencystats", "cluster", "keyspace",
}

// infoDefault are the sections of INFO and INFO default; INFO all and
// everything add commandstats and latencystats.
var infoDefault = map[string]bool{
	"server": true, "clients": true, "memory": true, "persistence": true,
	"stats": true, "replication": true, "cpu": true, "modules": true,
	"errorstats": true, "cluster": true, "keyspace": true,
}

// rateRing is one instantaneous metric: the last statsSamples per-second
// rates and the counter value at the previous sample.
type rateRing struct {
	samples [statsSamples]float64
	idx     int
	last    int64
}

func (r *rateRing) add(v int64, elapsed time.Duration) {
	rate := 0.0
	if elapsed > 0 {
		rate = float64(v-r.last) / elapsed.Seconds()
	}
	r.last = v
	r.samples[r.idx] = rate
	r.idx = (r.idx + 1) % statsSamples
}

func (r *rateRing) mean() float64 {
	var sum float64
	for _, s := range r.samples {
		sum += s
	}
	return sum / statsSamples
}

// infoState is what INFO needs beyond the counters: memory calibration,
// the peak, the rate rings and identifiers fixed at start.
type infoState struct {
	startOnce sync.Once
	// baseMemory is the Go heap in use when the server started, before
	// any key: the fixed overhead added to the keyspace's accounted bytes
	// to make used_memory.
	baseMemory int64
	peakMemory atomic.Int64
	replID     string

	mu            sync.Mutex // guards the rings and lastSample
	ops, in, out  rateRing
	lastSample    time.Time
	authFailures  atomic.Int64 // acl_access_denied_auth
	writesAtReset atomic.Int64 // write commands counted before RESETSTAT
}

// startInfo calibrates memory and starts the stats sampler; it runs until
// the server is shut down. Start calls it once.
func (s *Server) startInfo() {
	s.info.startOnce.Do(func() {
		runtime.GC()
		// The eviction sketch is counted on its own (it comes and goes
		// with the policy).
		s.info.baseMemory = heapObjects() - s.store.EvictionMemory()
		var id [20]byte
		_, _ = rand.Read(id[:])
		s.info.replID = hex.EncodeToString(id[:])
		s.info.lastSample = time.Now()
		s.notePeak()
		go s.sampleStats()
	})
}

func (s *Server) sampleStats() {
	t := time.NewTicker(statsSampleEvery)
	defer t.Stop()
	for {
		select {
		case <-s.done:
			return
		case now := <-t.C:
			s.info.mu.Lock()
			elapsed := now.Sub(s.info.lastSample)
			s.info.lastSample = now
			s.info.ops.add(s.stats.commandsProcessed.Load(), elapsed)
			s.info.in.add(s.stats.netInput.Load(), elapsed)
			s.info.out.add(s.stats.netOutput.Load(), elapsed)
			s.info.mu.Unlock()
			s.notePeak()
		}
	}
}

// usedMemory is used_memory: the startup heap plus the bytes accounted to
// the keyspace.
func (s *Server) usedMemory() int64 {
	return s.info.baseMemory + s.store.UsedMemory() + s.store.EvictionMemory()
}

// notePeak records used_memory in used_memory_peak if it is a new peak.
func (s *Server) notePeak() int64 {
	used := s.usedMemory()
	for {
		p := s.info.peakMemory.Load()
		if used <= p || s.info.peakMemory.CompareAndSwap(p, used) {
			return used
		}
	}
}

// resetStats zeroes every counter CONFIG RESETSTAT resets: command and
// error stats, the store's and the server's counters and the memory peak.
func (s *Server) resetStats() {
	s.info.writesAtReset.Store(s.info.writesAtReset.Load() + s.writeCalls())
	for _, cmd := range s.cmds.all() {
		cmd.stats.reset()
		cmd.lat.Store(nil) // Redis drops the histograms too
	}
	s.errMu.Lock()
	clear(s.errorStats)
	s.errMu.Unlock()
	s.store.ResetStats()
	st := &s.stats
	for _, c := range []*atomic.Int64{&st.connectionsReceived, &st.rejectedConnections,
		&st.totalErrorReplies, &s.info.authFailures} {
		c.Store(0)
	}
	for _, c := range []*stripedInt{&st.commandsProcessed, &st.netInput, &st.netOutput} {
		c.Store(0)
	}
	s.info.mu.Lock()
	s.info.ops, s.info.in, s.info.out = rateRing{}, rateRing{}, rateRing{}
	s.info.mu.Unlock()
	s.info.peakMemory.Store(0)
	s.notePeak()
}

// writeCalls counts the successful calls of write commands since the last
// RESETSTAT.
func (s *Server) writeCalls() int64 {
	var n int64
	for _, cmd := range s.cmds.all() {
		if cmd.Flags&FlagWrite != 0 {
			calls, _, _, failed := cmd.stats.load()
			n += calls - failed
		}
	}
	return n
}

// infoSections parses INFO's arguments into the set of sections to print.
func infoSections(args [][]byte) map[string]bool {
	if len(args) == 0 {
		return infoDefault
	}
	want := map[string]bool{}
	for _, a := range args {
		name := strings.ToLower(string(a))
		switch name {
		case "default":
			for k := range infoDefault {
				want[k] = true
			}
		case "all", "everything":
			for _, k := range infoSectionOrder {
				want[k] = true
			}
		default:
			want[name] = true
		}
	}
	return want
}

// genInfo renders the requested sections in Redis's order.
//
// tx is the Tx of the client asking (nil for none): inside a transaction
// the keyspace figures are read through it (store/tx_held.go).
func (s *Server) genInfo(want map[string]bool, tx *store.Tx) string {
	b := &infoBuf{}
	for _, name := range infoSectionOrder {
		if !want[name] {
			continue
		}
		if b.Len() > 0 {
			b.WriteString("\r\n")
		}
		switch name {
		case "server":
			s.infoServer(b)
		case "clients":
			s.infoClients(b)
		case "memory":
			s.infoMemory(b)
		case "persistence":
			s.infoPersistence(b)
		case "stats":
			s.infoStats(b)
		case "replication":
			s.infoReplication(b)
		case "cpu":
			infoCPU(b)
		case "modules":
			b.header("Modules")
		case "commandstats":
			s.infoCommandStats(b)
		case "errorstats":
			s.infoErrorStats(b)
		case "latencystats":
			s.infoLatencyStats(b)
		case "cluster":
			b.header("Cluster")
			b.field("cluster_enabled", "0")
		case "keyspace":
			s.infoKeyspace(b, tx)
		}
	}
	return b.String()
}

// infoBuf accumulates INFO lines.
type infoBuf struct{ strings.Builder }

func (b *infoBuf) header(name string) {
	b.WriteString("# ")
	b.WriteString(name)
	b.WriteString("\r\n")
}

func (b *infoBuf) field(name, value string) {
	b.WriteString(name)
	b.WriteByte(':')
	b.WriteString(value)
	b.WriteString("\r\n")
}

func (b *infoBuf) int(name string, v int64) { b.field(name, strconv.FormatInt(v, 10)) }

// float writes v with prec decimals, as Redis's "%.Nf".
func (b *infoBuf) float(name string, v float64, prec int) {
	b.field(name, strconv.FormatFloat(v, 'f', prec, 64))
}

// zeros writes each name with value 0.
func (b *infoBuf) zeros(names ...string) {
	for _, n := range names {
		b.field(n, "0")
	}
}

func (s *Server) infoServer(b *infoBuf) {
	now := time.Now()
	uptime := int64(now.Sub(s.started) / time.Second)
	b.header("Server")
	b.field("redis_version", RedisVersion)
	b.field("ember_version", Version)
	b.field("redis_git_sha1", "00000000")
	b.field("redis_git_dirty", "0")
	b.field("redis_build_id", buildID())
	b.field("redis_mode", "standalone")
	b.field("os", osName())
	b.int("arch_bits", strconv.IntSize)
	b.field("monotonic_clock", "POSIX clock_gettime")
	b.field("multiplexing_api", multiplexingAPI())
	b.field("atomicvar_api", "sync-atomic")
	b.field("gcc_version", "0.0.0")
	b.field("go_version", runtime.Version())
	b.int("process_id", int64(os.Getpid()))
	b.field("process_supervised", "no")
	b.field("run_id", s.runID)
	b.field("tcp_port", s.tcpPort())
	b.int("server_time_usec", now.UnixMicro())
	b.int("uptime_in_seconds", uptime)
	b.int("uptime_in_days", uptime/86400)
	b.int("hz", s.cfg.Int("hz"))
	b.int("configured_hz", s.cfg.Int("hz"))
	b.int("lru_clock", (now.UnixMilli()/1000)&(1<<24-1))
	exe, _ := os.Executable()
	b.field("executable", exe)
	cf := s.cfg.File
	if cf != "" {
		if abs, err := filepath.Abs(cf); err == nil {
			cf = abs
		}
	}
	b.field("config_file", cf)
	b.field("io_threads_active", "0")
	i := 0
	if port := s.tcpPort(); port != "0" || s.cfg.Get("unixsocket") == "" {
		v := "name=tcp"
		for _, host := range strings.Fields(s.cfg.Get("bind")) {
			v += ",bind=" + host
		}
		b.field("listener0", v+",port="+port)
		i++
	}
	if path := s.cfg.Get("unixsocket"); path != "" {
		b.field("listener"+strconv.Itoa(i), "name=unix,bind="+path)
	}
}

// tcpPort is the port the TCP listeners serve (the configured one, or the
// one the kernel chose for port 0).
func (s *Server) tcpPort() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ln := range s.listeners {
		if a, ok := ln.Addr().(*net.TCPAddr); ok {
			return strconv.Itoa(a.Port)
		}
	}
	return s.cfg.Get("port")
}

func (s *Server) infoClients(b *infoBuf) {
	clients := s.clientList()
	var maxIn, maxOut int64
	for _, c := range clients {
		maxIn = max(maxIn, c.qbufSize.Load())
		maxOut = max(maxOut, c.obufSize.Load())
	}
	b.header("Clients")
	b.int("connected_clients", int64(len(clients)))
	b.field("cluster_connections", "0")
	b.int("maxclients", s.cfg.Int("maxclients"))
	b.int("client_recent_max_input_buffer", maxIn)
	b.int("client_recent_max_output_buffer", maxOut)
	blocked := s.blocking.count.Load()
	s.blocking.mu.Lock()
	blockingKeys := int64(len(s.blocking.keys))
	s.blocking.mu.Unlock()
	b.int("blocked_clients", blocked)
	trkClients, _, _, _ := s.tracking.stats()
	b.int("tracking_clients", trkClients)
	_, _, _, pubsubClients := s.pubsub.stats()
	b.int("pubsub_clients", pubsubClients)
	b.int("watching_clients", s.watches.nclients.Load())
	b.int("clients_in_timeout_table", blocked)
	b.int("total_watched_keys", s.watches.nkeys.Load())
	b.int("total_blocking_keys", blockingKeys)
	b.zeros("total_blocking_keys_on_nokey")
}

// bytesToHuman formats n as Redis's INFO does (B, then K, M, G ... with
// two decimals).
func bytesToHuman(n int64) string {
	if n < 1024 {
		return strconv.FormatInt(n, 10) + "B"
	}
	d := float64(n)
	for _, unit := range []string{"K", "M", "G", "T", "P", "E"} {
		d /= 1024
		if d < 1024 || unit == "E" {
			return strconv.FormatFloat(d, 'f', 2, 64) + unit
		}
	}
	return ""
}

func ratio(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func (s *Server) infoMemory(b *infoBuf) {
	f := s.memFigures()
	used, peak, startup, rss := f.used, f.peak, f.startup, f.rss
	alloc, active, resident := f.alloc, f.active, f.resident
	overhead := startup
	dataset := used - overhead
	maxmem := s.cfg.Int("maxmemory")
	b.header("Memory")
	b.int("used_memory", used)
	b.field("used_memory_human", bytesToHuman(used))
	b.int("used_memory_rss", rss)
	b.field("used_memory_rss_human", bytesToHuman(rss))
	b.int("used_memory_peak", peak)
	b.field("used_memory_peak_human", bytesToHuman(peak))
	b.field("used_memory_peak_perc", strconv.FormatFloat(ratio(used, peak)*100, 'f', 2, 64)+"%")
	b.int("used_memory_overhead", overhead)
	b.int("used_memory_startup", startup)
	b.int("used_memory_dataset", dataset)
	b.field("used_memory_dataset_perc", strconv.FormatFloat(ratio(dataset, used-startup)*100, 'f', 2, 64)+"%")
	b.int("allocator_allocated", alloc)
	b.int("allocator_active", active)
	b.int("allocator_resident", resident)
	total := totalSystemMemory()
	b.int("total_system_memory", total)
	b.field("total_system_memory_human", bytesToHuman(total))
	// No scripting engine: the Lua and functions fields describe an empty one.
	b.zeros("used_memory_lua", "used_memory_vm_eval")
	b.field("used_memory_lua_human", "0B")
	b.zeros("used_memory_scripts_eval", "number_of_cached_scripts", "number_of_functions",
		"number_of_libraries", "used_memory_vm_functions", "used_memory_vm_total")
	b.field("used_memory_vm_total_human", "0B")
	b.zeros("used_memory_functions", "used_memory_scripts")
	b.field("used_memory_scripts_human", "0B")
	b.int("maxmemory", maxmem)
	b.field("maxmemory_human", bytesToHuman(maxmem))
	b.field("maxmemory_policy", s.cfg.Get("maxmemory-policy"))
	b.float("allocator_frag_ratio", ratio(active, alloc), 2)
	b.int("allocator_frag_bytes", active-alloc)
	b.float("allocator_rss_ratio", ratio(resident, active), 2)
	b.int("allocator_rss_bytes", resident-active)
	b.float("rss_overhead_ratio", ratio(rss, resident), 2)
	b.int("rss_overhead_bytes", rss-resident)
	b.float("mem_fragmentation_ratio", ratio(rss, used), 2)
	b.int("mem_fragmentation_bytes", rss-used)
	b.zeros("mem_not_counted_for_evict", "mem_replication_backlog", "mem_total_replication_buffers",
		"mem_clients_slaves")
	b.int("mem_clients_normal", f.clients)
	b.zeros("mem_cluster_links", "mem_aof_buffer")
	b.field("mem_allocator", "go-"+runtime.Version())
	b.zeros("active_defrag_running", "lazyfree_pending_objects", "lazyfreed_objects")
}

func (s *Server) infoPersistence(b *infoBuf) {
	b.header("Persistence")
	b.zeros("loading", "async_loading", "current_cow_peak", "current_cow_size", "current_cow_size_age")
	b.field("current_fork_perc", "0.00")
	b.zeros("current_save_keys_processed", "current_save_keys_total")
	b.int("rdb_changes_since_last_save", s.info.writesAtReset.Load()+s.writeCalls())
	b.field("rdb_bgsave_in_progress", "0")
	b.int("rdb_last_save_time", s.lastSave.Load())
	b.field("rdb_last_bgsave_status", "ok")
	b.field("rdb_last_bgsave_time_sec", "-1")
	b.field("rdb_current_bgsave_time_sec", "-1")
	b.zeros("rdb_saves", "rdb_last_cow_size", "rdb_last_load_keys_expired", "rdb_last_load_keys_loaded",
		"aof_enabled", "aof_rewrite_in_progress", "aof_rewrite_scheduled")
	b.field("aof_last_rewrite_time_sec", "-1")
	b.field("aof_current_rewrite_time_sec", "-1")
	b.field("aof_last_bgrewrite_status", "ok")
	b.zeros("aof_rewrites", "aof_rewrites_consecutive_failures")
	b.field("aof_last_write_status", "ok")
	b.zeros("aof_last_cow_size", "module_fork_in_progress", "module_fork_last_cow_size")
}

func (s *Server) infoStats(b *infoBuf) {
	st := s.store.Stats()
	s.info.mu.Lock()
	ops, in, out := s.info.ops.mean(), s.info.in.mean(), s.info.out.mean()
	s.info.mu.Unlock()
	b.header("Stats")
	b.int("total_connections_received", s.stats.connectionsReceived.Load())
	b.int("total_commands_processed", s.stats.commandsProcessed.Load())
	b.int("instantaneous_ops_per_sec", int64(ops))
	b.int("total_net_input_bytes", s.stats.netInput.Load())
	b.int("total_net_output_bytes", s.stats.netOutput.Load())
	b.zeros("total_net_repl_input_bytes", "total_net_repl_output_bytes")
	b.float("instantaneous_input_kbps", in/1024, 2)
	b.float("instantaneous_output_kbps", out/1024, 2)
	b.field("instantaneous_input_repl_kbps", "0.00")
	b.field("instantaneous_output_repl_kbps", "0.00")
	b.int("rejected_connections", s.stats.rejectedConnections.Load())
	b.zeros("sync_full", "sync_partial_ok", "sync_partial_err")
	b.int("expired_keys", st.ExpiredKeys.Load())
	b.float("expired_stale_perc", float64(st.ExpiredStalePerc.Load())/100, 2)
	b.int("expired_time_cap_reached_count", st.ExpireCycleTimeouts.Load())
	b.int("evicted_keys", st.EvictedKeys.Load())
	b.zeros("evicted_clients", "total_eviction_exceeded_time", "current_eviction_exceeded_time")
	b.int("keyspace_hits", s.store.Hits())
	b.int("keyspace_misses", s.store.Misses())
	channels, patterns, shardChannels, _ := s.pubsub.stats()
	b.int("pubsub_channels", channels)
	b.int("pubsub_patterns", patterns)
	b.int("pubsubshard_channels", shardChannels)
	b.zeros("latest_fork_usec",
		"total_forks", "migrate_cached_sockets", "slave_expires_tracked_keys", "active_defrag_hits",
		"active_defrag_misses", "active_defrag_key_hits", "active_defrag_key_misses",
		"total_active_defrag_time", "current_active_defrag_time")
	_, trkKeys, trkItems, trkPrefixes := s.tracking.stats()
	b.int("tracking_total_keys", trkKeys)
	b.int("tracking_total_items", trkItems)
	b.int("tracking_total_prefixes", trkPrefixes)
	b.zeros("unexpected_error_replies")
	b.int("total_error_replies", s.stats.totalErrorReplies.Load())
	b.zeros("dump_payload_sanitizations", "io_threaded_reads_processed", "io_threaded_writes_processed")
	b.int("acl_access_denied_auth", s.info.authFailures.Load())
	b.zeros("acl_access_denied_cmd", "acl_access_denied_key", "acl_access_denied_channel")
}

func (s *Server) infoReplication(b *infoBuf) {
	b.header("Replication")
	b.field("role", "master")
	b.field("connected_slaves", "0")
	b.field("master_failover_state", "no-failover")
	b.field("master_replid", s.info.replID)
	b.field("master_replid2", strings.Repeat("0", 40))
	b.field("master_repl_offset", "0")
	b.field("second_repl_offset", "-1")
	b.field("repl_backlog_active", "0")
	b.int("repl_backlog_size", s.cfg.Int("repl-backlog-size"))
	b.zeros("repl_backlog_first_byte_offset", "repl_backlog_histlen")
}

func infoCPU(b *infoBuf) {
	var self, children syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	_ = syscall.Getrusage(syscall.RUSAGE_CHILDREN, &children)
	secs := func(tv syscall.Timeval) float64 { return float64(tv.Sec) + float64(tv.Usec)/1e6 }
	b.header("CPU")
	b.float("used_cpu_sys", secs(self.Stime), 6)
	b.float("used_cpu_user", secs(self.Utime), 6)
	b.float("used_cpu_sys_children", secs(children.Stime), 6)
	b.float("used_cpu_user_children", secs(children.Utime), 6)
}

func (s *Server) infoCommandStats(b *infoBuf) {
	b.header("Commandstats")
	cmds := s.cmds.all()
	slices.SortFunc(cmds, func(x, y *Command) int { return strings.Compare(x.Name, y.Name) })
	for _, cmd := range cmds {
		calls, usec, rejected, failed := cmd.stats.load()
		if calls == 0 && rejected == 0 && failed == 0 {
			continue
		}
		perCall := 0.0
		if calls > 0 {
			perCall = float64(usec) / float64(calls)
		}
		b.field("cmdstat_"+cmd.FullName(), "calls="+itoa(calls)+",usec="+itoa(usec)+
			",usec_per_call="+strconv.FormatFloat(perCall, 'f', 2, 64)+
			",rejected_calls="+itoa(rejected)+",failed_calls="+itoa(failed))
	}
}

func (s *Server) infoErrorStats(b *infoBuf) {
	s.errMu.Lock()
	codes := make([]string, 0, len(s.errorStats))
	counts := make(map[string]int64, len(s.errorStats))
	for k, v := range s.errorStats {
		codes = append(codes, k)
		counts[k] = v
	}
	s.errMu.Unlock()
	slices.Sort(codes)
	b.header("Errorstats")
	for _, code := range codes {
		b.field("errorstat_"+code, "count="+itoa(counts[code]))
	}
}

func (s *Server) infoKeyspace(b *infoBuf, tx *store.Tx) {
	b.header("Keyspace")
	for i := 0; i < s.store.Databases(); i++ {
		db := s.store.PeekDB(i)
		keys := db.Len()
		if keys == 0 {
			continue
		}
		vol, ttl := db.Volatile, db.AvgTTL
		if tx != nil {
			vol = func() int64 { return tx.Volatile(db) }
			ttl = func() int64 { return tx.AvgTTL(db) }
		}
		b.field("db"+strconv.Itoa(i), "keys="+itoa(keys)+",expires="+itoa(vol())+
			",avg_ttl="+itoa(ttl()))
	}
}

// heapObjects returns the bytes of live and unswept heap objects.
func heapObjects() int64 {
	a, _, _ := heapClasses()
	return a
}

// heapClasses reads the Go heap as jemalloc's three figures: allocated
// (objects), active (objects plus free space in spans in use) and resident
// (active plus free spans not yet returned to the OS).
func heapClasses() (allocated, active, resident int64) {
	samples := []metrics.Sample{
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/memory/classes/heap/unused:bytes"},
		{Name: "/memory/classes/heap/free:bytes"},
	}
	metrics.Read(samples)
	v := func(i int) int64 {
		if samples[i].Value.Kind() != metrics.KindUint64 {
			return 0
		}
		return int64(samples[i].Value.Uint64())
	}
	allocated = v(0)
	active = allocated + v(1)
	resident = active + v(2)
	return
}

// readRSS returns the resident set size from /proc/self/statm (0 where
// there is no /proc).
func readRSS() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseInt(f[1], 10, 64)
	return pages * int64(os.Getpagesize())
}

// totalSystemMemory reads MemTotal from /proc/meminfo (0 where there is
// none).
func totalSystemMemory() int64 { return procKB("/proc/meminfo", "MemTotal:") }

// procKB returns, in bytes, the "field: N kB" line of a /proc file (0 where
// there is none).
func procKB(path, field string) int64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				kb, _ := strconv.ParseInt(f[0], 10, 64)
				return kb * 1024
			}
		}
	}
	return 0
}

// osName is INFO's os field: "Linux 6.1.0 x86_64", like uname -s -r -m.
func osName() string {
	name := runtime.GOOS
	var release string
	if b, err := os.ReadFile("/proc/sys/kernel/ostype"); err == nil {
		name = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		release = strings.TrimSpace(string(b))
	}
	machine := map[string]string{"amd64": "x86_64", "arm64": "aarch64", "386": "i686"}[runtime.GOARCH]
	if machine == "" {
		machine = runtime.GOARCH
	}
	return strings.Join(strings.Fields(name+" "+release+" "+machine), " ")
}

// multiplexingAPI names the poller the Go runtime uses on this OS.
func multiplexingAPI() string {
	switch runtime.GOOS {
	case "linux", "android":
		return "epoll"
	case "darwin", "freebsd", "netbsd", "openbsd", "dragonfly":
		return "kqueue"
	case "solaris", "illumos":
		return "evport"
	}
	return "iocp"
}

// buildID is a stable hex id of this build, like redis_build_id.
func buildID() string {
	h := fnv.New64a()
	h.Write([]byte(Version + " " + runtime.Version() + " " + runtime.GOARCH))
	return strconv.FormatUint(h.Sum64(), 16)
}
