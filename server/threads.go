package server

import (
	"runtime"
	"strconv"
	"sync"
)

// Threads.
//
// The threads directive sets how many OS threads run ember's goroutines at
// once (GOMAXPROCS). "auto" uses every CPU the process may use, except on
// machines with two or fewer: there, measured with redis-benchmark on the
// same machine, one thread serves 15-40% more requests per second than two
// (GET/SET, 50 clients, pipelines of 1 and 16), because the Go scheduler's
// hand-offs between threads (futex wake-ups, spinning threads looking for
// work) cost more than a second core gives when the clients and the
// kernel's network processing need that core too. Set a number to choose.

var (
	cpuOnce  sync.Once
	cpuCount int
)

// availableCPUs is the CPU count the Go runtime chose at start (it honours
// cgroup CPU limits), remembered before ember changes GOMAXPROCS.
func availableCPUs() int {
	cpuOnce.Do(func() { cpuCount = runtime.GOMAXPROCS(0) })
	return cpuCount
}

// threadsFor resolves a threads value to a thread count.
func threadsFor(v string) int {
	if n, err := strconv.Atoi(v); err == nil && n > 0 {
		return n
	}
	if n := availableCPUs(); n > 2 {
		return n
	}
	return 1
}

// applyThreads sets GOMAXPROCS from a threads value.
func applyThreads(v string) {
	runtime.GOMAXPROCS(threadsFor(v))
}

// ApplyThreads sets GOMAXPROCS from cfg's threads directive and returns the
// thread count. The binary calls it at startup; tests leave GOMAXPROCS be.
func ApplyThreads(cfg *Config) int {
	n := threadsFor(cfg.Get("threads"))
	availableCPUs()
	runtime.GOMAXPROCS(n)
	return n
}
