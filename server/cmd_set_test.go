package server

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/embercache/ember/internal/resptest"
	"github.com/embercache/ember/store"
)

// setMembers returns key's members, sorted, read through SMEMBERS.
func setMembers(t testing.TB, c *resptest.Conn, key string) []string {
	t.Helper()
	v, err := resptest.Parse(c.MustDo(t, "SMEMBERS", key))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range v.Elems {
		out = append(out, e.Str)
	}
	slices.Sort(out)
	return out
}

// parseStrings returns the strings of an array or set reply.
func parseStrings(t testing.TB, reply string) []string {
	t.Helper()
	v, err := resptest.Parse(reply)
	if err != nil {
		t.Fatalf("%q: %v", reply, err)
	}
	var out []string
	for _, e := range v.Elems {
		out = append(out, e.Str)
	}
	return out
}

// TestSetJournal checks the records the set commands emit: SADD and SREM
// themselves (nothing when nothing changed), SPOP what it removed, SMOVE a
// SREM and a SADD, the STORE variants the destination's final content.
func TestSetJournal(t *testing.T) {
	srv := startServer(t)
	j := captureJournal(t, srv)
	c := dial(t, srv)
	steps := []struct {
		cmd  string
		recs []string
	}{
		{"sadd s 3 1 2", []string{"0 SADD s 3 1 2"}},
		{"SADD s 1 2", nil},
		{"SREM s 9 x", nil},
		{"srem s 1 9", []string{"0 SREM s 1 9"}},
		{"SREM nokey 1", nil},
		{"SADD t a", []string{"0 SADD t a"}},
		{"SMOVE s t 2", []string{"0 SREM s 2", "0 SADD t 2"}},
		{"SADD t 3", []string{"0 SADD t 3"}},
		{"SMOVE s t 3", []string{"0 SREM s 3"}},
		{"SMOVE t t a", nil},
		{"SMOVE t u 9", nil},
		{"SADD x1 1 2 3 4", []string{"0 SADD x1 1 2 3 4"}},
		{"SADD x2 4 3 9", []string{"0 SADD x2 4 3 9"}},
		{"SINTERSTORE d x1 x2", []string{"0 SADD d 3 4"}},
		{"SUNIONSTORE d x1 x2", []string{"0 DEL d", "0 SADD d 1 2 3 4 9"}},
		{"SDIFFSTORE d x1 x2", []string{"0 DEL d", "0 SADD d 1 2"}},
		{"SDIFFSTORE d x1 x1", []string{"0 DEL d"}},
		{"SDIFFSTORE d x1 x1", nil},
		{"SINTERSTORE d x1 nokey", nil},
		{"SUNIONSTORE d nokey", nil},
		{"SADD one z", []string{"0 SADD one z"}},
		{"SPOP one", []string{"0 SREM one z"}},
		{"SADD p 5 6 7", []string{"0 SADD p 5 6 7"}},
		{"SPOP p 0", nil},
		{"SPOP p 3", []string{"0 DEL p"}},
		{"SPOP p 3", nil},
		{"SPOP nokey", nil},
	}
	for _, st := range steps {
		j.expect(t, c, st.cmd, st.recs)
	}
	// Random pops journal exactly what they replied, as SREM.
	for _, count := range []string{"2", "9"} { // both of SPOP's strategies
		c.MustDo(t, "DEL", "r")
		members := make([]string, 10)
		for i := range members {
			members[i] = "m" + strconv.Itoa(i)
		}
		c.MustDo(t, append([]string{"SADD", "r"}, members...)...)
		j.Take()
		popped := parseStrings(t, c.MustDo(t, "SPOP", "r", count))
		recs := j.Take()
		if len(recs) != 1 || !strings.HasPrefix(recs[0], "0 SREM r ") {
			t.Fatalf("SPOP r %s: records %q", count, recs)
		}
		got := strings.Fields(recs[0])[3:]
		if !slices.Equal(sorted(got), sorted(popped)) {
			t.Fatalf("SPOP r %s: journaled %q, replied %q", count, got, popped)
		}
	}
}

