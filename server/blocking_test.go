package server

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/embercache/ember/internal/resptest"
	"github.com/embercache/ember/store"
)

// Tests of the blocking machinery (blocking.go) through the list commands:
// several clients, wake-up order, timeouts, every way a key can be fed,
// CLIENT UNBLOCK, disconnections and kills. Nothing here asserts a
// duration: tests wait for the server to report the expected number of
// blocked clients before feeding keys, and replies are read with generous
// deadlines.

// infoInt returns an integer field of INFO as c sees it.
func infoInt(t *testing.T, c *resptest.Conn, field string) int64 {
	t.Helper()
	info := bulkText(t, c.MustDo(t, "INFO", "clients"))
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				t.Fatalf("INFO %s: %q", field, v)
			}
			return n
		}
	}
	t.Fatalf("INFO has no %s", field)
	return 0
}

// waitBlocked waits until INFO reports n blocked clients.
func waitBlocked(t *testing.T, admin *resptest.Conn, n int64) {
	t.Helper()
	checkFor(t, 5*time.Second, time.Millisecond, func() error {
		if got := infoInt(t, admin, "blocked_clients"); got != n {
			return fmt.Errorf("blocked_clients %d, want %d", got, n)
		}
		return nil
	})
}

// waitIdle waits until no client is blocked and checks that no key is
// left in the registry.
func waitIdle(t *testing.T, admin *resptest.Conn) {
	t.Helper()
	waitBlocked(t, admin, 0)
	if n := infoInt(t, admin, "total_blocking_keys"); n != 0 {
		t.Fatalf("total_blocking_keys %d with no client blocked", n)
	}
}

// blocker is a client and the blocking command it sends.
type blocker struct {
	c    *resptest.Conn
	args []string
}

// blockInOrder sends each blocker's command, waiting until the server has
// blocked it before sending the next, so their queue order is known.
func blockInOrder(t *testing.T, admin *resptest.Conn, bs ...blocker) {
	t.Helper()
	base := infoInt(t, admin, "blocked_clients")
	for i, b := range bs {
		send(t, b.c, b.args...)
		waitBlocked(t, admin, base+int64(i)+1)
	}
}

// words splits a command line on spaces.
func words(s string) []string { return strings.Fields(s) }

// send writes a command without reading its reply.
func send(t *testing.T, c *resptest.Conn, args ...string) {
	t.Helper()
	if err := c.Write(resptest.Encode(args...)); err != nil {
		t.Fatal(err)
	}
}

// expectReply reads one reply and compares it.
func expectReply(t *testing.T, c *resptest.Conn, want string) {
	t.Helper()
	got, err := c.ReadTimeout(5 * time.Second)
	if err != nil {
		t.Fatalf("reading reply (want %q): %v", want, err)
	}
	if got != want {
		t.Fatalf("reply %q, want %q", got, want)
	}
}

// expectNoReply checks that nothing arrives for a short while (the client
// is still blocked). It cannot prove a negative, only catch early replies.
func expectNoReply(t *testing.T, c *resptest.Conn) {
	t.Helper()
	if got, err := c.ReadTimeout(30 * time.Millisecond); err == nil {
		t.Fatalf("unexpected reply %q", got)
	}
}

// bulkArr encodes a RESP2 array of bulk strings.
func bulkArr(items ...string) string {
	s := "*" + strconv.Itoa(len(items)) + "\r\n"
	for _, it := range items {
		s += "$" + strconv.Itoa(len(it)) + "\r\n" + it + "\r\n"
	}
	return s
}

func bulk(s string) string { return "$" + strconv.Itoa(len(s)) + "\r\n" + s + "\r\n" }

