package store

import (
	"fmt"
	"hash/maphash"
	"math/rand/v2"
	"testing"
)

func newTestEntry(seed maphash.Seed, key string) *Entry {
	e := &Entry{klen: uint32(len(key)), heapIdx: -1}
	e.setBytes([]byte(key))
	return e
}

// TestTableScanGuarantee checks the reverse-binary cursor's promise: every
// entry present for a whole iteration is returned, even when the table
// grows and shrinks between scan calls.
func TestTableScanGuarantee(t *testing.T) {
	seed := maphash.MakeSeed()
	r := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 50; round++ {
		tab := table{seed: &seed}
		stable := map[string]bool{}
		for i := 0; i < 200; i++ {
			k := fmt.Sprintf("stable:%d:%d", round, i)
			tab.insert(newTestEntry(seed, k), maphash.String(seed, k))
			stable[k] = true
		}
		var churn []*Entry
		seen := map[string]bool{}
		var cursor uint64
		steps := 0
		for {
			cursor = tab.scan(cursor, func(e *Entry) { seen[string(e.Key())] = true })
			// Between calls, grow a lot or shrink a lot.
			// Keep the table bounded (SCAN only promises to end then),
			// but swing its size up and down by large factors.
			if r.IntN(2) == 0 && len(churn) < 3000 {
				for i := 0; i < r.IntN(400); i++ {
					e := newTestEntry(seed, fmt.Sprintf("churn:%d:%d:%d", round, steps, i))
					tab.insert(e, maphash.Bytes(seed, e.Key()))
					churn = append(churn, e)
				}
			} else {
				for n := r.IntN(len(churn) + 1); n > 0; n-- {
					tab.remove(churn[len(churn)-1])
					churn = churn[:len(churn)-1]
				}
			}
			steps++
			if cursor == 0 {
				break
			}
			if steps > 1_000_000 {
				t.Fatal("scan does not terminate")
			}
		}
		for k := range stable {
			if !seen[k] {
				t.Fatalf("round %d: %s missed by scan", round, k)
			}
		}
	}
}

// TestTableNoDuplicatesWhenStable checks that an iteration over an
// unchanging table returns each entry exactly once.
func TestTableNoDuplicatesWhenStable(t *testing.T) {
	seed := maphash.MakeSeed()
	tab := table{seed: &seed}
	for i := 0; i < 5000; i++ {
		tab.insert(newTestEntry(seed, fmt.Sprint(i)), maphash.String(seed, fmt.Sprint(i)))
	}
	count := map[string]int{}
	var cursor uint64
	for {
		cursor = tab.scan(cursor, func(e *Entry) { count[string(e.Key())]++ })
		if cursor == 0 {
			break
		}
	}
	if len(count) != 5000 {
		t.Fatalf("saw %d keys", len(count))
	}
	for k, n := range count {
		if n != 1 {
			t.Fatalf("%s returned %d times", k, n)
		}
	}
}

func TestTableLookupInsertRemove(t *testing.T) {
	seed := maphash.MakeSeed()
	tab := table{seed: &seed}
	es := map[string]*Entry{}
	for i := 0; i < 1000; i++ {
		k := fmt.Sprint("k", i)
		e := newTestEntry(seed, k)
		tab.insert(e, maphash.Bytes(seed, e.Key()))
		es[k] = e
	}
	for k, e := range es {
		if got := tab.lookup(maphash.String(seed, k), []byte(k)); got != e {
			t.Fatalf("lookup %s", k)
		}
	}
	for k, e := range es {
		tab.remove(e)
		if tab.lookup(maphash.String(seed, k), []byte(k)) != nil {
			t.Fatalf("%s still present", k)
		}
	}
	if tab.count != 0 || len(tab.buckets) != minBuckets {
		t.Fatalf("count %d buckets %d after removing all", tab.count, len(tab.buckets))
	}
}

func TestExpHeap(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var h expHeap
	var live []*Entry
	for i := 0; i < 2000; i++ {
		switch r.IntN(3) {
		case 0, 1:
			e := &Entry{expireAt: r.Int64N(1e6) + 1, heapIdx: -1}
			h.push(e)
			live = append(live, e)
		case 2:
			if len(live) > 0 {
				j := r.IntN(len(live))
				if r.IntN(2) == 0 {
					h.remove(live[j])
					live = append(live[:j], live[j+1:]...)
				} else {
					live[j].expireAt = r.Int64N(1e6) + 1
					h.fix(live[j])
				}
			}
		}
		for k, it := range h {
			e := it.e
			if int(e.heapIdx) != k {
				t.Fatalf("heapIdx %d at %d", e.heapIdx, k)
			}
			if it.at != e.expireAt {
				t.Fatalf("slot %d holds expiry %d, entry %d", k, it.at, e.expireAt)
			}
			if k > 0 && h[(k-1)/expArity].at > it.at {
				t.Fatalf("heap order broken at %d", k)
			}
		}
	}
}
