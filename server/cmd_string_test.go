package server

import (
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/embercache/ember/internal/resptest"
	"github.com/embercache/ember/store"
)

// localClient returns a client of srv that is driven in-process: run
// executes one command through the real dispatcher (lookup, arity, auth,
// handler) and returns the reply bytes. No goroutine serves it, so a test
// may change its fields (resp3) between commands.
func strClient(t testing.TB, srv *Server) *Client {
	t.Helper()
	a, b := net.Pipe()
	t.Cleanup(func() { a.Close(); b.Close() })
	c := newClient(srv, a)
	c.batchStart = time.Now() // as the serve loop does per batch: the clock commands read
	return c
}

// toArgs turns strings into a command's argument slices.
func strArgs(words ...string) [][]byte {
	args := make([][]byte, len(words))
	for i, w := range words {
		args[i] = []byte(w)
	}
	return args
}

// strDo executes one command on an in-process client and returns its
// reply.
func strDo(c *Client, words ...string) string {
	c.out = c.out[:0]
	c.execute(strArgs(words...))
	return string(c.out)
}

// strPutKind stores a one-element list or hash under key (kind), with
// absolute expiry at (0 for none), for WRONGTYPE tests.
func strPutKind(srv *Server, key string, kind store.Kind, at int64) {
	tx := store.NewTx(srv.Store())
	db := srv.Store().DB(0)
	tx.LockKey(db, []byte(key), true)
	defer tx.Unlock()
	switch kind {
	case store.KindList:
		l := store.NewList()
		l.PushTail([]byte("element"), -2)
		tx.PutIn(db, []byte(key), kind, nil, l, at)
	case store.KindHash:
		tx.Delete([]byte(key))
		if _, err := tx.HSet([]byte(key), [][]byte{[]byte("element"), []byte("1")}); err != nil {
			panic(err)
		}
		if at != 0 {
			tx.SetExpire(tx.Lookup([]byte(key)), at)
		}
	default:
		panic("strPutKind: " + kind.String())
	}
}

// entryOf returns what f computes from key's entry in db 0 (nil if absent).
func strEntry[T any](srv *Server, key string, f func(e *store.Entry) T) T {
	tx := store.NewTx(srv.Store())
	tx.LockKey(srv.Store().DB(0), []byte(key), false)
	defer tx.Unlock()
	return f(tx.Lookup([]byte(key)))
}

