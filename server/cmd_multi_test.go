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

// execOK runs MULTI, cmds and EXEC on c and returns EXEC's reply.
func execOK(t testing.TB, c *resptest.Conn, cmds ...[]string) string {
	t.Helper()
	if r := c.MustDo(t, "MULTI"); r != "+OK\r\n" {
		t.Fatalf("MULTI: %q", r)
	}
	for _, cmd := range cmds {
		if r := c.MustDo(t, cmd...); r != "+QUEUED\r\n" {
			t.Fatalf("%v: %q", cmd, r)
		}
	}
	return c.MustDo(t, "EXEC")
}

// Two clients INCR a pair of keys in transactions while a third reads both
// with MGET (and another pair with a keyless command, forcing the
// all-shards mode): a reader never sees the pair differ.
func TestMultiAtomicity(t *testing.T) {
	srv := startServer(t)
	const rounds = 300
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			c := dial(t, srv)
			defer c.Close()
			for i := 0; i < rounds; i++ {
				cmds := [][]string{{"INCR", "pair:a"}, {"INCR", "pair:b"}, {"INCR", "all:a"}, {"INCR", "all:b"}}
				if i%3 == 0 {
					cmds = append(cmds, []string{"DBSIZE"}) // every shard held
				}
				if w == 1 { // the other order
					cmds[0], cmds[1] = cmds[1], cmds[0]
				}
				c.MustDo(t, "MULTI")
				for _, cmd := range cmds {
					c.MustDo(t, cmd...)
				}
				if r := c.MustDo(t, "EXEC"); !strings.HasPrefix(r, "*"+strconv.Itoa(len(cmds))+"\r\n") {
					errs <- fmt.Errorf("EXEC: %q", r)
					return
				}
			}
		}(w)
	}
	done := make(chan struct{})
	var readers sync.WaitGroup
	readers.Add(1)
	go func() {
		defer readers.Done()
		c := dial(t, srv)
		defer c.Close()
		for {
			select {
			case <-done:
				return
			default:
			}
			for _, pair := range [][2]string{{"pair:a", "pair:b"}, {"all:a", "all:b"}} {
				v, err := resptest.Parse(c.MustDo(t, "MGET", pair[0], pair[1]))
				if err != nil {
					errs <- err
					return
				}
				if a, b := v.Elems[0].Str, v.Elems[1].Str; a != b {
					errs <- fmt.Errorf("MGET %v saw %q and %q", pair, a, b)
					return
				}
			}
		}
	}()
	wg.Wait()
	close(done)
	readers.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	c := dial(t, srv)
	if r := c.MustDo(t, "MGET", "pair:a", "pair:b"); r != fmt.Sprintf("*2\r\n$3\r\n%d\r\n$3\r\n%d\r\n", 2*rounds, 2*rounds) {
		t.Fatalf("final: %q", r)
	}
}