// TestBlockFIFO: clients blocked on the same key are served in the order
// they blocked, one element each, by a single push.
func TestBlockFIFO(t *testing.T) {
	srv := startServer(t)
	admin := dial(t, srv)
	const n = 5
	var cs []*resptest.Conn
	var bs []blocker
	for i := 0; i < n; i++ {
		cs = append(cs, dial(t, srv))
		bs = append(bs, blocker{cs[i], words("BLPOP q 0")})
	}
	blockInOrder(t, admin, bs...)
	if r := admin.MustDo(t, "RPUSH", "q", "a", "b", "c"); r != ":3\r\n" {
		t.Fatalf("RPUSH replied %q (the length before serving)", r)
	}
	for i, v := range []string{"a", "b", "c"} {
		expectReply(t, cs[i], bulkArr("q", v))
	}
	waitBlocked(t, admin, 2)
	expectNoReply(t, cs[3])
	admin.MustDo(t, "LPUSH", "q", "x", "y")
	expectReply(t, cs[3], bulkArr("q", "y"))
	expectReply(t, cs[4], bulkArr("q", "x"))
	waitIdle(t, admin)
	if r := admin.MustDo(t, "EXISTS", "q"); r != ":0\r\n" {
		t.Fatalf("q left behind: %q", r)
	}
}

// TestBlockMultiKey: a client blocked on several keys is served from the
// key that received data, whatever its position; one blocked on the same
// key twice is queued once.
func TestBlockMultiKey(t *testing.T) {
	srv := startServer(t)
	admin := dial(t, srv)
	c := dial(t, srv)
	send(t, c, "BRPOP", "k1", "k2", "k3", "0")
	waitBlocked(t, admin, 1)
	if n := infoInt(t, admin, "total_blocking_keys"); n != 3 {
		t.Fatalf("total_blocking_keys %d", n)
	}
	admin.MustDo(t, "RPUSH", "k3", "a", "b")
	expectReply(t, c, bulkArr("k3", "b"))

	send(t, c, "BLPOP", "d", "d", "e", "0")
	waitBlocked(t, admin, 1)
	if n := infoInt(t, admin, "total_blocking_keys"); n != 2 {
		t.Fatalf("total_blocking_keys %d with a repeated key", n)
	}
	admin.MustDo(t, "RPUSH", "d", "v")
	expectReply(t, c, bulkArr("d", "v"))
	waitIdle(t, admin)
}

// TestBlockSwapdb: SWAPDB serves waiters of both databases; a client
// waiting on two keys that both get data at once is served once.
func TestBlockSwapdb(t *testing.T) {
	srv := startServer(t)
	admin := dial(t, srv)
	admin.MustDo(t, "SELECT", "1")
	admin.MustDo(t, "RPUSH", "q1", "one")
	admin.MustDo(t, "RPUSH", "q2", "two")
	c0 := dial(t, srv)
	send(t, c0, "BLPOP", "q1", "q2", "0")
	c1 := dial(t, srv)
	c1.MustDo(t, "SELECT", "1")
	send(t, c1, "BLPOP", "z", "0")
	waitBlocked(t, admin, 2)
	admin.MustDo(t, "SELECT", "0")
	admin.MustDo(t, "RPUSH", "z", "zed")
	// Nobody waits on db 0's z... until the swap moves it to db 1.
	expectNoReply(t, c1)
	if r := admin.MustDo(t, "SWAPDB", "0", "1"); r != "+OK\r\n" {
		t.Fatal(r)
	}
	expectReply(t, c0, bulkArr("q1", "one"))
	expectReply(t, c1, bulkArr("z", "zed"))
	waitBlocked(t, admin, 0)
	if r := admin.MustDo(t, "LRANGE", "q2", "0", "-1"); r != bulkArr("two") {
		t.Fatalf("q2: %q", r)
	}
}