// TestStringWrongType runs every string command against keys holding a
// list and a hash: reads and read-modify-writes answer WRONGTYPE and change
// nothing, MGET answers nil, LCS its own error, and plain SET-likes
// overwrite.
func TestStringWrongType(t *testing.T) {
	srv := startServer(t)
	j := captureJournal(t, srv)
	c := dial(t, srv)
	strPutKind(srv, "list", store.KindList, 0)
	strPutKind(srv, "hash", store.KindHash, 0)
	c.MustDo(t, "SET", "str", "abc")
	wrong := "-" + errWrongType + "\r\n"
	for _, key := range []string{"list", "hash"} {
		for _, cmd := range [][]string{
			{"GET", key}, {"GETDEL", key}, {"GETEX", key}, {"GETEX", key, "EX", "10"},
			{"GETEX", key, "PERSIST"}, {"GETEX", key, "EX", "abc"}, {"GETSET", key, "v"},
			{"SET", key, "v", "GET"}, {"SET", key, "v", "NX", "GET"}, {"SET", key, "v", "XX", "GET"},
			{"APPEND", key, "v"}, {"STRLEN", key}, {"INCR", key}, {"DECR", key},
			{"INCRBY", key, "2"}, {"DECRBY", key, "2"}, {"INCRBYFLOAT", key, "1.5"},
			{"INCRBYFLOAT", key, "abc"}, {"GETRANGE", key, "0", "-1"}, {"SUBSTR", key, "0", "-1"},
			{"SETRANGE", key, "0", "v"}, {"SETRANGE", key, "0", ""},
		} {
			if got := c.MustDo(t, cmd...); got != wrong {
				t.Errorf("%q: %q", cmd, got)
			}
		}
		if got := c.MustDo(t, "MGET", "str", key, "nosuch"); got != "*3\r\n$3\r\nabc\r\n$-1\r\n$-1\r\n" {
			t.Errorf("MGET: %q", got)
		}
		for _, cmd := range [][]string{{"LCS", key, "str"}, {"LCS", "str", key}, {"LCS", key, key, "FOO"}} {
			if got := c.MustDo(t, cmd...); got != "-"+errLCSTypes+"\r\n" {
				t.Errorf("%q: %q", cmd, got)
			}
		}
		// Argument errors that Redis checks before the key come first.
		if got := c.MustDo(t, "INCRBY", key, "x"); got != "-"+errNotInteger+"\r\n" {
			t.Errorf("INCRBY bad arg: %q", got)
		}
		if got := c.MustDo(t, "SETRANGE", key, "-1", "v"); got != "-"+errOffsetRange+"\r\n" {
			t.Errorf("SETRANGE bad offset: %q", got)
		}
		if got := c.MustDo(t, "SETNX", key, "v"); got != ":0\r\n" {
			t.Errorf("SETNX: %q", got)
		}
		if got := c.MustDo(t, "MSETNX", "fresh", "v", key, "v"); got != ":0\r\n" {
			t.Errorf("MSETNX: %q", got)
		}
		kind := strEntry(srv, key, func(e *store.Entry) store.Kind { return e.Kind() })
		if kind == store.KindString {
			t.Fatalf("%s was overwritten", key)
		}
	}
	if recs := j.Take(); len(recs) != 1 || recs[0] != "0 SET str abc" {
		t.Fatalf("failed commands journaled: %q", recs)
	}
	// Plain SETs replace a value of any type; KEEPTTL keeps its TTL.
	strPutKind(srv, "ttl-list", store.KindList, srv.Store().Now()+100000)
	if got := c.MustDo(t, "SET", "ttl-list", "v", "KEEPTTL"); got != "+OK\r\n" {
		t.Fatalf("SET KEEPTTL over list: %q", got)
	}
	if at := strEntry(srv, "ttl-list", func(e *store.Entry) int64 { return e.ExpireAt() }); at == 0 {
		t.Fatal("KEEPTTL over a list lost the TTL")
	}
	for _, cmd := range [][]string{{"SET", "list", "v"}, {"SETEX", "hash", "10", "v"}, {"MSET", "list", "w", "hash", "w"}} {
		if got := c.MustDo(t, cmd...); got != "+OK\r\n" {
			t.Errorf("%q: %q", cmd, got)
		}
	}
	if got := c.MustDo(t, "MGET", "list", "hash"); got != "*2\r\n$1\r\nw\r\n$1\r\nw\r\n" {
		t.Errorf("after overwrite: %q", got)
	}
}

