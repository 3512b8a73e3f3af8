package server

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/embercache/ember/internal/resptest"
)

// subFrame is the RESP2 encoding of a (un)subscribe confirmation or a
// message; name "" encodes a null.
func subFrame(kind, name string, count int) string {
	n := "$-1\r\n"
	if name != "" {
		n = fmt.Sprintf("$%d\r\n%s\r\n", len(name), name)
	}
	return fmt.Sprintf("*3\r\n$%d\r\n%s\r\n%s:%d\r\n", len(kind), kind, n, count)
}

func msgFrame(channel, msg string) string {
	return fmt.Sprintf("*3\r\n$7\r\nmessage\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", len(channel), channel, len(msg), msg)
}

// expectFrames reads len(want) replies from c and compares them.
func expectFrames(t *testing.T, c *resptest.Conn, want ...string) {
	t.Helper()
	for i, w := range want {
		got, err := c.Read()
		if err != nil || got != w {
			t.Fatalf("frame %d: got %q (%v), want %q", i, got, err, w)
		}
	}
}

// TestUnsubscribeAllSequence: UNSUBSCRIBE and PUNSUBSCRIBE without
// arguments confirm every subscription, with counts going down to what
// remains of the other kind, in RESP2 and RESP3 (the differential
// transcript can only do this with one subscription: Redis's order is its
// dict's).
func TestUnsubscribeAllSequence(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	c.MustDo(t, "SUBSCRIBE", "a", "b", "c")
	expectFrames(t, c, subFrame("subscribe", "b", 2), subFrame("subscribe", "c", 3))
	c.MustDo(t, "PSUBSCRIBE", "p1", "p2")
	expectFrames(t, c, subFrame("psubscribe", "p2", 5))
	c.MustDo(t, "SSUBSCRIBE", "s1")
	if err := c.Write(resptest.Encode("UNSUBSCRIBE")); err != nil {
		t.Fatal(err)
	}
	expectFrames(t, c, subFrame("unsubscribe", "a", 4), subFrame("unsubscribe", "b", 3), subFrame("unsubscribe", "c", 2))
	if err := c.Write(resptest.Encode("PUNSUBSCRIBE")); err != nil {
		t.Fatal(err)
	}
	expectFrames(t, c, subFrame("punsubscribe", "p1", 1), subFrame("punsubscribe", "p2", 0))
	// Still subscribed to a shard channel: still in the subscribed context.
	if r := c.MustDo(t, "GET", "x"); !strings.HasPrefix(r, "-ERR Can't execute 'get'") {
		t.Fatalf("GET with a shard subscription left: %q", r)
	}
	if r := c.MustDo(t, "SUNSUBSCRIBE"); r != subFrame("sunsubscribe", "s1", 0) {
		t.Fatalf("SUNSUBSCRIBE: %q", r)
	}
	if r := c.MustDo(t, "GET", "x"); r != "$-1\r\n" {
		t.Fatalf("GET after leaving everything: %q", r)
	}

	r3 := dial(t, srv)
	r3.MustDo(t, "HELLO", "3")
	r3.MustDo(t, "SUBSCRIBE", "x", "y")
	expectFrames(t, r3, ">3\r\n$9\r\nsubscribe\r\n$1\r\ny\r\n:2\r\n")
	if err := r3.Write(resptest.Encode("UNSUBSCRIBE")); err != nil {
		t.Fatal(err)
	}
	expectFrames(t, r3, ">3\r\n$11\r\nunsubscribe\r\n$1\r\nx\r\n:1\r\n", ">3\r\n$11\r\nunsubscribe\r\n$1\r\ny\r\n:0\r\n")
	if r := r3.MustDo(t, "UNSUBSCRIBE"); r != ">3\r\n$11\r\nunsubscribe\r\n_\r\n:0\r\n" {
		t.Fatalf("RESP3 UNSUBSCRIBE with nothing left: %q", r)
	}
}

// pubsubInfo returns INFO's pubsub fields and CLIENT LIST's line for id.
func infoField(t *testing.T, c *resptest.Conn, section, field string) string {
	t.Helper()
	raw := c.MustDo(t, "INFO", section)
	for _, line := range strings.Split(raw, "\r\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return v
		}
	}
	t.Fatalf("INFO %s lacks %s", section, field)
	return ""
}

