package server

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/embercache/ember/internal/resptest"
	"github.com/embercache/ember/store"
)

// mustParse parses a raw reply or fails the test.
func mustParse(t testing.TB, raw string) resptest.Value {
	t.Helper()
	v, err := resptest.Parse(raw)
	if err != nil {
		t.Fatalf("parse %q: %v", raw, err)
	}
	return v
}

// pipeline sends every command at once and returns the raw replies.
func pipeline(t testing.TB, c *resptest.Conn, cmds [][]string) []string {
	t.Helper()
	var buf []byte
	for _, cmd := range cmds {
		buf = append(buf, resptest.Encode(cmd...)...)
	}
	if err := c.Write(buf); err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(cmds))
	for i := range cmds {
		r, err := c.Read()
		if err != nil {
			t.Fatal(err)
		}
		out[i] = r
	}
	return out
}

// scanAll runs a full SCAN iteration with the given options and returns
// every key in the order returned, duplicates included.
func scanAll(t testing.TB, c *resptest.Conn, opts ...string) []string {
	t.Helper()
	var keys []string
	cursor := "0"
	for calls := 0; ; calls++ {
		if calls > 1_000_000 {
			t.Fatal("SCAN does not terminate")
		}
		v := mustParse(t, c.MustDo(t, append([]string{"SCAN", cursor}, opts...)...))
		if v.Type != '*' || len(v.Elems) != 2 || v.Elems[0].Type != '$' {
			t.Fatalf("SCAN reply %+v", v)
		}
		for _, e := range v.Elems[1].Elems {
			keys = append(keys, e.Str)
		}
		cursor = v.Elems[0].Str
		if cursor == "0" {
			return keys
		}
	}
}

// lookup reads key in database db of srv directly from the store.
func lookup(srv *Server, db int, key string) (val string, expireAt int64, ok bool) {
	tx := store.NewTx(srv.Store())
	tx.LockKey(srv.Store().DB(db), []byte(key), false)
	defer tx.Unlock()
	e := tx.Lookup([]byte(key))
	if e == nil {
		return "", 0, false
	}
	return string(e.Str()), e.ExpireAt(), true
}