// TestStringJournal checks the record each write command emits, with a
// fixed clock so that absolute times are known, and that commands which
// change nothing emit nothing.
func TestStringJournal(t *testing.T) {
	srv := startServer(t)
	const now = int64(1_700_000_000_000)
	srv.Store().SetClock(func() int64 { return now })
	j := captureJournal(t, srv)
	c := dial(t, srv)
	at := func(ms int64) string { return strconv.FormatInt(now+ms, 10) }
	steps := []struct {
		cmd  []string
		recs []string
	}{
		{[]string{"SET", "a", "1"}, []string{"SET a 1"}},
		{[]string{"set", "a", "1", "EX", "10"}, []string{"SET a 1 PXAT " + at(10000)}},
		{[]string{"SET", "a", "2", "KEEPTTL"}, []string{"SET a 2 PXAT " + at(10000)}},
		{[]string{"SET", "a", "3", "EXAT", "1800000000"}, []string{"SET a 3 PXAT 1800000000000"}},
		{[]string{"SET", "a", "4", "NX"}, nil},
		{[]string{"SET", "nx", "4", "XX"}, nil},
		{[]string{"SET", "a", "5", "XX", "GET"}, []string{"SET a 5"}},
		{[]string{"SET", "a", "6", "EX", "0"}, nil},
		{[]string{"SETNX", "b", "1"}, []string{"SET b 1"}},
		{[]string{"SETNX", "b", "2"}, nil},
		{[]string{"SETEX", "c", "10", "v"}, []string{"SET c v PXAT " + at(10000)}},
		{[]string{"PSETEX", "c", "500", "v"}, []string{"SET c v PXAT " + at(500)}},
		{[]string{"GETSET", "c", "w"}, []string{"SET c w"}},
		{[]string{"INCR", "n"}, []string{"SET n 1 KEEPTTL"}},
		{[]string{"INCRBY", "n", "5"}, []string{"SET n 6 KEEPTTL"}},
		{[]string{"DECR", "n"}, []string{"SET n 5 KEEPTTL"}},
		{[]string{"DECRBY", "n", "10"}, []string{"SET n -5 KEEPTTL"}},
		{[]string{"INCR", "c"}, nil},
		{[]string{"INCRBY", "n", "9223372036854775807"}, []string{"SET n 9223372036854775802 KEEPTTL"}},
		{[]string{"INCR", "n"}, []string{"SET n 9223372036854775803 KEEPTTL"}},
		{[]string{"INCRBY", "n", "5"}, nil},
		{[]string{"INCRBYFLOAT", "f", "0.1"}, []string{"SET f 0.1 KEEPTTL"}},
		{[]string{"INCRBYFLOAT", "f", "0.2"}, []string{"SET f 0.3 KEEPTTL"}},
		{[]string{"INCRBYFLOAT", "f", "x"}, nil},
		{[]string{"INCRBYFLOAT", "f", "inf"}, nil},
		{[]string{"APPEND", "s", "ab"}, []string{"APPEND s ab"}},
		{[]string{"append", "s", "cd"}, []string{"APPEND s cd"}},
		{[]string{"setrange", "s", "0", "Y"}, []string{"SETRANGE s 0 Y"}},
		{[]string{"SETRANGE", "s", "1", "X"}, []string{"SETRANGE s 1 X"}},
		{[]string{"SETRANGE", "s", "0", ""}, nil},
		{[]string{"SETRANGE", "missing", "5", ""}, nil},
		{[]string{"SETRANGE", "s", "-1", "x"}, nil},
		{[]string{"mset", "a", "1", "b", "2"}, []string{"MSET a 1 b 2"}},
		{[]string{"MSETNX", "a", "1", "z", "2"}, nil},
		{[]string{"MSETNX", "y", "1", "z", "2"}, []string{"MSET y 1 z 2"}},
		{[]string{"MSET", "a", "1", "b"}, nil},
		{[]string{"GETDEL", "a"}, []string{"DEL a"}},
		{[]string{"GETDEL", "a"}, nil},
		{[]string{"GET", "b"}, nil},
		{[]string{"MGET", "b", "y"}, nil},
		{[]string{"GETEX", "b"}, nil},
		{[]string{"GETEX", "b", "PERSIST"}, nil},
		{[]string{"GETEX", "b", "EX", "10"}, []string{"PEXPIREAT b " + at(10000)}},
		{[]string{"GETEX", "b", "PXAT", at(20000)}, []string{"PEXPIREAT b " + at(20000)}},
		{[]string{"GETEX", "b", "PERSIST"}, []string{"PERSIST b"}},
		{[]string{"GETEX", "b", "PERSIST"}, nil},
		{[]string{"GETEX", "b", "EX", "-1"}, nil},
		{[]string{"GETEX", "b", "EXAT", "1"}, []string{"DEL b"}},
		{[]string{"GETEX", "b", "EX", "10"}, nil},
		{[]string{"STRLEN", "y"}, nil},
		{[]string{"GETRANGE", "y", "0", "-1"}, nil},
		{[]string{"LCS", "y", "z"}, nil},
		{[]string{"SET", "k", "v", "GET"}, []string{"SET k v"}},
	}
	for _, s := range steps {
		c.MustDo(t, s.cmd...)
		got := j.Take()
		var want []string
		for _, r := range s.recs {
			want = append(want, "0 "+r)
		}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("%q: records %q, want %q", s.cmd, got, want)
		}
	}
}

