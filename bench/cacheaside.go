package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"
)

// The cache-aside trace experiment (--workload cache-aside --traces ...).
//
// A trace is a fixed sequence of key ids. Each request is GET key and, on
// a miss, SET key <value>: a cache in front of a slower store. Every
// server and policy replays the same trace on a fresh server started with
// the same maxmemory, so their hit ratios compare directly; the report
// also gives the trace's static optimum: the hit ratio of a cache that
// always holds the most requested keys that fit (as many as the server
// held at the end of its run), with no cold misses.
//
// With --trace-warmup W, the trace is W + --requests long and only the last
// --requests count: hit ratios and optima are those of a cache that has
// run for a while. Without it, a trace of a few million requests over a
// million keys is dominated by first requests, which no policy can hit
// (on zipf-1.2 every policy lands within 0.001 of the warm optimum).
//
// Traces:
//
//	zipf-0.99, zipf-1.2  Zipf-distributed requests over --keyspace keys
//	scan                 zipf-0.99, interrupted after every 200,000
//	                     requests by a sequential scan of 50,000 keys never
//	                     requested before (each seen once): 20% of requests
//
// Requests are sent by --clients connections that take the trace in
// batches of --pipeline requests (GETs pipelined, then the SETs of the
// misses), so the order of requests is the trace's, give or take the
// batches in flight.

// Trace names.
const (
	TraceZipf099 = "zipf-0.99"
	TraceZipf12  = "zipf-1.2"
	TraceScan    = "scan"
)

// Scan trace shape: zipfPhase Zipf requests, then scanLen cold keys.
const (
	scanZipfPhase = 200_000
	scanLen       = 50_000
)

// MakeTrace returns n key ids of the named trace over keys keys (ids of
// cold scan keys start at keys).
func MakeTrace(name string, keys, n uint64, seed uint64) ([]uint32, error) {
	out := make([]uint32, 0, n)
	r := newRNG(seed, 0xcace)
	switch name {
	case TraceZipf099, TraceZipf12:
		s := 0.99
		if name == TraceZipf12 {
			s = 1.2
		}
		z := NewZipf(keys, s)
		for uint64(len(out)) < n {
			out = append(out, uint32(z.rank(r)-1))
		}
	case TraceScan:
		z := NewZipf(keys, 0.99)
		cold := keys
		for uint64(len(out)) < n {
			for i := 0; i < scanZipfPhase && uint64(len(out)) < n; i++ {
				out = append(out, uint32(z.rank(r)-1))
			}
			for i := 0; i < scanLen && uint64(len(out)) < n; i++ {
				out = append(out, uint32(cold))
				cold++
			}
		}
	default:
		return nil, fmt.Errorf("unknown trace %q (%s, %s, %s)", name, TraceZipf099, TraceZipf12, TraceScan)
	}
	return out, nil
}

// StaticOptimum returns, for each capacity in caps, the hit ratio of a
// cache that always holds the capacity most requested keys of trace.
func StaticOptimum(trace []uint32, caps []int) []float64 { return staticOptimum(trace, caps, 0) }

// WarmOptimum is StaticOptimum where the first request of every key is a
// miss: the best an online cache that starts empty can do by holding the
// most requested keys from their first request on.
func WarmOptimum(trace []uint32, caps []int) []float64 { return staticOptimum(trace, caps, 1) }

func staticOptimum(trace []uint32, caps []int, cold int) []float64 {
	counts := make(map[uint32]int)
	for _, k := range trace {
		counts[k]++
	}
	freq := make([]int, 0, len(counts))
	for _, c := range counts {
		freq = append(freq, c)
	}
	slices.Sort(freq)
	slices.Reverse(freq)
	out := make([]float64, len(caps))
	for i, c := range caps {
		sum := 0
		for _, f := range freq[:min(c, len(freq))] {
			sum += f - cold
		}
		out[i] = float64(sum) / float64(max(len(trace), 1))
	}
	return out
}