// TestKeysJournal checks the records the keyspace commands emit: one DEL
// naming only the keys removed, PEXPIREAT with an absolute time, DEL for
// a TTL in the past, PERSIST only when a TTL went away, RENAME for both
// renames, COPY and MOVE with their database, and nothing for no-ops.
func TestKeysJournal(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	for _, k := range []string{"a", "b", "c", "d", "e"} {
		c.MustDo(t, "SET", k, "v")
	}
	j := captureJournal(t, srv)
	steps := []struct {
		cmd  []string
		want []string // records; "PXAT+N" stands for now+N ms
	}{
		{[]string{"DEL", "a", "nope", "b", "a"}, []string{"0 DEL a b"}},
		{[]string{"DEL", "nope"}, nil},
		{[]string{"UNLINK", "c", "nope"}, []string{"0 DEL c"}},
		{[]string{"EXPIRE", "d", "100"}, []string{"0 PEXPIREAT d PXAT+100000"}},
		{[]string{"PEXPIRE", "d", "5000", "LT"}, []string{"0 PEXPIREAT d PXAT+5000"}},
		{[]string{"EXPIREAT", "d", "99999999999"}, []string{"0 PEXPIREAT d 99999999999000"}},
		{[]string{"PEXPIREAT", "d", "99999999999999", "LT"}, nil},
		{[]string{"EXPIRE", "nope", "100"}, nil},
		{[]string{"PERSIST", "d"}, []string{"0 PERSIST d"}},
		{[]string{"PERSIST", "d"}, nil},
		{[]string{"PERSIST", "nope"}, nil},
		{[]string{"EXPIRE", "d", "-1"}, []string{"0 DEL d"}},
		{[]string{"SET", "r", "v"}, []string{"0 SET r v"}},
		{[]string{"RENAME", "r", "r"}, nil},
		{[]string{"RENAME", "r", "s"}, []string{"0 RENAME r s"}},
		{[]string{"RENAMENX", "s", "e"}, nil},
		{[]string{"RENAMENX", "s", "t"}, []string{"0 RENAME s t"}},
		{[]string{"COPY", "t", "e"}, nil},
		{[]string{"COPY", "t", "e", "REPLACE"}, []string{"0 COPY t e REPLACE"}},
		{[]string{"COPY", "t", "u", "REPLACE"}, []string{"0 COPY t u"}},
		{[]string{"COPY", "t", "t", "DB", "3"}, []string{"0 COPY t t DB 3"}},
		{[]string{"MOVE", "t", "3"}, nil},
		{[]string{"MOVE", "u", "3"}, []string{"0 MOVE u 3"}},
		{[]string{"TOUCH", "e", "t"}, nil},
		{[]string{"TTL", "e"}, nil},
	}
	for _, s := range steps {
		before := time.Now().UnixMilli()
		c.MustDo(t, s.cmd...)
		after := time.Now().UnixMilli()
		got := j.Take()
		if len(got) != len(s.want) {
			t.Fatalf("%q: records %q, want %q", s.cmd, got, s.want)
		}
		for i, w := range s.want {
			prefix, rel, isRel := strings.Cut(w, "PXAT+")
			if !isRel {
				if got[i] != w {
					t.Fatalf("%q: record %q, want %q", s.cmd, got[i], w)
				}
				continue
			}
			d, _ := strconv.ParseInt(rel, 10, 64)
			at, err := strconv.ParseInt(strings.TrimPrefix(got[i], prefix), 10, 64)
			if !strings.HasPrefix(got[i], prefix) || err != nil || at < before+d || at > after+d {
				t.Fatalf("%q: record %q, want %s<now+%d>", s.cmd, got[i], prefix, d)
			}
		}
	}
}

// TestCopyMoveDatabases checks COPY DB and MOVE against the target
// database's contents, TTLs included.
func TestCopyMoveDatabases(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	c.MustDo(t, "SET", "k", "v1")
	c.MustDo(t, "PEXPIREAT", "k", "99999999999123")
	if r := c.MustDo(t, "COPY", "k", "k", "DB", "5"); r != ":1\r\n" {
		t.Fatalf("COPY DB: %q", r)
	}
	if v, at, ok := lookup(srv, 5, "k"); !ok || v != "v1" || at != 99999999999123 {
		t.Fatalf("db5 k = %q %d %v", v, at, ok)
	}
	if _, _, ok := lookup(srv, 0, "k"); !ok {
		t.Fatal("COPY removed the source")
	}
	c.MustDo(t, "SET", "k", "v2")
	if r := c.MustDo(t, "MOVE", "k", "5"); r != ":0\r\n" {
		t.Fatalf("MOVE onto existing key: %q", r)
	}
	if r := c.MustDo(t, "COPY", "k", "k", "DB", "5", "REPLACE"); r != ":1\r\n" {
		t.Fatalf("COPY DB REPLACE: %q", r)
	}
	if v, at, _ := lookup(srv, 5, "k"); v != "v2" || at != 0 {
		t.Fatalf("db5 k after REPLACE = %q %d", v, at)
	}
	c.MustDo(t, "SET", "m", "mv", "PXAT", "99999999999456")
	if r := c.MustDo(t, "MOVE", "m", "15"); r != ":1\r\n" {
		t.Fatalf("MOVE: %q", r)
	}
	if _, _, ok := lookup(srv, 0, "m"); ok {
		t.Fatal("MOVE left the source")
	}
	if v, at, ok := lookup(srv, 15, "m"); !ok || v != "mv" || at != 99999999999456 {
		t.Fatalf("db15 m = %q %d %v", v, at, ok)
	}
}

