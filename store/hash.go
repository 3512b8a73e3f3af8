package store

import (
	"encoding/binary"
	"errors"
	"math"
	"math/big"
	"math/rand/v2"
	"strconv"
	"unsafe"
)

// Hashes (Redis's t_hash.c).
//
// A hash has two encodings, as in Redis. Small hashes are "listpack": every
// field and value in one byte string, in insertion order, stored inline in
// the entry after the key (blob.go). A hash converts to "hashtable" (a
// Dict[string] of fields to values) when it gets more fields than
// hash-max-listpack-entries or a field or value longer than
// hash-max-listpack-value bytes, and never converts back.
//
// The compact layout is ember's own, not Redis's listpack: it only has to
// give the same answers (OBJECT ENCODING, iteration order) while costing
// fewer bytes, since a small hash's memory is nearly all this blob. It is a
// sequence of elements, field then value for each pair, with no header
// (the length of e.data bounds it; HLEN counts by walking, as every other
// operation does anyway) and no back-pointers (nothing walks it backwards).
// Each element starts with a tag byte:
//
//	0x00-0x3f  a string of 0-63 bytes follows
//	0x40-0x7f  front-coded: the element is the first ((t>>3)&7)+1 bytes of
//	           its base, then t&7 bytes that follow
//	0x80-0xbf  the integer t&0x3f
//	0xc0       uvarint length, then a string of that length
//	0xc1       front-coded: uvarint shared length, uvarint suffix length,
//	           suffix bytes
//	0xc2-0xc9  a signed little-endian integer of t-0xc1 bytes
//
// Strings that are canonical 64-bit integers (what Redis's string2ll
// accepts, so they print back identically) are always stored as integers,
// like listpack does. Other strings are front-coded against their base, the
// last string of the same role (field or value) stored whole before them,
// when that is shorter: hashes whose fields are "name:1", "name:2", ... or
// whose values share a prefix (timestamps, ids, repeated values) store one
// or two bytes per element instead of the whole string. A lookup compares
// the target with the base's prefix and the suffix, so no element is ever
// rebuilt to be found; only replies build front-coded and integer elements
// into a small buffer.
//
// A change re-encodes the pairs from the first one it touches to the end
// into the Tx's scratch buffer (their bases may change) and stores the
// result; appending pairs re-encodes nothing. Like listpack, every
// operation is O(size of the hash), bounded by the limits above.

// Element tags of the compact encoding.
const (
	lpStr       = 0x00
	lpFront     = 0x40
	lpImm       = 0x80
	lpStrLong   = 0xc0
	lpFrontLong = 0xc1
	lpInt       = 0xc2
)

// hashListpack is the entry object of a hash in the compact encoding: a
// marker, the fields and values are the entry's blob.
type hashListpack struct{ _ byte }

// hashLP is the marker every compact hash shares.
var hashLP = &hashListpack{}

// Encoding returns "listpack" (OBJECT ENCODING).
func (*hashListpack) Encoding() string { return "listpack" }

// Clone returns the marker itself: the blob is copied with the entry's
// bytes.
func (h *hashListpack) Clone() any { return h }

// MemoryUsage is 0: the blob is accounted as the entry's own bytes.
func (*hashListpack) MemoryUsage() int64 { return 0 }

// hashTable is the entry object of a hash in the "hashtable" encoding.
type hashTable struct {
	d Dict[string]
	// mem is the bytes of the elements: entries and string data.
	mem int64
}

// hashElemSize is the accounted size of one field and value in a table.
func hashElemSize(f, v int) int64 {
	return int64(roundAlloc(int(unsafe.Sizeof(dictEntry[string]{}))) + roundAlloc(f) + roundAlloc(v))
}

// Encoding returns "hashtable" (OBJECT ENCODING).
func (*hashTable) Encoding() string { return "hashtable" }

// Clone deep-copies the table (strings are immutable and shared).
func (h *hashTable) Clone() any {
	c := &hashTable{mem: h.mem}
	c.d.count = h.d.count
	c.d.buckets = make([]*dictEntry[string], len(h.d.buckets))
	for i, e := range h.d.buckets {
		for ; e != nil; e = e.next {
			c.d.buckets[i] = &dictEntry[string]{next: c.d.buckets[i], hash: e.hash, key: e.key, val: e.val}
		}
	}
	return c
}

