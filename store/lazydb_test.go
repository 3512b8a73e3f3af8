package store

import (
	"runtime"
	"testing"
	"unsafe"
)

// TestDatabasesMaterializeOnUse: only database 0 has shards at start; the
// others get theirs when first handed out by DB, and from then on the
// store's own walks (stats, expiry) include them.
func TestDatabasesMaterializeOnUse(t *testing.T) {
	st, err := New(Config{Databases: 16, Shards: 256})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(st.readyDBs()); n != 1 {
		t.Fatalf("%d databases ready at start, want 1", n)
	}
	if db := st.PeekDB(5); db.ready.Load() || db.Len() != 0 || len(db.shards) != 0 {
		t.Fatal("PeekDB allocated database 5")
	}
	db := st.DB(5)
	if !db.ready.Load() || len(db.shards) != 256 {
		t.Fatal("DB(5) did not allocate its shards")
	}
	if got := st.readyDBs(); len(got) != 2 || got[0].index != 0 || got[1].index != 5 {
		t.Fatalf("ready databases %v", got)
	}
	tx := NewTx(st)
	now := st.Now()
	tx.SetTime(now)
	tx.LockKey(db, []byte("k"), true)
	tx.SetString([]byte("k"), []byte("v"), now+10)
	tx.Unlock()
	if db.Len() != 1 {
		t.Fatalf("len %d", db.Len())
	}
	// The active expiry cycle reaches database 5.
	st.SetClock(func() int64 { return now + 20 })
	if n, _, _ := st.expireCycle(); n != 1 || db.Len() != 0 {
		t.Fatalf("expiry cycle removed %d keys, %d left", n, db.Len())
	}
}

// TestUnusedDatabasesCostLittle: a store of 16 databases x 256 shards
// takes a small fraction of the memory its shard structs would (they count
// in used_memory, so under maxmemory they would displace keys).
func TestUnusedDatabasesCostLittle(t *testing.T) {
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	before := heap()
	st, err := New(Config{Databases: 16, Shards: 256})
	if err != nil {
		t.Fatal(err)
	}
	used := heap() - before
	oneDB := uint64(256) * uint64(unsafe.Sizeof(shard{}))
	runtime.KeepAlive(st)
	if used > 2*oneDB {
		t.Fatalf("New took %d bytes, want at most two databases' shards (%d)", used, 2*oneDB)
	}
}
