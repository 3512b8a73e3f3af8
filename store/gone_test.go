package store

import (
	"slices"
	"testing"
)

// TestStreamGoneHooks: every way a Tx removes or replaces a stream key
// reports it to the Tx's hook, once, with its database and key; removing
// or replacing other kinds, and writing a stream in place, reports
// nothing. Removals the store makes on its own (active expiry, expiry at
// a write's unlock, eviction) report to the store's hook.
func TestStreamGoneHooks(t *testing.T) {
	st := newTestStore(t)
	db0, db1 := st.DB(0), st.DB(1)
	tx := NewTx(st)
	var got []string
	tx.SetStreamGone(func(db *DB, key []byte) {
		got = append(got, string(rune('0'+db.Index()))+":"+string(key))
	})
	putStream := func(db *DB, key string, at int64) {
		tx.PutIn(db, []byte(key), KindStream, nil, NewStream(), at)
	}
	run := func(name string, want []string, fn func()) {
		t.Helper()
		got = nil
		tx.Begin(db0, true)
		for _, db := range []*DB{db0, db1} {
			for _, k := range []string{"s", "t", "l"} {
				tx.KeyIn(db, []byte(k))
			}
		}
		tx.Lock()
		fn()
		tx.Unlock()
		if !slices.Equal(got, want) {
			t.Errorf("%s: reported %q, want %q", name, got, want)
		}
	}
	now := st.Now()
	st.SetClock(func() int64 { return now })
	run("put stream on empty", nil, func() { putStream(db0, "s", 0) })
	run("delete", []string{"0:s"}, func() { tx.Delete([]byte("s")) })
	run("delete missing", nil, func() { tx.Delete([]byte("s")) })
	run("delete string", nil, func() { tx.SetString([]byte("t"), []byte("x"), 0); tx.Delete([]byte("t")) })
	run("set string over", []string{"0:s"}, func() { putStream(db0, "s", 0); tx.SetString([]byte("s"), []byte("x"), 0) })
	run("put over", []string{"0:s"}, func() { tx.Delete([]byte("s")); putStream(db0, "s", 0); putStream(db0, "s", 0) })
	run("move away", []string{"0:s"}, func() {
		tx.MoveEntry(db0, tx.LookupIn(db0, []byte("s")), db1, []byte("s"))
	})
	run("move over", []string{"0:t", "1:s"}, func() {
		putStream(db0, "t", 0)
		tx.MoveEntry(db0, tx.LookupIn(db0, []byte("t")), db1, []byte("s"))
	})
	run("clone over", []string{"1:s"}, func() {
		tx.SetString([]byte("l"), []byte("x"), 0)
		tx.CloneEntryTo(db1, []byte("s"), tx.LookupIn(db0, []byte("l")), func(o any) any { return o })
	})
	run("lazy expiry on write lookup", []string{"0:s"}, func() {
		putStream(db0, "s", now-1)
		if tx.Lookup([]byte("s")) != nil {
			t.Error("expired key found")
		}
	})

	// Active expiry: the store's hook, not the Tx's.
	var active []string
	st.SetStreamRemovedHook(func(db *DB, key []byte) { active = append(active, string(key)) })
	run("set up", nil, func() {
		putStream(db0, "s", now+1000)
		tx.SetString([]byte("t"), []byte("x"), now+1000)
	})
	now += 2000
	if n := st.ExpireNow(); n != 2 {
		t.Fatalf("expired %d", n)
	}
	if !slices.Equal(active, []string{"s"}) || got != nil {
		t.Fatalf("active expiry reported %q to the store, %q to the Tx", active, got)
	}
	// A write that unlocks a shard holding a due stream it did not look up
	// removes it: the store's hook again (its waiters were served already).
	active = nil
	run("set up due", nil, func() { putStream(db0, "s", now+1000) })
	now += 2000
	run("unlock expires", nil, func() {})
	if !slices.Equal(active, []string{"s"}) {
		t.Fatalf("expiry at unlock reported %q to the store", active)
	}
	// Eviction.
	active = nil
	var e *Entry
	run("set up eviction", nil, func() { putStream(db1, "t", 0); e = tx.LookupIn(db1, []byte("t")) })
	sh := &db1.shards[db1.shardIndex(st.hash(e.Key()))]
	sh.lockOne()
	st.evictLocked(db1, sh, e)
	sh.unlockOne()
	if !slices.Equal(active, []string{"t"}) {
		t.Fatalf("eviction reported %q to the store", active)
	}
	st.SetStreamRemovedHook(nil)
	run("set up again", nil, func() { putStream(db0, "s", now+1000) })
	now += 2000
	if n := st.ExpireNow(); n != 1 || len(active) != 1 {
		t.Fatalf("expired %d, hook called %d times after removal", n, len(active))
	}
}
