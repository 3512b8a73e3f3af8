package server

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/embercache/ember/internal/resptest"
	"github.com/embercache/ember/store"
)

// TestBitmapWrongType runs every bitmap and HyperLogLog command against
// keys holding a list and a hash: each answers WRONGTYPE (the plain one,
// not the HyperLogLog one), changes nothing and journals nothing, except
// BITOP, whose destination is overwritten as Redis's SET would.
func TestBitmapWrongType(t *testing.T) {
	srv := startServer(t)
	j := captureJournal(t, srv)
	c := dial(t, srv)
	strPutKind(srv, "list", store.KindList, 0)
	strPutKind(srv, "hash", store.KindHash, 0)
	c.MustDo(t, "SET", "str", "abc")
	c.MustDo(t, "PFADD", "hll", "a")
	j.Take()
	wrong := "-" + errWrongType + "\r\n"
	for _, key := range []string{"list", "hash"} {
		for _, cmd := range [][]string{
			{"SETBIT", key, "0", "1"}, {"GETBIT", key, "0"}, {"BITCOUNT", key},
			{"BITCOUNT", key, "0", "-1"}, {"BITCOUNT", key, "a", "b"}, {"BITCOUNT", key, "0"},
			{"BITPOS", key, "1"}, {"BITPOS", key, "0", "1", "2", "BIT"},
			{"BITOP", "AND", "dst", "str", key}, {"BITOP", "NOT", "dst", key},
			{"BITFIELD", key, "GET", "u8", "0"}, {"BITFIELD", key, "SET", "u8", "0", "1"},
			{"BITFIELD", key, "INCRBY", "u8", "0", "1"}, {"BITFIELD", key},
			{"BITFIELD_RO", key, "GET", "u8", "0"},
			{"PFADD", key, "x"}, {"PFADD", key}, {"PFCOUNT", key}, {"PFCOUNT", "hll", key},
			{"PFMERGE", key, "hll"}, {"PFMERGE", "hll", key}, {"PFMERGE", "newdst", key},
		} {
			if got := c.MustDo(t, cmd...); got != wrong {
				t.Errorf("%q: %q", cmd, got)
			}
		}
		if typ := c.MustDo(t, "TYPE", key); typ == "+string\r\n" || typ == "+none\r\n" {
			t.Fatalf("%s changed: %q", key, typ)
		}
	}
	// Errors found while parsing come before the type check, as in Redis.
	for cmd, want := range map[string]string{
		"SETBIT list x 1":               errBitOffset,
		"SETBIT list 0 2":               errBitValue,
		"GETBIT list -1":                errBitOffset,
		"BITPOS list 2":                 errBitposBit,
		"BITFIELD list GET x8 0":        errBitfieldType,
		"BITFIELD_RO list SET u8 0 1":   errBitfieldRO,
		"BITFIELD list OVERFLOW x":      errBitfieldOverflow,
		"BITOP NOT dst list list":       errBitopNot,
		"BITFIELD list SET u8 0 abc":    errNotInteger,
		"BITFIELD list GET u8 1 GET u8": errSyntax,
	} {
		if got := c.MustDo(t, strings.Fields(cmd)...); got != "-"+want+"\r\n" {
			t.Errorf("%s: %q", cmd, got)
		}
	}
	if recs := j.Take(); len(recs) != 0 {
		t.Fatalf("failed commands journaled %q", recs)
	}
	if c.MustDo(t, "EXISTS", "dst", "newdst") != ":0\r\n" {
		t.Fatal("a failed BITOP or PFMERGE created its destination")
	}
	// BITOP overwrites a destination of another type.
	if got := c.MustDo(t, "BITOP", "OR", "list", "str"); got != ":3\r\n" {
		t.Fatalf("BITOP into a list: %q", got)
	}
	if got := c.MustDo(t, "GET", "list"); got != "$3\r\nabc\r\n" {
		t.Fatalf("GET after BITOP: %q", got)
	}
}

