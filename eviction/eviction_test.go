package eviction

import (
	"math"
	"testing"
)

func TestParseNames(t *testing.T) {
	for _, n := range Names() {
		p, ok := Parse(n)
		if !ok || p.String() != n {
			t.Fatalf("Parse(%q) = %v %v", n, p, ok)
		}
	}
	if _, ok := Parse("allkeys-fifo"); ok {
		t.Fatal("unknown policy parsed")
	}
	vol := map[Policy]bool{VolatileLRU: true, VolatileLFU: true, VolatileRandom: true, VolatileTTL: true, VolatileTinyLFU: true}
	for p := NoEviction; p < numPolicies; p++ {
		if p.Volatile() != vol[p] {
			t.Errorf("%v.Volatile() = %v", p, p.Volatile())
		}
		if p.Evicts() != (p != NoEviction) {
			t.Errorf("%v.Evicts() = %v", p, p.Evicts())
		}
	}
	if AllKeysLFU.Metadata() != MetaLFU || VolatileLFU.Metadata() != MetaLFU || AllKeysTinyLFU.Metadata() != MetaLRU {
		t.Fatal("metadata layouts")
	}
}

// TestLFULogIncr: below LFU_INIT_VAL+1 every access counts; past it the
// chance falls as 1/((c-5)*factor+1); 255 saturates.
func TestLFULogIncr(t *testing.T) {
	if got := LFULogIncr(3, 10, math.MaxUint32); got != 4 {
		t.Fatalf("counter 3 with r max: %d, want 4", got)
	}
	if got := LFULogIncr(255, 10, 0); got != 255 {
		t.Fatalf("saturated counter grew: %d", got)
	}
	// At counter 15, factor 10: p = 1/101.
	p := 1.0 / 101
	below, above := uint32(p*(1<<32))-1, uint32(p*(1<<32))+1
	if LFULogIncr(15, 10, below) != 16 || LFULogIncr(15, 10, above) != 15 {
		t.Fatal("threshold of the logarithmic increment")
	}
	// Redis's table: factor 10 reaches ~18 after 100 hits, ~49 after 10k.
	var x uint32 = 12345
	c := int64(LFUInitVal)
	for i := 0; i < 10000; i++ {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		c = LFULogIncr(c, 10, x)
	}
	if c < 35 || c > 60 {
		t.Fatalf("after 10k hits counter %d, want about 49", c)
	}
}

// TestLFUTouchDecay: a touch first decays by the minutes elapsed, then
// records the current minute.
func TestLFUTouchDecay(t *testing.T) {
	min := func(m int64) int64 { return m * 60_000 }
	p := &Params{LogFactor: 10, DecayMinutes: 1}
	w := uint32(10)<<8 | 20 // minute 10, counter 20
	got := LFUTouch(w, min(15), p, math.MaxUint32)
	if got>>8&0xffff != 15 || got&0xff != 15 {
		t.Fatalf("touch after 5 min: minute %d counter %d, want 15 15", got>>8, got&0xff)
	}
	if LFUNew(min(7)) != uint32(7)<<8|LFUInitVal {
		t.Fatal("LFUNew")
	}
	// The top byte counts hits, up to 255; the counter is Redis's.
	w = LFUNew(min(7))
	for i := 0; i < 300; i++ {
		w = LFUTouch(w, min(7), p, math.MaxUint32)
		want := uint32(i + 1)
		if want > 255 {
			want = 255
		}
		if w>>24 != want {
			t.Fatalf("after %d touches: hit count %d", i+1, w>>24)
		}
	}
	if w&0xff != LFUInitVal+1 { // r = MaxUint32: only the certain step
		t.Fatalf("counter %d", w&0xff)
	}
}

func TestScoreOrder(t *testing.T) {
	now := int64(1_700_000_000_000)
	p := &DefaultParams
	old, recent := LRUClock(now-5000), LRUClock(now-10)
	if Score(AllKeysLRU, old, 0, 0, now, p) <= Score(AllKeysLRU, recent, 0, 0, now, p) {
		t.Fatal("LRU: the older access must score higher")
	}
	cold, hot := LFUNew(now), LFUNew(now-20_000)&^0xff|200
	if Score(AllKeysLFU, cold, 0, 0, now, p) <= Score(AllKeysLFU, hot, 0, 0, now, p) {
		t.Fatal("LFU: the lower counter must score higher")
	}
	once := LFUNew(now) | 1<<24 // hit once since written, same counter
	if Score(AllKeysLFU, LFUNew(now), 0, 0, now, p) <= Score(AllKeysLFU, once, 0, 0, now, p) {
		t.Fatal("LFU: the hit count breaks counter ties")
	}
	if Score(VolatileTTL, 0, now+10, 0, now, p) <= Score(VolatileTTL, 0, now+1000, 0, now, p) {
		t.Fatal("TTL: the sooner expiry must score higher")
	}
	if Score(AllKeysTinyLFU, recent, 0, 1, now, p) <= Score(AllKeysTinyLFU, old, 0, 9, now, p) {
		t.Fatal("TinyLFU: frequency ranks before recency")
	}
	if Score(AllKeysTinyLFU, old, 0, 3, now, p) <= Score(AllKeysTinyLFU, recent, 0, 3, now, p) {
		t.Fatal("TinyLFU: recency breaks frequency ties")
	}
}

