package store

import (
	"encoding/binary"
	"errors"
	"math"
	"math/bits"
	"slices"
)

// HyperLogLog, byte-compatible with Redis (hyperloglog.c).
//
// A HyperLogLog estimates how many distinct elements were added to it in a
// fixed 12 KiB, with a standard error of 1.04/√m = 0.81% for its m = 16384
// registers. Each element is hashed with MurmurHash64A (seed 0xadc83b19);
// the low 14 bits of the hash pick a register, and the register keeps the
// longest "run" seen: the position of the first 1 bit in the remaining 50
// bits (counting from 1, so at most 51). Registers only ever grow, which
// makes adding idempotent and merging a register-wise maximum.
//
// Redis stores a HyperLogLog as an ordinary string so that GET, SET,
// DUMP/RESTORE and replication move it as bytes, and ember keeps the very
// same bytes: a client may GET a key from one server and SET it on the
// other. The string is a 16-byte header followed by the registers:
//
//	"HYLL" | encoding (0 dense, 1 sparse) | 3 zero bytes |
//	cached cardinality, 8 bytes little endian; the top bit of the last
//	byte set means "stale, recompute"
//
// Dense: 16384 registers of 6 bits packed from the least significant bit
// of each byte (register 0 is the low 6 bits of byte 0, register 1 the top
// 2 bits of byte 0 and the low 4 of byte 1, ...), 12288 bytes.
//
// Sparse: a run-length encoding of the registers as a sequence of opcodes,
// which small sets need only a few bytes of:
//
//	00xxxxxx           ZERO:  xxxxxx+1 (1..64) registers set to 0
//	01xxxxxx yyyyyyyy  XZERO: the 14-bit x..y + 1 (1..16384) registers at 0
//	1vvvvvxx           VAL:   xx+1 (1..4) registers set to vvvvv+1 (1..32)
//
// A new HyperLogLog is sparse: one XZERO covering all 16384 registers, 18
// bytes with the header. Adding an element that raises a register splits
// the opcode covering it into at most three (XZERO|ZERO, VAL, XZERO|ZERO,
// or VAL runs around the new VAL), then merges adjacent VALs of equal value
// scanning at most five opcodes from the one before the split. The representation
// becomes dense, for good, when a register needs a value above 32 or when
// the sparse string would grow past hll-sparse-max-bytes (3000, header
// included). These exact rules decide the bytes, so ember follows them to
// the letter rather than re-encoding optimally.
//
// PFMERGE takes the register-wise maximum of its sources (the destination
// included), then writes each non-zero register into the destination in
// index order through the same sparse update, so its bytes too match
// Redis's; the destination becomes dense at once if any source was dense.
//
// Counting uses Otmar Ertl's improved estimator ("New cardinality
// estimation algorithms for HyperLogLog sketches", 2017) over the histogram
// of register values, as Redis 5+ does:
//
//	z = m·τ(1 − C[q+1]/m);  for k = q…1: z = (z + C[k]) / 2;
//	z += m·σ(C[0]/m);  estimate = round(α∞·m²/z),  α∞ = 1/(2·ln 2)
//
// σ and τ are the series of the paper, summed until they stop changing.
// Floating-point operations run in Redis's order with every product
// rounded before it is added (no fused multiply-add), so the estimate is
// the same integer. PFCOUNT of one key caches the estimate in the header
// and clears the stale bit; every change sets the stale bit again.

