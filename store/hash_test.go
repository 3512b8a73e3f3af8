package store

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestHashCodecRoundTrip encodes random sequences of elements chosen to
// hit every form of the compact layout (short and long strings, front
// coding short and long, integers of every width, near-integers) and
// checks that walking, skipping and counting give them back.
func TestHashCodecRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	vocab := func() string {
		switch r.IntN(12) {
		case 0:
			return strconv.FormatInt(r.Int64N(128)-64, 10)
		case 1:
			return strconv.FormatInt(r.Int64()>>r.IntN(64), 10)
		case 2:
			return strconv.FormatInt(-r.Int64()>>r.IntN(64), 10)
		case 3:
			return []string{"-0", "+1", "01", " 1", "1 ", "1.5", "9223372036854775808", "-9223372036854775809", ""}[r.IntN(9)]
		case 4:
			return "field:" + strconv.Itoa(r.IntN(20))
		case 5:
			return "val" + fmt.Sprintf("%05d", r.IntN(200))
		case 6:
			return strings.Repeat("p", r.IntN(150)) + strconv.Itoa(r.IntN(3))
		case 7:
			return strings.Repeat("q", 60+r.IntN(10))
		case 8:
			return string([]byte{byte(r.IntN(256)), 0, byte(r.IntN(256))})
		case 9:
			return "user:1000:" + strings.Repeat("x", r.IntN(12))
		case 10:
			return strings.Repeat("a", r.IntN(10))
		}
		return "t" + strconv.Itoa(r.IntN(1000))
	}
	for round := 0; round < 300; round++ {
		n := r.IntN(40)
		var want []string
		var w lpWriter
		for i := 0; i < 2*n; i++ {
			s := vocab()
			want = append(want, s)
			w.add(i%2, []byte(s))
		}
		if got := lpCount(w.out); got != n {
			t.Fatalf("round %d: lpCount %d, want %d", round, got, n)
		}
		c := lpCursor{b: w.out}
		var f, v lpElem
		var got []string
		for c.next(&f, &v) {
			for _, el := range []*lpElem{&f, &v} {
				s := string(el.appendTo(nil))
				if el.length() != len(s) {
					t.Fatalf("length %d of %q", el.length(), s)
				}
				_, isInt := parseStrictInt([]byte(s))
				if el.isInt != isInt {
					t.Fatalf("%q decoded with isInt %v", s, el.isInt)
				}
				got = append(got, s)
			}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("round %d:\n got %q\nwant %q", round, got, want)
		}
		for pos, i := 0, 0; pos < len(w.out); i++ {
			// lpSkip lands where decoding does.
			var el lpElem
			next := lpSkip(w.out, pos)
			c := lpCursor{b: w.out}
			for j := 0; j <= i; j++ {
				c.elem(j%2, &el)
			}
			if c.pos != next {
				t.Fatalf("skip of element %d: %d, decode: %d", i, next, c.pos)
			}
			pos = next
		}
		// Every field is found, with its value.
		for i := 0; i < len(want); i += 2 {
			k := newLPKey([]byte(want[i]))
			first := slices.Index(want, want[i])
			for first%2 == 1 {
				first += 1 + slices.Index(want[first+1:], want[i])
			}
			if first != i {
				continue // a repeated field: the first one answers
			}
			v, ok := lpGet(w.out, &k)
			if !ok || string(v.appendTo(nil)) != want[i+1] {
				t.Fatalf("lpGet %q = %q %v, want %q", want[i], v.appendTo(nil), ok, want[i+1])
			}
		}
	}
}

// TestHashLayoutSize pins down what the layout costs for typical small
// hashes, the figure that decides bytes per key.
func TestHashLayoutSize(t *testing.T) {
	for _, tc := range []struct {
		name  string
		pairs func(i int) (string, string)
		want  int
	}{
		// "field:0" whole (8), then 6 shared + 1 new byte: 2 each.
		// "val00100" whole (9), then 7 shared + 1 new: 2 each.
		{"prefixed", func(i int) (string, string) { return "field:" + strconv.Itoa(i), fmt.Sprintf("val%05d", 100+i) }, 8 + 9*2 + 9 + 9*2},
		// Integers 0-63 are one byte, int8 two, int16 three.
		{"ints", func(i int) (string, string) { return strconv.Itoa(i), strconv.Itoa(i * 100) }, 10 + 1 + 2 + 8*3},
		// Unrelated strings cost one byte over their length.
		{"plain", func(i int) (string, string) {
			return []string{"name", "email", "age", "city", "zip", "x", "yy", "zzz", "q", "w"}[i], "v"
		}, 4 + 5 + 3 + 4 + 3 + 1 + 2 + 3 + 1 + 1 + 10 + 2 + 9*1},
	} {
		var w lpWriter
		for i := 0; i < 10; i++ {
			f, v := tc.pairs(i)
			w.add(0, []byte(f))
			w.add(1, []byte(v))
		}
		if len(w.out) != tc.want {
			t.Errorf("%s: %d bytes, want %d", tc.name, len(w.out), tc.want)
		}
	}
}