// MemoryUsage returns the bytes the table holds.
func (h *hashTable) MemoryUsage() int64 {
	return h.mem + int64(roundAlloc(8*len(h.d.buckets))) + int64(roundAlloc(int(unsafe.Sizeof(*h))))
}

// set stores f = v and reports whether f is new.
func (h *hashTable) set(f, v []byte) bool {
	if p := h.d.Ptr(f); p != nil {
		h.mem += hashElemSize(len(f), len(v)) - hashElemSize(len(f), len(*p))
		*p = string(v)
		return false
	}
	h.d.Set(f, string(v))
	h.mem += hashElemSize(len(f), len(v))
	return true
}

// del removes f and reports whether it was there.
func (h *hashTable) del(f []byte) bool {
	v, ok := h.d.Get(f)
	if !ok {
		return false
	}
	h.d.Delete(f)
	h.mem -= hashElemSize(len(f), len(v))
	return true
}

// ---- the compact encoding ----

// lpElem is one decoded element: an integer, or a string made of pre (a
// prefix of its base) followed by str. A string stored whole has pre nil.
type lpElem struct {
	pre, str []byte
	num      int64
	isInt    bool
}

// whole reports whether the element is a string stored whole (a base).
func (el *lpElem) whole() bool { return !el.isInt && el.pre == nil }

// length returns the element's length as a string.
func (el *lpElem) length() int {
	if el.isInt {
		var buf [20]byte
		return len(strconv.AppendInt(buf[:0], el.num, 10))
	}
	return len(el.pre) + len(el.str)
}

// appendTo appends the element's bytes to b.
func (el *lpElem) appendTo(b []byte) []byte {
	if el.isInt {
		return strconv.AppendInt(b, el.num, 10)
	}
	return append(append(b, el.pre...), el.str...)
}

// bytes returns the element's bytes: the stored string itself when it is
// stored whole, else built in buf (reallocated if too small).
func (el *lpElem) bytes(buf []byte) []byte {
	if el.whole() {
		return el.str
	}
	return el.appendTo(buf[:0])
}

// lpKey is a field being looked for, with its integer form if it has one
// (an element stored as an integer can only equal a canonical integer).
type lpKey struct {
	b     []byte
	n     int64
	isInt bool
}

func newLPKey(b []byte) lpKey {
	n, ok := parseStrictInt(b)
	return lpKey{b: b, n: n, isInt: ok}
}

// equal reports whether the element's bytes are k's.
func (el *lpElem) equal(k *lpKey) bool {
	if el.isInt || k.isInt {
		return el.isInt && k.isInt && el.num == k.n
	}
	p := len(el.pre)
	return p+len(el.str) == len(k.b) && string(k.b[:p]) == string(el.pre) && string(k.b[p:]) == string(el.str)
}

// lpDecode reads the element at b[pos] whose base is base into el, and
// returns the position after it.
func lpDecode(el *lpElem, b []byte, pos int, base []byte) int {
	t := b[pos]
	pos++
	switch {
	case t < lpFront:
		end := pos + int(t)
		*el = lpElem{str: b[pos:end:end]}
		return end
	case t < lpImm:
		p, end := int(t>>3&7)+1, pos+int(t&7)
		*el = lpElem{pre: base[:p:p], str: b[pos:end:end]}
		return end
	case t < lpStrLong:
		*el = lpElem{num: int64(t & 0x3f), isInt: true}
		return pos
	case t == lpStrLong:
		n, w := binary.Uvarint(b[pos:])
		pos += w
		end := pos + int(n)
		*el = lpElem{str: b[pos:end:end]}
		return end
	case t == lpFrontLong:
		p, w := binary.Uvarint(b[pos:])
		pos += w
		s, w := binary.Uvarint(b[pos:])
		pos += w
		end := pos + int(s)
		*el = lpElem{pre: base[:p:p], str: b[pos:end:end]}
		return end
	}
	k := int(t-lpInt) + 1
	var u uint64
	for i := k - 1; i >= 0; i-- {
		u = u<<8 | uint64(b[pos+i])
	}
	shift := 64 - 8*k
	*el = lpElem{num: int64(u<<shift) >> shift, isInt: true}
	return pos + k
}

