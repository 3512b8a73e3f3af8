package bench

import "fmt"

// The memory workload: how many bytes a key costs.
//
// Each target is measured on its own: RSS and INFO used_memory before,
// --keyspace SETs of --value-size values, then both again; the difference
// divided by the number of keys is the cost of one key, as the operating
// system sees it (RSS) and as the server accounts it (used_memory). It runs
// before the other workloads, while spawned servers are fresh: a server
// that has freed memory may keep it resident and reuse it, and that would
// hide the cost of new keys. Rounds do not apply.

// MemoryResult is one target's memory measurement.
type MemoryResult struct {
	Target        string            `json:"target"`
	Keys          uint64            `json:"keys"`
	RSSBefore     int64             `json:"rss_before_bytes"`
	RSSAfter      int64             `json:"rss_after_bytes"`
	UsedBefore    int64             `json:"used_memory_before_bytes"`
	UsedAfter     int64             `json:"used_memory_after_bytes"`
	RSSPerKey     float64           `json:"rss_bytes_per_key"`
	UsedPerKey    float64           `json:"used_memory_bytes_per_key"`
	Ratio         float64           `json:"ratio"` // RSS per key relative to the first target
	LoadOpsPerSec float64           `json:"load_ops_per_sec"`
	Errors        uint64            `json:"errors"`
	ErrorTexts    map[string]uint64 `json:"error_texts,omitempty"`
}

func (r *runner) runMemoryCase(c *Case, idx, total int) error {
	p := *r.p
	p.workload = WorkloadMemory
	for _, t := range r.targets {
		if err := r.ctx.Err(); err != nil {
			return err
		}
		r.flush(t)
		r.prog.set(fmt.Sprintf("[%d/%d] memory · loading %d keys into %s", idx+1, total, p.keyspace, t.Name))
		m := &MemoryResult{Target: t.Name, Keys: p.keyspace}
		m.RSSBefore, m.UsedBefore = t.memory()
		lr, err := load(t, &p, p.keyspace, func(g *gen, b []byte, i uint64) []byte {
			return g.appendMemorySet(b, i)
		})
		if err != nil {
			return t.fail("connection failed during memory", err)
		}
		m.RSSAfter, m.UsedAfter = t.memory()
		if m.RSSBefore > 0 && m.RSSAfter > 0 {
			m.RSSPerKey = float64(m.RSSAfter-m.RSSBefore) / float64(p.keyspace)
		}
		if m.UsedBefore > 0 && m.UsedAfter > 0 {
			m.UsedPerKey = float64(m.UsedAfter-m.UsedBefore) / float64(p.keyspace)
		}
		if s := lr.elapsed.Seconds(); s > 0 {
			m.LoadOpsPerSec = float64(lr.ops) / s
		}
		m.Errors, m.ErrorTexts = lr.errors, lr.errText
		c.Memory = append(c.Memory, m)
	}
	if base := c.Memory[0].RSSPerKey; base > 0 {
		for _, m := range c.Memory {
			m.Ratio = m.RSSPerKey / base
		}
	}
	return nil
}
