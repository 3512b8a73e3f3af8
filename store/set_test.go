package store

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
)

// setMembersOf returns the members of s in iteration order.
func setMembersOf(s *Set) []string {
	var out []string
	it := s.Iter()
	for m, ok := it.Next(); ok; m, ok = it.Next() {
		out = append(out, string(m))
	}
	return out
}

// TestIntsetWidths checks the blob's width follows the widest member
// (never narrowing), members stay sorted, and lookups work at every width.
func TestIntsetWidths(t *testing.T) {
	st, _ := New(Config{Databases: 1, Shards: 1})
	tx := NewTx(st)
	s := tx.NewSet()
	add := func(v int64, want bool) {
		t.Helper()
		if got := s.Add([]byte(strconv.FormatInt(v, 10))); got != want {
			t.Fatalf("Add(%d) = %v", v, got)
		}
	}
	width := func() int { return int(s.data[s.off]) }
	add(5, true)
	add(-3, true)
	add(5, false)
	if width() != 2 || len(s.data) != 1+2*2 {
		t.Fatalf("width %d len %d", width(), len(s.data))
	}
	add(math.MaxInt16+1, true) // upgrade, appended
	if width() != 4 {
		t.Fatalf("width %d, want 4", width())
	}
	add(math.MinInt32-1, true) // upgrade, prepended
	if width() != 8 {
		t.Fatalf("width %d, want 8", width())
	}
	add(math.MaxInt64, true)
	add(math.MinInt64, true)
	add(0, true)
	want := []string{"-9223372036854775808", "-2147483649", "-3", "0", "5", "32768", "9223372036854775807"}
	if got := setMembersOf(&s); !slices.Equal(got, want) {
		t.Fatalf("members %q, want %q", got, want)
	}
	for _, m := range want {
		if !s.Has([]byte(m)) {
			t.Fatalf("Has(%s) false", m)
		}
	}
	for _, m := range []string{"1", "05", "-0", "+5", "5.0", "", "9223372036854775808"} {
		if s.Has([]byte(m)) {
			t.Fatalf("Has(%q) true", m)
		}
	}
	for _, m := range want {
		if !s.Remove([]byte(m)) || s.Remove([]byte(m)) {
			t.Fatalf("Remove(%s)", m)
		}
	}
	if s.Len() != 0 || width() != 8 || !s.IsIntset() {
		t.Fatalf("after removing all: len %d width %d intset %v", s.Len(), width(), s.IsIntset())
	}
}

// TestSetModel drives detached sets with random adds and removes against
// a map, at several intset limits: contents, length, encoding (intset
// exactly while every member is an integer and the limit was never
// passed) and iteration order (ascending for an intset).
func TestSetModel(t *testing.T) {
	for _, limit := range []int64{0, 3, 16, 512} {
		t.Run(fmt.Sprint(limit), func(t *testing.T) {
			st, _ := New(Config{Databases: 1, Shards: 1})
			st.Limits().SetMaxIntsetEntries.Store(limit)
			tx := NewTx(st)
			r := rand.New(rand.NewPCG(1, uint64(limit)))
			for round := 0; round < 50; round++ {
				s := tx.NewSet()
				model := map[string]bool{}
				converted := false
				for op := 0; op < 200; op++ {
					var m string
					switch r.IntN(20) {
					case 0:
						m = "str" + strconv.Itoa(r.IntN(5))
					case 1:
						m = strconv.FormatInt(r.Int64()-math.MaxInt64/2, 10)
					default:
						m = strconv.Itoa(r.IntN(60) - 30)
					}
					if r.IntN(3) == 0 {
						if got := s.Remove([]byte(m)); got != model[m] {
							t.Fatalf("Remove(%s) = %v", m, got)
						}
						delete(model, m)
						continue
					}
					if got := s.Add([]byte(m)); got == model[m] {
						t.Fatalf("Add(%s) = %v", m, got)
					}
					model[m] = true
					if _, err := strconv.ParseInt(m, 10, 64); err != nil || len(model) > int(limit) {
						converted = true
					}
					if s.IsIntset() == converted {
						t.Fatalf("intset %v after %d members (converted %v)", s.IsIntset(), len(model), converted)
					}
				}
				got := setMembersOf(&s)
				if len(got) != len(model) || s.Len() != len(model) {
					t.Fatalf("len %d/%d, model %d", len(got), s.Len(), len(model))
				}
				for _, m := range got {
					if !model[m] || !s.Has([]byte(m)) {
						t.Fatalf("member %s not in model", m)
					}
				}
				if s.IsIntset() && !slices.IsSortedFunc(got, func(a, b string) int {
					x, _ := strconv.ParseInt(a, 10, 64)
					y, _ := strconv.ParseInt(b, 10, 64)
					return cmp.Compare(x, y)
				}) {
					t.Fatalf("intset not ascending: %q", got)
				}
			}
		})
	}
}