// TestBlockTimeouts: the timeout replies of every blocking list command in
// both protocols, fractional timeouts, and tiny negative timeouts that
// round to "forever" as in Redis.
func TestBlockTimeouts(t *testing.T) {
	srv := startServer(t)
	admin := dial(t, srv)
	c := dial(t, srv)
	r3 := dial(t, srv)
	r3.MustDo(t, "HELLO", "3")
	cmds := [][]string{
		{"BLPOP", "nope", "0.02"},
		{"BRPOP", "nope", "nope2", ".02"},
		{"BLMOVE", "nope", "dst", "LEFT", "RIGHT", "0.02"},
		{"BRPOPLPUSH", "nope", "dst", "2e-2"},
		{"BLMPOP", "0x1p-6", "2", "nope", "nope2", "LEFT", "COUNT", "2"},
	}
	for _, cmd := range cmds {
		if r := c.MustDo(t, cmd...); r != "*-1\r\n" {
			t.Fatalf("%v: %q", cmd, r)
		}
		if r := r3.MustDo(t, cmd...); r != "_\r\n" {
			t.Fatalf("RESP3 %v: %q", cmd, r)
		}
	}
	waitBlocked(t, admin, 0)
	if r := admin.MustDo(t, "EXISTS", "dst"); r != ":0\r\n" {
		t.Fatal("a timed out BLMOVE created its destination")
	}
	// -0.0001 and -1e-3 seconds round up to 0 ms: block forever.
	for _, tm := range []string{"-0.0001", "-1e-3", "0", "-0"} {
		send(t, c, "BLPOP", "nope", tm)
		waitBlocked(t, admin, 1)
		send(t, c, "ECHO", tm) // queued behind the blocked command
		expectNoReply(t, c)
		admin.MustDo(t, "RPUSH", "nope", "v")
		expectReply(t, c, bulkArr("nope", "v"))
		expectReply(t, c, bulk(tm))
	}
}

// TestBlockTimeoutParse checks BlockTimeout's conversions directly.
func TestBlockTimeoutParse(t *testing.T) {
	srv := startServer(t)
	c := strClient(t, srv)
	for _, tc := range []struct {
		in   string
		want time.Duration
		err  string
	}{
		{"0", 0, ""},
		{"1", time.Second, ""},
		{"0.0001", time.Millisecond, ""}, // rounds up
		{"0.0009", time.Millisecond, ""},
		{"0.0011", 2 * time.Millisecond, ""},
		{"1e-300", time.Millisecond, ""},
		{"0x10", 16 * time.Second, ""},
		{"-0.0001", 0, ""},
		{"-0.001", 0, ""}, // 1e-3 in a long double times 1000 is just above -1
		{"-0.0011", 0, errTimeoutNegative},
		{"-1", 0, errTimeoutNegative},
		{"inf", 0, errTimeoutNegative},
		{"-inf", 0, errTimeoutNegative},
		{"1e300", 0, errTimeoutNegative},
		{"9223372036854775807", 0, errTimeoutNegative},
		{"9223372036854775.807", 0, ""}, // LLONG_MAX ms: forever in practice
		{"9223372036854775.808", 0, errTimeoutNegative},
		{"9223372036854", 0, ""}, // beyond time.Duration: forever
		{"nan", 0, errTimeoutNotFloat},
		{"abc", 0, errTimeoutNotFloat},
		{" 1", 0, errTimeoutNotFloat},
		{"", 0, errTimeoutNotFloat},
	} {
		c.out = c.out[:0]
		d, ok := BlockTimeout(c, []byte(tc.in))
		if tc.err != "" {
			if ok || string(c.out) != "-"+tc.err+"\r\n" {
				t.Errorf("%q: ok=%v reply %q, want %q", tc.in, ok, c.out, tc.err)
			}
			continue
		}
		if !ok || d != tc.want {
			t.Errorf("%q: %v %v (reply %q), want %v", tc.in, d, ok, c.out, tc.want)
		}
	}
}

