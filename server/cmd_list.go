package server

import (
	"time"

	"github.com/embercache/ember/store"
)

// List commands, blocking pops included (Redis's t_list.c).
//
// Journal records: pushes emit LPUSH/RPUSH with the elements (the X forms
// too: they only act on an existing list, where the plain form does the
// same); pops emit LPOP/RPOP with the count actually popped (none for a
// single element); LMOVE, RPOPLPUSH and BLMOVE emit LMOVE with explicit
// sides; LSET, LINSERT, LREM and LTRIM emit themselves as given
// (deterministic given the list). Blocking commands served later emit the
// same records as their non-blocking forms, in the journal position of the
// write that fed them. Nothing is emitted when nothing changed.
//
// Every write that can make a list non-empty calls signalReady, so clients
// blocked on the key are served before the command's locks are released.

// Journal record names and keywords.
var listWords = struct {
	lpush, rpush, lpop, rpop, lmove, lset, linsert, lrem, ltrim, left, right, before, after []byte
}{
	lpush:   []byte("LPUSH"),
	rpush:   []byte("RPUSH"),
	lpop:    []byte("LPOP"),
	rpop:    []byte("RPOP"),
	lmove:   []byte("LMOVE"),
	lset:    []byte("LSET"),
	linsert: []byte("LINSERT"),
	lrem:    []byte("LREM"),
	ltrim:   []byte("LTRIM"),
	left:    []byte("LEFT"),
	right:   []byte("RIGHT"),
	before:  []byte("BEFORE"),
	after:   []byte("AFTER"),
}

// listFill returns list-max-listpack-size, the node bound pushes apply.
func listFill(tx *store.Tx) int64 { return tx.Store().Limits().ListMaxListpackSize.Load() }

// asList returns e's list; ok is false (and WRONGTYPE is replied to c) when
// e holds another type. A nil e gives a nil list.
func asList(c *Client, e *store.Entry) (*store.List, bool) {
	if e == nil {
		return nil, true
	}
	if e.Kind() != store.KindList {
		c.WriteError(errWrongType)
		return nil, false
	}
	return e.Obj().(*store.List), true
}

// openList locks key's shard (for writing if write) and looks its list up,
// handling what every single-key list command shares: another type is
// answered WRONGTYPE, a missing key with missing(c). It returns the entry
// and its list only when the key holds a list. The caller unlocks c.tx in
// every case.
func openList(c *Client, key []byte, write bool, missing func(c *Client)) (*store.Entry, *store.List) {
	tx := c.tx
	tx.LockKey(c.db, key, write)
	var e *store.Entry
	if write {
		e = tx.Lookup(key)
	} else {
		e = tx.LookupRead(key)
	}
	l, ok := asList(c, e)
	if ok && l == nil {
		missing(c)
	}
	return e, l
}

// Replies for a missing key.
func writeZero(c *Client)       { c.WriteInt(0) }
func writeEmptyArray(c *Client) { c.WriteArray(0) }
func writeNoSuchKey(c *Client)  { c.WriteError(errNoSuchKey) }

// popSide names a list end for journal records.
func popSide(head bool) []byte {
	if head {
		return listWords.left
	}
	return listWords.right
}

// parseSide parses LEFT or RIGHT (LMOVE, BLMOVE, LMPOP) as Redis's
// getListPositionFromObjectOrReply does, replying with the syntax error.
func parseSide(c *Client, arg []byte) (head, ok bool) {
	switch {
	case eqFold(arg, "left"):
		return true, true
	case eqFold(arg, "right"):
		return false, true
	}
	c.WriteError(errSyntax)
	return false, false
}

// parseLong parses an integer argument, replying with msg when it is not
// one (Redis's getLongFromObjectOrReply).
func parseLong(c *Client, arg []byte, msg string) (int64, bool) {
	n, ok := parseInt(arg)
	if !ok {
		c.WriteError(msg)
	}
	return n, ok
}

