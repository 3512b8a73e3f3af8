package server

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/embercache/ember/internal/resptest"
)

// TestHashJournal checks the records hash writes emit: HSET for HSET,
// HMSET and HSETNX (whatever the client's spelling), the resulting value
// for HINCRBY and HINCRBYFLOAT, HDEL as sent; nothing for writes that
// changed nothing or failed.
func TestHashJournal(t *testing.T) {
	srv := startServer(t)
	j := captureJournal(t, srv)
	c := dial(t, srv)
	for _, step := range []struct {
		cmd  []string
		recs []string
	}{
		{[]string{"hset", "h", "a", "1", "b", "2"}, []string{"0 HSET h a 1 b 2"}},
		{[]string{"HMSET", "h", "a", "3"}, []string{"0 HSET h a 3"}},
		{[]string{"HSETNX", "h", "a", "9"}, nil},
		{[]string{"hsetnx", "h", "c", "4"}, []string{"0 HSET h c 4"}},
		{[]string{"HINCRBY", "h", "a", "10"}, []string{"0 HSET h a 13"}},
		{[]string{"HINCRBY", "h", "n", "-2"}, []string{"0 HSET h n -2"}},
		{[]string{"HINCRBYFLOAT", "h", "a", "0.5"}, []string{"0 HSET h a 13.5"}},
		{[]string{"HINCRBYFLOAT", "h", "f", "1e2"}, []string{"0 HSET h f 100"}},
		{[]string{"HINCRBY", "h", "b", "x"}, nil},
		{[]string{"HSET", "h", "s", "str"}, []string{"0 HSET h s str"}},
		{[]string{"HINCRBY", "h", "s", "1"}, nil},
		{[]string{"HINCRBYFLOAT", "h", "s", "1"}, nil},
		{[]string{"HDEL", "h", "nosuch"}, nil},
		{[]string{"hdel", "h", "a", "nosuch", "b"}, []string{"0 HDEL h a nosuch b"}},
		{[]string{"HDEL", "nokey", "a"}, nil},
		{[]string{"HDEL", "h", "c", "n", "f", "s"}, []string{"0 HDEL h c n f s"}},
		{[]string{"EXISTS", "h"}, nil},
		{[]string{"SET", "str", "v"}, []string{"0 SET str v"}},
		{[]string{"HSET", "str", "a", "1"}, nil},
		{[]string{"HGET", "str", "a"}, nil},
	} {
		c.MustDo(t, step.cmd...)
		if got := j.Take(); !slices.Equal(got, step.recs) {
			t.Errorf("%q: records %q, want %q", step.cmd, got, step.recs)
		}
	}
}

// TestHashJournalReplays drives random hash writes, replays their journal
// on a second server, and requires the same hashes, in the same order
// (insertion order, where the hash is compact) and encodings.
func TestHashJournalReplays(t *testing.T) {
	src := startServer(t)
	dst := startServer(t)
	j := captureJournal(t, src)
	c, d := dial(t, src), dial(t, dst)
	r := rand.New(rand.NewPCG(5, 6))
	field := func() string { return "f" + strconv.Itoa(r.IntN(10)) }
	for i := 0; i < 3000; i++ {
		key := "h" + strconv.Itoa(r.IntN(4))
		switch r.IntN(6) {
		case 0, 1:
			c.MustDo(t, "HSET", key, field(), strconv.Itoa(r.IntN(100)), field(), strings.Repeat("v", r.IntN(70)))
		case 2:
			c.MustDo(t, "HINCRBY", key, field(), strconv.Itoa(r.IntN(11)-5))
		case 3:
			c.MustDo(t, "HINCRBYFLOAT", key, field(), []string{"0.1", "-2.5", "1e3", "3"}[r.IntN(4)])
		case 4:
			c.MustDo(t, "HDEL", key, field(), field())
		case 5:
			c.MustDo(t, "HSETNX", key, field(), "nx")
		}
	}
	for _, rec := range j.Take() {
		args := strings.Split(rec, " ")[1:]
		if args[0] == "HSET" || args[0] == "HDEL" || args[0] == "DEL" {
			d.MustDo(t, args...)
		} else {
			t.Fatalf("unexpected record %q", rec)
		}
	}
	for k := 0; k < 4; k++ {
		key := "h" + strconv.Itoa(k)
		enc := c.MustDo(t, "OBJECT", "ENCODING", key)
		if got := d.MustDo(t, "OBJECT", "ENCODING", key); got != enc {
			t.Fatalf("%s: encoding %q after replay, %q before", key, got, enc)
		}
		a, b := c.MustDo(t, "HGETALL", key), d.MustDo(t, "HGETALL", key)
		if strings.Contains(enc, "listpack") && a != b {
			t.Fatalf("%s: replay gives %q, want %q", key, b, a)
		}
		if !slices.Equal(hashPairs(t, a), hashPairs(t, b)) {
			t.Fatalf("%s: replay gives %q, want %q", key, b, a)
		}
	}
}

