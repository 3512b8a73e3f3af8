package store

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

func TestDictBasics(t *testing.T) {
	var d Dict[int]
	for i := 0; i < 1000; i++ {
		if !d.Set([]byte(fmt.Sprint(i)), i) {
			t.Fatal("new key reported existing")
		}
	}
	if d.Set([]byte("5"), 50) || d.Len() != 1000 {
		t.Fatal("overwrite")
	}
	if v, ok := d.Get([]byte("5")); !ok || v != 50 {
		t.Fatal("get")
	}
	*d.Ptr([]byte("6")) = 60
	if v, _ := d.Get([]byte("6")); v != 60 {
		t.Fatal("ptr")
	}
	r := rand.New(rand.NewPCG(1, 1))
	if _, _, ok := d.Random(r); !ok {
		t.Fatal("random")
	}
	for i := 0; i < 1000; i++ {
		if !d.Delete([]byte(fmt.Sprint(i))) {
			t.Fatal("delete")
		}
	}
	if d.Len() != 0 || d.Delete([]byte("1")) {
		t.Fatal("empty")
	}
	if _, _, ok := d.Random(r); ok {
		t.Fatal("random on empty")
	}
}

// TestDictScanGuarantee: elements present throughout an iteration are
// returned even while the Dict grows and shrinks between calls.
func TestDictScanGuarantee(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for round := 0; round < 30; round++ {
		var d Dict[struct{}]
		for i := 0; i < 100; i++ {
			d.Set([]byte(fmt.Sprint("s", i)), struct{}{})
		}
		var churn []string
		seen := map[string]bool{}
		var cur uint64
		for steps := 0; ; steps++ {
			cur = d.Scan(cur, func(k string, _ struct{}) { seen[k] = true })
			if cur == 0 {
				break
			}
			if r.IntN(2) == 0 && len(churn) < 2000 {
				for i := r.IntN(300); i > 0; i-- {
					k := fmt.Sprint("c", round, ":", steps, ":", i)
					d.Set([]byte(k), struct{}{})
					churn = append(churn, k)
				}
			} else {
				for n := r.IntN(len(churn) + 1); n > 0; n-- {
					d.Delete([]byte(churn[len(churn)-1]))
					churn = churn[:len(churn)-1]
				}
			}
		}
		for i := 0; i < 100; i++ {
			if !seen[fmt.Sprint("s", i)] {
				t.Fatalf("round %d: s%d missed", round, i)
			}
		}
	}
}