// Concurrent EXECs over overlapping keys in different orders, mixed with
// all-shards EXECs, multi-key commands and blocking pops served by the
// transactions, all finish (no deadlock) within the test's time.
func TestMultiNoDeadlock(t *testing.T) {
	srv := startServer(t)
	keys := []string{"k1", "k2", "k3", "k4", "k5", "k6"}
	var wg sync.WaitGroup
	for w := 0; w < 6; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			c := dial(t, srv)
			defer c.Close()
			for i := 0; i < 150; i++ {
				a, b, d := keys[(w+i)%6], keys[(w*5+i)%6], keys[(i*7+w)%6]
				switch (w + i) % 5 {
				case 0:
					execOK(t, c, []string{"INCR", a}, []string{"RENAME", b, b}, []string{"RPUSH", "list", "x"}, []string{"GET", d})
				case 1:
					execOK(t, c, []string{"MSET", d, "1", a, "2"}, []string{"SWAPDB", "0", "1"}, []string{"SWAPDB", "0", "1"})
				case 2:
					c.MustDo(t, "MSET", b, "1", a, "2", d, "3")
				case 3:
					execOK(t, c, []string{"SCAN", "0"}, []string{"LPUSH", "list", "y"}, []string{"DEL", b})
				case 4:
					c.MustDo(t, "WATCH", a, b)
					execOK(t, c, []string{"SET", d, "v"}, []string{"BLPOP", "list", "0"})
				}
			}
		}(w)
	}
	// A client blocked on a key the transactions feed.
	wg.Add(1)
	go func() {
		defer wg.Done()
		c := dial(t, srv)
		defer c.Close()
		for i := 0; i < 20; i++ {
			if _, err := c.Do("BLPOP", "list", "0.05"); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
	select {
	case <-finished:
	case <-time.After(60 * time.Second):
		t.Fatal("transactions deadlocked")
	}
}

// watchCase is a write by another client (or time) that must, or must
// not, fail the EXEC of a client watching key "w".
type watchCase struct {
	name  string
	setup [][]string // on the watcher, before WATCH w
	other [][]string // on another connection, after WATCH
	sleep time.Duration
	fails bool
}

func TestWatchInvalidation(t *testing.T) {
	srv := startServer(t)
	cases := []watchCase{
		{name: "set by other", setup: [][]string{{"SET", "w", "1"}}, other: [][]string{{"SET", "w", "2"}}, fails: true},
		{name: "same value", setup: [][]string{{"SET", "w", "1"}}, other: [][]string{{"SET", "w", "1"}}, fails: true},
		{name: "other key", setup: [][]string{{"SET", "w", "1"}}, other: [][]string{{"SET", "w2", "1"}}},
		{name: "other db", setup: [][]string{{"SET", "w", "1"}}, other: [][]string{{"SELECT", "3"}, {"SET", "w", "1"}}},
		{name: "expiry", setup: [][]string{{"SET", "w", "1", "PX", "30"}}, sleep: 80 * time.Millisecond, fails: true},
		{name: "active expiry", setup: [][]string{{"SET", "w", "1", "PX", "30"}}, other: [][]string{{"DEBUG-WAIT-EXPIRED"}}, fails: true},
		{name: "flushall", setup: [][]string{{"SET", "w", "1"}}, other: [][]string{{"FLUSHALL"}}, fails: true},
		{name: "flushall missing", other: [][]string{{"FLUSHALL"}}},
		{name: "flushdb other db", setup: [][]string{{"SET", "w", "1"}}, other: [][]string{{"SELECT", "2"}, {"FLUSHDB"}}},
		{name: "swapdb", setup: [][]string{{"SET", "w", "1"}}, other: [][]string{{"SWAPDB", "0", "1"}}, fails: true},
		{name: "swapdb in", setup: [][]string{{"SELECT", "1"}, {"SET", "w", "x"}, {"SELECT", "0"}}, other: [][]string{{"SWAPDB", "1", "0"}}, fails: true},
		{name: "rename from", setup: [][]string{{"SET", "w", "1"}}, other: [][]string{{"RENAME", "w", "w9"}}, fails: true},
		{name: "rename to", setup: [][]string{{"SET", "src", "1"}}, other: [][]string{{"RENAME", "src", "w"}}, fails: true},
		{name: "move in", setup: [][]string{{"SELECT", "4"}, {"SET", "w", "1"}, {"SELECT", "0"}}, other: [][]string{{"SELECT", "4"}, {"MOVE", "w", "0"}}, fails: true},
		{name: "transaction", setup: [][]string{{"SET", "w", "1"}}, other: [][]string{{"MULTI"}, {"INCR", "w"}, {"EXEC"}}, fails: true},
		{name: "blocked pop served", setup: [][]string{{"RPUSH", "w", "a"}}, other: [][]string{{"LPOP", "w"}}, fails: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, o := dial(t, srv), dial(t, srv)
			defer c.Close()
			defer o.Close()
			c.MustDo(t, "FLUSHALL")
			for _, cmd := range tc.setup {
				c.MustDo(t, cmd...)
			}
			c.MustDo(t, "WATCH", "w")
			for _, cmd := range tc.other {
				if cmd[0] == "DEBUG-WAIT-EXPIRED" {
					// The active cycle removes the key (journaled DEL).
					checkFor(t, 5*time.Second, 10*time.Millisecond, func() error {
						if n := srv.Store().DB(0).Len(); n != 0 {
							return fmt.Errorf("%d keys not expired yet", n)
						}
						return nil
					})
					continue
				}
				o.MustDo(t, cmd...)
			}
			time.Sleep(tc.sleep)
			r := execOK(t, c, []string{"PING"})
			if failed := r == "*-1\r\n"; failed != tc.fails {
				t.Fatalf("EXEC = %q, want failure %v", r, tc.fails)
			}
			if n := srv.watches.nkeys.Load(); n != 0 {
				t.Fatalf("%d keys still watched after EXEC", n)
			}
		})
	}
	if srv.Store().Journal().Active() {
		t.Fatal("journal still subscribed with nothing watched")
	}
}