// parsePositive parses a count that must be >= 0, replying msg when it is
// not an integer or negative (getPositiveLongFromObjectOrReply).
func parsePositive(c *Client, arg []byte, msg string) (int64, bool) {
	n, ok := parseInt(arg)
	if !ok || n < 0 {
		c.WriteError(msg)
		return 0, false
	}
	return n, true
}

// ---- pushes ----

// LPUSH key element [element ...]
func cmdLpush(c *Client, args [][]byte) { pushGeneric(c, args, true, false) }

// RPUSH key element [element ...]
func cmdRpush(c *Client, args [][]byte) { pushGeneric(c, args, false, false) }

// LPUSHX key element [element ...]
func cmdLpushx(c *Client, args [][]byte) { pushGeneric(c, args, true, true) }

// RPUSHX key element [element ...]
func cmdRpushx(c *Client, args [][]byte) { pushGeneric(c, args, false, true) }

// pushGeneric pushes args[2:] one by one at the head or the tail, creating
// the list unless onlyExisting (the X forms), and replies the new length.
func pushGeneric(c *Client, args [][]byte, head, onlyExisting bool) {
	key := args[1]
	tx := c.tx
	tx.LockKey(c.db, key, true)
	e := tx.Lookup(key)
	l, ok := asList(c, e)
	if !ok {
		tx.Unlock()
		return
	}
	if l == nil {
		if onlyExisting {
			tx.Unlock()
			c.WriteInt(0)
			return
		}
		l = store.NewList()
		e = tx.PutIn(c.db, key, store.KindList, nil, l, 0)
	}
	before := e.Size()
	l.Push(args[2:], head, listFill(tx))
	tx.Resized(e, before)
	n := l.Len()
	if tx.Journaling() {
		name := listWords.rpush
		if head {
			name = listWords.lpush
		}
		emitWithArgs(tx, c.db, name, key, args[2:])
	}
	c.signalReady(c.db, key)
	tx.Unlock()
	c.WriteInt(int64(n))
}

// emitWithArgs journals name key rest... in db.
func emitWithArgs(tx *store.Tx, db *store.DB, name, key []byte, rest [][]byte) {
	var stack [16][]byte
	rec := append(stack[:0], name, key)
	rec = append(rec, rest...)
	tx.EmitIn(db, rec...)
}

// ---- pops ----

// LPOP key [count]
func cmdLpop(c *Client, args [][]byte) { popGeneric(c, args, true, "lpop") }

// RPOP key [count]
func cmdRpop(c *Client, args [][]byte) { popGeneric(c, args, false, "rpop") }

// popGeneric pops one element (a bulk reply) or, with a count, up to count
// elements (an array; a missing key is a null array, count 0 an empty
// array). name is the command's name for the arity error.
func popGeneric(c *Client, args [][]byte, head bool, name string) {
	if len(args) > 3 {
		c.WriteError(errWrongArity(name))
		return
	}
	count := int64(-1)
	if len(args) == 3 {
		var ok bool
		if count, ok = parsePositive(c, args[2], errValueRange); !ok {
			return
		}
	}
	key := args[1]
	tx := c.tx
	tx.LockKey(c.db, key, true)
	defer tx.Unlock()
	e := tx.Lookup(key)
	l, ok := asList(c, e)
	switch {
	case !ok:
		return
	case l == nil && count < 0:
		c.WriteNull()
		return
	case l == nil:
		c.WriteNullArray()
		return
	case count == 0:
		c.WriteArray(0)
		return
	}
	if count < 0 {
		popWrite(tx, c.db, c, e, key, head, 1, false)
	} else {
		popWrite(tx, c.db, c, e, key, head, count, true)
	}
}