// TestSetJournalReplay runs a random mix of set commands and replays the
// journal on a second server: every key must end with the same members.
func TestSetJournalReplay(t *testing.T) {
	srv := startServer(t)
	replica := startServer(t)
	var mu sync.Mutex
	var recs [][]string
	cancel := srv.Store().Journal().Subscribe(func(m *store.Mutation) {
		args := make([]string, len(m.Args))
		for i, a := range m.Args {
			args[i] = string(a)
		}
		mu.Lock()
		recs = append(recs, args)
		mu.Unlock()
	})
	defer cancel()
	c := dial(t, srv)
	r := rand.New(rand.NewPCG(3, 4))
	key := func() string { return "k" + strconv.Itoa(r.IntN(6)) }
	member := func() string {
		if r.IntN(5) == 0 {
			return "s" + strconv.Itoa(r.IntN(10))
		}
		return strconv.Itoa(r.IntN(40))
	}
	for i := 0; i < 3000; i++ {
		var args []string
		switch r.IntN(10) {
		case 0, 1, 2:
			args = []string{"SADD", key(), member(), member()}
		case 3:
			args = []string{"SREM", key(), member(), member()}
		case 4:
			args = []string{"SPOP", key()}
		case 5:
			args = []string{"SPOP", key(), strconv.Itoa(r.IntN(12))}
		case 6:
			args = []string{"SMOVE", key(), key(), member()}
		case 7:
			args = []string{[]string{"SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"}[r.IntN(3)], key(), key(), key()}
		case 8:
			args = []string{"SDIFFSTORE", key(), key()}
		default:
			args = []string{"SUNIONSTORE", key(), key()}
		}
		c.MustDo(t, args...)
	}
	rc := dial(t, replica)
	mu.Lock()
	for _, rec := range recs {
		rc.MustDo(t, rec...)
	}
	mu.Unlock()
	for i := 0; i < 6; i++ {
		k := "k" + strconv.Itoa(i)
		if a, b := setMembers(t, c, k), setMembers(t, rc, k); !slices.Equal(a, b) {
			t.Fatalf("%s: %q on the primary, %q replayed", k, a, b)
		}
	}
}