// TestBlockServedBy: every way of feeding a key serves its waiter, and the
// pusher's journal records are followed by the served pop.
func TestBlockServedBy(t *testing.T) {
	srv := startServer(t)
	j := captureJournal(t, srv)
	admin := dial(t, srv)
	c := dial(t, srv)
	other := dial(t, srv)

	steps := []struct {
		name  string
		feed  func()
		reply string
		recs  []string
	}{
		{"RPUSH", func() { admin.MustDo(t, "RPUSH", "k", "v1") }, bulkArr("k", "v1"),
			[]string{"0 RPUSH k v1", "0 LPOP k"}},
		{"LMOVE", func() {
			admin.MustDo(t, "RPUSH", "src", "v2")
			admin.MustDo(t, "LMOVE", "src", "k", "LEFT", "RIGHT")
		}, bulkArr("k", "v2"), []string{"0 RPUSH src v2", "0 LMOVE src k LEFT RIGHT", "0 LPOP k"}},
		{"RENAME", func() {
			admin.MustDo(t, "RPUSH", "tmp", "v3", "v4")
			admin.MustDo(t, "RENAME", "tmp", "k")
		}, bulkArr("k", "v3"), []string{"0 RPUSH tmp v3 v4", "0 RENAME tmp k", "0 LPOP k"}},
		{"COPY", func() { admin.MustDo(t, "COPY", "src2", "k") },
			bulkArr("k", "c1"), []string{"0 COPY src2 k", "0 LPOP k"}},
		{"MOVE", func() {
			other.MustDo(t, "RPUSH", "mv", "m1")
			other.MustDo(t, "MOVE", "mv", "0")
		}, bulkArr("mv", "m1"), []string{"1 RPUSH mv m1", "1 MOVE mv 0", "0 LPOP mv"}},
	}
	admin.MustDo(t, "RPUSH", "src2", "c1")
	other.MustDo(t, "SELECT", "1")
	for _, s := range steps {
		key := "k"
		if s.name == "MOVE" {
			key = "mv"
		}
		admin.MustDo(t, "DEL", key) // what an earlier step left
		j.Take()
		send(t, c, "BLPOP", key, "0")
		waitBlocked(t, admin, 1)
		s.feed()
		expectReply(t, c, s.reply)
		waitBlocked(t, admin, 0)
		if recs := j.Take(); strings.Join(recs, "|") != strings.Join(s.recs, "|") {
			t.Fatalf("%s: journal %q, want %q", s.name, recs, s.recs)
		}
	}
}

// TestBlockChain: BLMOVE waiters feed each other within the push that
// started the chain, and the journal records each step in order.
func TestBlockChain(t *testing.T) {
	srv := startServer(t)
	j := captureJournal(t, srv)
	admin := dial(t, srv)
	a, b, c := dial(t, srv), dial(t, srv), dial(t, srv)
	blockInOrder(t, admin,
		blocker{a, words("BLMOVE c1 c2 RIGHT LEFT 0")},
		blocker{b, words("BRPOPLPUSH c2 c3 0")},
		blocker{c, words("BLMPOP 0 2 c4 c3 RIGHT COUNT 5")})
	admin.MustDo(t, "RPUSH", "c1", "v")
	expectReply(t, a, bulk("v"))
	expectReply(t, b, bulk("v"))
	expectReply(t, c, "*2\r\n$2\r\nc3\r\n*1\r\n$1\r\nv\r\n")
	waitBlocked(t, admin, 0)
	want := []string{"0 RPUSH c1 v", "0 LMOVE c1 c2 RIGHT LEFT", "0 LMOVE c2 c3 RIGHT LEFT", "0 RPOP c3 1"}
	if recs := j.Take(); strings.Join(recs, "|") != strings.Join(want, "|") {
		t.Fatalf("journal %q, want %q", recs, want)
	}
	if r := admin.MustDo(t, "EXISTS", "c1", "c2", "c3"); r != ":0\r\n" {
		t.Fatalf("chain left data: %q", r)
	}

	// A rotation (source = destination) followed by a pop of the same key,
	// both blocked: Redis serves them in order within the push.
	blockInOrder(t, admin, blocker{a, words("BLMOVE r r RIGHT LEFT 0")}, blocker{b, words("BLPOP r 0")})
	admin.MustDo(t, "RPUSH", "r", "1", "2")
	expectReply(t, a, bulk("2"))
	expectReply(t, b, bulkArr("r", "2"))
	if r := admin.MustDo(t, "LRANGE", "r", "0", "-1"); r != bulkArr("1") {
		t.Fatalf("r: %q", r)
	}
}

