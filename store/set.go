package store

import (
	"encoding/binary"
	"math"
	"math/bits"
	"math/rand/v2"
	"slices"
	"strconv"
	"unsafe"
)

// Sets (Redis's t_set.c and intset.c).
//
// A set has one of two encodings, as in Redis 7.0:
//
//   - intset, while every member is a canonical 64-bit integer (the form
//     Redis's string2ll accepts: no '+', no leading zeros, no "-0") and
//     there are at most set-max-intset-entries of them. The members are
//     kept sorted ascending in one byte blob: a width byte (2, 4 or 8)
//     followed by the integers, little-endian, each in that many bytes.
//     The width is the smallest that holds every member; adding a member
//     that needs a wider one rewrites the blob at the new width ("upgrade"),
//     and removing members never narrows it, exactly as Redis's intset.
//     A stored intset lives in the entry's own data array after the key
//     (where a string keeps its value), so a small set of integers costs
//     one allocation, key and members together; the entry's object then
//     is the shared intsetObj marker, which only names the encoding.
//   - hashtable (setHT: a Dict with no values), once a member is not an
//     integer or the intset grows past set-max-intset-entries. A set never
//     converts back, except that SPOP rebuilding the remainder of a set (as
//     Redis does when it pops most of it) starts the new set as an intset.
//
// Redis 7.2 added a third encoding, listpack, for small sets of strings
// (set-max-listpack-entries, set-max-listpack-value); ember answers OBJECT
// ENCODING as the 7.0 reference server does, so such sets are hashtables
// here. The two limits are accepted by CONFIG and have no effect on sets.
//
// Iteration order is part of the observable behaviour: an intset iterates
// (SMEMBERS, SINTER, SSCAN...) in ascending order, as Redis; a hashtable in
// its bucket order, which is unspecified in Redis as here.
//
// A Set value is either detached (a result being built by SINTERSTORE,
// SUNION, SDIFF... before it is stored or replied) or a view of a stored
// set's entry; Entry's Set* methods work on stored sets. Methods that
// change a stored set REQUIRE the write lock of its shard, and the caller
// re-accounts memory with Tx.Resized (Size before, Resized after).

// intsetObj is the entry object of every intset-encoded set: the members
// live in the entry's data array.
var intsetObj = &intsetMark{}

// intsetMark names the intset encoding; it holds no data.
type intsetMark struct{ _ byte }

// Encoding returns "intset" (OBJECT ENCODING).
func (*intsetMark) Encoding() string { return "intset" }

// Clone returns the marker itself: the members are copied with the
// entry's data.
func (m *intsetMark) Clone() any { return m }

// MemoryUsage is 0: the members are accounted with the entry's data.
func (*intsetMark) MemoryUsage() int64 { return 0 }

// setHT is the hashtable encoding of a set.
type setHT struct {
	d   Dict[struct{}]
	mem int64 // bytes held by the elements: entries and member strings
}

// setHTBase is the accounted size of a setHT header (its size class).
const setHTBase = 48

// setMemberOverhead is a Dict[struct{}] element without its string bytes.
const setMemberOverhead = 32

// memberCost is the accounted size of one member of length n: its dict
// entry and its string (Go's tiny allocator packs strings under 16 bytes
// with 8-byte alignment).
func memberCost(n int) int64 {
	switch {
	case n == 0:
		return setMemberOverhead
	case n < 16:
		return setMemberOverhead + int64((n+7)&^7)
	}
	return setMemberOverhead + int64(roundAlloc(n))
}

// Encoding returns "hashtable" (OBJECT ENCODING).
func (s *setHT) Encoding() string { return "hashtable" }

// MemoryUsage returns the bytes the hashtable holds, in O(1).
func (s *setHT) MemoryUsage() int64 {
	return setHTBase + int64(8*len(s.d.buckets)) + s.mem
}