// TestNonStringValues checks TYPE, SCAN TYPE, OBJECT ENCODING and COPY on
// values of other kinds: COPY deep-copies them through store.Cloner.
func TestNonStringValues(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	c.MustDo(t, "SET", "s", "v")
	c.MustDo(t, "HSET", "h", "f", "1")

	// In order: TYPE h2 must run after the COPY.
	for _, step := range [][2]string{
		{"TYPE h", "+hash\r\n"},
		{"OBJECT ENCODING h", "$8\r\nlistpack\r\n"},
		{"COPY h h2", ":1\r\n"},
		{"TYPE h2", "+hash\r\n"},
	} {
		if r := c.MustDo(t, strings.Fields(step[0])...); r != step[1] {
			t.Errorf("%s: %q, want %q", step[0], r, step[1])
		}
	}
	if got := scanAll(t, c, "TYPE", "HASH"); !slices.Equal(sorted(got), []string{"h", "h2"}) {
		t.Errorf("SCAN TYPE HASH: %q", got)
	}
	if got := scanAll(t, c, "TYPE", "string"); !slices.Equal(got, []string{"s"}) {
		t.Errorf("SCAN TYPE string: %q", got)
	}
	c.MustDo(t, "HSET", "h2", "f", "2")
	if r := c.MustDo(t, "HGET", "h", "f"); r != "$1\r\n1\r\n" {
		t.Fatalf("COPY did not deep-copy: HGET h f after HSET h2 = %q", r)
	}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// TestScanGuarantee checks SCAN's contract on a store with 4 shards whose
// tables grow and shrink many times during the iteration: every key
// present throughout is returned; and on an unchanging keyspace a full
// iteration returns every key exactly once.
func TestScanGuarantee(t *testing.T) {
	srv := startServer(t, "--shards", "4")
	c := dial(t, srv)
	const stable = 2000
	var cmds [][]string
	for i := 0; i < stable; i++ {
		cmds = append(cmds, []string{"SET", "stable:" + strconv.Itoa(i), "v"})
	}
	pipeline(t, c, cmds)

	var stop atomic.Bool
	var wg sync.WaitGroup
	var cycles atomic.Int64
	for g := 0; g < 2; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			tx := store.NewTx(srv.Store())
			db := srv.Store().DB(0)
			keys := make([][]byte, 12000)
			for i := range keys {
				keys[i] = []byte(fmt.Sprintf("churn:%d:%d", g, i))
			}
			for !stop.Load() {
				// Grow every shard's table well past the stable keys,
				// then shrink it back.
				for _, k := range keys {
					tx.LockKey(db, k, true)
					tx.SetString(k, k, 0)
					tx.Unlock()
				}
				for _, k := range keys {
					tx.LockKey(db, k, true)
					tx.Delete(k)
					tx.Unlock()
				}
				cycles.Add(1)
			}
		}(g)
	}
	for round := 0; round < 2; round++ {
		seen := map[string]bool{}
		for _, k := range scanAll(t, c, "COUNT", "40") {
			seen[k] = true
		}
		for i := 0; i < stable; i++ {
			if k := "stable:" + strconv.Itoa(i); !seen[k] {
				t.Fatalf("round %d: key %s present throughout was not returned", round, k)
			}
		}
	}
	stop.Store(true)
	wg.Wait()
	if cycles.Load() == 0 {
		t.Fatal("no grow/shrink cycle completed during the scans")
	}

	for _, count := range []string{"1", "7", "100000"} {
		got := scanAll(t, c, "COUNT", count)
		if len(got) != stable {
			t.Fatalf("COUNT %s: %d keys returned, want %d", count, len(got), stable)
		}
		seen := map[string]bool{}
		for _, k := range got {
			if seen[k] {
				t.Fatalf("COUNT %s: key %s returned twice", count, k)
			}
			seen[k] = true
		}
	}
}