// HyperLogLog layout constants (Redis's HLL_*).
const (
	hllP          = 14               // index bits
	hllQ          = 64 - hllP        // bits left for the run
	hllRegisters  = 1 << hllP        // 16384
	hllPMask      = hllRegisters - 1 // index mask
	hllBits       = 6                // bits per dense register
	hllRegMax     = 1<<hllBits - 1   // 63
	hllHdrSize    = 16               // header bytes
	hllDenseSize  = hllHdrSize + (hllRegisters*hllBits+7)/8
	hllEncDense   = 0                       // header encoding byte: dense
	hllEncSparse  = 1                       // header encoding byte: sparse
	hllSeed       = 0xadc83b19              // MurmurHash64A seed
	hllAlphaInf   = 0.721347520444481703680 // 1/(2 ln 2)
	hllStaleByte  = 15                      // header byte holding the stale bit
	hllStaleBit   = 0x80                    // set: the cached cardinality is stale
	sparseValMax  = 32                      // largest value a VAL opcode holds
	sparseValLen  = 4                       // longest VAL run
	sparseZeroLen = 64                      // longest ZERO run
)

// ErrNotHLL: a string key that is not a valid HyperLogLog.
var ErrNotHLL = errors.New("not a valid HyperLogLog string value")

// ErrCorruptHLL: a HyperLogLog whose sparse opcodes do not cover exactly
// 16384 registers.
var ErrCorruptHLL = errors.New("corrupted HLL object")

// emptyHLL is a new HyperLogLog: sparse, one XZERO of 16384 registers, a
// cached cardinality of 0.
var emptyHLL = [hllHdrSize + 2]byte{'H', 'Y', 'L', 'L', hllEncSparse, 16: 0x7f, 17: 0xff}

// murmurHash64A is Austin Appleby's MurmurHash64A (public domain), reading
// 8-byte blocks little endian as Redis does on the machines it runs on.
func murmurHash64A(key []byte, seed uint64) uint64 {
	const m = 0xc6a4a7935bd1e995
	const r = 47
	h := seed ^ uint64(len(key))*m
	for len(key) >= 8 {
		k := binary.LittleEndian.Uint64(key)
		k *= m
		k ^= k >> r
		k *= m
		h ^= k
		h *= m
		key = key[8:]
	}
	switch len(key) {
	case 7:
		h ^= uint64(key[6]) << 48
		fallthrough
	case 6:
		h ^= uint64(key[5]) << 40
		fallthrough
	case 5:
		h ^= uint64(key[4]) << 32
		fallthrough
	case 4:
		h ^= uint64(key[3]) << 24
		fallthrough
	case 3:
		h ^= uint64(key[2]) << 16
		fallthrough
	case 2:
		h ^= uint64(key[1]) << 8
		fallthrough
	case 1:
		h ^= uint64(key[0])
		h *= m
	}
	h ^= h >> r
	h *= m
	h ^= h >> r
	return h
}

// hllPatLen returns the register an element maps to and its run length
// (1..51): one more than the trailing zeros of the hash's top 50 bits.
func hllPatLen(ele []byte) (int, uint8) {
	h := murmurHash64A(ele, hllSeed)
	idx := int(h & hllPMask)
	h = h>>hllP | 1<<hllQ
	return idx, uint8(bits.TrailingZeros64(h) + 1)
}

// isHLL reports whether v has a HyperLogLog header Redis accepts: the
// magic, a known encoding, and for dense the exact length.
func isHLL(v []byte) bool {
	if len(v) < hllHdrSize || string(v[:4]) != "HYLL" || v[4] > hllEncSparse {
		return false
	}
	return v[4] != hllEncDense || len(v) == hllDenseSize
}

// denseGet returns dense register i of regs (the bytes after the header).
func denseGet(regs []byte, i int) uint8 {
	b, fb := i*hllBits/8, uint(i*hllBits&7)
	v := uint(regs[b]) >> fb
	if b+1 < len(regs) {
		v |= uint(regs[b+1]) << (8 - fb)
	}
	return uint8(v & hllRegMax)
}

// denseSet sets dense register i of regs to val.
func denseSet(regs []byte, i int, val uint8) {
	b, fb := i*hllBits/8, uint(i*hllBits&7)
	v := uint(val)
	regs[b] = regs[b]&^byte(hllRegMax<<fb) | byte(v<<fb)
	if b+1 < len(regs) {
		regs[b+1] = regs[b+1]&^byte(hllRegMax>>(8-fb)) | byte(v>>(8-fb))
	}
}