// Clone returns a deep copy with the same buckets and order. Member
// strings are immutable, so the copy shares them.
func (s *setHT) Clone() any {
	n := &setHT{mem: s.mem}
	n.d.count = s.d.count
	n.d.buckets = make([]*dictEntry[struct{}], len(s.d.buckets))
	for i, e := range s.d.buckets {
		tail := &n.d.buckets[i]
		for ; e != nil; e = e.next {
			ne := &dictEntry[struct{}]{hash: e.hash, key: e.key}
			*tail = ne
			tail = &ne.next
		}
	}
	return n
}

// keys returns the members (sharing their immutable strings).
func (s *setHT) keys() []string {
	keys := make([]string, 0, s.d.count)
	s.d.Each(func(k string, _ struct{}) bool {
		keys = append(keys, k)
		return true
	})
	return keys
}

func (s *setHT) add(m []byte) bool {
	if s.d.Set(m, struct{}{}) {
		s.mem += memberCost(len(m))
		return true
	}
	return false
}

func (s *setHT) remove(m []byte) bool {
	if s.d.Delete(m) {
		s.mem -= memberCost(len(m))
		return true
	}
	return false
}

// Intset blobs: b[0] is the width, then len(b)-1 / width integers.

func intsetWidthFor(v int64) int {
	switch {
	case v >= math.MinInt16 && v <= math.MaxInt16:
		return 2
	case v >= math.MinInt32 && v <= math.MaxInt32:
		return 4
	}
	return 8
}

func intsetGet(b []byte, w, i int) int64 {
	p := 1 + i*w
	switch w {
	case 2:
		return int64(int16(binary.LittleEndian.Uint16(b[p:])))
	case 4:
		return int64(int32(binary.LittleEndian.Uint32(b[p:])))
	}
	return int64(binary.LittleEndian.Uint64(b[p:]))
}

func intsetPut(b []byte, w, i int, v int64) {
	p := 1 + i*w
	switch w {
	case 2:
		binary.LittleEndian.PutUint16(b[p:], uint16(v))
	case 4:
		binary.LittleEndian.PutUint32(b[p:], uint32(v))
	default:
		binary.LittleEndian.PutUint64(b[p:], uint64(v))
	}
}

// intsetSearch returns v's position in b, or where it would be inserted.
func intsetSearch(b []byte, v int64) (int, bool) {
	w := int(b[0])
	lo, hi := 0, (len(b)-1)/w
	if hi > 0 {
		// Appending and prepending are common (sequential ids): check the
		// ends first, as Redis does.
		if last := intsetGet(b, w, hi-1); v > last {
			return hi, false
		} else if v == last {
			return hi - 1, true
		}
		if v < intsetGet(b, w, 0) {
			return 0, false
		}
	}
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		switch x := intsetGet(b, w, mid); {
		case x < v:
			lo = mid + 1
		case x > v:
			hi = mid
		default:
			return mid, true
		}
	}
	return lo, false
}

// Set is a set value: detached (built by a command before being stored or
// replied), or a view of a stored set (see Entry.SetAdd and friends).
type Set struct {
	data    []byte // intset encoding: data[off:] is the blob
	off     int    // the entry's key length for a view, 0 when detached
	ht      *setHT // hashtable encoding when non-nil
	maxInts int    // set-max-intset-entries
}

// emptyIntset is the blob of every new detached set: a 16-bit intset with
// no members. Its capacity is full, so the first addition copies it and it
// is never written.
var emptyIntset = []byte{2}

// NewSet returns an empty detached set, intset-encoded like Redis's
// createIntsetObject, that converts by the store's current limits.
func (tx *Tx) NewSet() Set {
	return Set{data: emptyIntset[:1:1], maxInts: int(tx.st.limits.SetMaxIntsetEntries.Load())}
}

// Len returns the number of members.
func (s *Set) Len() int {
	if s.ht != nil {
		return s.ht.d.count
	}
	return (len(s.data) - s.off - 1) / int(s.data[s.off])
}

// IsIntset reports whether the set is intset-encoded.
func (s *Set) IsIntset() bool { return s.ht == nil }