func TestPool(t *testing.T) {
	var p Pool[int]
	for i := 0; i < 40; i++ {
		p.Offer(uint64((i*7)%40), i) // scores 0..39, each once
	}
	p.Offer(39, (39*23)%40) // a duplicate item is not added twice
	if p.Len() != PoolSize {
		t.Fatalf("len %d", p.Len())
	}
	for want := uint64(39); want > 39-PoolSize; want-- {
		_, s, ok := p.Pop()
		if !ok || s != want {
			t.Fatalf("pop score %d ok %v, want %d", s, ok, want)
		}
	}
	if _, _, ok := p.Pop(); ok {
		t.Fatal("pop from empty pool")
	}
	p.Offer(5, 1)
	p.Offer(5, 2)
	p.Offer(9, 3)
	if s, _ := p.Peek(); s != 9 {
		t.Fatalf("peek %d", s)
	}
	p.Reset()
	if p.Len() != 0 {
		t.Fatal("reset")
	}
}

func TestSketch(t *testing.T) {
	s := NewSketch(1000)
	hot, cold := uint64(0xfeedbeef12345678), uint64(0x0123456789abcdef)
	for i := 0; i < 12; i++ {
		s.Increment(hot)
	}
	s.Increment(cold)
	if got := s.Estimate(hot); got != 12 {
		t.Fatalf("hot estimate %d", got)
	}
	if got := s.Estimate(cold); got != 1 {
		t.Fatalf("cold estimate %d", got)
	}
	for i := 0; i < 30; i++ {
		s.Increment(hot)
	}
	if s.Estimate(hot) != SketchMax {
		t.Fatal("counter does not saturate")
	}
	// Many distinct keys trigger aging: the hot key's count halves.
	for i := uint64(0); s.Estimate(hot) == SketchMax && i < 1<<20; i++ {
		s.Increment(i * 0x9e3779b97f4a7c15)
	}
	if got := s.Estimate(hot); got != SketchMax/2 {
		t.Fatalf("after aging hot estimate %d, want %d", got, SketchMax/2)
	}
}

// TestPoolModel: random offers and pops against a plain sorted list that
// keeps the PoolSize highest distinct items.
func TestPoolModel(t *testing.T) {
	type cand struct {
		score uint64
		item  int
	}
	var p Pool[int]
	var model []cand // ascending by score, ties: earlier offers first... as the pool
	r := uint64(12345)
	next := func(n uint64) uint64 { r = r*6364136223846793005 + 1442695040888963407; return (r >> 33) % n }
	for step := 0; step < 20000; step++ {
		if next(4) == 0 {
			it, s, ok := p.Pop()
			if ok != (len(model) > 0) {
				t.Fatalf("step %d: pop ok %v, model %d", step, ok, len(model))
			}
			if ok {
				top := model[len(model)-1]
				if s != top.score {
					t.Fatalf("step %d: popped %d/%d, want score %d", step, it, s, top.score)
				}
				// Among equal scores the item may differ; remove the popped one.
				for i := len(model) - 1; i >= 0; i-- {
					if model[i].item == it && model[i].score == s {
						model = append(model[:i], model[i+1:]...)
						break
					}
				}
			}
			continue
		}
		c := cand{next(50), int(next(200))}
		dup := false
		for _, m := range model {
			dup = dup || m.item == c.item
		}
		p.Offer(c.score, c.item)
		if dup {
			continue
		}
		k := 0
		for k < len(model) && model[k].score < c.score {
			k++
		}
		if len(model) == PoolSize {
			if k == 0 {
				continue
			}
			model = append(model[1:k], append([]cand{c}, model[k:]...)...)
		} else {
			model = append(model[:k], append([]cand{c}, model[k:]...)...)
		}
		if p.Len() != len(model) {
			t.Fatalf("step %d: len %d, model %d", step, p.Len(), len(model))
		}
	}
}
