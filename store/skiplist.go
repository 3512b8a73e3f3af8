package store

import (
	"math/rand/v2"
	"unsafe"
)

// The skiplist of big sorted sets.
//
// A sorted set past its compact limits keeps its elements twice, as Redis
// does: a Dict from member to score answers ZSCORE and membership in O(1),
// and a skiplist ordered by (score, member) answers everything positional.
// The skiplist is William Pugh's, with Redis's two additions: a backward
// pointer on every node (reverse iteration), and a span on every forward
// link, the number of level-0 steps the link jumps over. Summing the spans
// of the links followed while searching gives an element's rank, so ZRANK,
// ZRANGE by index and ZCOUNT are O(log n) instead of O(n).
//
// Ordering: by score, then by member bytes (shorter first on a common
// prefix), exactly Redis's. Scores are never NaN (the commands reject NaN
// before they get here), so float comparison is a total order except that
// -0 and 0 compare equal, as in Redis.
//
// Node levels are drawn with probability zslP of going one level up (1/4,
// Redis's ZSKIPLIST_P), capped at zslMaxLevel. A node is one allocation:
// its fields, then its links, level 0 first, as in Redis's flexible array
// member; link i is reached by pointer arithmetic from level 0. Searching
// touches a node's score and one link, which for the most common nodes
// (level 1, 64 bytes) share a cache line. The header's links grow with the
// list's level instead of being allocated at the maximum, which saves ~500
// bytes on every small skiplist.

// zslMaxLevel is the highest node level (Redis's ZSKIPLIST_MAXLEVEL).
const zslMaxLevel = 32

// zslP is the probability of a node having one more level.
const zslP = 0.25

type zslLevel struct {
	forward *zslNode
	span    int
}

type zslNode struct {
	score    float64
	backward *zslNode
	ele      string
	nlevel   int
	l0       zslLevel // links 1.. follow in the same allocation
}

// zslNodeOf is a node with n more links after l0.
type zslNodeOf[T any] struct {
	n    zslNode
	more T
}

func zslAlloc[T any]() *zslNode { return &new(zslNodeOf[T]).n }

// zslAllocs allocate a node of each level.
var zslAllocs = [zslMaxLevel + 1]func() *zslNode{
	nil, zslAlloc[[0]zslLevel], zslAlloc[[1]zslLevel], zslAlloc[[2]zslLevel], zslAlloc[[3]zslLevel],
	zslAlloc[[4]zslLevel], zslAlloc[[5]zslLevel], zslAlloc[[6]zslLevel], zslAlloc[[7]zslLevel],
	zslAlloc[[8]zslLevel], zslAlloc[[9]zslLevel], zslAlloc[[10]zslLevel], zslAlloc[[11]zslLevel],
	zslAlloc[[12]zslLevel], zslAlloc[[13]zslLevel], zslAlloc[[14]zslLevel], zslAlloc[[15]zslLevel],
	zslAlloc[[16]zslLevel], zslAlloc[[17]zslLevel], zslAlloc[[18]zslLevel], zslAlloc[[19]zslLevel],
	zslAlloc[[20]zslLevel], zslAlloc[[21]zslLevel], zslAlloc[[22]zslLevel], zslAlloc[[23]zslLevel],
	zslAlloc[[24]zslLevel], zslAlloc[[25]zslLevel], zslAlloc[[26]zslLevel], zslAlloc[[27]zslLevel],
	zslAlloc[[28]zslLevel], zslAlloc[[29]zslLevel], zslAlloc[[30]zslLevel], zslAlloc[[31]zslLevel],
}

// lvl returns the node's link at level i (i < nlevel).
func (n *zslNode) lvl(i int) *zslLevel {
	return (*zslLevel)(unsafe.Add(unsafe.Pointer(&n.l0), uintptr(i)*unsafe.Sizeof(zslLevel{})))
}

// zslNodeSize is the accounted size of a node of the given level.
func zslNodeSize(level int) int64 {
	return int64(roundAlloc(int(unsafe.Sizeof(zslNode{})) + (level-1)*int(unsafe.Sizeof(zslLevel{}))))
}

