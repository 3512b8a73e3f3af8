package server

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"
	"unsafe"

	"github.com/embercache/ember/store"
)

// Sorted set commands, blocking pops included (Redis's t_zset.c).
//
// Replies follow Redis 7: WITHSCORES answers a flat member/score array in
// RESP2 and an array of [member, score] pairs in RESP3 (ZRANGE, ZUNION,
// ZRANDMEMBER, ZPOPMIN with a count ...); scores are doubles (%.17g, a ','
// frame in RESP3), except in ZSCAN, which answers bulk strings.
//
// Journal records: ZADD and ZINCRBY emit "ZADD key score member ..." with
// the resulting scores of the members they changed (INCR, GT and LT are
// resolved); ZREM and the pops emit "ZREM key member ..." naming what was
// removed; ZREMRANGEBY* emit the ascending ranks they removed as
// "ZREMRANGEBYRANK key start stop"; the *STORE commands emit the
// destination's final content, "DEL dst" (when it existed) then "ZADD dst
// ...". Long records are split into batches. Nothing is emitted when
// nothing changed.

// Journal words.
var (
	zwZADD            = []byte("ZADD")
	zwZREM            = []byte("ZREM")
	zwZREMRANGEBYRANK = []byte("ZREMRANGEBYRANK")
)

// zjournalBatch is the most members one journal record carries.
const zjournalBatch = 256

// zjournal collects one key's ZADD or ZREM record and emits it in batches.
// Its zero value (not journaling) does nothing.
type zjournal struct {
	tx     *store.Tx
	db     *store.DB
	name   []byte
	key    []byte
	scores bool
	buf    []byte
	ends   []int // end of each score (if any) and member in buf
	args   [][]byte
}

// newZjournal starts a ZADD record (scores true) or a ZREM record of key;
// it returns nil when the journal has no subscribers.
func newZjournal(tx *store.Tx, db *store.DB, key []byte, scores bool) *zjournal {
	if !tx.Journaling() {
		return nil
	}
	name := zwZREM
	if scores {
		name = zwZADD
	}
	return &zjournal{tx: tx, db: db, name: name, key: key, scores: scores}
}

// add records a member (and its score, for ZADD).
func (j *zjournal) add(member []byte, score float64) {
	if j == nil {
		return
	}
	if j.scores {
		j.buf = formatDouble(j.buf, score)
		j.ends = append(j.ends, len(j.buf))
	}
	j.buf = append(j.buf, member...)
	j.ends = append(j.ends, len(j.buf))
	per := 1
	if j.scores {
		per = 2
	}
	if len(j.ends) >= zjournalBatch*per {
		j.flush()
	}
}

// flush emits what was collected.
func (j *zjournal) flush() {
	if j == nil || len(j.ends) == 0 {
		return
	}
	j.args = append(j.args[:0], j.name, j.key)
	start := 0
	for _, end := range j.ends {
		j.args = append(j.args, j.buf[start:end])
		start = end
	}
	j.tx.EmitIn(j.db, j.args...)
	j.buf, j.ends = j.buf[:0], j.ends[:0]
}

// zsetWriteHeader starts a reply of n members, with scores if ws.
func zsetWriteHeader(c *Client, n int, ws bool) {
	if ws && !c.resp3 {
		c.WriteArray(2 * n)
	} else {
		c.WriteArray(n)
	}
}

// zsetWriteMember writes one member of a reply started by zsetWriteHeader.
func zsetWriteMember(c *Client, m []byte, s float64, ws bool) {
	if ws && c.resp3 {
		c.WriteArray(2)
	}
	c.WriteBulk(m)
	if ws {
		c.WriteDouble(s)
	}
}

// zsetLookup finds key for a command that reads it (counting a hit or a
// miss), answering WRONGTYPE for another kind. ok is false when it
// replied.
func zsetLookup(c *Client, key []byte) (z store.ZSet, exists, ok bool) {
	e := c.tx.LookupRead(key)
	if e == nil {
		return z, false, true
	}
	if e.Kind() != store.KindZSet {
		c.WriteError(errWrongType)
		return z, false, false
	}
	return store.ZSetOf(e), true, true
}

// ZADD key [NX | XX] [GT | LT] [CH] [INCR] score member [score member ...]
func cmdZadd(c *Client, args [][]byte) { zaddGeneric(c, args, 0) }

// ZINCRBY key increment member
func cmdZincrby(c *Client, args [][]byte) { zaddGeneric(c, args, store.ZAddIncr) }

