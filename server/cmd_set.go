package server

import (
	"math"
	"slices"
	"strconv"

	"github.com/embercache/ember/store"
)

// Set commands (Redis's t_set.c), with the replies of the Redis 7.0
// reference server: SMEMBERS, SINTER, SUNION, SDIFF and SPOP with a count
// answer a RESP3 set, SRANDMEMBER with a count an array, SMISMEMBER an
// array of integers.
//
// Journal records: SADD and SREM journal themselves (canonical name, the
// arguments as sent) when they changed something; SPOP journals what it
// removed as SREM key member..., or DEL key when it popped the whole set;
// SMOVE journals SREM src member and, when the member was new there, SADD
// dst member. The STORE variants journal the destination's final content:
// DEL dst (when it existed) then SADD dst member... (when the result is not
// empty), so replaying needs none of the source keys.
//
// Orders follow Redis: an intset iterates ascending, a hashtable in bucket
// order (unspecified). SINTER walks the smallest set (ties in argument
// order); SUNION, SDIFF and a whole-set SPOP reply from the result set they
// build, which is an intset (ascending) when every member is an integer
// and there are at most set-max-intset-entries of them.

var setWords = struct {
	sadd, srem, del []byte
}{
	sadd: []byte("SADD"),
	srem: []byte("SREM"),
	del:  []byte("DEL"),
}

// setEmit journals the command in args under its canonical name.
func setEmit(tx *store.Tx, name []byte, args [][]byte) {
	sent := args[0]
	args[0] = name
	tx.Emit(args...)
	args[0] = sent
}

// setLookup finds key, counting a keyspace hit or miss when the command
// reads it (Redis's lookupKeyRead; its lookupKeyWrite counts nothing). It
// returns nil when the key is missing; ok is false (after replying
// WRONGTYPE) when it holds another kind.
func setLookup(c *Client, key []byte, read bool) (e *store.Entry, ok bool) {
	if read {
		e = c.tx.LookupRead(key)
	} else {
		e = c.tx.Lookup(key)
	}
	if e != nil && e.Kind() != store.KindSet {
		c.WriteError(errWrongType)
		return nil, false
	}
	return e, true
}

// SADD key member [member ...]
func cmdSadd(c *Client, args [][]byte) {
	tx := c.tx
	key := args[1]
	tx.LockKey(c.db, key, true)
	defer tx.Unlock()
	e, ok := setLookup(c, key, false)
	if !ok {
		return
	}
	added := 0
	if e == nil {
		s := tx.NewSet()
		for _, m := range args[2:] {
			if s.Add(m) {
				added++
			}
		}
		tx.PutSet(key, &s, 0)
	} else {
		before := e.Size()
		added = e.SetAdd(tx.Store().Limits(), args[2:]...)
		tx.Resized(e, before)
	}
	if added > 0 && tx.Journaling() {
		setEmit(tx, setWords.sadd, args)
	}
	c.WriteInt(int64(added))
}

// SREM key member [member ...]
func cmdSrem(c *Client, args [][]byte) {
	tx := c.tx
	key := args[1]
	tx.LockKey(c.db, key, true)
	defer tx.Unlock()
	e, ok := setLookup(c, key, false)
	if !ok {
		return
	}
	if e == nil {
		c.WriteInt(0)
		return
	}
	before := e.Size()
	n := e.SetRemove(args[2:]...)
	tx.Resized(e, before)
	if n > 0 {
		if e.SetLen() == 0 {
			tx.Delete(key)
		}
		if tx.Journaling() {
			setEmit(tx, setWords.srem, args)
		}
	}
	c.WriteInt(int64(n))
}

// setLockRead locks key for reading and looks it up as setLookup does.
// The caller unlocks.
func setLockRead(c *Client, key []byte) (*store.Entry, bool) {
	c.tx.LockKey(c.db, key, false)
	return setLookup(c, key, true)
}