// PopularityOptimum returns the hit ratio over trace of a cache that always
// holds the capacity keys the trace's distribution makes most popular
// (ids 0..capacity-1: MakeTrace gives the Zipf rank r the id r-1, and
// scan keys are never popular). StaticOptimum instead picks the keys
// most requested in the trace itself, which includes the luck of the
// draw: over a few million requests a key of rank 150,000 is requested
// 0, 1 or 3 times by chance, and only hindsight knows which. No policy
// can know more than the distribution, so this is the optimum an online
// cache can approach, and the one its gap is measured against.
func PopularityOptimum(trace []uint32, capacity int) float64 {
	n := 0
	for _, k := range trace {
		if int64(k) < int64(capacity) {
			n++
		}
	}
	return float64(n) / float64(max(len(trace), 1))
}

// CacheAsideResult is one replay of a trace on one server and policy.
type CacheAsideResult struct {
	Trace, Server, Policy string
	Requests, Hits        uint64
	OpsPerSec             float64 // GETs and SETs per second
	PeakRSS               int64   // bytes, sampled every 50 ms
	Keys                  int64   // DBSIZE at the end
	Evicted               int64
	Optimum               float64 // static optimum at Keys
	PopularOptimum        float64 // PopularityOptimum at Keys
	WarmOptimum           float64 // the same with every key's first request a miss
	Errors                uint64
}

// HitRatio is hits over requests.
func (r *CacheAsideResult) HitRatio() float64 { return float64(r.Hits) / float64(max(r.Requests, 1)) }

// CacheAsideOptions configure RunCacheAside.
type CacheAsideOptions struct {
	Traces    []string
	Policies  []string
	Spawn     []string // "ember", "redis"
	EmberBin  string
	RedisBin  string
	Maxmemory string
	Keys      uint64
	Requests  uint64
	ValueSize int
	Clients   int
	Pipeline  int
	Seed      uint64
	Warmup    uint64 // requests replayed before the measured ones
	Log       io.Writer
}

// RunCacheAside replays every trace on a fresh server of every kind for
// every policy and prints a table of the results.
func RunCacheAside(ctx context.Context, o CacheAsideOptions, w io.Writer) ([]CacheAsideResult, error) {
	dir, err := os.MkdirTemp("", "ember-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	logf := func(s string) {
		if o.Log != nil {
			fmt.Fprintln(o.Log, s)
		}
	}
	emberBin := ""
	if slices.Contains(o.Spawn, "ember") {
		if emberBin, err = FindEmber(o.EmberBin, dir, logf); err != nil {
			return nil, err
		}
	}
	value := []byte(strings.Repeat("v", o.ValueSize))
	var results []CacheAsideResult
	for _, tn := range o.Traces {
		trace, err := MakeTrace(tn, o.Keys, o.Warmup+o.Requests, o.Seed)
		if err != nil {
			return nil, err
		}
		measured := trace[o.Warmup:]
		for _, pol := range o.Policies {
			for _, kind := range o.Spawn {
				if ctx.Err() != nil {
					return results, ctx.Err()
				}
				s := ServerSettings{Maxmemory: o.Maxmemory, MaxmemoryPolicy: pol}
				var t *Target
				if kind == "redis" {
					t, err = SpawnRedis(o.RedisBin, dir, s)
				} else {
					t, err = SpawnEmber(emberBin, dir, s)
				}
				if err != nil {
					if kind == "redis" && strings.Contains(err.Error(), "did not start") {
						logf(fmt.Sprintf("redis: policy %s not supported, skipped", pol))
						continue
					}
					return results, err
				}
				r, err := replayTrace(ctx, t, trace, o, value)
				t.proc.stop()
				if err != nil {
					return results, err
				}
				r.Trace, r.Server, r.Policy = tn, kind, pol
				r.Optimum = StaticOptimum(measured, []int{int(r.Keys)})[0]
				r.WarmOptimum = WarmOptimum(measured, []int{int(r.Keys)})[0]
				r.PopularOptimum = PopularityOptimum(measured, int(r.Keys))
				logf(fmt.Sprintf("%-10s %-7s %-17s hit %.4f  opt %.4f  warm opt %.4f  pop opt %.4f  keys %d  %.0f ops/s", tn, kind, pol, r.HitRatio(), r.Optimum, r.WarmOptimum, r.PopularOptimum, r.Keys, r.OpsPerSec))
				results = append(results, r)
			}
		}
	}
	printCacheAside(w, results)
	return results, nil
}