// TestStoredSetAccounting changes stored sets in place (growing out of
// the entry's inline array, upgrading, converting, shrinking) and checks
// the shard's used memory stays equal to the sum of the entries' sizes,
// and that an intset stays in the entry's data array.
func TestStoredSetAccounting(t *testing.T) {
	st, _ := New(Config{Databases: 1, Shards: 1})
	db := st.DB(0)
	tx := NewTx(st)
	lim := st.Limits()
	sum := func() int64 {
		var n int64
		db.Each(func(e *Entry) bool { n += e.Size(); return true })
		return n
	}
	r := rand.New(rand.NewPCG(7, 7))
	for k := 0; k < 20; k++ {
		key := []byte("set" + strconv.Itoa(k))
		tx.LockKey(db, key, true)
		s := tx.NewSet()
		s.Add([]byte("1"))
		e := tx.PutSet(key, &s, 0)
		if e.Encoding() != "intset" || e.SetLen() != 1 {
			t.Fatalf("new set: %s len %d", e.Encoding(), e.SetLen())
		}
		for op := 0; op < 300; op++ {
			m := []byte(strconv.Itoa(r.IntN(400) * (1 + r.IntN(3)*30000)))
			if k%4 == 0 && op == 250 {
				m = []byte("x")
			}
			before := e.Size()
			if r.IntN(3) == 0 {
				e.SetRemove(m)
			} else {
				e.SetAdd(lim, m)
			}
			tx.Resized(e, before)
			if e.SetLen() == 0 {
				e.SetAdd(lim, []byte("0"))
				tx.Resized(e, before)
			}
		}
		tx.Unlock()
		if used := st.UsedMemory(); used != sum() {
			t.Fatalf("key %d: used %d, entries %d", k, used, sum())
		}
	}
	// Deleting everything brings the count back to zero.
	for k := 0; k < 20; k++ {
		key := []byte("set" + strconv.Itoa(k))
		tx.LockKey(db, key, true)
		tx.Delete(key)
		tx.Unlock()
	}
	if used := st.UsedMemory(); used != 0 {
		t.Fatalf("used %d after deleting every set", used)
	}
}

// TestStoredIntsetInline checks that a small intset costs one allocation
// with its key: the entry's accounted size is that of an inline entry.
func TestStoredIntsetInline(t *testing.T) {
	st, _ := New(Config{Databases: 1, Shards: 1})
	db := st.DB(0)
	tx := NewTx(st)
	key := []byte("set:000001")
	tx.LockKey(db, key, true)
	defer tx.Unlock()
	s := tx.NewSet()
	for i := 0; i < 10; i++ {
		s.Add([]byte(strconv.Itoa(i)))
	}
	e := tx.PutSet(key, &s, 0)
	if e.inlineCap() == 0 {
		t.Fatalf("intset not inline")
	}
	if got := e.Size(); got > 128 {
		t.Fatalf("10-member intset with a 10-byte key accounts %d bytes", got)
	}
	if string(e.Key()) != string(key) {
		t.Fatalf("key %q", e.Key())
	}
}

// TestSetCloneIndependent checks COPY's deep copy: changing the copy does
// not change the source, for both encodings.
func TestSetCloneIndependent(t *testing.T) {
	st, _ := New(Config{Databases: 1, Shards: 1})
	db := st.DB(0)
	tx := NewTx(st)
	for _, members := range [][]string{{"1", "2", "3"}, {"a", "b", "c"}} {
		tx.Begin(db, true)
		tx.Key([]byte("src"))
		tx.Key([]byte("dst"))
		tx.Lock()
		s := tx.NewSet()
		for _, m := range members {
			s.Add([]byte(m))
		}
		src := tx.PutSet([]byte("src"), &s, 0)
		dst := tx.CopyEntryTo(db, []byte("dst"), src)
		before := dst.Size()
		dst.SetRemove([]byte(members[0]))
		dst.SetAdd(st.Limits(), []byte("new"))
		tx.Resized(dst, before)
		if src.SetLen() != 3 || !src.SetHas([]byte(members[0])) || src.SetHas([]byte("new")) {
			t.Fatalf("%v: source changed by its copy", members)
		}
		if dst.SetLen() != 3 || dst.SetHas([]byte(members[0])) || !dst.SetHas([]byte("new")) {
			t.Fatalf("%v: copy not changed", members)
		}
		tx.Unlock()
	}
}

// TestSetSample checks SetSample returns count distinct members of the
// set in both of its strategies, for both encodings.
func TestSetSample(t *testing.T) {
	st, _ := New(Config{Databases: 1, Shards: 1})
	db := st.DB(0)
	tx := NewTx(st)
	for _, prefix := range []string{"", "m"} {
		key := []byte("k" + prefix)
		tx.LockKey(db, key, true)
		s := tx.NewSet()
		for i := 0; i < 100; i++ {
			s.Add([]byte(prefix + strconv.Itoa(i)))
		}
		e := tx.PutSet(key, &s, 0)
		for _, count := range []int{1, 10, 33, 34, 60, 99} {
			seen := map[string]bool{}
			e.SetSample(count, func(m []byte) {
				if seen[string(m)] || !e.SetHas(m) {
					t.Fatalf("%s count %d: %q repeated or not a member", key, count, m)
				}
				seen[string(m)] = true
			})
			if len(seen) != count {
				t.Fatalf("%s count %d: %d members", key, count, len(seen))
			}
		}
		snap := e.SetSnapshot()
		tx.Unlock()
		var buf [20]byte
		for i := 0; i < 50; i++ {
			if m := snap.Random(buf[:0]); len(m) == 0 || (prefix != "" && m[0] != 'm') {
				t.Fatalf("snapshot member %q", m)
			}
		}
	}
}

// TestSetScanHashtable checks a full SSCAN of a hashtable-encoded set
// returns every member while the set grows and shrinks between calls.
func TestSetScanHashtable(t *testing.T) {
	st, _ := New(Config{Databases: 1, Shards: 1})
	db := st.DB(0)
	tx := NewTx(st)
	key := []byte("h")
	tx.LockKey(db, key, true)
	s := tx.NewSet()
	for i := 0; i < 300; i++ {
		s.Add([]byte("stable" + strconv.Itoa(i)))
	}
	e := tx.PutSet(key, &s, 0)
	tx.Unlock()
	seen := map[string]bool{}
	cursor, calls := uint64(0), 0
	for {
		tx.LockKey(db, key, true)
		cursor = e.SetScan(cursor, func(m []byte) { seen[string(m)] = true })
		churn := make([][]byte, 500)
		for i := range churn {
			churn[i] = []byte("churn" + strconv.Itoa(i))
		}
		before := e.Size()
		if calls%2 == 0 {
			e.SetAdd(st.Limits(), churn...)
		} else {
			e.SetRemove(churn...)
		}
		tx.Resized(e, before)
		tx.Unlock()
		calls++
		if cursor == 0 || calls > 100000 {
			break
		}
	}
	for i := 0; i < 300; i++ {
		if !seen["stable"+strconv.Itoa(i)] {
			t.Fatalf("stable%d missed by the scan", i)
		}
	}
}