// lpSkip returns the position after the element at b[pos].
func lpSkip(b []byte, pos int) int {
	t := b[pos]
	pos++
	switch {
	case t < lpFront:
		return pos + int(t)
	case t < lpImm:
		return pos + int(t&7)
	case t < lpStrLong:
		return pos
	case t == lpStrLong:
		n, w := binary.Uvarint(b[pos:])
		return pos + w + int(n)
	case t == lpFrontLong:
		_, w := binary.Uvarint(b[pos:])
		pos += w
		s, w := binary.Uvarint(b[pos:])
		return pos + w + int(s)
	}
	return pos + int(t-lpInt) + 1
}

// lpCount returns the number of pairs in b.
func lpCount(b []byte) int {
	n := 0
	for pos := 0; pos < len(b); n++ {
		pos = lpSkip(b, lpSkip(b, pos))
	}
	return n
}

// span is a base's place in a blob: b[off:off+n].
type span struct{ off, n int }

// lpCursor walks the pairs of a blob from the start.
type lpCursor struct {
	b    []byte
	pos  int
	base [2]span // the bases of fields and values
}

// next decodes the next pair into f and v; false at the end.
func (c *lpCursor) next(f, v *lpElem) bool {
	if c.pos >= len(c.b) {
		return false
	}
	c.elem(0, f)
	c.elem(1, v)
	return true
}

// elem decodes the next element, of role r (0 field, 1 value).
func (c *lpCursor) elem(r int, el *lpElem) {
	bs := c.base[r]
	c.pos = lpDecode(el, c.b, c.pos, c.b[bs.off:bs.off+bs.n])
	if el.whole() {
		c.base[r] = span{c.pos - len(el.str), len(el.str)}
	}
}

// skipPair moves past the next pair, keeping track of the bases.
func (c *lpCursor) skipPair() {
	var el lpElem
	c.elem(0, &el)
	c.elem(1, &el)
}

// lpFind looks for the pair whose field is k. It returns a cursor at that
// pair (at the end of b when there is none), the pair's index or -1, and
// when there is none the number of pairs.
func lpFind(b []byte, k *lpKey) (at lpCursor, idx, count int) {
	c := lpCursor{b: b}
	var f, v lpElem
	i := 0
	for ; c.pos < len(b); i++ {
		at = c
		c.elem(0, &f)
		if f.equal(k) {
			return at, i, 0
		}
		c.elem(1, &v)
	}
	return c, -1, i
}

// lpGet returns the value of the field k. Values it passes are skipped,
// not decoded: only their bases are tracked.
func lpGet(b []byte, k *lpKey) (lpElem, bool) {
	var fb, vb span
	for pos := 0; pos < len(b); {
		var f lpElem
		next := lpDecode(&f, b, pos, b[fb.off:fb.off+fb.n])
		if f.whole() {
			fb = span{next - len(f.str), len(f.str)}
		}
		pos = next
		if f.equal(k) {
			var v lpElem
			lpDecode(&v, b, pos, b[vb.off:vb.off+vb.n])
			return v, true
		}
		t := b[pos]
		next = lpSkip(b, pos)
		switch {
		case t < lpFront:
			vb = span{pos + 1, int(t)}
		case t == lpStrLong:
			n, w := binary.Uvarint(b[pos+1:])
			vb = span{pos + 1 + w, int(n)}
		}
		pos = next
	}
	return lpElem{}, false
}

// lpWriter appends elements to a blob, front-coding strings against the
// base of their role.
type lpWriter struct {
	out  []byte
	base [2]span
}

// add appends x as an element of role r.
func (w *lpWriter) add(r int, x []byte) {
	if n, ok := parseStrictInt(x); ok {
		w.addInt(n)
		return
	}
	w.addStr(r, x)
}

// addElem appends a decoded element of role r; buf is scratch for
// building a front-coded string, returned for reuse.
func (w *lpWriter) addElem(r int, el *lpElem, buf []byte) []byte {
	switch {
	case el.isInt:
		w.addInt(el.num)
	case el.pre == nil:
		w.addStr(r, el.str)
	default:
		buf = el.appendTo(buf[:0])
		w.addStr(r, buf)
	}
	return buf
}

// addInt appends the integer n.
func (w *lpWriter) addInt(n int64) {
	if n >= 0 && n < 64 {
		w.out = append(w.out, lpImm|byte(n))
		return
	}
	k := 1
	for k < 8 && (n < -1<<(8*k-1) || n >= 1<<(8*k-1)) {
		k++
	}
	w.out = append(w.out, lpInt+byte(k-1))
	for u := uint64(n); k > 0; k-- {
		w.out = append(w.out, byte(u))
		u >>= 8
	}
}

