package bench

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/embercache/ember/internal/resptest"
)

// Every workload runs against a real Redis without errors, with the hit
// ratios and figures its definition implies, and the reports render.
func TestAllWorkloadsAgainstRedis(t *testing.T) {
	addr := resptest.StartRedis(t)
	o := quickOptions(&Target{Name: "redis", Addr: addr})
	o.Workloads = Workloads
	o.Pipelines = []int{4}
	o.Duration = 50 * time.Millisecond
	o.Dist = ZipfDist
	o.Subscribers = 3
	o.HTML = filepath.Join(t.TempDir(), "report.html")
	rep, out, err := runQuiet(t, o)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(rep.Cases) != len(Workloads) || rep.Cases[0].Workload != WorkloadMemory {
		t.Fatalf("cases: %d, first %q; want memory first", len(rep.Cases), rep.Cases[0].Workload)
	}
	for _, c := range rep.Cases {
		if c.Workload == WorkloadMemory {
			m := c.Memory[0]
			if m.Errors != 0 || m.UsedPerKey < 32 || m.UsedPerKey > 1000 {
				t.Fatalf("memory: %+v", m)
			}
			continue
		}
		res := c.Results[0]
		if res.Errors != 0 || res.OpsPerSec <= 0 || res.P50Ms <= 0 || res.P50Ms > res.MaxMs || len(res.Curve) < 2 {
			t.Fatalf("%s: %+v", c.Workload, res)
		}
		if reportsHits(c.Workload) != (res.HitRatio != nil) {
			t.Fatalf("%s: hit ratio %v", c.Workload, res.HitRatio)
		}
		switch c.Workload {
		case WorkloadGet, WorkloadHget, WorkloadZrange, WorkloadLpop: // preloaded, or pairs
			if *res.HitRatio != 1 {
				t.Fatalf("%s: hit ratio %v, want 1", c.Workload, *res.HitRatio)
			}
		case WorkloadCacheAside: // starts empty; Zipf's hot keys hit
			if h := *res.HitRatio; h <= 0 || h >= 1 {
				t.Fatalf("cache-aside: hit ratio %v", h)
			}
		case WorkloadPubsub:
			r := res.Rounds[0]
			want, slack := int64(r.Published)*3, int64(4*3)
			if got := int64(r.Ops); r.Published == 0 || got < want-slack || got > want+slack {
				t.Fatalf("pubsub: %d delivered for %d published to 3 subscribers", r.Ops, r.Published)
			}
		}
	}
	page, err := os.ReadFile(o.HTML)
	if err != nil {
		t.Fatal(err)
	}
	html := string(page)
	if n := strings.Count(html, "<polyline"); n != len(Workloads)-1 {
		t.Fatalf("%d latency curves in the HTML, want %d", n, len(Workloads)-1)
	}
	if strings.Count(html, "<svg") != len(Workloads)*2-1 || strings.Contains(html, "NaN") || strings.Contains(html, "Inf") {
		t.Fatal("HTML charts are missing or hold NaN/Inf")
	}
	var sb strings.Builder
	if err := rep.WriteJSON(&sb); err != nil {
		t.Fatal(err)
	}
	var back struct {
		Cases []struct {
			Workload string
			Results  []struct {
				OpsPerSec float64 `json:"ops_per_sec"`
			}
		}
	}
	if err := json.Unmarshal([]byte(sb.String()), &back); err != nil || len(back.Cases) != len(Workloads) || back.Cases[1].Results[0].OpsPerSec <= 0 {
		t.Fatalf("JSON round trip: %v %+v", err, back)
	}
}

// A real Redis out of memory: its OOM replies are counted, shown, and the
// run fails naming it.
func TestRedisOOM(t *testing.T) {
	addr := resptest.StartRedis(t)
	c := resptest.MustDial(t, addr)
	c.MustDo(t, "CONFIG", "SET", "maxmemory-policy", "noeviction")
	c.MustDo(t, "CONFIG", "SET", "maxmemory", "1")
	o := quickOptions(&Target{Name: "full", Addr: addr})
	o.Workloads = []string{WorkloadSet}
	o.Duration = 50 * time.Millisecond
	rep, out, err := runQuiet(t, o)
	if !errors.Is(err, ErrTargetReplies) || !strings.Contains(err.Error(), "target full:") || !strings.Contains(err.Error(), "OOM command not allowed") {
		t.Fatalf("want an error naming target full and OOM, got %v", err)
	}
	res := rep.Cases[0].Results[0]
	if res.Errors == 0 || res.OpsPerSec != 0 || !strings.Contains(out, "full errors: \"OOM command not allowed") {
		t.Fatalf("errors %d, ops/s %v\n%s", res.Errors, res.OpsPerSec, out)
	}
}