// TestBitmapJournal checks the records each command emits: deterministic
// absolute effects, nothing when nothing changed.
func TestBitmapJournal(t *testing.T) {
	srv := startServer(t)
	j := captureJournal(t, srv)
	c := dial(t, srv)
	for _, tc := range []struct {
		cmd  string
		want []string
	}{
		{"SETBIT b 9 1", []string{"0 SETBIT b 9 1"}},
		{"SETBIT b 9 1", nil},                            // no change
		{"SETBIT b 0 0", nil},                            // already 0, no growth
		{"SETBIT b 100 0", []string{"0 SETBIT b 100 0"}}, // grows
		{"GETBIT b 9", nil},
		{"BITFIELD b GET u8 0", nil},
		{"BITFIELD f SET u8 0 300 INCRBY i4 8 9", []string{"0 BITFIELD f SET u8 0 44 SET i4 8 -7"}},
		{"BITFIELD f OVERFLOW SAT INCRBY u8 0 1000 GET u8 0", []string{"0 BITFIELD f SET u8 0 255"}},
		{"BITFIELD f OVERFLOW FAIL INCRBY u8 0 1 SET u4 #20 3", []string{"0 BITFIELD f SET u8 0 255 SET u4 80 3"}},
		{"BITFIELD g OVERFLOW FAIL SET i8 16 200", []string{"0 BITFIELD g SET i8 16 0"}}, // failed, but grows
		{"BITOP NOT dst nokey", nil},
		{"SET dst x", []string{"0 SET dst x"}},
		{"BITOP AND dst nokey", []string{"0 DEL dst"}},
		{"PFADD h", []string{"0 PFADD h"}},
		{"PFADD h", nil},
		{"PFADD h a b", []string{"0 PFADD h a b"}},
		{"PFADD h a", nil},
		{"PFCOUNT h nokey", nil},
		{"PFCOUNT nokey", nil},
	} {
		j.expect(t, c, tc.cmd, tc.want)
	}
	c.MustDo(t, "BITOP", "XOR", "x", "b", "f")
	if recs, v := j.Take(), bulkOf(t, c.MustDo(t, "GET", "x")); !slices.Equal(recs, []string{"0 SET x " + v}) {
		t.Fatalf("BITOP records %q for value %q", recs, v)
	}
	// PFCOUNT refreshes the cached cardinality: SETRANGE of the 8 bytes.
	c.MustDo(t, "PFCOUNT", "h")
	var card [8]byte
	binary.LittleEndian.PutUint64(card[:], 2)
	if recs := j.Take(); !slices.Equal(recs, []string{"0 SETRANGE h 8 " + string(card[:])}) {
		t.Fatalf("PFCOUNT records %q", recs)
	}
	c.MustDo(t, "PFCOUNT", "h")
	if recs := j.Take(); len(recs) != 0 {
		t.Fatalf("cached PFCOUNT journaled %q", recs)
	}
	c.MustDo(t, "PFMERGE", "m", "h")
	if recs, v := j.Take(), bulkOf(t, c.MustDo(t, "GET", "m")); !slices.Equal(recs, []string{"0 SET m " + v + " KEEPTTL"}) {
		t.Fatalf("PFMERGE records %q for value %q", recs, v)
	}
}

// bulkOf returns the string of a bulk reply.
func bulkOf(t *testing.T, reply string) string {
	t.Helper()
	v, err := resptest.Parse(reply)
	if err != nil || v.Type != '$' {
		t.Fatalf("not a bulk string: %q", reply)
	}
	return v.Str
}