// The journal gets a transaction's effects together, wrapped in MULTI and
// EXEC, before what the EXEC's writes fed to blocked clients.
func TestMultiJournal(t *testing.T) {
	srv := startServer(t)
	j := captureJournal(t, srv)
	c, b := dial(t, srv), dial(t, srv)
	if err := b.Write(resptest.Encode("BLPOP", "q", "0")); err != nil {
		t.Fatal(err)
	}
	checkFor(t, 5*time.Second, 5*time.Millisecond, func() error {
		if srv.blocking.count.Load() != 1 {
			return fmt.Errorf("not blocked yet")
		}
		return nil
	})
	r := execOK(t, c, []string{"SET", "a", "1"}, []string{"INCR", "a"}, []string{"GET", "a"}, []string{"RPUSH", "q", "x", "y"})
	if r != "*4\r\n+OK\r\n:2\r\n$1\r\n2\r\n:2\r\n" {
		t.Fatalf("EXEC: %q", r)
	}
	if got, err := b.Read(); err != nil || got != "*2\r\n$1\r\nq\r\n$1\r\nx\r\n" {
		t.Fatalf("BLPOP: %q %v", got, err)
	}
	want := []string{"0 MULTI", "0 SET a 1", "0 SET a 2 KEEPTTL", "0 RPUSH q x y", "0 EXEC", "0 LPOP q"}
	if got := j.Take(); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("journal:\n got %q\nwant %q", got, want)
	}
	// One write is journaled bare; a failed WATCH or EXECABORT journals nothing.
	execOK(t, c, []string{"SET", "b", "1"}, []string{"GET", "b"})
	c.MustDo(t, "WATCH", "b")
	c.MustDo(t, "SET", "b", "2")
	execOK(t, c, []string{"SET", "b", "3"})
	c.MustDo(t, "MULTI")
	c.MustDo(t, "SET", "b")
	c.MustDo(t, "EXEC")
	want = []string{"0 SET b 1", "0 SET b 2"}
	if got := j.Take(); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("journal:\n got %q\nwant %q", got, want)
	}
}

