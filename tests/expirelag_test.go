package tests

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/embercache/ember/internal/resptest"
)

// Expired-event lag: how long after a key's expiry time its "expired"
// keyspace event reaches a subscriber. The servers run as separate
// processes (the ember binary, redis-server), keys are named after their
// expiry time, and a subscriber on __keyevent@0__:expired records
// arrival − expiry for each.

// expiryKey is the name of a measured key: prefix, expiry (unix ms), index.
func expiryKey(prefix string, at int64, i int) string {
	return prefix + strconv.FormatInt(at, 10) + ":" + strconv.Itoa(i)
}

// loadExpiring writes n keys named expiryKey(prefix, at, i) with PXAT at,
// at spread uniformly over [from, from+span), pipelined on one connection,
// and returns how long that took.
func loadExpiring(t testing.TB, addr, prefix string, n int, from int64, span time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	done := make(chan error, 1)
	go func() {
		br := bufio.NewReaderSize(conn, 64<<10)
		for i := 0; i < n; i++ {
			line, err := br.ReadSlice('\n')
			if err != nil {
				done <- err
				return
			}
			if string(line) != "+OK\r\n" {
				done <- fmt.Errorf("SET: %q", line)
				return
			}
		}
		done <- nil
	}()
	bw := bufio.NewWriterSize(conn, 64<<10)
	spanMs := span.Milliseconds()
	var b []byte
	for i := 0; i < n; i++ {
		at := from + int64(i)*spanMs/int64(n)
		b = append(b[:0], "*5\r\n$3\r\nSET\r\n$"...)
		k := expiryKey(prefix, at, i)
		b = strconv.AppendInt(b, int64(len(k)), 10)
		b = append(b, "\r\n"...)
		b = append(b, k...)
		b = append(b, "\r\n$1\r\nv\r\n$4\r\nPXAT\r\n$13\r\n"...)
		b = strconv.AppendInt(b, at, 10)
		b = append(b, "\r\n"...)
		bw.Write(b)
	}
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	return time.Since(start)
}

// expiredListener is a connection subscribed to __keyevent@0__:expired.
type expiredListener struct {
	conn net.Conn
	br   *bufio.Reader
}