// writeIsMember replies 1 when m is in e's set (e may be nil), else 0.
func writeIsMember(c *Client, e *store.Entry, m []byte) {
	if e != nil && e.SetHas(m) {
		c.WriteInt(1)
	} else {
		c.WriteInt(0)
	}
}

// SCARD key
func cmdScard(c *Client, args [][]byte) {
	defer c.tx.Unlock()
	switch e, ok := setLockRead(c, args[1]); {
	case !ok:
	case e == nil:
		c.WriteInt(0)
	default:
		c.WriteInt(int64(e.SetLen()))
	}
}

// SISMEMBER key member
func cmdSismember(c *Client, args [][]byte) {
	defer c.tx.Unlock()
	if e, ok := setLockRead(c, args[1]); ok {
		writeIsMember(c, e, args[2])
	}
}

// SMISMEMBER key member [member ...]
func cmdSmismember(c *Client, args [][]byte) {
	defer c.tx.Unlock()
	if e, ok := setLockRead(c, args[1]); ok {
		c.WriteArray(len(args) - 2)
		for _, m := range args[2:] {
			writeIsMember(c, e, m)
		}
	}
}

// SMEMBERS key
func cmdSmembers(c *Client, args [][]byte) {
	defer c.tx.Unlock()
	switch e, ok := setLockRead(c, args[1]); {
	case !ok:
	case e == nil:
		c.WriteSet(0)
	default:
		c.WriteSet(e.SetLen())
		writeEntryMembers(c, e)
	}
}

// writeEntryMembers writes the members of e's set (without a header).
func writeEntryMembers(c *Client, e *store.Entry) {
	it := e.SetIter()
	for m, ok := it.Next(); ok; m, ok = it.Next() {
		c.WriteBulk(m)
	}
}

// SMOVE source destination member
func cmdSmove(c *Client, args [][]byte) {
	tx := c.tx
	src, dst, m := args[1], args[2], args[3]
	tx.Begin(c.db, true)
	tx.Key(src)
	tx.Key(dst)
	tx.Lock()
	defer tx.Unlock()
	se := tx.Lookup(src)
	de := tx.Lookup(dst)
	if se == nil {
		c.WriteInt(0)
		return
	}
	if se.Kind() != store.KindSet || (de != nil && de.Kind() != store.KindSet) {
		c.WriteError(errWrongType)
		return
	}
	if se == de {
		if se.SetHas(m) {
			c.WriteInt(1)
		} else {
			c.WriteInt(0)
		}
		return
	}
	before := se.Size()
	removed := se.SetRemove(m)
	tx.Resized(se, before)
	if removed == 0 {
		c.WriteInt(0)
		return
	}
	if se.SetLen() == 0 {
		tx.Delete(src)
	}
	added := true
	if de == nil {
		s := tx.NewSet()
		s.Add(m)
		tx.PutSet(dst, &s, 0)
	} else {
		before = de.Size()
		added = de.SetAdd(tx.Store().Limits(), m) == 1
		tx.Resized(de, before)
	}
	if tx.Journaling() {
		tx.Emit(setWords.srem, src, m)
		if added {
			tx.Emit(setWords.sadd, dst, m)
		}
	}
	c.WriteInt(1)
}

// spopMoveFactor is Redis's SPOP_MOVE_STRATEGY_MUL: when what SPOP leaves
// is at most 1/5 of what it pops, it builds the remainder as a new set
// instead of removing the popped members one by one.
const spopMoveFactor = 5

// SPOP key [count]
func cmdSpop(c *Client, args [][]byte) {
	if len(args) > 3 {
		c.WriteError(errSyntax)
		return
	}
	tx := c.tx
	key := args[1]
	if len(args) == 3 {
		count, ok := parseInt(args[2])
		if !ok || count < 0 {
			c.WriteError(errValueRange)
			return
		}
		spopCount(c, key, count)
		return
	}
	tx.LockKey(c.db, key, true)
	defer tx.Unlock()
	e, ok := setLookup(c, key, false)
	if !ok {
		return
	}
	if e == nil {
		c.WriteNull()
		return
	}
	var buf [20]byte
	m := e.SetRandom(buf[:0]) // a string member stays valid after removal
	before := e.Size()
	e.SetRemove(m)
	tx.Resized(e, before)
	if e.SetLen() == 0 {
		tx.Delete(key)
	}
	if tx.Journaling() {
		tx.Emit(setWords.srem, key, m)
	}
	c.WriteBulk(m)
}

