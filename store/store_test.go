package store

import (
	"fmt"
	"sync"
	"testing"
)

func TestSetGetDeleteAndAccounting(t *testing.T) {
	st, err := New(Config{Databases: 2, Shards: 4})
	if err != nil {
		t.Fatal(err)
	}
	db := st.DB(0)
	tx := NewTx(st)
	tx.LockKey(db, []byte("k"), true)
	tx.SetString([]byte("k"), []byte("v1"), 0)
	tx.Unlock()
	if st.UsedMemory() <= 0 || db.Len() != 1 {
		t.Fatalf("used %d len %d", st.UsedMemory(), db.Len())
	}
	tx.LockKey(db, []byte("k"), false)
	e := tx.LookupRead([]byte("k"))
	if e == nil || string(e.Str()) != "v1" || e.Encoding() != "embstr" {
		t.Fatalf("lookup: %v", e)
	}
	tx.Unlock()
	tx.LockKey(db, []byte("k"), true)
	if !tx.Delete([]byte("k")) || tx.Delete([]byte("k")) {
		t.Fatal("delete")
	}
	tx.Unlock()
	if st.UsedMemory() != 0 || db.Len() != 0 {
		t.Fatalf("after delete: used %d len %d", st.UsedMemory(), db.Len())
	}
	if st.Hits() != 1 || st.Misses() != 0 {
		t.Fatalf("hits %d misses %d", st.Hits(), st.Misses())
	}
}

func TestExpiryLazyAndActive(t *testing.T) {
	st, _ := New(Config{Databases: 1, Shards: 4})
	now := int64(1_000_000)
	st.SetClock(func() int64 { return now })
	db := st.DB(0)
	tx := NewTx(st)
	for i := 0; i < 100; i++ {
		k := []byte(fmt.Sprint("k", i))
		tx.LockKey(db, k, true)
		tx.SetString(k, []byte("v"), now+int64(i%2)*1000+10)
		tx.Unlock()
	}
	now += 20 // half expired
	tx.LockKey(db, []byte("k0"), false)
	if tx.Lookup([]byte("k0")) != nil {
		t.Fatal("expired key visible to a read")
	}
	tx.Unlock()
	if n := st.ExpireNow(); n != 50 {
		t.Fatalf("active expiry removed %d, want 50", n)
	}
	if db.Len() != 50 || st.Stats().ExpiredKeys.Load() != 50 {
		t.Fatalf("len %d expired %d", db.Len(), st.Stats().ExpiredKeys.Load())
	}
	stale, vol := st.staleCount()
	if stale != 0 || vol != 50 {
		t.Fatalf("stale %d volatile %d", stale, vol)
	}
}

// TestTxLockOrder runs many multi-key transactions with overlapping keys in
// random orders; sorted acquisition must never deadlock.
func TestTxLockOrder(t *testing.T) {
	st, _ := New(Config{Databases: 2, Shards: 8})
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			tx := NewTx(st)
			for i := 0; i < 2000; i++ {
				tx.Begin(st.DB(0), true)
				for k := 0; k < 4; k++ {
					tx.Key([]byte(fmt.Sprint((g*7 + i*13 + k*31) % 50)))
				}
				tx.KeyIn(st.DB(1), []byte(fmt.Sprint(i%50)))
				tx.Lock()
				tx.SetString([]byte(fmt.Sprint((g*7+i*13)%50)), []byte("x"), 0)
				tx.Unlock()
			}
		}(g)
	}
	wg.Wait()
}

func TestJournalOrderAndSubscribe(t *testing.T) {
	st, _ := New(Config{Databases: 1, Shards: 4})
	var got []string
	cancel := st.Journal().Subscribe(func(m *Mutation) {
		got = append(got, fmt.Sprintf("%d:%s", m.Seq, m.Args[0]))
	})
	tx := NewTx(st)
	tx.LockKey(st.DB(0), []byte("a"), true)
	tx.Emit([]byte("SET"), []byte("a"), []byte("1"))
	tx.Emit([]byte("DEL"), []byte("a"))
	tx.Unlock()
	cancel()
	tx.LockKey(st.DB(0), []byte("a"), true)
	if tx.Journaling() {
		t.Fatal("journal active after cancel")
	}
	tx.Emit([]byte("SET"), []byte("a"), []byte("2"))
	tx.Unlock()
	if len(got) != 2 || got[0] != "1:SET" || got[1] != "2:DEL" {
		t.Fatalf("records %q", got)
	}
}

func TestSwapAndFlush(t *testing.T) {
	st, _ := New(Config{Databases: 2, Shards: 4})
	tx := NewTx(st)
	tx.LockKey(st.DB(0), []byte("a"), true)
	tx.SetString([]byte("a"), []byte("1"), 0)
	tx.Unlock()
	tx.LockAll(st.DB(0), st.DB(1))
	tx.SwapLocked(st.DB(0), st.DB(1))
	tx.Unlock()
	if st.DB(0).Len() != 0 || st.DB(1).Len() != 1 {
		t.Fatal("swap")
	}
	tx.LockKey(st.DB(1), []byte("a"), false)
	if e := tx.Lookup([]byte("a")); e == nil || string(e.Str()) != "1" {
		t.Fatal("value after swap")
	}
	tx.Unlock()
	tx.LockAll(st.DB(1))
	tx.FlushLocked(st.DB(1))
	tx.Unlock()
	if st.DB(1).Len() != 0 || st.UsedMemory() != 0 {
		t.Fatal("flush")
	}
}
