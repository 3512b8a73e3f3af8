package store

import (
	"bytes"
	"encoding/binary"
	"slices"
)

// Lists (Redis's quicklist.c over listpack.c).
//
// A list is a sequence of nodes, each a compact blob of entries bounded by
// list-max-listpack-size: a negative setting caps a node's bytes (-1..-5:
// 4, 8, 16, 32, 64 KiB; -2, 8 KiB, is the default), a positive one its
// entry count (with an 8 KiB safety cap, as Redis). An element is stored
// as
//
//	uvarint(len) | bytes | backlen
//
// where backlen is len(uvarint)+len(bytes) written so that it reads from
// right to left (the rightmost byte holds the low 7 bits, a set high bit
// means another byte follows on the left), so a node can be walked in both
// directions, like a listpack. A small element costs its bytes plus two.
//
// A node's blob has free space on both sides: entries live in b[lo:], and
// pushes at the head fill the space below lo, pushes at the tail append.
// When the space runs out the blob is reallocated with room proportional
// to its size, so pushes and pops at both ends are amortised O(1) and
// allocate nothing per element; a node sealed because it is full is
// trimmed to its exact size. Index operations (LINDEX, LSET, LRANGE's
// start, LINSERT) walk the node array by entry counts from the nearer end,
// then the entries of one node.
//
// Redis 7.0 reports every list as "quicklist" (7.2's "listpack" for small
// lists does not exist in the reference server), and the node layout is
// not observable otherwise, so node boundaries need not match Redis's.
//
// Values returned by reads and pops alias the node blobs: they are valid
// until the list is next modified. MemoryUsage is a running total kept by
// every method that (re)allocates.
type List struct {
	nodes []listNode
	count int
	mem   int64
}

type listNode struct {
	b  []byte // the entries are b[lo:]
	lo int32
	n  int32 // entries in the node
}

const (
	// listHeaderSize is the accounted size of a List (its allocation).
	listHeaderSize = 48
	// listNodeSize is the size of one listNode in the node array.
	listNodeSize = 32
	// listSizeSafetyLimit bounds a node's bytes when list-max-listpack-size
	// is an entry count (Redis's SIZE_SAFETY_LIMIT).
	listSizeSafetyLimit = 8192
	// listMinBuf is the smallest blob allocated for a node.
	listMinBuf = 16
)

// NewList returns an empty list.
func NewList() *List { return &List{mem: listHeaderSize} }

// Len returns the number of elements.
func (l *List) Len() int { return l.count }

// Encoding returns the name OBJECT ENCODING replies with.
func (l *List) Encoding() string { return "quicklist" }

// MemoryUsage returns the bytes the list holds (O(1)).
func (l *List) MemoryUsage() int64 { return l.mem }

// Clone returns a deep copy (COPY), each node trimmed to its size.
func (l *List) Clone() any {
	c := &List{nodes: make([]listNode, len(l.nodes)), count: l.count, mem: listHeaderSize}
	c.mem += int64(roundAlloc(len(l.nodes) * listNodeSize))
	for i := range l.nodes {
		data := l.nodes[i].data()
		b := make([]byte, len(data))
		copy(b, data)
		c.nodes[i] = listNode{b: b, n: l.nodes[i].n}
		c.mem += int64(roundAlloc(len(b)))
	}
	return c
}

// ---- entry codec ----

// listElemSize is the encoded size of an element of l bytes.
func listElemSize(l int) int {
	t := uvarintLen(l) + l
	return t + uvarintLen(t)
}

// putEntry encodes v at the start of dst, which has room for it, and
// returns the bytes written.
func putEntry(dst, v []byte) int {
	h := binary.PutUvarint(dst, uint64(len(v)))
	copy(dst[h:], v)
	t := h + len(v)
	bl := uvarintLen(t)
	x := t
	for i := t + bl - 1; i >= t; i-- {
		c := byte(x & 0x7f)
		x >>= 7
		if i != t {
			c |= 0x80
		}
		dst[i] = c
	}
	return t + bl
}

// readAt decodes the entry starting at p; it returns the value and the
// offset of the next entry.
func readAt(b []byte, p int) (val []byte, next int) {
	l, h := binary.Uvarint(b[p:])
	start := p + h
	end := start + int(l)
	return b[start:end:end], end + uvarintLen(h+int(l))
}