// zaddGeneric is ZADD and ZINCRBY (which is ZADD INCR, options included,
// as in Redis). Every score is parsed before anything changes.
func zaddGeneric(c *Client, args [][]byte, f store.ZAddFlags) {
	i := 2
	ch := false
opts:
	for ; i < len(args); i++ {
		switch a := args[i]; {
		case eqFold(a, "nx"):
			f |= store.ZAddNX
		case eqFold(a, "xx"):
			f |= store.ZAddXX
		case eqFold(a, "ch"):
			ch = true
		case eqFold(a, "incr"):
			f |= store.ZAddIncr
		case eqFold(a, "gt"):
			f |= store.ZAddGT
		case eqFold(a, "lt"):
			f |= store.ZAddLT
		default:
			break opts
		}
	}
	rest := len(args) - i
	if rest%2 != 0 || rest == 0 {
		c.WriteError(errSyntax)
		return
	}
	switch {
	case f&store.ZAddNX != 0 && f&store.ZAddXX != 0:
		c.WriteError(errZaddXXNX)
		return
	case f&store.ZAddNX != 0 && f&(store.ZAddGT|store.ZAddLT) != 0,
		f&store.ZAddGT != 0 && f&store.ZAddLT != 0:
		c.WriteError(errGTLTNX)
		return
	case f&store.ZAddIncr != 0 && rest > 2:
		c.WriteError(errZaddIncrPair)
		return
	}
	for k := i; k < len(args); k += 2 {
		if _, ok := store.ParseScore(args[k]); !ok {
			c.WriteError(errNotFloat)
			return
		}
	}
	pairs := args[i:]
	key := args[1]
	incr := f&store.ZAddIncr != 0
	tx := c.tx
	tx.LockKey(c.db, key, true)
	defer tx.Unlock()
	e := tx.Lookup(key)
	if e != nil && e.Kind() != store.KindZSet {
		c.WriteError(errWrongType)
		return
	}
	if e == nil {
		if f&store.ZAddXX != 0 {
			if incr {
				c.WriteNull()
			} else {
				c.WriteInt(0)
			}
			return
		}
		e = tx.NewZSet(c.db, key, len(pairs[1]))
	}
	j := newZjournal(tx, c.db, key, true)
	res := tx.ZAdd(c.db, e, f, pairs, j.add)
	if res.NaN {
		c.WriteError(errZsetNaN)
		return
	}
	j.flush()
	if res.Added > 0 {
		c.signalReady(c.db, key)
	}
	switch {
	case incr && res.Processed > 0:
		c.WriteDouble(res.Score)
	case incr:
		c.WriteNull()
	case ch:
		c.WriteInt(int64(res.Added + res.Updated))
	default:
		c.WriteInt(int64(res.Added))
	}
}

// zsetLockWrite locks key for a command that changes an existing sorted
// set and returns its entry; it replies 0 when the key is missing and
// WRONGTYPE for another kind, returning nil. The caller unlocks c.tx.
func zsetLockWrite(c *Client, key []byte) *store.Entry {
	c.tx.LockKey(c.db, key, true)
	e := c.tx.Lookup(key)
	switch {
	case e == nil:
		c.WriteInt(0)
	case e.Kind() != store.KindZSet:
		c.WriteError(errWrongType)
		return nil
	}
	return e
}

// ZREM key member [member ...]
func cmdZrem(c *Client, args [][]byte) {
	key := args[1]
	tx := c.tx
	defer tx.Unlock()
	e := zsetLockWrite(c, key)
	if e == nil {
		return
	}
	j := newZjournal(tx, c.db, key, false)
	var removed func([]byte)
	if j != nil {
		removed = func(m []byte) { j.add(m, 0) }
	}
	n, _ := tx.ZRem(c.db, e, args[2:], removed)
	j.flush()
	c.WriteInt(int64(n))
}

// ZCARD key
func cmdZcard(c *Client, args [][]byte) {
	c.tx.LockKey(c.db, args[1], false)
	defer c.tx.Unlock()
	if z, _, ok := zsetLookup(c, args[1]); ok {
		c.WriteInt(int64(z.Len()))
	}
}

// ZSCORE key member
func cmdZscore(c *Client, args [][]byte) {
	c.tx.LockKey(c.db, args[1], false)
	defer c.tx.Unlock()
	z, exists, ok := zsetLookup(c, args[1])
	if !ok {
		return
	}
	if exists {
		if s, found := z.Score(args[2]); found {
			c.WriteDouble(s)
			return
		}
	}
	c.WriteNull()
}

// ZMSCORE key member [member ...]
func cmdZmscore(c *Client, args [][]byte) {
	c.tx.LockKey(c.db, args[1], false)
	defer c.tx.Unlock()
	z, exists, ok := zsetLookup(c, args[1])
	if !ok {
		return
	}
	c.WriteArray(len(args) - 2)
	for _, m := range args[2:] {
		if exists {
			if s, found := z.Score(m); found {
				c.WriteDouble(s)
				continue
			}
		}
		c.WriteNull()
	}
}

// ZRANK key member [WITHSCORE]
func cmdZrank(c *Client, args [][]byte) { zrankGeneric(c, args, false, "zrank") }

// ZREVRANK key member [WITHSCORE]
func cmdZrevrank(c *Client, args [][]byte) { zrankGeneric(c, args, true, "zrevrank") }

// zrankGeneric is ZRANK and ZREVRANK, with Redis 7.2's WITHSCORE: a
// [rank, score] reply, and a null array when there is no such member.
func zrankGeneric(c *Client, args [][]byte, rev bool, name string) {
	if len(args) > 4 {
		c.WriteError(errWrongArity(name))
		return
	}
	ws := false
	if len(args) == 4 {
		if !eqFold(args[3], "withscore") {
			c.WriteError(errSyntax)
			return
		}
		ws = true
	}
	c.tx.LockKey(c.db, args[1], false)
	defer c.tx.Unlock()
	z, exists, ok := zsetLookup(c, args[1])
	if !ok {
		return
	}
	var rank int
	var score float64
	found := false
	if exists {
		rank, score, found = z.Rank(args[2])
	}
	switch {
	case !found && ws:
		c.WriteNullArray()
	case !found:
		c.WriteNull()
	default:
		if rev {
			rank = z.Len() - 1 - rank
		}
		if ws {
			c.WriteArray(2)
		}
		c.WriteInt(int64(rank))
		if ws {
			c.WriteDouble(score)
		}
	}
}

// ZCOUNT key min max
func cmdZcount(c *Client, args [][]byte) { zcountGeneric(c, args, zrangeScore) }

