package store

import (
	"hash/maphash"
	"math/bits"
	"math/rand/v2"
)

// A table is one shard's hash table: a power-of-two array of buckets, each a
// singly linked chain of entries, resized in one step under the shard's
// write lock (shards are small, so a resize is short and needs none of
// Redis's incremental rehashing).
//
// We own the table instead of using a Go map for two reasons. SCAN must
// return every key present for the whole iteration even while the table
// grows or shrinks between calls; Redis gets that from a reverse-binary
// cursor over power-of-two bucket arrays, and the same cursor works here
// (Pieter Noordhuis's argument: incrementing the reversed bits visits a
// bucket's "descendants" in a bigger table and its "ancestor" in a smaller
// one, so nothing is skipped, at the cost of possible repeats on shrink).
// And eviction and RANDOMKEY need a cheap random sample, which a Go map
// cannot give.
type table struct {
	buckets []*Entry
	count   int
	// seed is the store's hash seed: entries do not keep their hash, so
	// removal and resizing recompute it from the key.
	seed *maphash.Seed
}

// hashOf returns key's hash (Store.hash).
func (t *table) hashOf(key []byte) uint64 { return maphash.Bytes(*t.seed, key) }

// minBuckets is the size a table starts at on its first insert.
const minBuckets = 8

// lookup returns the entry for key with hash h, or nil.
func (t *table) lookup(h uint64, key []byte) *Entry {
	if len(t.buckets) == 0 {
		return nil
	}
	for e := t.buckets[h&uint64(len(t.buckets)-1)]; e != nil; e = e.next {
		if e.klen == uint32(len(key)) && string(e.dataBytes()[:e.klen]) == string(key) {
			return e
		}
	}
	return nil
}

// insert links e, which must not be present and whose key hashes to h, into
// the table.
func (t *table) insert(e *Entry, h uint64) {
	if t.count >= len(t.buckets) {
		n := len(t.buckets) * 2
		if n < minBuckets {
			n = minBuckets
		}
		t.resize(n)
	}
	i := h & uint64(len(t.buckets)-1)
	e.next = t.buckets[i]
	t.buckets[i] = e
	t.count++
}

// replace swaps old for new in old's chain position; both have the same key.
func (t *table) replace(old, new *Entry) {
	i := t.hashOf(old.Key()) & uint64(len(t.buckets)-1)
	p := &t.buckets[i]
	for *p != old {
		p = &(*p).next
	}
	new.next = old.next
	*p = new
	old.next = nil
}

// remove unlinks e, which must be present, and shrinks a sparse table.
func (t *table) remove(e *Entry) {
	i := t.hashOf(e.Key()) & uint64(len(t.buckets)-1)
	p := &t.buckets[i]
	for *p != e {
		p = &(*p).next
	}
	*p = e.next
	e.next = nil
	t.count--
	if len(t.buckets) > minBuckets && t.count < len(t.buckets)/8 {
		n := minBuckets
		for n < t.count*2 {
			n *= 2
		}
		t.resize(n)
	}
}

// resize rehashes every entry into n buckets (n a power of two).
func (t *table) resize(n int) {
	nb := make([]*Entry, n)
	mask := uint64(n - 1)
	for _, e := range t.buckets {
		for e != nil {
			next := e.next
			i := t.hashOf(e.Key()) & mask
			e.next = nb[i]
			nb[i] = e
			e = next
		}
	}
	t.buckets = nb
}

// scan calls fn for every entry in the bucket(s) cursor v designates and
// returns the next cursor; 0 means the iteration is complete.
func (t *table) scan(v uint64, fn func(*Entry)) uint64 {
	if len(t.buckets) == 0 {
		return 0
	}
	m := uint64(len(t.buckets) - 1)
	for e := t.buckets[v&m]; e != nil; e = e.next {
		fn(e)
	}
	// Increment the reversed cursor over the bits of the mask.
	v |= ^m
	v = bits.Reverse64(v)
	v++
	return bits.Reverse64(v)
}

// random returns a uniformly chosen bucket's random entry, or nil if empty.
func (t *table) random(r *rand.Rand) *Entry {
	if t.count == 0 {
		return nil
	}
	m := uint64(len(t.buckets) - 1)
	start := r.Uint64() & m
	for i := uint64(0); i <= m; i++ {
		b := t.buckets[(start+i)&m]
		if b == nil {
			continue
		}
		n := 0
		for e := b; e != nil; e = e.next {
			n++
		}
		k := r.IntN(n)
		for e := b; ; e = e.next {
			if k == 0 {
				return e
			}
			k--
		}
	}
	return nil
}

// each calls fn for every entry; fn must not modify the table.
func (t *table) each(fn func(*Entry) bool) {
	for _, e := range t.buckets {
		for ; e != nil; e = e.next {
			if !fn(e) {
				return
			}
		}
	}
}
