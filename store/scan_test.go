package store

import (
	"fmt"
	"testing"
)

// TestScanAcrossResizes drives DB.Scan deterministically: between every
// two calls the tables grow or shrink several-fold (churn keys are all
// added, or all removed), so every step of the iteration meets a table of
// another size. Every stable key must still be returned; with no churn,
// each key exactly once.
func TestScanAcrossResizes(t *testing.T) {
	for _, shards := range []int{1, 4} {
		for _, count := range []int{1, 3, 50} {
			t.Run(fmt.Sprintf("shards=%d/count=%d", shards, count), func(t *testing.T) {
				st, err := New(Config{Databases: 1, Shards: shards})
				if err != nil {
					t.Fatal(err)
				}
				db := st.DB(0)
				tx := NewTx(st)
				put := func(k []byte) {
					tx.LockKey(db, k, true)
					tx.SetString(k, nil, 0)
					tx.Unlock()
				}
				del := func(k []byte) {
					tx.LockKey(db, k, true)
					tx.Delete(k)
					tx.Unlock()
				}
				const stable = 200
				for i := 0; i < stable; i++ {
					put([]byte(fmt.Sprintf("stable:%d", i)))
				}
				churn := make([][]byte, 1000)
				for i := range churn {
					churn[i] = []byte(fmt.Sprintf("churn:%d", i))
				}
				for _, resize := range []bool{true, false} {
					seen := map[string]int{}
					cursor, calls := uint64(0), 0
					for {
						cursor = db.Scan(cursor, count, func(e *Entry) { seen[string(e.Key())]++ })
						calls++
						if cursor == 0 {
							break
						}
						if calls > 20000 {
							t.Fatal("SCAN does not terminate")
						}
						if resize {
							for _, k := range churn {
								if calls%2 == 1 {
									put(k)
								} else {
									del(k)
								}
							}
						}
					}
					for i := 0; i < stable; i++ {
						k := fmt.Sprintf("stable:%d", i)
						if seen[k] == 0 {
							t.Fatalf("resize=%v: %s not returned", resize, k)
						}
						if !resize && seen[k] != 1 {
							t.Fatalf("%s returned %d times with no change", k, seen[k])
						}
					}
					for _, k := range churn {
						del(k)
					}
				}
			})
		}
	}
}