// TestBlockKeyChangesType: a waited key that is created as (or renamed
// to) a non-list leaves the client blocked, as in Redis 7.0; once it is a
// list again the client is served.
func TestBlockKeyChangesType(t *testing.T) {
	srv := startServer(t)
	admin := dial(t, srv)
	c := dial(t, srv)
	send(t, c, "BLPOP", "k", "0")
	waitBlocked(t, admin, 1)
	admin.MustDo(t, "SET", "k", "str")
	admin.MustDo(t, "SET", "s", "other")
	admin.MustDo(t, "RENAME", "s", "k")
	expectNoReply(t, c)
	waitBlocked(t, admin, 1)
	admin.MustDo(t, "DEL", "k")
	admin.MustDo(t, "RPUSH", "k", "v")
	expectReply(t, c, bulkArr("k", "v"))

	// Blocked on a string and a list: served from the list.
	send(t, c, "BLPOP", "str", "lst", "0")
	waitBlocked(t, admin, 1)
	admin.MustDo(t, "SET", "str", "x")
	admin.MustDo(t, "RPUSH", "lst", "y")
	expectReply(t, c, bulkArr("lst", "y"))

	// BLMOVE whose destination became a string: WRONGTYPE when served,
	// and the element stays in the source for the next waiter.
	d := dial(t, srv)
	blockInOrder(t, admin, blocker{c, words("BLMOVE src dst LEFT RIGHT 0")}, blocker{d, words("BLPOP src 0")})
	admin.MustDo(t, "SET", "dst", "str")
	admin.MustDo(t, "RPUSH", "src", "e1", "e2")
	expectReply(t, c, "-"+errWrongType+"\r\n")
	expectReply(t, d, bulkArr("src", "e1"))
	if r := admin.MustDo(t, "LRANGE", "src", "0", "-1"); r != bulkArr("e2") {
		t.Fatalf("src: %q", r)
	}
}

// TestClientUnblock: CLIENT UNBLOCK with TIMEOUT and ERROR for every
// blocking list command, in both protocols; :0 for clients not blocked.
func TestClientUnblock(t *testing.T) {
	srv := startServer(t)
	admin := dial(t, srv)
	c := dial(t, srv)
	id := strings.TrimSuffix(strings.TrimPrefix(c.MustDo(t, "CLIENT", "ID"), ":"), "\r\n")
	if r := admin.MustDo(t, "CLIENT", "UNBLOCK", id); r != ":0\r\n" {
		t.Fatalf("not blocked: %q", r)
	}
	cmds := [][]string{
		{"BLPOP", "k", "0"},
		{"BRPOP", "k", "k2", "100"},
		{"BLMOVE", "k", "d", "LEFT", "RIGHT", "0"},
		{"BRPOPLPUSH", "k", "d", "0"},
		{"BLMPOP", "0", "1", "k", "LEFT"},
	}
	for _, proto := range []string{"2", "3"} {
		c.MustDo(t, "HELLO", proto)
		null := "*-1\r\n"
		if proto == "3" {
			null = "_\r\n"
		}
		for _, cmd := range cmds {
			for _, mode := range []string{"", "TIMEOUT", "error"} {
				send(t, c, cmd...)
				waitBlocked(t, admin, 1)
				args := []string{"CLIENT", "UNBLOCK", id}
				if mode != "" {
					args = append(args, mode)
				}
				if r := admin.MustDo(t, args...); r != ":1\r\n" {
					t.Fatalf("%v %s: %q", cmd, mode, r)
				}
				if mode == "error" {
					expectReply(t, c, "-"+errUnblockedByClient+"\r\n")
				} else {
					expectReply(t, c, null)
				}
				waitBlocked(t, admin, 0)
			}
		}
	}
	if r := admin.MustDo(t, "CLIENT", "UNBLOCK", id, "ERROR"); r != ":0\r\n" {
		t.Fatalf("after: %q", r)
	}
	// The unblocked client took nothing: a later push stays.
	admin.MustDo(t, "RPUSH", "k", "v")
	if r := admin.MustDo(t, "LLEN", "k"); r != ":1\r\n" {
		t.Fatalf("LLEN %q", r)
	}
}

