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
	"github.com/embercache/ember/store"
)

// zsetDump returns key's members and scores as "member=score" strings, in
// order, read through ZRANGE WITHSCORES.
func zsetDump(t testing.TB, c *resptest.Conn, key string) []string {
	t.Helper()
	s := parseStrings(t, c.MustDo(t, "ZRANGE", key, "0", "-1", "WITHSCORES"))
	var out []string
	for i := 0; i+1 < len(s); i += 2 {
		out = append(out, s[i]+"="+s[i+1])
	}
	return out
}

// TestZsetJournal checks the records the sorted set commands emit: ZADD
// with resolved scores of what changed, ZREM of what was removed (pops
// included), ZREMRANGEBYRANK with the ranks removed, the STORE commands'
// final content, and nothing for no-ops.
func TestZsetJournal(t *testing.T) {
	srv := startServer(t)
	j := captureJournal(t, srv)
	c := dial(t, srv)
	steps := []struct {
		cmd  string
		recs []string
	}{
		{"ZADD z 1 a 2 b", []string{"0 ZADD z 1 a 2 b"}},
		{"ZADD z 1 a 2 b", nil},
		{"ZADD z CH 5 a 2 b 0.5 c", []string{"0 ZADD z 5 a 0.5 c"}},
		{"ZADD z NX 9 a 3 d", []string{"0 ZADD z 3 d"}},
		{"ZADD z XX 9 nope", nil},
		{"ZADD z GT 1 a 7 b", []string{"0 ZADD z 7 b"}},
		{"ZADD z LT 8 a 1 b", []string{"0 ZADD z 1 b"}},
		{"ZADD z INCR 0.25 c", []string{"0 ZADD z 0.75 c"}},
		{"ZINCRBY z 0 c", nil},
		{"ZINCRBY z -1 c", []string{"0 ZADD z -0.25 c"}},
		{"ZINCRBY z 1e17 c", []string{"0 ZADD z 1e+17 c"}},
		{"ZADD z inf c", []string{"0 ZADD z inf c"}},
		{"ZINCRBY z -inf c", nil}, // NaN: an error, nothing changed
		{"ZREM z c nope", []string{"0 ZREM z c"}},
		{"ZREM z nope", nil},
		{"ZPOPMIN z", []string{"0 ZREM z b"}},
		{"ZPOPMAX z 0", nil},
		{"ZADD z 10 e 11 f 12 g", []string{"0 ZADD z 10 e 11 f 12 g"}},
		{"ZPOPMAX z 2", []string{"0 ZREM z g f"}},
		{"ZMPOP 2 nokey z MIN COUNT 1", []string{"0 ZREM z d"}},
		{"ZREMRANGEBYSCORE z 100 200", nil},
		{"ZADD z 1 x 2 y 3 w", []string{"0 ZADD z 1 x 2 y 3 w"}},
		{"ZREMRANGEBYSCORE z (1 3", []string{"0 ZREMRANGEBYRANK z 1 2"}},
		{"ZREMRANGEBYRANK z -1 -1", []string{"0 ZREMRANGEBYRANK z 2 2"}},
		{"ZADD l 0 a 0 b 0 c", []string{"0 ZADD l 0 a 0 b 0 c"}},
		{"ZREMRANGEBYLEX l (a +", []string{"0 ZREMRANGEBYRANK l 1 2"}},
		{"ZUNIONSTORE d 2 z l WEIGHTS 2 1", []string{"0 ZADD d 0 a 2 x 10 a2"}},
		{"ZINTERSTORE d 2 z l", []string{"0 DEL d"}},
		{"ZINTERSTORE d 2 z l", nil},
		{"ZRANGESTORE d z 0 0", []string{"0 ZADD d 1 x"}},
		{"ZRANGESTORE d z 5 9", []string{"0 DEL d"}},
		{"ZDIFFSTORE d 2 z l", []string{"0 ZADD d 1 x 5 a2"}},
		{"ZRANGE z 0 -1", nil},
		{"ZPOPMIN l 5", []string{"0 ZREM l a"}},
	}
	for _, st := range steps {
		if st.cmd == "ZUNIONSTORE d 2 z l WEIGHTS 2 1" {
			// z holds x=1, a=5 at this point (see above); make the
			// expected record exact.
			c.MustDo(t, "ZREM", "z", "a")
			c.MustDo(t, "ZADD", "z", "5", "a2")
			j.Take()
		}
		j.expect(t, c, st.cmd, st.recs)
	}
	// A long ZADD is split into batches.
	args := []string{"ZADD", "big"}
	for i := 0; i < zjournalBatch+10; i++ {
		args = append(args, strconv.Itoa(i), "m"+strconv.Itoa(i))
	}
	c.MustDo(t, args...)
	recs := j.Take()
	if len(recs) != 2 || len(strings.Fields(recs[0])) != 3+2*zjournalBatch || len(strings.Fields(recs[1])) != 3+20 {
		t.Fatalf("ZADD of %d members: %d records", zjournalBatch+10, len(recs))
	}
}