// spopCount is SPOP key count.
func spopCount(c *Client, key []byte, count int64) {
	tx := c.tx
	tx.LockKey(c.db, key, true)
	defer tx.Unlock()
	e, ok := setLookup(c, key, false)
	if !ok {
		return
	}
	if e == nil || count == 0 {
		c.WriteSet(0)
		return
	}
	size := int64(e.SetLen())
	if count >= size {
		writeWholeSet(c, e)
		tx.Delete(key)
		if tx.Journaling() {
			tx.Emit(setWords.del, key)
		}
		return
	}
	journaling := tx.Journaling()
	var rec [][]byte
	if journaling {
		rec = make([][]byte, 0, count+2)
		rec = append(rec, setWords.srem, key)
	}
	c.WriteSet(int(count))
	var buf [20]byte
	remaining := size - count
	before := e.Size()
	if remaining*spopMoveFactor > count {
		for ; count > 0; count-- {
			m := e.SetRandom(buf[:0])
			c.WriteBulk(m)
			if journaling {
				rec = append(rec, tx.Bytes(m))
			}
			e.SetRemove(m)
		}
		tx.Resized(e, before)
	} else {
		// Move the members that stay to a new set; reply with the rest.
		keep := tx.NewSet()
		for ; remaining > 0; remaining-- {
			m := e.SetRandom(buf[:0])
			keep.Add(m)
			e.SetRemove(m)
		}
		tx.Resized(e, before)
		it := e.SetIter()
		for m, ok := it.Next(); ok; m, ok = it.Next() {
			c.WriteBulk(m)
			if journaling {
				rec = append(rec, tx.Bytes(m))
			}
		}
		tx.ReplaceSet(e, &keep)
	}
	if journaling {
		tx.Emit(rec...)
	}
}

// writeWholeSet replies with every member of e as a set, in the order of
// the union Redis builds from it (sunionDiffGenericCommand): a hashtable
// whose members would all fit an intset comes out ascending.
func writeWholeSet(c *Client, e *store.Entry) {
	c.WriteSet(e.SetLen())
	if !e.SetIsIntset() && int64(e.SetLen()) <= c.tx.Store().Limits().SetMaxIntsetEntries.Load() {
		u := c.tx.NewSet()
		it := e.SetIter()
		for m, ok := it.Next(); ok && u.IsIntset(); m, ok = it.Next() {
			u.Add(m)
		}
		if u.IsIntset() {
			writeMembers(c, &u)
			return
		}
	}
	writeEntryMembers(c, e)
}

// writeMembers writes the members of a detached set (without a header).
func writeMembers(c *Client, s *store.Set) {
	it := s.Iter()
	for m, ok := it.Next(); ok; m, ok = it.Next() {
		c.WriteBulk(m)
	}
}

// srandStreamMin is the count above which SRANDMEMBER with a negative
// count, when it asks for more members than the set has, copies the set,
// releases the lock and streams the reply in flushed chunks, so that a
// count like -2^63 costs neither unbounded memory nor a lock held while
// the client reads.
const srandStreamMin = 4096