// denseSetMax raises dense register i to count; it reports whether the
// register changed.
func denseSetMax(regs []byte, i int, count uint8) bool {
	if count <= denseGet(regs, i) {
		return false
	}
	denseSet(regs, i, count)
	return true
}

// Sparse opcodes.

func sparseIsZero(op byte) bool  { return op&0xc0 == 0 }
func sparseIsXZero(op byte) bool { return op&0xc0 == 0x40 }
func sparseIsVal(op byte) bool   { return op&0x80 != 0 }
func sparseValValue(op byte) int { return int(op>>2&0x1f) + 1 }
func sparseValRun(op byte) int   { return int(op&3) + 1 }
func sparseVal(val, run int) byte {
	return byte((val-1)<<2|(run-1)) | 0x80
}

// hllVal is a HyperLogLog string being read or updated: its bytes, and
// the byte Redis would read just past them (see "Reading past the end"
// below; 0 almost always).
//
// A value that outgrows its array is reallocated laid out after a copy of
// the entry's key (key ++ value is how an entry holds a string), so that
// storing it back into the entry costs no second copy.
type hllVal struct {
	b    []byte
	past byte
	key  []byte // the entry's key
	full []byte // when not nil: the array holding key ++ b, b reallocated
}

// realloc returns a new array for a value of length n and capacity c,
// laid out after a copy of the key: key ++ value, which adopt makes h's.
func (h *hllVal) realloc(n, c int) []byte {
	d := make([]byte, len(h.key)+n, len(h.key)+c)
	copy(d, h.key)
	return d
}

// adopt makes the value in full (from realloc) h's bytes.
func (h *hllVal) adopt(full []byte) {
	h.full, h.b = full, full[len(h.key):]
}

// replace substitutes seq for v[p:end] (the bytes of the opcode being
// split) and makes the result h.b, in place when the array has room.
func (h *hllVal) replace(v []byte, p, end int, seq []byte) {
	n := len(v) - (end - p) + len(seq)
	var d []byte
	if n <= cap(v) {
		d = v[:n]
		copy(d[p+len(seq):], v[end:]) // copy moves overlapping bytes right
	} else {
		h.adopt(h.realloc(n, n+n/4)) // room for the next few splits
		d = h.b
		copy(d, v[:p])
		copy(d[p+len(seq):], v[end:])
	}
	copy(d[p:], seq)
	h.b = d
}

// run returns the number of registers the sparse opcode at b[p] covers and
// its length in bytes. An XZERO cut short by the end of the string takes
// its second byte from past, as Redis reads the byte after its buffer.
func (h *hllVal) run(p int) (run, oplen int) {
	op := h.b[p]
	switch {
	case sparseIsZero(op):
		return int(op&0x3f) + 1, 1
	case sparseIsVal(op):
		return sparseValRun(op), 1
	}
	lo := h.past
	if p+1 < len(h.b) {
		lo = h.b[p+1]
	}
	return (int(op&0x3f)<<8 | int(lo)) + 1, 2
}

// appendZeros appends a ZERO or XZERO opcode for a run of n zero
// registers.
func appendZeros(seq []byte, n int) []byte {
	if n > sparseZeroLen {
		return append(seq, byte((n-1)>>8)|0x40, byte(n-1))
	}
	return append(seq, byte(n-1))
}

// walk calls fn(first, run, val) for every VAL opcode of the sparse h and
// reports whether the opcodes cover exactly the 16384 registers. It stops,
// reporting false, at a VAL that would run past the last register.
func (h *hllVal) walk(fn func(first, run, val int)) bool {
	idx := 0
	for p := hllHdrSize; p < len(h.b); {
		run, oplen := h.run(p)
		if op := h.b[p]; sparseIsVal(op) {
			if idx+run > hllRegisters {
				return false
			}
			fn(idx, run, sparseValValue(op))
		}
		idx += run
		p += oplen
	}
	return idx == hllRegisters
}