// TestStringEncodings compares the encoding ember derives for values
// written by each command with OBJECT ENCODING on a real redis-server.
func TestStringEncodings(t *testing.T) {
	srv := startServer(t)
	e := dial(t, srv)
	r := resptest.MustDial(t, resptest.StartRedis(t))
	long := strings.Repeat("x", 44)
	cmds := [][]string{
		{"SET", "int", "12345"}, {"SET", "negint", "-9223372036854775808"},
		{"SET", "bigint", "9223372036854775808"}, {"SET", "lead0", "0123"},
		{"SET", "minus0", "-0"}, {"SET", "plus", "+1"}, {"SET", "emb", long},
		{"SET", "raw", long + "x"}, {"SET", "empty", ""}, {"SET", "twenty", "12345678901234567890"},
		{"SETNX", "nx", "42"}, {"SETEX", "ex", "100", "42"}, {"GETSET", "gs", "42"},
		{"MSET", "m1", "7", "m2", "seven"}, {"MSETNX", "m3", "8"},
		{"INCR", "incr"}, {"SET", "incr2", long}, {"APPEND", "incr2", "1"},
		{"SET", "incr3", "10"}, {"APPEND", "incr3", "0"}, {"INCR", "incr3"},
		{"INCRBYFLOAT", "fl", "3"}, {"INCRBYFLOAT", "fl2", "1.5"},
		{"INCRBYFLOAT", "fl3", "1234567890123456789012345678901234567890123456"},
		{"SET", "fl4", "5"}, {"INCRBYFLOAT", "fl4", "1"}, {"INCR", "fl4"},
		{"APPEND", "ap", "12"}, {"SET", "ap2", "12"}, {"APPEND", "ap2", "3"},
		{"SET", "ap3", "1"}, {"APPEND", "ap3", ""},
		{"SETRANGE", "sr", "0", "12"}, {"SET", "sr2", "12"}, {"SETRANGE", "sr2", "0", "3"},
		{"SET", "sr3", "12"}, {"SETRANGE", "sr3", "0", ""},
		{"SET", "gx", "12"}, {"GETEX", "gx", "EX", "100"},
	}
	keys := map[string]bool{}
	for _, cmd := range cmds {
		if got, want := e.MustDo(t, cmd...), r.MustDo(t, cmd...); got != want {
			t.Fatalf("%q: ember %q, redis %q", cmd, got, want)
		}
		keys[cmd[1]] = true
	}
	for key := range keys {
		want, _ := resptest.Parse(r.MustDo(t, "OBJECT", "ENCODING", key))
		got := strEntry(srv, key, func(e *store.Entry) string { return e.Encoding() })
		if got != want.Str {
			t.Errorf("%s: ember %q, redis %q", key, got, want.Str)
		}
	}
}

