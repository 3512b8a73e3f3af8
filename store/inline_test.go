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
	e := set("key", "small")
	if e.inlineCap() != 16 || string(e.Key()) != "key" || string(e.Str()) != "small" {
		t.Fatalf("inline %d key %q val %q", e.inlineCap(), e.Key(), e.Str())
	}
	used := st.UsedMemory()
	e2 := set("key", "tiny")
	if e2 != e || e.inlineCap() != 16 || string(e.Str()) != "tiny" || st.UsedMemory() != used {
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
	for _, n := range []int{0, 1, 15, 16, 17, 79, 81, 100, 113, 150, 176, 177, 1000} {
		v := bytes.Repeat([]byte{'x'}, n)
		e := newEntry(1, []byte("k"), v)
		if string(e.Key()) != "k" || !bytes.Equal(e.Str(), v) {
			t.Fatalf("n=%d: round trip", n)
		}
		if (n+1 <= maxInline) != (e.inlineCap() > 0) {
			t.Fatalf("n=%d: inline cap %d", n, e.inlineCap())
		}
		// The entry and its array fill a size class exactly.
		if c := e.inlineCap(); c > 0 && roundAlloc(int(unsafe.Sizeof(Entry{}))+c) != int(unsafe.Sizeof(Entry{}))+c {
			t.Fatalf("n=%d: inline cap %d wastes part of its size class", n, c)
		}
	}
}