// replayTrace sends the trace to t and counts hits.
func replayTrace(ctx context.Context, t *Target, trace []uint32, o CacheAsideOptions, value []byte) (CacheAsideResult, error) {
	var res CacheAsideResult
	var next, hits, ops, errs atomic.Uint64
	var peak atomic.Int64
	stop := make(chan struct{})
	var sampler sync.WaitGroup
	sampler.Add(1)
	go func() {
		defer sampler.Done()
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		if t.proc == nil {
			return // not spawned here: no process to sample
		}
		for {
			if rss := procRSS(t.proc.pid()); rss > peak.Load() {
				peak.Store(rss)
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	batch := uint64(max(o.Pipeline, 1))
	var wg sync.WaitGroup
	errCh := make(chan error, o.Clients)
	start := time.Now()
	for range max(o.Clients, 1) {
		c, err := t.dial()
		if err != nil {
			close(stop)
			return res, err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.close()
			var rp reply
			missed := make([]uint32, 0, batch)
			for ctx.Err() == nil {
				i := next.Add(batch) - batch
				if i >= uint64(len(trace)) {
					return
				}
				keys := trace[i:min(i+batch, uint64(len(trace)))]
				c.wb = c.wb[:0]
				for _, k := range keys {
					c.wb = appendArray(c.wb, 2)
					c.wb = appendBulkString(c.wb, "GET")
					c.wb = appendBulkKey(c.wb, prefixCache, uint64(k))
				}
				if _, err := c.nc.Write(c.wb); err != nil {
					errCh <- err
					return
				}
				missed = missed[:0]
				for j, k := range keys {
					if err := c.rd.read(&rp); err != nil {
						errCh <- err
						return
					}
					if rp.null {
						missed = append(missed, k)
					} else if rp.kind == '-' {
						errs.Add(1)
					} else if i+uint64(j) >= o.Warmup {
						hits.Add(1)
					}
				}
				if len(missed) == 0 {
					ops.Add(uint64(len(keys)))
					continue
				}
				c.wb = c.wb[:0]
				for _, k := range missed {
					c.wb = appendArray(c.wb, 3)
					c.wb = appendBulkString(c.wb, "SET")
					c.wb = appendBulkKey(c.wb, prefixCache, uint64(k))
					c.wb = appendBulk(c.wb, value)
				}
				if _, err := c.nc.Write(c.wb); err != nil {
					errCh <- err
					return
				}
				for range missed {
					if err := c.rd.read(&rp); err != nil {
						errCh <- err
						return
					}
					if rp.kind == '-' {
						errs.Add(1)
					}
				}
				ops.Add(uint64(len(keys) + len(missed)))
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	close(stop)
	sampler.Wait()
	select {
	case err := <-errCh:
		return res, t.fail("cache-aside", err)
	default:
	}
	res.Requests = uint64(len(trace)) - min(o.Warmup, uint64(len(trace)))
	res.Hits = hits.Load()
	res.Errors = errs.Load()
	res.OpsPerSec = float64(ops.Load()) / el.Seconds()
	res.PeakRSS = peak.Load()
	c, err := t.dial()
	if err == nil {
		if s, err := c.do("DBSIZE"); err == nil {
			res.Keys, _ = strconv.ParseInt(s, 10, 64)
		}
		c.close()
	}
	if m := t.info("stats"); m != nil {
		res.Evicted, _ = strconv.ParseInt(m["evicted_keys"], 10, 64)
	}
	return res, nil
}

func printCacheAside(w io.Writer, rs []CacheAsideResult) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "trace\tserver\tpolicy\thit ratio\tstatic opt\twarm opt\tpop opt\tkeys held\tevicted\tops/s\tpeak RSS MB\terrors\t")
	for _, r := range rs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.4f\t%.4f\t%.4f\t%.4f\t%d\t%d\t%.0f\t%.1f\t%d\t\n", r.Trace, r.Server, r.Policy,
			r.HitRatio(), r.Optimum, r.WarmOptimum, r.PopularOptimum, r.Keys, r.Evicted, r.OpsPerSec, float64(r.PeakRSS)/(1<<20), r.Errors)
	}
	tw.Flush()
}