// TestStringRESP3 compares RESP3 replies with redis-server's after HELLO
// 3. ember's client is driven in-process with its protocol switched
// directly, so this does not depend on HELLO.
func TestStringRESP3(t *testing.T) {
	srv := startServer(t)
	c := strClient(t, srv)
	c.resp3 = true
	r := resptest.MustDial(t, resptest.StartRedis(t))
	r.MustDo(t, "HELLO", "3")
	for _, cmd := range [][]string{
		{"GET", "nosuch"}, {"SET", "s", "v"}, {"GET", "s"},
		{"SET", "k", "v", "NX", "GET"}, {"SET", "k", "w", "NX", "GET"}, {"SET", "k", "w", "XX"},
		{"SET", "nx", "v", "XX"}, {"SET", "nx", "v", "XX", "GET"}, {"SETNX", "s", "v"},
		{"GETSET", "nosuch2", "v"}, {"MGET", "s", "nosuch", "k"}, {"GETDEL", "nosuch"},
		{"GETEX", "nosuch"}, {"GETEX", "nosuch", "PERSIST"}, {"GETEX", "s", "PERSIST"},
		{"MSET", "a", "1"}, {"MSETNX", "a", "1"}, {"INCRBYFLOAT", "f", "1.5"}, {"INCR", "i"},
		{"GETRANGE", "nosuch", "0", "1"}, {"GETRANGE", "s", "5", "1"}, {"STRLEN", "nosuch"},
		{"SET", "l1", "ohmytext"}, {"SET", "l2", "mynewtext"},
		{"SET", "l3", "ACCGGTCGAGTGCGCGGAAGCCGGCCGAA"}, {"SET", "l4", "GTCGTTCGGAATGCCGTTGCTCTGTAAA"},
		{"LCS", "l1", "l2"}, {"LCS", "l1", "l2", "LEN"}, {"LCS", "l1", "l2", "IDX"},
		{"LCS", "l1", "l2", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN"},
		{"LCS", "nosuch", "nosuch2", "IDX"}, {"LCS", "l3", "l4", "IDX", "WITHMATCHLEN"},
		{"LCS", "l1", "l2", "LEN", "IDX"}, {"LCS", "nosuch", "nosuch2"},
	} {
		if got, want := strDo(c, cmd...), r.MustDo(t, cmd...); got != want {
			t.Errorf("%q:\n ember %q\n redis %q", cmd, got, want)
		}
	}
}

// randFloatString returns a float literal of the kinds INCRBYFLOAT sees:
// plain decimals, long mantissas, exponents near and beyond the long double
// range, hex floats, signs.
func randFloatString(rng *rand.Rand) string {
	var b strings.Builder
	switch rng.IntN(4) {
	case 0:
		b.WriteByte('-')
	case 1:
		b.WriteByte('+')
	}
	if rng.IntN(8) == 0 {
		b.WriteString("0x")
		for range 1 + rng.IntN(20) {
			b.WriteByte("0123456789abcdefABCDEF"[rng.IntN(22)])
		}
		if rng.IntN(2) == 0 {
			b.WriteByte('.')
			for range rng.IntN(20) {
				b.WriteByte("0123456789abcdef"[rng.IntN(16)])
			}
		}
		if rng.IntN(2) == 0 {
			fmt.Fprintf(&b, "p%d", rng.IntN(32800)-16400)
		}
		return b.String()
	}
	for range 1 + rng.IntN(25) {
		b.WriteByte(byte('0' + rng.IntN(10)))
	}
	if rng.IntN(2) == 0 {
		b.WriteByte('.')
		for range rng.IntN(25) {
			b.WriteByte(byte('0' + rng.IntN(10)))
		}
	}
	switch rng.IntN(4) {
	case 0:
		fmt.Fprintf(&b, "e%d", rng.IntN(60)-30)
	case 1:
		// Near the ends of the long double range (~1.19e4932, and
		// subnormals down to ~3.6e-4951).
		fmt.Fprintf(&b, "E%d", rng.IntN(9920)-4960)
	case 2:
		fmt.Fprintf(&b, "e%d", (4900+rng.IntN(60))*(1-2*rng.IntN(2)))
	}
	return b.String()
}

// TestIncrByFloatRandom checks INCRBYFLOAT against redis-server on random
// operands, byte for byte: the long double emulation's parsing, rounding,
// range checks and printing.
func TestIncrByFloatRandom(t *testing.T) {
	srv := startServer(t)
	e := dial(t, srv)
	r := resptest.MustDial(t, resptest.StartRedis(t))
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 1500
	var pipe []byte
	cmds := make([][]string, 0, 2*n)
	for i := range n {
		key := "f" + strconv.Itoa(i%50)
		var cmd []string
		if rng.IntN(3) == 0 {
			cmd = []string{"SET", key, randFloatString(rng)}
		} else {
			cmd = []string{"INCRBYFLOAT", key, randFloatString(rng)}
		}
		cmds = append(cmds, cmd, []string{"GET", key})
	}
	for _, cmd := range cmds {
		pipe = append(pipe, resptest.Encode(cmd...)...)
	}
	if err := e.Write(pipe); err != nil {
		t.Fatal(err)
	}
	if err := r.Write(pipe); err != nil {
		t.Fatal(err)
	}
	mismatches := 0
	for _, cmd := range cmds {
		got, err1 := e.Read()
		want, err2 := r.Read()
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if got != want {
			t.Errorf("%q: ember %q, redis %q", cmd, got, want)
			if mismatches++; mismatches > 10 {
				t.FailNow()
			}
		}
	}
}

// TestLCSRandom checks LCS's string, IDX ranges and LEN against
// redis-server on random strings over small alphabets (many ties, so every
// branch of the walk is taken).
func TestLCSRandom(t *testing.T) {
	srv := startServer(t)
	e := dial(t, srv)
	r := resptest.MustDial(t, resptest.StartRedis(t))
	rng := rand.New(rand.NewPCG(3, 4))
	randStr := func(alpha string) string {
		b := make([]byte, rng.IntN(40))
		for i := range b {
			b[i] = alpha[rng.IntN(len(alpha))]
		}
		return string(b)
	}
	for i := range 150 {
		alpha := []string{"ab", "abc", "ACGT", "abcdefghij"}[i%4]
		cmds := [][]string{
			{"SET", "a", randStr(alpha)}, {"SET", "b", randStr(alpha)},
			{"LCS", "a", "b"}, {"LCS", "a", "b", "LEN"}, {"LCS", "a", "b", "IDX", "WITHMATCHLEN"},
			{"LCS", "b", "a", "IDX", "MINMATCHLEN", strconv.Itoa(rng.IntN(4)), "WITHMATCHLEN"},
		}
		for _, cmd := range cmds {
			if got, want := e.MustDo(t, cmd...), r.MustDo(t, cmd...); got != want {
				t.Fatalf("%q after %q: ember %q, redis %q", cmd, cmds[:2], got, want)
			}
		}
	}
}

// TestStringMaxBulkLen checks that APPEND, SETRANGE and LCS honour
// proto-max-bulk-len like redis-server configured the same way, and that a
// refused APPEND or SETRANGE leaves the value untouched.
func TestStringMaxBulkLen(t *testing.T) {
	srv := startServer(t, "--proto-max-bulk-len", "1mb")
	e := dial(t, srv)
	r := resptest.MustDial(t, resptest.StartRedis(t, "--proto-max-bulk-len", "1mb"))
	const mb = 1 << 20
	for _, cmd := range [][]string{
		{"SETRANGE", "a", strconv.Itoa(mb - 10), "x"},
		{"APPEND", "a", strings.Repeat("y", 9)},
		{"APPEND", "a", "z"},
		{"APPEND", "a", ""},
		{"STRLEN", "a"},
		{"SETRANGE", "a", strconv.Itoa(mb - 1), "w"},
		{"SETRANGE", "a", strconv.Itoa(mb), "w"},
		{"SETRANGE", "a", strconv.Itoa(mb - 1), "ww"},
		{"SETRANGE", "b", strconv.Itoa(mb), "w"},
		{"SETRANGE", "b", strconv.Itoa(mb), ""},
		{"GETRANGE", "a", "-12", "-1"},
		{"SETRANGE", "c", "510", "c"}, {"SETRANGE", "d", "510", "d"},
		{"LCS", "c", "d", "LEN"},
		{"SETRANGE", "c", "520", "c"}, {"SETRANGE", "d", "520", "d"},
		{"LCS", "c", "d", "LEN"}, {"LCS", "c", "d", "IDX"},
	} {
		if got, want := e.MustDo(t, cmd...), r.MustDo(t, cmd...); got != want {
			t.Errorf("%q: ember %q, redis %q", cmd, got, want)
		}
	}
}

// TestLCSCheck covers the limits transcripts cannot reach: strings of 4 GiB
// and tables whose size overflows 64 bits or passes ember's own cap.
func TestLCSCheck(t *testing.T) {
	const big = 1 << 62
	for _, tc := range []struct {
		getLen, getIdx bool
		n, m           int
		maxBulk        int64
		want           string
	}{
		{false, false, 10, 10, 512 << 20, ""},
		{true, true, 10, 10, 512 << 20, errLCSBothLen},
		{false, false, 1 << 32, 1, big, errLCSTooLong},
		{false, false, 1, 1<<32 - 2, big, errLCSTooLong},
		{false, false, 1<<32 - 3, 1<<32 - 3, 1<<63 - 1, errLCSAlloc},
		{false, false, 1 << 17, 1 << 17, 1<<63 - 1, errLCSAlloc},
		{false, false, 1 << 16, 1 << 16, 1<<63 - 1, ""},
		{false, false, 1 << 16, 1 << 16, 512 << 20, errLCSMemory},
		{false, false, 11584, 11584, 512 << 20, ""},
		{false, false, 11585, 11585, 512 << 20, errLCSMemory},
	} {
		if got := lcsCheck(tc.getLen, tc.getIdx, tc.n, tc.m, tc.maxBulk); got != tc.want {
			t.Errorf("%+v: %q", tc, got)
		}
	}
}

// TestStringAtomicity runs MSET against MGET and INCR from several clients
// at once: MGET never sees half an MSET, and no increment is lost.
func TestStringAtomicity(t *testing.T) {
	srv := startServer(t, "--shards", "16")
	keys := []string{"k1", "k2", "k3", "k4", "k5", "k6"}
	var wg sync.WaitGroup
	const rounds = 300
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := dial(t, srv)
			for i := range rounds {
				args := []string{"MSET"}
				for _, k := range keys {
					args = append(args, k, strconv.Itoa(w*rounds+i))
				}
				c.MustDo(t, args...)
				c.MustDo(t, "INCR", "counter")
			}
		}()
	}
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := dial(t, srv)
			for range rounds {
				v, err := resptest.Parse(c.MustDo(t, append([]string{"MGET"}, keys...)...))
				if err != nil {
					t.Error(err)
					return
				}
				for _, el := range v.Elems[1:] {
					if el.Str != v.Elems[0].Str || el.Null != v.Elems[0].Null {
						t.Errorf("MGET saw a partial MSET: %+v", v.Elems)
						return
					}
				}
				c.MustDo(t, "INCR", "counter")
			}
		}()
	}
	wg.Wait()
	c := dial(t, srv)
	if got := c.MustDo(t, "GET", "counter"); got != "$4\r\n1200\r\n" {
		t.Fatalf("counter: %q", got)
	}
}