// TestSetAtomicity moves members between two sets with SMOVE from several
// clients while others read the union (SUNIONSTORE, SUNION, SINTERCARD):
// every reader must see all members, exactly once, at every moment.
func TestSetAtomicity(t *testing.T) {
	srv := startServer(t, "--shards", "16")
	c := dial(t, srv)
	const n = 50
	for i := 0; i < n; i++ {
		c.MustDo(t, "SADD", "a{x}"+strconv.Itoa(i%2), "m"+strconv.Itoa(i))
	}
	var wg sync.WaitGroup
	errs := make(chan string, 10)
	for w := 0; w < 3; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			mc := dial(t, srv)
			r := rand.New(rand.NewPCG(uint64(w), 1))
			for i := 0; i < 400; i++ {
				from := r.IntN(2)
				mc.MustDo(t, "SMOVE", "a{x}"+strconv.Itoa(from), "a{x}"+strconv.Itoa(1-from), "m"+strconv.Itoa(r.IntN(n)))
			}
		}(w)
	}
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			rc := dial(t, srv)
			dst := "u" + strconv.Itoa(w)
			for i := 0; i < 300; i++ {
				if got := rc.MustDo(t, "SUNIONSTORE", dst, "a{x}0", "a{x}1"); got != ":50\r\n" {
					errs <- "SUNIONSTORE: " + got
					return
				}
				if got := rc.MustDo(t, "SINTERCARD", "2", "a{x}0", "a{x}1"); got != ":0\r\n" {
					errs <- "SINTERCARD: " + got
					return
				}
				if got := parseStrings(t, rc.MustDo(t, "SUNION", "a{x}0", "a{x}1")); len(got) != n {
					errs <- fmt.Sprintf("SUNION: %d members", len(got))
					return
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// TestSpopCount checks SPOP with a count in both strategies: the popped
// members are distinct members of the set, and what remains is the rest.
func TestSpopCount(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	for _, tc := range []struct {
		prefix string
		size   int
		count  int
	}{{"", 100, 3}, {"", 100, 90}, {"m", 100, 3}, {"m", 100, 90}, {"", 600, 590}, {"m", 20, 19}} {
		all := make([]string, tc.size)
		for i := range all {
			all[i] = tc.prefix + strconv.Itoa(i)
		}
		c.MustDo(t, "DEL", "p")
		c.MustDo(t, append([]string{"SADD", "p"}, all...)...)
		popped := parseStrings(t, c.MustDo(t, "SPOP", "p", strconv.Itoa(tc.count)))
		rest := setMembers(t, c, "p")
		if len(popped) != tc.count || len(rest) != tc.size-tc.count {
			t.Fatalf("%+v: popped %d, left %d", tc, len(popped), len(rest))
		}
		if got := sorted(append(popped, rest...)); !slices.Equal(got, sorted(all)) {
			t.Fatalf("%+v: popped and remaining members are not the set", tc)
		}
	}
}

// TestSrandmember checks the members SRANDMEMBER returns: from the set,
// distinct for a positive count (both of its strategies), repeated as
// asked for a negative one.
func TestSrandmember(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	for _, prefix := range []string{"", "m"} {
		key := "r" + prefix
		in := map[string]bool{}
		args := []string{"SADD", key}
		for i := 0; i < 60; i++ {
			in[prefix+strconv.Itoa(i)] = true
			args = append(args, prefix+strconv.Itoa(i))
		}
		c.MustDo(t, args...)
		for _, count := range []int{1, 5, 19, 20, 21, 59, 60, 100, -1, -5, -100} {
			got := parseStrings(t, c.MustDo(t, "SRANDMEMBER", key, strconv.Itoa(count)))
			want := min(count, 60)
			if count < 0 {
				want = -count
			}
			if len(got) != want {
				t.Fatalf("%s %d: %d members", key, count, len(got))
			}
			seen := map[string]bool{}
			for _, m := range got {
				if !in[m] || (count > 0 && seen[m]) {
					t.Fatalf("%s %d: %q not a member or repeated", key, count, m)
				}
				seen[m] = true
			}
		}
	}
}

// TestSrandmemberHugeCount asks for 2^63-1 random members: ember streams
// the reply (bounded memory, no lock held) until the client goes away,
// and serves others meanwhile.
func TestSrandmemberHugeCount(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	c.MustDo(t, "SADD", "h", "a", "b", "1")
	s := dial(t, srv)
	if err := s.Write(resptest.Encode("SRANDMEMBER", "h", "-9223372036854775807")); err != nil {
		t.Fatal(err)
	}
	readStreamed(t, s, "*9223372036854775807\r\n$", 4<<20)
	// The key's shard is not held: writers proceed while the reply streams.
	if got := c.MustDo(t, "SADD", "h", "c"); got != ":1\r\n" {
		t.Fatalf("SADD during the stream: %q", got)
	}
	s.Close()
	waitConnected(t, c, 1)
}

// TestSetMemoryAccounting runs random set commands and checks the store's
// used memory equals the sum of its entries' sizes, then returns to zero.
func TestSetMemoryAccounting(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	r := rand.New(rand.NewPCG(5, 6))
	key := func() string { return "k" + strconv.Itoa(r.IntN(5)) }
	member := func() string {
		switch r.IntN(8) {
		case 0:
			return "str" + strconv.Itoa(r.IntN(30))
		case 1:
			return strconv.Itoa(r.IntN(1 << 30))
		}
		return strconv.Itoa(r.IntN(700))
	}
	for i := 0; i < 5000; i++ {
		switch r.IntN(8) {
		case 0, 1, 2:
			args := []string{"SADD", key()}
			for n := r.IntN(20); n >= 0; n-- {
				args = append(args, member())
			}
			c.MustDo(t, args...)
		case 3:
			c.MustDo(t, "SREM", key(), member(), member(), member())
		case 4:
			c.MustDo(t, "SPOP", key(), strconv.Itoa(r.IntN(300)))
		case 5:
			c.MustDo(t, "SMOVE", key(), key(), member())
		case 6:
			c.MustDo(t, []string{"SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"}[r.IntN(3)], key(), key(), key())
		default:
			c.MustDo(t, "SPOP", key())
		}
	}
	checkUsedMemory(t, srv)
	c.MustDo(t, "FLUSHALL")
	c.MustDo(t, "SADD", "x", "1")
	c.MustDo(t, "SREM", "x", "1")
	if used := srv.Store().UsedMemory(); used != 0 {
		t.Fatalf("used_memory %d after emptying", used)
	}
}

// TestSscanHashtable iterates a large hashtable set with small COUNTs
// while members are added and removed between calls: every member present
// throughout is returned.
func TestSscanHashtable(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	args := []string{"SADD", "h"}
	for i := 0; i < 1000; i++ {
		args = append(args, "stable"+strconv.Itoa(i))
	}
	c.MustDo(t, args...)
	seen := map[string]bool{}
	for _, v := range scanChurning(t, c, "SSCAN", "h", func(calls int) {
		churn := []string{"SADD", "h"}
		if calls%2 == 1 {
			churn[0] = "SREM"
		}
		for i := 0; i < 300; i++ {
			churn = append(churn, "churn"+strconv.Itoa(i))
		}
		c.MustDo(t, churn...)
	}) {
		for _, e := range v.Elems {
			seen[e.Str] = true
		}
	}
	for i := 0; i < 1000; i++ {
		if !seen["stable"+strconv.Itoa(i)] {
			t.Fatalf("stable%d never returned", i)
		}
	}
}

// TestSetZeroAlloc checks that reads and no-op writes of sets allocate
// nothing per call, and that SINTER/SINTERCARD of a huge set with a tiny
// one do not copy the huge one.
func TestSetZeroAlloc(t *testing.T) {
	srv := startServer(t)
	c := strClient(t, srv)
	strDo(c, "SADD", "i", "1", "2", "3", "40000")
	strDo(c, "SADD", "h", "a", "b", "c", "1")
	big := []string{"SADD", "big"}
	for i := 0; i < 20000; i++ {
		big = append(big, "m"+strconv.Itoa(i))
	}
	strDo(c, big...)
	strDo(c, "SADD", "tiny", "m5", "zz")
	checkZeroAlloc(t, c, [][]string{
		{"SISMEMBER", "i", "2"}, {"SISMEMBER", "h", "b"}, {"SISMEMBER", "h", "zz"},
		{"SMISMEMBER", "i", "1", "x"}, {"SCARD", "h"}, {"SCARD", "nosuch"},
		{"SADD", "i", "2"}, {"SADD", "h", "a"}, {"SREM", "i", "9"}, {"SREM", "h", "zz"},
		{"SMEMBERS", "i"}, {"SMEMBERS", "h"}, {"SRANDMEMBER", "i"}, {"SRANDMEMBER", "h"},
		{"SINTERCARD", "2", "big", "tiny"}, {"SINTER", "big", "tiny"},
		{"SINTERCARD", "2", "tiny", "big", "LIMIT", "1"},
	})
	if got := strDo(c, "SINTER", "big", "tiny"); got != "~1\r\n$2\r\nm5\r\n" && got != "*1\r\n$2\r\nm5\r\n" {
		t.Fatalf("SINTER: %q", got)
	}
}

// BenchmarkSet runs set commands through the dispatcher on an in-process
// client.
func BenchmarkSet(b *testing.B) {
	srv := startServer(b)
	c := strClient(b, srv)
	strDo(c, "SADD", "ints", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10")
	strDo(c, "SADD", "strs", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j")
	for _, bc := range []struct {
		name string
		cmd  [][]string
	}{
		{"SISMEMBER_intset", [][]string{{"SISMEMBER", "ints", "7"}}},
		{"SISMEMBER_hashtable", [][]string{{"SISMEMBER", "strs", "g"}}},
		{"SADD_SREM_intset", [][]string{{"SADD", "ints", "11"}, {"SREM", "ints", "11"}}},
		{"SADD_SPOP_hashtable", [][]string{{"SADD", "pop", "element"}, {"SPOP", "pop"}}},
		{"SMEMBERS_hashtable", [][]string{{"SMEMBERS", "strs"}}},
	} {
		cmds := make([][][]byte, len(bc.cmd))
		for i, w := range bc.cmd {
			cmds[i] = strArgs(w...)
		}
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				for _, args := range cmds {
					c.out = c.out[:0]
					c.execute(args)
				}
			}
		})
	}
}
