package bench

import (
	"testing"
	"time"

	"github.com/embercache/ember/internal/resptest"
)

// The pubsub workload over several channels delivers every message to
// every subscriber, by SUBSCRIBE to each channel or by one PSUBSCRIBE.
func TestPubsubChannelsAndPatterns(t *testing.T) {
	addr := resptest.StartRedis(t)
	for _, pattern := range []bool{false, true} {
		o := quickOptions(&Target{Name: "redis", Addr: addr})
		o.Workloads = []string{WorkloadPubsub}
		o.Duration = 50 * time.Millisecond
		o.Subscribers = 3
		o.Channels = 20
		o.Psubscribe = pattern
		rep, out, err := runQuiet(t, o)
		if err != nil {
			t.Fatalf("psubscribe %v: %v\n%s", pattern, err, out)
		}
		r := rep.Cases[0].Results[0].Rounds[0]
		want, slack := int64(r.Published)*3, int64(4*3)
		if got := int64(r.Ops); r.Published == 0 || r.Errors != 0 || got < want-slack || got > want+slack {
			t.Fatalf("psubscribe %v: %d delivered for %d published to 3 subscribers (%d errors)", pattern, r.Ops, r.Published, r.Errors)
		}
	}
}
