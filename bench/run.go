package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// Running a comparison.
//
// For every workload and pipeline depth (a "case"), the run makes --rounds
// rounds, and in each round it runs every target in turn, A B A B ...: a
// slow drift of the machine (another process, thermal throttling, a cache
// warming up) then lands on all targets alike instead of on whichever ran
// last. Each target's figures are the median of its rounds, and each is
// compared with the first target's. A round is: fresh connections, a
// warm-up that is not measured, then the measured stretch, ended by
// --duration or --requests, whichever comes first.

// Options is a whole run's configuration.
type Options struct {
	Targets  []*Target // given with --target, in order
	Spawn    []string  // "ember" and/or "redis", in the order asked for
	EmberBin string
	RedisBin string
	Server   ServerSettings // for spawned servers
	Password string         // for given targets without their own

	Workloads   []string
	Clients     int
	Pipelines   []int
	Requests    uint64        // measured requests per round and target (0: no limit)
	Duration    time.Duration // measured time per round (0: no limit)
	Rounds      int
	Warmup      time.Duration
	Keyspace    uint64
	Dist        Distribution
	ZipfExp     float64
	ValueMin    int
	ValueMax    int
	TTL         time.Duration
	TTLMax      time.Duration // > TTL: TTLs uniform in [TTL, TTLMax]
	TTLPercent  int           // share of writes with a TTL (0: all)
	Seed        uint64
	Rate        float64 // total requests per second (0: closed loop)
	RatioSet    uint64
	RatioGet    uint64
	MsetKeys    int
	Fields      int
	Subscribers int
	Channels    int  // pubsub: channels the publisher spreads over (0, 1: one)
	Psubscribe  bool // pubsub: subscribers use one pattern for every channel
	Flush       bool

	JSON     bool      // print JSON instead of tables
	HTML     string    // write an HTML report to this file
	Progress io.Writer // where to draw a progress line (nil: none)
	Log      io.Writer // notices (building ember, warnings); nil: discard
}

// DefaultOptions returns the defaults the command line starts from.
func DefaultOptions() Options {
	return Options{
		Workloads: []string{WorkloadSet, WorkloadGet},
		Clients:   50,
		Pipelines: []int{1},
		Duration:  time.Second,
		Rounds:    3,
		Warmup:    200 * time.Millisecond,
		Keyspace:  100_000,
		ZipfExp:   0.99,
		ValueMin:  32,
		ValueMax:  32,
		Seed:      1,
		RatioSet:  1,
		RatioGet:  10,
		MsetKeys:  10,
		Fields:    8,
	}
}

// Check validates the options.
func (o *Options) Check() error {
	switch {
	case len(o.Targets)+len(o.Spawn) == 0:
		return errors.New("no target: give --target name=host:port, --spawn-ember or --spawn-redis")
	case len(o.Workloads) == 0:
		return errors.New("no workload")
	case o.Clients < 1:
		return errors.New("--clients must be at least 1")
	case len(o.Pipelines) == 0:
		return errors.New("no pipeline depth")
	case o.Requests == 0 && o.Duration <= 0:
		return errors.New("give --requests or --duration (or both): a round must end")
	case o.Rounds < 1:
		return errors.New("--rounds must be at least 1")
	case o.Keyspace < 1:
		return errors.New("--keyspace must be at least 1")
	case o.Dist == ZipfDist && !(o.ZipfExp > 0):
		return errors.New("--zipf-exp must be > 0")
	case o.ValueMin < 1 || o.ValueMax < o.ValueMin:
		return errors.New("bad --value-size")
	case o.Rate < 0:
		return errors.New("--rate must be >= 0")
	case o.MsetKeys < 1 || o.Fields < 1:
		return errors.New("--mset-keys and --fields must be at least 1")
	case o.RatioSet+o.RatioGet == 0:
		return errors.New("bad --ratio")
	}
	names := map[string]bool{}
	for _, n := range append(targetNames(o.Targets), o.Spawn...) {
		if names[n] {
			return fmt.Errorf("two targets named %q", n)
		}
		names[n] = true
	}
	return nil
}

func targetNames(ts []*Target) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.Name)
	}
	return out
}

// ErrTargetReplies is returned (wrapped) when a run completed but some
// target replied with errors.
var ErrTargetReplies = errors.New("error replies")