// TestBlockDisconnect: a blocked client that hangs up, or is killed, is
// unregistered at once: no blocked clients remain and a later push is not
// swallowed by a dead waiter.
func TestBlockDisconnect(t *testing.T) {
	srv := startServer(t)
	admin := dial(t, srv)
	for _, how := range []string{"close", "kill", "kill-id"} {
		c := dial(t, srv)
		id := strings.TrimSuffix(strings.TrimPrefix(c.MustDo(t, "CLIENT", "ID"), ":"), "\r\n")
		send(t, c, "BLPOP", "gone", "0")
		waitBlocked(t, admin, 1)
		switch how {
		case "close":
			c.Close()
		case "kill":
			admin.MustDo(t, "CLIENT", "KILL", "SKIPME", "yes")
		case "kill-id":
			admin.MustDo(t, "CLIENT", "KILL", "ID", id)
		}
		waitIdle(t, admin)
		checkFor(t, 5*time.Second, time.Millisecond, func() error {
			if n := infoInt(t, admin, "connected_clients"); n != 1 {
				return fmt.Errorf("%s: %d clients", how, n)
			}
			return nil
		})
		admin.MustDo(t, "RPUSH", "gone", "v")
		if r := admin.MustDo(t, "LLEN", "gone"); r != ":1\r\n" {
			t.Fatalf("%s: LLEN %q", how, r)
		}
		admin.MustDo(t, "DEL", "gone")
	}
}

// TestBlockPipeline: replies of commands pipelined before a blocking one
// are sent while it waits; commands pipelined after it run after it is
// served, in order.
func TestBlockPipeline(t *testing.T) {
	srv := startServer(t)
	admin := dial(t, srv)
	c := dial(t, srv)
	var b []byte
	b = append(b, resptest.Encode("PING")...)
	b = append(b, resptest.Encode("BLPOP", "p", "0")...)
	b = append(b, resptest.Encode("ECHO", "after")...)
	if err := c.Write(b); err != nil {
		t.Fatal(err)
	}
	expectReply(t, c, "+PONG\r\n")
	waitBlocked(t, admin, 1)
	// More commands sent while blocked wait for it too.
	send(t, c, "ECHO", "later")
	send(t, c, "LLEN", "p")
	expectNoReply(t, c)
	admin.MustDo(t, "RPUSH", "p", "x", "y")
	expectReply(t, c, bulkArr("p", "x"))
	expectReply(t, c, bulk("after"))
	expectReply(t, c, bulk("later"))
	expectReply(t, c, ":1\r\n")
}

// TestBlockDeferredShard: when the shard of a waiter's destination is busy
// while the feeding command holds its locks, the waiter is served right
// after the command unlocks, before the command replies.
func TestBlockDeferredShard(t *testing.T) {
	srv := startServer(t)
	admin := dial(t, srv)
	c := dial(t, srv)
	st := srv.Store()
	src, dst := "dsrc", keysInOtherShards(st, "ddst", 1, "dsrc")[0]
	send(t, c, "BLMOVE", src, dst, "LEFT", "LEFT", "0")
	waitBlocked(t, admin, 1)
	hold := store.NewTx(st)
	hold.LockKey(st.DB(0), []byte(dst), true)
	pushed := make(chan string, 1)
	go func() {
		r, _ := admin.Do("RPUSH", src, "v")
		pushed <- r
	}()
	// The push cannot finish while dst's shard is held: it is waiting to
	// serve the deferred waiter.
	select {
	case r := <-pushed:
		hold.Unlock()
		t.Fatalf("push finished while the destination's shard was held: %q", r)
	case <-time.After(30 * time.Millisecond):
	}
	hold.Unlock()
	if r := <-pushed; r != ":1\r\n" {
		t.Fatalf("RPUSH %q", r)
	}
	expectReply(t, c, bulk("v"))
	if r := admin.MustDo(t, "LRANGE", dst, "0", "-1"); r != bulkArr("v") {
		t.Fatalf("dst %q", r)
	}
}