func newZslNode(level int, score float64, ele string) *zslNode {
	n := zslAllocs[level]()
	n.nlevel, n.score, n.ele = level, score, ele
	return n
}

// skiplist is the ordered half of a big sorted set.
type skiplist struct {
	header *zslNode // its links grow to the list's level
	tail   *zslNode
	length int
	level  int
}

// zslHeaderMin is the header's link capacity to start with.
const zslHeaderMin = 4

func newSkiplist() *skiplist {
	h := zslAllocs[zslHeaderMin]()
	h.nlevel = zslHeaderMin
	return &skiplist{header: h, level: 1}
}

// zslPThreshold is zslP scaled to 16 bits, as Redis draws levels.
const zslPThreshold = 16383 // uint32(zslP * 0xFFFF), truncated as C does

func zslRandomLevel() int {
	level := 1
	for level < zslMaxLevel && rand.Uint32()&0xFFFF < zslPThreshold {
		level++
	}
	return level
}

// zslLess reports whether (s1, e1) orders before (s2, e2).
func zslLess(s1 float64, e1 string, s2 float64, e2 string) bool {
	return s1 < s2 || (s1 == s2 && e1 < e2)
}

// growLevel raises the list's level to level, growing the header's links
// (to the next power of two) when they are too few.
func (zsl *skiplist) growLevel(level int) {
	if level > zsl.header.nlevel {
		c := zsl.header.nlevel
		for c < level {
			c *= 2
		}
		h := zslAllocs[c]()
		h.nlevel = c
		for i := 0; i < zsl.level; i++ {
			*h.lvl(i) = *zsl.header.lvl(i)
		}
		zsl.header = h
	}
	for zsl.level < level {
		*zsl.header.lvl(zsl.level) = zslLevel{span: zsl.length}
		zsl.level++
	}
}

// insert adds ele with score; ele must not be in the list. It returns the
// new node.
func (zsl *skiplist) insert(score float64, ele string) *zslNode {
	x := newZslNode(zslRandomLevel(), score, ele)
	zsl.insertNode(x)
	return x
}

// insertNode links x (with its level and key already set) into the list.
func (zsl *skiplist) insertNode(x *zslNode) {
	var update [zslMaxLevel]*zslNode
	var rank [zslMaxLevel]int
	level := x.nlevel
	zsl.growLevel(level)
	n := zsl.header
	for i := zsl.level - 1; i >= 0; i-- {
		if i < zsl.level-1 {
			rank[i] = rank[i+1]
		}
		l := n.lvl(i)
		for f := l.forward; f != nil && zslLess(f.score, f.ele, x.score, x.ele); f = l.forward {
			rank[i] += l.span
			n, l = f, f.lvl(i)
		}
		update[i] = n
	}
	for i := 0; i < level; i++ {
		xl, ul := x.lvl(i), update[i].lvl(i)
		xl.forward = ul.forward
		ul.forward = x
		xl.span = ul.span - (rank[0] - rank[i])
		ul.span = rank[0] - rank[i] + 1
	}
	for i := level; i < zsl.level; i++ {
		update[i].lvl(i).span++
	}
	if update[0] != zsl.header {
		x.backward = update[0]
	} else {
		x.backward = nil
	}
	if f := x.l0.forward; f != nil {
		f.backward = x
	} else {
		zsl.tail = x
	}
	zsl.length++
}

// findUpdate fills update with the last node before (score, ele) at every
// level and returns the node at (score, ele), or nil.
func (zsl *skiplist) findUpdate(score float64, ele string, update *[zslMaxLevel]*zslNode) *zslNode {
	n := zsl.header
	for i := zsl.level - 1; i >= 0; i-- {
		l := n.lvl(i)
		for f := l.forward; f != nil && zslLess(f.score, f.ele, score, ele); f = l.forward {
			n, l = f, f.lvl(i)
		}
		update[i] = n
	}
	if x := n.l0.forward; x != nil && x.score == score && x.ele == ele {
		return x
	}
	return nil
}