// Run runs the comparison, prints the results to out, and returns an error
// naming the target when one is unreachable, refuses the password, fails
// mid-run or replied with errors.
func Run(ctx context.Context, o Options, out io.Writer) (rep *Report, err error) {
	if err := o.Check(); err != nil {
		return nil, err
	}
	log := o.Log
	if log == nil {
		log = io.Discard
	}
	dir, err := os.MkdirTemp("", "ember-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)

	var targets []*Target
	for _, t := range o.Targets {
		t := *t // the caller's stays as given
		if t.Password == "" {
			t.Password = o.Password
		}
		targets = append(targets, &t)
	}
	defer func() {
		for _, t := range targets {
			if t.proc != nil {
				t.proc.stop()
			}
		}
	}()
	for _, name := range o.Spawn {
		var t *Target
		switch name {
		case "ember":
			bin, err := FindEmber(o.EmberBin, dir, func(s string) { fmt.Fprintln(log, s) })
			if err != nil {
				return nil, err
			}
			t, err = SpawnEmber(bin, dir, o.Server)
			if err != nil {
				return nil, err
			}
		case "redis":
			t, err = SpawnRedis(o.RedisBin, dir, o.Server)
			if err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("can't spawn %q", name)
		}
		targets = append(targets, t)
		fmt.Fprintf(log, "started %s on %s (pid %d)\n", t.Name, t.Addr, t.proc.pid())
	}
	for _, t := range targets {
		if err := t.preflight(); err != nil {
			return nil, err
		}
	}

	r := newRunner(ctx, &o, targets, out, log)
	rep, err = r.run()
	if err != nil {
		return rep, err
	}
	if o.JSON {
		if err := rep.WriteJSON(out); err != nil {
			return rep, err
		}
	}
	if o.HTML != "" {
		if err := os.WriteFile(o.HTML, []byte(rep.HTML()), 0o644); err != nil {
			return rep, err
		}
		fmt.Fprintf(log, "wrote %s\n", o.HTML)
	}
	return rep, rep.replyErrors()
}

// runner holds a run's state.
type runner struct {
	ctx       context.Context
	o         *Options
	targets   []*Target
	out       io.Writer
	log       io.Writer
	p         *genParams
	preloaded map[*Target]map[preloadKind]bool
	prog      *progress
}

func newRunner(ctx context.Context, o *Options, targets []*Target, out, log io.Writer) *runner {
	values := make([]byte, max(o.ValueMax, stampLen))
	vr := newRNG(o.Seed, 0xfeed)
	const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	for i := range values {
		values[i] = letters[vr.uint64n(uint64(len(letters)))]
	}
	p := &genParams{
		keyspace:   o.Keyspace,
		dist:       o.Dist,
		valueMin:   o.ValueMin,
		valueMax:   o.ValueMax,
		ttlMillis:  uint64(o.TTL.Milliseconds()),
		ttlMaxMs:   uint64(o.TTLMax.Milliseconds()),
		ttlPercent: uint64(o.TTLPercent),
		ratioSet:   o.RatioSet,
		ratioGet:   o.RatioGet,
		msetKeys:   o.MsetKeys,
		fields:     uint64(o.Fields),
		values:     values[:o.ValueMax],
		seed:       o.Seed,
		numClients: o.Clients,
		channels:   uint64(max(o.Channels, 1)),
	}
	if o.Dist == ZipfDist {
		p.zipf = NewZipf(o.Keyspace, o.ZipfExp)
	}
	return &runner{
		ctx: ctx, o: o, targets: targets, out: out, log: log, p: p,
		preloaded: make(map[*Target]map[preloadKind]bool),
		prog:      newProgress(o.Progress),
	}
}

// cases lists the run's (workload, pipeline) pairs; memory comes first,
// while the servers are fresh, and only once.
func (r *runner) cases() []*Case {
	var cs []*Case
	ws := slices.Clone(r.o.Workloads)
	sort.SliceStable(ws, func(i, j int) bool { return ws[i] == WorkloadMemory && ws[j] != WorkloadMemory })
	for _, w := range ws {
		if w == WorkloadMemory {
			cs = append(cs, &Case{Workload: w})
			continue
		}
		for _, d := range r.o.Pipelines {
			cs = append(cs, &Case{Workload: w, Pipeline: d})
		}
	}
	return cs
}

func (r *runner) run() (*Report, error) {
	rep := newReport(r.o, r.targets)
	r.prog.start(r.estimate())
	defer r.prog.finish()
	cases := r.cases()
	for i, c := range cases {
		rep.Cases = append(rep.Cases, c)
		var err error
		if c.Workload == WorkloadMemory {
			err = r.runMemoryCase(c, i, len(cases))
		} else {
			err = r.runCase(c, i, len(cases))
		}
		if err != nil {
			return rep, err
		}
		if !r.o.JSON {
			r.prog.clear()
			c.writeText(r.out, rep)
		}
	}
	return rep, nil
}

// estimate guesses the run's length for the progress line (0: unknown).
func (r *runner) estimate() time.Duration {
	if r.o.Duration <= 0 {
		return 0
	}
	n := 0
	for _, c := range r.cases() {
		if c.Workload != WorkloadMemory {
			n += r.o.Rounds * len(r.targets)
		}
	}
	return time.Duration(n) * (r.o.Duration + r.o.Warmup)
}

// flush empties a target before a case when --flush asks for it.
func (r *runner) flush(t *Target) {
	if !r.o.Flush {
		return
	}
	c, err := t.dial()
	if err == nil {
		_, err = c.do("FLUSHALL")
		c.close()
	}
	if err != nil {
		fmt.Fprintf(r.log, "warning: target %s: FLUSHALL: %v\n", t.Name, err)
		return
	}
	delete(r.preloaded, t)
}

func (r *runner) runCase(c *Case, idx, total int) error {
	p := *r.p
	p.workload = c.Workload
	for _, t := range r.targets {
		r.flush(t)
		res := &Result{Target: t.Name, errText: map[string]uint64{}}
		c.Results = append(c.Results, res)
		if err := r.preload(t, &p, preloadFor(c.Workload), res); err != nil {
			return err
		}
	}
	for round := 0; round < r.o.Rounds; round++ {
		for i, t := range r.targets {
			if err := r.ctx.Err(); err != nil {
				return err
			}
			r.prog.set(fmt.Sprintf("[%d/%d] %s pipeline %d · round %d/%d · %s", idx+1, total, c.Workload, c.Pipeline, round+1, r.o.Rounds, t.Name))
			var rr *Round
			var err error
			if c.Workload == WorkloadPubsub {
				rr, err = r.runPubsubRound(t, &p, c.Pipeline, round)
			} else {
				rr, err = r.runRound(t, &p, c.Pipeline, round)
			}
			if err != nil {
				return err
			}
			c.Results[i].addRound(rr)
		}
	}
	for i, t := range r.targets {
		c.Results[i].RSS, _ = t.memory()
	}
	c.summarize()
	if r.o.Rate > 0 && c.Workload != WorkloadPubsub {
		for _, res := range c.Results {
			if res.Errors == 0 && res.OpsPerSec < 0.95*r.o.Rate {
				res.Note = fmt.Sprintf("reached %.0f%% of --rate %s/s (latencies include the backlog)", 100*res.OpsPerSec/r.o.Rate, fmtCount(r.o.Rate))
			}
		}
	}
	return nil
}

// dialAll opens n connections to t.
func dialAll(t *Target, n int) ([]*conn, error) {
	conns := make([]*conn, 0, n)
	for i := 0; i < n; i++ {
		c, err := t.dial()
		if err != nil {
			closeAll(conns)
			return nil, err
		}
		conns = append(conns, c)
	}
	return conns, nil
}

func closeAll(conns []*conn) {
	for _, c := range conns {
		c.close()
	}
}

// stallGrace is how long a round waits past its end for replies before it
// gives up on the target.
const stallGrace = 10 * time.Second

// runRound runs one round of a load workload against t.
func (r *runner) runRound(t *Target, p *genParams, depth, round int) (*Round, error) {
	o := r.o
	conns, err := dialAll(t, o.Clients)
	if err != nil {
		return nil, err
	}
	defer closeAll(conns)
	ctl := &roundCtl{}
	workers := make([]*worker, len(conns))
	start := now()
	for i, c := range conns {
		w := newWorker(c, newGen(p, round, i), depth)
		if o.Requests > 0 {
			// Split the requests; a connection left with none stays idle.
			w.quota = o.Requests / uint64(o.Clients)
			if uint64(i) < o.Requests%uint64(o.Clients) {
				w.quota++
			}
			w.idle = w.quota == 0
		}
		if o.Rate > 0 {
			w.interval = float64(o.Clients) * 1e9 / o.Rate
			w.first = start + int64(w.interval*float64(i)/float64(o.Clients))
		}
		workers[i] = w
	}
	errs := r.drive(ctl, len(workers), func(i int) error {
		switch w := workers[i]; {
		case w.idle:
			return nil
		case w.interval > 0:
			return w.runOpen(ctl)
		default:
			return w.runClosed(ctl)
		}
	}, func() { closeAll(conns) }, func() uint64 {
		var n uint64
		for _, w := range workers {
			n += w.live.Load()
		}
		return n
	})
	if err := firstError(errs); err != nil {
		return nil, t.fail(fmt.Sprintf("connection failed during %s", p.workload), err)
	}
	rr := newRound()
	for _, w := range workers {
		rr.add(&w.stats)
	}
	rr.finish(ctl.measureStart.Load())
	return rr, nil
}

// drive runs n workers through a round: warm-up, the measured stretch,
// stop. kill unblocks workers stuck on a silent server; live counts
// measured requests for the progress line. It returns each worker's error.
func (r *runner) drive(ctl *roundCtl, n int, work func(i int) error, kill func(), live func() uint64) []error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	done := make(chan struct{})
	failed := make(chan struct{}, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if errs[i] = work(i); errs[i] != nil {
				failed <- struct{}{}
			}
		}()
	}
	go func() { wg.Wait(); close(done) }()

	wait := func(d time.Duration) bool { // true: stop waiting early
		var timeout <-chan time.Time // nil: wait for the workers
		if d > 0 {
			tm := time.NewTimer(d)
			defer tm.Stop()
			timeout = tm.C
		}
		select {
		case <-timeout:
			return false
		case <-done:
		case <-failed:
		case <-r.ctx.Done():
		}
		return true
	}
	early := false
	if r.o.Warmup > 0 {
		early = wait(r.o.Warmup)
	}
	ctl.measureStart.Store(now())
	r.prog.measure(live)
	if !early {
		wait(r.o.Duration)
	}
	ctl.stop.Store(true)
	r.prog.measure(nil)
	select {
	case <-done:
	case <-time.After(stallGrace):
		kill()
		<-done
		for i := range errs {
			if errs[i] != nil {
				errs[i] = fmt.Errorf("no reply within %v: %w", stallGrace, errs[i])
			}
		}
	}
	return errs
}

