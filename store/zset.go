package store

import (
	"bytes"
	"encoding/binary"
	"math"
	"strconv"
	"sync"
	"unsafe"
)

// Sorted sets (Redis's t_zset.c).
//
// Two encodings, as in Redis, and OBJECT ENCODING names them alike:
//
//   - "listpack": every (member, score) pair in one compact byte blob,
//     sorted by score then member. Small sets are most sets, and what they
//     cost per key is what a cache pays for them, so the blob is denser
//     than Redis's listpack: per pair, a uvarint member length, the member
//     bytes, and the score as a uvarint code: an even code is a zigzag
//     integer (integral scores below 2^53, most real scores), code 1 is
//     followed by the 8 bytes of a float64. A pair of a 4-byte member and
//     a small integer score takes 6 bytes (Redis: 8). The blob starts with
//     uvarint(body length) and uvarint(pair count), and the value stored in
//     the entry is a pointer to its first byte (zsetLP): no header struct,
//     no slice header, one allocation per set. Operations are linear scans,
//     which is what Redis does too at these sizes. Like Redis's listpack,
//     which stores scores as strings of integers where it can, it keeps no
//     negative zero: -0 reads back as 0.
//   - "skiplist": a Dict from member to score plus a skiplist with spans
//     (skiplist.go), used once the set has more than zset-max-listpack-
//     entries pairs or a member longer than zset-max-listpack-value bytes.
//     A set never converts back (as in Redis), except that the *STORE
//     commands build their result in whichever encoding fits it.
//
// Readers get a ZSet view (no allocation) from the entry; writers go
// through the Tx methods at the end of this file, which keep the memory
// accounting right and delete the key when the set becomes empty.

// zsetLP is the first byte of a listpack blob; *zsetLP is the entry's
// value. The blob's length is in its header, so the pointer is all the
// entry holds.
type zsetLP struct{ _ byte }

// zsetSL is the skiplist encoding.
type zsetSL struct {
	dict Dict[float64]
	zsl  *skiplist
	mem  int64 // bytes held by elements (nodes, member strings, dict entries)
}

// zsetSLBase is the accounted size of an empty skiplist set: the zsetSL
// and skiplist structs (the header node is counted apart).
const zsetSLBase = 48 + 32

// lpHeader reads the blob header at p: body length, pair count and header
// size. The header is two uvarints; it is read a byte at a time so that
// nothing past the allocation is touched.
func lpHeader(p unsafe.Pointer) (bodyLen, count, hdr int) {
	var vals [2]int
	off := 0
	for k := 0; k < 2; k++ {
		var v uint64
		for shift := uint(0); ; shift += 7 {
			c := *(*byte)(unsafe.Add(p, off))
			off++
			v |= uint64(c&0x7f) << shift
			if c < 0x80 {
				break
			}
		}
		vals[k] = int(v)
	}
	return vals[0], vals[1], off
}

// parts returns the blob's body and pair count.
func (z *zsetLP) parts() ([]byte, int) {
	p := unsafe.Pointer(z)
	bodyLen, count, hdr := lpHeader(p)
	blob := unsafe.Slice((*byte)(p), hdr+bodyLen)
	return blob[hdr:], count
}

// blobLen returns the blob's total length.
func (z *zsetLP) blobLen() int {
	bodyLen, _, hdr := lpHeader(unsafe.Pointer(z))
	return hdr + bodyLen
}

// newZsetLP allocates a blob holding body and count.
func newZsetLP(body []byte, count int) *zsetLP {
	var hdr [2 * binary.MaxVarintLen64]byte
	h := binary.PutUvarint(hdr[:], uint64(len(body)))
	h += binary.PutUvarint(hdr[h:], uint64(count))
	blob := make([]byte, h+len(body))
	copy(blob, hdr[:h])
	copy(blob[h:], body)
	return (*zsetLP)(unsafe.Pointer(&blob[0]))
}

// Encoding returns "listpack" (OBJECT ENCODING).
func (z *zsetLP) Encoding() string { return "listpack" }

// Clone returns a deep copy (COPY).
func (z *zsetLP) Clone() any {
	body, n := z.parts()
	return newZsetLP(body, n)
}

// MemoryUsage returns the bytes the blob occupies.
func (z *zsetLP) MemoryUsage() int64 { return int64(roundAlloc(z.blobLen())) }

// Encoding returns "skiplist" (OBJECT ENCODING).
func (z *zsetSL) Encoding() string { return "skiplist" }

// Clone returns a deep copy (COPY).
func (z *zsetSL) Clone() any {
	c := newZsetSL()
	for x := z.zsl.tail; x != nil; x = x.backward {
		c.insert(x.score, x.ele)
	}
	return c
}

// MemoryUsage returns the bytes the set holds.
func (z *zsetSL) MemoryUsage() int64 {
	return zsetSLBase + z.mem + int64(roundAlloc(8*len(z.dict.buckets))) + zslNodeSize(z.zsl.header.nlevel)
}

func newZsetSL() *zsetSL { return &zsetSL{zsl: newSkiplist()} }

// slElemSize is the accounted cost of one element with a node of level
// lvl: its node, its member string and its dict entry.
func slElemSize(lvl int, ele string) int64 {
	return zslNodeSize(lvl) + int64(roundAlloc(len(ele))) + 48
}