// Records of concurrent writers never fall between a transaction's MULTI
// and EXEC records.
func TestMultiJournalContiguous(t *testing.T) {
	srv := startServer(t)
	var mu sync.Mutex
	var recs []string
	cancel := srv.Store().Journal().Subscribe(func(m *store.Mutation) {
		mu.Lock()
		recs = append(recs, string(m.Args[0])+" "+strconv.Itoa(len(m.Args)))
		mu.Unlock()
	})
	defer cancel()
	var wg sync.WaitGroup
	for w := 0; w < 3; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			c := dial(t, srv)
			defer c.Close()
			for i := 0; i < 100; i++ {
				k := "k" + strconv.Itoa(w)
				if w == 0 {
					c.MustDo(t, "SET", k, "v")
					continue
				}
				execOK(t, c, []string{"SET", k, "1"}, []string{"SET", k + "x", "2"})
			}
		}(w)
	}
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	in := false
	n := 0
	for _, r := range recs {
		switch {
		case r == "MULTI 1":
			if in {
				t.Fatal("nested MULTI records")
			}
			in, n = true, 0
		case r == "EXEC 1":
			if !in || n != 2 {
				t.Fatalf("EXEC record after %d records", n)
			}
			in = false
		default:
			n++
			if in && n > 2 {
				t.Fatalf("a record fell inside a transaction: %v", recs)
			}
		}
	}
}

func TestMultiClientListAndInfo(t *testing.T) {
	srv := startServer(t)
	c, o := dial(t, srv), dial(t, srv)
	c.MustDo(t, "CLIENT", "SETNAME", "tx")
	c.MustDo(t, "WATCH", "a", "b")
	c.MustDo(t, "MULTI")
	c.MustDo(t, "SET", "a", "1")
	c.MustDo(t, "GET", "a")
	line := func() string {
		v, err := resptest.Parse(o.MustDo(t, "CLIENT", "LIST"))
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(v.Str, "\n") {
			if strings.Contains(l, "name=tx ") {
				return l
			}
		}
		t.Fatalf("no client line in %q", v.Str)
		return ""
	}
	if l := line(); !strings.Contains(l, " flags=x ") || !strings.Contains(l, " multi=2 ") || strings.Contains(l, " multi-mem=0 ") {
		t.Fatalf("in MULTI: %s", l)
	}
	info := o.MustDo(t, "INFO", "clients")
	if !strings.Contains(info, "watching_clients:1\r\n") || !strings.Contains(info, "total_watched_keys:2\r\n") {
		t.Fatalf("INFO: %s", info)
	}
	o.MustDo(t, "SET", "b", "x")
	if l := line(); !strings.Contains(l, " flags=xd ") {
		t.Fatalf("dirty: %s", l)
	}
	if r := c.MustDo(t, "EXEC"); r != "*-1\r\n" {
		t.Fatalf("EXEC: %q", r)
	}
	if l := line(); !strings.Contains(l, " flags=N ") || !strings.Contains(l, " multi=-1 ") {
		t.Fatalf("after EXEC: %s", l)
	}
	info = o.MustDo(t, "INFO", "clients")
	if !strings.Contains(info, "watching_clients:0\r\n") || !strings.Contains(info, "total_watched_keys:0\r\n") {
		t.Fatalf("INFO: %s", info)
	}
	// A watching client that disconnects is forgotten.
	c.MustDo(t, "WATCH", "z")
	c.Close()
	checkFor(t, 5*time.Second, 5*time.Millisecond, func() error {
		if n := srv.watches.nkeys.Load(); n != 0 {
			return fmt.Errorf("%d keys watched", n)
		}
		return nil
	})
}

// Commands inside EXEC are counted in commandstats, EXEC too.
func TestMultiStats(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	execOK(t, c, []string{"SET", "a", "x"}, []string{"INCR", "a"}, []string{"LPUSH", "a", "x"})
	c.MustDo(t, "MULTI")
	c.MustDo(t, "GET", "a", "b") // rejected at queue time
	c.MustDo(t, "DISCARD")
	stats := c.MustDo(t, "INFO", "commandstats")
	for _, want := range []string{"cmdstat_set:calls=1,", "cmdstat_exec:calls=1,", "cmdstat_multi:calls=2,",
		"cmdstat_get:calls=0,usec=0,usec_per_call=0.00,rejected_calls=1,failed_calls=0"} {
		if !strings.Contains(stats, want) {
			t.Fatalf("no %q in %s", want, stats)
		}
	}
	for _, name := range []string{"incr", "lpush"} {
		if !strings.Contains(stats, "cmdstat_"+name+":calls=1,") || !strings.Contains(stats[strings.Index(stats, "cmdstat_"+name):], "failed_calls=1") {
			t.Fatalf("%s not counted as failed: %s", name, stats)
		}
	}
}