// ZLEXCOUNT key min max
func cmdZlexcount(c *Client, args [][]byte) { zcountGeneric(c, args, zrangeLex) }

// zcountGeneric is ZCOUNT and ZLEXCOUNT.
func zcountGeneric(c *Client, args [][]byte, kind zrangeKind) {
	r, ok := parseZrange(c, kind, args[2], args[3])
	if !ok {
		return
	}
	c.tx.LockKey(c.db, args[1], false)
	defer c.tx.Unlock()
	z, exists, ok := zsetLookup(c, args[1])
	if !ok {
		return
	}
	n := 0
	if exists {
		lo, hi := r.span(z, 0, -1, false)
		n = hi - lo
	}
	c.WriteInt(int64(n))
}

// Range kinds and directions of zrangeGeneric ("auto" ones can still be
// set by an option, as in ZRANGE).
type zrangeKind int

const (
	zrangeAuto zrangeKind = iota
	zrangeRank
	zrangeScore
	zrangeLex
)

type zrangeDir int

const (
	zrangeDirAuto zrangeDir = iota
	zrangeForward
	zrangeReverse
)

// ZRANGE key start stop [BYSCORE | BYLEX] [REV] [LIMIT offset count] [WITHSCORES]
func cmdZrange(c *Client, args [][]byte) { zrangeGeneric(c, args, 1, nil, zrangeAuto, zrangeDirAuto) }

// ZRANGESTORE dst src min max [BYSCORE | BYLEX] [REV] [LIMIT offset count]
func cmdZrangestore(c *Client, args [][]byte) {
	zrangeGeneric(c, args, 2, args[1], zrangeAuto, zrangeDirAuto)
}

// ZREVRANGE key start stop [WITHSCORES]
func cmdZrevrange(c *Client, args [][]byte) {
	zrangeGeneric(c, args, 1, nil, zrangeRank, zrangeReverse)
}

// ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count]
func cmdZrangebyscore(c *Client, args [][]byte) {
	zrangeGeneric(c, args, 1, nil, zrangeScore, zrangeForward)
}

// ZREVRANGEBYSCORE key max min [WITHSCORES] [LIMIT offset count]
func cmdZrevrangebyscore(c *Client, args [][]byte) {
	zrangeGeneric(c, args, 1, nil, zrangeScore, zrangeReverse)
}

// ZRANGEBYLEX key min max [LIMIT offset count]
func cmdZrangebylex(c *Client, args [][]byte) {
	zrangeGeneric(c, args, 1, nil, zrangeLex, zrangeForward)
}

// ZREVRANGEBYLEX key max min [LIMIT offset count]
func cmdZrevrangebylex(c *Client, args [][]byte) {
	zrangeGeneric(c, args, 1, nil, zrangeLex, zrangeReverse)
}

// zrangeGeneric is every ZRANGE form and ZRANGESTORE (dst non-nil):
// options, then the range, then the key, in Redis's order of checks.
func zrangeGeneric(c *Client, args [][]byte, keyIdx int, dst []byte, kind zrangeKind, dir zrangeDir) {
	minIdx, maxIdx := keyIdx+1, keyIdx+2
	ws := false
	offset, limit := int64(0), int64(-1)
	for j := keyIdx + 3; j < len(args); j++ {
		a := args[j]
		switch {
		case dst == nil && eqFold(a, "withscores"):
			ws = true
		case eqFold(a, "limit") && len(args)-j-1 >= 2:
			var ok1, ok2 bool
			offset, ok1 = parseInt(args[j+1])
			if ok1 {
				limit, ok2 = parseInt(args[j+2])
			}
			if !ok1 || !ok2 {
				c.WriteError(errNotInteger)
				return
			}
			j += 2
		case dir == zrangeDirAuto && eqFold(a, "rev"):
			dir = zrangeReverse
		case kind == zrangeAuto && eqFold(a, "bylex"):
			kind = zrangeLex
		case kind == zrangeAuto && eqFold(a, "byscore"):
			kind = zrangeScore
		default:
			c.WriteError(errSyntax)
			return
		}
	}
	if dir == zrangeDirAuto {
		dir = zrangeForward
	}
	if kind == zrangeAuto {
		kind = zrangeRank
	}
	if limit != -1 && kind == zrangeRank {
		c.WriteError(errZrangeLimit)
		return
	}
	if ws && kind == zrangeLex {
		c.WriteError(errZrangeLexScores)
		return
	}
	rev := dir == zrangeReverse
	if rev && kind != zrangeRank {
		minIdx, maxIdx = maxIdx, minIdx
	}
	r, ok := parseZrange(c, kind, args[minIdx], args[maxIdx])
	if !ok {
		return
	}

	key := args[keyIdx]
	tx := c.tx
	if dst != nil {
		tx.Begin(c.db, true)
		tx.Key(dst)
		tx.Key(key)
		tx.Lock()
	} else {
		tx.LockKey(c.db, key, false)
	}
	defer tx.Unlock()
	z, exists, found := zsetLookup(c, key)
	if !found {
		return
	}
	// The result is the ascending ranks [lo, hi), walked downwards if rev.
	lo, hi := 0, 0
	if exists {
		lo, hi = r.span(z, offset, limit, rev)
	}
	if dst != nil {
		zstoreRange(c, dst, z, lo, hi)
		return
	}
	zsetWriteHeader(c, hi-lo, ws)
	emit := func(m []byte, s float64) bool {
		zsetWriteMember(c, m, s, ws)
		return true
	}
	if rev {
		z.Descend(lo, hi, emit)
	} else {
		z.Ascend(lo, hi, emit)
	}
}