// addStr appends the string x (not a canonical integer) of role r, in the
// shortest of its forms: whole (it becomes the role's base) or front-coded
// against the base. x must not alias w.out.
func (w *lpWriter) addStr(r int, x []byte) {
	bs := w.base[r]
	base := w.out[bs.off : bs.off+bs.n]
	p := 0
	for p < len(x) && p < len(base) && x[p] == base[p] {
		p++
	}
	s := len(x) - p
	whole := 1 + len(x)
	if len(x) > 0x3f {
		whole = 1 + uvarintLen(len(x)) + len(x)
	}
	short, long := math.MaxInt, math.MaxInt
	if p >= 1 {
		long = 1 + uvarintLen(p) + uvarintLen(s) + s
		if p <= 8 && s <= 7 {
			short = 1 + s
		}
	}
	switch {
	case short < whole && short <= long:
		w.out = append(w.out, lpFront|byte(p-1)<<3|byte(s))
		w.out = append(w.out, x[p:]...)
	case long < whole:
		w.out = append(w.out, lpFrontLong)
		w.out = binary.AppendUvarint(w.out, uint64(p))
		w.out = binary.AppendUvarint(w.out, uint64(s))
		w.out = append(w.out, x[p:]...)
	default:
		if len(x) <= 0x3f {
			w.out = append(w.out, lpStr|byte(len(x)))
		} else {
			w.out = append(w.out, lpStrLong)
			w.out = binary.AppendUvarint(w.out, uint64(len(x)))
		}
		w.base[r] = span{len(w.out), len(x)}
		w.out = append(w.out, x...)
	}
}

func uvarintLen(n int) int {
	l := 1
	for ; n >= 0x80; n >>= 7 {
		l++
	}
	return l
}

// lpChange is what a rebuild does to the pairs it re-encodes: set gives
// fields new values (field, value, ...; the last pair for a field wins),
// del drops fields (counted in dropped).
type lpChange struct {
	set, del [][]byte
	dropped  int
	applied  int // pairs dropped or given a value
}

// apply returns whether to drop the pair of field f, or the value to give
// it (nil: keep its own).
func (ch *lpChange) apply(f []byte) (drop bool, val []byte) {
	for _, d := range ch.del {
		if string(d) == string(f) {
			ch.dropped++
			ch.applied++
			return true, nil
		}
	}
	val = lastValue(ch.set, f)
	if val != nil {
		ch.applied++
	}
	return false, val
}

// done reports whether the change touches no more pairs: it is about one
// field, which it met.
func (ch *lpChange) done() bool {
	return ch.applied > 0 && len(ch.set)+2*len(ch.del) == 2
}

// lastValue returns the value the last pair setting f gives it, or nil.
func lastValue(pairs [][]byte, f []byte) []byte {
	for j := len(pairs) - 2; j >= 0; j -= 2 {
		if string(pairs[j]) == string(f) {
			return pairs[j+1]
		}
	}
	return nil
}

// lpEdit rebuilds a blob in w: the pairs before cursor c are copied as
// they are, and the pairs from c on are re-encoded (their bases may
// change) as ch says, until the rest is known to encode the same.
func lpEdit(w *lpWriter, c lpCursor, ch *lpChange) {
	b := c.b
	w.out = append(w.out[:0], b[:c.pos]...)
	w.base = c.base
	var f, v lpElem
	var fb, vb [64]byte
	fbuf, vbuf := fb[:0], vb[:0]
	for c.next(&f, &v) {
		field := f.str
		if !f.whole() {
			fbuf = f.appendTo(fbuf[:0])
			field = fbuf
		}
		drop, nv := ch.apply(field)
		switch {
		case drop:
		case nv != nil:
			vbuf = w.addElem(0, &f, vbuf)
			w.add(1, nv)
		default:
			vbuf = w.addElem(0, &f, vbuf)
			vbuf = w.addElem(1, &v, vbuf)
		}
		if ch.done() && sameBases(w, &c) {
			// The rest would encode to the same bytes: copy it.
			w.out = append(w.out, b[c.pos:]...)
			return
		}
	}
}

// sameBases reports whether the bases in force in w and at c are the same
// strings, so that what follows c encodes the same in w.
func sameBases(w *lpWriter, c *lpCursor) bool {
	for r := range w.base {
		wb, cb := w.base[r], c.base[r]
		if string(w.out[wb.off:wb.off+wb.n]) != string(c.b[cb.off:cb.off+cb.n]) {
			return false
		}
	}
	return true
}