// SRANDMEMBER key [count]
func cmdSrandmember(c *Client, args [][]byte) {
	if len(args) > 3 {
		c.WriteError(errSyntax)
		return
	}
	tx := c.tx
	key := args[1]
	var count int64
	if len(args) == 3 {
		var ok bool
		if count, ok = parseInt(args[2]); !ok {
			c.WriteError(errNotInteger)
			return
		}
		if count == math.MinInt64 {
			c.WriteError(errCountRange)
			return
		}
	}
	defer tx.Unlock()
	e, ok := setLockRead(c, key)
	if !ok {
		return
	}
	var buf [20]byte
	if len(args) == 2 {
		if e == nil {
			c.WriteNull()
		} else {
			c.WriteBulk(e.SetRandom(buf[:0]))
		}
		return
	}
	if e == nil || count == 0 {
		c.WriteArray(0)
		return
	}
	size := int64(e.SetLen())
	switch {
	case count < 0 && -count > srandStreamMin && -count > size:
		snap := e.SetSnapshot()
		tx.Unlock()
		srandStream(c, &snap, -count)
	case count < 0:
		c.WriteArray(int(-count))
		for i := -count; i > 0; i-- {
			c.WriteBulk(e.SetRandom(buf[:0]))
		}
	case count >= size:
		c.WriteArray(int(size))
		writeEntryMembers(c, e)
	default:
		c.WriteArray(int(count))
		e.SetSample(int(count), func(m []byte) { c.WriteBulk(m) })
	}
}

// srandStream writes n random members of snap, flushing as the reply
// grows. It stops early, closing the connection, when the client goes away
// or is killed, or the server shuts down.
func srandStream(c *Client, snap *store.SetSnapshot, n int64) {
	c.WriteArray(int(n))
	var buf [20]byte
	for ; n > 0; n-- {
		c.WriteBulk(snap.Random(buf[:0]))
		if len(c.out) >= outFlushThreshold {
			if !c.flush() || c.killed.Load() || c.srv.closing.Load() {
				c.closeAfter = true
				return
			}
		}
	}
}

// setOpKeys locks keys (and dst, when not nil) for a multi-set command
// and looks the keys up. A missing key is a nil entry. ok is false, after
// WRONGTYPE was replied, when a key holds another kind. The caller unlocks.
func setOpKeys(c *Client, keys [][]byte, dst []byte, stack []*store.Entry) (sets []*store.Entry, ok bool) {
	tx := c.tx
	tx.Begin(c.db, dst != nil)
	for _, k := range keys {
		tx.Key(k)
	}
	if dst != nil {
		tx.Key(dst)
	}
	tx.Lock()
	sets = stack[:0]
	for _, k := range keys {
		e, ok := setLookup(c, k, true)
		if !ok {
			return nil, false
		}
		sets = append(sets, e)
	}
	return sets, true
}

// storeSetResult makes s the value of dst (deleting dst when s is empty),
// journals dst's new content and replies with its size.
func storeSetResult(c *Client, dst []byte, s *store.Set) {
	tx := c.tx
	existed := tx.Delete(dst)
	n := s.Len()
	if n > 0 {
		e := tx.PutSet(dst, s, 0)
		if tx.Journaling() {
			if existed {
				tx.Emit(setWords.del, dst)
			}
			rec := make([][]byte, 0, n+2)
			rec = append(rec, setWords.sadd, dst)
			copyInts := e.SetIsIntset()
			it := e.SetIter()
			for m, ok := it.Next(); ok; m, ok = it.Next() {
				if copyInts {
					m = tx.Bytes(m)
				}
				rec = append(rec, m)
			}
			tx.Emit(rec...)
		}
	} else if existed && tx.Journaling() {
		tx.Emit(setWords.del, dst)
	}
	c.WriteInt(int64(n))
}

// SINTER key [key ...]
func cmdSinter(c *Client, args [][]byte) { sinterGeneric(c, args[1:], nil, false, 0) }

// SINTERSTORE destination key [key ...]
func cmdSinterstore(c *Client, args [][]byte) { sinterGeneric(c, args[2:], args[1], false, 0) }