// popWrite pops up to count elements of the list in e (key in db, locked
// by tx) and writes them to target: as an array when asArray, else the
// single element as a bulk. It journals the pop, deletes the key when the
// list empties, and returns how many it popped.
func popWrite(tx *store.Tx, db *store.DB, target *Client, e *store.Entry, key []byte, head bool, count int64, asArray bool) int {
	l := e.Obj().(*store.List)
	n := l.Len()
	if count < int64(n) {
		n = int(count)
	}
	before := e.Size()
	if asArray {
		target.WriteArray(n)
	}
	for i := 0; i < n; i++ {
		var v []byte
		if head {
			v, _ = l.PopHead()
		} else {
			v, _ = l.PopTail()
		}
		target.WriteBulk(v)
	}
	if tx.Journaling() {
		name := listWords.rpop
		if head {
			name = listWords.lpop
		}
		if asArray {
			tx.EmitIn(db, name, key, tx.Int(int64(n)))
		} else {
			tx.EmitIn(db, name, key)
		}
	}
	tx.ResizedIn(db, e, before) // before any delete: it unaccounts the current size
	if l.Len() == 0 {
		tx.DeleteIn(db, key)
	}
	return n
}

// ---- reads ----

// LLEN key
func cmdLlen(c *Client, args [][]byte) {
	if _, l := openList(c, args[1], false, writeZero); l != nil {
		c.WriteInt(int64(l.Len()))
	}
	c.tx.Unlock()
}

// LINDEX key index
func cmdLindex(c *Client, args [][]byte) {
	_, l := openList(c, args[1], false, (*Client).WriteNull)
	defer c.tx.Unlock()
	if l == nil {
		return
	}
	i, ok := parseLong(c, args[2], errNotInteger)
	if !ok {
		return
	}
	if v, found := l.Index(clampIndex(i)); found {
		c.WriteBulk(v)
	} else {
		c.WriteNull()
	}
}

// clampIndex narrows an int64 index to int without changing whether it is
// in range (lists hold fewer than 2^62 elements).
func clampIndex(i int64) int {
	const lim = 1 << 62
	switch {
	case i > lim:
		return lim
	case i < -lim:
		return -lim
	}
	return int(i)
}

// listRange normalises LRANGE/LTRIM's start and stop for a list of n
// elements as Redis does; ok is false when the range is empty.
func listRange(start, stop int64, n int) (int, int, bool) {
	ln := int64(n)
	if start < 0 {
		start += ln
	}
	if stop < 0 {
		stop += ln
	}
	if start < 0 {
		start = 0
	}
	if start > stop || start >= ln {
		return 0, 0, false
	}
	if stop >= ln {
		stop = ln - 1
	}
	return int(start), int(stop), true
}

// LRANGE key start stop
func cmdLrange(c *Client, args [][]byte) {
	start, ok := parseLong(c, args[2], errNotInteger)
	if !ok {
		return
	}
	stop, ok := parseLong(c, args[3], errNotInteger)
	if !ok {
		return
	}
	_, l := openList(c, args[1], false, writeEmptyArray)
	defer c.tx.Unlock()
	if l == nil {
		return
	}
	from, to, nonEmpty := listRange(start, stop, l.Len())
	if !nonEmpty {
		c.WriteArray(0)
		return
	}
	c.WriteArray(to - from + 1)
	l.Range(from, to, c.WriteBulk)
}

// LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]
func cmdLpos(c *Client, args [][]byte) {
	rank, count, maxlen := int64(1), int64(-1), int64(0)
	for i := 3; i < len(args); i++ {
		more := i+1 < len(args)
		var ok bool
		switch {
		case eqFold(args[i], "rank") && more:
			i++
			if rank, ok = parseLong(c, args[i], errNotInteger); !ok {
				return
			}
			if rank == 0 {
				c.WriteError(errLposRankZero)
				return
			}
		case eqFold(args[i], "count") && more:
			i++
			if count, ok = parsePositive(c, args[i], errLposCountNeg); !ok {
				return
			}
		case eqFold(args[i], "maxlen") && more:
			i++
			if maxlen, ok = parsePositive(c, args[i], errLposMaxlenNeg); !ok {
				return
			}
		default:
			c.WriteError(errSyntax)
			return
		}
	}
	fromTail := rank < 0
	if fromTail {
		rank = -rank // -MinInt64 stays negative, as in Redis: every match qualifies
	}
	missing := (*Client).WriteNull
	if count != -1 {
		missing = writeEmptyArray
	}
	_, l := openList(c, args[1], false, missing)
	defer c.tx.Unlock()
	if l == nil {
		return
	}
	elem := args[2]
	n := int64(l.Len())
	var index, matches int64
	found := int64(-1)
	var hits []int64 // COUNT's matches, bounded by the list's length
	visit := func(v []byte) bool {
		if maxlen != 0 && index >= maxlen {
			return false
		}
		if string(v) == string(elem) {
			matches++
			pos := index
			if fromTail {
				pos = n - index - 1
			}
			if matches >= rank {
				if count == -1 {
					found = pos
					return false
				}
				hits = append(hits, pos)
				if count != 0 && matches-rank+1 >= count {
					return false
				}
			}
		}
		index++
		return true
	}
	if fromTail {
		l.EachReverse(visit)
	} else {
		l.Each(visit)
	}
	if count == -1 {
		if found >= 0 {
			c.WriteInt(found)
		} else {
			c.WriteNull()
		}
		return
	}
	c.WriteArray(len(hits))
	for _, h := range hits {
		c.WriteInt(h)
	}
}

// ---- changes in place ----

// LSET key index element
func cmdLset(c *Client, args [][]byte) {
	key := args[1]
	tx := c.tx
	e, l := openList(c, key, true, writeNoSuchKey)
	defer tx.Unlock()
	if l == nil {
		return
	}
	i, ok := parseLong(c, args[2], errNotInteger)
	if !ok {
		return
	}
	before := e.Size()
	if !l.Set(clampIndex(i), args[3], listFill(tx)) {
		c.WriteError(errIndexOutOfRange)
		return
	}
	tx.Resized(e, before)
	if tx.Journaling() {
		tx.Emit(listWords.lset, key, args[2], args[3])
	}
	c.WriteOK()
}

// LINSERT key BEFORE|AFTER pivot element
func cmdLinsert(c *Client, args [][]byte) {
	var after bool
	switch {
	case eqFold(args[2], "after"):
		after = true
	case eqFold(args[2], "before"):
	default:
		c.WriteError(errSyntax)
		return
	}
	key := args[1]
	tx := c.tx
	e, l := openList(c, key, true, writeZero)
	defer tx.Unlock()
	if l == nil {
		return
	}
	before := e.Size()
	if !l.Insert(args[3], args[4], after, listFill(tx)) {
		c.WriteInt(-1)
		return
	}
	tx.Resized(e, before)
	if tx.Journaling() {
		where := listWords.before
		if after {
			where = listWords.after
		}
		tx.Emit(listWords.linsert, key, where, args[3], args[4])
	}
	c.WriteInt(int64(l.Len()))
}

// LREM key count element
func cmdLrem(c *Client, args [][]byte) {
	count, ok := parseLong(c, args[2], errNotInteger)
	if !ok {
		return
	}
	key := args[1]
	tx := c.tx
	e, l := openList(c, key, true, writeZero)
	defer tx.Unlock()
	if l == nil {
		return
	}
	before := e.Size()
	n := l.Remove(args[3], clampIndex(count), listFill(tx))
	if n > 0 {
		if tx.Journaling() {
			tx.Emit(listWords.lrem, key, args[2], args[3])
		}
		tx.Resized(e, before)
		if l.Len() == 0 {
			tx.Delete(key)
		}
	}
	c.WriteInt(int64(n))
}