// TestBitmapJournalReplay drives a mix of bitmap and HyperLogLog writes
// (sparse and dense HLLs, promotion, corrupt HLLs, overflow policies) on
// one server, replays its journal on a second, and requires identical
// values and TTLs: the records are complete and deterministic.
func TestBitmapJournalReplay(t *testing.T) {
	src := startServer(t)
	j := captureJournal(t, src)
	c := dial(t, src)
	r := rand.New(rand.NewPCG(1, 2))
	keys := []string{"a", "b", "c", "d"}
	key := func() string { return keys[r.IntN(len(keys))] }
	c.MustDo(t, "CONFIG", "SET", "hll-sparse-max-bytes", "200")
	for i := 0; i < 3000; i++ {
		var cmd []string
		switch r.IntN(9) {
		case 0:
			cmd = []string{"SETBIT", key(), strconv.Itoa(r.IntN(300)), strconv.Itoa(r.IntN(2))}
		case 1:
			cmd = []string{"BITOP", []string{"AND", "OR", "XOR", "NOT"}[r.IntN(4)], key(), key()}
		case 2:
			cmd = []string{"BITFIELD", key(), "OVERFLOW", []string{"WRAP", "SAT", "FAIL"}[r.IntN(3)],
				[]string{"SET", "INCRBY"}[r.IntN(2)], []string{"i", "u"}[r.IntN(2)] + strconv.Itoa(1+r.IntN(63)),
				strconv.Itoa(r.IntN(200)), strconv.FormatInt(r.Int64()-math.MaxInt64/2, 10)}
		case 3, 4, 5:
			cmd = []string{"PFADD", key()}
			for n := r.IntN(20); n > 0; n-- {
				cmd = append(cmd, "e"+strconv.Itoa(r.IntN(3000)))
			}
		case 6:
			cmd = []string{"PFCOUNT", key()}
		case 7:
			cmd = []string{"PFMERGE", key(), key(), key()}
		case 8:
			cmd = []string{"EXPIRE", key(), "1000"}
		}
		c.MustDo(t, cmd...)
	}
	dst := startServer(t)
	d := dial(t, dst)
	d.MustDo(t, "CONFIG", "SET", "hll-sparse-max-bytes", "200")
	for _, rec := range j.Take() {
		var args []string
		// Records are "db arg arg ...": split on the first spaces only
		// where arguments cannot contain spaces (the values may).
		parts := strings.SplitN(rec, " ", 3)
		if parts[0] != "0" {
			t.Fatalf("record in db %s: %q", parts[0], rec)
		}
		args = append(args, parts[1])
		args = append(args, splitRecord(parts[1], parts[2])...)
		if got := d.MustDo(t, args...); strings.HasPrefix(got, "-") {
			t.Fatalf("replaying %q: %q", rec, got)
		}
	}
	for _, k := range keys {
		if a, b := c.MustDo(t, "GET", k), d.MustDo(t, "GET", k); a != b {
			t.Errorf("%s differs after replay:\n source %q\n replay %q", k, a, b)
		}
		if a, b := c.MustDo(t, "PTTL", k), d.MustDo(t, "PTTL", k); (a == ":-1\r\n") != (b == ":-1\r\n") {
			t.Errorf("%s TTL differs after replay: %q %q", k, a, b)
		}
	}
}

// splitRecord splits the arguments after a record's command name. Values
// (SET's value, SETRANGE's bytes, PFADD's elements in this test) may hold
// any byte, so each command's layout is known: SET k <value> [KEEPTTL|PXAT
// t], SETRANGE k 8 <8 bytes>; the rest are space-separated words.
func splitRecord(name, rest string) []string {
	switch name {
	case "SET":
		k, v, _ := strings.Cut(rest, " ")
		switch {
		case strings.HasSuffix(v, " KEEPTTL"):
			return []string{k, strings.TrimSuffix(v, " KEEPTTL"), "KEEPTTL"}
		case strings.Contains(v, " PXAT "):
			i := strings.LastIndex(v, " PXAT ")
			return []string{k, v[:i], "PXAT", v[i+len(" PXAT "):]}
		}
		return []string{k, v}
	case "SETRANGE":
		k, r, _ := strings.Cut(rest, " ")
		off, v, _ := strings.Cut(r, " ")
		return []string{k, off, v}
	}
	return strings.Split(rest, " ")
}

