package store

import (
	"encoding/binary"
	"math"
	"strconv"
	"testing"
)

// newHLLStore returns a store and a Tx on it.
func newHLLStore(t *testing.T) (*Store, *Tx) {
	st := newTestStore(t)
	return st, NewTx(st)
}

// pfadd adds elements to key through a write Tx.
func pfadd(t *testing.T, st *Store, tx *Tx, key string, sparseMax int64, elems ...[]byte) bool {
	t.Helper()
	tx.LockKey(st.DB(0), []byte(key), true)
	defer tx.Unlock()
	changed, err := tx.PFAdd([]byte(key), elems, sparseMax)
	if err != nil {
		t.Fatal(err)
	}
	return changed
}

// value returns a copy of key's string value.
func value(st *Store, tx *Tx, key string) []byte {
	tx.LockKey(st.DB(0), []byte(key), false)
	defer tx.Unlock()
	e := tx.Lookup([]byte(key))
	if e == nil {
		return nil
	}
	return append([]byte(nil), e.Str()...)
}

// registers decodes any valid HyperLogLog's registers.
func registers(t *testing.T, v []byte) *[hllRegisters]uint8 {
	t.Helper()
	var regs [hllRegisters]uint8
	h := hllVal{b: v}
	if !isHLL(v) || !hllMergeInto(&regs, &h) {
		t.Fatalf("not a valid HyperLogLog: %x", v)
	}
	return &regs
}

// TestHLLSparseMatchesDense adds the same elements to a HyperLogLog kept
// sparse (no size limit) and to one forced dense at once: the registers
// must agree after every batch, the sparse opcodes always cover exactly
// 16384 registers, and adding reports a change exactly when a register
// rose.
func TestHLLSparseMatchesDense(t *testing.T) {
	st, tx := newHLLStore(t)
	pfadd(t, st, tx, "dense", 0) // created sparse (no element to add)
	pfadd(t, st, tx, "dense", 0, []byte("first"))
	pfadd(t, st, tx, "sparse", math.MaxInt64, []byte("first"))
	if v := value(st, tx, "dense"); v[4] != hllEncDense || len(v) != hllDenseSize {
		t.Fatalf("not dense with hll-sparse-max-bytes 0: %d bytes", len(v))
	}
	n := 0
	for batch := 1; batch <= 400; batch++ {
		var elems [][]byte
		for i := 0; i < batch%17+1; i++ {
			n++
			elems = append(elems, []byte("element:"+strconv.Itoa(n%3000)))
		}
		before := *registers(t, value(st, tx, "sparse"))
		c1 := pfadd(t, st, tx, "sparse", math.MaxInt64, elems...)
		c2 := pfadd(t, st, tx, "dense", 0, elems...)
		sv, dv := value(st, tx, "sparse"), value(st, tx, "dense")
		if sv[4] != hllEncSparse {
			t.Fatal("sparse HLL was promoted without a limit")
		}
		rs, rd := registers(t, sv), registers(t, dv)
		if *rs != *rd {
			t.Fatalf("batch %d: sparse and dense registers differ", batch)
		}
		if c1 != c2 || c1 != (before != *rs) {
			t.Fatalf("batch %d: changed %v/%v, registers rose %v", batch, c1, c2, before != *rs)
		}
		if c1 && sv[hllStaleByte]&hllStaleBit == 0 {
			t.Fatal("a change left the cached cardinality fresh")
		}
	}
	// The same registers count the same, whatever the encoding.
	tx.LockKey(st.DB(0), []byte("sparse"), true)
	a, _, err1 := tx.PFCount([][]byte{[]byte("sparse")})
	tx.Unlock()
	tx.LockKey(st.DB(0), []byte("dense"), true)
	b, _, err2 := tx.PFCount([][]byte{[]byte("dense")})
	tx.Unlock()
	if err1 != nil || err2 != nil || a != b || a < 2900 || a > 3100 {
		t.Fatalf("counts %d %d (%v %v), 3000 distinct elements", a, b, err1, err2)
	}
}