// TestPubsubIntrospection: CLIENT LIST's sub/psub/ssub/flags/omem, CLIENT
// LIST TYPE pubsub, INFO's pubsub figures, and that a closing connection
// leaves every registry.
func TestPubsubIntrospection(t *testing.T) {
	srv := startServer(t)
	admin := dial(t, srv)
	sub := dial(t, srv)
	sub.MustDo(t, "CLIENT", "SETNAME", "listener")
	sub.MustDo(t, "SUBSCRIBE", "a", "b")
	sub.MustDo(t, "PSUBSCRIBE", "p*")
	sub.MustDo(t, "SSUBSCRIBE", "s")
	sub.Read() // the second SUBSCRIBE confirmation
	list := admin.MustDo(t, "CLIENT", "LIST", "TYPE", "pubsub")
	if !strings.Contains(list, "name=listener") || strings.Count(list, "id=") != 1 {
		t.Fatalf("CLIENT LIST TYPE pubsub: %q", list)
	}
	for _, want := range []string{" flags=P ", " sub=2 ", " psub=1 ", " ssub=1 ", " omem=0 "} {
		if !strings.Contains(list, want) {
			t.Errorf("CLIENT LIST lacks %q: %q", want, list)
		}
	}
	if n := strings.Count(admin.MustDo(t, "CLIENT", "LIST", "TYPE", "normal"), "id="); n != 1 {
		t.Errorf("CLIENT LIST TYPE normal: %d clients, want 1", n)
	}
	for field, want := range map[string]string{"pubsub_channels": "2", "pubsub_patterns": "1", "pubsubshard_channels": "1"} {
		if got := infoField(t, admin, "stats", field); got != want {
			t.Errorf("INFO %s = %s, want %s", field, got, want)
		}
	}
	if got := infoField(t, admin, "clients", "pubsub_clients"); got != "1" {
		t.Errorf("pubsub_clients = %s, want 1", got)
	}
	sub.Close()
	checkFor(t, 5*time.Second, 10*time.Millisecond, func() error {
		ch, pat, sh, cl := srv.pubsub.stats()
		if ch+pat+sh+cl != 0 {
			return fmt.Errorf("after close: channels %d patterns %d shard %d clients %d", ch, pat, sh, cl)
		}
		return nil
	})
	if r := admin.MustDo(t, "PUBLISH", "a", "x"); r != ":0\r\n" {
		t.Fatalf("PUBLISH to a closed subscriber's channel: %q", r)
	}
}

// TestPublishOrderAndCounts: several publishers at once, each sending a
// numbered sequence to one channel; subscribers by channel, by pattern and
// by both receive every message of every publisher in that publisher's
// order, and PUBLISH counts every delivery.
func TestPublishOrderAndCounts(t *testing.T) {
	srv := startServer(t)
	const pubs, perPub = 4, 500
	type subSpec struct {
		cmd  []string
		want int // deliveries per message
	}
	specs := []subSpec{
		{[]string{"SUBSCRIBE", "feed"}, 1},
		{[]string{"PSUBSCRIBE", "fe*"}, 1},
		{[]string{"SUBSCRIBE", "feed"}, 1},
		{[]string{"PSUBSCRIBE", "f*", "*d"}, 2},
	}
	total := 0
	var subs []*resptest.Conn
	for i, sp := range specs {
		c := dial(t, srv)
		if i%2 == 1 {
			c.MustDo(t, "HELLO", "3")
		}
		c.MustDo(t, sp.cmd...)
		for range sp.cmd[2:] {
			c.Read()
		}
		subs = append(subs, c)
		total += sp.want
	}
	var wg sync.WaitGroup
	errs := make(chan error, pubs+len(subs))
	for p := 0; p < pubs; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := resptest.Dial(srv.Addr().String())
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			for i := 0; i < perPub; i++ {
				r, err := c.Do("PUBLISH", "feed", fmt.Sprintf("%d:%d", p, i))
				if err != nil || r != fmt.Sprintf(":%d\r\n", total) {
					errs <- fmt.Errorf("PUBLISH %d:%d = %q %v, want %d", p, i, r, err, total)
					return
				}
			}
		}()
	}
	for si, c := range subs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			next := make([]int, pubs*specs[si].want)
			for n := 0; n < pubs*perPub*specs[si].want; n++ {
				raw, err := c.Read()
				if err != nil {
					errs <- fmt.Errorf("subscriber %d after %d messages: %v", si, n, err)
					return
				}
				v, _ := resptest.Parse(raw)
				last := v.Elems[len(v.Elems)-1].Str
				slot := 0
				if v.Elems[0].Str == "pmessage" && v.Elems[1].Str == "*d" {
					slot = pubs
				}
				ps, is, _ := strings.Cut(last, ":")
				p, _ := strconv.Atoi(ps)
				i, _ := strconv.Atoi(is)
				if i != next[slot+p] {
					errs <- fmt.Errorf("subscriber %d: publisher %d message %d arrived when %d was due", si, p, i, next[slot+p])
					return
				}
				next[slot+p]++
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestSubscribeUnsubscribeAtomic: while a publisher publishes without
// pause, a subscriber's first frame after SUBSCRIBE is its confirmation,
// and after the UNSUBSCRIBE confirmation no message of the channel
// arrives (the publisher's snapshot may be older than both).
func TestSubscribeUnsubscribeAtomic(t *testing.T) {
	srv := startServer(t)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for p := 0; p < 2; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := resptest.MustDial(t, srv.Addr().String())
			var batch []byte
			for i := 0; i < 50; i++ {
				batch = append(batch, resptest.Encode("PUBLISH", "hot", "m")...)
			}
			for {
				select {
				case <-stop:
					return
				default:
				}
				if err := c.Write(batch); err != nil {
					return
				}
				for i := 0; i < 50; i++ {
					if _, err := c.Read(); err != nil {
						return
					}
				}
			}
		}()
	}
	defer func() { close(stop); wg.Wait() }()
	c := dial(t, srv)
	for round := 0; round < 200; round++ {
		if r := c.MustDo(t, "SUBSCRIBE", "hot"); r != subFrame("subscribe", "hot", 1) {
			t.Fatalf("round %d: first frame after SUBSCRIBE %q", round, r)
		}
		if err := c.Write(resptest.Encode("UNSUBSCRIBE", "hot")); err != nil {
			t.Fatal(err)
		}
		for {
			r, err := c.Read()
			if err != nil {
				t.Fatal(err)
			}
			if r == subFrame("unsubscribe", "hot", 0) {
				break
			}
			if r != msgFrame("hot", "m") {
				t.Fatalf("round %d: unexpected %q", round, r)
			}
		}
		// Anything queued after the confirmation would precede PING's
		// reply.
		if r := c.MustDo(t, "PING"); r != "+PONG\r\n" {
			t.Fatalf("round %d: after UNSUBSCRIBE: %q", round, r)
		}
	}
}