// zrangeSpec is a parsed range: of indexes, scores or members.
type zrangeSpec struct {
	kind       zrangeKind
	start, end int64
	score      store.ScoreRange
	lex        store.LexRange
}

// parseZrange parses a range's two bounds, replying with Redis's error and
// returning false when they are invalid.
func parseZrange(c *Client, kind zrangeKind, min, max []byte) (zrangeSpec, bool) {
	r := zrangeSpec{kind: kind}
	ok := true
	switch kind {
	case zrangeRank:
		if r.start, ok = parseInt(min); ok {
			r.end, ok = parseInt(max)
		}
		if !ok {
			c.WriteError(errNotInteger)
		}
	case zrangeScore:
		if r.score, ok = store.ParseScoreRange(min, max); !ok {
			c.WriteError(errMinMaxNotFloat)
		}
	case zrangeLex:
		if r.lex, ok = store.ParseLexRange(min, max); !ok {
			c.WriteError(errMinMaxNotLex)
		}
	}
	return r, ok
}

// span returns the ascending ranks [lo, hi) the range selects in z, after
// LIMIT offset count (0, -1 for none); rev reads indexes from the top.
func (r *zrangeSpec) span(z store.ZSet, offset, limit int64, rev bool) (lo, hi int) {
	switch r.kind {
	case zrangeScore:
		return zscoreSpan(z, &r.score, offset, limit, rev)
	case zrangeLex:
		return zlexSpan(z, &r.lex, offset, limit, rev)
	}
	return zrankSpan(z.Len(), r.start, r.end, rev)
}

// zrankSpan turns ZRANGE's start and stop indexes into ascending ranks.
func zrankSpan(n int, start, end int64, rev bool) (lo, hi int) {
	ln := int64(n)
	if start < 0 {
		start += ln
	}
	if end < 0 {
		end += ln
	}
	if start < 0 {
		start = 0
	}
	if start > end || start >= ln {
		return 0, 0
	}
	if end >= ln {
		end = ln - 1
	}
	if rev {
		return int(ln - 1 - end), int(ln - start)
	}
	return int(start), int(end + 1)
}

// zlimit applies LIMIT offset count to a run of n members: Redis skips
// offset members (a negative offset skips everything), then takes count
// (a negative count takes all).
func zlimit(n int, offset, limit int64) (skip, take int) {
	if offset < 0 || offset >= int64(n) {
		return 0, 0
	}
	take = n - int(offset)
	if limit >= 0 && limit < int64(take) {
		take = int(limit)
	}
	return int(offset), take
}

// zscoreSpan is the ascending rank span of a BYSCORE range with LIMIT.
func zscoreSpan(z store.ZSet, r *store.ScoreRange, offset, limit int64, rev bool) (lo, hi int) {
	a, b := z.ScoreSpan(r)
	skip, take := zlimit(b-a, offset, limit)
	if rev {
		return b - skip - take, b - skip
	}
	return a + skip, a + skip + take
}

// zlexSpan is the ascending rank span of a BYLEX range with LIMIT. Like
// Redis, it skips offset members from where the range starts without
// looking at them, then takes members while they are in range.
func zlexSpan(z store.ZSet, r *store.LexRange, offset, limit int64, rev bool) (lo, hi int) {
	var first int
	if rev {
		first = z.LexLast(r)
	} else {
		first = z.LexFirst(r)
	}
	if first < 0 || offset < 0 {
		return 0, 0
	}
	if rev {
		if offset > int64(first) {
			return 0, 0
		}
		from := first - int(offset)
		n := z.LexRun(from, r, true)
		if limit >= 0 && limit < int64(n) {
			n = int(limit)
		}
		return from - n + 1, from + 1
	}
	if offset >= int64(z.Len()-first) {
		return 0, 0
	}
	from := first + int(offset)
	n := z.LexRun(from, r, false)
	if limit >= 0 && limit < int64(n) {
		n = int(limit)
	}
	return from, from + n
}

// zstoreRange stores ranks [lo, hi) of z under dst (ZRANGESTORE).
func zstoreRange(c *Client, dst []byte, z store.ZSet, lo, hi int) {
	maxLen := 0
	z.Ascend(lo, hi, func(m []byte, _ float64) bool {
		maxLen = max(maxLen, len(m))
		return true
	})
	b := c.tx.NewZSetBuilder(hi-lo, maxLen)
	z.Ascend(lo, hi, func(m []byte, s float64) bool {
		b.Append(m, s)
		return true
	})
	zstoreResult(c, dst, b)
}

// zstoreResult puts a built set under dst (replacing it, TTL included),
// or deletes dst for an empty result, journals and replies the count.
func zstoreResult(c *Client, dst []byte, b *store.ZSetBuilder) {
	tx := c.tx
	n := b.Len()
	existed := tx.Lookup(dst) != nil
	if n == 0 {
		if existed {
			tx.Delete(dst)
			if tx.Journaling() {
				tx.Emit(keysDEL, dst)
			}
		}
		c.WriteInt(0)
		return
	}
	e := tx.PutIn(c.db, dst, store.KindZSet, nil, b.Value(), 0)
	if tx.Journaling() {
		if existed {
			tx.Emit(keysDEL, dst)
		}
		j := newZjournal(tx, c.db, dst, true)
		z := store.ZSetOf(e)
		z.Ascend(0, z.Len(), func(m []byte, s float64) bool {
			j.add(m, s)
			return true
		})
		j.flush()
	}
	c.signalReady(c.db, dst)
	c.WriteInt(int64(n))
}