// TestScanAgainstRedis compares the keys of full SCAN iterations with
// MATCH, COUNT and TYPE between ember and redis-server (their cursors
// differ, so transcripts cannot).
func TestScanAgainstRedis(t *testing.T) {
	rc := resptest.MustDial(t, resptest.StartRedis(t))
	srv := startServer(t)
	ec := dial(t, srv)
	var cmds [][]string
	for i := 0; i < 600; i++ {
		prefix := []string{"user:", "session:", "x", "a[b]"}[i%4]
		cmds = append(cmds, []string{"SET", prefix + strconv.Itoa(i), "v"})
	}
	cmds = append(cmds, []string{"SET", "", "empty"}, []string{"SET", "gone", "v", "PX", "1"})
	pipeline(t, rc, cmds)
	pipeline(t, ec, cmds)
	time.Sleep(5 * time.Millisecond) // let "gone" expire on both
	for _, opts := range [][]string{
		nil,
		{"COUNT", "3"},
		{"MATCH", "*"},
		{"MATCH", "user:*"},
		{"MATCH", "*1?", "COUNT", "50"},
		{"MATCH", `a\[b]*`},
		{"MATCH", "[us]*[02468]"},
		{"MATCH", "nomatch*"},
		{"TYPE", "string"},
		{"TYPE", "String", "MATCH", "x*"},
		{"TYPE", "list"},
		{"TYPE", "nosuchtype"},
		{"COUNT", "1000", "MATCH", "session:1*", "TYPE", "string"},
	} {
		want, got := scanAll(t, rc, opts...), scanAll(t, ec, opts...)
		if only, missing := setDiff(got, want); len(only)+len(missing) > 0 {
			t.Errorf("SCAN %q: ember only %q, redis only %q", opts, only, missing)
		}
	}
}

// TestActiveExpiry checks that keys with a TTL disappear without being
// accessed, that expired_keys counts them, and that each removal is
// journaled as DEL.
func TestActiveExpiry(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	j := captureJournal(t, srv)
	before := srv.Store().Stats().ExpiredKeys.Load()
	var cmds [][]string
	for i := 0; i < 50; i++ {
		cmds = append(cmds, []string{"SET", "ttl:" + strconv.Itoa(i), "v", "PX", "20"})
		cmds = append(cmds, []string{"SET", "keep:" + strconv.Itoa(i), "v"})
	}
	pipeline(t, c, cmds)
	db := srv.Store().DB(0)
	checkFor(t, 5*time.Second, 10*time.Millisecond, func() error {
		if n := db.Len(); n != 50 {
			return fmt.Errorf("%d keys in the table, want 50", n)
		}
		return nil
	})
	if n := srv.Store().Stats().ExpiredKeys.Load() - before; n != 50 {
		t.Fatalf("expired_keys rose by %d, want 50", n)
	}
	dels := 0
	for _, r := range j.Take() {
		if strings.HasPrefix(r, "0 DEL ttl:") {
			dels++
		}
	}
	if dels != 50 {
		t.Fatalf("%d DEL records for expired keys, want 50", dels)
	}
	if r := c.MustDo(t, "EXISTS", "ttl:1", "keep:1"); r != ":1\r\n" {
		t.Fatalf("EXISTS: %q", r)
	}
}

// TestObjectIdletime checks that IDLETIME counts seconds since the last
// access, that reads and writes reset it, and that TTL, TYPE, EXISTS and
// OBJECT do not while TOUCH does.
func TestObjectIdletime(t *testing.T) {
	srv := startServer(t)
	var now atomic.Int64
	now.Store(time.Now().UnixMilli())
	srv.Store().SetClock(now.Load)
	c := dial(t, srv)
	checkIdle := func(after, want string) {
		t.Helper()
		if r := c.MustDo(t, "OBJECT", "IDLETIME", "k"); r != ":"+want+"\r\n" {
			t.Fatalf("idle %q after %s, want %s", r, after, want)
		}
	}
	c.MustDo(t, "SET", "k", "v")
	checkIdle("SET", "0")
	now.Add(42_000)
	checkIdle("42s", "42")
	c.MustDo(t, "GET", "k")
	checkIdle("GET", "0")
	now.Add(10_000)
	for _, cmd := range []string{"TTL k", "PTTL k", "TYPE k", "EXISTS k", "EXPIRETIME k", "OBJECT ENCODING k", "OBJECT REFCOUNT k", "KEYS *", "SCAN 0"} {
		c.MustDo(t, strings.Fields(cmd)...)
	}
	checkIdle("non-touching commands", "10")
	c.MustDo(t, "TOUCH", "k")
	checkIdle("TOUCH", "0")
	now.Add(5_000)
	c.MustDo(t, "SET", "k", "v2")
	checkIdle("overwrite", "0")
	now.Add(7_000)
	c.MustDo(t, "EXPIRE", "k", "1000")
	checkIdle("EXPIRE", "0") // a write's lookup is an access, as in Redis
}