// startBefore returns the offset of the entry that ends at end.
func startBefore(b []byte, end int) int {
	var t, shift int
	i := end - 1
	for {
		c := b[i]
		t |= int(c&0x7f) << shift
		if c&0x80 == 0 {
			break
		}
		shift += 7
		i--
	}
	return i - t
}

// ---- nodes ----

func (nd *listNode) data() []byte { return nd.b[nd.lo:] }
func (nd *listNode) size() int    { return len(nd.b) - int(nd.lo) }

// nodeLimitOK reports whether a node of bytes bytes and n entries respects
// fill (list-max-listpack-size). A node of one entry always does.
func nodeLimitOK(bytes, n int, fill int64) bool {
	if n <= 1 {
		return true
	}
	if fill >= 0 {
		if fill == 0 {
			fill = 1
		}
		return int64(n) <= fill && bytes <= listSizeSafetyLimit
	}
	return bytes <= nodeByteLimit(fill)
}

// nodeByteLimit is the node size limit of a negative fill.
func nodeByteLimit(fill int64) int {
	lvl := min(-fill-1, 4)
	return 4096 << lvl
}

func (l *List) account(oldCap, newCap int) {
	l.mem += int64(roundAlloc(newCap) - roundAlloc(oldCap))
}

// setNodes replaces the node array, keeping the accounting right.
func (l *List) setNodes(nodes []listNode) {
	l.account(cap(l.nodes)*listNodeSize, cap(nodes)*listNodeSize)
	l.nodes = nodes
}

// insertNodes inserts nodes at index i of the node array.
func (l *List) insertNodes(i int, nodes ...listNode) {
	for _, nd := range nodes {
		l.account(0, cap(nd.b))
	}
	l.setNodes(slices.Insert(l.nodes, i, nodes...))
}

// deleteNodes removes nodes [i, j) of the node array.
func (l *List) deleteNodes(i, j int) {
	for k := i; k < j; k++ {
		l.account(cap(l.nodes[k].b), 0)
	}
	l.nodes = slices.Delete(l.nodes, i, j)
	if len(l.nodes) == 0 {
		l.setNodes(nil)
	}
}

// setBuf replaces node i's blob.
func (l *List) setBuf(nd *listNode, b []byte, lo int) {
	l.account(cap(nd.b), cap(b))
	nd.b, nd.lo = b, int32(lo)
}

// seal trims a node that will take no more pushes to its exact size when
// it wastes more than an eighth of its blob.
func (l *List) seal(nd *listNode) {
	size := nd.size()
	if cap(nd.b)-size <= size/8 {
		return
	}
	b := make([]byte, size)
	copy(b, nd.data())
	l.setBuf(nd, b, 0)
}

// ---- pushes and pops ----

// PushTail appends v (RPUSH); fill is list-max-listpack-size.
func (l *List) PushTail(v []byte, fill int64) { l.pushTail(v, fill, 0) }

// PushHead prepends v (LPUSH); fill is list-max-listpack-size.
func (l *List) PushHead(v []byte, fill int64) { l.pushHead(v, fill, 0) }

// Push pushes vals one by one at the head or the tail (LPUSH, RPUSH with
// several elements), growing a node's blob once for all of them.
func (l *List) Push(vals [][]byte, head bool, fill int64) {
	rest := 0
	for _, v := range vals {
		rest += listElemSize(len(v))
	}
	for _, v := range vals {
		if head {
			l.pushHead(v, fill, rest)
		} else {
			l.pushTail(v, fill, rest)
		}
		rest -= listElemSize(len(v))
	}
}

// newBlob allocates a node blob for size bytes of entries plus sz for the
// one being pushed, with rest bytes still to come in this command: room for
// all of them (within the node limit), else a quarter more than needed, so
// that growing is amortised O(1) without doubling the memory of small
// lists. A new end node of a list that already filled one (full) gets the
// whole node limit at once: a big list would grow it there anyway, and
// growing it step by step would only make garbage. The capacity is rounded
// up to the allocator's size class, which is free.
func newBlob(size, sz, rest int, fill int64, full bool) []byte {
	want := size + sz + (size+sz)/4
	if rest > sz {
		want = max(want, size+rest)
	}
	if fill < 0 {
		limit := nodeByteLimit(fill)
		if full {
			want = limit
		}
		want = min(want, max(limit, size+sz))
	}
	return slices.Grow([]byte(nil), max(want, listMinBuf))
}