// hashModel is the reference a store hash is checked against: pairs in
// insertion order and whether it converted to a table.
type hashModel struct {
	pairs     [][2]string
	converted bool
}

func (m *hashModel) index(f string) int {
	return slices.IndexFunc(m.pairs, func(p [2]string) bool { return p[0] == f })
}

// set applies one field as Redis's hashTypeSet does.
func (m *hashModel) set(f, v string, maxEntries int) bool {
	if i := m.index(f); i >= 0 {
		m.pairs[i][1] = v
		return false
	}
	m.pairs = append(m.pairs, [2]string{f, v})
	if len(m.pairs) > maxEntries {
		m.converted = true
	}
	return true
}

// usedBySize sums the accounted size of every entry of db: what the
// shards' running totals must equal.
func usedBySize(db *DB) int64 {
	var n int64
	db.Each(func(e *Entry) bool {
		n += e.size()
		return true
	})
	return n
}

// TestHashAgainstModel runs random HSET, HSETNX, HDEL and HINCRBY on a few
// keys with small limits, so hashes convert often, and checks contents,
// order (insertion order while compact), encoding, TTLs and the memory
// accounting after every operation.
func TestHashAgainstModel(t *testing.T) {
	st := newTestStore(t)
	now := int64(1_700_000_000_000)
	st.SetClock(func() int64 { return now })
	const maxEntries, maxValue = 12, 20
	st.Limits().HashMaxListpackEntries.Store(maxEntries)
	st.Limits().HashMaxListpackValue.Store(maxValue)
	db := st.DB(0)
	tx := NewTx(st)
	r := rand.New(rand.NewPCG(3, 4))
	models := map[string]*hashModel{}
	ttls := map[string]int64{}
	word := func() string {
		switch r.IntN(8) {
		case 0:
			return strconv.Itoa(r.IntN(300) - 100)
		case 1:
			return strings.Repeat("L", 15+r.IntN(8)) // sometimes past maxValue
		case 2:
			return ""
		}
		return "f:" + strconv.Itoa(r.IntN(18))
	}
	for op := 0; op < 20000; op++ {
		key := "h" + strconv.Itoa(r.IntN(6))
		m := models[key]
		if m == nil {
			m = &hashModel{}
		}
		tx.LockKey(db, []byte(key), true)
		switch r.IntN(10) {
		case 0, 1, 2, 3:
			var pairs [][]byte
			long := false
			for i := r.IntN(4); i >= 0; i-- {
				f, v := word(), word()
				pairs = append(pairs, []byte(f), []byte(v))
				long = long || len(f) > maxValue || len(v) > maxValue
			}
			if long {
				m.converted = true
			}
			added := 0
			for i := 0; i < len(pairs); i += 2 {
				if m.set(string(pairs[i]), string(pairs[i+1]), maxEntries) {
					added++
				}
			}
			if n, err := tx.HSet([]byte(key), pairs); err != nil || n != added {
				t.Fatalf("op %d HSET %s %q: %d %v, want %d", op, key, pairs, n, err, added)
			}
		case 4:
			f, v := word(), word()
			want := m.index(f) < 0
			if want {
				if len(f) > maxValue || len(v) > maxValue {
					m.converted = true
				}
				m.set(f, v, maxEntries)
			}
			if ok, err := tx.HSetNX([]byte(key), []byte(f), []byte(v)); err != nil || ok != want {
				t.Fatalf("op %d HSETNX %s %q: %v %v", op, key, f, ok, err)
			}
		case 5, 6:
			var fields [][]byte
			want := 0
			for i := r.IntN(3); i >= 0; i-- {
				f := word()
				fields = append(fields, []byte(f))
				if j := m.index(f); j >= 0 {
					m.pairs = slices.Delete(m.pairs, j, j+1)
					want++
				}
			}
			if n, err := tx.HDel([]byte(key), fields); err != nil || n != want {
				t.Fatalf("op %d HDEL %s %q: %d %v, want %d", op, key, fields, n, err, want)
			}
		case 7:
			f := word()
			cur := int64(0)
			isInt := true
			if j := m.index(f); j >= 0 {
				cur, isInt = parseStrictInt([]byte(m.pairs[j][1]))
			}
			v, err := tx.HIncrBy([]byte(key), []byte(f), 7)
			if !isInt {
				if err != ErrHashNotInteger {
					t.Fatalf("op %d HINCRBY on %q: %v", op, m.pairs[m.index(f)][1], err)
				}
				break
			}
			if err != nil || v != cur+7 {
				t.Fatalf("op %d HINCRBY %s %q: %d %v, want %d", op, key, f, v, err, cur+7)
			}
			if len(f) > maxValue {
				m.converted = true
			}
			m.set(f, strconv.FormatInt(v, 10), maxEntries)
		case 8:
			if e := tx.Lookup([]byte(key)); e != nil && r.IntN(2) == 0 {
				at := now + int64(1000+r.IntN(1000))
				tx.SetExpire(e, at)
				ttls[key] = at
			}
		case 9:
			if r.IntN(20) == 0 {
				tx.Delete([]byte(key))
				m = &hashModel{}
				delete(ttls, key)
			}
		}
		if len(m.pairs) == 0 {
			m = &hashModel{}
			delete(ttls, key)
		}
		models[key] = m
		e := tx.Lookup([]byte(key))
		checkHash(t, op, key, e, m, ttls[key])
		tx.Unlock()
		if used, sum := st.UsedMemory(), usedBySize(db); used != sum {
			t.Fatalf("op %d: accounted %d, entries sum to %d", op, used, sum)
		}
	}
	// The expiry heap follows entries that were reallocated.
	now += 10_000
	st.ExpireNow()
	for key := range ttls {
		tx.LockKey(db, []byte(key), false)
		if tx.Lookup([]byte(key)) != nil {
			t.Errorf("%s outlived its TTL", key)
		}
		tx.Unlock()
	}
	if used, sum := st.UsedMemory(), usedBySize(db); used != sum {
		t.Fatalf("after expiry: accounted %d, entries sum to %d", used, sum)
	}
}