// keysInOtherShards returns n keys (prefix + number) whose shards differ
// from each other and from those of avoid, in database 0.
func keysInOtherShards(st *store.Store, prefix string, n int, avoid ...string) []string {
	tx := store.NewTx(st)
	db := st.DB(0)
	taken := append([]string(nil), avoid...)
	var out []string
	for i := 0; len(out) < n; i++ {
		k := prefix + strconv.Itoa(i)
		tx.Begin(db, true)
		for _, a := range taken {
			tx.Key([]byte(a))
		}
		tx.Lock()
		clash := tx.Holds(db, []byte(k))
		tx.Unlock()
		if !clash {
			out = append(out, k)
			taken = append(taken, k)
		}
	}
	return out
}

// TestBlockDeferredDecline: waiters deferred because their destinations'
// shards were busy, which then decline the key (it became a string), are
// each tried once: serving must move on, not retry the first forever.
func TestBlockDeferredDecline(t *testing.T) {
	srv := startServer(t)
	st := srv.Store()
	admin := dial(t, srv)
	ks := keysInOtherShards(st, "dk", 4)
	k, d1, d2, s := ks[0], ks[1], ks[2], ks[3]
	a, b := dial(t, srv), dial(t, srv)
	blockInOrder(t, admin, blocker{a, words("BLMOVE " + k + " " + d1 + " LEFT LEFT 0")},
		blocker{b, words("BLMOVE " + k + " " + d2 + " LEFT LEFT 0")})
	admin.MustDo(t, "SET", s, "str")
	hold := store.NewTx(st)
	hold.LockKey(st.DB(0), []byte(d1), true)
	renamed := make(chan string, 1)
	go func() {
		r, _ := admin.Do("RENAME", s, k)
		renamed <- r
	}()
	select {
	case r := <-renamed:
		hold.Unlock()
		t.Fatalf("RENAME finished while a waiter's shard was held: %q", r)
	case <-time.After(30 * time.Millisecond):
	}
	hold.Unlock()
	select {
	case r := <-renamed:
		if r != "+OK\r\n" {
			t.Fatalf("RENAME %q", r)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("RENAME never finished: serving the deferred key does not progress")
	}
	waitBlocked(t, admin, 2)
	expectNoReply(t, a)
	admin.MustDo(t, "DEL", k)
	admin.MustDo(t, "RPUSH", k, "x", "y")
	expectReply(t, a, bulk("x"))
	expectReply(t, b, bulk("y"))
}

// TestBlockStress: producers and consumers (BLPOP, BRPOP, BLMPOP, BLMOVE
// into a key other consumers drain, short timeouts that race with serving)
// on keys spread over shards. Every element must be delivered exactly once
// and no waiter may be left behind.
func TestBlockStress(t *testing.T) {
	srv := startServer(t)
	admin := dial(t, srv)
	const producers, perProducer, consumers = 4, 300, 6
	keys := []string{"s0", "s1", "s2", "s3"}
	total := producers * perProducer
	got := make(chan string, total*2)
	var done sync.WaitGroup
	stop := make(chan struct{})
	for i := 0; i < consumers; i++ {
		done.Add(1)
		go func(i int) {
			defer done.Done()
			c, err := resptest.Dial(srv.Addr().String())
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close()
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				var args []string
				switch (i + n) % 4 {
				case 0:
					args = []string{"BLPOP", keys[n%4], keys[(n+1)%4], "mid", "0.01"}
				case 1:
					args = []string{"BRPOP", "mid", keys[(n+2)%4], "0.02"}
				case 2:
					args = []string{"BLMPOP", "0.01", "3", keys[n%4], "mid", keys[(n+3)%4], "LEFT", "COUNT", "3"}
				default:
					args = []string{"BLMOVE", keys[n%4], "mid", "RIGHT", "LEFT", "0.01"}
				}
				r, err := c.Do(args...)
				if err != nil {
					t.Error(err)
					return
				}
				v, err := resptest.Parse(r)
				if err != nil {
					t.Error(err)
					return
				}
				switch {
				case v.Null:
				case args[0] == "BLMOVE":
					// moved to "mid": delivered later by another pop
				case args[0] == "BLMPOP":
					for _, e := range v.Elems[1].Elems {
						got <- e.Str
					}
				default:
					got <- v.Elems[1].Str
				}
			}
		}(i)
	}
	var prod sync.WaitGroup
	for p := 0; p < producers; p++ {
		prod.Add(1)
		go func(p int) {
			defer prod.Done()
			c, err := resptest.Dial(srv.Addr().String())
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close()
			for i := 0; i < perProducer; i++ {
				if _, err := c.Do("RPUSH", keys[(p+i)%4], fmt.Sprintf("p%d-%d", p, i)); err != nil {
					t.Error(err)
					return
				}
			}
		}(p)
	}
	prod.Wait()
	seen := map[string]int{}
	deadline := time.After(20 * time.Second)
	for len(seen) < total {
		select {
		case v := <-got:
			seen[v]++
			if seen[v] > 1 {
				t.Fatalf("%s delivered twice", v)
			}
		case <-deadline:
			t.Fatalf("delivered %d of %d; lengths left: %q", len(seen), total,
				[]string{admin.MustDo(t, "LLEN", "mid"), admin.MustDo(t, "LLEN", "s0"), admin.MustDo(t, "LLEN", "s1")})
		}
	}
	close(stop)
	done.Wait()
	waitIdle(t, admin)
	if r := admin.MustDo(t, "EXISTS", "s0", "s1", "s2", "s3", "mid"); r != ":0\r\n" {
		t.Fatalf("keys left: %q", r)
	}
}