// unlink removes x given the update vector from findUpdate.
func (zsl *skiplist) unlink(x *zslNode, update *[zslMaxLevel]*zslNode) {
	for i := 0; i < zsl.level; i++ {
		if ul := update[i].lvl(i); ul.forward == x {
			xl := x.lvl(i)
			ul.span += xl.span - 1
			ul.forward = xl.forward
		} else {
			ul.span--
		}
	}
	if f := x.l0.forward; f != nil {
		f.backward = x.backward
	} else {
		zsl.tail = x.backward
	}
	for zsl.level > 1 && zsl.header.lvl(zsl.level-1).forward == nil {
		zsl.level--
	}
	zsl.length--
}

// remove deletes (score, ele) and returns its node, or nil if absent.
func (zsl *skiplist) remove(score float64, ele string) *zslNode {
	var update [zslMaxLevel]*zslNode
	x := zsl.findUpdate(score, ele, &update)
	if x != nil {
		zsl.unlink(x, &update)
	}
	return x
}

// updateScore moves ele from score cur to score next (ele must be
// present). The node is reused: in place when its position does not
// change, else unlinked and linked again.
func (zsl *skiplist) updateScore(cur float64, ele string, next float64) {
	var update [zslMaxLevel]*zslNode
	x := zsl.findUpdate(cur, ele, &update)
	if x == nil {
		panic("store: skiplist update of a missing element")
	}
	if (x.backward == nil || x.backward.score < next) &&
		(x.l0.forward == nil || x.l0.forward.score > next) {
		x.score = next
		return
	}
	zsl.unlink(x, &update)
	x.score = next
	x.backward = nil
	for i := 0; i < x.nlevel; i++ {
		*x.lvl(i) = zslLevel{}
	}
	zsl.insertNode(x)
}

// rankOf returns the 1-based rank of (score, ele), 0 if absent.
func (zsl *skiplist) rankOf(score float64, ele string) int {
	n := zsl.header
	rank := 0
	for i := zsl.level - 1; i >= 0; i-- {
		l := n.lvl(i)
		for f := l.forward; f != nil && !zslLess(score, ele, f.score, f.ele); f = l.forward {
			rank += l.span
			n, l = f, f.lvl(i)
		}
		if n != zsl.header && n.score == score && n.ele == ele {
			return rank
		}
	}
	return 0
}

// byRank returns the node at 1-based rank, or nil when out of range.
func (zsl *skiplist) byRank(rank int) *zslNode {
	if rank < 1 || rank > zsl.length {
		return nil
	}
	n := zsl.header
	traversed := 0
	for i := zsl.level - 1; i >= 0; i-- {
		for l := n.lvl(i); l.forward != nil && traversed+l.span <= rank; l = n.lvl(i) {
			traversed += l.span
			n = l.forward
		}
		if traversed == rank {
			return n
		}
	}
	return nil
}

// countWhile returns how many leading nodes satisfy pred, which must hold
// for a prefix of the list (true, then false for the rest).
func (zsl *skiplist) countWhile(pred func(n *zslNode) bool) int {
	n := zsl.header
	rank := 0
	for i := zsl.level - 1; i >= 0; i-- {
		l := n.lvl(i)
		for f := l.forward; f != nil && pred(f); f = l.forward {
			rank += l.span
			n, l = f, f.lvl(i)
		}
	}
	return rank
}

// removeRange unlinks the nodes of 1-based ranks [start, end] and calls fn
// for each, in order.
func (zsl *skiplist) removeRange(start, end int, fn func(x *zslNode)) {
	var update [zslMaxLevel]*zslNode
	n := zsl.header
	traversed := 0
	for i := zsl.level - 1; i >= 0; i-- {
		for l := n.lvl(i); l.forward != nil && traversed+l.span < start; l = n.lvl(i) {
			traversed += l.span
			n = l.forward
		}
		update[i] = n
	}
	traversed++
	x := n.l0.forward
	for x != nil && traversed <= end {
		next := x.l0.forward
		zsl.unlink(x, &update)
		fn(x)
		traversed++
		x = next
	}
}