// TestHLLStandardError checks the estimate against the true cardinality
// of many independent sets: the relative errors' RMS must be close to
// HyperLogLog's standard error 1.04/√16384 ≈ 0.81%, and small sets (where
// Ertl's estimator is nearly exact) must count within a register or two.
func TestHLLStandardError(t *testing.T) {
	st, tx := newHLLStore(t)
	var sumSq float64
	const sets = 24
	for s := 0; s < sets; s++ {
		n := 10000 + s*3001
		key := "set" + strconv.Itoa(s)
		batch := make([][]byte, 0, 512)
		for i := 0; i < n; i++ {
			batch = append(batch, []byte("s"+strconv.Itoa(s)+":"+strconv.Itoa(i)))
			if len(batch) == cap(batch) || i == n-1 {
				pfadd(t, st, tx, key, 3000, batch...)
				batch = batch[:0]
			}
		}
		tx.LockKey(st.DB(0), []byte(key), true)
		est, _, err := tx.PFCount([][]byte{[]byte(key)})
		tx.Unlock()
		if err != nil {
			t.Fatal(err)
		}
		rel := (float64(est) - float64(n)) / float64(n)
		if math.Abs(rel) > 0.035 { // over 4 standard errors
			t.Errorf("%d elements estimated %d (%.2f%%)", n, est, 100*rel)
		}
		sumSq += rel * rel
	}
	rms := math.Sqrt(sumSq / sets)
	t.Logf("RMS relative error over %d sets: %.3f%%", sets, 100*rms)
	if rms < 0.002 || rms > 0.0125 {
		t.Errorf("RMS relative error %.3f%%, want about 0.81%%", 100*rms)
	}
	for _, n := range []int{0, 1, 2, 5, 10, 50, 100, 500} {
		key := "small" + strconv.Itoa(n)
		pfadd(t, st, tx, key, 3000)
		for i := 0; i < n; i++ {
			pfadd(t, st, tx, key, 3000, []byte("small:"+strconv.Itoa(i)))
		}
		tx.LockKey(st.DB(0), []byte(key), true)
		est, _, _ := tx.PFCount([][]byte{[]byte(key)})
		tx.Unlock()
		if math.Abs(float64(est-int64(n))) > math.Max(1, 0.02*float64(n)) {
			t.Errorf("%d elements estimated %d", n, est)
		}
	}
}

// TestHLLCache checks the cached cardinality: PFCOUNT stores it little
// endian with the stale bit clear and answers from it until a change sets
// the bit again; a multi-key count changes nothing.
func TestHLLCache(t *testing.T) {
	st, tx := newHLLStore(t)
	pfadd(t, st, tx, "h", 3000, []byte("a"), []byte("b"), []byte("c"))
	count := func(keys ...string) (int64, bool) {
		tx.Begin(st.DB(0), true)
		var ks [][]byte
		for _, k := range keys {
			ks = append(ks, []byte(k))
			tx.Key([]byte(k))
		}
		tx.Lock()
		defer tx.Unlock()
		n, refreshed, err := tx.PFCount(ks)
		if err != nil {
			t.Fatal(err)
		}
		return n, refreshed
	}
	if n, refreshed := count("h", "h"); n != 3 || refreshed {
		t.Fatalf("union count %d %v", n, refreshed)
	}
	if v := value(st, tx, "h"); v[hllStaleByte]&hllStaleBit == 0 {
		t.Fatal("a union count refreshed the cache")
	}
	if n, refreshed := count("h"); n != 3 || !refreshed {
		t.Fatalf("first count %d %v", n, refreshed)
	}
	v := value(st, tx, "h")
	if binary.LittleEndian.Uint64(v[8:16]) != 3 {
		t.Fatalf("cached header %x", v[8:16])
	}
	if n, refreshed := count("h"); n != 3 || refreshed {
		t.Fatalf("cached count %d %v", n, refreshed)
	}
	// A forged fresh cache is answered as is.
	binary.LittleEndian.PutUint64(v[8:16], 12345)
	tx.LockKey(st.DB(0), []byte("h"), true)
	tx.SetString([]byte("h"), v, 0)
	tx.Unlock()
	if n, _ := count("h"); n != 12345 {
		t.Fatalf("forged cache: %d", n)
	}
	pfadd(t, st, tx, "h", 3000, []byte("d"))
	if n, refreshed := count("h"); n != 4 || !refreshed {
		t.Fatalf("after PFADD: %d %v", n, refreshed)
	}
}

