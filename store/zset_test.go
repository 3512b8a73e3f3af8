package store

import (
	"bytes"
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"unsafe"
)

func TestParseScore(t *testing.T) {
	for _, c := range []struct {
		in string
		ok bool
		v  float64
	}{
		{"1", true, 1}, {"-1.5", true, -1.5}, {"+5", true, 5}, {".5", true, 0.5},
		{"5.", true, 5}, {"1e3", true, 1000}, {"1E-2", true, 0.01},
		{"0x10", true, 16}, {"0X1P-2", true, 0.25}, {"0x1.8p1", true, 3}, {"0x.8", true, 0.5},
		{"inf", true, math.Inf(1)}, {"-INF", true, math.Inf(-1)}, {"+Infinity", true, math.Inf(1)},
		{"4e-320", true, 4e-320}, {"-0", true, math.Copysign(0, -1)},
		{"1.7976931348623157e308", true, math.MaxFloat64},
		{"", false, 0}, {" 1", false, 0}, {"1 ", false, 0}, {"\t1", false, 0},
		{"nan", false, 0}, {"-nan", false, 0}, {"nan(123)", false, 0},
		{"abc", false, 0}, {"1e", false, 0}, {"1e+", false, 0}, {"0x", false, 0},
		{"1e400", false, 0}, {"-1e400", false, 0}, {"1e-400", false, 0}, {"0x1p-1080", false, 0},
		{"1\x00", false, 0}, {"1_000", false, 0}, {"infinit", false, 0}, {"++1", false, 0},
		{".", false, 0}, {"-", false, 0}, {"0e0", true, 0}, {"0x0p0", true, 0},
	} {
		v, ok := ParseScore([]byte(c.in))
		if ok != c.ok || (ok && (v != c.v || math.Signbit(v) != math.Signbit(c.v))) {
			t.Errorf("ParseScore(%q) = %v, %v; want %v, %v", c.in, v, ok, c.v, c.ok)
		}
	}
}

func TestParseScoreRange(t *testing.T) {
	for _, c := range []struct {
		min, max string
		ok       bool
		r        ScoreRange
	}{
		{"1", "2", true, ScoreRange{Min: 1, Max: 2}},
		{"(1", "(2", true, ScoreRange{Min: 1, Max: 2, MinEx: true, MaxEx: true}},
		{"-inf", "+inf", true, ScoreRange{Min: math.Inf(-1), Max: math.Inf(1)}},
		{"(", "", true, ScoreRange{MinEx: true}},
		{" 1", "\n2", true, ScoreRange{Min: 1, Max: 2}},
		{"1e400", "-1e400", true, ScoreRange{Min: math.Inf(1), Max: math.Inf(-1)}},
		{"1e-400", "2\x00junk", true, ScoreRange{Max: 2}},
		{"0x10", "0x1p4", true, ScoreRange{Min: 16, Max: 16}},
		{"nan", "1", false, ScoreRange{}},
		{"1", "((2", false, ScoreRange{}},
		{"1 ", "2", false, ScoreRange{}},
		{" ", "2", false, ScoreRange{}},
		{"x", "2", false, ScoreRange{}},
	} {
		r, ok := ParseScoreRange([]byte(c.min), []byte(c.max))
		if ok != c.ok || (ok && r != c.r) {
			t.Errorf("ParseScoreRange(%q, %q) = %+v, %v; want %+v, %v", c.min, c.max, r, ok, c.r, c.ok)
		}
	}
}

func TestParseLexRange(t *testing.T) {
	for _, c := range []struct {
		min, max string
		ok       bool
	}{
		{"-", "+", true}, {"[a", "(b", true}, {"[", "(", true}, {"+", "-", true},
		{"+\x00x", "-", true}, {"a", "+", false}, {"", "+", false}, {"-", "+a", false},
		{"--", "+", false},
	} {
		if _, ok := ParseLexRange([]byte(c.min), []byte(c.max)); ok != c.ok {
			t.Errorf("ParseLexRange(%q, %q) ok = %v", c.min, c.max, ok)
		}
	}
	r, _ := ParseLexRange([]byte("(b"), []byte("[d"))
	for _, c := range []struct {
		m   string
		gte bool
		lte bool
	}{{"a", false, true}, {"b", false, true}, {"ba", true, true}, {"d", true, true}, {"da", true, false}} {
		if r.gteMin([]byte(c.m)) != c.gte || r.lteMax([]byte(c.m)) != c.lte {
			t.Errorf("%q against (b [d: gte %v lte %v", c.m, r.gteMin([]byte(c.m)), r.lteMax([]byte(c.m)))
		}
	}
	for _, c := range []struct {
		min, max string
		empty    bool
	}{{"-", "+", false}, {"+", "-", true}, {"-", "-", true}, {"[b", "[a", true}, {"[a", "(a", true}, {"[a", "[a", false}, {"+", "[a", true}} {
		r, _ := ParseLexRange([]byte(c.min), []byte(c.max))
		if r.empty() != c.empty {
			t.Errorf("%s %s: empty = %v", c.min, c.max, r.empty())
		}
	}
}