// LTRIM key start stop
func cmdLtrim(c *Client, args [][]byte) {
	start, ok := parseLong(c, args[2], errNotInteger)
	if !ok {
		return
	}
	stop, ok := parseLong(c, args[3], errNotInteger)
	if !ok {
		return
	}
	key := args[1]
	tx := c.tx
	e, l := openList(c, key, true, (*Client).WriteOK)
	defer tx.Unlock()
	if l == nil {
		return
	}
	from, to, nonEmpty := listRange(start, stop, l.Len())
	switch {
	case !nonEmpty:
		tx.Delete(key)
	case from == 0 && to == l.Len()-1:
		c.WriteOK() // nothing to trim
		return
	default:
		before := e.Size()
		l.Trim(from, to)
		tx.Resized(e, before)
	}
	if tx.Journaling() {
		tx.Emit(listWords.ltrim, key, args[2], args[3])
	}
	c.WriteOK()
}

// ---- moves ----

// LMOVE source destination LEFT|RIGHT LEFT|RIGHT
func cmdLmove(c *Client, args [][]byte) {
	from, ok := parseSide(c, args[3])
	if !ok {
		return
	}
	to, ok := parseSide(c, args[4])
	if !ok {
		return
	}
	moveGeneric(c, args[1], args[2], from, to)
}

// RPOPLPUSH source destination
func cmdRpoplpush(c *Client, args [][]byte) { moveGeneric(c, args[1], args[2], false, true) }

// moveGeneric runs LMOVE: a missing source is a null reply.
func moveGeneric(c *Client, src, dst []byte, from, to bool) {
	tx := c.tx
	tx.Begin(c.db, true)
	tx.Key(src)
	tx.Key(dst)
	tx.Lock()
	defer tx.Unlock()
	e := tx.Lookup(src)
	switch _, ok := asList(c, e); {
	case !ok:
		return
	case e == nil:
		c.WriteNull()
		return
	}
	moveWrite(tx, c.db, c, c, e, src, dst, from, to)
}

// moveWrite moves one element from the list in srcEntry (src, in db) to
// dst's list, creating it; it replies the element to target, or WRONGTYPE
// when dst holds another type (moving nothing). It journals LMOVE and
// signals dst through sink.
func moveWrite(tx *store.Tx, db *store.DB, target, sink *Client, srcEntry *store.Entry, src, dst []byte, from, to bool) {
	de := tx.LookupIn(db, dst)
	dl, ok := asList(target, de)
	if !ok {
		return
	}
	sl := srcEntry.Obj().(*store.List)
	before := srcEntry.Size()
	var v []byte
	if from {
		v, _ = sl.PopHead()
	} else {
		v, _ = sl.PopTail()
	}
	v = tx.Bytes(v) // the push may reuse the popped bytes' space
	if string(src) != string(dst) {
		tx.ResizedIn(db, srcEntry, before)
		if sl.Len() == 0 {
			tx.DeleteIn(db, src)
		}
		if dl == nil {
			dl = store.NewList()
			de = tx.PutIn(db, dst, store.KindList, nil, dl, 0)
		}
		before = de.Size()
	} // else a rotation: the list (and its TTL) stays, even if it had one element
	if to {
		dl.PushHead(v, listFill(tx))
	} else {
		dl.PushTail(v, listFill(tx))
	}
	tx.ResizedIn(db, de, before)
	if tx.Journaling() {
		tx.EmitIn(db, listWords.lmove, src, dst, popSide(from), popSide(to))
	}
	sink.signalReady(db, dst)
	target.WriteBulk(v)
}

// LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]
func cmdLmpop(c *Client, args [][]byte) {
	keys, head, count, ok := parseMpop(c, args, 1)
	if !ok {
		return
	}
	tx := c.tx
	beginKeys(tx, c.db, keys, true)
	defer tx.Unlock()
	if !popFirst(tx, c, keys, head, count, true) {
		c.WriteNullArray()
	}
}

// parseMpop parses [B]LMPOP's numkeys key... LEFT|RIGHT [COUNT count],
// numkeys being args[at], with Redis's errors and their order.
func parseMpop(c *Client, args [][]byte, at int) (keys [][]byte, head bool, count int64, ok bool) {
	return parseMpopArgs(c, args, at, "right", "left")
}