// TestHLLMatchesRedis adds random element sets to HyperLogLogs on ember and
// on redis-server, small and large, in random batches, so that both go
// through many sparse updates, the promotion to dense at the default
// hll-sparse-max-bytes and dense updates; after every batch GET must
// return the same bytes, and PFCOUNT (single and union) and PFMERGE the
// same results.
func TestHLLMatchesRedis(t *testing.T) {
	redisAddr := resptest.StartRedis(t)
	srv := startServer(t)
	e := resptest.MustDial(t, srv.Addr().String())
	rd := resptest.MustDial(t, redisAddr)
	r := rand.New(rand.NewPCG(20261126, 7))
	both := func(cmds ...[]string) []string {
		var buf []byte
		for _, c := range cmds {
			buf = append(buf, resptest.Encode(c...)...)
		}
		if err := e.Write(buf); err != nil {
			t.Fatal(err)
		}
		if err := rd.Write(buf); err != nil {
			t.Fatal(err)
		}
		out := make([]string, len(cmds))
		for i, c := range cmds {
			got, err1 := e.Read()
			want, err2 := rd.Read()
			if err1 != nil || err2 != nil {
				t.Fatalf("%q: %v %v", c, err1, err2)
			}
			if got != want {
				t.Fatalf("%.80q differs:\n   ember %.300q\n   redis %.300q", c, got, want)
			}
			out[i] = got
		}
		return out
	}
	element := func() string {
		b := make([]byte, r.IntN(24))
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
		return string(b)
	}
	sizes := []int{1, 3, 10, 50, 200, 700, 1500, 2500, 4000, 12000, 40000}
	var names []string
	for i, size := range sizes {
		name := "h" + strconv.Itoa(i)
		names = append(names, name)
		for added := 0; added < size; {
			batch := min(1+r.IntN(max(size/8, 1)), size-added)
			cmd := []string{"PFADD", name}
			for k := 0; k < batch; k++ {
				cmd = append(cmd, element())
			}
			// Repeat some elements: adds that change nothing.
			cmd = append(cmd, cmd[2:2+min(batch, 3)]...)
			added += batch
			both(cmd, []string{"GET", name})
		}
		res := both([]string{"PFCOUNT", name}, []string{"GET", name}, []string{"STRLEN", name})
		n, _ := strconv.Atoi(strings.Trim(res[0], ":\r\n"))
		t.Logf("%s: %d random elements added (short ones repeat), PFCOUNT %d, %s bytes", name, size, n, strings.Trim(res[2], ":\r\n"))
	}
	// Unions and merges of random combinations, into new and existing keys.
	for i := 0; i < 30; i++ {
		srcs := []string{names[r.IntN(len(names))], names[r.IntN(len(names))], "nokey"}
		if r.IntN(2) == 0 {
			srcs = srcs[:1+r.IntN(2)]
		}
		dst := "m" + strconv.Itoa(r.IntN(6))
		if r.IntN(3) == 0 {
			dst = names[r.IntN(len(names))]
		}
		both(append([]string{"PFCOUNT"}, srcs...),
			append([]string{"PFMERGE", dst}, srcs...),
			[]string{"GET", dst}, []string{"PFCOUNT", dst}, []string{"GET", dst})
	}
}

// TestHLLCraftedRegisters sets dense HyperLogLogs whose registers hold
// values no realistic input reaches (33..63: a run of 33 zero bits has
// probability 2^-33), then counts and merges them, which takes the
// estimator's rarely used terms and PFMERGE's promotion of a sparse
// destination by a register above 32. Replies and bytes must be Redis's.
func TestHLLCraftedRegisters(t *testing.T) {
	redisAddr := resptest.StartRedis(t)
	srv := startServer(t)
	e := resptest.MustDial(t, srv.Addr().String())
	rd := resptest.MustDial(t, redisAddr)
	same := func(args ...string) {
		t.Helper()
		got, want := e.MustDo(t, args...), rd.MustDo(t, args...)
		if got != want {
			t.Fatalf("%.60q:\n   ember %.200q\n   redis %.200q", args, got, want)
		}
	}
	r := rand.New(rand.NewPCG(3, 4))
	for round := 0; round < 12; round++ {
		regs := make([]uint8, 16384)
		for i := range regs {
			switch {
			case round%3 == 0 && i%7 == 0:
				regs[i] = uint8(r.IntN(64))
			case round%3 == 1:
				regs[i] = uint8(r.IntN(8))
			case r.IntN(500) == 0:
				regs[i] = uint8(33 + r.IntN(31))
			}
		}
		if round == 11 {
			for i := range regs {
				regs[i] = 51 // every register at the maximum run: the τ term
			}
		}
		v := denseHLL(regs, true)
		name := "d" + strconv.Itoa(round)
		same("SET", name, v)
		same("PFCOUNT", name)
		same("GET", name)
		same("PFADD", "sparse"+name, "a", "b", "c")
		same("PFMERGE", "sparse"+name, name)
		same("GET", "sparse"+name)
		same("PFCOUNT", "sparse"+name, "d0")
		// A new destination of a dense source with one register set.
		one := make([]uint8, 16384)
		one[r.IntN(16384)] = uint8(33 + r.IntN(31))
		same("SET", "one", denseHLL(one, true))
		same("PFMERGE", "sp2"+name, "one")
		same("GET", "sp2"+name)
	}
}