// toDense returns the dense form of the sparse h (header copied, encoding
// changed) in an array from realloc, or false if h is corrupt.
func (h *hllVal) toDense() ([]byte, bool) {
	full := h.realloc(hllDenseSize, hllDenseSize)
	d := full[len(h.key):]
	copy(d, h.b[:hllHdrSize])
	d[4] = hllEncDense
	regs := d[hllHdrSize:]
	ok := h.walk(func(first, run, val int) {
		for i := first; i < first+run; i++ {
			denseSet(regs, i, uint8(val))
		}
	})
	return full, ok
}

// Reading past the end.
//
// A sparse string whose last byte starts an XZERO (a corrupt HyperLogLog,
// say after SETBIT or APPEND on one) makes Redis read one byte past the
// string: normally its 0 terminator. When PFADD then splits that XZERO,
// Redis grows the string by the difference in opcode bytes counting the
// XZERO as two, so the last byte of the new opcodes lands just past the new
// end, where the next read of a cut XZERO finds it. It stays there until
// Redis writes a terminator again, which any later change of the string's
// length, or a sparse update that moves or rewrites bytes, does; COPY and
// DUMP do not carry it. ember keeps that byte beside such a string (in the
// entry's object slot, valid while the length is unchanged) so that even
// these corrupt values evolve as in Redis.

// hllPast is the byte Redis would read past a string of n bytes.
type hllPast struct {
	b byte
	n int
}

// Clone implements Cloner: a copy does not carry the byte (Redis copies
// only the string).
func (*hllPast) Clone() any { return nil }

// hllOf returns e's value as an hllVal.
func hllOf(e *Entry) hllVal {
	h := hllVal{b: e.Str(), key: e.Key()}
	if p, ok := e.object().(*hllPast); ok && p.n == len(h.b) {
		h.past = p.b
	}
	return h
}

// set raises register index of the sparse h to count, following Redis's
// update rules exactly (see the essay above); maxBytes is
// hll-sparse-max-bytes. It returns 1 if it changed h (its bytes may have
// been reallocated, or made dense), 0 if the register was already at
// least count, -1 if h is corrupt (unchanged then).
func (h *hllVal) set(index int, count uint8, maxBytes int64) int {
	if count > sparseValMax {
		return h.promote(index, count)
	}
	// Step 1: find the opcode covering index.
	v := h.b
	p, first, span, prev := hllHdrSize, 0, 0, -1
	oplen := 0
	for p < len(v) {
		span, oplen = h.run(p)
		if index <= first+span-1 {
			break
		}
		prev = p
		p += oplen
		first += span
	}
	if span == 0 || p >= len(v) {
		return -1
	}
	op := v[p]
	c := int(count)
	// Step 2: the cases that change the opcode in place.
	switch {
	case sparseIsVal(op) && sparseValValue(op) >= c:
		return 0
	case sparseIsVal(op) && span == 1, sparseIsZero(op) && span == 1:
		v[p] = sparseVal(c, 1)
		h.merge(prev)
		return 1
	}
	// The general case: split the opcode into up to three.
	var buf [5]byte
	seq := buf[:0]
	last := first + span - 1
	if sparseIsVal(op) {
		cur := sparseValValue(op)
		if index != first {
			seq = append(seq, sparseVal(cur, index-first))
		}
		seq = append(seq, sparseVal(c, 1))
		if index != last {
			seq = append(seq, sparseVal(cur, last-index))
		}
	} else {
		if index != first {
			seq = appendZeros(seq, index-first)
		}
		seq = append(seq, sparseVal(c, 1))
		if index != last {
			seq = appendZeros(seq, last-index)
		}
	}
	// Step 3: substitute, unless the string would outgrow the sparse
	// limit.
	if delta := len(seq) - oplen; delta > 0 && int64(len(v)+delta) > maxBytes {
		return h.promote(index, count)
	}
	if p+oplen > len(v) {
		// A cut XZERO: the string grows by len(seq)-2, leaving the last
		// byte of seq just past its end.
		h.replace(v, p, len(v), seq[:len(seq)-1])
		h.past = seq[len(seq)-1]
	} else {
		h.replace(v, p, p+oplen, seq)
		h.past = 0
	}
	h.merge(prev)
	return 1
}