// Has reports whether m is a member.
func (s *Set) Has(m []byte) bool {
	if s.ht != nil {
		return s.ht.d.find(dictHash(m), m) != nil
	}
	v, ok := parseStrictInt(m)
	if !ok {
		return false
	}
	_, found := intsetSearch(s.data[s.off:], v)
	return found
}

// Add adds m (copied) and reports whether it was new, converting the set
// to a hashtable when m is not an integer or the intset grows too big.
func (s *Set) Add(m []byte) bool {
	if s.ht == nil {
		v, ok := parseStrictInt(m)
		if ok {
			if !s.intsetAdd(v) {
				return false
			}
			if s.Len() > s.maxInts {
				s.convert()
			}
			return true
		}
		s.convert()
	}
	return s.ht.add(m)
}

// Remove removes m and reports whether it was a member.
func (s *Set) Remove(m []byte) bool {
	if s.ht != nil {
		return s.ht.remove(m)
	}
	v, ok := parseStrictInt(m)
	if !ok {
		return false
	}
	b := s.data[s.off:]
	i, found := intsetSearch(b, v)
	if !found {
		return false
	}
	w := int(b[0])
	p := s.off + 1 + i*w
	copy(s.data[p:], s.data[p+w:])
	s.data = s.data[:len(s.data)-w]
	return true
}

// Iter returns an iterator over the members.
func (s *Set) Iter() SetIter {
	if s.ht != nil {
		return SetIter{buckets: s.ht.d.buckets}
	}
	b := s.data[s.off:]
	return SetIter{blob: b, w: int(b[0]), n: (len(b) - 1) / int(b[0])}
}

// grow extends the data by n bytes, reallocating to the next size class
// when the array is full (the key prefix of a view moves along).
func (s *Set) grow(n int) {
	l := len(s.data)
	if l+n <= cap(s.data) {
		s.data = s.data[:l+n]
		return
	}
	nd := slices.Grow([]byte(nil), l+n)[:l+n]
	copy(nd, s.data)
	s.data = nd
}

func (s *Set) intsetAdd(v int64) bool {
	b := s.data[s.off:]
	w := int(b[0])
	if nw := intsetWidthFor(v); nw > w {
		s.intsetUpgrade(v, nw)
		return true
	}
	i, found := intsetSearch(b, v)
	if found {
		return false
	}
	s.grow(w)
	p := s.off + 1 + i*w
	copy(s.data[p+w:], s.data[p:len(s.data)-w])
	intsetPut(s.data[s.off:], w, i, v)
	return true
}

// intsetUpgrade rewrites the blob at width nw and adds v, which needs
// that width: it is below every member or above every member.
func (s *Set) intsetUpgrade(v int64, nw int) {
	b := s.data[s.off:]
	w := int(b[0])
	n := (len(b) - 1) / w
	nd := slices.Grow([]byte(nil), s.off+1+(n+1)*nw)[:s.off+1+(n+1)*nw]
	copy(nd, s.data[:s.off])
	nb := nd[s.off:]
	nb[0] = byte(nw)
	first := 0
	if v < 0 {
		first = 1
		intsetPut(nb, nw, 0, v)
	} else {
		intsetPut(nb, nw, n, v)
	}
	for i := 0; i < n; i++ {
		intsetPut(nb, nw, i+first, intsetGet(b, w, i))
	}
	s.data = nd
}

// convert turns an intset into a hashtable presized for its members.
func (s *Set) convert() {
	b := s.data[s.off:]
	w := int(b[0])
	n := (len(b) - 1) / w
	ht := &setHT{}
	if n > 4 {
		ht.d.resize(1 << bits.Len(uint(n-1)))
	}
	var buf [20]byte
	for i := 0; i < n; i++ {
		ht.add(strconv.AppendInt(buf[:0], intsetGet(b, w, i), 10))
	}
	s.ht = ht
	s.data = s.data[:s.off]
}

// random returns a random member; an integer is formatted into buf.
func (s *Set) random(buf []byte) []byte {
	if s.ht != nil {
		k, _, _ := s.ht.d.Random(setRand)
		return unsafe.Slice(unsafe.StringData(k), len(k))
	}
	b := s.data[s.off:]
	w := int(b[0])
	return strconv.AppendInt(buf[:0], intsetGet(b, w, rand.IntN((len(b)-1)/w)), 10)
}