// TestListpackScores checks that pairs round-trip whatever the previous
// score, with -0 read back as 0 as in Redis's listpack, and the sizes of
// the short and long forms.
func TestListpackScores(t *testing.T) {
	scores := []float64{0, 1, -1, 7, 8, 19, 63, 64, -64, 1e6, 1 << 52, -(1 << 52), 1<<53 - 1,
		1 << 53, 1 << 60, 0.1, -2.5, 1e300, 4e-320, math.Inf(1), math.Inf(-1), math.MaxFloat64, -math.MaxFloat64}
	members := [][]byte{nil, []byte("m"), []byte("fifteen-bytes!!"), []byte("sixteen-bytes!!!"),
		bytes.Repeat([]byte("x"), 126), bytes.Repeat([]byte("y"), 127), bytes.Repeat([]byte("z"), 300)}
	for _, prev := range scores {
		for _, s := range scores {
			for _, m := range members {
				b := lpAppendPair([]byte{0xAA}, m, s, prev)
				got, score, next := lpPair(b, 1, prev)
				if !bytes.Equal(got, m) || score != s || next != len(b) {
					t.Fatalf("prev %v, score %v, member of %d bytes: got %v, %d bytes (next %d of %d)",
						prev, s, len(m), score, len(got), next, len(b))
				}
			}
		}
	}
	b := lpAppendPair(nil, []byte("m"), math.Copysign(0, -1), 0)
	if _, got, _ := lpPair(b, 0, 0); got != 0 || math.Signbit(got) {
		t.Errorf("-0 reads back as %v", got)
	}
	for _, c := range []struct {
		m     string
		s     float64
		prev  float64
		bytes int
	}{
		{"m:12", 12, 11, 5}, {"m:12", 12, 5, 5}, {"m:12", 12, 4, 6}, {"m:12", 12, 12.5, 6},
		{"m:12", 4, 11, 6}, {"m:12", 0.5, 0, 14}, {"sixteen-bytes!!!", 1, 0, 18},
		{"user:1", 1700000000123, 1700000000000, 9},
	} {
		if n := len(lpAppendPair(nil, []byte(c.m), c.s, c.prev)); n != c.bytes {
			t.Errorf("%q scoring %v after %v takes %d bytes, want %d", c.m, c.s, c.prev, n, c.bytes)
		}
	}
}

// TestListpackEdits inserts and deletes pairs at every position of a body
// and checks every pair still decodes (the pair after an edit is encoded
// against a new predecessor).
func TestListpackEdits(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	scores := []float64{-3, 0, 1, 2, 3, 4, 9, 10, 10.5, 11, 100, 1e15, math.Inf(1)}
	for round := 0; round < 300; round++ {
		var body []byte
		m := zmodel{}
		for i := 0; i < 30; i++ {
			name := []byte("k" + strconv.Itoa(rng.IntN(12)))
			if rng.IntN(3) == 0 {
				name = bytes.Repeat(name, 5)
			}
			if _, s, ok := zlpFind(body, name); ok {
				if rng.IntN(2) == 0 {
					at, _, _ := zlpFind(body, name)
					body = lpDelete(body, at, 1)
					delete(m, string(name))
					continue
				}
				_ = s
				at, _, _ := zlpFind(body, name)
				body = lpDelete(body, at, 1)
			}
			s := scores[rng.IntN(len(scores))]
			body = lpInsert(body, name, s)
			m[string(name)] = s
			want := m.sorted()
			it := lpIter{b: body}
			for k := 0; !it.done(); k++ {
				got, sc := it.next()
				if k >= len(want) || string(got) != want[k] || sc != m[want[k]] {
					t.Fatalf("round %d: pair %d is %q %v, want %q", round, k, got, sc, want)
				}
			}
		}
	}
}