// insert adds a member known to be absent.
func (z *zsetSL) insert(score float64, ele string) {
	x := z.zsl.insert(score, ele)
	dictSetString(&z.dict, ele, score)
	z.mem += slElemSize(x.nlevel, ele)
}

// remove deletes member if present and reports whether it was.
func (z *zsetSL) remove(member []byte) bool {
	score, ok := z.dict.Get(member)
	if !ok {
		return false
	}
	z.dict.Delete(member)
	x := z.zsl.remove(score, bstr(member))
	z.mem -= slElemSize(x.nlevel, x.ele)
	return true
}

// dictSetString adds key (which the Dict then shares, without copying) to
// d; key must be absent.
func dictSetString[V any](d *Dict[V], key string, v V) {
	h := maphashString(key)
	if d.count >= len(d.buckets) {
		d.resize(max(len(d.buckets)*2, 4))
	}
	i := h & uint64(len(d.buckets)-1)
	d.buckets[i] = &dictEntry[V]{next: d.buckets[i], hash: h, key: key, val: v}
	d.count++
}

func maphashString(s string) uint64 {
	return dictHash(unsafe.Slice(unsafe.StringData(s), len(s)))
}

// bstr views b as a string without copying (valid while b is unchanged).
func bstr(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// sbytes views s as bytes; the bytes must not be modified.
func sbytes(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// ---- listpack body encoding ----
//
// A pair is a header byte, maybe a member length, the member bytes, maybe a
// score. Integral scores below 2^53 (the common case) are stored as the
// difference from the previous pair's score when that one is integral too
// (from 0 for the first pair): the pairs are sorted, so the difference is
// small and non-negative. Header h:
//
//	h < 0x80:          a short pair: member length h&15, score previous + h>>4
//	0x80 <= h < 0xff:  member length h&0x7f, then the member, then a code
//	h == 0xff:         uvarint member length, the member, then a code
//
// The code is a uvarint: even, the zigzag difference from the previous
// integral score, shifted left by one; 1, followed by the 8 bytes of a
// float64 (fractions, infinities, huge values). A 4-byte member whose score
// is at most 7 above the previous one takes 5 bytes (Redis's listpack: 8).

const (
	lpShortMaxLen   = 15
	lpShortMaxDelta = 7
	lpLongLen       = 0xff
)

// lpBase is the integer a pair's score is stored relative to, given the
// previous pair's score: that score if it is a safe integer, else 0.
func lpBase(prev float64) (int64, bool) {
	if prev == math.Trunc(prev) && prev > -(1<<53) && prev < 1<<53 {
		return int64(prev), true
	}
	return 0, false
}

// lpIsInt reports whether s is stored as an integer.
func lpIsInt(s float64) bool { return s == math.Trunc(s) && s > -(1<<53) && s < 1<<53 }

// lpAppendPair appends (member, s) encoded after a pair scoring prev (0 for
// the first pair).
func lpAppendPair(b, member []byte, s, prev float64) []byte {
	base, _ := lpBase(prev)
	if lpIsInt(s) {
		d := int64(s) - base // -0 becomes 0, as in Redis's listpack
		if d >= 0 && d <= lpShortMaxDelta && len(member) <= lpShortMaxLen {
			b = append(b, byte(d<<4)|byte(len(member)))
			return append(b, member...)
		}
		b = lpAppendMember(b, member)
		z := uint64(d<<1) ^ uint64(d>>63)
		return binary.AppendUvarint(b, z<<1)
	}
	b = lpAppendMember(b, member)
	b = append(b, 1)
	return binary.LittleEndian.AppendUint64(b, math.Float64bits(s))
}

func lpAppendMember(b, member []byte) []byte {
	if len(member) < lpLongLen-0x80 {
		b = append(b, 0x80|byte(len(member)))
	} else {
		b = append(b, lpLongLen)
		b = binary.AppendUvarint(b, uint64(len(member)))
	}
	return append(b, member...)
}

// uvarint decodes a uvarint at b[off:] (fast path for one byte).
func uvarint(b []byte, off int) (uint64, int) {
	if c := b[off]; c < 0x80 {
		return uint64(c), off + 1
	}
	v, n := binary.Uvarint(b[off:])
	return v, off + n
}

// lpPair decodes the pair at off (following a pair scoring prev),
// returning it and the next offset.
func lpPair(b []byte, off int, prev float64) (member []byte, score float64, next int) {
	h := b[off]
	off++
	if h < 0x80 {
		l := int(h & 15)
		base, _ := lpBase(prev)
		return b[off : off+l : off+l], float64(base + int64(h>>4)), off + l
	}
	l := int(h & 0x7f)
	if h == lpLongLen {
		var v uint64
		v, off = uvarint(b, off)
		l = int(v)
	}
	member = b[off : off+l : off+l]
	off += l
	code, next := uvarint(b, off)
	if code == 1 {
		return member, math.Float64frombits(binary.LittleEndian.Uint64(b[next:])), next + 8
	}
	z := code >> 1
	base, _ := lpBase(prev)
	return member, float64(base + (int64(z>>1) ^ -int64(z&1))), next
}

// lpIter walks a body's pairs in order.
type lpIter struct {
	b    []byte
	off  int
	prev float64 // score of the pair before off
}

// next returns the pair at the iterator and moves past it.
func (it *lpIter) next() (member []byte, score float64) {
	member, score, it.off = lpPair(it.b, it.off, it.prev)
	it.prev = score
	return member, score
}

func (it *lpIter) done() bool { return it.off >= len(it.b) }

// lpSeek returns an iterator at the pair of index i (i may be the count).
func lpSeek(b []byte, i int) lpIter {
	it := lpIter{b: b}
	for ; i > 0; i-- {
		it.next()
	}
	return it
}

// lpFind returns an iterator at member's pair and its score; ok is false
// when member is absent.
func zlpFind(b, member []byte) (lpIter, float64, bool) {
	it := lpIter{b: b}
	for !it.done() {
		at := it
		m, s := it.next()
		if bytes.Equal(m, member) {
			return at, s, true
		}
	}
	return it, 0, false
}

// lpReplace replaces body bytes [from, to) with the pairs in repl.
func lpReplace(b []byte, from, to int, repl []byte) []byte {
	grow := len(repl) - (to - from)
	if grow > 0 {
		old := len(b)
		b = append(b, make([]byte, grow)...)
		copy(b[to+grow:], b[to:old])
	} else if grow < 0 {
		copy(b[to+grow:], b[to:])
		b = b[:len(b)+grow]
	}
	copy(b[from:], repl)
	return b
}

// lpDelete removes n pairs from at and re-encodes the pair after them
// against the pair before.
func lpDelete(b []byte, at lpIter, n int) []byte {
	it := at
	for ; n > 0; n-- {
		it.next()
	}
	var tmp [160]byte
	repl := tmp[:0]
	end := it.off
	if !it.done() {
		m, s := it.next()
		repl = lpAppendPair(repl, m, s, at.prev)
		end = it.off
	}
	return lpReplace(b, at.off, end, repl)
}

// lpInsert inserts (member, score) in order into body b (which may grow),
// re-encoding the pair after it.
func lpInsert(b, member []byte, score float64) []byte {
	it := lpIter{b: b}
	for !it.done() {
		at := it
		m, s := it.next()
		if s > score || (s == score && bytes.Compare(m, member) > 0) {
			var tmp [160]byte
			repl := lpAppendPair(tmp[:0], member, score, at.prev)
			repl = lpAppendPair(repl, m, s, score)
			return lpReplace(b, at.off, it.off, repl)
		}
	}
	return lpAppendPair(b, member, score, it.prev)
}

// emptyZsetLP is the listpack a new set starts as.
var emptyZsetLP = newZsetLP(nil, 0)

// scratch buffers for editing a listpack body.
var lpScratch = sync.Pool{New: func() any { b := make([]byte, 0, 256); return &b }}

// ---- the read view ----

// ZSet is a read-only view of a sorted set value, valid while the key's
// shard lock is held and the set is not changed. Members it passes out
// alias the set: copy them to keep them.
type ZSet struct {
	lp []byte // listpack body, when sl is nil
	n  int
	sl *zsetSL
}

// ZSetOf returns the view of a sorted set entry (e.Kind() == KindZSet).
func ZSetOf(e *Entry) ZSet {
	switch o := e.object().(type) {
	case *zsetLP:
		b, n := o.parts()
		return ZSet{lp: b, n: n}
	case *zsetSL:
		return ZSet{sl: o}
	}
	panic("store: not a sorted set")
}

// Len returns the number of members.
func (z ZSet) Len() int {
	if z.sl != nil {
		return z.sl.zsl.length
	}
	return z.n
}

// Score returns member's score.
func (z ZSet) Score(member []byte) (float64, bool) {
	if z.sl != nil {
		return z.sl.dict.Get(member)
	}
	_, s, ok := zlpFind(z.lp, member)
	return s, ok
}

// Rank returns member's 0-based rank by ascending score, and its score.
func (z ZSet) Rank(member []byte) (int, float64, bool) {
	if z.sl != nil {
		s, ok := z.sl.dict.Get(member)
		if !ok {
			return 0, 0, false
		}
		return z.sl.zsl.rankOf(s, bstr(member)) - 1, s, true
	}
	it := lpIter{b: z.lp}
	for i := 0; !it.done(); i++ {
		if m, s := it.next(); bytes.Equal(m, member) {
			return i, s, true
		}
	}
	return 0, 0, false
}

// At returns the member at 0-based ascending rank i (0 <= i < Len()).
func (z ZSet) At(i int) ([]byte, float64) {
	if z.sl != nil {
		x := z.sl.zsl.byRank(i + 1)
		return sbytes(x.ele), x.score
	}
	it := lpSeek(z.lp, i)
	return it.next()
}

// Ascend calls fn for the members of ascending ranks [lo, hi), in order,
// until fn returns false.
func (z ZSet) Ascend(lo, hi int, fn func(member []byte, score float64) bool) {
	if lo >= hi {
		return
	}
	if z.sl != nil {
		x := z.sl.zsl.byRank(lo + 1)
		for i := lo; i < hi && x != nil; i++ {
			if !fn(sbytes(x.ele), x.score) {
				return
			}
			x = x.l0.forward
		}
		return
	}
	it := lpSeek(z.lp, lo)
	for i := lo; i < hi; i++ {
		if !fn(it.next()) {
			return
		}
	}
}

// Descend calls fn for the members of ascending ranks [lo, hi) from the
// highest down, until fn returns false.
func (z ZSet) Descend(lo, hi int, fn func(member []byte, score float64) bool) {
	if lo >= hi {
		return
	}
	if z.sl != nil {
		x := z.sl.zsl.byRank(hi)
		for i := hi - 1; i >= lo && x != nil; i-- {
			if !fn(sbytes(x.ele), x.score) {
				return
			}
			x = x.backward
		}
		return
	}
	// A listpack has no backward links: collect the offsets first (on
	// the stack for sets within the default limits).
	type pos struct {
		off  int
		prev float64
	}
	var stack [128]pos
	at := stack[:0]
	it := lpSeek(z.lp, lo)
	for i := lo; i < hi; i++ {
		at = append(at, pos{it.off, it.prev})
		it.next()
	}
	for i := len(at) - 1; i >= 0; i-- {
		m, s, _ := lpPair(z.lp, at[i].off, at[i].prev)
		if !fn(m, s) {
			return
		}
	}
}

// ScoreRange is a parsed score interval (ZRANGEBYSCORE's min and max).
type ScoreRange struct {
	Min, Max     float64
	MinEx, MaxEx bool // exclusive bounds, "(" prefix
}

func (r *ScoreRange) gteMin(s float64) bool {
	if r.MinEx {
		return s > r.Min
	}
	return s >= r.Min
}

func (r *ScoreRange) lteMax(s float64) bool {
	if r.MaxEx {
		return s < r.Max
	}
	return s <= r.Max
}

// empty reports a range no score can be in.
func (r *ScoreRange) empty() bool {
	return r.Min > r.Max || (r.Min == r.Max && (r.MinEx || r.MaxEx))
}

// ScoreSpan returns the ascending ranks [lo, hi) of the members whose
// scores are in r (lo == hi when none are).
func (z ZSet) ScoreSpan(r *ScoreRange) (lo, hi int) {
	if r.empty() {
		return 0, 0
	}
	if z.sl != nil {
		lo = z.sl.zsl.countWhile(func(x *zslNode) bool { return !r.gteMin(x.score) })
		hi = z.sl.zsl.countWhile(func(x *zslNode) bool { return r.lteMax(x.score) })
	} else {
		i := 0
		for it := (lpIter{b: z.lp}); !it.done(); i++ {
			_, s := it.next()
			if !r.gteMin(s) {
				lo = i + 1
			}
			if !r.lteMax(s) {
				break
			}
		}
		hi = i
	}
	if hi < lo {
		hi = lo
	}
	return lo, hi
}

// LexRange is a parsed member interval (ZRANGEBYLEX's min and max).
type LexRange struct {
	Min, Max       []byte
	MinEx, MaxEx   bool
	MinInf, MaxInf int // -1: "-" (below all), +1: "+" (above all), 0: Min/Max
}

// cmpBound compares member a with a range bound (b, or an infinity).
func cmpBound(a []byte, b []byte, inf int) int {
	if inf != 0 {
		return -inf
	}
	return bytes.Compare(a, b)
}

func (r *LexRange) gteMin(m []byte) bool {
	c := cmpBound(m, r.Min, r.MinInf)
	if r.MinEx {
		return c > 0
	}
	return c >= 0
}

func (r *LexRange) lteMax(m []byte) bool {
	c := cmpBound(m, r.Max, r.MaxInf)
	if r.MaxEx {
		return c < 0
	}
	return c <= 0
}

// empty reports a range no member can be in (Redis's sdscmplex test).
func (r *LexRange) empty() bool {
	var c int
	switch {
	case r.MinInf == r.MaxInf && r.MinInf != 0:
		c = 0
	case r.MinInf == -1 || r.MaxInf == 1:
		c = -1
	case r.MinInf == 1 || r.MaxInf == -1:
		c = 1
	default:
		c = bytes.Compare(r.Min, r.Max)
	}
	return c > 0 || (c == 0 && (r.MinEx || r.MaxEx))
}

// mayHaveLex is Redis's quick test before a lexicographic range search:
// the range is not empty, the last member is >= min and the first <= max.
func (z ZSet) mayHaveLex(r *LexRange) bool {
	n := z.Len()
	if n == 0 || r.empty() {
		return false
	}
	last, _ := z.At(n - 1)
	first, _ := z.At(0)
	return r.gteMin(last) && r.lteMax(first)
}

// LexFirst returns the ascending rank where a forward lexicographic range
// starts, or -1. Like Redis, it assumes members are ordered as their
// scores are (all scores equal); otherwise it finds what Redis's listpack
// scan finds: the first member >= min, if it is <= max.
func (z ZSet) LexFirst(r *LexRange) int {
	n := z.Len()
	if !z.mayHaveLex(r) {
		return -1
	}
	var i int
	var m []byte
	if z.sl != nil {
		i = z.sl.zsl.countWhile(func(x *zslNode) bool { return !r.gteMin(sbytes(x.ele)) })
		if i >= n {
			return -1
		}
		m = sbytes(z.sl.zsl.byRank(i + 1).ele)
	} else {
		i = -1
		for it, k := (lpIter{b: z.lp}), 0; !it.done(); k++ {
			if pm, _ := it.next(); r.gteMin(pm) {
				i, m = k, pm
				break
			}
		}
		if i < 0 {
			return -1
		}
	}
	if !r.lteMax(m) {
		return -1
	}
	return i
}

// LexLast returns the ascending rank where a reverse lexicographic range
// starts (its highest member), or -1.
func (z ZSet) LexLast(r *LexRange) int {
	n := z.Len()
	if !z.mayHaveLex(r) {
		return -1
	}
	i := -1
	if z.sl != nil {
		i = z.sl.zsl.countWhile(func(x *zslNode) bool { return r.lteMax(sbytes(x.ele)) }) - 1
	} else {
		z.Descend(0, n, func(m []byte, _ float64) bool {
			n--
			if r.lteMax(m) {
				i = n
				return false
			}
			return true
		})
	}
	if i < 0 {
		return -1
	}
	if m, _ := z.At(i); !r.gteMin(m) {
		return -1
	}
	return i
}

// LexRun returns how many members from ascending rank i on are <= r's max
// (forward) or, with rev, from rank i down are >= its min.
func (z ZSet) LexRun(i int, r *LexRange, rev bool) int {
	if i < 0 || i >= z.Len() {
		return 0
	}
	if z.sl != nil {
		// Members are assumed ordered (see LexFirst): count by rank.
		if rev {
			lo := z.sl.zsl.countWhile(func(x *zslNode) bool { return !r.gteMin(sbytes(x.ele)) })
			return max(0, i+1-lo)
		}
		hi := z.sl.zsl.countWhile(func(x *zslNode) bool { return r.lteMax(sbytes(x.ele)) })
		return max(0, hi-i)
	}
	n := 0
	if rev {
		z.Descend(0, i+1, func(m []byte, _ float64) bool {
			if !r.gteMin(m) {
				return false
			}
			n++
			return true
		})
	} else {
		z.Ascend(i, z.Len(), func(m []byte, _ float64) bool {
			if !r.lteMax(m) {
				return false
			}
			n++
			return true
		})
	}
	return n
}

// Scan continues a ZSCAN from cursor, calling fn for members (and their
// scores) until about count were returned; it returns the next cursor. A
// listpack set is returned whole with cursor 0, as Redis does.
func (z ZSet) Scan(cursor uint64, count int, fn func(member []byte, score float64)) uint64 {
	if z.sl == nil {
		z.Ascend(0, z.n, func(m []byte, s float64) bool { fn(m, s); return true })
		return 0
	}
	// Like Redis, count is compared with the reply's length, which has
	// a score after every member.
	found := 0
	maxIter := count * 10
	for {
		cursor = z.sl.dict.Scan(cursor, func(k string, v float64) {
			found += 2
			fn(sbytes(k), v)
		})
		if cursor == 0 || maxIter == 0 || found >= count {
			return cursor
		}
		maxIter--
	}
}

// ---- parsing ----

// isSpace is C's isspace in the "C" locale.
func isSpace(c byte) bool { return c == ' ' || (c >= '\t' && c <= '\r') }

// scanStrtod returns how many bytes of b C's strtod would consume (after
// leading whitespace, which it counts), 0 if it converts nothing, and
// whether the number is a NaN. Parsing stops at a NUL byte, as in C.
func scanStrtod(b []byte) (n int, nan bool) {
	i := 0
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		i++
	}
	rest := b[i:]
	switch {
	case hasPrefixFold(rest, "infinity"):
		return i + 8, false
	case hasPrefixFold(rest, "inf"):
		return i + 3, false
	case hasPrefixFold(rest, "nan"):
		j := i + 3
		if j < len(b) && b[j] == '(' {
			k := j + 1
			for k < len(b) && (isAlnum(b[k]) || b[k] == '_') {
				k++
			}
			if k < len(b) && b[k] == ')' {
				j = k + 1
			}
		}
		return j, true
	}
	if len(rest) >= 2 && rest[0] == '0' && (rest[1]|0x20) == 'x' {
		j, digits := scanMantissa(b, i+2, isHex)
		if digits == 0 {
			return i + 1, false // just the "0"
		}
		return expPart(b, j, 'p'), false
	}
	j, digits := scanMantissa(b, i, isDigit)
	if digits == 0 {
		return 0, false
	}
	return expPart(b, j, 'e'), false
}

// scanMantissa scans digits, an optional point and more digits from
// b[j:], returning where they end and how many digits there were.
func scanMantissa(b []byte, j int, digit func(byte) bool) (end, digits int) {
	for j < len(b) && digit(b[j]) {
		j++
		digits++
	}
	if j < len(b) && b[j] == '.' {
		j++
		for j < len(b) && digit(b[j]) {
			j++
			digits++
		}
	}
	return j, digits
}

// expPart extends a mantissa ending at j with an exponent introduced by
// letter (e or p), when a complete one follows.
func expPart(b []byte, j int, letter byte) int {
	if j < len(b) && (b[j]|0x20) == letter {
		k := j + 1
		if k < len(b) && (b[k] == '+' || b[k] == '-') {
			k++
		}
		if k < len(b) && isDigit(b[k]) {
			for k < len(b) && isDigit(b[k]) {
				k++
			}
			return k
		}
	}
	return j
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isHex(c byte) bool   { return isDigit(c) || (c|0x20 >= 'a' && c|0x20 <= 'f') }
func isAlnum(c byte) bool { return isDigit(c) || (c|0x20 >= 'a' && c|0x20 <= 'z') }

func hasPrefixFold(b []byte, w string) bool {
	return len(b) >= len(w) && eqFoldASCII(b[:len(w)], w)
}

// strtodValue converts a number scanStrtod accepted (b is exactly the
// consumed bytes, without leading space). It reports whether the result
// overflowed or underflowed (strtod's ERANGE with an infinite or zero
// result).
func strtodValue(b []byte) (f float64, rangeErr bool) {
	neg := false
	s := b
	if len(s) > 0 && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	if len(s) > 0 && (s[0]|0x20) == 'i' {
		f = math.Inf(1)
	} else {
		var buf [64]byte
		str := s
		if len(s) >= 2 && s[0] == '0' && (s[1]|0x20) == 'x' && !bytes.ContainsAny(s, "pP") {
			str = append(append(buf[:0], s...), 'p', '0')
		}
		v, err := parseFloatBytes(str)
		f = v
		if err {
			rangeErr = true
		} else if v == 0 && hasNonZeroDigit(s) {
			rangeErr = true
		}
	}
	if neg {
		f = -f
	}
	return f, rangeErr
}

// hasNonZeroDigit reports whether a mantissa has a non-zero digit (a zero
// result then means underflow).
func hasNonZeroDigit(s []byte) bool {
	hex := len(s) >= 2 && s[0] == '0' && (s[1]|0x20) == 'x'
	if hex {
		s = s[2:]
	}
	for _, c := range s {
		switch {
		case c == '.':
		case !hex && (c|0x20) == 'e', hex && (c|0x20) == 'p':
			return false
		case c != '0':
			return true
		}
	}
	return false
}

// parseFloatBytes converts a number in Go's float syntax; true reports an
// overflow (or a syntax error, which callers have excluded).
func parseFloatBytes(b []byte) (float64, bool) {
	f, err := strconv.ParseFloat(bstr(b), 64)
	return f, err != nil
}

// ParseScore parses a score or increment the way Redis's string2d does:
// the whole argument must be a strtod number, no leading space, no NaN,
// not out of range (1e999 and 1e-999 fail; "inf" is fine).
func ParseScore(b []byte) (float64, bool) {
	if len(b) == 0 || isSpace(b[0]) {
		return 0, false
	}
	n, nan := scanStrtod(b)
	if n != len(b) || nan {
		return 0, false
	}
	f, rangeErr := strtodValue(b)
	if rangeErr {
		return 0, false
	}
	return f, true
}

// parseBound parses one score range bound as Redis's zslParseRange does
// with strtod: leading space is skipped, the number must end the argument
// (or be followed by a NUL byte), overflow gives an infinity, an argument
// with no number at all is 0 only when it is empty, and NaN fails.
func parseBound(b []byte) (float64, bool) {
	n, nan := scanStrtod(b)
	if nan {
		return 0, false
	}
	if n == 0 {
		return 0, len(b) == 0 || b[0] == 0
	}
	if n < len(b) && b[n] != 0 {
		return 0, false
	}
	i := 0
	for isSpace(b[i]) {
		i++
	}
	f, _ := strtodValue(b[i:n])
	return f, true
}

// ParseScoreRange parses ZRANGEBYSCORE's min and max ("(" marks an
// exclusive bound); false means "min or max is not a float".
func ParseScoreRange(min, max []byte) (ScoreRange, bool) {
	var r ScoreRange
	var ok bool
	if len(min) > 0 && min[0] == '(' {
		r.MinEx = true
		min = min[1:]
	}
	if r.Min, ok = parseBound(min); !ok {
		return r, false
	}
	if len(max) > 0 && max[0] == '(' {
		r.MaxEx = true
		max = max[1:]
	}
	if r.Max, ok = parseBound(max); !ok {
		return r, false
	}
	return r, true
}

// parseLexItem parses one lexicographic bound.
func parseLexItem(b []byte) (v []byte, ex bool, inf int, ok bool) {
	if len(b) == 0 {
		return nil, false, 0, false
	}
	switch b[0] {
	case '+', '-':
		if len(b) > 1 && b[1] != 0 {
			return nil, false, 0, false
		}
		if b[0] == '+' {
			return nil, true, 1, true
		}
		return nil, true, -1, true
	case '(':
		return b[1:], true, 0, true
	case '[':
		return b[1:], false, 0, true
	}
	return nil, false, 0, false
}

// ParseLexRange parses ZRANGEBYLEX's min and max ("[a", "(a", "-", "+");
// false means "min or max not valid string range item". The bounds alias
// the arguments.
func ParseLexRange(min, max []byte) (LexRange, bool) {
	var r LexRange
	var ok1, ok2 bool
	r.Min, r.MinEx, r.MinInf, ok1 = parseLexItem(min)
	r.Max, r.MaxEx, r.MaxInf, ok2 = parseLexItem(max)
	return r, ok1 && ok2
}

// ---- writing ----

// ZAddFlags are ZADD's options.
type ZAddFlags uint8

// ZADD options.
const (
	ZAddNX ZAddFlags = 1 << iota
	ZAddXX
	ZAddGT
	ZAddLT
	ZAddIncr
)

// ZAddResult sums up a ZADD.
type ZAddResult struct {
	Added, Updated int
	// Processed counts members not skipped by NX/XX/GT/LT.
	Processed int
	// Score is the last processed member's resulting score (INCR's reply).
	Score float64
	// NaN: an increment produced NaN; nothing was changed.
	NaN bool
}

// zsetEditor applies changes to a set: to a working copy of a listpack
// body, converting to a skiplist when a limit is crossed, or to a skiplist
// in place.
type zsetEditor struct {
	buf   *[]byte // pooled scratch holding the body, when listpack
	lp    []byte
	n     int
	sl    *zsetSL
	dirty bool
	conv  bool // converted from listpack during this edit
}

func openZSet(e *Entry) zsetEditor {
	switch o := e.object().(type) {
	case *zsetLP:
		body, n := o.parts()
		buf := lpScratch.Get().(*[]byte)
		return zsetEditor{buf: buf, lp: append((*buf)[:0], body...), n: n}
	case *zsetSL:
		return zsetEditor{sl: o}
	}
	panic("store: not a sorted set")
}

// convert turns the working listpack into a skiplist.
func (z *zsetEditor) convert() {
	sl := newZsetSL()
	for it := (lpIter{b: z.lp}); !it.done(); {
		m, s := it.next()
		sl.insert(s, string(m))
	}
	z.sl, z.conv, z.dirty = sl, true, true
}

// zaddOutcome is what ZADD did to one member.
type zaddOutcome uint8

const (
	zaddNop     zaddOutcome = iota // skipped by NX, XX, GT or LT
	zaddSame                       // processed, score unchanged
	zaddUpdated                    // score changed
	zaddAdded                      // new member
	zaddNaN                        // the increment made NaN: nothing changed
)

// zaddScore decides ZADD's new score for a member scoring cur.
func zaddScore(f ZAddFlags, score, cur float64) (float64, zaddOutcome) {
	if f&ZAddNX != 0 {
		return 0, zaddNop
	}
	if f&ZAddIncr != 0 {
		score += cur
		if math.IsNaN(score) {
			return 0, zaddNaN
		}
	}
	if (f&ZAddLT != 0 && score >= cur) || (f&ZAddGT != 0 && score <= cur) {
		return 0, zaddNop
	}
	if score == cur {
		return score, zaddSame
	}
	return score, zaddUpdated
}

// add applies one member of a ZADD and returns the member's new score.
func (z *zsetEditor) add(lim *Limits, f ZAddFlags, score float64, member []byte) (float64, zaddOutcome) {
	var at lpIter
	var cur float64
	var found bool
	if z.sl == nil {
		at, cur, found = zlpFind(z.lp, member)
	} else {
		cur, found = z.sl.dict.Get(member)
	}
	if found {
		next, out := zaddScore(f, score, cur)
		if out == zaddUpdated {
			z.dirty = true
			if z.sl == nil {
				z.lp = lpDelete(z.lp, at, 1)
				z.lp = lpInsert(z.lp, member, next)
			} else {
				z.sl.zsl.updateScore(cur, bstr(member), next)
				*z.sl.dict.Ptr(member) = next
			}
		}
		return next, out
	}
	if f&ZAddXX != 0 {
		return 0, zaddNop
	}
	if z.sl == nil && (int64(z.n+1) > lim.ZsetMaxListpackEntries.Load() || int64(len(member)) > lim.ZsetMaxListpackValue.Load()) {
		z.convert()
	}
	if z.sl == nil {
		z.lp = lpInsert(z.lp, member, score)
		z.n++
	} else {
		z.sl.insert(score, string(member))
	}
	z.dirty = true
	return score, zaddAdded
}

// remove deletes member.
func (z *zsetEditor) remove(member []byte) bool {
	if z.sl != nil {
		if z.sl.remove(member) {
			z.dirty = true
			return true
		}
		return false
	}
	at, _, found := zlpFind(z.lp, member)
	if !found {
		return false
	}
	z.lp = lpDelete(z.lp, at, 1)
	z.n--
	z.dirty = true
	return true
}

// removeRanks deletes ascending ranks [lo, hi).
func (z *zsetEditor) removeRanks(lo, hi int) {
	if lo >= hi {
		return
	}
	z.dirty = true
	if z.sl != nil {
		z.sl.zsl.removeRange(lo+1, hi, func(x *zslNode) {
			z.sl.dict.Delete(sbytes(x.ele))
			z.sl.mem -= slElemSize(x.nlevel, x.ele)
		})
		return
	}
	z.lp = lpDelete(z.lp, lpSeek(z.lp, lo), hi-lo)
	z.n -= hi - lo
}

func (z *zsetEditor) len() int {
	if z.sl != nil {
		return z.sl.zsl.length
	}
	return z.n
}

// close stores the edited set back in e (deleting the key from s, its
// shard, when it became empty), fixes the memory accounting, and reports
// whether the key was deleted.
func (z *zsetEditor) close(s *shard, e *Entry, before int64) bool {
	if z.buf != nil {
		if z.dirty {
			if z.sl != nil {
				e.setObject(z.sl)
			} else {
				e.setObject(newZsetLP(z.lp, z.n))
			}
		}
		if cap(z.lp) <= 64*1024 {
			*z.buf = z.lp[:0]
			lpScratch.Put(z.buf)
		}
	}
	s.addUsed(e.size() - before)
	if z.len() == 0 {
		s.deleteLocked(e)
		return true
	}
	return false
}

// NewZSet stores an empty sorted set under key in db (which must be
// absent) and returns its entry, for ZADD to fill. Like Redis 7.0's ZADD,
// it starts as a listpack unless the listpack limit is 0 entries or the
// first member is already too long.
func (tx *Tx) NewZSet(db *DB, key []byte, firstMemberLen int) *Entry {
	lim := tx.st.Limits()
	var obj any
	if lim.ZsetMaxListpackEntries.Load() == 0 || int64(firstMemberLen) > lim.ZsetMaxListpackValue.Load() {
		obj = newZsetSL()
	} else {
		obj = emptyZsetLP // never changed in place: edits make a new blob
	}
	return tx.PutIn(db, key, KindZSet, nil, obj, 0)
}

// ZAdd applies ZADD's score, member, score, member... arguments (the
// scores already checked with ParseScore) with options f to the set in e
// (in db), and calls changed for every member added or updated, with its
// resulting score. On NaN (only possible with ZAddIncr) nothing changes.
func (tx *Tx) ZAdd(db *DB, e *Entry, f ZAddFlags, pairs [][]byte, changed func(member []byte, score float64)) ZAddResult {
	before := e.size()
	z := openZSet(e)
	var res ZAddResult
	lim := tx.st.Limits()
	for i := 0; i+1 < len(pairs); i += 2 {
		score, _ := ParseScore(pairs[i])
		m := pairs[i+1]
		s, out := z.add(lim, f, score, m)
		switch out {
		case zaddNaN:
			res.NaN = true
		case zaddAdded:
			res.Added++
		case zaddUpdated:
			res.Updated++
		}
		if out == zaddNaN {
			break
		}
		if out != zaddNop {
			res.Processed++
			res.Score = s
		}
		if (out == zaddAdded || out == zaddUpdated) && changed != nil {
			changed(m, s)
		}
	}
	z.close(tx.entryShard(db, e), e, before)
	return res
}

// ZRem removes members from the set in e (in db), calling removed for
// each one that was there; it returns how many were, and whether the key
// was deleted because the set became empty.
func (tx *Tx) ZRem(db *DB, e *Entry, members [][]byte, removed func(member []byte)) (int, bool) {
	before := e.size()
	z := openZSet(e)
	n := 0
	for _, m := range members {
		if z.remove(m) {
			n++
			if removed != nil {
				removed(m)
			}
			if z.len() == 0 {
				break
			}
		}
	}
	return n, z.close(tx.entryShard(db, e), e, before)
}

// ZRemRanks removes the members of ascending ranks [lo, hi) from the set in
// e (in db); it reports whether the key was deleted.
func (tx *Tx) ZRemRanks(db *DB, e *Entry, lo, hi int) bool {
	before := e.size()
	z := openZSet(e)
	z.removeRanks(lo, hi)
	return z.close(tx.entryShard(db, e), e, before)
}

// ---- building ----

// ZSetBuilder builds a new sorted set value from members given in order
// (ZUNIONSTORE and the other *STORE commands), in the encoding Redis would
// end up with: a listpack when the count and the longest member are within
// the limits.
type ZSetBuilder struct {
	lp   []byte
	n    int
	prev float64
	sl   *zsetSL
}

// NewZSetBuilder starts a set of count members whose longest is maxLen
// bytes.
func (tx *Tx) NewZSetBuilder(count, maxLen int) *ZSetBuilder {
	lim := tx.st.Limits()
	if int64(count) <= lim.ZsetMaxListpackEntries.Load() && int64(maxLen) <= lim.ZsetMaxListpackValue.Load() {
		return &ZSetBuilder{}
	}
	return &ZSetBuilder{sl: newZsetSL()}
}

// Append adds a member; members must come in ascending (score, member)
// order, each once.
func (b *ZSetBuilder) Append(member []byte, score float64) {
	if b.sl != nil {
		b.sl.insert(score, string(member))
		return
	}
	b.lp = lpAppendPair(b.lp, member, score, b.prev)
	b.prev = score
	b.n++
}

// Len returns the number of members appended.
func (b *ZSetBuilder) Len() int {
	if b.sl != nil {
		return b.sl.zsl.length
	}
	return b.n
}

// Value returns the set, to store with PutIn(db, key, KindZSet, nil, v, 0).
func (b *ZSetBuilder) Value() any {
	if b.sl != nil {
		return b.sl
	}
	return newZsetLP(b.lp, b.n)
}
