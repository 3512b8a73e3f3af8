package store

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// checkList verifies l against the model and its own invariants: the count,
// every node's entry count, the codec walking both ways, and the running
// memory total.
func checkList(t *testing.T, l *List, model [][]byte) {
	t.Helper()
	if l.Len() != len(model) {
		t.Fatalf("Len %d, model %d", l.Len(), len(model))
	}
	mem := int64(listHeaderSize + roundAlloc(cap(l.nodes)*listNodeSize))
	total := 0
	for i := range l.nodes {
		nd := &l.nodes[i]
		if nd.n <= 0 {
			t.Fatalf("node %d has %d entries", i, nd.n)
		}
		n := 0
		for off := int(nd.lo); off < len(nd.b); n++ {
			_, off = readAt(nd.b, off)
			if off > len(nd.b) {
				t.Fatalf("node %d: entry overruns the blob", i)
			}
		}
		back := 0
		for end := len(nd.b); end > int(nd.lo); back++ {
			end = startBefore(nd.b, end)
		}
		if n != int(nd.n) || back != n {
			t.Fatalf("node %d: n=%d, forward %d, backward %d", i, nd.n, n, back)
		}
		total += n
		mem += int64(roundAlloc(cap(nd.b)))
	}
	if total != l.count {
		t.Fatalf("nodes hold %d, count %d", total, l.count)
	}
	if mem != l.mem {
		t.Fatalf("mem %d, recomputed %d", l.mem, mem)
	}
	i := 0
	l.Each(func(v []byte) bool {
		if !bytes.Equal(v, model[i]) {
			t.Fatalf("element %d: %q, model %q", i, v, model[i])
		}
		i++
		return true
	})
	i = len(model) - 1
	l.EachReverse(func(v []byte) bool {
		if !bytes.Equal(v, model[i]) {
			t.Fatalf("reverse element %d: %q, model %q", i, v, model[i])
		}
		i--
		return true
	})
}

func randValue(r *rand.Rand) []byte {
	switch r.IntN(10) {
	case 0:
		return nil
	case 1:
		return bytes.Repeat([]byte{'L'}, 100+r.IntN(300)) // multi-byte lengths
	case 2:
		return bytes.Repeat([]byte{'H'}, 9000+r.IntN(2000)) // bigger than a node
	}
	return []byte(fmt.Sprintf("v%d", r.IntN(20)))
}

// TestListModel runs random operations against a slice model under
// several list-max-listpack-size settings.
func TestListModel(t *testing.T) {
	for _, fill := range []int64{-2, -1, -5, 1, 3, 128} {
		t.Run(fmt.Sprint(fill), func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(fill+100), 7))
			l := NewList()
			var model [][]byte
			for step := 0; step < 6000; step++ {
				switch op := r.IntN(13); op {
				case 0:
					v := randValue(r)
					l.PushHead(v, fill)
					model = append([][]byte{bytes.Clone(v)}, model...)
				case 1, 3:
					vals := [][]byte{randValue(r), randValue(r), randValue(r)}[:1+r.IntN(3)]
					head := op == 1
					l.Push(vals, head, fill)
					for _, v := range vals {
						if head {
							model = append([][]byte{bytes.Clone(v)}, model...)
						} else {
							model = append(model, bytes.Clone(v))
						}
					}
				case 2:
					v := randValue(r)
					l.PushTail(v, fill)
					model = append(model, bytes.Clone(v))
				case 4:
					v, ok := l.PopHead()
					if ok != (len(model) > 0) || (ok && !bytes.Equal(v, model[0])) {
						t.Fatalf("PopHead %q %v", v, ok)
					}
					if ok {
						model = model[1:]
					}
				case 5:
					v, ok := l.PopTail()
					if ok != (len(model) > 0) || (ok && !bytes.Equal(v, model[len(model)-1])) {
						t.Fatalf("PopTail %q %v", v, ok)
					}
					if ok {
						model = model[:len(model)-1]
					}
				case 6:
					i := r.IntN(2*len(model)+2) - len(model) - 1
					v, ok := l.Index(i)
					j := i
					if j < 0 {
						j += len(model)
					}
					want := j >= 0 && j < len(model)
					if ok != want || (ok && !bytes.Equal(v, model[j])) {
						t.Fatalf("Index(%d) = %q %v", i, v, ok)
					}
				case 7:
					if len(model) == 0 {
						continue
					}
					i := r.IntN(len(model))
					v := randValue(r)
					if !l.Set(i, v, fill) {
						t.Fatal("Set failed")
					}
					model[i] = bytes.Clone(v)
				case 8:
					pivot, v := randValue(r), randValue(r)
					after := r.IntN(2) == 0
					found := l.Insert(pivot, v, after, fill)
					at := -1
					for i, m := range model {
						if bytes.Equal(m, pivot) {
							at = i
							break
						}
					}
					if found != (at >= 0) {
						t.Fatalf("Insert found %v, model %d", found, at)
					}
					if at >= 0 {
						if after {
							at++
						}
						model = append(model[:at], append([][]byte{bytes.Clone(v)}, model[at:]...)...)
					}
				case 9:
					v := randValue(r)
					count := r.IntN(5) - 2
					got := l.Remove(v, count, fill)
					want := 0
					var out [][]byte
					if count >= 0 {
						for _, m := range model {
							if bytes.Equal(m, v) && (count == 0 || want < count) {
								want++
								continue
							}
							out = append(out, m)
						}
					} else {
						for i := len(model) - 1; i >= 0; i-- {
							if bytes.Equal(model[i], v) && want < -count {
								want++
								continue
							}
							out = append([][]byte{model[i]}, out...)
						}
					}
					if got != want {
						t.Fatalf("Remove(%q, %d) = %d, want %d", v, count, got, want)
					}
					model = out
				case 10:
					if len(model) == 0 {
						continue
					}
					start := r.IntN(len(model))
					stop := start + r.IntN(len(model)-start)
					if r.IntN(4) != 0 { // mostly trim a little
						start = r.IntN(min(3, len(model)))
						stop = max(start, len(model)-1-r.IntN(3))
					}
					l.Trim(start, stop)
					model = append([][]byte(nil), model[start:stop+1]...)
				case 11:
					if len(model) == 0 {
						continue
					}
					start := r.IntN(len(model))
					stop := start + r.IntN(len(model)-start)
					i := start
					l.Range(start, stop, func(v []byte) {
						if !bytes.Equal(v, model[i]) {
							t.Fatalf("Range element %d: %q", i, v)
						}
						i++
					})
					if i != stop+1 {
						t.Fatalf("Range visited %d..%d", start, i-1)
					}
				case 12:
					c := l.Clone().(*List)
					checkList(t, c, model)
					c.PushHead([]byte("clone-only"), fill)
				}
				if step%50 == 0 || len(model) < 4 {
					checkList(t, l, model)
				}
			}
			checkList(t, l, model)
		})
	}
}