func (l *List) pushTail(v []byte, fill int64, rest int) {
	sz := listElemSize(len(v))
	last := len(l.nodes) - 1
	if last < 0 || !nodeLimitOK(l.nodes[last].size()+sz, int(l.nodes[last].n)+1, fill) {
		if last >= 0 {
			l.seal(&l.nodes[last])
		}
		l.insertNodes(len(l.nodes), listNode{b: newBlob(0, sz, rest, fill, last >= 0)})
		last++
	}
	nd := &l.nodes[last]
	end := len(nd.b)
	if end+sz > cap(nd.b) {
		size := nd.size()
		nb := newBlob(size, sz, rest, fill, false)[:size]
		copy(nb, nd.data())
		l.setBuf(nd, nb, 0)
		end = size
	}
	nd.b = nd.b[:end+sz]
	putEntry(nd.b[end:], v)
	nd.n++
	l.count++
}

func (l *List) pushHead(v []byte, fill int64, rest int) {
	sz := listElemSize(len(v))
	if len(l.nodes) == 0 || !nodeLimitOK(l.nodes[0].size()+sz, int(l.nodes[0].n)+1, fill) {
		if len(l.nodes) > 0 {
			l.seal(&l.nodes[0])
		}
		b := newBlob(0, sz, rest, fill, len(l.nodes) > 0)
		l.insertNodes(0, listNode{b: b[:cap(b)], lo: int32(cap(b))})
	}
	nd := &l.nodes[0]
	if int(nd.lo) < sz {
		size := nd.size()
		nb := newBlob(size, sz, rest, fill, false)
		nb = nb[:cap(nb)]
		copy(nb[len(nb)-size:], nd.data())
		l.setBuf(nd, nb, len(nb)-size)
	}
	nd.lo -= int32(sz)
	putEntry(nd.b[nd.lo:], v)
	nd.n++
	l.count++
}

// PopHead removes and returns the first element (nil, false when empty).
func (l *List) PopHead() ([]byte, bool) {
	if l.count == 0 {
		return nil, false
	}
	nd := &l.nodes[0]
	v, next := readAt(nd.b, int(nd.lo))
	nd.lo = int32(next)
	nd.n--
	l.count--
	if nd.n == 0 {
		l.deleteNodes(0, 1)
	}
	return v, true
}

// PopTail removes and returns the last element (nil, false when empty).
func (l *List) PopTail() ([]byte, bool) {
	if l.count == 0 {
		return nil, false
	}
	last := len(l.nodes) - 1
	nd := &l.nodes[last]
	p := startBefore(nd.b, len(nd.b))
	v, _ := readAt(nd.b, p)
	nd.b = nd.b[:p]
	nd.n--
	l.count--
	if nd.n == 0 {
		l.deleteNodes(last, last+1)
	}
	return v, true
}

// ---- positions ----

// locate returns the node holding element i (0 <= i < Len) and the
// offset of the element in the node's blob, walking from the nearer end.
func (l *List) locate(i int) (ni, off int) {
	if i < l.count/2 {
		for ni = 0; i >= int(l.nodes[ni].n); ni++ {
			i -= int(l.nodes[ni].n)
		}
	} else {
		j := l.count - 1 - i // position from the tail
		for ni = len(l.nodes) - 1; j >= int(l.nodes[ni].n); ni-- {
			j -= int(l.nodes[ni].n)
		}
		i = int(l.nodes[ni].n) - 1 - j
	}
	nd := &l.nodes[ni]
	if i < int(nd.n)/2 {
		off = int(nd.lo)
		for ; i > 0; i-- {
			_, off = readAt(nd.b, off)
		}
	} else {
		off = len(nd.b)
		for k := int(nd.n); k > i; k-- {
			off = startBefore(nd.b, off)
		}
	}
	return ni, off
}

// normIndex turns a possibly negative index into a position, reporting
// false when it is out of range.
func (l *List) normIndex(i int) (int, bool) {
	if i < 0 {
		i += l.count
	}
	return i, i >= 0 && i < l.count
}

// Index returns element i (negative counts from the tail).
func (l *List) Index(i int) ([]byte, bool) {
	i, ok := l.normIndex(i)
	if !ok {
		return nil, false
	}
	ni, off := l.locate(i)
	v, _ := readAt(l.nodes[ni].b, off)
	return v, true
}