func listenExpired(t testing.TB, addr string) *expiredListener {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	l := &expiredListener{conn: conn, br: bufio.NewReaderSize(conn, 256<<10)}
	if _, err := conn.Write(resptest.Encode("SUBSCRIBE", "__keyevent@0__:expired")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := l.next(); err != nil { // the confirmation
		t.Fatal(err)
	}
	return l
}

// next reads one three-element frame and returns its last element and
// its first.
func (l *expiredListener) next() (last, first []byte, err error) {
	var elems [3][]byte
	line, err := l.br.ReadSlice('\n')
	if err != nil {
		return nil, nil, err
	}
	if string(line) != "*3\r\n" {
		return nil, nil, fmt.Errorf("unexpected frame %q", line)
	}
	for i := range elems {
		line, err := l.br.ReadSlice('\n')
		if err != nil {
			return nil, nil, err
		}
		if line[0] == ':' {
			elems[i] = nil
			continue
		}
		n, err := strconv.Atoi(string(line[1 : len(line)-2]))
		if err != nil {
			return nil, nil, fmt.Errorf("bad length %q", line)
		}
		elems[i] = make([]byte, n+2)
		if _, err := io.ReadFull(l.br, elems[i]); err != nil {
			return nil, nil, err
		}
		elems[i] = elems[i][:n]
	}
	return elems[2], elems[0], nil
}

// lagStats are the lags (arrival − expiry, ms) of the keys seen.
type lagStats struct {
	lags []int64
	seen map[string]bool
	dups int
	err  error
}

// collect reads events until want keys with prefix arrived, the
// connection fails or the deadline passes.
func (l *expiredListener) collect(prefix string, want int, deadline time.Time) *lagStats {
	st := &lagStats{seen: make(map[string]bool, want)}
	_ = l.conn.SetReadDeadline(deadline)
	defer l.conn.SetReadDeadline(time.Time{})
	for len(st.seen) < want {
		key, kind, err := l.next()
		if err != nil {
			var ne net.Error
			if !errors.As(err, &ne) || !ne.Timeout() {
				st.err = err
			}
			return st
		}
		now := time.Now().UnixMilli()
		if string(kind) != "message" || !bytes.HasPrefix(key, []byte(prefix)) {
			continue
		}
		if st.seen[string(key)] {
			st.dups++
			continue
		}
		st.seen[string(key)] = true
		rest := key[len(prefix):]
		at, _ := strconv.ParseInt(string(rest[:bytes.IndexByte(rest, ':')]), 10, 64)
		st.lags = append(st.lags, now-at)
	}
	return st
}

func (st *lagStats) summary(want int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d of %d events", len(st.lags), want)
	if st.dups > 0 {
		fmt.Fprintf(&b, " (%d duplicates)", st.dups)
	}
	if st.err != nil {
		fmt.Fprintf(&b, " (connection: %v)", st.err)
	}
	if len(st.lags) > 0 {
		l := slices.Clone(st.lags)
		slices.Sort(l)
		q := func(p float64) int64 { return l[min(len(l)-1, int(p*float64(len(l))))] }
		fmt.Fprintf(&b, ": lag p50 %d ms, p99 %d ms, max %d ms", q(0.50), q(0.99), l[len(l)-1])
	}
	return b.String()
}

// TestExpiredEvents: every key with a TTL produces exactly one "expired"
// event soon after its expiry while many other keys wait with later TTLs.
// The suite's small version of TestExpiredLagVsRedis: it reports the lag
// and asserts only completeness.
func TestExpiredEvents(t *testing.T) {
	p := startEmber(t, "--notify-keyspace-events", "Ex")
	l := listenExpired(t, p.addr)
	now := time.Now().UnixMilli()
	loadExpiring(t, p.addr, "bg:", 50000, now+3600_000, time.Hour)
	const n = 5000
	loadExpiring(t, p.addr, "probe:", n, time.Now().UnixMilli()+1000, 500*time.Millisecond)
	st := l.collect("probe:", n, time.Now().Add(20*time.Second))
	t.Logf("ember, 50,000 idle keys with TTLs, %d expiring over 0.5 s: %s", n, st.summary(n))
	if len(st.seen) != n || st.dups != 0 || st.err != nil {
		t.Fatalf("%s", st.summary(n))
	}
}

// TestExpiredLagVsRedis measures, on demand (EMBER_EXPIRE_LAG=1; key
// count EMBER_EXPIRE_LAG_KEYS, default 1,000,000), the lag of "expired"
// events for ember and redis-server side by side, in two settings:
//
//  1. that many idle keys with TTLs an hour away, and 2,000 probe keys
//     expiring over 3 s;
//  2. that many keys all expiring over 3 s.
//
// Both servers get "client-output-buffer-limit pubsub 0 0 0" so that a
// listener behind a burst of events is not cut off. It reports p50, p99
// and max, and asserts nothing about time.
func TestExpiredLagVsRedis(t *testing.T) {
	if os.Getenv("EMBER_EXPIRE_LAG") == "" {
		t.Skip("set EMBER_EXPIRE_LAG=1 to measure expired-event lag against redis-server")
	}
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("EMBER_EXPIRE_LAG_KEYS")); err == nil && v > 0 {
		n = v
	}
	opts := []string{"--notify-keyspace-events", "Ex", "--client-output-buffer-limit", "pubsub 0 0 0"}
	targets := []struct{ name, addr string }{
		{"ember", startEmber(t, opts...).addr},
		{"redis", resptest.StartRedis(t, opts...)},
	}
	const probes = 2000
	for _, tg := range targets {
		l := listenExpired(t, tg.addr)
		took := loadExpiring(t, tg.addr, "bg:", n, time.Now().UnixMilli()+3600_000, time.Hour)
		t.Logf("%s: loaded %d idle keys in %v", tg.name, n, took.Round(time.Millisecond))
		from := time.Now().UnixMilli() + 1000
		loadExpiring(t, tg.addr, "probe:", probes, from, 3*time.Second)
		st := l.collect("probe:", probes, time.Now().Add(60*time.Second))
		t.Logf("%s: %d idle keys, %d probes expiring over 3 s: %s", tg.name, n, probes, st.summary(probes))

		c := resptest.MustDial(t, tg.addr)
		c.MustDo(t, "FLUSHALL")
		// Expiries start once every key is written (the load above took
		// `took`; allow it twice over).
		from = time.Now().UnixMilli() + 2*took.Milliseconds() + 1000
		loadExpiring(t, tg.addr, "all:", n, from, 3*time.Second)
		if now := time.Now().UnixMilli(); now > from {
			t.Logf("%s: the load ran %d ms into the expiry window", tg.name, now-from)
		}
		st = l.collect("all:", n, time.Now().Add(time.Until(time.UnixMilli(from))+120*time.Second))
		t.Logf("%s: %d keys expiring over 3 s: %s", tg.name, n, st.summary(n))
		c.MustDo(t, "FLUSHALL")
	}
}