// merge is step 4 of a sparse update: scanning at most five opcodes from
// prev (the opcode before the updated one, -1 for none), it merges
// adjacent VAL opcodes of equal value whose runs fit in one, then marks
// the cached cardinality stale.
func (h *hllVal) merge(prev int) {
	p := prev
	if p < 0 {
		p = hllHdrSize
	}
	for scan := 5; p < len(h.b) && scan > 0; {
		scan--
		op := h.b[p]
		if sparseIsXZero(op) {
			p += 2
			continue
		}
		if sparseIsZero(op) {
			p++
			continue
		}
		if p+1 < len(h.b) && sparseIsVal(h.b[p+1]) {
			val := sparseValValue(op)
			if run := sparseValRun(op) + sparseValRun(h.b[p+1]); val == sparseValValue(h.b[p+1]) && run <= sparseValLen {
				h.b[p+1] = sparseVal(val, run)
				h.b = slices.Delete(h.b, p, p+1)
				h.past = 0
				continue // try merging the merged opcode with the next
			}
		}
		p++
	}
	h.b[hllStaleByte] |= hllStaleBit
}

// promote converts the sparse h to dense and raises register index to
// count there.
func (h *hllVal) promote(index int, count uint8) int {
	full, ok := h.toDense()
	if !ok {
		return -1
	}
	h.adopt(full)
	h.past = 0
	denseSetMax(h.b[hllHdrSize:], index, count)
	return 1
}

// add adds one element to the valid HyperLogLog h: it returns 1 if a
// register changed, 0 if not, -1 if h is corrupt.
func (h *hllVal) add(ele []byte, sparseMax int64) int {
	idx, count := hllPatLen(ele)
	if h.b[4] == hllEncDense {
		if denseSetMax(h.b[hllHdrSize:], idx, count) {
			return 1
		}
		return 0
	}
	return h.set(idx, count, sparseMax)
}

// hllMergeInto raises dst[i] to register i of the valid HyperLogLog h; it
// reports false if h is corrupt.
func hllMergeInto(dst *[hllRegisters]uint8, h *hllVal) bool {
	if h.b[4] == hllEncDense {
		regs := h.b[hllHdrSize:]
		for i := range dst {
			if r := denseGet(regs, i); r > dst[i] {
				dst[i] = r
			}
		}
		return true
	}
	return h.walk(func(first, run, val int) {
		for i := first; i < first+run; i++ {
			if uint8(val) > dst[i] {
				dst[i] = uint8(val)
			}
		}
	})
}

// hllHisto is the histogram of register values the estimator reads.
type hllHisto [64]int

// denseHisto counts the dense registers, four (three bytes) at a time.
func (h *hllHisto) dense(regs []byte) {
	for i := 0; i+3 <= len(regs); i += 3 {
		b0, b1, b2 := regs[i], regs[i+1], regs[i+2]
		h[b0&63]++
		h[(b0>>6|b1<<2)&63]++
		h[(b1>>4|b2<<4)&63]++
		h[b2>>2]++
	}
}

// sparse counts the registers of the sparse v; it reports false if the
// opcodes do not cover exactly 16384 registers.
func (h *hllHisto) sparse(v *hllVal) bool {
	idx := 0
	for p := hllHdrSize; p < len(v.b); {
		run, oplen := v.run(p)
		if op := v.b[p]; sparseIsVal(op) {
			h[sparseValValue(op)] += run
		} else {
			h[0] += run
		}
		idx += run
		p += oplen
	}
	return idx == hllRegisters
}

