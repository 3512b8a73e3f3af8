// Command ember-bench runs the same RESP workload against several servers
// and prints them side by side:
//
//	ember-bench --spawn-ember --spawn-redis --workload get,set --clients 50 --pipeline 1,16
//	ember-bench --target ember=127.0.0.1:6380 --target redis=127.0.0.1:6379 --workload mixed
//
// It exits 0 when every target answered without error, 1 when a target is
// unreachable, refuses the password, fails or replies with errors (the
// message names it), and 2 on bad usage.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"

	"github.com/embercache/ember/bench"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

const usageHead = `usage: ember-bench [flags]

Runs the same workload against every target, in alternating rounds
(A B A B ...), and prints each target's median of rounds and its ratio to
the first target. Targets: --target (repeatable), --spawn-ember and
--spawn-redis, in the order given.

Workloads (--workload, comma-separated):
`

func run(args []string, stdout, stderr io.Writer) int {
	o := bench.DefaultOptions()
	fs := flag.NewFlagSet("ember-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usageHead, bench.WorkloadHelp(), "\nFlags:\n")
		fs.PrintDefaults()
	}
	fs.Func("target", "a server to test: `name=host:port`, name=[user:]password@host:port or name=redis://[user:password@]host:port (repeatable)", func(s string) error {
		t, err := bench.ParseTarget(s)
		if err != nil {
			return err
		}
		o.Targets = append(o.Targets, t)
		return nil
	})
	fs.StringVar(&o.Password, "password", "", "password for targets given without one (and requirepass for spawned servers)")
	fs.BoolFunc("spawn-ember", "start ember on a free loopback port (built from ./cmd/ember when run inside the repository)", func(string) error {
		o.Spawn = append(o.Spawn, "ember")
		return nil
	})
	fs.BoolFunc("spawn-redis", "start redis-server on a free loopback port", func(string) error {
		o.Spawn = append(o.Spawn, "redis")
		return nil
	})
	fs.StringVar(&o.EmberBin, "ember-bin", "", "ember binary for --spawn-ember (default: go build ./cmd/ember inside the repository, else ember on PATH)")
	fs.StringVar(&o.RedisBin, "redis-bin", "redis-server", "redis-server binary for --spawn-redis")
	fs.StringVar(&o.Server.Maxmemory, "maxmemory", "", "maxmemory for spawned servers (e.g. 256mb)")
	fs.StringVar(&o.Server.MaxmemoryPolicy, "maxmemory-policy", "", "maxmemory-policy for spawned servers (e.g. allkeys-lru)")

	workloads := fs.String("workload", "set,get", "workloads to run, comma-separated (see above)")
	fs.IntVar(&o.Clients, "clients", o.Clients, "connections per target")
	pipelines := fs.String("pipeline", "1", "pipeline depths, comma-separated: each one is a separate case (e.g. 1,16)")
	fs.Uint64Var(&o.Requests, "requests", 0, "measured requests per round and target (0: until --duration)")
	fs.DurationVar(&o.Duration, "duration", o.Duration, "measured time per round and target (0: until --requests)")
	fs.IntVar(&o.Rounds, "rounds", o.Rounds, "rounds per case; targets alternate within each round")
	fs.DurationVar(&o.Warmup, "warmup", o.Warmup, "unmeasured load before each measured round")
	fs.Uint64Var(&o.Keyspace, "keyspace", o.Keyspace, "number of distinct keys (and keys loaded by preloads and the memory workload)")
	dist := fs.String("key-dist", "uniform", "key distribution: uniform, sequential or zipf")
	fs.Float64Var(&o.ZipfExp, "zipf-exp", o.ZipfExp, "exponent of the zipf distribution (> 0)")
	valueSize := fs.String("value-size", "32", "value size in bytes, fixed (32) or a range (16-256)")
	fs.DurationVar(&o.TTL, "ttl", 0, "TTL on SET writes (0: none)")
	fs.DurationVar(&o.TTLMax, "ttl-max", 0, "with --ttl: TTLs uniform between --ttl and this")
	fs.IntVar(&o.TTLPercent, "ttl-percent", 0, "with --ttl: percent of writes that get a TTL (0: all)")
	fs.Uint64Var(&o.Seed, "seed", o.Seed, "random seed: the same seed sends the same requests")
	fs.Float64Var(&o.Rate, "rate", 0, "open loop: total requests per second per target, latency measured from the intended send time (0: closed loop)")
	ratio := fs.String("ratio", "1:10", "set:get ratio of the mixed workload")
	fs.IntVar(&o.MsetKeys, "mset-keys", o.MsetKeys, "keys per MSET")
	fs.IntVar(&o.Fields, "fields", o.Fields, "fields per hash, members per sorted set")
	fs.IntVar(&o.Subscribers, "subscribers", 0, "pubsub subscribers (0: --clients)")
	fs.IntVar(&o.Channels, "channels", 0, "pubsub: channels the publisher spreads its messages over (every subscriber gets all)")
	fs.BoolVar(&o.Psubscribe, "psubscribe", false, "pubsub: subscribers PSUBSCRIBE one pattern matching every channel instead of SUBSCRIBE")
	fs.BoolVar(&o.Flush, "flush", false, "FLUSHALL every target before each workload (destroys its data)")
	fs.BoolVar(&o.JSON, "json", false, "print the results as JSON instead of tables")
	fs.StringVar(&o.HTML, "html", "", "also write a self-contained HTML report with charts to this `file`")
	traces := fs.String("traces", "", "cache-aside only: replay these traces (zipf-0.99,zipf-1.2,scan) on fresh spawned servers, one per policy, and report hit ratios")
	policies := fs.String("policies", "allkeys-lru", "with --traces: maxmemory policies to compare, comma-separated")
	traceWarmup := fs.Uint64("trace-warmup", 0, "with --traces: requests replayed before the measured --requests (their hits are not counted), so hit ratios are the warm cache's")
	cpuProfile := fs.String("cpuprofile", "", "write ember-bench's own CPU profile to this `file` (is the generator the bottleneck?)")

	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	usage := func(err error) int {
		fmt.Fprintln(stderr, "ember-bench:", err)
		return 2
	}
	if fs.NArg() > 0 {
		return usage(fmt.Errorf("unexpected argument %q", fs.Arg(0)))
	}
	var err error
	if o.Workloads, err = bench.ParseWorkloads(*workloads); err != nil {
		return usage(fmt.Errorf("--workload: %v", err))
	}
	if o.Pipelines, err = bench.ParseInts(*pipelines); err != nil {
		return usage(fmt.Errorf("--pipeline: %v", err))
	}
	if o.Dist, err = bench.ParseDistribution(*dist); err != nil {
		return usage(fmt.Errorf("--key-dist: %v", err))
	}
	if o.ValueMin, o.ValueMax, err = bench.ParseRange(*valueSize); err != nil {
		return usage(fmt.Errorf("--value-size: %v", err))
	}
	if o.RatioSet, o.RatioGet, err = bench.ParseRatio(*ratio); err != nil {
		return usage(fmt.Errorf("--ratio: %v", err))
	}
	if err := o.Check(); err != nil {
		return usage(err)
	}
	o.Log = stderr
	if isTerminal(stderr) {
		o.Progress = stderr
	}

	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return usage(err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return usage(err)
		}
		defer pprof.StopCPUProfile()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *traces != "" {
		if len(o.Workloads) != 1 || o.Workloads[0] != bench.WorkloadCacheAside || len(o.Spawn) == 0 || o.Requests == 0 {
			return usage(errors.New("--traces needs --workload cache-aside, --requests and --spawn-ember and/or --spawn-redis"))
		}
		ca := bench.CacheAsideOptions{Traces: bench.ParseList(*traces), Policies: bench.ParseList(*policies),
			Spawn: o.Spawn, EmberBin: o.EmberBin, RedisBin: o.RedisBin, Maxmemory: o.Server.Maxmemory,
			Keys: o.Keyspace, Requests: o.Requests, ValueSize: o.ValueMin, Clients: o.Clients,
			Pipeline: o.Pipelines[0], Seed: o.Seed, Warmup: *traceWarmup, Log: stderr}
		if _, err := bench.RunCacheAside(ctx, ca, stdout); err != nil {
			fmt.Fprintln(stderr, "ember-bench:", err)
			return 1
		}
		return 0
	}
	if _, err := bench.Run(ctx, o, stdout); err != nil {
		if ctx.Err() != nil {
			fmt.Fprintln(stderr, "ember-bench: interrupted")
		} else {
			fmt.Fprintln(stderr, "ember-bench:", err)
		}
		return 1
	}
	return 0
}

// isTerminal reports whether w is a terminal (a character device).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