// ---- typed operations ----

// Errors of the hash commands beyond the common ones.
var (
	// ErrHashNotInteger: HINCRBY on a value that is not an integer.
	ErrHashNotInteger = errors.New("hash value is not an integer")
	// ErrHashNotFloat: HINCRBYFLOAT on a value that is not a float.
	ErrHashNotFloat = errors.New("hash value is not a float")
	// ErrIncrNaNOrInf: HINCRBYFLOAT by an infinite increment.
	ErrIncrNaNOrInf = errors.New("value is NaN or Infinity")
)

// lookupHash returns key's hash entry for a write, nil if absent.
func (tx *Tx) lookupHash(key []byte) (*Entry, error) {
	e := tx.Lookup(key)
	if e != nil && e.kind != KindHash {
		return nil, ErrWrongType
	}
	return e, nil
}

// hashLimits returns hash-max-listpack-entries and -value.
func (tx *Tx) hashLimits() (entries, value int) {
	l := &tx.st.limits
	return int(l.HashMaxListpackEntries.Load()), int(l.HashMaxListpackValue.Load())
}

// insertHash adds a new hash entry for key (absent) holding blob or, when
// ht is not nil, the table ht.
func (tx *Tx) insertHash(key, blob []byte, ht *hashTable) *Entry {
	s, h := tx.locate(tx.db, key)
	var e *Entry
	if ht != nil {
		e = newBlobEntry(h, key, 0)
		e.setObject(ht)
	} else {
		e = newBlobEntry(h, key, len(blob))
		copy(e.dataBytes()[e.klen:], blob)
		e.setObject(hashLP)
	}
	e.kind = KindHash
	e.access.Store(tx.lru)
	s.insertLocked(e, h)
	return e
}

// lpToTable builds the table of a compact blob.
func lpToTable(b []byte) *hashTable {
	ht := &hashTable{}
	c := lpCursor{b: b}
	var f, v lpElem
	var fb, vb [64]byte
	for c.next(&f, &v) {
		ht.set(f.bytes(fb[:0]), v.bytes(vb[:0]))
	}
	return ht
}

// hashConvert turns e's compact hash into a table, in a new entry.
func (tx *Tx) hashConvert(e *Entry) (*Entry, *hashTable) {
	ht := lpToTable(e.blob())
	s := tx.entryShard(tx.db, e)
	nw := newBlobEntry(0, e.Key(), 0)
	nw.setObject(ht)
	s.replaceLocked(e, nw)
	return nw, ht
}

// tableOf returns e's table, or nil for a compact hash.
func tableOf(e *Entry) *hashTable {
	ht, _ := e.object().(*hashTable)
	return ht
}

// tableSet applies pairs to e's table, keeping the accounting, and returns
// how many fields were new.
func (tx *Tx) tableSet(e *Entry, ht *hashTable, pairs [][]byte) int {
	before := e.size()
	added := 0
	for i := 0; i+1 < len(pairs); i += 2 {
		if ht.set(pairs[i], pairs[i+1]) {
			added++
		}
	}
	tx.Resized(e, before)
	return added
}

// HSet sets each field to its value (pairs is field, value, field, value,
// ...) in the hash at key, creating it, and returns how many fields were
// new. As in Redis, a field or value longer than hash-max-listpack-value
// converts a compact hash before anything is set, and going past
// hash-max-listpack-entries fields converts it. Errors: ErrWrongType.
func (tx *Tx) HSet(key []byte, pairs [][]byte) (int, error) {
	e, err := tx.lookupHash(key)
	if err != nil {
		return 0, err
	}
	maxEntries, maxValue := tx.hashLimits()
	long := false
	for _, a := range pairs {
		if len(a) > maxValue {
			long = true
			break
		}
	}
	var ht *hashTable
	if e != nil {
		ht = tableOf(e)
		if ht == nil && long {
			e, ht = tx.hashConvert(e)
		}
	} else if long {
		ht = &hashTable{}
		e = tx.insertHash(key, nil, ht)
	}
	if ht != nil {
		return tx.tableSet(e, ht, pairs), nil
	}
	var old []byte
	if e != nil {
		old = e.blob()
	}
	return tx.lpSet(key, e, old, pairs, maxEntries), nil
}

