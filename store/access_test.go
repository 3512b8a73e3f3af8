package store

import "testing"

func newTestStore(t *testing.T) *Store {
	t.Helper()
	st, err := New(Config{Databases: 2, Shards: 4})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestAccessRecording checks when lookups record the LRU clock: new
// entries start with the creating command's clock, lookups refresh it,
// SkipTouch and SetNoTouch leave it alone, and Touch always records.
func TestAccessRecording(t *testing.T) {
	st := newTestStore(t)
	now := int64(1_700_000_000_000)
	st.SetClock(func() int64 { return now })
	db := st.DB(0)
	tx := NewTx(st)
	key := []byte("k")

	tx.LockKey(db, key, true)
	e := tx.SetString(key, []byte("v"), 0)
	tx.Unlock()
	if got, want := e.Access(), LRUClock(now); got != want {
		t.Fatalf("new entry access %d, want %d", got, want)
	}

	now += 10_000
	tx.LockKey(db, key, false)
	tx.SkipTouch()
	tx.LookupRead(key)
	tx.Unlock()
	if got := IdleMs(e.Access(), now); got != 10_000 {
		t.Fatalf("SkipTouch lookup changed access: idle %d ms", got)
	}

	tx.LockKey(db, key, false)
	tx.LookupRead(key)
	tx.Unlock()
	if got := IdleMs(e.Access(), now); got != 0 {
		t.Fatalf("read lookup did not record access: idle %d ms", got)
	}

	now += 5_000
	tx.SetNoTouch(true)
	tx.LockKey(db, key, true)
	tx.Lookup(key)
	tx.Unlock()
	if got := IdleMs(e.Access(), now); got != 5_000 {
		t.Fatalf("no-touch lookup changed access: idle %d ms", got)
	}
	tx.LockKey(db, key, false)
	tx.Touch(tx.Lookup(key))
	tx.Unlock()
	if got := IdleMs(e.Access(), now); got != 0 {
		t.Fatalf("Touch in no-touch mode did not record: idle %d ms", got)
	}
	tx.SetNoTouch(false)

	// RENAME/MOVE keep the access word; COPY makes a fresh one.
	now += 7_000
	tx.Begin(db, true)
	tx.Key(key)
	tx.KeyIn(st.DB(1), key)
	tx.Lock()
	tx.SkipTouch()
	moved := tx.MoveEntry(db, tx.Lookup(key), st.DB(1), key)
	copied := tx.CopyEntryTo(db, []byte("copy"), moved)
	tx.Unlock()
	if got := IdleMs(moved.Access(), now); got != 7_000 {
		t.Fatalf("moved entry idle %d ms, want 7000", got)
	}
	if got := IdleMs(copied.Access(), now); got != 0 {
		t.Fatalf("copied entry idle %d ms, want 0", got)
	}
}

// TestIdleMsWrap checks the idle estimate across the 32-bit clock's wrap.
func TestIdleMsWrap(t *testing.T) {
	tick := func(n int64) int64 { return n * 10 } // ms of n clock ticks
	cases := []struct {
		access uint32
		nowMs  int64
		want   int64
	}{
		{100, tick(100), 0},
		{100, tick(160), 600},
		{LRUClockMax - 10, tick(LRUClockMax + 1 + 5), 160},
		{LRUClockMax, tick(LRUClockMax + 1), 10},
		{LRUClockMax, tick(LRUClockMax), 0},
	}
	for _, c := range cases {
		if got := IdleMs(c.access, c.nowMs); got != c.want {
			t.Errorf("IdleMs(%d, %dms) = %d, want %d", c.access, c.nowMs, got, c.want)
		}
	}
}

// TestLFUCounter checks the decay of Redis's LFU layout: one step per
// decay period elapsed, never below zero, none with decay disabled.
func TestLFUCounter(t *testing.T) {
	word := func(minute int64, counter uint32) uint32 { return uint32(minute&0xffff)<<8 | counter }
	min := func(m int64) int64 { return m * 60 * 1000 }
	cases := []struct {
		access uint32
		now    int64
		decay  int64
		want   int64
	}{
		{word(10, 5), min(10), 1, 5},
		{word(10, 5), min(13), 1, 2},
		{word(10, 5), min(13), 2, 4},
		{word(10, 5), min(40), 1, 0},
		{word(10, 5), min(40), 0, 5},
		// Across the minute clock's wrap Redis counts 65535-ldt+now periods.
		{word(65530, 20), min(65536 + 4), 1, 11},
	}
	for i, c := range cases {
		if got := LFUCounter(c.access, c.now, c.decay); got != c.want {
			t.Errorf("case %d: LFUCounter = %d, want %d", i, got, c.want)
		}
	}
}

// TestCopyEntryDeepClones checks that COPY's store operation deep-copies
// non-string values through Cloner and keeps kind, value and TTL.
func TestCopyEntryDeepClones(t *testing.T) {
	st := newTestStore(t)
	db := st.DB(0)
	tx := NewTx(st)
	src, dst := []byte("src"), []byte("dst")
	orig := NewList()
	orig.PushTail([]byte("a"), -2)
	orig.PushTail([]byte("b"), -2)
	tx.Begin(db, true)
	tx.Key(src)
	tx.Key(dst)
	tx.Lock()
	tx.PutIn(db, src, KindList, nil, orig, 1<<50)
	e := tx.CopyEntryTo(db, dst, tx.Lookup(src))
	tx.Unlock()
	got, ok := e.Obj().(*List)
	if b, _ := got.Index(1); !ok || got == orig || got.Len() != 2 || string(b) != "b" {
		t.Fatalf("copy obj %#v (orig %p)", e.Obj(), orig)
	}
	got.Set(0, []byte("changed"), -2)
	if a, _ := orig.Index(0); string(a) != "a" {
		t.Fatal("copy shares the source's items")
	}
	if e.Kind() != KindList || e.ExpireAt() != 1<<50 {
		t.Fatalf("copy kind %v expireAt %d", e.Kind(), e.ExpireAt())
	}
	if CloneValue(nil) != nil {
		t.Fatal("CloneValue(nil) != nil")
	}
}