// ZREMRANGEBYRANK key start stop
func cmdZremrangebyrank(c *Client, args [][]byte) { zremrangeGeneric(c, args, zrangeRank) }

// ZREMRANGEBYSCORE key min max
func cmdZremrangebyscore(c *Client, args [][]byte) { zremrangeGeneric(c, args, zrangeScore) }

// ZREMRANGEBYLEX key min max
func cmdZremrangebylex(c *Client, args [][]byte) { zremrangeGeneric(c, args, zrangeLex) }

// zremrangeGeneric is the ZREMRANGEBY* commands.
func zremrangeGeneric(c *Client, args [][]byte, kind zrangeKind) {
	r, ok := parseZrange(c, kind, args[2], args[3])
	if !ok {
		return
	}
	key := args[1]
	tx := c.tx
	defer tx.Unlock()
	e := zsetLockWrite(c, key)
	if e == nil {
		return
	}
	lo, hi := r.span(store.ZSetOf(e), 0, -1, false)
	if hi > lo {
		if tx.Journaling() {
			tx.Emit(zwZREMRANGEBYRANK, key, tx.Int(int64(lo)), tx.Int(int64(hi-1)))
		}
		tx.ZRemRanks(c.db, e, lo, hi)
	}
	c.WriteInt(int64(hi - lo))
}

// zpopShape says how a pop replies.
type zpopShape struct {
	emitKey bool // the key comes first (BZPOP*, ZMPOP, BZMPOP)
	nested  bool // pairs as [member, score] arrays
	nilNone bool // no key to pop from: null array instead of empty array
}

// ZPOPMIN key [count]
func cmdZpopmin(c *Client, args [][]byte) { zpopMinMax(c, args, false) }

// ZPOPMAX key [count]
func cmdZpopmax(c *Client, args [][]byte) { zpopMinMax(c, args, true) }

func zpopMinMax(c *Client, args [][]byte, max bool) {
	if len(args) > 3 {
		c.WriteError(errSyntax)
		return
	}
	count := int64(-1)
	if len(args) == 3 {
		n, ok := parseInt(args[2])
		if !ok || n < 0 {
			c.WriteError(errValueRange)
			return
		}
		count = n
	}
	tx := c.tx
	tx.LockKey(c.db, args[1], true)
	defer tx.Unlock()
	zpopKeys(c, tx, c.db, args[1:2], max, count, zpopShape{nested: c.resp3 && count != -1})
}

// zpopKeys pops from the first of keys that exists (ZPOPMIN, ZMPOP): it
// answers WRONGTYPE for a key of another kind, an empty (or null) array
// when no key exists, otherwise pops up to count members (-1: one).
func zpopKeys(c *Client, tx *store.Tx, db *store.DB, keys [][]byte, max bool, count int64, shape zpopShape) {
	for _, k := range keys {
		e := tx.LookupIn(db, k)
		if e == nil {
			continue
		}
		if e.Kind() != store.KindZSet {
			c.WriteError(errWrongType)
			return
		}
		if count == 0 {
			c.WriteArray(0)
			return
		}
		zpopFrom(c, tx, db, e, k, max, count, shape)
		return
	}
	if shape.nilNone {
		c.WriteNullArray()
	} else {
		c.WriteArray(0)
	}
}

// zpopFrom pops up to count (-1: one) of the lowest (or highest) members
// of the set in e, replying to c and journaling ZREM.
func zpopFrom(c *Client, tx *store.Tx, db *store.DB, e *store.Entry, key []byte, max bool, count int64, shape zpopShape) {
	z := store.ZSetOf(e)
	if count < 0 {
		count = 1
	}
	n := z.Len()
	if count < int64(n) {
		n = int(count)
	}
	switch {
	case !shape.nested && !shape.emitKey:
		c.WriteArray(2 * n)
	case shape.nested && !shape.emitKey:
		c.WriteArray(n)
	case !shape.nested:
		c.WriteArray(2*n + 1)
		c.WriteBulk(key)
	default:
		c.WriteArray(2)
		c.WriteBulk(key)
		c.WriteArray(n)
	}
	j := newZjournal(tx, db, key, false)
	emit := func(m []byte, s float64) bool {
		if shape.nested {
			c.WriteArray(2)
		}
		c.WriteBulk(m)
		c.WriteDouble(s)
		j.add(m, 0)
		return true
	}
	lo, hi := 0, n
	if max {
		lo, hi = z.Len()-n, z.Len()
		z.Descend(lo, hi, emit)
	} else {
		z.Ascend(lo, hi, emit)
	}
	j.flush()
	tx.ZRemRanks(db, e, lo, hi)
}

// zmpopArgs parses ZMPOP's and BZMPOP's numkeys key... MIN|MAX [COUNT n]
// starting at numkeys (args[at]).
func zmpopArgs(c *Client, args [][]byte, at int) (keys [][]byte, max bool, count int64, ok bool) {
	return parseMpopArgs(c, args, at, "min", "max")
}

// ZMPOP numkeys key [key ...] MIN|MAX [COUNT count]
func cmdZmpop(c *Client, args [][]byte) {
	keys, max, count, ok := zmpopArgs(c, args, 1)
	if !ok {
		return
	}
	tx := c.tx
	beginKeys(tx, c.db, keys, true)
	defer tx.Unlock()
	zpopKeys(c, tx, c.db, keys, max, count, zpopShape{emitKey: true, nested: true, nilNone: true})
}

// BZPOPMIN key [key ...] timeout
func cmdBzpopmin(c *Client, args [][]byte) { bzpopMinMax(c, args, false) }