// estimate is Ertl's improved estimator over the histogram.
func (h *hllHisto) estimate() uint64 {
	m := float64(hllRegisters)
	z := m * hllTau((m-float64(h[hllQ+1]))/m)
	for j := hllQ; j >= 1; j-- {
		z += float64(h[j])
		z *= 0.5
	}
	z += float64(m * hllSigma(float64(h[0])/m))
	e := math.Round(hllAlphaInf * m * m / z)
	if !(e >= 0 && e < 1<<63) {
		// Only crafted registers get here (all at 51: z is 0). Redis's
		// llroundl answers LLONG_MIN, read back as 2^63.
		return 1 << 63
	}
	return uint64(e)
}

// hllSigma is σ(x) = x + Σ_{k≥1} x^(2^k)·2^(k-1), summed until it stops
// changing (+Inf at 1).
func hllSigma(x float64) float64 {
	if x == 1 {
		return math.Inf(1)
	}
	y, z := 1.0, x
	for {
		x *= x
		prev := z
		z += float64(x * y)
		y += y
		if z == prev {
			return z
		}
	}
}

// hllTau is τ(x) = (1 − x − Σ_{k≥1} (1 − x^(2^-k))²·2^-k) / 3, summed until
// it stops changing (0 at 0 and 1).
func hllTau(x float64) float64 {
	if x == 0 || x == 1 {
		return 0
	}
	y, z := 1.0, 1-x
	for {
		x = math.Sqrt(x)
		prev := z
		y *= 0.5
		d := 1 - x
		z -= float64(float64(d*d) * y)
		if z == prev {
			return z / 3
		}
	}
}

// hllCount estimates the cardinality of the valid HyperLogLog v; ok is
// false if v is corrupt.
func hllCount(v *hllVal) (uint64, bool) {
	var h hllHisto
	if v.b[4] == hllEncDense {
		h.dense(v.b[hllHdrSize:])
	} else if !h.sparse(v) {
		return 0, false
	}
	return h.estimate(), true
}

// hllString checks that e holds a HyperLogLog for a PF* command. Errors:
// ErrWrongType, ErrNotHLL.
func hllString(e *Entry) error {
	if e.kind != KindString {
		return ErrWrongType
	}
	if !isHLL(e.Str()) {
		return ErrNotHLL
	}
	return nil
}

// storeHLL makes h e's value after an HLL update, raw-encoded as Redis
// leaves a value it unshared: h.b is either e.Str() changed in place
// (possibly resliced within its capacity) or reallocated after a copy of
// the key. before is e.Size() before the update.
func (tx *Tx) storeHLL(e *Entry, h *hllVal, before int64) {
	v, kl := h.b, int(e.klen)
	switch {
	case h.full != nil && &h.full[:kl+1][kl] == &v[0]:
		e.setBytes(h.full[:kl+len(v)])
	case cap(e.dataBytes()) > kl && &e.dataBytes()[:kl+1][kl] == &v[0]:
		e.setBytes(e.dataBytes()[:kl+len(v)])
	default:
		panic("store: HLL value outside its entry")
	}
	e.dropObject()
	if h.past != 0 {
		e.setObject(&hllPast{h.past, len(v)})
	}
	e.enc = encRaw
	tx.Resized(e, before)
}