// TestStringZeroAlloc checks that the hot string commands allocate nothing
// per call in the dispatcher and handler once their key exists.
func TestStringZeroAlloc(t *testing.T) {
	srv := startServer(t)
	c := strClient(t, srv)
	strDo(c, "SET", "k", "some value")
	strDo(c, "SET", "n", "10")
	strDo(c, "SET", "k2", "other")
	for _, cmd := range [][]string{
		{"GET", "k"}, {"SET", "k", "some value"}, {"SET", "k", "other value", "XX"},
		{"GET", "nosuch"}, {"INCR", "n"}, {"DECRBY", "n", "3"}, {"MGET", "k", "k2", "nosuch"},
		{"STRLEN", "k"}, {"GETRANGE", "k", "0", "3"}, {"SETNX", "k", "v"},
		{"SETRANGE", "k", "0", "S"}, {"GETEX", "k"}, {"MSET", "k", "v1", "k2", "v2"},
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

// BenchmarkGetSet runs string commands through the real dispatcher on an
// in-process client (no network), reporting time and allocations per
// command.
func BenchmarkGetSet(b *testing.B) {
	srv := startServer(b)
	c := strClient(b, srv)
	strDo(c, "SET", "key:1", "value-of-some-length")
	strDo(c, "SET", "counter", "0")
	for _, bc := range []struct {
		name string
		cmd  []string
	}{
		{"GET", []string{"GET", "key:1"}},
		{"SET", []string{"SET", "key:1", "value-of-some-length"}},
		{"SET_EX", []string{"SET", "key:1", "value-of-some-length", "EX", "100"}},
		{"INCR", []string{"INCR", "counter"}},
		{"MGET3", []string{"MGET", "key:1", "counter", "nosuch"}},
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