// SetIter iterates a set's members: ascending for an intset, bucket order
// for a hashtable. The set must not change during the iteration.
type SetIter struct {
	blob    []byte
	w, i, n int
	buckets []*dictEntry[struct{}]
	b       int
	de      *dictEntry[struct{}]
	buf     [20]byte
}

// Next returns the next member, or ok false at the end. The bytes are
// valid until the next call (an integer is formatted into the iterator)
// and must not be modified.
func (it *SetIter) Next() (m []byte, ok bool) {
	if it.blob != nil {
		if it.i >= it.n {
			return nil, false
		}
		v := intsetGet(it.blob, it.w, it.i)
		it.i++
		return strconv.AppendInt(it.buf[:0], v, 10), true
	}
	for it.de == nil {
		if it.b >= len(it.buckets) {
			return nil, false
		}
		it.de = it.buckets[it.b]
		it.b++
	}
	k := it.de.key
	it.de = it.de.next
	return unsafe.Slice(unsafe.StringData(k), len(k)), true
}

// setRand samples random members from the runtime's per-thread generator
// (safe for concurrent use: the Rand holds no state of its own).
var setRand = rand.New(runtimeSource{})

type runtimeSource struct{}

// Uint64 draws from the runtime's per-thread generator (no shared state).
func (runtimeSource) Uint64() uint64 { return rand.Uint64() }

// Stored sets.

// set returns a view of e's set.
func (e *Entry) set() Set {
	if ht, ok := e.object().(*setHT); ok {
		return Set{ht: ht}
	}
	return Set{data: e.dataBytes(), off: int(e.klen)}
}

// syncSet stores a changed view back into e.
func (e *Entry) syncSet(s *Set) {
	if s.ht != nil {
		if e.object() != s.ht { // converted from an intset: drop the integers
			e.setObject(s.ht)
			e.setData(e.Key(), nil)
		}
		return
	}
	e.setBytes(s.data)
	if d := e.dataBytes(); cap(d) > 2*len(d)+64 && e.inlineCap() == 0 {
		// Mostly empty after removals: give the memory back.
		e.setBytes(append([]byte(nil), d...))
	}
}

// SetLen returns the number of members of the set held by e.
func (e *Entry) SetLen() int {
	s := e.set()
	return s.Len()
}

// SetIsIntset reports whether e's set is intset-encoded.
func (e *Entry) SetIsIntset() bool { return e.tag == objIntset }

// SetHas reports whether m is a member of e's set.
func (e *Entry) SetHas(m []byte) bool {
	s := e.set()
	return s.Has(m)
}

// SetIter returns an iterator over e's set.
func (e *Entry) SetIter() SetIter {
	s := e.set()
	return s.Iter()
}

// SetRandom returns a random member of e's (non-empty) set: an integer is
// formatted into buf, a string aliases the set (valid while the lock is
// held, and until the member is removed).
func (e *Entry) SetRandom(buf []byte) []byte {
	s := e.set()
	return s.random(buf)
}

// SetAdd adds members to e's set and returns how many were new.
// REQUIRES: the write lock; account with Tx.Resized.
func (e *Entry) SetAdd(lim *Limits, members ...[]byte) int {
	s := e.set()
	s.maxInts = int(lim.SetMaxIntsetEntries.Load())
	n := 0
	for _, m := range members {
		if s.Add(m) {
			n++
		}
	}
	e.syncSet(&s)
	return n
}

// SetRemove removes members from e's set and returns how many were
// members. The caller deletes the key when the set is left empty.
// REQUIRES: the write lock; account with Tx.Resized.
func (e *Entry) SetRemove(members ...[]byte) int {
	s := e.set()
	n := 0
	for _, m := range members {
		if s.Remove(m) {
			n++
		}
	}
	e.syncSet(&s)
	return n
}