// hashPairs parses an HGETALL reply into sorted "field=value" strings.
func hashPairs(t testing.TB, raw string) []string {
	t.Helper()
	v, err := resptest.Parse(raw)
	if err != nil {
		t.Fatalf("parse %q: %v", raw, err)
	}
	var out []string
	for i := 0; i+1 < len(v.Elems); i += 2 {
		out = append(out, v.Elems[i].Str+"="+v.Elems[i+1].Str)
	}
	slices.Sort(out)
	return out
}

// TestHashZeroAlloc checks that the common hash commands allocate nothing
// per call once their key exists.
func TestHashZeroAlloc(t *testing.T) {
	srv := startServer(t)
	c := strClient(t, srv)
	strDo(c, "HSET", "h", "field:1", "value-1", "field:2", "value-2", "n", "10", "f", "1.5")
	for _, cmd := range [][]string{
		{"HSET", "h", "field:1", "value-1"}, {"HSET", "h", "field:2", "other"},
		{"HGET", "h", "field:1"}, {"HGET", "h", "field:2"}, {"HGET", "h", "n"}, {"HGET", "h", "nosuch"},
		{"HMGET", "h", "field:1", "n", "nosuch"}, {"HEXISTS", "h", "n"}, {"HLEN", "h"},
		{"HSTRLEN", "h", "field:2"}, {"HINCRBY", "h", "n", "1"}, {"HGETALL", "h"},
		{"HKEYS", "h"}, {"HVALS", "h"}, {"HSETNX", "h", "n", "1"}, {"HGET", "nokey", "f"},
	} {
		args := strArgs(cmd...)
		allocs := testing.AllocsPerRun(200, func() {
			c.out = c.out[:0]
			c.execute(args)
		})
		if allocs != 0 {
			t.Errorf("%q: %.1f allocs per call, reply %q", cmd, allocs, c.out)
		}
	}
}

// BenchmarkHash runs hash commands through the real dispatcher on an
// in-process client, on a compact hash of 10 fields.
func BenchmarkHash(b *testing.B) {
	srv := startServer(b)
	c := strClient(b, srv)
	hset := []string{"HSET", "h"}
	for i := 0; i < 10; i++ {
		hset = append(hset, "field:"+strconv.Itoa(i), "value-"+strconv.Itoa(i))
	}
	strDo(c, hset...)
	strDo(c, "HSET", "counter", "n", "0")
	strDo(c, "SET", "str", "VXK")
	for _, bc := range []struct {
		name string
		cmd  []string
	}{
		// redis-benchmark -t hset, and SET for scale.
		{"HSET1", []string{"HSET", "myhash", "element:__rand_int__", "VXK"}},
		{"SET", []string{"SET", "str", "VXK"}},
		{"HGET", []string{"HGET", "h", "field:7"}},
		{"HSET", []string{"HSET", "h", "field:5", "value-x"}},
		{"HINCRBY", []string{"HINCRBY", "counter", "n", "1"}},
		{"HGETALL", []string{"HGETALL", "h"}},
	} {
		args := strArgs(bc.cmd...)
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				c.out = c.out[:0]
				c.execute(args)
			}
		})
	}
}

// scanHash runs a whole HSCAN iteration and returns the field=value pairs
// it saw (with repeats) and the number of calls.
func scanHash(t testing.TB, c *resptest.Conn, key string, extra ...string) ([]string, int) {
	t.Helper()
	cursor, calls := "0", 0
	var out []string
	for {
		v, err := resptest.Parse(c.MustDo(t, append([]string{"HSCAN", key, cursor}, extra...)...))
		if err != nil || len(v.Elems) != 2 {
			t.Fatalf("HSCAN reply %v %v", v, err)
		}
		calls++
		elems := v.Elems[1].Elems
		if len(elems)%2 != 0 {
			t.Fatalf("HSCAN returned %d elements", len(elems))
		}
		for i := 0; i < len(elems); i += 2 {
			out = append(out, elems[i].Str+"="+elems[i+1].Str)
		}
		cursor = v.Elems[0].Str
		if cursor == "0" {
			return out, calls
		}
		if calls > 100000 {
			t.Fatal("HSCAN does not end")
		}
	}
}