// BZPOPMAX key [key ...] timeout
func cmdBzpopmax(c *Client, args [][]byte) { bzpopMinMax(c, args, true) }

func bzpopMinMax(c *Client, args [][]byte, max bool) {
	timeout, ok := BlockTimeout(c, args[len(args)-1])
	if !ok {
		return
	}
	zpopBlocking(c, args[1:len(args)-1], max, -1, timeout, zpopShape{emitKey: true})
}

// BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count]
func cmdBzmpop(c *Client, args [][]byte) {
	keys, max, count, ok := zmpopArgs(c, args, 2)
	if !ok {
		return
	}
	timeout, ok := BlockTimeout(c, args[1])
	if !ok {
		return
	}
	zpopBlocking(c, keys, max, count, timeout, zpopShape{emitKey: true, nested: true, nilNone: true})
}

// zpopBlocking pops from the first non-empty set among keys, or blocks
// until one gets members (served by the writer, see blocking.go) or the
// timeout passes (a null array).
func zpopBlocking(c *Client, keys [][]byte, max bool, count int64, timeout time.Duration, shape zpopShape) {
	tx := c.tx
	beginKeys(tx, c.db, keys, true)
	if zpopReady(c, tx, c.db, keys, max, count, shape) {
		tx.Unlock()
		return
	}
	w := &Waiter{
		DB:   c.db,
		Keys: make([][]byte, len(keys)),
		Attempt: func(tx *store.Tx, w *Waiter, _ *Client) bool {
			return zpopReady(w.C, tx, w.DB, w.Keys, max, count, shape)
		},
		OnTimeout: func(c *Client) { c.WriteNullArray() },
	}
	for i, k := range keys {
		w.Keys[i] = append([]byte(nil), k...)
	}
	c.block(tx, w, timeout)
}

// zpopReady pops from the first of keys holding a non-empty set, replying
// to c; it reports false (and replies nothing) when there is none. A key
// of another kind answers WRONGTYPE (and counts as done), as Redis 7.2
// does when it runs a blocked command again.
func zpopReady(c *Client, tx *store.Tx, db *store.DB, keys [][]byte, max bool, count int64, shape zpopShape) bool {
	for _, k := range keys {
		e := tx.LookupIn(db, k)
		if e == nil {
			continue
		}
		if e.Kind() != store.KindZSet {
			c.WriteError(errWrongType)
			return true
		}
		if store.ZSetOf(e).Len() == 0 {
			continue
		}
		zpopFrom(c, tx, db, e, k, max, count, shape)
		return true
	}
	return false
}

// zrandStreamMin is the ZRANDMEMBER count above which the members are
// copied and the reply is written after the lock is released, flushed as
// it goes: a count is the client's choice, the time the lock is held and
// the memory used must not be.
const zrandStreamMin = 1024

// ZRANDMEMBER key [count [WITHSCORES]]
func cmdZrandmember(c *Client, args [][]byte) {
	if len(args) >= 3 {
		l, ok := parseInt(args[2])
		if !ok {
			c.WriteError(errNotInteger)
			return
		}
		if l == math.MinInt64 {
			c.WriteError(errCountRange)
			return
		}
		ws := false
		if len(args) > 4 || (len(args) == 4 && !eqFold(args[3], "withscores")) {
			c.WriteError(errSyntax)
			return
		}
		if len(args) == 4 {
			ws = true
			if l < -math.MaxInt64/2 || l > math.MaxInt64/2 {
				c.WriteError(errOutOfRange)
				return
			}
		}
		zrandmemberCount(c, args[1], l, ws)
		return
	}
	c.tx.LockKey(c.db, args[1], false)
	defer c.tx.Unlock()
	z, exists, ok := zsetLookup(c, args[1])
	if !ok {
		return
	}
	if !exists {
		c.WriteNull()
		return
	}
	m, _ := z.At(rand.IntN(z.Len()))
	c.WriteBulk(m)
}

// zrandmemberCount is ZRANDMEMBER with a count: distinct members for a
// positive count (the whole set, highest first, when it has no more than
// count, as Redis's iteration gives it), count picks with repetitions for
// a negative one.
func zrandmemberCount(c *Client, key []byte, l int64, ws bool) {
	tx := c.tx
	tx.LockKey(c.db, key, false)
	locked := true
	defer func() {
		if locked {
			tx.Unlock()
		}
	}()
	z, exists, ok := zsetLookup(c, key)
	if !ok {
		return
	}
	if !exists || l == 0 {
		c.WriteArray(0)
		return
	}
	size := z.Len()
	if l < 0 || l == 1 {
		count := l
		if count < 0 {
			count = -count
		}
		if count <= zrandStreamMin {
			zsetWriteHeader(c, int(count), ws)
			for ; count > 0; count-- {
				m, s := z.At(rand.IntN(size))
				zsetWriteMember(c, m, s, ws)
			}
			return
		}
		// Copy the set (its size is bounded by memory, the count is not),
		// unlock, and stream the reply.
		var buf []byte
		ends := make([]int, 0, size)
		scores := make([]float64, 0, size)
		z.Ascend(0, size, func(m []byte, s float64) bool {
			buf = append(buf, m...)
			ends = append(ends, len(buf))
			scores = append(scores, s)
			return true
		})
		tx.Unlock()
		locked = false
		if ws && !c.resp3 {
			c.WriteArray(int(min(count*2, math.MaxInt)))
		} else {
			c.WriteArray(int(count))
		}
		for ; count > 0; count-- {
			i := rand.IntN(size)
			start := 0
			if i > 0 {
				start = ends[i-1]
			}
			zsetWriteMember(c, buf[start:ends[i]], scores[i], ws)
			if len(c.out) >= outFlushThreshold {
				if !c.flush() || c.killed.Load() || c.srv.closing.Load() {
					c.closeAfter = true
					return
				}
			}
		}
		return
	}
	count := int(min(l, int64(size)))
	zsetWriteHeader(c, count, ws)
	emit := func(m []byte, s float64) bool {
		zsetWriteMember(c, m, s, ws)
		return true
	}
	if count == size {
		z.Descend(0, size, emit)
		return
	}
	if count*3 > size {
		// Selection sampling: each member is taken with probability
		// needed/remaining.
		need := count
		z.Ascend(0, size, func(m []byte, s float64) bool {
			if rand.IntN(size) < need {
				emit(m, s)
				need--
			}
			size--
			return need > 0
		})
		return
	}
	picked := make(map[int]struct{}, count)
	for len(picked) < count {
		i := rand.IntN(size)
		if _, dup := picked[i]; dup {
			continue
		}
		picked[i] = struct{}{}
		emit(z.At(i))
	}
}

