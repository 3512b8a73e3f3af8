package server

import (
	"strconv"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Prometheus metrics.
//
// Names are redis_exporter's wherever it has one, so that its Grafana
// dashboards and alert rules work unchanged against ember's /metrics. Like
// the exporter, most series are INFO fields: on each scrape the collector
// renders INFO's sections and maps their fields through infoGauges and
// infoCounters, so /metrics and INFO can never disagree and a field INFO
// learns later is one map entry away from being exported. Per-command
// series read the striped counters directly (summed on scrape, as INFO
// commandstats does). Beyond the exporter:
//
//	ember_command_duration_seconds{cmd}   histogram, Redis's LATENCY
//	                                      HISTOGRAM marks as buckets
//	go_*, process_*                       the Go runtime (GC pauses, heap,
//	                                      goroutines) and the process
//
// Scraping costs the command path nothing: no lock a command takes is
// taken here except the per-shard key counts INFO keyspace already reads.

// infoGauges maps INFO fields to gauge names (without "redis_").
var infoGauges = map[string]string{
	"uptime_in_seconds":               "uptime_in_seconds",
	"process_id":                      "process_id",
	"connected_clients":               "connected_clients",
	"blocked_clients":                 "blocked_clients",
	"tracking_clients":                "tracking_clients",
	"pubsub_clients":                  "pubsub_clients",
	"maxclients":                      "config_maxclients",
	"client_recent_max_input_buffer":  "client_recent_max_input_buffer_bytes",
	"client_recent_max_output_buffer": "client_recent_max_output_buffer_bytes",
	"used_memory":                     "memory_used_bytes",
	"used_memory_rss":                 "memory_used_rss_bytes",
	"used_memory_peak":                "memory_used_peak_bytes",
	"used_memory_overhead":            "memory_used_overhead_bytes",
	"used_memory_startup":             "memory_used_startup_bytes",
	"used_memory_dataset":             "memory_used_dataset_bytes",
	"used_memory_lua":                 "memory_used_lua_bytes",
	"used_memory_scripts":             "memory_used_scripts_bytes",
	"maxmemory":                       "memory_max_bytes",
	"total_system_memory":             "total_system_memory_bytes",
	"allocator_allocated":             "allocator_allocated_bytes",
	"allocator_active":                "allocator_active_bytes",
	"allocator_resident":              "allocator_resident_bytes",
	"allocator_frag_ratio":            "allocator_frag_ratio",
	"allocator_frag_bytes":            "allocator_frag_bytes",
	"allocator_rss_ratio":             "allocator_rss_ratio",
	"allocator_rss_bytes":             "allocator_rss_bytes",
	"mem_fragmentation_ratio":         "mem_fragmentation_ratio",
	"mem_fragmentation_bytes":         "mem_fragmentation_bytes",
	"mem_clients_slaves":              "mem_clients_slaves",
	"mem_clients_normal":              "mem_clients_normal",
	"mem_not_counted_for_evict":       "mem_not_counted_for_eviction_bytes",
	"expired_stale_perc":              "expired_stale_percentage",
	"lazyfree_pending_objects":        "lazyfree_pending_objects",
	"active_defrag_running":           "active_defrag_running",
	"loading":                         "loading_dump_file",
	"rdb_changes_since_last_save":     "rdb_changes_since_last_save",
	"rdb_bgsave_in_progress":          "rdb_bgsave_in_progress",
	"rdb_last_save_time":              "rdb_last_save_timestamp_seconds",
	"aof_enabled":                     "aof_enabled",
	"aof_rewrite_in_progress":         "aof_rewrite_in_progress",
	"instantaneous_ops_per_sec":       "instantaneous_ops_per_sec",
	"instantaneous_input_kbps":        "instantaneous_input_kbps",
	"instantaneous_output_kbps":       "instantaneous_output_kbps",
	"pubsub_channels":                 "pubsub_channels",
	"pubsub_patterns":                 "pubsub_patterns",
	"pubsubshard_channels":            "pubsubshard_channels",
	"latest_fork_usec":                "latest_fork_usec",
	"connected_slaves":                "connected_slaves",
	"repl_backlog_size":               "replication_backlog_bytes",
	"master_repl_offset":              "master_repl_offset",
}

// infoCounters maps INFO fields to counter names (without "redis_").
var infoCounters = map[string]string{
	"total_connections_received":     "connections_received_total",
	"total_commands_processed":       "commands_processed_total",
	"rejected_connections":           "rejected_connections_total",
	"total_net_input_bytes":          "net_input_bytes_total",
	"total_net_output_bytes":         "net_output_bytes_total",
	"expired_keys":                   "expired_keys_total",
	"evicted_keys":                   "evicted_keys_total",
	"keyspace_hits":                  "keyspace_hits_total",
	"keyspace_misses":                "keyspace_misses_total",
	"expired_time_cap_reached_count": "expired_time_cap_reached_total",
	"total_error_replies":            "total_error_replies",
	"used_cpu_sys":                   "cpu_sys_seconds_total",
	"used_cpu_user":                  "cpu_user_seconds_total",
	"used_cpu_sys_children":          "cpu_sys_children_seconds_total",
	"used_cpu_user_children":         "cpu_user_children_seconds_total",
}

// metricsSections are the INFO sections the collector reads.
var metricsSections = map[string]bool{
	"server": true, "clients": true, "memory": true, "persistence": true, "stats": true,
	"replication": true, "cpu": true, "errorstats": true, "keyspace": true,
}

// instanceInfoLabels are redis_instance_info's labels, INFO fields of the
// same names (ember_version included).
var instanceInfoLabels = []string{"redis_version", "ember_version", "redis_build_id", "redis_mode", "os",
	"maxmemory_policy", "tcp_port", "run_id", "process_id", "role"}

func newDesc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(name, help, labels, nil)
}