// lpSet is HSet on a compact hash (e nil when the key is new): it applies
// pairs in order, as Redis does one by one, with one rebuild.
func (tx *Tx) lpSet(key []byte, e *Entry, old []byte, pairs [][]byte, maxEntries int) int {
	// Which pairs add fields, in order, and the first existing pair they
	// change (the rebuild keeps the pairs before it).
	var newBuf [32]int32
	newer := newBuf[:0] // indexes into pairs of the fields they add
	first := -1         // the first existing pair changed
	var start lpCursor  // where the rebuild starts: that pair, or the end
	for i := 0; i < len(pairs); i += 2 {
		k := newLPKey(pairs[i])
		at, idx, count := lpFind(old, &k)
		if idx >= 0 {
			if first < 0 || idx < first {
				first, start = idx, at
			}
			continue
		}
		if first < 0 {
			start = at
		}
		dup := false
		for _, j := range newer {
			if string(pairs[j]) == string(pairs[i]) {
				dup = true
				break
			}
		}
		if dup {
			continue
		}
		newer = append(newer, int32(i))
		if count+len(newer) > maxEntries {
			// Redis converts as the hash grows past the limit and sets
			// the rest in the table: the result is the same.
			var ht *hashTable
			if e == nil {
				ht = &hashTable{}
				e = tx.insertHash(key, nil, ht)
			} else {
				e, ht = tx.hashConvert(e)
			}
			return tx.tableSet(e, ht, pairs)
		}
	}
	w := lpWriter{out: tx.scratch[:0]}
	lpEdit(&w, start, &lpChange{set: pairs})
	for _, i := range newer {
		w.add(0, pairs[i])
		w.add(1, lastValue(pairs, pairs[i]))
	}
	tx.keepScratch(w.out)
	if e == nil {
		tx.insertHash(key, w.out, nil)
	} else {
		tx.setBlob(e, w.out)
	}
	return len(newer)
}

// HSetNX sets field to value in the hash at key (creating it) only if the
// field is absent, and reports whether it did. Errors: ErrWrongType.
func (tx *Tx) HSetNX(key, field, value []byte) (bool, error) {
	e, err := tx.lookupHash(key)
	if err != nil {
		return false, err
	}
	if e != nil && hashExists(e, field) {
		return false, nil
	}
	tx.hashSetOne(key, field, value)
	return true, nil
}

// hashSetOne sets one field of a hash (HSETNX, HINCRBY, HINCRBYFLOAT): as
// Redis's hashTypeSet, a field or value too long for a compact hash
// converts it.
func (tx *Tx) hashSetOne(key, field, value []byte) {
	var pairs [2][]byte
	pairs[0], pairs[1] = field, value
	_, _ = tx.HSet(key, pairs[:])
}

// HDel removes fields from the hash at key, deleting the key when it
// becomes empty, and returns how many were removed. Errors: ErrWrongType.
func (tx *Tx) HDel(key []byte, fields [][]byte) (int, error) {
	e, err := tx.lookupHash(key)
	if e == nil || err != nil {
		return 0, err
	}
	deleted := 0
	if ht := tableOf(e); ht != nil {
		before := e.size()
		for _, f := range fields {
			if ht.del(f) {
				deleted++
			}
		}
		if ht.d.Len() == 0 {
			tx.Delete(key)
		} else {
			tx.Resized(e, before)
		}
		return deleted, nil
	}
	old := e.blob()
	first := -1
	var start lpCursor
	for _, f := range fields {
		k := newLPKey(f)
		if at, idx, _ := lpFind(old, &k); idx >= 0 && (first < 0 || idx < first) {
			first, start = idx, at
		}
	}
	if first < 0 {
		return 0, nil
	}
	w := lpWriter{out: tx.scratch[:0]}
	ch := lpChange{del: fields}
	lpEdit(&w, start, &ch)
	deleted = ch.dropped
	tx.keepScratch(w.out)
	if len(w.out) == 0 {
		tx.Delete(key)
	} else {
		tx.setBlob(e, w.out)
	}
	return deleted, nil
}