func checkHash(t *testing.T, op int, key string, e *Entry, m *hashModel, ttl int64) {
	t.Helper()
	if len(m.pairs) == 0 {
		if e != nil {
			t.Fatalf("op %d: %s exists with no fields", op, key)
		}
		return
	}
	if e == nil || e.Kind() != KindHash {
		t.Fatalf("op %d: %s missing", op, key)
	}
	wantEnc := "listpack"
	if m.converted {
		wantEnc = "hashtable"
	}
	if e.Encoding() != wantEnc {
		t.Fatalf("op %d: %s encoding %s, want %s (%d fields)", op, key, e.Encoding(), wantEnc, len(m.pairs))
	}
	if e.ExpireAt() != ttl {
		t.Fatalf("op %d: %s expires at %d, want %d", op, key, e.ExpireAt(), ttl)
	}
	if HashLen(e) != len(m.pairs) {
		t.Fatalf("op %d: %s HLEN %d, want %d", op, key, HashLen(e), len(m.pairs))
	}
	var got [][2]string
	var it HashIter
	for it.Init(e); it.Next(); {
		got = append(got, [2]string{string(it.Field()), string(it.Value())})
	}
	want := m.pairs
	if m.converted {
		got, want = slices.Clone(got), slices.Clone(want)
		cmp := func(a, b [2]string) int { return strings.Compare(a[0], b[0]) }
		slices.SortFunc(got, cmp)
		slices.SortFunc(want, cmp)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("op %d: %s is\n %q\nwant\n %q", op, key, got, want)
	}
	for _, p := range m.pairs {
		var buf [4]byte
		v, ok := HashGet(e, []byte(p[0]), buf[:0])
		if !ok || string(v) != p[1] || HashStrlen(e, []byte(p[0])) != len(p[1]) || !HashExists(e, []byte(p[0])) {
			t.Fatalf("op %d: %s HGET %q = %q %v, want %q", op, key, p[0], v, ok, p[1])
		}
	}
	if HashExists(e, []byte("nosuch")) || HashStrlen(e, []byte("nosuch")) != 0 {
		t.Fatalf("op %d: %s has nosuch", op, key)
	}
}

