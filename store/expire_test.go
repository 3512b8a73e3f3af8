package store

import (
	"strconv"
	"testing"
)

// TestWriteExpiresDue: a write command that locks a shard removes the
// shard's expired entries at unlock (journaled as DEL), whether or not the
// expiry loop runs.
func TestWriteExpiresDue(t *testing.T) {
	st, err := New(Config{Databases: 1, Shards: 1})
	if err != nil {
		t.Fatal(err)
	}
	db := st.DB(0)
	tx := NewTx(st)
	now := st.Now()
	tx.SetTime(now)
	for i := 0; i < 3; i++ {
		tx.LockKey(db, []byte("k"+strconv.Itoa(i)), true)
		tx.SetString([]byte("k"+strconv.Itoa(i)), []byte("v"), now+10)
		tx.Unlock()
	}
	if db.Len() != 3 {
		t.Fatalf("len %d", db.Len())
	}
	tx.SetTime(now + 20) // all three are due; the loop is not started
	tx.LockKey(db, []byte("other"), true)
	tx.SetString([]byte("other"), []byte("v"), 0)
	tx.Unlock()
	if n := db.Len(); n != 1 {
		t.Fatalf("after a write to the shard: %d keys, want 1", n)
	}
	if got := st.Stats().ExpiredKeys.Load(); got != 3 {
		t.Fatalf("expired_keys %d, want 3", got)
	}
}