// Descriptions of the series that are not plain INFO fields.
var (
	descUp           = newDesc("redis_up", "1 when the server answers (always, for an embedded exporter).")
	descInstanceInfo = newDesc("redis_instance_info", "Information about the instance.", instanceInfoLabels...)
	descStartTime    = newDesc("redis_start_time_seconds", "Start time of the server since unix epoch in seconds.")
	descDBKeys       = newDesc("redis_db_keys", "Total number of keys by DB.", "db")
	descDBExpiring   = newDesc("redis_db_keys_expiring", "Total number of expiring keys by DB.", "db")
	descDBAvgTTL     = newDesc("redis_db_avg_ttl_seconds", "Avg TTL in seconds.", "db")
	descErrors       = newDesc("redis_errors_total", "Total number of errors per error type.", "err")
	descCmdCalls     = newDesc("redis_commands_total", "Total number of calls per command.", "cmd")
	descCmdSeconds   = newDesc("redis_commands_duration_seconds_total", "Total amount of time in seconds spent per command.", "cmd")
	descCmdRejected  = newDesc("redis_commands_rejected_calls_total", "Total number of errors prior command execution per command.", "cmd")
	descCmdFailed    = newDesc("redis_commands_failed_calls_total", "Total number of errors within command execution per command.", "cmd")
	descCmdLatency   = newDesc("redis_latency_percentiles_usec", "Latency percentiles in microseconds per command (latency-tracking-info-percentiles).", "cmd")
	descCmdHist      = newDesc("ember_command_duration_seconds", "Command execution time (latency-tracking), with Redis's LATENCY HISTOGRAM marks as buckets. The sum counts every call, tracked or not.", "cmd")
	descSlowlogLen   = newDesc("redis_slowlog_length", "Total slowlog entries.")
	descSlowlogLast  = newDesc("redis_slowlog_last_id", "Last id of slowlog.")
	descSlowLastDur  = newDesc("redis_last_slow_execution_duration_seconds", "The amount of time needed for last slow execution, in seconds.")
	descSpikeLast    = newDesc("redis_latency_spike_last", "When the latency spike last occurred (unix seconds).", "event_name")
	descSpikeDur     = newDesc("redis_latency_spike_duration_seconds", "Length of the last latency spike in seconds.", "event_name")
	descMonitors     = newDesc("ember_monitor_clients", "Number of clients in MONITOR mode.")
)