// ZSCAN key cursor [MATCH pattern] [COUNT count]
func cmdZscan(c *Client, args [][]byte) {
	cursor, ok := parseScanCursor(args[2])
	if !ok {
		c.WriteError(errInvalidCursor)
		return
	}
	c.tx.LockKey(c.db, args[1], false)
	defer c.tx.Unlock()
	z, exists, ok := zsetLookup(c, args[1])
	if !ok {
		return
	}
	if !exists {
		c.WriteArray(2)
		c.WriteBulkString("0")
		c.WriteArray(0)
		return
	}
	count, pat, _, ok := parseScanOptions(c, args, 3, false)
	if !ok {
		return
	}
	var items keyList
	var sbuf [32]byte
	next := z.Scan(cursor, count, func(m []byte, s float64) {
		if pat != nil && !globMatch(pat, m, false) {
			return
		}
		items.add(m)
		items.add(formatDouble(sbuf[:0], s))
	})
	c.WriteArray(2)
	var buf [20]byte
	c.WriteBulk(strconv.AppendUint(buf[:0], next, 10))
	items.write(c)
}

// Set operations of ZUNION, ZINTER, ZDIFF and their STORE forms.
type zsetOp int

const (
	zopUnion zsetOp = iota
	zopInter
	zopDiff
)

// zsrc is one input of a set operation: a sorted set, a plain set (every
// member scores 1), or a missing key (empty).
type zsrc struct {
	z      store.ZSet
	e      *store.Entry // nil for a missing key; identity of a key given twice
	isSet  bool
	weight float64
}

func (s *zsrc) len() int {
	switch {
	case s.isSet:
		return s.e.SetLen()
	case s.e != nil:
		return s.z.Len()
	}
	return 0
}

func (s *zsrc) find(m []byte) (float64, bool) {
	switch {
	case s.isSet:
		return 1, s.e.SetHas(m)
	case s.e != nil:
		return s.z.Score(m)
	}
	return 0, false
}

// each calls fn for every member until it returns false; a sorted set is
// walked from its highest member down, as Redis does.
func (s *zsrc) each(fn func(m []byte, score float64) bool) {
	switch {
	case s.isSet:
		it := s.e.SetIter()
		for m, ok := it.Next(); ok; m, ok = it.Next() {
			if !fn(m, 1) {
				return
			}
		}
	case s.e != nil:
		s.z.Descend(0, s.z.Len(), fn)
	}
}

// zaggregate combines scores: SUM (an inf + -inf NaN counts as 0), MIN
// or MAX.
type zaggregate int

const (
	zaggSum zaggregate = iota
	zaggMin
	zaggMax
)

func (a zaggregate) apply(target *float64, v float64) {
	switch a {
	case zaggSum:
		*target += v
		if math.IsNaN(*target) {
			*target = 0
		}
	case zaggMin:
		if v < *target {
			*target = v
		}
	case zaggMax:
		if v > *target {
			*target = v
		}
	}
}

// zresult is a set operation's result, sorted before use.
type zresult struct {
	members []string
	scores  []float64
}

func (r *zresult) add(m string, s float64) {
	r.members = append(r.members, m)
	r.scores = append(r.scores, s)
}

// sort orders the result by score, then member.
func (r *zresult) sort() []int {
	idx := make([]int, len(r.members))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int {
		if c := cmp.Compare(r.scores[a], r.scores[b]); c != 0 {
			return c
		}
		return cmp.Compare(r.members[a], r.members[b])
	})
	return idx
}

// ZUNION numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]
func cmdZunion(c *Client, args [][]byte) { zsetOpGeneric(c, args, nil, 1, zopUnion, false, "zunion") }

// ZINTER numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]
func cmdZinter(c *Client, args [][]byte) { zsetOpGeneric(c, args, nil, 1, zopInter, false, "zinter") }

// ZDIFF numkeys key [key ...] [WITHSCORES]
func cmdZdiff(c *Client, args [][]byte) { zsetOpGeneric(c, args, nil, 1, zopDiff, false, "zdiff") }

// ZINTERCARD numkeys key [key ...] [LIMIT limit]
func cmdZintercard(c *Client, args [][]byte) {
	zsetOpGeneric(c, args, nil, 1, zopInter, true, "zintercard")
}

// ZUNIONSTORE destination numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM|MIN|MAX]
func cmdZunionstore(c *Client, args [][]byte) {
	zsetOpGeneric(c, args, args[1], 2, zopUnion, false, "zunionstore")
}