// parseMpopArgs parses the numkeys key... <side> [COUNT n] tail of LMPOP,
// BLMPOP, ZMPOP and BZMPOP from args[at] (numkeys); the side is either
// word, and second reports whether it was the second one. Errors are
// Redis's, in Redis's order.
func parseMpopArgs(c *Client, args [][]byte, at int, first, second string) (keys [][]byte, isSecond bool, count int64, ok bool) {
	numkeys, isInt := parseInt(args[at])
	if !isInt || numkeys < 1 {
		c.WriteError(errNumkeysPositive)
		return nil, false, 0, false
	}
	if numkeys >= int64(len(args)-at-1) {
		c.WriteError(errSyntax) // no room left for the side
		return nil, false, 0, false
	}
	whereAt := at + int(numkeys) + 1
	switch w := args[whereAt]; {
	case eqFold(w, first):
	case eqFold(w, second):
		isSecond = true
	default:
		c.WriteError(errSyntax)
		return nil, false, 0, false
	}
	count = -1
	for i := whereAt + 1; i < len(args); i++ {
		if count == -1 && eqFold(args[i], "count") && i+1 < len(args) {
			i++
			n, isInt := parseInt(args[i])
			if !isInt || n < 1 {
				c.WriteError(errCountGreater0)
				return nil, false, 0, false
			}
			count = n
			continue
		}
		c.WriteError(errSyntax)
		return nil, false, 0, false
	}
	if count == -1 {
		count = 1
	}
	return args[at+1 : whereAt], isSecond, count, true
}

// popFirst pops from the first non-empty list of keys, replying
// [key, [elements]] (asArray: LMPOP, BLMPOP) or [key, element] (BLPOP,
// BRPOP: count is 1); it reports false (replying nothing) when every key
// is missing, and true after replying WRONGTYPE for a key of another type.
func popFirst(tx *store.Tx, c *Client, keys [][]byte, head bool, count int64, asArray bool) bool {
	for _, k := range keys {
		e := tx.Lookup(k)
		if _, ok := asList(c, e); !ok {
			return true
		}
		if e != nil {
			popKeyed(tx, c.db, c, e, k, head, count, asArray)
			return true
		}
	}
	return false
}

// popKeyed is popWrite's reply preceded by the key, in a two-element array.
func popKeyed(tx *store.Tx, db *store.DB, target *Client, e *store.Entry, key []byte, head bool, count int64, asArray bool) {
	target.WriteArray(2)
	target.WriteBulk(key)
	popWrite(tx, db, target, e, key, head, count, asArray)
}

// ---- blocking ----

// writeListTimeout is the reply of a list command that timed out (or was
// unblocked with TIMEOUT): a null array, even for BLMOVE, as in Redis.
func writeListTimeout(c *Client) { c.WriteNullArray() }

// copyKeys copies keys for a waiter (args alias the read buffer).
func copyKeys(keys [][]byte) [][]byte {
	n := 0
	for _, k := range keys {
		n += len(k)
	}
	buf := make([]byte, 0, n)
	out := make([][]byte, len(keys))
	for i, k := range keys {
		buf = append(buf, k...)
		out[i] = buf[len(buf)-len(k) : len(buf) : len(buf)]
	}
	return out
}

// BLPOP key [key ...] timeout
func cmdBlpop(c *Client, args [][]byte) { blockingPop(c, args, true) }

// BRPOP key [key ...] timeout
func cmdBrpop(c *Client, args [][]byte) { blockingPop(c, args, false) }

// blockingPop runs BLPOP and BRPOP.
func blockingPop(c *Client, args [][]byte, head bool) {
	timeout, ok := BlockTimeout(c, args[len(args)-1])
	if !ok {
		return
	}
	popOrBlock(c, args[1:len(args)-1], head, 1, false, timeout)
}

// BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]
func cmdBlmpop(c *Client, args [][]byte) {
	keys, head, count, ok := parseMpop(c, args, 2)
	if !ok {
		return
	}
	timeout, ok := BlockTimeout(c, args[1])
	if !ok {
		return
	}
	popOrBlock(c, keys, head, count, true, timeout)
}

// popOrBlock pops from the first non-empty list of keys (see popFirst), or
// blocks until one of them gets elements; the client is then served from
// that key.
func popOrBlock(c *Client, keys [][]byte, head bool, count int64, asArray bool, timeout time.Duration) {
	tx := c.tx
	beginKeys(tx, c.db, keys, true)
	if popFirst(tx, c, keys, head, count, asArray) {
		tx.Unlock()
		return
	}
	c.block(tx, &Waiter{
		DB:        c.db,
		Keys:      copyKeys(keys),
		ReadyOnly: true,
		Attempt: func(tx *store.Tx, w *Waiter, sink *Client) bool {
			e := tx.LookupIn(w.DB, w.Ready)
			if e == nil || e.Kind() != store.KindList {
				return false
			}
			popKeyed(tx, w.DB, w.C, e, w.Ready, head, count, asArray)
			return true
		},
		OnTimeout: writeListTimeout,
	}, timeout)
}

// BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout
func cmdBlmove(c *Client, args [][]byte) {
	from, ok := parseSide(c, args[3])
	if !ok {
		return
	}
	to, ok := parseSide(c, args[4])
	if !ok {
		return
	}
	blockingMove(c, args[1], args[2], from, to, args[5])
}

// BRPOPLPUSH source destination timeout
func cmdBrpoplpush(c *Client, args [][]byte) {
	blockingMove(c, args[1], args[2], false, true, args[3])
}

// blockingMove runs LMOVE, or blocks until the source gets an element.
// Served later, a destination of another type answers WRONGTYPE and leaves
// the element in the source, as Redis 7.0 does.
func blockingMove(c *Client, src, dst []byte, from, to bool, timeoutArg []byte) {
	timeout, ok := BlockTimeout(c, timeoutArg)
	if !ok {
		return
	}
	tx := c.tx
	tx.Begin(c.db, true)
	tx.Key(src)
	tx.Key(dst)
	tx.Lock()
	e := tx.Lookup(src)
	if _, ok := asList(c, e); !ok {
		tx.Unlock()
		return
	}
	if e != nil {
		moveWrite(tx, c.db, c, c, e, src, dst, from, to)
		tx.Unlock()
		return
	}
	keys := copyKeys([][]byte{src, dst})
	c.block(tx, &Waiter{
		DB:        c.db,
		Keys:      keys[:1],
		Also:      keys[1:],
		ReadyOnly: true,
		Attempt: func(tx *store.Tx, w *Waiter, sink *Client) bool {
			e := tx.LookupIn(w.DB, w.Ready)
			if e == nil || e.Kind() != store.KindList {
				return false
			}
			moveWrite(tx, w.DB, w.C, sink, e, w.Ready, w.Also[0], from, to)
			return true
		},
		OnTimeout: writeListTimeout,
		OnNoBlock: (*Client).WriteNull,
	}, timeout)
}

// CLIENT UNBLOCK client-id [TIMEOUT | ERROR]
func cmdClientUnblock(c *Client, args [][]byte) {
	if len(args) > 4 {
		c.WriteError(errSubcommandSyntax(args))
		return
	}
	asError := false
	if len(args) == 4 {
		switch {
		case eqFold(args[3], "timeout"):
		case eqFold(args[3], "error"):
			asError = true
		default:
			c.WriteError(errUnblockReason)
			return
		}
	}
	id, ok := parseLong(c, args[2], errNotInteger)
	if !ok {
		return
	}
	if t := c.srv.clientByID(id); t != nil && t.unblock(asError) {
		c.WriteInt(1)
	} else {
		c.WriteInt(0)
	}
}