// TestHscanHashtable checks HSCAN over a hashtable against Redis (the same
// pairs, as sets, with and without MATCH; COUNT bounding each call), and
// its guarantee: fields present for the whole iteration are returned even
// while the hash grows and shrinks between calls.
func TestHscanHashtable(t *testing.T) {
	srv := startServer(t)
	e := dial(t, srv)
	r := resptest.MustDial(t, resptest.StartRedis(t))
	args := []string{"HSET", "big"}
	for i := 0; i < 2000; i++ {
		args = append(args, "f"+strconv.Itoa(i), "v"+strconv.Itoa(i*7))
	}
	e.MustDo(t, args...)
	r.MustDo(t, args...)
	for _, extra := range [][]string{nil, {"COUNT", "7"}, {"MATCH", "f1*"}, {"MATCH", "f1*", "COUNT", "1000"}, {"MATCH", "nomatch"}} {
		got, calls := scanHash(t, e, "big", extra...)
		want, _ := scanHash(t, r, "big", extra...)
		slices.Sort(got)
		got = slices.Compact(got)
		slices.Sort(want)
		want = slices.Compact(want)
		if !slices.Equal(got, want) {
			t.Errorf("HSCAN %q: %d pairs, Redis %d", extra, len(got), len(want))
		}
		if len(extra) == 0 && (calls < 2000/20 || calls > 2000) {
			t.Errorf("HSCAN with COUNT 10 took %d calls for 2000 fields", calls)
		}
	}
	// Each call returns about COUNT elements (fields and values count).
	v, _ := resptest.Parse(e.MustDo(t, "HSCAN", "big", "0", "COUNT", "100"))
	if n := len(v.Elems[1].Elems); n < 100 || n > 200 {
		t.Errorf("HSCAN COUNT 100 returned %d elements", n)
	}

	// Stable fields are all seen while others come and go.
	cursor := "0"
	seen := map[string]bool{}
	for step := 0; ; step++ {
		v, _ := resptest.Parse(e.MustDo(t, "HSCAN", "big", cursor, "COUNT", "20"))
		for i := 0; i < len(v.Elems[1].Elems); i += 2 {
			seen[v.Elems[1].Elems[i].Str] = true
		}
		if step%2 == 0 {
			var add []string
			for k := 0; k < 300; k++ {
				add = append(add, fmt.Sprintf("tmp%d_%d", step, k), "x")
			}
			e.MustDo(t, append([]string{"HSET", "big"}, add...)...)
		} else {
			var del []string
			for k := 0; k < 300; k++ {
				del = append(del, fmt.Sprintf("tmp%d_%d", step-1, k))
			}
			e.MustDo(t, append([]string{"HDEL", "big"}, del...)...)
		}
		cursor = v.Elems[0].Str
		if cursor == "0" {
			break
		}
	}
	for i := 0; i < 2000; i++ {
		if !seen["f"+strconv.Itoa(i)] {
			t.Fatalf("f%d never returned while the hash was resized", i)
		}
	}
}

// TestHashtableContents compares a big hash's HGETALL, HKEYS and HVALS with
// Redis's as sets of pairs (the order of a hashtable is unspecified).
func TestHashtableContents(t *testing.T) {
	srv := startServer(t)
	e := dial(t, srv)
	r := resptest.MustDial(t, resptest.StartRedis(t))
	args := []string{"HSET", "big"}
	for i := 0; i < 700; i++ {
		args = append(args, "field:"+strconv.Itoa(i), strconv.Itoa(i*i))
	}
	for _, c := range []*resptest.Conn{e, r} {
		c.MustDo(t, args...)
		c.MustDo(t, "HDEL", "big", "field:3", "field:600")
		c.MustDo(t, "HINCRBY", "big", "field:5", "1")
	}
	if got, want := hashPairs(t, e.MustDo(t, "HGETALL", "big")), hashPairs(t, r.MustDo(t, "HGETALL", "big")); !slices.Equal(got, want) {
		t.Fatalf("HGETALL differs: %d pairs, Redis %d", len(got), len(want))
	}
	if got := e.MustDo(t, "OBJECT", "ENCODING", "big"); got != r.MustDo(t, "OBJECT", "ENCODING", "big") {
		t.Fatalf("encoding %q", got)
	}
}