// TestObjectPolicies runs the maxmemory-policy dependent replies of OBJECT
// against redis-server configured alike: FREQ and IDLETIME errors, and
// shared integers' refcount, which LRU/LFU eviction with a maxmemory turns
// off.
func TestObjectPolicies(t *testing.T) {
	for _, dirs := range [][]string{
		{"--maxmemory-policy", "allkeys-lfu"},
		{"--maxmemory-policy", "volatile-lru"},
		{"--maxmemory", "100mb", "--maxmemory-policy", "allkeys-lru"},
		{"--maxmemory", "100mb", "--maxmemory-policy", "volatile-lfu"},
		{"--maxmemory", "100mb", "--maxmemory-policy", "allkeys-random"},
	} {
		t.Run(strings.Join(dirs, " "), func(t *testing.T) {
			rc := resptest.MustDial(t, resptest.StartRedis(t, dirs...))
			ec := dial(t, startServer(t, dirs...))
			cmds := [][]string{
				{"SET", "n", "5"}, {"SET", "big", "10000"}, {"SET", "s", "str"},
				{"OBJECT", "REFCOUNT", "n"}, {"OBJECT", "REFCOUNT", "big"}, {"OBJECT", "REFCOUNT", "s"},
				{"OBJECT", "ENCODING", "n"},
				{"OBJECT", "IDLETIME", "nope"}, {"OBJECT", "FREQ", "nope"},
			}
			want, got := pipeline(t, rc, cmds), pipeline(t, ec, cmds)
			for i := range cmds {
				if got[i] != want[i] {
					t.Errorf("%q: ember %q, redis %q", cmds[i], got[i], want[i])
				}
			}
			// Which of the two errors (if any) must match; the values of
			// the one that succeeds depend on timing.
			for _, sub := range []string{"IDLETIME", "FREQ"} {
				w := rc.MustDo(t, "OBJECT", sub, "s")
				g := ec.MustDo(t, "OBJECT", sub, "s")
				if (w[0] == '-' || g[0] == '-') && w != g {
					t.Errorf("OBJECT %s: ember %q, redis %q", sub, g, w)
				}
				if w[0] != g[0] {
					t.Errorf("OBJECT %s: ember %q, redis %q", sub, g, w)
				}
			}
		})
	}
}