// TestBlockManyClients blocks a few hundred clients on a few keys, serves
// them all, and checks the registry is empty afterwards.
func TestBlockManyClients(t *testing.T) {
	srv := startServer(t)
	admin := dial(t, srv)
	const n = 300
	cs := make([]*resptest.Conn, n)
	for i := range cs {
		cs[i] = dial(t, srv)
		send(t, cs[i], "BLPOP", "m"+strconv.Itoa(i%3), "0")
	}
	waitBlocked(t, admin, n)
	if k := infoInt(t, admin, "total_blocking_keys"); k != 3 {
		t.Fatalf("total_blocking_keys %d", k)
	}
	for k := 0; k < 3; k++ {
		args := []string{"RPUSH", "m" + strconv.Itoa(k)}
		for i := 0; i < n/3; i++ {
			args = append(args, strconv.Itoa(i))
		}
		admin.MustDo(t, args...)
	}
	for i, c := range cs {
		r, err := c.ReadTimeout(5 * time.Second)
		if err != nil {
			t.Fatalf("client %d: %v", i, err)
		}
		if !strings.HasPrefix(r, "*2\r\n$2\r\nm"+strconv.Itoa(i%3)) {
			t.Fatalf("client %d: %q", i, r)
		}
	}
	waitIdle(t, admin)
}

// TestBlockedClientListCmd: CLIENT LIST names a blocked client's command
// (cmd=blpop), and a client's own CLIENT LIST line names CLIENT LIST, as
// Redis sets the last command before running it.
func TestBlockedClientListCmd(t *testing.T) {
	srv := startServer(t)
	admin := dial(t, srv)
	c := dial(t, srv)
	blockInOrder(t, admin, blocker{c, words("BLPOP q 0")})
	list := admin.MustDo(t, "CLIENT", "LIST")
	if !strings.Contains(list, "flags=b ") || !strings.Contains(list, "cmd=blpop ") {
		t.Fatalf("blocked client not listed with cmd=blpop:\n%s", list)
	}
	if !strings.Contains(list, "cmd=client|list ") {
		t.Fatalf("the caller's line does not name CLIENT LIST:\n%s", list)
	}
	admin.MustDo(t, "RPUSH", "q", "a")
	expectReply(t, c, bulkArr("q", "a"))
}
