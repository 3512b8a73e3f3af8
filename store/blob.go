package store

import "unsafe"

// Compact values stored in their entry.
//
// A small collection in a compact encoding (a hash's "listpack") is one
// byte string, like a string value, and it lives where a string value
// lives: in e.data after the key. The entry's object is a marker that names
// the encoding (OBJECT ENCODING, COPY's Clone) and accounts no bytes of its
// own. A small hash therefore costs one allocation holding the Entry
// header, the key and every field and value, instead of three (entry, value
// header, value bytes): Redis spends a dictEntry, a robj, the key's sds and
// the listpack's allocation on the same hash, and the allocations are where
// the bytes per key go.
//
// The allocation is an Entry followed by a byte array whose size lands the
// whole on one of the Go allocator's size classes (blobClasses), up to 512
// bytes; past that an object with pointers costs an 8-byte malloc header,
// so bigger values use a plain Entry and a separate []byte. When a value
// outgrows its array (or shrinks to under half of it) the entry is
// reallocated at the right class and swapped into the table's chain and the
// expiry heap in place of the old one (replaceLocked): callers must not
// keep an *Entry across a change of its blob.

// blobEntry is an Entry with an array of A bytes right behind it.
type blobEntry[A any] struct {
	Entry
	buf A
}

// allocBlob allocates an Entry with an inline array of A's size and
// returns it with the array as a slice.
func allocBlob[A any]() (*Entry, []byte) {
	x := new(blobEntry[A])
	x.flags |= flagInline
	return &x.Entry, unsafe.Slice((*byte)(unsafe.Pointer(&x.buf)), unsafe.Sizeof(x.buf))
}

// blobClasses are the inline array sizes, one per Go size class from 96 to
// 512 bytes, smallest first.
var blobClasses = [...]struct {
	size  int
	alloc func() (*Entry, []byte)
}{
	{96 - int(entrySize), allocBlob[[96 - entrySize]byte]},
	{112 - int(entrySize), allocBlob[[112 - entrySize]byte]},
	{128 - int(entrySize), allocBlob[[128 - entrySize]byte]},
	{144 - int(entrySize), allocBlob[[144 - entrySize]byte]},
	{160 - int(entrySize), allocBlob[[160 - entrySize]byte]},
	{176 - int(entrySize), allocBlob[[176 - entrySize]byte]},
	{192 - int(entrySize), allocBlob[[192 - entrySize]byte]},
	{208 - int(entrySize), allocBlob[[208 - entrySize]byte]},
	{224 - int(entrySize), allocBlob[[224 - entrySize]byte]},
	{240 - int(entrySize), allocBlob[[240 - entrySize]byte]},
	{256 - int(entrySize), allocBlob[[256 - entrySize]byte]},
	{288 - int(entrySize), allocBlob[[288 - entrySize]byte]},
	{320 - int(entrySize), allocBlob[[320 - entrySize]byte]},
	{352 - int(entrySize), allocBlob[[352 - entrySize]byte]},
	{384 - int(entrySize), allocBlob[[384 - entrySize]byte]},
	{416 - int(entrySize), allocBlob[[416 - entrySize]byte]},
	{448 - int(entrySize), allocBlob[[448 - entrySize]byte]},
	{480 - int(entrySize), allocBlob[[480 - entrySize]byte]},
	{512 - int(entrySize), allocBlob[[512 - entrySize]byte]},
}

// maxBlobInline is the most key+value bytes an entry holds inline.
var maxBlobInline = blobClasses[len(blobClasses)-1].size

// newBlobEntry allocates an entry for key (hash h) with room for n value
// bytes after it; e.data is key ++ n bytes to be filled by the caller.
func newBlobEntry(h uint64, key []byte, n int) *Entry {
	need := len(key) + n
	var e *Entry
	var buf []byte
	if need <= maxBlobInline {
		for i := range blobClasses {
			if blobClasses[i].size >= need {
				e, buf = blobClasses[i].alloc()
				break
			}
		}
	} else {
		e = new(Entry)
		buf = make([]byte, need, roundAlloc(need))
	}
	e.setBytes(buf[:need])
	copy(e.dataBytes(), key)
	e.klen = uint32(len(key))
	e.heapIdx = -1
	return e
}

// blob returns the value bytes of a compact collection (after the key).
func (e *Entry) blob() []byte { return e.dataBytes()[e.klen:] }

// fits reports whether e's allocation is a good home for need key+value
// bytes: big enough, and not more than twice what is needed (a collection
// that shrank gives memory back). Its accounted size depends on the
// allocation only.
func (e *Entry) fits(need int) bool {
	if ic := e.inlineCap(); ic > 0 {
		return need <= ic && (need*2 > ic || ic <= blobClasses[0].size)
	}
	if e.flags&flagInline != 0 {
		return false // the unused inline array wastes the allocation
	}
	c := cap(e.dataBytes())
	return need <= c && (need*2 > c || need > maxBlobInline && c <= need+need/2)
}

// setBlob stores b as e's value bytes, reallocating the entry when b does
// not fit its allocation, and returns the entry that now holds the key (e
// or its replacement). e must be in the Tx's database and b must not alias
// e's data. The shard's accounting is updated.
func (tx *Tx) setBlob(e *Entry, b []byte) *Entry {
	s := tx.entryShard(tx.db, e)
	need := int(e.klen) + len(b)
	if e.fits(need) {
		// Same allocation, same capacity: the accounted size is unchanged.
		e.setBytes(e.dataBytes()[:need])
		copy(e.dataBytes()[e.klen:], b)
		return e
	}
	if e.flags&flagInline == 0 && need > maxBlobInline {
		// A big value: a new array for the same entry.
		before := e.size()
		d := make([]byte, need, roundAlloc(need))
		copy(d, e.Key())
		copy(d[e.klen:], b)
		e.setBytes(d)
		s.addUsed(e.size() - before)
		return e
	}
	nw := newBlobEntry(0, e.Key(), len(b))
	copy(nw.dataBytes()[nw.klen:], b)
	nw.objp, nw.tag = e.objp, e.tag
	s.replaceLocked(e, nw)
	return nw
}

// replaceLocked puts nw (a new entry for the same key) in old's place: the
// table chain, the expiry heap, the TTL, kind, encoding and access word
// carry over, and the shard's accounting follows. REQUIRES: write lock.
func (s *shard) replaceLocked(old, nw *Entry) {
	before := old.size()
	nw.expireAt = old.expireAt
	nw.kind = old.kind
	nw.enc = old.enc
	nw.access.Store(old.access.Load())
	s.tab.replace(old, nw)
	if old.heapIdx >= 0 {
		nw.heapIdx = old.heapIdx
		s.exp[nw.heapIdx].e = nw
		old.heapIdx = -1
	}
	s.addUsed(nw.size() - before)
}

// maxScratch is the largest scratch buffer a Tx keeps for later commands:
// one huge value must not pin its size in every client that touched it.
const maxScratch = 64 << 10

// keepScratch stores b (built in tx.scratch) as the Tx's scratch buffer.
func (tx *Tx) keepScratch(b []byte) {
	if cap(b) > maxScratch {
		b = nil
	}
	tx.scratch = b[:0]
}