// TestPublishToSelfRESP3: a RESP3 client publishing to a channel it
// listens to gets the message before PUBLISH's reply and after the replies
// of the commands pipelined before it.
func TestPublishToSelfRESP3(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	c.MustDo(t, "HELLO", "3")
	c.MustDo(t, "SUBSCRIBE", "me")
	var pipe []byte
	for _, cmd := range [][]string{{"SET", "a", "1"}, {"PUBLISH", "me", "hi"}, {"GET", "a"}} {
		pipe = append(pipe, resptest.Encode(cmd...)...)
	}
	if err := c.Write(pipe); err != nil {
		t.Fatal(err)
	}
	expectFrames(t, c, "+OK\r\n", ">3\r\n$7\r\nmessage\r\n$2\r\nme\r\n$2\r\nhi\r\n", ":1\r\n", "$1\r\n1\r\n")
}

// TestPatternIndexMatchesScan: the prefix index finds exactly the
// patterns a linear scan with globMatch finds, as patterns come and go.
func TestPatternIndexMatchesScan(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := "ab.*?[]^-\\"
	word := func(special bool, n int) string {
		b := make([]byte, rng.IntN(n)+1)
		for i := range b {
			if special {
				b[i] = alphabet[rng.IntN(len(alphabet))]
			} else {
				b[i] = alphabet[rng.IntN(3)]
			}
		}
		return string(b)
	}
	var x patternIndex
	live := map[string]*subscriber{}
	for step := 0; step < 3000; step++ {
		if pat := word(true, 6); live[pat] == nil && rng.IntN(3) > 0 {
			s := &subscriber{}
			live[pat] = s
			x.subscribe(pat, s)
		} else if len(live) > 0 && rng.IntN(2) == 0 {
			for pat, s := range live {
				x.unsubscribe(pat, s)
				delete(live, pat)
				break
			}
		}
		ch := []byte(word(false, 8))
		var got []string
		for _, p := range x.match(ch, nil) {
			got = append(got, p.name)
		}
		var want []string
		for pat := range live {
			if globMatch([]byte(pat), ch, false) {
				want = append(want, pat)
			}
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("step %d, channel %q: index %q, scan %q", step, ch, got, want)
		}
	}
	if x.n.Load() != int64(len(live)) || len(x.byName) != len(live) {
		t.Fatalf("index holds %d patterns, want %d", x.n.Load(), len(live))
	}
	for pat, s := range live {
		x.unsubscribe(pat, s)
	}
	if len(x.lens) != 0 || len(x.byPrefix) != 0 || len(x.lenRefs) != 0 {
		t.Fatalf("empty index keeps lens %v prefixes %d", x.lens, len(x.byPrefix))
	}
}