// TestMultiKeyAtomic checks that EXISTS and RENAME see and change two
// keys atomically. Each command runs pipelined over the network while a
// goroutine does the other half directly on the store, in a tight loop,
// so the two always overlap: a key moving between two names is never
// seen under both or neither.
func TestMultiKeyAtomic(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	c.MustDo(t, "SET", "ping", "v")
	db := srv.Store().DB(0)
	ping, pong := []byte("ping"), []byte("pong")
	const n = 20000

	// EXISTS against a store-level renamer.
	var stop atomic.Bool
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tx := store.NewTx(srv.Store())
		src, dst := ping, pong
		for !stop.Load() {
			tx.Begin(db, true)
			tx.Key(src)
			tx.Key(dst)
			tx.Lock()
			tx.MoveEntry(db, tx.Lookup(src), db, dst)
			tx.Unlock()
			src, dst = dst, src
		}
	}()
	exists := make([][]string, n)
	for i := range exists {
		exists[i] = []string{"EXISTS", "ping", "pong", "ping", "pong", "ping", "pong", "ping", "pong"}
	}
	replies := pipeline(t, c, exists)
	stop.Store(true)
	wg.Wait()
	for _, r := range replies {
		if r != ":4\r\n" {
			t.Fatalf("EXISTS (ping pong)x4 while renaming: %q", r)
		}
	}

	// RENAME against a store-level checker.
	stop.Store(false)
	var bad atomic.Int64
	wg.Add(1)
	go func() {
		defer wg.Done()
		tx := store.NewTx(srv.Store())
		for !stop.Load() {
			tx.Begin(db, false)
			tx.Key(ping)
			tx.Key(pong)
			tx.Lock()
			if (tx.Lookup(ping) == nil) == (tx.Lookup(pong) == nil) {
				bad.Add(1)
			}
			tx.Unlock()
		}
	}()
	src, dst := "ping", "pong"
	if _, _, ok := lookup(srv, 0, "ping"); !ok {
		src, dst = dst, src
	}
	renames := make([][]string, n)
	for i := range renames {
		renames[i] = []string{"RENAME", src, dst}
		src, dst = dst, src
	}
	replies = pipeline(t, c, renames)
	stop.Store(true)
	wg.Wait()
	for i, r := range replies {
		if r != "+OK\r\n" {
			t.Fatalf("%q: %q", renames[i], r)
		}
	}
	if bad.Load() != 0 {
		t.Fatalf("RENAME seen half-done %d times", bad.Load())
	}
}

// TestKeyspaceHits compares keyspace_hits and keyspace_misses after the
// keyspace commands with redis-server's: read lookups count (TTL, TYPE,
// EXISTS, TOUCH, OBJECT, COPY's source, SCAN's TYPE filter), write
// lookups and walks do not.
func TestKeyspaceHits(t *testing.T) {
	rc := resptest.MustDial(t, resptest.StartRedis(t))
	srv := startServer(t)
	ec := dial(t, srv)
	cmds := [][]string{
		{"SET", "a", "1"}, {"SET", "b", "2"}, {"SET", "c", "3"},
		{"TTL", "a"}, {"PTTL", "nope"}, {"EXPIRETIME", "a"}, {"PEXPIRETIME", "nope"},
		{"TYPE", "a"}, {"TYPE", "nope"},
		{"EXISTS", "a", "nope", "a"}, {"TOUCH", "a", "nope"},
		{"OBJECT", "ENCODING", "a"}, {"OBJECT", "REFCOUNT", "nope"}, {"OBJECT", "IDLETIME", "b"},
		{"COPY", "a", "d"}, {"COPY", "nope", "d"},
		{"RENAME", "d", "e"}, {"RENAMENX", "e", "a"}, {"DEL", "e", "nope"}, {"UNLINK", "nope"},
		{"EXPIRE", "a", "100"}, {"PERSIST", "a"}, {"MOVE", "c", "3"},
		{"KEYS", "*"}, {"RANDOMKEY"}, {"SCAN", "0"},
		{"SCAN", "0", "TYPE", "string"}, {"SCAN", "0", "MATCH", "a", "TYPE", "list"},
	}
	pipeline(t, rc, cmds)
	pipeline(t, ec, cmds)
	info := rc.MustDo(t, "INFO", "stats")
	field := func(name string) int64 {
		_, rest, _ := strings.Cut(info, name+":")
		v, _, _ := strings.Cut(rest, "\r\n")
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			t.Fatalf("INFO %s: %q", name, v)
		}
		return n
	}
	if h, m := srv.Store().Hits(), srv.Store().Misses(); h != field("keyspace_hits") || m != field("keyspace_misses") {
		t.Fatalf("ember hits/misses %d/%d, redis %d/%d", h, m, field("keyspace_hits"), field("keyspace_misses"))
	}
}