// zmodel is the reference a sorted set is checked against.
type zmodel map[string]float64

func (m zmodel) sorted() []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.SortFunc(out, func(a, b string) int {
		if c := cmp.Compare(m[a], m[b]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	return out
}

// checkSkiplist verifies a skiplist's order, spans, backward links,
// length, tail and the dict beside it.
func checkSkiplist(t *testing.T, z *zsetSL) {
	t.Helper()
	zsl := z.zsl
	if zsl.header.nlevel < zsl.level || (zsl.level > 1 && zsl.header.lvl(zsl.level-1).forward == nil) {
		t.Fatalf("header has %d levels, list %d", zsl.header.nlevel, zsl.level)
	}
	// Rank of every node by walking level 0.
	rank := map[*zslNode]int{zsl.header: 0}
	var prev *zslNode
	n := 0
	for x := zsl.header.l0.forward; x != nil; x = x.l0.forward {
		n++
		rank[x] = n
		if x.backward != prev {
			t.Fatalf("node %q: wrong backward link", x.ele)
		}
		if prev != nil && !zslLess(prev.score, prev.ele, x.score, x.ele) {
			t.Fatalf("out of order: %q %v then %q %v", prev.ele, prev.score, x.ele, x.score)
		}
		if s, ok := z.dict.Get(sbytes(x.ele)); !ok || s != x.score {
			t.Fatalf("dict has %v %v for %q (%v)", s, ok, x.ele, x.score)
		}
		prev = x
	}
	if n != zsl.length || z.dict.Len() != n || zsl.tail != prev {
		t.Fatalf("length %d, dict %d, walked %d, tail ok %v", zsl.length, z.dict.Len(), n, zsl.tail == prev)
	}
	for i := 0; i < zsl.level; i++ {
		for x := zsl.header; x != nil; x = x.lvl(i).forward {
			if f := x.lvl(i).forward; f != nil && rank[f]-rank[x] != x.lvl(i).span {
				t.Fatalf("level %d span from rank %d: %d, want %d", i, rank[x], x.lvl(i).span, rank[f]-rank[x])
			}
		}
	}
	var mem int64
	for x := zsl.header.l0.forward; x != nil; x = x.l0.forward {
		mem += slElemSize(x.nlevel, x.ele)
	}
	if mem != z.mem {
		t.Fatalf("accounted %d bytes of elements, have %d", z.mem, mem)
	}
}

// checkZSet compares a set with the model through every read method.
func checkZSet(t *testing.T, e *Entry, m zmodel, rng *rand.Rand) {
	t.Helper()
	z := ZSetOf(e)
	want := m.sorted()
	if z.Len() != len(want) {
		t.Fatalf("Len %d, want %d", z.Len(), len(want))
	}
	if sl, ok := e.object().(*zsetSL); ok {
		checkSkiplist(t, sl)
	}
	var got []string
	z.Ascend(0, z.Len(), func(b []byte, s float64) bool {
		got = append(got, string(b))
		if s != m[string(b)] {
			t.Fatalf("%q scores %v, want %v", b, s, m[string(b)])
		}
		return true
	})
	if !slices.Equal(got, want) {
		t.Fatalf("Ascend %q, want %q", got, want)
	}
	if len(want) == 0 {
		return
	}
	lo := rng.IntN(len(want))
	hi := lo + rng.IntN(len(want)-lo+1)
	var down []string
	z.Descend(lo, hi, func(b []byte, _ float64) bool { down = append(down, string(b)); return true })
	rev := slices.Clone(want[lo:hi])
	slices.Reverse(rev)
	if !slices.Equal(down, rev) {
		t.Fatalf("Descend(%d, %d) %q, want %q", lo, hi, down, rev)
	}
	for i := 0; i < 3; i++ {
		k := rng.IntN(len(want))
		b, s := z.At(k)
		if string(b) != want[k] || s != m[want[k]] {
			t.Fatalf("At(%d) = %q %v, want %q", k, b, s, want[k])
		}
		r, s, ok := z.Rank([]byte(want[k]))
		if !ok || r != k || s != m[want[k]] {
			t.Fatalf("Rank(%q) = %d %v %v, want %d", want[k], r, s, ok, k)
		}
		if sc, ok := z.Score([]byte(want[k])); !ok || sc != m[want[k]] {
			t.Fatalf("Score(%q) = %v %v", want[k], sc, ok)
		}
	}
	if _, _, ok := z.Rank([]byte("absent")); ok {
		t.Fatal("Rank of an absent member")
	}
	// Score spans against a scan of the model.
	for i := 0; i < 3; i++ {
		r := ScoreRange{Min: float64(rng.IntN(12) - 1), Max: float64(rng.IntN(12) - 1), MinEx: rng.IntN(2) == 0, MaxEx: rng.IntN(2) == 0}
		a, b := z.ScoreSpan(&r)
		n := 0
		for k, w := range want {
			if r.gteMin(m[w]) && r.lteMax(m[w]) {
				if n == 0 && k != a {
					t.Fatalf("span of %+v starts at %d, want %d", r, a, k)
				}
				n++
			}
		}
		if b-a != n {
			t.Fatalf("span of %+v: [%d, %d), want %d members", r, a, b, n)
		}
	}
}

// TestZSetModel drives sorted sets of both encodings with random writes
// and checks every read against a model after each one.
func TestZSetModel(t *testing.T) {
	for _, limit := range []int64{128, 0, 8} {
		t.Run(fmt.Sprintf("entries=%d", limit), func(t *testing.T) {
			st, _ := New(Config{Databases: 1, Shards: 1})
			st.Limits().ZsetMaxListpackEntries.Store(limit)
			tx := NewTx(st)
			db := st.DB(0)
			rng := rand.New(rand.NewPCG(uint64(limit), 7))
			key := []byte("z")
			m := zmodel{}
			member := func() []byte {
				if rng.IntN(50) == 0 {
					return bytes.Repeat([]byte{'L'}, 65+rng.IntN(3))
				}
				return []byte("m" + strconv.Itoa(rng.IntN(40)))
			}
			score := func() float64 {
				switch rng.IntN(8) {
				case 0:
					return 0.5 + float64(rng.IntN(10))
				case 1:
					return math.Inf(rng.IntN(2)*2 - 1)
				}
				return float64(rng.IntN(10))
			}
			for step := 0; step < 3000; step++ {
				tx.LockKey(db, key, true)
				e := tx.Lookup(key)
				switch op := rng.IntN(10); {
				case op < 5:
					var pairs [][]byte
					for i := rng.IntN(4) + 1; i > 0; i-- {
						pairs = append(pairs, []byte(strconv.FormatFloat(score(), 'g', -1, 64)), member())
					}
					if e == nil {
						e = tx.NewZSet(db, key, len(pairs[1]))
					}
					f := ZAddFlags(0)
					if rng.IntN(4) == 0 {
						f = []ZAddFlags{ZAddNX, ZAddXX, ZAddGT, ZAddLT}[rng.IntN(4)]
					}
					tx.ZAdd(db, e, f, pairs, nil)
					for i := 0; i < len(pairs); i += 2 {
						s, _ := ParseScore(pairs[i])
						cur, ok := m[string(pairs[i+1])]
						switch {
						case f == ZAddNX && ok, f == ZAddXX && !ok,
							f == ZAddGT && ok && s <= cur, f == ZAddLT && ok && s >= cur:
						default:
							m[string(pairs[i+1])] = s
						}
					}
				case op < 7 && e != nil:
					ms := [][]byte{member(), member()}
					tx.ZRem(db, e, ms, nil)
					for _, x := range ms {
						delete(m, string(x))
					}
				case op < 9 && e != nil:
					n := ZSetOf(e).Len()
					lo := rng.IntN(n)
					hi := lo + rng.IntN(min(3, n-lo)+1)
					if rng.IntN(40) == 0 {
						lo, hi = 0, n // empty it: the key goes away
					}
					tx.ZRemRanks(db, e, lo, hi)
					for _, x := range m.sorted()[lo:hi] {
						delete(m, x)
					}
				case e != nil:
					// INCR, which may hit inf - inf.
					pairs := [][]byte{[]byte(strconv.FormatFloat(score(), 'g', -1, 64)), member()}
					res := tx.ZAdd(db, e, ZAddIncr, pairs, nil)
					s, _ := ParseScore(pairs[0])
					next := m[string(pairs[1])] + s
					if math.IsNaN(next) != res.NaN {
						t.Fatalf("NaN %v for %v + %v", res.NaN, m[string(pairs[1])], s)
					}
					if !res.NaN {
						m[string(pairs[1])] = next
					}
				}
				e = tx.Lookup(key)
				if (e == nil) != (len(m) == 0) {
					t.Fatalf("step %d: key exists %v with %d members", step, e != nil, len(m))
				}
				if e != nil {
					if e.size() != entryAccounted(e) {
						t.Fatalf("entry size %d, recomputed %d", e.size(), entryAccounted(e))
					}
					checkZSet(t, e, m, rng)
				}
				if used := st.UsedMemory(); (e == nil && used != 0) || (e != nil && used != e.size()) {
					t.Fatalf("used memory %d, entry %v", used, e != nil)
				}
				tx.Unlock()
			}
		})
	}
}

// entryAccounted recomputes an entry's size from scratch.
func entryAccounted(e *Entry) int64 {
	var n int64
	if ic := e.inlineCap(); ic > 0 {
		n = int64(roundAlloc(int(unsafe.Sizeof(Entry{}))+ic)) + 8
	} else {
		n = int64(entryOverhead) + int64(roundAlloc(cap(e.dataBytes())))
	}
	switch o := e.object().(type) {
	case *zsetLP:
		n += int64(roundAlloc(o.blobLen()))
	case *zsetSL:
		n += o.MemoryUsage()
	}
	return n
}

// TestZSetLex checks lexicographic ranges of equal-score sets in both
// encodings against a model.
func TestZSetLex(t *testing.T) {
	for _, limit := range []int64{128, 0} {
		st, _ := New(Config{Databases: 1, Shards: 1})
		st.Limits().ZsetMaxListpackEntries.Store(limit)
		tx := NewTx(st)
		db := st.DB(0)
		tx.LockKey(db, []byte("l"), true)
		e := tx.NewZSet(db, []byte("l"), 1)
		var all []string
		var pairs [][]byte
		for _, m := range []string{"", "a", "aa", "ab", "b", "c", "ca", "d", "e", "\xff"} {
			pairs = append(pairs, []byte("0"), []byte(m))
			all = append(all, m)
		}
		tx.ZAdd(db, e, 0, pairs, nil)
		z := ZSetOf(e)
		bounds := []string{"-", "+", "[", "(", "[a", "(a", "[ab", "(ab", "[b", "(c", "[cz", "[\xff", "(\xff"}
		for _, lo := range bounds {
			for _, hi := range bounds {
				r, _ := ParseLexRange([]byte(lo), []byte(hi))
				var want []int
				for i, m := range all {
					if r.gteMin([]byte(m)) && r.lteMax([]byte(m)) {
						want = append(want, i)
					}
				}
				first, last := z.LexFirst(&r), z.LexLast(&r)
				if len(want) == 0 {
					if first != -1 || last != -1 {
						t.Errorf("limit %d %s %s: first %d last %d, want none", limit, lo, hi, first, last)
					}
					continue
				}
				if first != want[0] || last != want[len(want)-1] ||
					z.LexRun(first, &r, false) != len(want) || z.LexRun(last, &r, true) != len(want) {
					t.Errorf("limit %d %s %s: first %d last %d runs %d %d, want %v", limit, lo, hi,
						first, last, z.LexRun(first, &r, false), z.LexRun(last, &r, true), want)
				}
			}
		}
		tx.Unlock()
	}
}

// TestZSetClone checks that a copy shares nothing with its source.
func TestZSetClone(t *testing.T) {
	for _, limit := range []int64{128, 0} {
		st, _ := New(Config{Databases: 1, Shards: 1})
		st.Limits().ZsetMaxListpackEntries.Store(limit)
		tx := NewTx(st)
		db := st.DB(0)
		tx.Begin(db, true)
		tx.Key([]byte("a"))
		tx.Key([]byte("b"))
		tx.Lock()
		e := tx.NewZSet(db, []byte("a"), 1)
		tx.ZAdd(db, e, 0, [][]byte{[]byte("1"), []byte("x"), []byte("2"), []byte("y")}, nil)
		c := tx.CopyEntryTo(db, []byte("b"), e)
		tx.ZAdd(db, c, 0, [][]byte{[]byte("3"), []byte("x")}, nil)
		tx.ZRem(db, c, [][]byte{[]byte("y")}, nil)
		if s, _ := ZSetOf(e).Score([]byte("x")); s != 1 || ZSetOf(e).Len() != 2 {
			t.Errorf("limit %d: source changed by its copy", limit)
		}
		if s, _ := ZSetOf(c).Score([]byte("x")); s != 3 || ZSetOf(c).Len() != 1 {
			t.Errorf("limit %d: copy not changed", limit)
		}
		if e.Encoding() != c.Encoding() {
			t.Errorf("encodings %s and %s", e.Encoding(), c.Encoding())
		}
		tx.Unlock()
	}
}

// TestZSetScan checks that a skiplist scan returns every member once when
// nothing changes, whatever the count.
func TestZSetScan(t *testing.T) {
	st, _ := New(Config{Databases: 1, Shards: 1})
	tx := NewTx(st)
	db := st.DB(0)
	tx.LockKey(db, []byte("s"), true)
	defer tx.Unlock()
	e := tx.NewZSet(db, []byte("s"), 1)
	var pairs [][]byte
	for i := 0; i < 1000; i++ {
		pairs = append(pairs, []byte(strconv.Itoa(i)), []byte("m"+strconv.Itoa(i)))
	}
	tx.ZAdd(db, e, 0, pairs, nil)
	if e.Encoding() != "skiplist" {
		t.Fatalf("encoding %s", e.Encoding())
	}
	for _, count := range []int{1, 10, 5000} {
		seen := map[string]int{}
		cursor, calls := uint64(0), 0
		for {
			cursor = ZSetOf(e).Scan(cursor, count, func(m []byte, s float64) {
				if strconv.Itoa(int(s)) != string(m[1:]) {
					t.Fatalf("%s scores %v", m, s)
				}
				seen[string(m)]++
			})
			calls++
			if cursor == 0 {
				break
			}
		}
		if len(seen) != 1000 {
			t.Fatalf("count %d: %d members", count, len(seen))
		}
		if count == 5000 && calls != 1 {
			t.Fatalf("count 5000 took %d calls", calls)
		}
	}
}

// TestZSetBuilder checks the encoding the *STORE commands get.
func TestZSetBuilder(t *testing.T) {
	st, _ := New(Config{Databases: 1, Shards: 1})
	tx := NewTx(st)
	for _, c := range []struct {
		n, maxLen int
		enc       string
	}{{128, 64, "listpack"}, {129, 1, "skiplist"}, {1, 65, "skiplist"}, {0, 0, "listpack"}} {
		b := tx.NewZSetBuilder(c.n, c.maxLen)
		for i := 0; i < c.n; i++ {
			b.Append([]byte(fmt.Sprintf("m%03d", i)), float64(i))
		}
		v := b.Value().(interface{ Encoding() string })
		if v.Encoding() != c.enc || b.Len() != c.n {
			t.Errorf("%d members of %d bytes: %s, %d", c.n, c.maxLen, v.Encoding(), b.Len())
		}
	}
}

// BenchmarkZAddListpack measures adding members to a 20-member listpack
// set (the ZADD of a leaderboard update).
func BenchmarkZAddListpack(b *testing.B) {
	st, _ := New(Config{Databases: 1, Shards: 1})
	tx := NewTx(st)
	db := st.DB(0)
	key := []byte("z")
	tx.LockKey(db, key, true)
	e := tx.NewZSet(db, key, 3)
	var pairs [][]byte
	for i := 0; i < 20; i++ {
		pairs = append(pairs, []byte(strconv.Itoa(i)), []byte("m:"+strconv.Itoa(i)))
	}
	tx.ZAdd(db, e, 0, pairs, nil)
	tx.Unlock()
	p := [][]byte{nil, []byte("m:7")}
	scores := [][]byte{[]byte("3"), []byte("15")}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		p[0] = scores[i&1]
		tx.LockKey(db, key, true)
		tx.ZAdd(db, tx.Lookup(key), 0, p, nil)
		tx.Unlock()
	}
}

// BenchmarkSkiplistUpdate moves random members of a 100,000-member
// skiplist to random scores (ZADD on a big leaderboard).
func BenchmarkSkiplistUpdate(b *testing.B) {
	z := newZsetSL()
	r := rand.New(rand.NewPCG(1, 2))
	members := make([]string, 100000)
	for i := range members {
		members[i] = "element:" + strconv.Itoa(i)
		z.insert(float64(r.IntN(100000)), members[i])
	}
	b.ResetTimer()
	for b.Loop() {
		m := members[r.IntN(len(members))]
		cur, _ := z.dict.Get(sbytes(m))
		next := float64(r.IntN(100000))
		z.zsl.updateScore(cur, m, next)
		*z.dict.Ptr(sbytes(m)) = next
	}
}