// TestHLLEstimatorEdges checks the estimator at its ends: no element, and
// every register at the largest possible run (Redis's llroundl overflow).
func TestHLLEstimatorEdges(t *testing.T) {
	var h hllHisto
	h[0] = hllRegisters
	if got := h.estimate(); got != 0 {
		t.Fatalf("empty: %d", got)
	}
	h = hllHisto{}
	h[hllQ+1] = hllRegisters
	if got := h.estimate(); got != 1<<63 {
		t.Fatalf("all registers at %d: %d", hllQ+1, got)
	}
	if hllSigma(1) != math.Inf(1) || hllTau(0) != 0 || hllTau(1) != 0 {
		t.Fatal("sigma/tau ends")
	}
}

// TestHLLPromotion checks the sparse→dense promotion rules: when a split
// would grow the string past hll-sparse-max-bytes (header included), and
// when a register needs a value above 32; both keep the header and carry
// every register over.
func TestHLLPromotion(t *testing.T) {
	st, tx := newHLLStore(t)
	const limit = 60
	var last []byte
	for i := 0; ; i++ {
		pfadd(t, st, tx, "p", limit, []byte("e"+strconv.Itoa(i)))
		v := value(st, tx, "p")
		if v[4] == hllEncDense {
			if len(last) > limit || len(v) != hllDenseSize {
				t.Fatalf("promoted from %d bytes to %d", len(last), len(v))
			}
			before, after := registers(t, last), registers(t, v)
			grown := 0
			for r := range before {
				if after[r] != before[r] {
					grown++
				}
			}
			if grown != 1 || string(v[:4]) != "HYLL" {
				t.Fatalf("promotion changed %d registers", grown)
			}
			break
		}
		if len(v) > limit {
			t.Fatalf("sparse string of %d bytes over the limit %d", len(v), limit)
		}
		last = v
	}
	// A register above 32 cannot be sparse.
	h := hllVal{b: append([]byte(nil), emptyHLL[:]...)}
	if r := h.set(100, 33, 3000); r != 1 || h.b[4] != hllEncDense || denseGet(h.b[hllHdrSize:], 100) != 33 {
		t.Fatalf("count 33: result %d, encoding %d", r, h.b[4])
	}
	// A VAL opcode already at or above the count changes nothing.
	h = hllVal{b: append([]byte(nil), emptyHLL[:]...)}
	h.set(5, 7, 3000)
	before := string(h.b)
	if r := h.set(5, 3, 3000); r != 0 || string(h.b) != before {
		t.Fatalf("lower count: %d", r)
	}
}