// Range calls fn for elements start..stop (inclusive, 0 <= start <= stop
// < Len) in order.
func (l *List) Range(start, stop int, fn func(v []byte)) {
	ni, off := l.locate(start)
	for k := stop - start + 1; k > 0; {
		nd := &l.nodes[ni]
		for off < len(nd.b) && k > 0 {
			var v []byte
			v, off = readAt(nd.b, off)
			fn(v)
			k--
		}
		ni++
		if ni < len(l.nodes) {
			off = int(l.nodes[ni].lo)
		}
	}
}

// Each calls fn for every element from the head until fn returns false.
func (l *List) Each(fn func(v []byte) bool) {
	for ni := range l.nodes {
		nd := &l.nodes[ni]
		for off := int(nd.lo); off < len(nd.b); {
			var v []byte
			v, off = readAt(nd.b, off)
			if !fn(v) {
				return
			}
		}
	}
}

// EachReverse calls fn for every element from the tail until fn returns
// false.
func (l *List) EachReverse(fn func(v []byte) bool) {
	for ni := len(l.nodes) - 1; ni >= 0; ni-- {
		nd := &l.nodes[ni]
		for end := len(nd.b); end > int(nd.lo); {
			end = startBefore(nd.b, end)
			v, _ := readAt(nd.b, end)
			if !fn(v) {
				return
			}
		}
	}
}

// ---- changes in the middle ----

// splice replaces the entries in bytes [p, q) of node ni's blob with v
// encoded as one entry (dn is the change in the node's entry count: 0 for
// a replacement, 1 for an insertion), in place when the blob has room,
// splitting the node when it outgrows fill.
func (l *List) splice(ni, p, q int, v []byte, dn int, fill int64) {
	nd := &l.nodes[ni]
	sz := listElemSize(len(v))
	delta := sz - (q - p)
	n := int(nd.n) + dn
	if nodeLimitOK(nd.size()+delta, n, fill) {
		end := len(nd.b)
		switch {
		case delta <= 0:
			copy(nd.b[p+sz:], nd.b[q:end])
			nd.b = nd.b[:end+delta]
		case end+delta <= cap(nd.b):
			nd.b = nd.b[:end+delta]
			copy(nd.b[p+sz:], nd.b[q:end])
		default:
			lo := int(nd.lo)
			size := end - lo + delta
			b := make([]byte, size, size+size/4)
			copy(b, nd.b[lo:p])
			copy(b[p-lo+sz:], nd.b[q:end])
			p -= lo
			l.setBuf(nd, b, 0)
		}
		putEntry(nd.b[p:], v)
		nd.n = int32(n)
		return
	}
	// Too big: repack the entries into as many nodes as fill needs.
	b := make([]byte, 0, nd.size()+delta)
	b = append(b, nd.b[nd.lo:p]...)
	b = b[:len(b)+sz]
	putEntry(b[len(b)-sz:], v)
	b = append(b, nd.b[q:]...)
	var parts []listNode
	start, cnt := 0, 0
	for off := 0; off < len(b); {
		_, next := readAt(b, off)
		if cnt > 0 && !nodeLimitOK(next-start, cnt+1, fill) {
			parts = append(parts, listNode{b: slices.Clone(b[start:off]), n: int32(cnt)})
			start, cnt = off, 0
		}
		off = next
		cnt++
	}
	parts = append(parts, listNode{b: slices.Clone(b[start:]), n: int32(cnt)})
	l.deleteNodes(ni, ni+1)
	l.insertNodes(ni, parts...)
}

// Set replaces element i (negative counts from the tail); false if out of
// range.
func (l *List) Set(i int, v []byte, fill int64) bool {
	i, ok := l.normIndex(i)
	if !ok {
		return false
	}
	ni, off := l.locate(i)
	_, next := readAt(l.nodes[ni].b, off)
	l.splice(ni, off, next, v, 0, fill)
	return true
}

// Insert puts v before (or after) the first element equal to pivot,
// reporting whether pivot was found (LINSERT).
func (l *List) Insert(pivot, v []byte, after bool, fill int64) bool {
	for ni := range l.nodes {
		nd := &l.nodes[ni]
		for off := int(nd.lo); off < len(nd.b); {
			cur, next := readAt(nd.b, off)
			if bytes.Equal(cur, pivot) {
				at := off
				if after {
					at = next
				}
				l.splice(ni, at, at, v, 1, fill)
				l.count++
				return true
			}
			off = next
		}
	}
	return false
}