// HIncrBy adds delta to the integer value of field (0 when absent) in the
// hash at key, creating it, and returns the new value. Errors:
// ErrWrongType, ErrHashNotInteger, ErrOverflow.
func (tx *Tx) HIncrBy(key, field []byte, delta int64) (int64, error) {
	e, err := tx.lookupHash(key)
	if err != nil {
		return 0, err
	}
	var v int64
	if e != nil {
		var buf [64]byte
		if cur, ok := hashGet(e, field, buf[:0]); ok {
			if v, ok = parseStrictInt(cur); !ok {
				return 0, ErrHashNotInteger
			}
		}
	}
	if (delta < 0 && v < 0 && delta < math.MinInt64-v) || (delta > 0 && v > 0 && delta > math.MaxInt64-v) {
		return 0, ErrOverflow
	}
	v += delta
	var nb [20]byte
	tx.hashSetOne(key, field, strconv.AppendInt(nb[:0], v, 10))
	return v, nil
}

// HIncrByFloat adds incr to the value of field (0 when absent) in the hash
// at key with long double arithmetic, creating it, and returns the new
// value as stored (in the Tx's arena: valid until the next Begin). Errors:
// ErrNotFloat (incr), ErrIncrNaNOrInf (an infinite incr), ErrWrongType,
// ErrHashNotFloat, ErrNaNOrInf (the sum), in Redis's order.
func (tx *Tx) HIncrByFloat(key, field, incr []byte) ([]byte, error) {
	var cur, by big.Float
	cur.SetPrec(LongDoublePrec)
	if !ParseLongDouble(&by, incr) {
		return nil, ErrNotFloat
	}
	if by.IsInf() {
		return nil, ErrIncrNaNOrInf
	}
	e, err := tx.lookupHash(key)
	if err != nil {
		return nil, err
	}
	if e != nil {
		var buf [64]byte
		if v, ok := hashGet(e, field, buf[:0]); ok && !ParseLongDouble(&cur, v) {
			return nil, ErrHashNotFloat
		}
	}
	if !AddLongDouble(&cur, &cur, &by) {
		return nil, ErrNaNOrInf
	}
	var buf [64]byte
	v := tx.Bytes(AppendLongDouble(buf[:0], &cur))
	tx.hashSetOne(key, field, v)
	return v, nil
}

// ---- reads ----

// HashLen returns the number of fields of a hash entry.
func HashLen(e *Entry) int {
	if ht := tableOf(e); ht != nil {
		return ht.d.Len()
	}
	return lpCount(e.blob())
}

// hashGet returns field's value: the stored bytes, or built in buf.
func hashGet(e *Entry, field, buf []byte) ([]byte, bool) {
	if ht := tableOf(e); ht != nil {
		v, ok := ht.d.Get(field)
		return unsafe.Slice(unsafe.StringData(v), len(v)), ok
	}
	k := newLPKey(field)
	v, ok := lpGet(e.blob(), &k)
	if !ok {
		return nil, false
	}
	return v.bytes(buf), true
}

// HashGet returns the value of field in a hash entry, and whether it is
// there. The value aliases the entry (read-only, valid while the lock is
// held) or is built in buf.
func HashGet(e *Entry, field, buf []byte) ([]byte, bool) { return hashGet(e, field, buf) }

// hashExists reports whether field is in a hash entry.
func hashExists(e *Entry, field []byte) bool {
	if ht := tableOf(e); ht != nil {
		return ht.d.Ptr(field) != nil
	}
	k := newLPKey(field)
	_, ok := lpGet(e.blob(), &k)
	return ok
}

// HashExists reports whether field is in a hash entry.
func HashExists(e *Entry, field []byte) bool { return hashExists(e, field) }

// HashStrlen returns the length of field's value in a hash entry (0 when
// absent).
func HashStrlen(e *Entry, field []byte) int {
	if ht := tableOf(e); ht != nil {
		v, _ := ht.d.Get(field)
		return len(v)
	}
	k := newLPKey(field)
	v, ok := lpGet(e.blob(), &k)
	if !ok {
		return 0
	}
	return v.length()
}

// HashIter walks the fields and values of a hash entry: in insertion order
// for a compact hash, in table order for a table. Use it by value:
//
//	var it store.HashIter
//	for it.Init(e); it.Next(); { it.Field(), it.Value() }
//
// Field and Value alias the entry or the iterator (read-only, valid until
// the next call of Next). The hash must not change during the walk.
type HashIter struct {
	lp     lpCursor
	f, v   lpElem
	ht     *hashTable
	bucket int
	de     *dictEntry[string]
	fb, vb [32]byte
	fx, vx []byte // for long front-coded elements
}