func firstError(errs []error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// preload writes the data set a read workload needs, once per target.
func (r *runner) preload(t *Target, p *genParams, kind preloadKind, res *Result) error {
	if kind == preloadNone || r.preloaded[t][kind] {
		return nil
	}
	r.prog.set(fmt.Sprintf("preloading %d keys into %s", p.keyspace, t.Name))
	lr, err := load(t, p, p.keyspace, func(g *gen, b []byte, i uint64) []byte {
		return g.appendPreload(b, kind, i)
	})
	if err != nil {
		return t.fail("preload", err)
	}
	res.Errors += lr.errors
	for k, v := range lr.errText {
		res.errText[k] += v
	}
	if r.preloaded[t] == nil {
		r.preloaded[t] = map[preloadKind]bool{}
	}
	r.preloaded[t][kind] = true
	return nil
}

// Loading a key space in bulk (preloads and the memory workload).
const (
	loadConns = 4
	loadDepth = 128
)

type loadResult struct {
	ops     uint64
	errors  uint64
	errText map[string]uint64
	elapsed time.Duration
}

// load sends build(i) for every i in [0, n) over a few pipelined
// connections, counting error replies.
func load(t *Target, p *genParams, n uint64, build func(g *gen, b []byte, i uint64) []byte) (*loadResult, error) {
	conns, err := dialAll(t, loadConns)
	if err != nil {
		return nil, err
	}
	defer closeAll(conns)
	start := time.Now()
	ws := make([]*worker, len(conns))
	errs := make([]error, len(conns))
	var wg sync.WaitGroup
	for ci, c := range conns {
		w := newWorker(c, newGen(p, -1, ci), loadDepth)
		ws[ci] = w
		lo, hi := n*uint64(ci)/loadConns, n*uint64(ci+1)/loadConns
		wg.Add(1)
		go func() {
			defer wg.Done()
			var s slot
			for i := lo; i < hi; {
				b := c.wb[:0]
				m := 0
				for ; m < loadDepth && i < hi; m++ {
					b = build(w.g, b, i)
					i++
				}
				c.wb = b
				if _, errs[ci] = c.nc.Write(b); errs[ci] != nil {
					return
				}
				for ; m > 0; m-- {
					if errs[ci] = c.rd.read(&c.rp); errs[ci] != nil {
						return
					}
					w.account(&s, &c.rp, true, 0)
				}
			}
		}()
	}
	wg.Wait()
	if err := firstError(errs); err != nil {
		return nil, err
	}
	rr := newRound()
	for _, w := range ws {
		rr.add(&w.stats)
	}
	return &loadResult{ops: rr.Ops, errors: rr.Errors, errText: rr.errText, elapsed: time.Since(start)}, nil
}

// describeErrors formats error counts, most frequent first.
func describeErrors(m map[string]uint64) string {
	type kv struct {
		k string
		v uint64
	}
	var l []kv
	for k, v := range m {
		l = append(l, kv{k, v})
	}
	sort.Slice(l, func(i, j int) bool { return l[i].v > l[j].v || l[i].v == l[j].v && l[i].k < l[j].k })
	var parts []string
	for _, e := range l {
		parts = append(parts, fmt.Sprintf("%q ×%d", e.k, e.v))
	}
	return strings.Join(parts, ", ")
}