// BenchmarkPatternMatch compares the prefix index with a linear scan for
// 10,000 patterns of the shape "news.<n>.*" plus 100 starting with '*',
// against channels that match one or two of them.
func BenchmarkPatternMatch(b *testing.B) {
	var x patternIndex
	var all []string
	for i := 0; i < 10000; i++ {
		p := fmt.Sprintf("news.%d.*", i)
		all = append(all, p)
		x.subscribe(p, &subscriber{})
	}
	for i := 0; i < 100; i++ {
		p := fmt.Sprintf("*.%d", i)
		all = append(all, p)
		x.subscribe(p, &subscriber{})
	}
	ch := []byte("news.4242.sports")
	b.Run("index", func(b *testing.B) {
		var out []*channel
		for i := 0; i < b.N; i++ {
			out = x.match(ch, out[:0])
		}
	})
	b.Run("scan", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			n := 0
			for _, p := range all {
				if globMatch([]byte(p), ch, false) {
					n++
				}
			}
		}
	})
}

// BenchmarkPublishFanout: PUBLISH to 1,000 subscribers of one channel
// (delivery to in-memory queues; no sockets).
func BenchmarkPublishFanout(b *testing.B) {
	srv := startServer(b)
	var clients []*Client
	for i := 0; i < 1000; i++ {
		c, _ := newPipeClient(b, srv)
		c.subscribe(subChannel, [][]byte{[]byte("ch")})
		clients = append(clients, c)
	}
	// Drain nothing: the queues grow; keep them from hitting limits.
	srv.applyOutputLimits("normal 0 0 0 slave 0 0 0 pubsub 0 0 0")
	var sc pubScratch
	msg := []byte("hello")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		srv.pubsub.publish(nil, &sc, []byte("ch"), msg, false)
		if i%1000 == 999 {
			for _, c := range clients {
				c.async.mu.Lock()
				c.async.buf = c.async.buf[:0]
				c.async.mu.Unlock()
			}
		}
	}
}

// readRSS returns this process's resident set size in bytes (Linux).
func procRSS(t *testing.T) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip("no /proc/self/status")
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb * 1024
		}
	}
	t.Skip("no VmRSS")
	return 0
}