// TestHashCloneIsDeep checks COPY of both encodings: the copy has the same
// pairs and encoding and shares nothing mutable with the source.
func TestHashCloneIsDeep(t *testing.T) {
	st := newTestStore(t)
	st.Limits().HashMaxListpackEntries.Store(4)
	db := st.DB(0)
	tx := NewTx(st)
	for _, n := range []int{3, 10} {
		src, dst := []byte("src"+strconv.Itoa(n)), []byte("dst"+strconv.Itoa(n))
		tx.Begin(db, true)
		tx.Key(src)
		tx.Key(dst)
		tx.Lock()
		var pairs [][]byte
		for i := 0; i < n; i++ {
			pairs = append(pairs, []byte("f"+strconv.Itoa(i)), []byte("v"))
		}
		if _, err := tx.HSet(src, pairs); err != nil {
			t.Fatal(err)
		}
		e := tx.CopyEntryTo(db, dst, tx.Lookup(src))
		if e.Encoding() != tx.Lookup(src).Encoding() || HashLen(e) != n {
			t.Fatalf("copy of %d: %s with %d fields", n, e.Encoding(), HashLen(e))
		}
		if _, err := tx.HSet(dst, [][]byte{[]byte("f0"), []byte("changed")}); err != nil {
			t.Fatal(err)
		}
		if _, err := tx.HDel(dst, [][]byte{[]byte("f1")}); err != nil {
			t.Fatal(err)
		}
		var buf [8]byte
		if v, _ := HashGet(tx.Lookup(src), []byte("f0"), buf[:0]); string(v) != "v" || !HashExists(tx.Lookup(src), []byte("f1")) {
			t.Fatalf("source of %d changed with its copy: f0=%q", n, v)
		}
		tx.Unlock()
		if used, sum := st.UsedMemory(), usedBySize(db); used != sum {
			t.Fatalf("accounted %d, entries sum to %d", used, sum)
		}
	}
}

// TestHashRandom checks HRANDFIELD's selections on both encodings.
func TestHashRandom(t *testing.T) {
	st := newTestStore(t)
	st.Limits().HashMaxListpackEntries.Store(64)
	db := st.DB(0)
	tx := NewTx(st)
	for _, n := range []int{1, 5, 60, 300} {
		key := []byte("r" + strconv.Itoa(n))
		tx.LockKey(db, key, true)
		var pairs [][]byte
		for i := 0; i < n; i++ {
			pairs = append(pairs, []byte("field:"+strconv.Itoa(i)), []byte("v"+strconv.Itoa(i)))
		}
		if _, err := tx.HSet(key, pairs); err != nil {
			t.Fatal(err)
		}
		e := tx.Lookup(key)
		valid := func(f, v []byte) bool {
			i, err := strconv.Atoi(strings.TrimPrefix(string(f), "field:"))
			return err == nil && i < n && string(v) == "v"+strconv.Itoa(i)
		}
		for _, count := range []int64{1, 2, int64(n) / 3, int64(n) / 2, int64(n) - 1, int64(n), int64(n) + 5} {
			if count <= 0 {
				continue
			}
			seen := map[string]bool{}
			HashRandom(e, count, true, func(f, v []byte) {
				if !valid(f, v) || seen[string(f)] {
					t.Fatalf("n=%d count=%d: bad or repeated pick %q=%q", n, count, f, v)
				}
				seen[string(f)] = true
			})
			if want := min(count, int64(n)); int64(len(seen)) != want {
				t.Fatalf("n=%d count=%d: %d distinct fields, want %d", n, count, len(seen), want)
			}
		}
		got := 0
		HashRandom(e, 1000, false, func(f, v []byte) {
			if !valid(f, v) {
				t.Fatalf("n=%d: bad pick %q=%q", n, f, v)
			}
			got++
		})
		if got != 1000 {
			t.Fatalf("n=%d: %d picks with repeats, want 1000", n, got)
		}
		tx.Unlock()
	}
}

// TestRoundAlloc checks the accounting's size classes against Go's.
func TestRoundAlloc(t *testing.T) {
	for _, tc := range [][2]int{
		{0, 0}, {1, 16}, {16, 16}, {17, 24}, {25, 32}, {33, 48}, {100, 112},
		{144, 144}, {145, 160}, {257, 288}, {512, 512}, {513, 576},
		{1025, 1152}, {32768, 32768}, {32769, 40960},
	} {
		if got := roundAlloc(tc[0]); got != tc[1] {
			t.Errorf("roundAlloc(%d) = %d, want %d", tc[0], got, tc[1])
		}
	}
}

// BenchmarkHashGet looks up fields of a compact hash of 10 fields.
func BenchmarkHashGet(b *testing.B) {
	st, _ := New(Config{Databases: 1, Shards: 1})
	tx := NewTx(st)
	key := []byte("h")
	var pairs [][]byte
	for i := 0; i < 10; i++ {
		pairs = append(pairs, []byte("field:"+strconv.Itoa(i)), []byte("value-"+strconv.Itoa(i)))
	}
	tx.LockKey(st.DB(0), key, true)
	if _, err := tx.HSet(key, pairs); err != nil {
		b.Fatal(err)
	}
	e := tx.Lookup(key)
	tx.Unlock()
	var buf [64]byte
	for i := 0; b.Loop(); i++ {
		if _, ok := HashGet(e, pairs[2*(i%10)], buf[:0]); !ok {
			b.Fatal("missing")
		}
	}
}
