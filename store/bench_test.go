package store

import (
	"fmt"
	"testing"
)

// loadKeys fills db 0 of a new store with n string keys of 32-byte values.
func loadKeys(b *testing.B, shards, n int) (*Store, [][]byte) {
	st, err := New(Config{Databases: 1, Shards: shards})
	if err != nil {
		b.Fatal(err)
	}
	tx := NewTx(st)
	keys := make([][]byte, n)
	for i := range keys {
		keys[i] = []byte(fmt.Sprintf("key:%012d", i))
		tx.LockKey(st.DB(0), keys[i], true)
		tx.SetString(keys[i], []byte("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"), 0)
		tx.Unlock()
	}
	return st, keys
}

// BenchmarkLockedLookup is GET's store path (lock, hash, find, unlock) over
// a keyspace bigger than the CPU caches, visiting keys in a scattered
// order: it measures cache misses, which dominate real GET/SET.
func BenchmarkLockedLookup(b *testing.B) {
	for _, shards := range []int{1, 256} {
		b.Run(fmt.Sprint("shards=", shards), func(b *testing.B) {
			st, keys := loadKeys(b, shards, 100000)
			tx := NewTx(st)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				k := keys[(i*7919)%len(keys)]
				tx.LockKey(st.DB(0), k, false)
				if tx.Lookup(k) == nil {
					b.Fatal("missing")
				}
				tx.Unlock()
			}
		})
	}
}

// BenchmarkOverwrite is SET's store path on existing keys.
func BenchmarkOverwrite(b *testing.B) {
	st, keys := loadKeys(b, 256, 100000)
	tx := NewTx(st)
	val := []byte("yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		k := keys[(i*7919)%len(keys)]
		tx.LockKey(st.DB(0), k, true)
		tx.SetString(k, val, 0)
		tx.Unlock()
	}
}