// SINTERCARD numkeys key [key ...] [LIMIT limit]
func cmdSintercard(c *Client, args [][]byte) {
	numkeys, ok := parseInt(args[1])
	if !ok || numkeys < 1 {
		c.WriteError(errNumkeysPositive)
		return
	}
	if numkeys > int64(len(args)-2) {
		c.WriteError(errNumkeysTooMany)
		return
	}
	keys := args[2 : 2+numkeys]
	var limit int64
	for i := 2 + int(numkeys); i < len(args); i += 2 {
		if !eqFold(args[i], "limit") || i+1 >= len(args) {
			c.WriteError(errSyntax)
			return
		}
		if limit, ok = parseInt(args[i+1]); !ok || limit < 0 {
			c.WriteError(errLimitNegative)
			return
		}
	}
	sinterGeneric(c, keys, nil, true, limit)
}

// sinterGeneric is SINTER, SINTERSTORE (dst not nil) and SINTERCARD
// (card, stopping at limit when it is not 0). It walks the smallest set
// and probes the others, so it never builds more than the result (and
// SINTER and SINTERCARD build nothing).
func sinterGeneric(c *Client, keys [][]byte, dst []byte, card bool, limit int64) {
	tx := c.tx
	var stack [8]*store.Entry
	sets, ok := setOpKeys(c, keys, dst, stack[:])
	defer tx.Unlock()
	if !ok {
		return
	}
	if slices.Contains(sets, nil) {
		switch {
		case dst != nil:
			if tx.Delete(dst) && tx.Journaling() {
				tx.Emit(setWords.del, dst)
			}
			c.WriteInt(0)
		case card:
			c.WriteInt(0)
		default:
			c.WriteSet(0)
		}
		return
	}
	slices.SortStableFunc(sets, func(a, b *store.Entry) int { return a.SetLen() - b.SetLen() })
	var result store.Set
	if dst != nil {
		result = tx.NewSet()
	}
	start := len(c.out)
	n := int64(0)
	it := sets[0].SetIter()
	for m, ok := it.Next(); ok; m, ok = it.Next() {
		if !inAll(m, sets) {
			continue
		}
		n++
		switch {
		case card:
			if limit != 0 && n >= limit {
				c.WriteInt(n)
				return
			}
		case dst != nil:
			result.Add(m)
		default:
			c.WriteBulk(m)
		}
	}
	switch {
	case card:
		c.WriteInt(n)
	case dst != nil:
		storeSetResult(c, dst, &result)
	default:
		insertSetHeader(c, start, int(n))
	}
}

// inAll reports whether m is in every set but the first.
func inAll(m []byte, sets []*store.Entry) bool {
	for _, s := range sets[1:] {
		if s != sets[0] && !s.SetHas(m) {
			return false
		}
	}
	return true
}

// insertSetHeader inserts a set header for n elements at c.out[start:],
// before the elements already written (Redis's deferred length).
func insertSetHeader(c *Client, start, n int) {
	end := len(c.out)
	c.WriteSet(n)
	var hb [24]byte
	h := append(hb[:0], c.out[end:]...)
	c.out = slices.Insert(c.out[:end], start, h...)
}

// Set operations of sunionDiff.
const (
	opUnion = iota
	opDiff
)

// SUNION key [key ...]
func cmdSunion(c *Client, args [][]byte) { sunionDiffGeneric(c, args[1:], nil, opUnion) }

// SUNIONSTORE destination key [key ...]
func cmdSunionstore(c *Client, args [][]byte) { sunionDiffGeneric(c, args[2:], args[1], opUnion) }

// SDIFF key [key ...]
func cmdSdiff(c *Client, args [][]byte) { sunionDiffGeneric(c, args[1:], nil, opDiff) }

// SDIFFSTORE destination key [key ...]
func cmdSdiffstore(c *Client, args [][]byte) { sunionDiffGeneric(c, args[2:], args[1], opDiff) }