// TestHLLPastByte checks the emulation of Redis reading past a sparse
// string that ends inside an XZERO opcode: the split leaves the last new
// byte past the end, later reads of a cut XZERO use it, it survives with
// the value's length, and COPY drops it.
func TestHLLPastByte(t *testing.T) {
	st, tx := newHLLStore(t)
	// ZERO(64), then an XZERO cut after its first byte (0x62: 0x2200+1
	// registers with a 0 second byte).
	v := append(append([]byte(nil), emptyHLL[:hllHdrSize]...), 0x3f, 0x62)
	h := hllVal{b: append([]byte(nil), v...)}
	if run, oplen := h.run(hllHdrSize + 1); run != 0x2201 || oplen != 2 {
		t.Fatalf("cut XZERO: run %d len %d", run, oplen)
	}
	// Register 1000 is inside it: split into XZERO(936), VAL, XZERO(...);
	// the string grows by 5-2 and the last byte lands past the end.
	if r := h.set(1000, 3, 3000); r != 1 {
		t.Fatalf("set: %d", r)
	}
	rest := 64 + 0x2201 - 1 - 1000
	left := 1000 - 64
	wantSeq := []byte{0x40 | byte((left-1)>>8), byte(left - 1), sparseVal(3, 1), 0x40 | byte((rest-1)>>8)}
	if got := h.b[hllHdrSize+1:]; string(got) != string(wantSeq) || h.past != byte(rest-1) {
		t.Fatalf("after split: %x past %x, want %x past %x", got, h.past, wantSeq, byte(rest-1))
	}
	// Stored, the byte is read back while the length is unchanged.
	tx.LockKey(st.DB(0), []byte("k"), true)
	e := tx.SetString([]byte("k"), h.b, 0)
	withPast(tx, e, h.past)
	if got := hllOf(e); got.past != h.past {
		t.Fatalf("stored past byte %x", got.past)
	}
	if used := st.UsedMemory(); used != e.Size() {
		t.Fatalf("used memory %d, entry %d", used, e.Size())
	}
	tx.SetRange(e, 0, []byte("H")) // same length: kept
	if got := hllOf(e); got.past != h.past {
		t.Fatal("a same-length write dropped the past byte")
	}
	c := tx.CopyEntryTo(st.DB(0), []byte("k"), e)
	if got := hllOf(c); got.past != 0 {
		t.Fatal("COPY carried the past byte")
	}
	tx.AppendString(c, nil)
	e = tx.SetString([]byte("k2"), h.b, 0)
	withPast(tx, e, h.past)
	tx.AppendString(e, nil) // Redis re-terminates, even for ""
	if got := hllOf(e); got.past != 0 {
		t.Fatal("APPEND kept the past byte")
	}
	e = tx.SetString([]byte("k3"), h.b, 0)
	withPast(tx, e, h.past)
	tx.SetRange(e, len(h.b), []byte{1}) // growth: the byte is overwritten
	if got := hllOf(e); got.past != 0 {
		t.Fatal("growth kept the past byte")
	}
	tx.Unlock()
}

// withPast stores e's value back with the given byte past its end.
func withPast(tx *Tx, e *Entry, past byte) {
	h := hllOf(e)
	h.past = past
	tx.storeHLL(e, &h, e.Size())
}

// TestHLLCorruptPromotion adds elements to a corrupt sparse HyperLogLog
// (its opcodes cover 16383 registers) under a small sparse limit: splits
// go through (and reallocate the value) until one would need the dense
// form, which cannot be built: PFADD then fails, keeping what it added.
func TestHLLCorruptPromotion(t *testing.T) {
	st, tx := newHLLStore(t)
	v := append(append([]byte(nil), emptyHLL[:hllHdrSize]...), 0x3f, 0x7f, 0xbe)
	// 45 bytes of key and 19 of value fill a 64-byte inline array: the
	// first split reallocates.
	key := []byte("a-key-that-leaves-no-room-in-its-entry:012345")
	tx.LockKey(st.DB(0), key, true)
	defer tx.Unlock()
	tx.SetString(key, v, 0)
	var elems [][]byte
	for i := 0; i < 40; i++ {
		elems = append(elems, []byte("c"+strconv.Itoa(i)))
	}
	changed, err := tx.PFAdd(key, elems, 40)
	if err != ErrCorruptHLL || !changed {
		t.Fatalf("PFAdd: changed %v, err %v", changed, err)
	}
	e := tx.Lookup(key)
	got := e.Str()
	if len(got) <= len(v) || len(got) > 40 || got[4] != hllEncSparse || string(e.Key()) != string(key) {
		t.Fatalf("value after the failed promotion: %x", got)
	}
	if used := st.UsedMemory(); used != e.Size() {
		t.Fatalf("used memory %d, entry %d", used, e.Size())
	}
}