// TestListNodesBounded checks that nodes respect list-max-listpack-size and
// that pushes at either end keep the blobs' slack bounded.
func TestListNodesBounded(t *testing.T) {
	l := NewList()
	v := []byte(strings.Repeat("x", 30))
	for i := 0; i < 20000; i++ {
		if i%2 == 0 {
			l.PushHead(v, -2)
		} else {
			l.PushTail(v, -2)
		}
	}
	used := 0
	for i := range l.nodes {
		nd := &l.nodes[i]
		if nd.size() > 8192 {
			t.Fatalf("node %d holds %d bytes", i, nd.size())
		}
		used += nd.size()
	}
	// Interior nodes are sealed to their size; only the end nodes may
	// carry growth room.
	if l.mem > int64(used)*11/10+64*1024 {
		t.Fatalf("mem %d for %d bytes of entries in %d nodes", l.mem, used, len(l.nodes))
	}
	l2 := NewList()
	for i := 0; i < 100; i++ {
		l2.PushTail(v, 4)
	}
	if len(l2.nodes) != 25 {
		t.Fatalf("fill 4: %d nodes for 100 entries", len(l2.nodes))
	}
}

// encodeEntry returns v encoded as one entry in a fresh slice.
func encodeEntry(v []byte) []byte {
	e := make([]byte, listElemSize(len(v)))
	putEntry(e, v)
	return e
}

// TestListCodecLengths round-trips entry sizes around the varint
// boundaries.
func TestListCodecLengths(t *testing.T) {
	for _, n := range []int{0, 1, 124, 125, 126, 127, 128, 129, 16380, 16381, 16382, 16383, 16384, 70000} {
		v := bytes.Repeat([]byte{'a'}, n)
		e := encodeEntry(v)
		if len(e) != listElemSize(n) {
			t.Fatalf("%d: encoded %d bytes, entrySize %d", n, len(e), listElemSize(n))
		}
		got, next := readAt(e, 0)
		if !bytes.Equal(got, v) || next != len(e) || startBefore(e, len(e)) != 0 {
			t.Fatalf("%d: round trip failed", n)
		}
	}
}

// TestListPushAllocs checks that pushes and pops at the ends do not
// allocate per element.
func TestListPushAllocs(t *testing.T) {
	l := NewList()
	v := []byte("element")
	for i := 0; i < 1000; i++ {
		l.PushTail(v, -2)
	}
	allocs := testing.AllocsPerRun(1000, func() {
		l.PushTail(v, -2)
		l.PopHead()
		l.PushHead(v, -2)
		l.PopTail()
	})
	if allocs > 0.05 {
		t.Fatalf("%.2f allocations per push/pop round", allocs)
	}
}