// sunionDiffGeneric is SUNION, SDIFF and their STORE variants. Like
// Redis, the result is built as a set that starts as an intset, and SDIFF
// picks between two algorithms by the work each would do; the choice shows
// in the result's encoding (the second adds all of the first set before
// removing), so it is made exactly as Redis makes it.
func sunionDiffGeneric(c *Client, keys [][]byte, dst []byte, op int) {
	tx := c.tx
	var stack [8]*store.Entry
	sets, ok := setOpKeys(c, keys, dst, stack[:])
	defer tx.Unlock()
	if !ok {
		return
	}
	size := func(e *store.Entry) int {
		if e == nil {
			return 0
		}
		return e.SetLen()
	}
	result := tx.NewSet()
	switch {
	case op == opUnion:
		for _, e := range sets {
			if e == nil {
				continue
			}
			it := e.SetIter()
			for m, ok := it.Next(); ok; m, ok = it.Next() {
				result.Add(m)
			}
		}
	case sets[0] == nil:
	case diffAlgoOne(sets, size):
		if len(sets) > 1 {
			slices.SortStableFunc(sets[1:], func(a, b *store.Entry) int { return size(b) - size(a) })
		}
		it := sets[0].SetIter()
	next:
		for m, ok := it.Next(); ok; m, ok = it.Next() {
			for _, e := range sets[1:] {
				if e == sets[0] || (e != nil && e.SetHas(m)) {
					continue next
				}
			}
			result.Add(m)
		}
	default:
		for j, e := range sets {
			if e == nil {
				continue
			}
			it := e.SetIter()
			for m, ok := it.Next(); ok; m, ok = it.Next() {
				if j == 0 {
					result.Add(m)
				} else {
					result.Remove(m)
				}
			}
			if result.Len() == 0 {
				break
			}
		}
	}
	if dst != nil {
		storeSetResult(c, dst, &result)
		return
	}
	c.WriteSet(result.Len())
	writeMembers(c, &result)
}

// diffAlgoOne reports whether SDIFF should probe the other sets for each
// member of the first (Redis's algorithm 1, O(N*M)) rather than copy the
// first and remove the others' members (algorithm 2, O(total)); like
// Redis, algorithm 1's work is halved to credit its better constants.
func diffAlgoOne(sets []*store.Entry, size func(*store.Entry) int) bool {
	var one, two int64
	for _, e := range sets {
		if e == nil {
			continue
		}
		one += int64(size(sets[0]))
		two += int64(size(e))
	}
	return one/2 <= two
}

// SSCAN key cursor [MATCH pattern] [COUNT count]
//
// An intset returns every member with cursor 0, as in Redis; a hashtable
// is scanned with Redis's reverse-binary cursor (store.Dict.Scan), so
// every member present for the whole iteration is returned.
func cmdSscan(c *Client, args [][]byte) {
	cursor, ok := parseScanCursor(args[2])
	if !ok {
		c.WriteError(errInvalidCursor)
		return
	}
	defer c.tx.Unlock()
	e, ok := setLockRead(c, args[1])
	if !ok {
		return
	}
	var buf [20]byte
	if e == nil {
		c.WriteArray(2)
		c.WriteBulk(strconv.AppendUint(buf[:0], 0, 10))
		c.WriteArray(0)
		return
	}
	count, pat, _, ok := parseScanOptions(c, args, 3, false)
	if !ok {
		return
	}
	var found keyList
	add := func(m []byte) {
		if pat == nil || globMatch(pat, m, false) {
			found.add(m)
		}
	}
	if e.SetIsIntset() {
		it := e.SetIter()
		for m, ok := it.Next(); ok; m, ok = it.Next() {
			add(m)
		}
		cursor = 0
	} else {
		// Like Redis: up to count*10 buckets, until count members were
		// collected (before MATCH filters them).
		seen := 0
		maxIter := count * 10 // count is at most MaxInt32
		for {
			cursor = e.SetScan(cursor, func(m []byte) {
				seen++
				add(m)
			})
			if cursor == 0 || maxIter == 0 {
				break
			}
			maxIter--
			if seen >= count {
				break
			}
		}
	}
	c.WriteArray(2)
	c.WriteBulk(strconv.AppendUint(buf[:0], cursor, 10))
	found.write(c)
}