// TestZsetJournalReplay runs a random mix of sorted set commands and
// replays the journal on a second server: every key must end the same.
func TestZsetJournalReplay(t *testing.T) {
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
	c.MustDo(t, "CONFIG", "SET", "zset-max-listpack-entries", "16")
	replica.cfg.Set("zset-max-listpack-entries", "16")
	r := rand.New(rand.NewPCG(8, 9))
	key := func() string { return "k" + strconv.Itoa(r.IntN(6)) }
	member := func() string { return "m" + strconv.Itoa(r.IntN(30)) }
	score := func() string {
		return []string{"1", "2.5", "-3", "0.1", "1e10", "inf", "-inf", "7", "1e-3"}[r.IntN(9)]
	}
	for i := 0; i < 4000; i++ {
		var args []string
		switch r.IntN(12) {
		case 0, 1, 2:
			args = []string{"ZADD", key()}
			if r.IntN(3) == 0 {
				args = append(args, []string{"NX", "XX", "GT", "LT", "CH"}[r.IntN(5)])
			}
			for n := r.IntN(4); n >= 0; n-- {
				args = append(args, score(), member())
			}
		case 3:
			args = []string{"ZINCRBY", key(), score(), member()}
		case 4:
			args = []string{"ZREM", key(), member(), member()}
		case 5:
			args = []string{[]string{"ZPOPMIN", "ZPOPMAX"}[r.IntN(2)], key(), strconv.Itoa(r.IntN(4))}
		case 6:
			args = []string{"ZMPOP", "2", key(), key(), "MAX", "COUNT", "2"}
		case 7:
			args = []string{"ZREMRANGEBYSCORE", key(), "(1", "10"}
		case 8:
			args = []string{"ZREMRANGEBYRANK", key(), "1", "2"}
		case 9:
			args = []string{[]string{"ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE"}[r.IntN(3)], key(), "2", key(), key()}
		case 10:
			args = []string{"ZRANGESTORE", key(), key(), "0", strconv.Itoa(r.IntN(20))}
		default:
			args = []string{"ZADD", key(), "INCR", score(), member()}
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
		if a, b := zsetDump(t, c, k), zsetDump(t, rc, k); !slices.Equal(a, b) {
			t.Fatalf("%s: %q on the primary, %q replayed", k, a, b)
		}
		if a, b := c.MustDo(t, "OBJECT", "ENCODING", k), rc.MustDo(t, "OBJECT", "ENCODING", k); a != b {
			t.Fatalf("%s: encoding %q on the primary, %q replayed", k, a, b)
		}
	}
}

// TestZrankWithscore checks Redis 7.2's ZRANK/ZREVRANK ... WITHSCORE,
// which the 7.0 reference server lacks, in both protocols.
func TestZrankWithscore(t *testing.T) {
	srv := startServer(t)
	c := strClient(t, srv)
	strDo(c, "ZADD", "z", "1.5", "a", "2", "b", "inf", "c")
	for _, resp3 := range []bool{false, true} {
		c.resp3 = resp3
		null, nullArr, score := "$-1\r\n", "*-1\r\n", func(s string) string { return "$" + strconv.Itoa(len(s)) + "\r\n" + s + "\r\n" }
		if resp3 {
			null, nullArr, score = "_\r\n", "_\r\n", func(s string) string { return "," + s + "\r\n" }
		}
		for _, st := range []struct{ cmd, want string }{
			{"ZRANK z a WITHSCORE", "*2\r\n:0\r\n" + score("1.5")},
			{"ZRANK z c withscore", "*2\r\n:2\r\n" + score("inf")},
			{"ZREVRANK z a WITHSCORE", "*2\r\n:2\r\n" + score("1.5")},
			{"ZREVRANK z b WiThScOrE", "*2\r\n:1\r\n" + score("2")},
			{"ZRANK z nope WITHSCORE", nullArr},
			{"ZRANK nokey a WITHSCORE", nullArr},
			{"ZREVRANK nokey a WITHSCORE", nullArr},
			{"ZRANK z nope", null},
			{"ZRANK z b", ":1\r\n"},
			{"ZRANK z a WITHSCORES", "-ERR syntax error\r\n"},
			{"ZRANK nokey a foo", "-ERR syntax error\r\n"},
			{"ZRANK z a WITHSCORE x", "-ERR wrong number of arguments for 'zrank' command\r\n"},
			{"ZREVRANK z a WITHSCORE x", "-ERR wrong number of arguments for 'zrevrank' command\r\n"},
			{"ZRANK z", "-ERR wrong number of arguments for 'zrank' command\r\n"},
		} {
			if got := strDo(c, strings.Fields(st.cmd)...); got != st.want {
				t.Errorf("resp3=%v %s: %q, want %q", resp3, st.cmd, got, st.want)
			}
		}
	}
	strPutKind(srv, "h", store.KindHash, 0)
	if got := strDo(c, "ZRANK", "h", "a", "WITHSCORE"); got != "-"+errWrongType+"\r\n" {
		t.Errorf("WRONGTYPE: %q", got)
	}
}

// blockedClients returns INFO's blocked_clients.
func blockedClients(t testing.TB, c *resptest.Conn) int {
	t.Helper()
	n, _ := strconv.Atoi(infoFields(t, c.MustDo(t, "INFO", "clients"))["clients"]["blocked_clients"])
	return n
}

// sendBlocked sends a blocking command on a new connection and waits
// until the server has it blocked (n clients blocked in all).
func sendBlocked(t *testing.T, srv *Server, ctl *resptest.Conn, n int, args ...string) *resptest.Conn {
	t.Helper()
	b := dial(t, srv)
	if err := b.Write(resptest.Encode(args...)); err != nil {
		t.Fatal(err)
	}
	checkFor(t, 5*time.Second, time.Millisecond, func() error {
		if got := blockedClients(t, ctl); got != n {
			return fmt.Errorf("%d clients blocked, want %d", got, n)
		}
		return nil
	})
	return b
}

// readReply reads one reply, failing after a generous deadline.
func readReply(t *testing.T, c *resptest.Conn) string {
	t.Helper()
	r, err := c.ReadTimeout(5 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestZsetBlocking checks BZPOPMIN, BZPOPMAX and BZMPOP across clients:
// first come first served, several keys, wake-ups by every command that
// fills a sorted set, timeouts, the journal of a served pop, and RESP3.
func TestZsetBlocking(t *testing.T) {
	srv := startServer(t)
	ctl := dial(t, srv)
	j := captureJournal(t, srv)

	// Three clients wait on q; one ZADD of two members serves the first
	// two in order, the lowest member first.
	b1 := sendBlocked(t, srv, ctl, 1, "BZPOPMIN", "q", "0")
	b2 := sendBlocked(t, srv, ctl, 2, "BZPOPMIN", "q", "0")
	b3 := sendBlocked(t, srv, ctl, 3, "BZPOPMAX", "other", "q", "0")
	j.Take()
	if got := ctl.MustDo(t, "ZADD", "q", "2", "b", "1", "a"); got != ":2\r\n" {
		t.Fatalf("ZADD: %q", got)
	}
	if got := readReply(t, b1); got != "*3\r\n$1\r\nq\r\n$1\r\na\r\n$1\r\n1\r\n" {
		t.Fatalf("first waiter: %q", got)
	}
	if got := readReply(t, b2); got != "*3\r\n$1\r\nq\r\n$1\r\nb\r\n$1\r\n2\r\n" {
		t.Fatalf("second waiter: %q", got)
	}
	if recs := j.Take(); !slices.Equal(recs, []string{"0 ZADD q 2 b 1 a", "0 ZREM q a", "0 ZREM q b"}) {
		t.Fatalf("records %q", recs)
	}
	if n := blockedClients(t, ctl); n != 1 {
		t.Fatalf("%d still blocked", n)
	}
	// The third waits on two keys: ZINCRBY fills the second.
	ctl.MustDo(t, "ZINCRBY", "q", "5", "c")
	if got := readReply(t, b3); got != "*3\r\n$1\r\nq\r\n$1\r\nc\r\n$1\r\n5\r\n" {
		t.Fatalf("third waiter: %q", got)
	}
	if got := ctl.MustDo(t, "EXISTS", "q"); got != ":0\r\n" {
		t.Fatalf("q after the pops: %q", got)
	}

	// BZMPOP takes up to COUNT members; the destinations of ZUNIONSTORE
	// and ZRANGESTORE wake waiters too.
	ctl.MustDo(t, "ZADD", "src", "1", "x", "2", "y", "3", "z")
	for _, fill := range [][]string{
		{"ZUNIONSTORE", "dst", "1", "src"},
		{"ZRANGESTORE", "dst", "src", "0", "-1"},
		{"ZINTERSTORE", "dst", "2", "src", "src"},
		{"ZDIFFSTORE", "dst", "1", "src"},
	} {
		b := sendBlocked(t, srv, ctl, 1, "BZMPOP", "0", "1", "dst", "MAX", "COUNT", "2")
		ctl.MustDo(t, fill...)
		want := "*2\r\n$3\r\ndst\r\n*2\r\n*2\r\n$1\r\nz\r\n$1\r\n3\r\n*2\r\n$1\r\ny\r\n$1\r\n2\r\n"
		if fill[0] == "ZINTERSTORE" {
			want = "*2\r\n$3\r\ndst\r\n*2\r\n*2\r\n$1\r\nz\r\n$1\r\n6\r\n*2\r\n$1\r\ny\r\n$1\r\n4\r\n"
		}
		if got := readReply(t, b); got != want {
			t.Fatalf("after %s: %q", fill[0], got)
		}
		ctl.MustDo(t, "DEL", "dst")
	}

	// Timeouts answer a null array.
	b := sendBlocked(t, srv, ctl, 1, "BZPOPMIN", "none", "0.05")
	if got := readReply(t, b); got != "*-1\r\n" {
		t.Fatalf("timeout: %q", got)
	}
	b = sendBlocked(t, srv, ctl, 1, "BZMPOP", "0.05", "1", "none", "MIN")
	if got := readReply(t, b); got != "*-1\r\n" {
		t.Fatalf("BZMPOP timeout: %q", got)
	}

	// A key that turns into another type: the waiter gets WRONGTYPE when
	// the next key it waits on is filled (Redis 7.2 runs the command again).
	b = sendBlocked(t, srv, ctl, 1, "BZPOPMIN", "s1", "s2", "0")
	ctl.MustDo(t, "SET", "s1", "str")
	ctl.MustDo(t, "ZADD", "s2", "1", "m")
	if got := readReply(t, b); got != "-"+errWrongType+"\r\n" {
		t.Fatalf("wrong type: %q", got)
	}

	// RESP3: a double for the score, nested pairs for BZMPOP.
	r3 := dial(t, srv)
	r3.MustDo(t, "HELLO", "3")
	if err := r3.Write(resptest.Encode("BZPOPMIN", "r3", "0")); err != nil {
		t.Fatal(err)
	}
	checkFor(t, 5*time.Second, time.Millisecond, func() error {
		if n := blockedClients(t, ctl); n != 1 {
			return fmt.Errorf("%d blocked", n)
		}
		return nil
	})
	ctl.MustDo(t, "ZADD", "r3", "2.5", "m")
	if got := readReply(t, r3); got != "*3\r\n$2\r\nr3\r\n$1\r\nm\r\n,2.5\r\n" {
		t.Fatalf("RESP3 BZPOPMIN: %q", got)
	}
}

// TestZrandmemberHugeCount asks for 2^63-1 random members: ember streams
// the reply (bounded memory, no lock held) until the client goes away,
// and serves others meanwhile.
func TestZrandmemberHugeCount(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	c.MustDo(t, "ZADD", "h", "1", "a", "2", "b", "3", "c")
	for _, withScores := range []bool{false, true} {
		s := dial(t, srv)
		args := []string{"ZRANDMEMBER", "h", "-9223372036854775807"}
		prefix := "*9223372036854775807\r\n$"
		if withScores {
			args = []string{"ZRANDMEMBER", "h", "-4611686018427387903", "WITHSCORES"}
			prefix = "*9223372036854775806\r\n$"
		}
		if err := s.Write(resptest.Encode(args...)); err != nil {
			t.Fatal(err)
		}
		readStreamed(t, s, prefix, 4<<20)
		if got := c.MustDo(t, "ZADD", "h", "4", "d"+strconv.FormatBool(withScores)); got != ":1\r\n" {
			t.Fatalf("ZADD during the stream: %q", got)
		}
		s.Close()
		waitConnected(t, c, 1)
	}
}

// TestZrandmemberDistinct checks positive counts return distinct members
// of the set, in both encodings and all three strategies.
func TestZrandmemberDistinct(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	args := []string{"ZADD", "big"}
	for i := 0; i < 300; i++ {
		args = append(args, strconv.Itoa(i), "m"+strconv.Itoa(i))
	}
	c.MustDo(t, args...)
	c.MustDo(t, "ZADD", "small", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e")
	for _, key := range []string{"big", "small"} {
		for _, count := range []int{1, 2, 4, 50, 150, 299, 300, 1000} {
			got := parseStrings(t, c.MustDo(t, "ZRANDMEMBER", key, strconv.Itoa(count), "WITHSCORES"))
			seen := map[string]bool{}
			for i := 0; i < len(got); i += 2 {
				m, s := got[i], got[i+1]
				if seen[m] {
					t.Fatalf("%s %d: %s twice", key, count, m)
				}
				seen[m] = true
				if want := strDump(c, t, key, m); want != s {
					t.Fatalf("%s %d: %s scores %s, want %s", key, count, m, s, want)
				}
			}
			size := 300
			if key == "small" {
				size = 5
			}
			if len(seen) != min(count, size) {
				t.Fatalf("%s %d: %d members", key, count, len(seen))
			}
		}
	}
}

func strDump(c *resptest.Conn, t *testing.T, key, m string) string {
	t.Helper()
	v := mustParse(t, c.MustDo(t, "ZSCORE", key, m))
	return v.Str
}

// TestZsetMemoryAccounting runs random sorted set commands and checks the
// store's used memory equals the sum of its entries' sizes, then returns
// to zero.
func TestZsetMemoryAccounting(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	c.MustDo(t, "CONFIG", "SET", "zset-max-listpack-entries", "20")
	r := rand.New(rand.NewPCG(5, 6))
	key := func() string { return "k" + strconv.Itoa(r.IntN(5)) }
	member := func() string {
		if r.IntN(30) == 0 {
			return strings.Repeat("L", 70)
		}
		return "m" + strconv.Itoa(r.IntN(60))
	}
	for i := 0; i < 5000; i++ {
		switch r.IntN(8) {
		case 0, 1, 2:
			args := []string{"ZADD", key()}
			for n := r.IntN(10); n >= 0; n-- {
				args = append(args, strconv.Itoa(r.IntN(100)), member())
			}
			c.MustDo(t, args...)
		case 3:
			c.MustDo(t, "ZREM", key(), member(), member(), member())
		case 4:
			c.MustDo(t, "ZPOPMIN", key(), strconv.Itoa(r.IntN(10)))
		case 5:
			c.MustDo(t, "ZREMRANGEBYSCORE", key(), "0", strconv.Itoa(r.IntN(20)))
		case 6:
			c.MustDo(t, []string{"ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE"}[r.IntN(3)], key(), "2", key(), key())
		default:
			c.MustDo(t, "ZINCRBY", key(), "1.5", member())
		}
	}
	checkUsedMemory(t, srv)
	for i := 0; i < 5; i++ {
		c.MustDo(t, "ZREMRANGEBYRANK", "k"+strconv.Itoa(i), "0", "-1")
	}
	if used := srv.Store().UsedMemory(); used != 0 {
		t.Fatalf("used_memory %d after emptying", used)
	}
}

// TestZscanSkiplist iterates a big sorted set with small COUNTs while
// members are added and removed between calls: every member present
// throughout is returned, with its score.
func TestZscanSkiplist(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	args := []string{"ZADD", "h"}
	for i := 0; i < 1000; i++ {
		args = append(args, strconv.Itoa(i), "stable"+strconv.Itoa(i))
	}
	c.MustDo(t, args...)
	seen := map[string]bool{}
	for _, v := range scanChurning(t, c, "ZSCAN", "h", func(calls int) {
		churn := []string{"ZADD", "h"}
		if calls%2 == 1 {
			churn = []string{"ZREM", "h"}
		}
		for i := 0; i < 300; i++ {
			if churn[0] == "ZADD" {
				churn = append(churn, "1")
			}
			churn = append(churn, "churn"+strconv.Itoa(i))
		}
		c.MustDo(t, churn...)
	}) {
		if len(v.Elems)%2 != 0 {
			t.Fatalf("odd ZSCAN reply: %v", v)
		}
		for i := 0; i < len(v.Elems); i += 2 {
			m, s := v.Elems[i].Str, v.Elems[i+1].Str
			if strings.HasPrefix(m, "stable") && m[len("stable"):] != s {
				t.Fatalf("%s scores %s", m, s)
			}
			seen[m] = true
		}
	}
	for i := 0; i < 1000; i++ {
		if !seen["stable"+strconv.Itoa(i)] {
			t.Fatalf("stable%d never returned", i)
		}
	}
}

// TestZsetZeroAlloc checks that reads and no-op writes of sorted sets
// allocate nothing per call.
func TestZsetZeroAlloc(t *testing.T) {
	srv := startServer(t)
	c := strClient(t, srv)
	strDo(c, "ZADD", "lp", "1", "a", "2", "b", "3.5", "c")
	big := []string{"ZADD", "sl"}
	for i := 0; i < 300; i++ {
		big = append(big, strconv.Itoa(i), "m"+strconv.Itoa(i))
	}
	strDo(c, big...)
	for _, key := range []string{"lp", "sl"} {
		m := "b"
		if key == "sl" {
			m = "m7"
		}
		checkZeroAlloc(t, c, [][]string{
			{"ZSCORE", key, m}, {"ZMSCORE", key, m, "x"}, {"ZCARD", key}, {"ZRANK", key, m},
			{"ZREVRANK", key, m, "WITHSCORE"}, {"ZCOUNT", key, "(1", "+inf"}, {"ZLEXCOUNT", key, "-", "+"},
			{"ZRANGE", key, "0", "2", "WITHSCORES"}, {"ZRANGE", key, "0", "2", "REV"},
			{"ZRANGEBYSCORE", key, "-inf", "2", "LIMIT", "0", "2"}, {"ZRANGE", key, "[a", "+", "BYLEX", "LIMIT", "0", "3"},
			{"ZADD", key, "2", m}, {"ZADD", key, "XX", "1", "nope"}, {"ZREM", key, "nope"},
			{"ZRANDMEMBER", key}, {"ZSCAN", "nokey", "0"}, {"ZCARD", "nokey"},
		})
	}
}

// BenchmarkZset runs sorted set commands through the dispatcher on an
// in-process client.
func BenchmarkZset(b *testing.B) {
	srv := startServer(b)
	c := strClient(b, srv)
	args := []string{"ZADD", "z"}
	for i := 0; i < 20; i++ {
		args = append(args, strconv.Itoa(i), "m:"+strconv.Itoa(i))
	}
	strDo(c, args...)
	for _, cmd := range [][]string{
		{"ZADD", "z", "7", "m:7"},
		{"ZADD", "z", "100", "m:7"},
		{"ZSCORE", "z", "m:12"},
		{"ZRANK", "z", "m:12"},
		{"ZRANGE", "z", "0", "-1", "WITHSCORES"},
	} {
		b.Run(strings.Join(cmd, " "), func(b *testing.B) {
			a := strArgs(cmd...)
			b.ReportAllocs()
			for b.Loop() {
				c.out = c.out[:0]
				c.execute(a)
			}
		})
	}
}