// Init starts a walk over e's hash.
func (it *HashIter) Init(e *Entry) {
	*it = HashIter{}
	if ht := tableOf(e); ht != nil {
		it.ht = ht
		it.bucket = -1
		return
	}
	it.lp.b = e.blob()
}

// Next moves to the next pair; false at the end.
func (it *HashIter) Next() bool {
	if it.ht == nil {
		return it.lp.next(&it.f, &it.v)
	}
	if it.de != nil {
		it.de = it.de.next
	}
	for it.de == nil {
		it.bucket++
		if it.bucket >= len(it.ht.d.buckets) {
			return false
		}
		it.de = it.ht.d.buckets[it.bucket]
	}
	return true
}

// Field returns the current field.
func (it *HashIter) Field() []byte {
	if it.ht != nil {
		return unsafe.Slice(unsafe.StringData(it.de.key), len(it.de.key))
	}
	return it.f.view(it.fb[:], &it.fx)
}

// Value returns the current value.
func (it *HashIter) Value() []byte {
	if it.ht != nil {
		return unsafe.Slice(unsafe.StringData(it.de.val), len(it.de.val))
	}
	return it.v.view(it.vb[:], &it.vx)
}

// view returns the element's bytes: the stored string when it is stored
// whole, else built in small when it fits, else in *big.
func (el *lpElem) view(small []byte, big *[]byte) []byte {
	switch {
	case el.whole():
		return el.str
	case el.length() <= len(small):
		return el.appendTo(small[:0])
	}
	*big = el.appendTo((*big)[:0])
	return *big
}

// HashScan continues an HSCAN of a table-encoded hash from cursor: fn gets
// the pairs of one bucket step; it returns the next cursor (0 when done).
// It reports ok false for a compact hash, which HSCAN returns whole.
func HashScan(e *Entry, cursor uint64, fn func(f, v []byte)) (next uint64, ok bool) {
	ht := tableOf(e)
	if ht == nil {
		return 0, false
	}
	return ht.d.Scan(cursor, func(k, v string) {
		fn(unsafe.Slice(unsafe.StringData(k), len(k)), unsafe.Slice(unsafe.StringData(v), len(v)))
	}), true
}

// hashRand is a concurrency-safe source for random fields (set.go's
// runtimeSource holds no state).
var hashRand = rand.New(runtimeSource{})

// HashRandom calls fn with random pairs of a non-empty hash entry
// (HRANDFIELD): count of them chosen independently (repeats possible) when
// distinct is false, else min(count, HLEN) distinct ones (all of them, in
// iteration order, when count ≥ HLEN). fn's arguments are valid during the
// call.
func HashRandom(e *Entry, count int64, distinct bool, fn func(f, v []byte)) {
	size := int64(HashLen(e))
	var it HashIter
	if distinct && count >= size {
		for it.Init(e); it.Next(); {
			fn(it.Field(), it.Value())
		}
		return
	}
	ht := tableOf(e)
	switch {
	case !distinct && ht != nil:
		for ; count > 0; count-- {
			k, v, _ := ht.d.Random(hashRand)
			fn(unsafe.Slice(unsafe.StringData(k), len(k)), unsafe.Slice(unsafe.StringData(v), len(v)))
		}
	case !distinct:
		// Index the pairs once, then pick: O(size + count).
		var posBuf [64]lpCursor
		pos := posBuf[:0]
		c := lpCursor{b: e.blob()}
		for c.pos < len(c.b) {
			pos = append(pos, c)
			c.skipPair()
		}
		for ; count > 0; count-- {
			it = HashIter{lp: pos[rand.IntN(len(pos))]}
			it.Next()
			fn(it.Field(), it.Value())
		}
	case ht != nil && count*3 <= size:
		// Few of many: random picks, skipping repeats.
		seen := make(map[string]struct{}, count)
		for int64(len(seen)) < count {
			k, v, _ := ht.d.Random(hashRand)
			if _, dup := seen[k]; dup {
				continue
			}
			seen[k] = struct{}{}
			fn(unsafe.Slice(unsafe.StringData(k), len(k)), unsafe.Slice(unsafe.StringData(v), len(v)))
		}
	default:
		// Selection sampling: each pair is chosen with probability
		// (still needed)/(still unseen), which yields exactly count.
		left := size
		for it.Init(e); count > 0 && it.Next(); left-- {
			if rand.Int64N(left) < count {
				fn(it.Field(), it.Value())
				count--
			}
		}
	}
}
