// Package bench is ember's load generator: it runs the same RESP workload
// against several servers (ember, Redis, anything that speaks RESP) in
// alternating rounds and reports them side by side, as ratios to the first.
//
// It is the library behind cmd/ember-bench. The pieces, one file each:
// the RESP client side (resp.go), the load loop with closed-loop and
// fixed-rate modes (worker.go), workloads and their seeded request streams
// (workload.go, pubsub.go, memory.go), key distributions including Zipf
// (zipf.go), a log-linear latency histogram (hist.go), targets and the
// servers it can start itself (target.go, spawn.go), the round-robin
// runner (run.go) and the reports: text, JSON and HTML (report.go,
// html.go). The server never imports it.
package bench
