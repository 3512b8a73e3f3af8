package store

import "math/rand/v2"

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
// Redis's ZSKIPLIST_P), capped at zslMaxLevel. The header's link array
// grows with the list's level instead of being allocated at the maximum,
// which saves ~500 bytes on every small skiplist. Nodes of levels 1 to 4
// (more than 99% of them) carry their links in the same allocation as the
// node.

// zslMaxLevel is the highest node level (Redis's ZSKIPLIST_MAXLEVEL).
const zslMaxLevel = 32

// zslP is the probability of a node having one more level.
const zslP = 0.25

type zslLevel struct {
	forward *zslNode
	span    int
}

type zslNode struct {
	ele      string
	score    float64
	backward *zslNode
	level    []zslLevel
}

// Nodes with their links inline, by level.
type (
	zslNode1 struct {
		n zslNode
		l [1]zslLevel
	}
	zslNode2 struct {
		n zslNode
		l [2]zslLevel
	}
	zslNode3 struct {
		n zslNode
		l [3]zslLevel
	}
	zslNode4 struct {
		n zslNode
		l [4]zslLevel
	}
)

// Accounted sizes of a node by level (Go size classes of the structs
// above; bigger nodes have a separate link array).
const (
	zslNodeBase = 56 // ele, score, backward, level slice header
	zslLinkSize = 16
)

func zslNodeSize(level int) int64 {
	switch level {
	case 1:
		return 80 // 72 rounded to the size class
	case 2:
		return 96 // 88
	case 3:
		return 112 // 104
	case 4:
		return 128 // 120
	}
	return int64(allocSize(zslNodeBase) + allocSize(level*zslLinkSize))
}

func newZslNode(level int, score float64, ele string) *zslNode {
	var n *zslNode
	switch level {
	case 1:
		x := new(zslNode1)
		x.n.level = x.l[:]
		n = &x.n
	case 2:
		x := new(zslNode2)
		x.n.level = x.l[:]
		n = &x.n
	case 3:
		x := new(zslNode3)
		x.n.level = x.l[:]
		n = &x.n
	case 4:
		x := new(zslNode4)
		x.n.level = x.l[:]
		n = &x.n
	default:
		n = &zslNode{level: make([]zslLevel, level)}
	}
	n.score, n.ele = score, ele
	return n
}

// skiplist is the ordered half of a big sorted set.
type skiplist struct {
	header zslNode // its level slice grows to the list's level
	tail   *zslNode
	length int
	level  int
}

func newSkiplist() *skiplist {
	zsl := &skiplist{level: 1}
	zsl.header.level = make([]zslLevel, 1, 4)
	return zsl
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

// growLevel raises the list's level to level, extending the header.
func (zsl *skiplist) growLevel(level int) {
	for zsl.level < level {
		zsl.header.level = append(zsl.header.level, zslLevel{span: zsl.length})
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
	level := len(x.level)
	zsl.growLevel(level)
	n := &zsl.header
	for i := zsl.level - 1; i >= 0; i-- {
		if i < zsl.level-1 {
			rank[i] = rank[i+1]
		}
		for f := n.level[i].forward; f != nil && zslLess(f.score, f.ele, x.score, x.ele); f = n.level[i].forward {
			rank[i] += n.level[i].span
			n = f
		}
		update[i] = n
	}
	for i := 0; i < level; i++ {
		x.level[i].forward = update[i].level[i].forward
		update[i].level[i].forward = x
		x.level[i].span = update[i].level[i].span - (rank[0] - rank[i])
		update[i].level[i].span = rank[0] - rank[i] + 1
	}
	for i := level; i < zsl.level; i++ {
		update[i].level[i].span++
	}
	if update[0] != &zsl.header {
		x.backward = update[0]
	} else {
		x.backward = nil
	}
	if f := x.level[0].forward; f != nil {
		f.backward = x
	} else {
		zsl.tail = x
	}
	zsl.length++
}

// findUpdate fills update with the last node before (score, ele) at every
// level and returns the node at (score, ele), or nil.
func (zsl *skiplist) findUpdate(score float64, ele string, update *[zslMaxLevel]*zslNode) *zslNode {
	n := &zsl.header
	for i := zsl.level - 1; i >= 0; i-- {
		for f := n.level[i].forward; f != nil && zslLess(f.score, f.ele, score, ele); f = n.level[i].forward {
			n = f
		}
		update[i] = n
	}
	if x := n.level[0].forward; x != nil && x.score == score && x.ele == ele {
		return x
	}
	return nil
}

// unlink removes x given the update vector from findUpdate.
func (zsl *skiplist) unlink(x *zslNode, update *[zslMaxLevel]*zslNode) {
	for i := 0; i < zsl.level; i++ {
		if update[i].level[i].forward == x {
			update[i].level[i].span += x.level[i].span - 1
			update[i].level[i].forward = x.level[i].forward
		} else {
			update[i].level[i].span--
		}
	}
	if f := x.level[0].forward; f != nil {
		f.backward = x.backward
	} else {
		zsl.tail = x.backward
	}
	for zsl.level > 1 && zsl.header.level[zsl.level-1].forward == nil {
		zsl.level--
		zsl.header.level = zsl.header.level[:zsl.level]
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
		(x.level[0].forward == nil || x.level[0].forward.score > next) {
		x.score = next
		return
	}
	zsl.unlink(x, &update)
	x.score = next
	x.backward = nil
	for i := range x.level {
		x.level[i] = zslLevel{}
	}
	zsl.insertNode(x)
}

// rankOf returns the 1-based rank of (score, ele), 0 if absent.
func (zsl *skiplist) rankOf(score float64, ele string) int {
	n := &zsl.header
	rank := 0
	for i := zsl.level - 1; i >= 0; i-- {
		for f := n.level[i].forward; f != nil && !zslLess(score, ele, f.score, f.ele); f = n.level[i].forward {
			rank += n.level[i].span
			n = f
		}
		if n != &zsl.header && n.score == score && n.ele == ele {
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
	n := &zsl.header
	traversed := 0
	for i := zsl.level - 1; i >= 0; i-- {
		for n.level[i].forward != nil && traversed+n.level[i].span <= rank {
			traversed += n.level[i].span
			n = n.level[i].forward
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
	n := &zsl.header
	rank := 0
	for i := zsl.level - 1; i >= 0; i-- {
		for f := n.level[i].forward; f != nil && pred(f); f = n.level[i].forward {
			rank += n.level[i].span
			n = f
		}
	}
	return rank
}

// first returns the first node, or nil.
func (zsl *skiplist) first() *zslNode { return zsl.header.level[0].forward }

// removeRange unlinks the nodes of 1-based ranks [start, end] and calls fn
// for each, in order.
func (zsl *skiplist) removeRange(start, end int, fn func(x *zslNode)) {
	var update [zslMaxLevel]*zslNode
	n := &zsl.header
	traversed := 0
	for i := zsl.level - 1; i >= 0; i-- {
		for n.level[i].forward != nil && traversed+n.level[i].span < start {
			traversed += n.level[i].span
			n = n.level[i].forward
		}
		update[i] = n
	}
	traversed++
	x := n.level[0].forward
	for x != nil && traversed <= end {
		next := x.level[0].forward
		zsl.unlink(x, &update)
		fn(x)
		traversed++
		x = next
	}
}