// TestHrandfield checks what transcripts can only compare by shape:
// distinct fields for a positive count, exactly |count| valid picks for a
// negative one, values that belong to their fields, RESP3 pairs.
func TestHrandfield(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	for _, n := range []int{5, 600} {
		key := "r" + strconv.Itoa(n)
		args := []string{"HSET", key}
		for i := 0; i < n; i++ {
			args = append(args, "f"+strconv.Itoa(i), "v"+strconv.Itoa(i))
		}
		c.MustDo(t, args...)
		for _, count := range []int{1, 3, n - 1, n, n + 3, -1, -7, -2 * n} {
			v, err := resptest.Parse(c.MustDo(t, "HRANDFIELD", key, strconv.Itoa(count), "WITHVALUES"))
			if err != nil {
				t.Fatal(err)
			}
			want := count
			if count > n {
				want = n
			}
			if count < 0 {
				want = -count
			}
			if len(v.Elems) != 2*want {
				t.Fatalf("%s count %d: %d elements, want %d", key, count, len(v.Elems), 2*want)
			}
			seen := map[string]bool{}
			for i := 0; i < len(v.Elems); i += 2 {
				f, val := v.Elems[i].Str, v.Elems[i+1].Str
				if "v"+strings.TrimPrefix(f, "f") != val {
					t.Fatalf("%s count %d: pair %q=%q", key, count, f, val)
				}
				if count > 0 && seen[f] {
					t.Fatalf("%s count %d: %q repeated", key, count, f)
				}
				seen[f] = true
			}
		}
	}
	c.MustDo(t, "HELLO", "3")
	v, _ := resptest.Parse(c.MustDo(t, "HRANDFIELD", "r600", "-4", "WITHVALUES"))
	if v.Type != '*' || len(v.Elems) != 4 {
		t.Fatalf("RESP3 HRANDFIELD -4 WITHVALUES: %v", v)
	}
	for _, p := range v.Elems {
		if p.Type != '*' || len(p.Elems) != 2 || "v"+strings.TrimPrefix(p.Elems[0].Str, "f") != p.Elems[1].Str {
			t.Fatalf("RESP3 pair %v", p)
		}
	}
}

// TestHashConcurrent runs clients incrementing and setting fields of the
// same hashes at once: no update is lost, and the hashes stay readable.
func TestHashConcurrent(t *testing.T) {
	srv := startServer(t)
	const clients, rounds = 6, 300
	var wg sync.WaitGroup
	for i := 0; i < clients; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := resptest.Dial(srv.Addr().String())
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close()
			for j := 0; j < rounds; j++ {
				key := "h" + strconv.Itoa(j%3)
				for _, cmd := range [][]string{
					{"HINCRBY", key, "n", "1"},
					{"HSET", key, fmt.Sprintf("c%d:%d", i, j), strings.Repeat("v", j%80)},
					{"HINCRBYFLOAT", key, "x", "0.5"},
					{"HGETALL", key},
				} {
					if r, err := c.Do(cmd...); err != nil || strings.HasPrefix(r, "-") {
						t.Errorf("%q: %q %v", cmd, r, err)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	c := dial(t, srv)
	total := 0
	for k := 0; k < 3; k++ {
		v, _ := resptest.Parse(c.MustDo(t, "HGET", "h"+strconv.Itoa(k), "n"))
		n, _ := strconv.Atoi(v.Str)
		total += n
		if got := c.MustDo(t, "HLEN", "h"+strconv.Itoa(k)); got != ":"+strconv.Itoa(2+clients*rounds/3)+"\r\n" {
			t.Errorf("HLEN h%d = %q", k, got)
		}
	}
	if total != clients*rounds {
		t.Fatalf("HINCRBY total %d, want %d", total, clients*rounds)
	}
}

// TestHashTTLSurvivesGrowth grows a hash with a TTL until its entry is
// reallocated several times: the TTL stays, and expiry still finds it.
func TestHashTTLSurvivesGrowth(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	c.MustDo(t, "HSET", "h", "f0", "v")
	c.MustDo(t, "PEXPIRE", "h", "300")
	for i := 1; i < 100; i++ {
		c.MustDo(t, "HSET", "h", "field:"+strconv.Itoa(i), strings.Repeat("x", i%50))
	}
	if r := c.MustDo(t, "PTTL", "h"); r == ":-1\r\n" || r == ":-2\r\n" {
		t.Fatalf("PTTL after growth: %q", r)
	}
	checkFor(t, 5*time.Second, 20*time.Millisecond, func() error {
		srv.Store().ExpireNow()
		if r := c.MustDo(t, "DBSIZE"); r != ":0\r\n" {
			return fmt.Errorf("DBSIZE %q after the TTL", r)
		}
		return nil
	})
	if used := srv.Store().UsedMemory(); used != 0 {
		t.Fatalf("used memory %d after the hash expired", used)
	}
}