// infoDescs are the descriptions of the INFO-field series, built once.
var infoDescs = sync.OnceValue(func() map[string]*prometheus.Desc {
	m := make(map[string]*prometheus.Desc, len(infoGauges)+len(infoCounters))
	for field, name := range infoGauges {
		m[field] = newDesc("redis_"+name, "INFO "+field+".")
	}
	for field, name := range infoCounters {
		m[field] = newDesc("redis_"+name, "INFO "+field+".")
	}
	return m
})

// metricsRegistry returns the server's registry (built on first use): the
// server collector, the Go runtime's and the process's.
func (s *Server) metricsRegistry() *prometheus.Registry {
	s.admin.regOnce.Do(func() {
		reg := prometheus.NewRegistry()
		reg.MustRegister(
			serverCollector{s},
			collectors.NewGoCollector(collectors.WithGoCollectorRuntimeMetrics(collectors.MetricsGC)),
			collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		)
		s.admin.reg = reg
	})
	return s.admin.reg
}

// serverCollector produces the server's series on each scrape.
type serverCollector struct{ s *Server }

// Describe sends the fixed descriptions; the collector is checked.
func (sc serverCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range infoDescs() {
		ch <- d
	}
	for _, d := range []*prometheus.Desc{descUp, descInstanceInfo, descStartTime, descDBKeys, descDBExpiring,
		descDBAvgTTL, descErrors, descCmdCalls, descCmdSeconds, descCmdRejected, descCmdFailed, descCmdLatency,
		descCmdHist, descSlowlogLen, descSlowlogLast, descSlowLastDur, descSpikeLast, descSpikeDur, descMonitors} {
		ch <- d
	}
}

// Collect renders INFO and the command, slow log and latency series.
func (sc serverCollector) Collect(ch chan<- prometheus.Metric) {
	s := sc.s
	ch <- prometheus.MustNewConstMetric(descUp, prometheus.GaugeValue, 1)
	ch <- prometheus.MustNewConstMetric(descStartTime, prometheus.GaugeValue, float64(s.started.Unix()))
	fields := parseInfo(s.genInfo(metricsSections, nil))
	labels := make([]string, len(instanceInfoLabels))
	for i, l := range instanceInfoLabels {
		labels[i] = fields[l]
	}
	ch <- prometheus.MustNewConstMetric(descInstanceInfo, prometheus.GaugeValue, 1, labels...)
	descs := infoDescs()
	for field, v := range fields {
		if d := descs[field]; d != nil {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				continue
			}
			kind := prometheus.GaugeValue
			if _, ok := infoCounters[field]; ok {
				kind = prometheus.CounterValue
			}
			ch <- prometheus.MustNewConstMetric(d, kind, f)
		} else if code, ok := strings.CutPrefix(field, "errorstat_"); ok {
			n, _ := strconv.ParseFloat(strings.TrimPrefix(v, "count="), 64)
			ch <- prometheus.MustNewConstMetric(descErrors, prometheus.CounterValue, n, code)
		}
	}
	// Every database, empty ones included (INFO keyspace skips them), so
	// that a series does not vanish when its last key goes.
	for i := range s.store.Databases() {
		db := "db" + strconv.Itoa(i)
		keys, expires, ttl := 0.0, 0.0, 0.0
		if v, ok := fields[db]; ok {
			kv := parseKV(v)
			keys, expires, ttl = kv["keys"], kv["expires"], kv["avg_ttl"]/1000
		}
		ch <- prometheus.MustNewConstMetric(descDBKeys, prometheus.GaugeValue, keys, db)
		ch <- prometheus.MustNewConstMetric(descDBExpiring, prometheus.GaugeValue, expires, db)
		ch <- prometheus.MustNewConstMetric(descDBAvgTTL, prometheus.GaugeValue, ttl, db)
	}
	sc.collectCommands(ch)
	sc.collectSlow(ch)
	ch <- prometheus.MustNewConstMetric(descMonitors, prometheus.GaugeValue, float64(s.ops.monitors.n.Load()))
}