// The primitive scripts build on: a child client shares the held Tx and
// captures replies; keys outside the held shards are refused, not raced.
func TestHeldChild(t *testing.T) {
	srv := startServer(t)
	c := strClient(t, srv)
	c.holdAll()
	ch := c.heldChild(true)
	for _, args := range [][]string{{"SET", "k", "v"}, {"HSET", "h", "f", "v"}, {"HGETALL", "h"}, {"SELECT", "1"}, {"DBSIZE"}, {"BLPOP", "l", "0"}} {
		b := strArgs(args...)
		cmd, msg := srv.resolveCommand(b)
		if msg != "" {
			t.Fatal(msg)
		}
		ch.out = ch.out[:0]
		ch.runHeld(cmd, b)
		t.Logf("%v -> %q", args, ch.out)
	}
	if string(ch.out) != "_\r\n" {
		t.Fatalf("BLPOP in a script: %q", ch.out)
	}
	c.releaseHeld()
	if c.tx.Held() || c.db.Index() != 0 || ch.db.Index() != 1 {
		t.Fatal("child state leaked")
	}
	// Keyed hold: a key outside it answers an error.
	c.holdKeys([]heldKey{{c.db, []byte("k")}})
	cmd, _ := srv.resolveCommand([][]byte{[]byte("GET"), []byte("other")})
	for i := 0; i < 20; i++ { // some key of another shard
		k := []byte("other" + strconv.Itoa(i))
		if c.tx.Holds(c.db, k) {
			continue
		}
		c.out = c.out[:0]
		c.runHeld(cmd, [][]byte{[]byte("GET"), k})
		if !strings.HasPrefix(string(c.out), "-ERR internal error") {
			t.Fatalf("unheld key: %q", c.out)
		}
		break
	}
	c.releaseHeld()
	d := dial(t, srv)
	if r := d.MustDo(t, "GET", "k"); r != "$1\r\nv\r\n" {
		t.Fatalf("GET k: %q", r)
	}
}

// EXEC of three SETs against the same SETs pipelined, run through the
// dispatcher in-process (no network: the cost of the transaction itself),
// and EXECs that hold every shard of the database (DBSIZE in it) or of
// every database (INFO in it).
func BenchmarkMulti(b *testing.B) {
	srv := startServer(b)
	c := strClient(b, srv)
	sets := [][][]byte{strArgs("SET", "bench:a", "1"), strArgs("SET", "bench:b", "2"), strArgs("SET", "bench:c", "3")}
	run := func(b *testing.B, cmds [][][]byte) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			for _, args := range cmds {
				c.execute(args)
			}
			c.out = c.out[:0]
		}
	}
	wrap := func(extra ...[][]byte) [][][]byte {
		cmds := append([][][]byte{strArgs("MULTI")}, sets...)
		cmds = append(cmds, extra...)
		return append(cmds, strArgs("EXEC"))
	}
	b.Run("pipelined-3-sets", func(b *testing.B) { run(b, sets) })
	b.Run("exec-3-sets", func(b *testing.B) { run(b, wrap()) })
	b.Run("exec-3-sets-db-shards", func(b *testing.B) { run(b, wrap(strArgs("DBSIZE"))) })
	b.Run("exec-3-sets-all-shards", func(b *testing.B) { run(b, wrap(strArgs("PING"), strArgs("INFO", "server"))) })
	b.Run("pipelined-3-sets-dbsize-info", func(b *testing.B) { run(b, append(sets, strArgs("DBSIZE"), strArgs("INFO", "server"))) })
}