// SetScan continues an SSCAN of a hashtable-encoded set from cursor,
// calling fn for the members of one bucket, and returns the next cursor
// (0 when done). An intset has no cursor: iterate it whole.
// The member bytes must not be modified.
func (e *Entry) SetScan(cursor uint64, fn func(m []byte)) uint64 {
	ht, ok := e.object().(*setHT)
	if !ok {
		return 0
	}
	return ht.d.Scan(cursor, func(k string, _ struct{}) {
		fn(unsafe.Slice(unsafe.StringData(k), len(k)))
	})
}

// SetSample calls fn with count distinct random members of e's set,
// 0 < count < SetLen, in random order (SRANDMEMBER with a positive count).
// Like Redis, it picks the members to keep when count is close to the
// size, and samples with a set of those already seen otherwise.
func (e *Entry) SetSample(count int, fn func(m []byte)) {
	s := e.set()
	n := s.Len()
	var buf [20]byte
	if count*3 > n {
		// A partial Fisher-Yates shuffle of the positions.
		if s.ht != nil {
			keys := s.ht.keys()
			for i := 0; i < count; i++ {
				j := i + rand.IntN(n-i)
				keys[i], keys[j] = keys[j], keys[i]
				fn(unsafe.Slice(unsafe.StringData(keys[i]), len(keys[i])))
			}
			return
		}
		b := s.data[s.off:]
		w := int(b[0])
		pos := make([]int32, n)
		for i := range pos {
			pos[i] = int32(i)
		}
		for i := 0; i < count; i++ {
			j := i + rand.IntN(n-i)
			pos[i], pos[j] = pos[j], pos[i]
			fn(strconv.AppendInt(buf[:0], intsetGet(b, w, int(pos[i])), 10))
		}
		return
	}
	seen := make(map[string]struct{}, count)
	for len(seen) < count {
		m := s.random(buf[:0])
		if _, dup := seen[string(m)]; dup {
			continue
		}
		seen[string(m)] = struct{}{}
		fn(m)
	}
}

// SetSnapshot is a copy of a set's members that stays valid after the
// lock is released (SRANDMEMBER with a huge negative count streams random
// members from it without holding the lock).
type SetSnapshot struct {
	blob []byte
	keys []string
}

// SetSnapshot copies e's members: the blob of an intset, or the member
// strings of a hashtable (shared: strings are immutable).
func (e *Entry) SetSnapshot() SetSnapshot {
	s := e.set()
	if s.ht == nil {
		return SetSnapshot{blob: slices.Clone(s.data[s.off:])}
	}
	return SetSnapshot{keys: s.ht.keys()}
}

// Random returns a random member of the snapshot (an integer formatted
// into buf). The snapshot must not be empty.
func (sn *SetSnapshot) Random(buf []byte) []byte {
	if sn.blob == nil {
		k := sn.keys[rand.IntN(len(sn.keys))]
		return unsafe.Slice(unsafe.StringData(k), len(k))
	}
	w := int(sn.blob[0])
	return strconv.AppendInt(buf[:0], intsetGet(sn.blob, w, rand.IntN((len(sn.blob)-1)/w)), 10)
}

// PutSet stores the detached set s under key in the Tx's database with
// absolute expiry at (0 for none), replacing what was there, and returns
// the entry. s must not be empty, and must not be used afterwards.
func (tx *Tx) PutSet(key []byte, s *Set, at int64) *Entry {
	if s.ht != nil {
		return tx.PutIn(tx.db, key, KindSet, nil, s.ht, at)
	}
	return tx.PutIn(tx.db, key, KindSet, s.data[s.off:], intsetObj, at)
}

// ReplaceSet makes the detached set s the value of the set entry e in the
// Tx's database, keeping e's TTL (SPOP rebuilding what it leaves). s must
// not be empty, and must not be used afterwards.
func (tx *Tx) ReplaceSet(e *Entry, s *Set) {
	before := e.size()
	if s.ht != nil {
		e.setObject(s.ht)
		e.setData(e.Key(), nil)
	} else {
		e.setObject(intsetObj)
		e.setData(e.Key(), s.data[s.off:])
	}
	tx.Resized(e, before)
}