// PFAdd adds elements to the HyperLogLog at key, creating it when absent;
// sparseMax is hll-sparse-max-bytes. It reports whether the value changed
// (a register rose, or the key was created), which is then also the case
// when it returns ErrCorruptHLL after adding some elements. Errors:
// ErrWrongType, ErrNotHLL, ErrCorruptHLL.
func (tx *Tx) PFAdd(key []byte, elems [][]byte, sparseMax int64) (bool, error) {
	e := tx.Lookup(key)
	changed := false
	if e == nil {
		e = tx.SetString(key, emptyHLL[:], 0)
		changed = true
	} else if err := hllString(e); err != nil {
		return false, err
	}
	before := e.Size()
	h := hllOf(e)
	for _, ele := range elems {
		switch h.add(ele, sparseMax) {
		case -1:
			tx.storeHLL(e, &h, before)
			return changed, ErrCorruptHLL
		case 1:
			changed = true
		}
	}
	if changed {
		h.b[hllStaleByte] |= hllStaleBit
	}
	tx.storeHLL(e, &h, before)
	return changed, nil
}

// PFCount estimates the number of distinct elements added to the
// HyperLogLogs at keys (missing keys are empty). For one key it answers
// from the cached cardinality when it is fresh, and otherwise computes it
// and stores it in the header: refreshed then reports that the value
// changed (its encoding becomes raw either way, as in Redis). Several keys
// are counted as their union, changing nothing. Errors: ErrWrongType,
// ErrNotHLL, ErrCorruptHLL.
func (tx *Tx) PFCount(keys [][]byte) (n int64, refreshed bool, err error) {
	if len(keys) > 1 {
		var regs [hllRegisters]uint8
		for _, k := range keys {
			e := tx.LookupRead(k)
			if e == nil {
				continue
			}
			if err := hllString(e); err != nil {
				return 0, false, err
			}
			if h := hllOf(e); !hllMergeInto(&regs, &h) {
				return 0, false, ErrCorruptHLL
			}
		}
		var h hllHisto
		for _, r := range regs {
			h[r]++
		}
		return int64(h.estimate()), false, nil
	}
	e := tx.LookupRead(keys[0])
	if e == nil {
		return 0, false, nil
	}
	if err := hllString(e); err != nil {
		return 0, false, err
	}
	e.enc = encRaw
	h := hllOf(e)
	if h.b[hllStaleByte]&hllStaleBit == 0 {
		return int64(binary.LittleEndian.Uint64(h.b[8:16])), false, nil
	}
	card, ok := hllCount(&h)
	if !ok {
		return 0, false, ErrCorruptHLL
	}
	binary.LittleEndian.PutUint64(h.b[8:16], card)
	return int64(card), true, nil
}

// PFMerge merges the HyperLogLogs at srcs (missing keys are empty) into
// the one at dest, creating it when absent; srcs should include dest, as
// PFMERGE's do. It returns dest's entry. Errors: ErrWrongType, ErrNotHLL,
// ErrCorruptHLL (then nothing changed).
func (tx *Tx) PFMerge(dest []byte, srcs [][]byte, sparseMax int64) (*Entry, error) {
	var regs [hllRegisters]uint8
	dense := false
	for _, k := range srcs {
		e := tx.LookupRead(k)
		if e == nil {
			continue
		}
		if err := hllString(e); err != nil {
			return nil, err
		}
		h := hllOf(e)
		dense = dense || h.b[4] == hllEncDense
		if !hllMergeInto(&regs, &h) {
			return nil, ErrCorruptHLL
		}
	}
	e := tx.Lookup(dest)
	if e == nil {
		e = tx.SetString(dest, emptyHLL[:], 0)
	} else if err := hllString(e); err != nil {
		return nil, err // dest was not among srcs
	}
	before := e.Size()
	h := hllOf(e)
	if dense && h.b[4] == hllEncSparse {
		full, ok := h.toDense()
		if !ok {
			return nil, ErrCorruptHLL
		}
		h.adopt(full)
		h.past = 0
	}
	for i, r := range regs {
		switch {
		case r == 0:
		case h.b[4] == hllEncDense:
			denseSetMax(h.b[hllHdrSize:], i, r)
		default:
			h.set(i, r, sparseMax)
		}
	}
	h.b[hllStaleByte] |= hllStaleBit
	tx.storeHLL(e, &h, before)
	return e, nil
}