// denseHLL builds a dense HyperLogLog string with the given registers.
func denseHLL(regs []uint8, stale bool) string {
	b := make([]byte, 16+12288)
	copy(b, "HYLL")
	if stale {
		b[15] = 0x80
	}
	for i, v := range regs {
		bit := i * 6
		x := uint16(v) << (bit & 7)
		b[16+bit/8] |= byte(x)
		if bit/8+1 < 12288 {
			b[16+bit/8+1] |= byte(x >> 8)
		}
	}
	return string(b)
}

// TestBitmapOffsetLimit checks that offsets follow proto-max-bulk-len as
// it changes, without allocating what the limit allows.
func TestBitmapOffsetLimit(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	bad := "-" + errBitOffset + "\r\n"
	for _, cmd := range [][]string{
		{"SETBIT", "k", "4294967296", "1"}, {"GETBIT", "k", "4294967296"},
		{"BITFIELD", "k", "GET", "u8", "4294967296"}, {"BITFIELD", "k", "SET", "u8", "#536870912", "1"},
		{"BITFIELD", "k", "GET", "i64", "#67108864"},
	} {
		if got := c.MustDo(t, cmd...); got != bad {
			t.Errorf("%q: %q", cmd, got)
		}
	}
	if got := c.MustDo(t, "BITFIELD", "k", "GET", "i64", "#67108863"); got != "*1\r\n:0\r\n" {
		t.Errorf("last i64 field: %q", got)
	}
	c.MustDo(t, "CONFIG", "SET", "proto-max-bulk-len", "1048576")
	if got := c.MustDo(t, "SETBIT", "k", "8388608", "1"); got != bad {
		t.Errorf("past the lowered limit: %q", got)
	}
	if got := c.MustDo(t, "SETBIT", "k", "8388607", "1"); got != ":0\r\n" {
		t.Errorf("last bit: %q", got)
	}
	if got := c.MustDo(t, "STRLEN", "k"); got != ":1048576\r\n" {
		t.Errorf("STRLEN %q", got)
	}
	// Writing the last bits of the last byte grows the string by the
	// field's width: up to 8 bytes past the limit, as in Redis.
	if got := c.MustDo(t, "BITFIELD", "k", "SET", "u63", "8388607", "1"); got != "*1\r\n:4611686018427387904\r\n" {
		t.Errorf("BITFIELD at the limit: %q", got)
	}
	if got := c.MustDo(t, "STRLEN", "k"); got != fmt.Sprintf(":%d\r\n", 1048576+8) {
		t.Errorf("STRLEN %q", got)
	}
}

// TestBitmapNoAllocs checks that the fast bitmap and HyperLogLog commands
// allocate nothing per call once their key exists (no journal
// subscriber).
func TestBitmapNoAllocs(t *testing.T) {
	srv := startServer(t)
	c := strClient(t, srv)
	strDo(c, "SETBIT", "b", "1000", "1")
	strDo(c, "PFADD", "h", "a", "b", "c")
	strDo(c, "PFCOUNT", "h")
	for _, cmd := range [][]string{
		{"SETBIT", "b", "17", "1"}, {"SETBIT", "b", "17", "0"}, {"GETBIT", "b", "17"},
		{"BITCOUNT", "b"}, {"BITCOUNT", "b", "1", "-1", "BIT"}, {"BITPOS", "b", "1", "2"},
		{"BITFIELD", "b", "INCRBY", "u8", "#3", "1", "GET", "i16", "40"},
		{"BITFIELD_RO", "b", "GET", "u8", "0"},
		{"PFADD", "h", "a", "b"}, {"PFCOUNT", "h"},
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
