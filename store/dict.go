package store

import (
	"hash/maphash"
	"math/bits"
	"math/rand/v2"
)

// Dict is the "hashtable" encoding of big collections (hash fields, set
// members, sorted set members): a chained hash table from string keys to V
// with the same reverse-binary SCAN cursor as the keyspace's tables, so
// HSCAN/SSCAN/ZSCAN keep Redis's guarantee (every element present for the
// whole iteration is returned, whatever resizing happens between calls),
// which a Go map cannot give. It also samples random elements cheaply
// (HRANDFIELD, SRANDMEMBER, SPOP).
//
// Resizing rehashes in one step; Redis rehashes incrementally, which only
// matters for collections of millions of elements.
type Dict[V any] struct {
	buckets []*dictEntry[V]
	count   int
}

type dictEntry[V any] struct {
	next *dictEntry[V]
	hash uint64
	key  string
	val  V
}

// dictSeed is the hash seed of every Dict (per process).
var dictSeed = maphash.MakeSeed()

func dictHash(key []byte) uint64 { return maphash.Bytes(dictSeed, key) }

// dictEntryOverhead is the accounted size of one element's entry and bucket
// slot, beyond its key bytes and value.
const dictEntryOverhead = 48 + 8

// Len returns the number of elements.
func (d *Dict[V]) Len() int { return d.count }

func (d *Dict[V]) find(h uint64, key []byte) *dictEntry[V] {
	if len(d.buckets) == 0 {
		return nil
	}
	for e := d.buckets[h&uint64(len(d.buckets)-1)]; e != nil; e = e.next {
		if e.hash == h && e.key == string(key) {
			return e
		}
	}
	return nil
}

// Get returns key's value.
func (d *Dict[V]) Get(key []byte) (V, bool) {
	if e := d.find(dictHash(key), key); e != nil {
		return e.val, true
	}
	var zero V
	return zero, false
}

// Ptr returns a pointer to key's value (valid until the next change of the
// Dict), or nil.
func (d *Dict[V]) Ptr(key []byte) *V {
	if e := d.find(dictHash(key), key); e != nil {
		return &e.val
	}
	return nil
}

// Set stores v under key (copied) and reports whether key was new.
func (d *Dict[V]) Set(key []byte, v V) bool {
	h := dictHash(key)
	if e := d.find(h, key); e != nil {
		e.val = v
		return false
	}
	if d.count >= len(d.buckets) {
		n := max(len(d.buckets)*2, 4)
		d.resize(n)
	}
	i := h & uint64(len(d.buckets)-1)
	d.buckets[i] = &dictEntry[V]{next: d.buckets[i], hash: h, key: string(key), val: v}
	d.count++
	return true
}

// Delete removes key and reports whether it was present.
func (d *Dict[V]) Delete(key []byte) bool {
	if len(d.buckets) == 0 {
		return false
	}
	h := dictHash(key)
	p := &d.buckets[h&uint64(len(d.buckets)-1)]
	for *p != nil {
		e := *p
		if e.hash == h && e.key == string(key) {
			*p = e.next
			d.count--
			if len(d.buckets) > 4 && d.count < len(d.buckets)/8 {
				n := 4
				for n < d.count*2 {
					n *= 2
				}
				d.resize(n)
			}
			return true
		}
		p = &e.next
	}
	return false
}

func (d *Dict[V]) resize(n int) {
	nb := make([]*dictEntry[V], n)
	mask := uint64(n - 1)
	for _, e := range d.buckets {
		for e != nil {
			next := e.next
			i := e.hash & mask
			e.next = nb[i]
			nb[i] = e
			e = next
		}
	}
	d.buckets = nb
}

// Scan calls fn for the elements of the bucket(s) at cursor and returns the
// next cursor (0 when done), like the keyspace's SCAN.
func (d *Dict[V]) Scan(v uint64, fn func(key string, val V)) uint64 {
	if len(d.buckets) == 0 {
		return 0
	}
	m := uint64(len(d.buckets) - 1)
	for e := d.buckets[v&m]; e != nil; e = e.next {
		fn(e.key, e.val)
	}
	v |= ^m
	v = bits.Reverse64(v)
	v++
	return bits.Reverse64(v)
}

// Each calls fn for every element until it returns false; fn must not
// change the Dict.
func (d *Dict[V]) Each(fn func(key string, val V) bool) {
	for _, e := range d.buckets {
		for ; e != nil; e = e.next {
			if !fn(e.key, e.val) {
				return
			}
		}
	}
}

// Random returns a random element (ok false when empty). Like Redis's
// dictGetFairRandomKey, it picks a random non-empty bucket, then a random
// element of its chain.
func (d *Dict[V]) Random(r *rand.Rand) (key string, val V, ok bool) {
	if d.count == 0 {
		return "", val, false
	}
	m := uint64(len(d.buckets) - 1)
	for {
		b := d.buckets[r.Uint64()&m]
		if b == nil {
			continue
		}
		n := 0
		for e := b; e != nil; e = e.next {
			n++
		}
		k := r.IntN(n)
		e := b
		for ; k > 0; k-- {
			e = e.next
		}
		return e.key, e.val, true
	}
}