// TestStalledSubscriber: a subscriber that never reads, while a publisher
// sends 200 MB of messages to its channel. The stalled client is cut off
// once its output passes the pubsub class's limit, the process's memory
// stays bounded, and a healthy subscriber of the same channel receives
// every message, in order. (The publisher keeps within a window of the
// healthy reader so that the test machine's scheduling cannot make the
// healthy subscriber lag by the limit; the stalled one never reads, so it
// passes any window.)
func TestStalledSubscriber(t *testing.T) {
	total := 200 << 20
	if testing.Short() || raceEnabled {
		total = 40 << 20
	}
	const msgSize = 128 << 10
	const window = 4 << 20 // well under the 8 MB soft limit, so the healthy subscriber is never cut on a loaded machine
	const batch = 8        // PUBLISHes in flight
	srv := startServer(t, "--client-output-buffer-limit", "pubsub 16mb 8mb 60")
	addr := srv.Addr().String()
	runtime.GC()
	rssBefore := procRSS(t)

	stalled, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer stalled.Close()
	_ = stalled.(*net.TCPConn).SetReadBuffer(64 << 10)
	if _, err := stalled.Write(resptest.Encode("SUBSCRIBE", "firehose")); err != nil {
		t.Fatal(err)
	}

	healthy := dial(t, srv)
	healthy.MustDo(t, "SUBSCRIBE", "firehose")
	checkFor(t, 5*time.Second, 5*time.Millisecond, func() error {
		if n := srv.pubsub.channels.numSub([]byte("firehose")); n != 2 {
			return fmt.Errorf("%d subscribers", n)
		}
		return nil
	})

	n := total / msgSize
	var received atomic.Int64
	readErr := make(chan error, 1)
	go func() {
		// The healthy subscriber checks sequence and size of every message.
		br := bufio.NewReaderSize(healthy.NetConn(), 256<<10)
		header := msgFrame("firehose", strings.Repeat("x", msgSize))
		header = header[:strings.Index(header, "x")]
		body := make([]byte, msgSize+2)
		for i := 0; i < n; i++ {
			_ = healthy.NetConn().SetReadDeadline(time.Now().Add(30 * time.Second))
			h := make([]byte, len(header))
			if _, err := io.ReadFull(br, h); err != nil || string(h) != header {
				readErr <- fmt.Errorf("message %d: header %q %v", i, h, err)
				return
			}
			if _, err := io.ReadFull(br, body); err != nil {
				readErr <- fmt.Errorf("message %d: %v", i, err)
				return
			}
			if seq, _ := strconv.Atoi(string(bytes.TrimRight(body[:12], " "))); seq != i {
				readErr <- fmt.Errorf("message %d arrived as number %d", i, seq)
				return
			}
			received.Add(1)
		}
		readErr <- nil
	}()

	pub := dial(t, srv)
	cmd := resptest.Encode("PUBLISH", "firehose", strings.Repeat("y", msgSize))
	seqAt := len(cmd) - msgSize - 2
	var peakRSS int64
	var stalledCut bool
	for i := 0; i < n; i += batch {
		for int64(i)-received.Load() > window/msgSize {
			time.Sleep(100 * time.Microsecond)
		}
		for j := i; j < i+batch && j < n; j++ {
			copy(cmd[seqAt:], fmt.Sprintf("%-12d", j))
			if err := pub.Write(cmd); err != nil {
				t.Fatal(err)
			}
		}
		for j := i; j < i+batch && j < n; j++ {
			r, err := pub.Read()
			if err != nil {
				t.Fatal(err)
			}
			switch r {
			case ":2\r\n":
				if stalledCut {
					t.Fatalf("message %d reached the stalled client after it was cut", j)
				}
			case ":1\r\n":
				stalledCut = true
			default:
				t.Fatalf("PUBLISH %d: %q", j, r)
			}
		}
		if i%(32*batch) == 0 {
			peakRSS = max(peakRSS, procRSS(t))
		}
	}
	if err := <-readErr; err != nil {
		t.Fatal(err)
	}
	peakRSS = max(peakRSS, procRSS(t))
	if !stalledCut {
		t.Fatal("the stalled subscriber was never cut off")
	}
	if got := srv.stats.outputLimitKills.Load(); got != 1 {
		t.Errorf("output limit kills: %d, want 1", got)
	}
	growth := peakRSS - rssBefore
	t.Logf("published %d MB; RSS before %d MB, peak %d MB (+%d MB)", total>>20, rssBefore>>20, peakRSS>>20, growth>>20)
	// The limit (16 MB) plus the healthy window and buffers, the test's
	// own buffers and GC headroom; far below the 200 MB published. (The
	// race detector's shadow memory makes RSS meaningless.)
	if !raceEnabled && growth > 120<<20 {
		t.Fatalf("RSS grew by %d MB publishing %d MB: memory not bounded", growth>>20, total>>20)
	}
}

// TestOutputLimitConfig: CONFIG SET client-output-buffer-limit applies at
// once to connected subscribers, and the normal class's hard limit closes
// a client whose reply is bigger.
func TestOutputLimitConfig(t *testing.T) {
	srv := startServer(t)
	admin := dial(t, srv)
	sub, err := net.Dial("tcp", srv.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	_ = sub.(*net.TCPConn).SetReadBuffer(16 << 10)
	sub.Write(resptest.Encode("SUBSCRIBE", "c"))
	checkFor(t, 5*time.Second, 5*time.Millisecond, func() error {
		if srv.pubsub.channels.numSub([]byte("c")) != 1 {
			return fmt.Errorf("not subscribed yet")
		}
		return nil
	})
	admin.MustDo(t, "CONFIG", "SET", "client-output-buffer-limit", "pubsub 256kb 0 0")
	big := strings.Repeat("z", 32<<10)
	cut := false
	for i := 0; i < 1000 && !cut; i++ {
		cut = admin.MustDo(t, "PUBLISH", "c", big) == ":0\r\n"
	}
	if !cut {
		t.Fatal("a subscriber 32 MB behind was not cut at a 256 KB limit")
	}

	admin.MustDo(t, "SET", "big", strings.Repeat("b", 2<<20))
	admin.MustDo(t, "CONFIG", "SET", "client-output-buffer-limit", "normal 1mb 0 0")
	reader := dial(t, srv)
	if r, err := reader.Do("GET", "big"); err == nil {
		t.Fatalf("a 2 MB reply passed a 1 MB normal hard limit (%d bytes)", len(r))
	}
	if r := admin.MustDo(t, "STRLEN", "big"); r != ":2097152\r\n" {
		t.Fatalf("small replies must pass: %q", r)
	}
}
