package store

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
)

// A held Tx runs several commands' locking calls without locking again,
// refuses keys outside its shards, batches its records and releases
// everything at the end.
func TestHeldKeys(t *testing.T) {
	st := newTestStore(t)
	db := st.DB(0)
	var recs []string
	cancel := st.Journal().Subscribe(func(m *Mutation) {
		var parts []string
		for _, a := range m.Args {
			parts = append(parts, string(a))
		}
		recs = append(recs, strings.Join(parts, " "))
	})
	defer cancel()
	tx := NewTx(st)
	tx.Begin(db, true)
	tx.Key([]byte("a"))
	tx.Key([]byte("b"))
	tx.Hold()
	for _, k := range []string{"a", "b"} {
		tx.LockKey(db, []byte(k), false) // takes nothing: would deadlock otherwise
		tx.SetString([]byte(k), []byte("v"), 0)
		tx.Emit([]byte("SET"), []byte(k), []byte("v"))
		tx.Unlock()
	}
	if len(recs) != 0 {
		t.Fatalf("records delivered before Release: %q", recs)
	}
	// A key of a shard not held panics instead of racing.
	var other []byte
	for _, k := range []string{"c", "d", "e", "f", "g", "h", "i", "j"} {
		if !tx.Holds(db, []byte(k)) {
			other = []byte(k)
			break
		}
	}
	func() {
		defer func() {
			if r := recover(); r == nil || !errors.Is(r.(error), ErrNotHeld) {
				t.Fatalf("unheld key: recovered %v", r)
			}
		}()
		tx.LockKey(db, other, true)
	}()
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("a walk of a partly held database did not panic")
			}
		}()
		tx.Each(db, func(*Entry) bool { return true })
	}()
	tx.Release()
	if got := strings.Join(recs, "|"); got != "MULTI|SET a v|SET b v|EXEC" {
		t.Fatalf("records: %q", got)
	}
	// Everything is unlocked: another Tx takes all the shards.
	tx2 := NewTx(st)
	tx2.LockAll(db, st.DB(1))
	tx2.Unlock()
}

// HoldAll lets FLUSHDB-like and walking commands run inside it.
func TestHeldAll(t *testing.T) {
	st := newTestStore(t)
	db := st.DB(0)
	tx := NewTx(st)
	for _, k := range []string{"a", "b", "c"} {
		tx.LockKey(db, []byte(k), true)
		tx.SetString([]byte(k), []byte("v"), 0)
		tx.Unlock()
	}
	tx.HoldAll(db, st.DB(1))
	if !tx.HoldsAll(db) || !tx.HoldsAll(st.DB(1)) {
		t.Fatal("HoldsAll")
	}
	n := 0
	tx.Each(db, func(*Entry) bool { n++; return true })
	if next := tx.Scan(db, 0, 100, func(*Entry) { n++ }); next != 0 || n != 6 {
		t.Fatalf("walks saw %d entries (next %d)", n, next)
	}
	if tx.Volatile(db) != 0 || tx.AvgTTL(db) != 0 {
		t.Fatal("no TTLs expected")
	}
	tx.LockAll(db, st.DB(1)) // SWAPDB inside: takes nothing
	tx.SwapLocked(db, st.DB(1))
	tx.Unlock()
	if tx.RandomKey(db, rand.New(rand.NewPCG(1, 2))) != nil {
		t.Fatal("db 0 not swapped")
	}
	for _, d := range []*DB{db, st.DB(1)} {
		for i := range d.shards {
			// a shard's lockers read-lock its group first (group.go)
			if d.shards[i].grp.TryRLock() {
				t.Fatalf("shard %d of db %d free while held", i, d.index)
			}
		}
	}
	tx.Release()
	for i := range db.shards {
		if !db.shards[i].mu.TryLock() || !db.shards[i].grp.TryLock() {
			t.Fatalf("shard %d still locked after Release", i)
		}
		db.shards[i].grp.Unlock()
		db.shards[i].mu.Unlock()
	}
	if st.DB(1).Len() != 3 {
		t.Fatal("swap lost keys")
	}
}
