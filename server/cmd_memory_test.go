package server

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/embercache/ember/internal/resptest"
)

// TestMemoryUsage: MEMORY USAGE is the key's accounted size, which grows
// with the value and adds up to the keyspace's accounted total.
func TestMemoryUsage(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	usage := func(key string) int64 {
		t.Helper()
		v, err := resptest.Parse(c.MustDo(t, "MEMORY", "USAGE", key))
		if err != nil || v.Type != ':' {
			t.Fatalf("MEMORY USAGE %s: %+v %v", key, v, err)
		}
		return v.Int
	}
	c.MustDo(t, "SET", "small", "v")
	c.MustDo(t, "SET", "large", strings.Repeat("x", 10000))
	small, large := usage("small"), usage("large")
	if small <= 0 || large < 10000 || large > 12000 {
		t.Fatalf("usage small %d large %d", small, large)
	}
	if small+large != srv.Store().UsedMemory() {
		t.Fatalf("usages %d + %d, keyspace %d", small, large, srv.Store().UsedMemory())
	}
	c.MustDo(t, "APPEND", "small", strings.Repeat("y", 1000))
	if grown := usage("small"); grown < small+1000 {
		t.Fatalf("after APPEND: %d (was %d)", grown, small)
	}
	c.MustDo(t, "SET", "short-lived", "v", "PX", "1")
	checkFor(t, timeoutForTests, 5*time.Millisecond, func() error {
		if r := c.MustDo(t, "MEMORY", "USAGE", "short-lived"); r != "$-1\r\n" {
			return &usageErr{r}
		}
		return nil
	})
	// MEMORY STATS counts the keys and reports the same totals as INFO.
	v, _ := resptest.Parse(c.MustDo(t, "MEMORY", "STATS"))
	stats := map[string]resptest.Value{}
	for i := 0; i+1 < len(v.Elems); i += 2 {
		stats[v.Elems[i].Str] = v.Elems[i+1]
	}
	if stats["keys.count"].Int != srv.Store().DB(0).Len() || stats["db.0"].Type != '*' || stats["startup.allocated"].Int != srv.info.baseMemory {
		t.Fatalf("MEMORY STATS: %+v", stats)
	}
	if f, err := strconv.ParseFloat(stats["dataset.percentage"].Str, 64); err != nil || f <= 0 || f > 100 {
		t.Fatalf("dataset.percentage %q", stats["dataset.percentage"].Str)
	}
}

type usageErr struct{ r string }

func (e *usageErr) Error() string { return "expired key still has a usage: " + e.r }

// TestMemoryDoctor: the report's branches on figures built for them.
func TestMemoryDoctor(t *testing.T) {
	const mb = 1 << 20
	for _, tc := range []struct {
		f    memFigures
		want []string
	}{
		{memFigures{used: 1 * mb}, []string{"Hi Sam, this instance is empty"}},
		{memFigures{used: 100 * mb, peak: 100 * mb, rss: 110 * mb, alloc: 100 * mb, active: 101 * mb, resident: 105 * mb, numClients: 1, clients: 1024},
			[]string{"Hi Sam, I can't find any memory issue"}},
		{memFigures{used: 100 * mb, peak: 400 * mb, rss: 300 * mb, alloc: 100 * mb, active: 150 * mb, resident: 200 * mb, numClients: 2, clients: 2 * mb},
			[]string{"Sam, I detected a few issues", " * Peak memory:", " * High total RSS:", " * High allocator fragmentation:",
				" * High allocator RSS overhead:", " * High process RSS overhead:", " * Big client buffers:", "I'm here to keep you safe"}},
	} {
		got := memoryDoctor(tc.f)
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("%+v: report lacks %q:\n%s", tc.f, w, got)
			}
		}
	}
}