// Remove deletes elements equal to v: the first count from the head when
// count > 0, the last -count from the tail when count < 0, all when 0. It
// returns how many it removed (LREM).
func (l *List) Remove(v []byte, count int, fill int64) int {
	limit := count
	if count < 0 {
		limit = -count
	}
	removed := 0
	visit := func(ni int) {
		nd := &l.nodes[ni]
		n0 := nd.n
		if count >= 0 {
			w := int(nd.lo)
			for r := int(nd.lo); r < len(nd.b); {
				cur, next := readAt(nd.b, r)
				if (count == 0 || removed < limit) && bytes.Equal(cur, v) {
					removed++
					nd.n--
				} else {
					w += copy(nd.b[w:], nd.b[r:next])
				}
				r = next
			}
			nd.b = nd.b[:w]
		} else {
			w := len(nd.b)
			for r := len(nd.b); r > int(nd.lo); {
				start := startBefore(nd.b, r)
				cur, _ := readAt(nd.b, start)
				if removed < limit && bytes.Equal(cur, v) {
					removed++
					nd.n--
				} else {
					w -= r - start
					copy(nd.b[w:], nd.b[start:r])
				}
				r = start
			}
			nd.lo = int32(w)
		}
		l.count -= int(n0 - nd.n)
	}
	if count >= 0 {
		for ni := 0; ni < len(l.nodes) && (count == 0 || removed < limit); ni++ {
			visit(ni)
		}
	} else {
		for ni := len(l.nodes) - 1; ni >= 0 && removed < limit; ni-- {
			visit(ni)
		}
	}
	if removed > 0 {
		l.compact(fill)
	}
	return removed
}

// compact drops empty nodes and merges neighbours that fit in one node
// together (after removals in the middle).
func (l *List) compact(fill int64) {
	out := l.nodes[:0]
	for i := range l.nodes {
		nd := l.nodes[i]
		if nd.n == 0 {
			l.account(cap(nd.b), 0)
			continue
		}
		if k := len(out) - 1; k >= 0 && nodeLimitOK(out[k].size()+nd.size(), int(out[k].n+nd.n), fill) {
			prev := &out[k]
			b := make([]byte, 0, prev.size()+nd.size())
			b = append(b, prev.data()...)
			b = append(b, nd.data()...)
			l.setBuf(prev, b, 0)
			prev.n += nd.n
			l.account(cap(nd.b), 0)
			continue
		}
		out = append(out, nd)
	}
	clear(l.nodes[len(out):])
	l.nodes = out
	if len(l.nodes) == 0 {
		l.setNodes(nil)
	}
}

// Trim keeps elements start..stop (inclusive, 0 <= start <= stop < Len)
// and removes the others (LTRIM).
func (l *List) Trim(start, stop int) {
	l.removeTail(l.count - 1 - stop)
	l.removeHead(start)
}

// removeHead removes the first k elements.
func (l *List) removeHead(k int) {
	whole := 0
	for whole < len(l.nodes) && k >= int(l.nodes[whole].n) {
		k -= int(l.nodes[whole].n)
		l.count -= int(l.nodes[whole].n)
		whole++
	}
	l.deleteNodes(0, whole)
	if k > 0 {
		nd := &l.nodes[0]
		off := int(nd.lo)
		for i := 0; i < k; i++ {
			_, off = readAt(nd.b, off)
		}
		nd.lo = int32(off)
		nd.n -= int32(k)
		l.count -= k
	}
}

// removeTail removes the last k elements.
func (l *List) removeTail(k int) {
	end := len(l.nodes)
	for end > 0 && k >= int(l.nodes[end-1].n) {
		k -= int(l.nodes[end-1].n)
		l.count -= int(l.nodes[end-1].n)
		end--
	}
	l.deleteNodes(end, len(l.nodes))
	if k > 0 {
		nd := &l.nodes[end-1]
		off := len(nd.b)
		for i := 0; i < k; i++ {
			off = startBefore(nd.b, off)
		}
		nd.b = nd.b[:off]
		nd.n -= int32(k)
		l.count -= k
	}
}