// ZINTERSTORE destination numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM|MIN|MAX]
func cmdZinterstore(c *Client, args [][]byte) {
	zsetOpGeneric(c, args, args[1], 2, zopInter, false, "zinterstore")
}

// ZDIFFSTORE destination numkeys key [key ...]
func cmdZdiffstore(c *Client, args [][]byte) {
	zsetOpGeneric(c, args, args[1], 2, zopDiff, false, "zdiffstore")
}

// zsetOpGeneric is ZUNION, ZINTER, ZDIFF, ZINTERCARD and the STORE forms
// (dst non-nil). As in Redis, the keys are looked up (WRONGTYPE) before
// the options are parsed.
func zsetOpGeneric(c *Client, args [][]byte, dst []byte, numIdx int, op zsetOp, cardOnly bool, name string) {
	setnum, ok := parseInt(args[numIdx])
	if !ok {
		c.WriteError(errNotInteger)
		return
	}
	if setnum < 1 {
		c.WriteError(errAtLeastOneKey(name))
		return
	}
	if setnum > int64(len(args)-numIdx-1) {
		c.WriteError(errSyntax)
		return
	}
	keys := args[numIdx+1 : numIdx+1+int(setnum)]
	tx := c.tx
	tx.Begin(c.db, dst != nil)
	if dst != nil {
		tx.Key(dst)
	}
	for _, k := range keys {
		tx.Key(k)
	}
	tx.Lock()
	defer tx.Unlock()
	src := make([]zsrc, len(keys))
	for i, k := range keys {
		src[i].weight = 1
		e := tx.LookupRead(k)
		if e == nil {
			continue
		}
		switch e.Kind() {
		case store.KindZSet:
			src[i].z, src[i].e = store.ZSetOf(e), e
		case store.KindSet:
			src[i].isSet, src[i].e = true, e
		default:
			c.WriteError(errWrongType)
			return
		}
	}
	agg := zaggSum
	ws := false
	limit := int64(0)
	for j := numIdx + 1 + int(setnum); j < len(args); {
		remaining := len(args) - j
		a := args[j]
		switch {
		case op != zopDiff && !cardOnly && remaining >= len(src)+1 && eqFold(a, "weights"):
			j++
			for i := range src {
				w, ok := store.ParseScore(args[j])
				if !ok {
					c.WriteError(errWeightNotFloat)
					return
				}
				src[i].weight = w
				j++
			}
		case op != zopDiff && !cardOnly && remaining >= 2 && eqFold(a, "aggregate"):
			switch v := args[j+1]; {
			case eqFold(v, "sum"):
				agg = zaggSum
			case eqFold(v, "min"):
				agg = zaggMin
			case eqFold(v, "max"):
				agg = zaggMax
			default:
				c.WriteError(errSyntax)
				return
			}
			j += 2
		case dst == nil && !cardOnly && eqFold(a, "withscores"):
			ws = true
			j++
		case cardOnly && remaining >= 2 && eqFold(a, "limit"):
			n, ok := parseInt(args[j+1])
			if !ok || n < 0 {
				c.WriteError(errLimitNegative)
				return
			}
			limit = n
			j += 2
		default:
			c.WriteError(errSyntax)
			return
		}
	}
	if op != zopDiff {
		slices.SortStableFunc(src, func(a, b zsrc) int { return cmp.Compare(a.len(), b.len()) })
	}
	var res zresult
	card := int64(0)
	switch op {
	case zopInter:
		if src[0].len() == 0 {
			break
		}
		src[0].each(func(m []byte, s float64) bool {
			score := src[0].weight * s
			if math.IsNaN(score) {
				score = 0
			}
			for j := 1; j < len(src); j++ {
				var v float64
				if src[j].e == src[0].e {
					v = s * src[j].weight
				} else if found, ok := src[j].find(m); ok {
					v = found * src[j].weight
				} else {
					return true
				}
				agg.apply(&score, v)
			}
			if cardOnly {
				card++
				return limit == 0 || card < limit
			}
			res.add(string(m), score)
			return true
		})
	case zopUnion:
		index := make(map[string]int)
		for i := range src {
			src[i].each(func(m []byte, s float64) bool {
				score := src[i].weight * s
				if math.IsNaN(score) {
					score = 0
				}
				if k, seen := index[string(m)]; seen {
					agg.apply(&res.scores[k], score)
				} else {
					ms := string(m)
					index[ms] = len(res.members)
					res.add(ms, score)
				}
				return true
			})
		}
	case zopDiff:
		if src[0].len() == 0 {
			break
		}
		for j := 1; j < len(src); j++ {
			if src[j].e == src[0].e {
				goto done // everything would be removed
			}
		}
		src[0].each(func(m []byte, s float64) bool {
			for j := 1; j < len(src); j++ {
				if _, ok := src[j].find(m); ok {
					return true
				}
			}
			res.add(string(m), s)
			return true
		})
	}
done:
	if cardOnly {
		c.WriteInt(card)
		return
	}
	order := res.sort()
	if dst != nil {
		maxLen := 0
		for _, m := range res.members {
			maxLen = max(maxLen, len(m))
		}
		b := tx.NewZSetBuilder(len(order), maxLen)
		for _, i := range order {
			b.Append(sbytes(res.members[i]), res.scores[i])
		}
		zstoreResult(c, dst, b)
		return
	}
	zsetWriteHeader(c, len(order), ws)
	for _, i := range order {
		zsetWriteMember(c, sbytes(res.members[i]), res.scores[i], ws)
	}
}

// sbytes views s as bytes without copying; they must not be modified.
func sbytes(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }
