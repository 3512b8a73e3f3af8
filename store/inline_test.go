package store

import (
	"bytes"
	"strings"
	"testing"
	"unsafe"
)

// TestInlineEntries checks that small keys and values share their entry's
// allocation, that overwrites reuse it when they fit and move out when they
// don't, and that accounting follows.
func TestInlineEntries(t *testing.T) {
	st, _ := New(Config{Databases: 1, Shards: 1})
	db := st.DB(0)
	tx := NewTx(st)
	set := func(k, v string) *Entry {
		tx.LockKey(db, []byte(k), true)
		defer tx.Unlock()
		return tx.SetString([]byte(k), []byte(v), 0)
	}
	smallest := 80 - int(entrySize) // the 80-byte class
	e := set("key", "small")
	if e.inlineCap() != smallest || string(e.Key()) != "key" || string(e.Str()) != "small" {
		t.Fatalf("inline %d key %q val %q", e.inlineCap(), e.Key(), e.Str())
	}
	used := st.UsedMemory()
	e2 := set("key", "tiny")
	if e2 != e || e.inlineCap() != smallest || string(e.Str()) != "tiny" || st.UsedMemory() != used {
		t.Fatalf("overwrite in place: inline %d val %q used %d->%d", e.inlineCap(), e.Str(), used, st.UsedMemory())
	}
	big := strings.Repeat("v", 300)
	set("key", big)
	if e.inlineCap() != 0 || string(e.Str()) != big || string(e.Key()) != "key" {
		t.Fatal("grown value should move out of the inline array")
	}
	if st.UsedMemory() <= used {
		t.Fatalf("accounting did not grow: %d -> %d", used, st.UsedMemory())
	}
	for _, n := range []int{0, 1, 15, 16, 17, 23, 24, 79, 81, 100, 113, 150, 176, 177, 199, 200, 1000} {
		v := bytes.Repeat([]byte{'x'}, n)
		e := newEntry(1, []byte("k"), v)
		if string(e.Key()) != "k" || !bytes.Equal(e.Str(), v) {
			t.Fatalf("n=%d: round trip", n)
		}
		if (n+1 <= maxInline) != (e.inlineCap() > 0) {
			t.Fatalf("n=%d: inline cap %d", n, e.inlineCap())
		}
		// The entry and its array fill a size class exactly.
		if c := e.inlineCap(); c > 0 && roundAlloc(int(entrySize)+c) != int(entrySize)+c {
			t.Fatalf("n=%d: inline cap %d wastes part of its size class", n, c)
		}
	}
}

// TestEntrySize pins the Entry header at 56 bytes and what it buys: a
// 13-byte key with a 100-byte value fits the 176-byte size class (it took
// the 192-byte class with the 64-byte header), a 12+100 one is accounted
// as before, and a bare Entry is accounted its real 64-byte class.
func TestEntrySize(t *testing.T) {
	if s := unsafe.Sizeof(Entry{}); s != 56 {
		t.Fatalf("Entry is %d bytes, want 56", s)
	}
	if entryOverhead != 64+8 {
		t.Fatalf("bare entry accounted %d, want its 64-byte class + 8", entryOverhead)
	}
	st, _ := New(Config{Databases: 1, Shards: 1})
	db := st.DB(0)
	tx := NewTx(st)
	val := bytes.Repeat([]byte{'v'}, 100)
	for _, c := range []struct {
		key        string
		size, icap int64 // accounted bytes (class + 8-byte bucket slot), inline array
	}{
		{"cache:1234567", 176 + 8, 120}, // 192 + 8 with the 64-byte header
		{"cache:123456", 176 + 8, 120},  // 176 + 8 before too (64 + 112)
	} {
		tx.LockKey(db, []byte(c.key), true)
		e := tx.SetString([]byte(c.key), val, 0)
		size, icap := e.size(), int64(e.inlineCap())
		tx.Unlock()
		if size != c.size || icap != c.icap {
			t.Errorf("%q + 100 bytes: accounted %d inline %d, want %d and %d", c.key, size, icap, c.size, c.icap)
		}
	}
}

// TestEntryObject checks that every value type round-trips through an
// entry's tagged pointer, without allocating, and that a foreign type is
// refused.
func TestEntryObject(t *testing.T) {
	objs := []any{nil, &hllPast{}, NewList(), &setHT{}, intsetObj, newZsetLP(nil, 0),
		newZsetSL(), &hashTable{}, hashLP, NewStream()}
	var e Entry
	for _, o := range objs {
		e.setObject(o)
		if got := e.object(); got != o {
			t.Errorf("%T: object() = %T %p", o, got, got)
		}
		if n := testing.AllocsPerRun(10, func() { _ = e.object() }); n != 0 {
			t.Errorf("%T: object() allocates %v times", o, n)
		}
	}
	e.dropObject()
	if e.object() != nil || e.tag != objNone || e.objp != nil {
		t.Fatal("dropObject left an object")
	}
	defer func() {
		if recover() == nil {
			t.Fatal("setObject accepted a foreign type")
		}
	}()
	e.setObject([]string{"x"})
}

// TestInlineDataHasNoSelfPointer: an inline entry finds its array from
// itself (dp nil, one pointer fewer for the collector), and a separate
// array is pointed to as before.
func TestInlineDataHasNoSelfPointer(t *testing.T) {
	e := newEntry(0, []byte("key"), []byte("value"))
	if e.dp != nil || string(e.Key()) != "key" || string(e.Str()) != "value" {
		t.Fatalf("inline entry: dp %p key %q value %q", e.dp, e.Key(), e.Str())
	}
	e.setData([]byte("key"), []byte("v2"))
	if e.dp != nil || string(e.Str()) != "v2" || e.inlineCap() == 0 {
		t.Fatalf("rewritten in place: dp %p value %q", e.dp, e.Str())
	}
	big := make([]byte, 1000)
	big[999] = 'x'
	e.setData([]byte("key"), big)
	if e.dp == nil || len(e.Str()) != 1000 || e.Str()[999] != 'x' || e.inlineCap() != 0 {
		t.Fatalf("moved out: dp %p len %d", e.dp, len(e.Str()))
	}
}