// collectCommands emits the per-command counters, latency percentiles and
// histograms of the commands that have been called.
func (sc serverCollector) collectCommands(ch chan<- prometheus.Metric) {
	ps := *sc.s.ops.percentiles.Load()
	for _, cmd := range sc.s.cmds.all() {
		calls, usec, rejected, failed := cmd.stats.load()
		if calls == 0 && rejected == 0 && failed == 0 {
			continue
		}
		name := cmd.FullName()
		secs := float64(usec) / 1e6
		ch <- prometheus.MustNewConstMetric(descCmdCalls, prometheus.CounterValue, float64(calls), name)
		ch <- prometheus.MustNewConstMetric(descCmdSeconds, prometheus.CounterValue, secs, name)
		ch <- prometheus.MustNewConstMetric(descCmdRejected, prometheus.CounterValue, float64(rejected), name)
		ch <- prometheus.MustNewConstMetric(descCmdFailed, prometheus.CounterValue, float64(failed), name)
		counts, total, ok := cmd.latencySnapshot()
		if !ok {
			continue
		}
		cum := marks(&counts)
		buckets := make(map[float64]uint64, latBuckets)
		for k, edge := range latEdges {
			// Overflow counts in Redis's last mark, not in Prometheus's.
			n := cum[k]
			if k == latBuckets-1 {
				n -= counts[latOverflow]
			}
			buckets[float64(edge)/1e6] = uint64(n)
		}
		ch <- prometheus.MustNewConstHistogram(descCmdHist, uint64(total), secs, buckets, name)
		quantiles := make(map[float64]float64, len(ps))
		for _, p := range ps {
			quantiles[p/100] = float64(percentile(&counts, total, p)) / 1000
		}
		ch <- prometheus.MustNewConstSummary(descCmdLatency, uint64(total), float64(usec), quantiles, name)
	}
}

// collectSlow emits the slow log's and the latency monitor's series.
func (sc serverCollector) collectSlow(ch chan<- prometheus.Metric) {
	o := &sc.s.ops
	last, n := o.slowlog.newest(1)
	lastID, lastDur := 0.0, 0.0
	if len(last) > 0 {
		lastID, lastDur = float64(last[0].id), float64(last[0].duration)/1e6
	}
	ch <- prometheus.MustNewConstMetric(descSlowlogLen, prometheus.GaugeValue, float64(n))
	ch <- prometheus.MustNewConstMetric(descSlowlogLast, prometheus.GaugeValue, lastID)
	ch <- prometheus.MustNewConstMetric(descSlowLastDur, prometheus.GaugeValue, lastDur)
	for _, ev := range o.events.view("") {
		l := ev.latest()
		ch <- prometheus.MustNewConstMetric(descSpikeLast, prometheus.GaugeValue, float64(l.time), ev.name)
		ch <- prometheus.MustNewConstMetric(descSpikeDur, prometheus.GaugeValue, float64(l.latency)/1000, ev.name)
	}
}

// parseInfo reads INFO text into field → value.
func parseInfo(text string) map[string]string {
	out := make(map[string]string)
	for _, line := range strings.Split(text, "\r\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		if k, v, ok := strings.Cut(line, ":"); ok {
			out[k] = v
		}
	}
	return out
}

// parseKV reads "a=1,b=2" (INFO keyspace) into numbers.
func parseKV(v string) map[string]float64 {
	out := make(map[string]float64)
	for _, kv := range strings.Split(v, ",") {
		if k, val, ok := strings.Cut(kv, "="); ok {
			out[k], _ = strconv.ParseFloat(val, 64)
		}
	}
	return out
}
