package store

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

type modelEntry struct {
	id StreamID
	fv []string
}

// TestStreamModel checks the node encoding against a plain slice under
// random appends, deletions and exact trims, with tiny nodes.
func TestStreamModel(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		r := rand.New(rand.NewPCG(seed, seed))
		var lim Limits
		lim.setDefaults()
		lim.StreamNodeMaxEntries.Store(int64(r.IntN(6)))
		lim.StreamNodeMaxBytes.Store(int64([]int{0, 60, 200, 4096}[r.IntN(4)]))
		s := NewStream()
		var model []modelEntry
		last := StreamID{}
		for op := 0; op < 2000; op++ {
			switch k := r.IntN(10); {
			case k < 6:
				if r.IntN(3) == 0 {
					last = StreamID{last.Ms + uint64(r.IntN(1<<uint(r.IntN(40)))), uint64(r.IntN(5))}
				} else {
					last, _ = last.Incr()
				}
				if last.Cmp(s.LastID()) <= 0 {
					last, _ = s.LastID().Incr()
				}
				var fv [][]byte
				var fs []string
				nf := 1 + r.IntN(3)
				same := r.IntN(2) == 0
				for i := 0; i < nf; i++ {
					f := fmt.Sprint("f", i)
					if !same {
						f = fmt.Sprint("g", r.IntN(4))
					}
					v := fmt.Sprint(r.IntN(1000) - 500)
					if r.IntN(4) == 0 {
						v = string(make([]byte, r.IntN(300)))
					}
					fv = append(fv, []byte(f), []byte(v))
					fs = append(fs, f, v)
				}
				s.Append(last, fv, &lim)
				model = append(model, modelEntry{last, fs})
			case k < 8:
				if len(model) == 0 {
					continue
				}
				i := r.IntN(len(model))
				id := model[i].id
				if s.Delete([]StreamID{id}) != 1 {
					t.Fatalf("seed %d: delete %v failed", seed, id)
				}
				model = slices.Delete(model, i, i+1)
				if s.Delete([]StreamID{id}) != 0 {
					t.Fatalf("seed %d: deleted twice", seed)
				}
			case k < 9:
				n := int64(r.IntN(len(model) + 2))
				got := s.Trim(StreamTrim{Strategy: TrimMaxLen, MaxLen: n})
				want := max(int64(len(model))-n, 0)
				if got != want {
					t.Fatalf("seed %d: trim maxlen %d removed %d, want %d", seed, n, got, want)
				}
				model = model[want:]
			default:
				if len(model) == 0 {
					continue
				}
				min := model[r.IntN(len(model))].id
				got := s.Trim(StreamTrim{Strategy: TrimMinID, MinID: min})
				i := slices.IndexFunc(model, func(e modelEntry) bool { return e.id == min })
				if got != int64(i) {
					t.Fatalf("seed %d: trim minid removed %d, want %d", seed, got, i)
				}
				model = model[i:]
			}
			checkStream(t, seed, s, model)
		}
	}
}

func checkStream(t *testing.T, seed uint64, s *Stream, model []modelEntry) {
	t.Helper()
	if s.Len() != int64(len(model)) {
		t.Fatalf("seed %d: len %d, want %d", seed, s.Len(), len(model))
	}
	var got []modelEntry
	s.Range(StreamID{}, MaxStreamID, false, nil, func(id StreamID, fv [][]byte) bool {
		e := modelEntry{id: id}
		for _, b := range fv {
			e.fv = append(e.fv, string(b))
		}
		got = append(got, e)
		return true
	})
	if fmt.Sprint(got) != fmt.Sprint(model) {
		t.Fatalf("seed %d: range\n got %v\nwant %v", seed, got, model)
	}
	var rev []StreamID
	s.Range(StreamID{}, MaxStreamID, true, nil, func(id StreamID, _ [][]byte) bool {
		rev = append(rev, id)
		return true
	})
	for i, id := range rev {
		if model[len(model)-1-i].id != id {
			t.Fatalf("seed %d: reverse range differs at %d", seed, i)
		}
	}
	for _, e := range model {
		if !s.Exists(e.id) {
			t.Fatalf("seed %d: %v missing", seed, e.id)
		}
	}
	if len(model) > 0 {
		if f := s.FirstEntryID(); f != model[0].id {
			t.Fatalf("seed %d: first %v, want %v", seed, f, model[0].id)
		}
		if l, _ := s.LastValidID(); l != model[len(model)-1].id {
			t.Fatalf("seed %d: last %v", seed, l)
		}
	}
}

// TestStreamLPSizes checks the listpack sizes ember derives its node
// splits from against Redis's encodings.
func TestStreamLPSizes(t *testing.T) {
	for _, c := range []struct {
		s    string
		want int32
	}{
		{"0", 2}, {"127", 2}, {"128", 3}, {"-1", 3}, {"4095", 3}, {"4096", 4}, {"-32768", 4},
		{"8388607", 5}, {"2147483647", 6}, {"2147483648", 10}, {"01", 4}, {"+1", 4}, {"a", 3},
		{string(make([]byte, 63)), 65}, {string(make([]byte, 64)), 67}, {string(make([]byte, 126)), 130},
	} {
		if got := lpStrSize([]byte(c.s)); got != c.want {
			t.Errorf("lpStrSize(%q) = %d, want %d", c.s, got, c.want)
		}
	}
}

// TestStreamClone checks COPY's deep copy: groups, consumers and PELs are
// copied, and changing the copy leaves the original alone.
func TestStreamClone(t *testing.T) {
	var lim Limits
	lim.setDefaults()
	s := NewStream()
	for i := 1; i <= 5; i++ {
		s.Append(StreamID{uint64(i), 0}, [][]byte{[]byte("a"), []byte("1")}, &lim)
	}
	g := s.CreateGroup([]byte("g"), StreamID{}, 0)
	c := g.CreateConsumer([]byte("c"), 1)
	g.AddNACK(StreamID{1, 0}, c, 1)
	g.AddNACK(StreamID{2, 0}, c, 1)
	cp := s.Clone().(*Stream)
	if cp.MemoryUsage() <= 0 || cp.MemoryUsage() > s.MemoryUsage()+64 {
		t.Fatalf("memory %d vs %d", cp.MemoryUsage(), s.MemoryUsage())
	}
	cg := cp.Group([]byte("g"))
	if cg == nil || cg.PendingLen() != 2 || cg.Consumer([]byte("c")).PendingLen() != 2 {
		t.Fatal("groups not copied")
	}
	cg.Ack(StreamID{1, 0})
	cp.Delete([]StreamID{{3, 0}})
	if g.PendingLen() != 2 || s.Len() != 5 || cp.Len() != 4 {
		t.Fatal("copy shares state with the original")
	}
}
