package server

import (
	"math"
	"strconv"

	"github.com/embercache/ember/store"
)

// Hash commands (Redis's t_hash.c). The encodings and their conversions
// live in store/hash.go; the handlers parse, lock, call the typed
// operation and reply.
//
// Journal records: HSET, HMSET and HSETNX emit "HSET key field value ..."
// with the pairs they set; HINCRBY and HINCRBYFLOAT emit "HSET key field
// <new value>", so replaying is exact whatever the replayer's arithmetic;
// HDEL emits itself. Nothing is emitted when nothing changed.

// hashWords are the command names hash commands journal.
var hashWords = struct{ hset, hdel []byte }{
	hset: []byte("HSET"),
	hdel: []byte("HDEL"),
}

// emitAs journals args as command name (the client's spelling of the
// command may differ, and HMSET journals as HSET) without copying them.
func emitAs(tx *store.Tx, name []byte, args [][]byte) {
	orig := args[0]
	args[0] = name
	tx.Emit(args...)
	args[0] = orig
}

// lookupHashRead finds key's hash for a command that reads it, counting a
// keyspace hit or miss. It returns nil for a missing key; for a value of
// another type it answers WRONGTYPE and reports false.
func lookupHashRead(c *Client, key []byte) (*store.Entry, bool) {
	e := c.tx.LookupRead(key)
	if e != nil && e.Kind() != store.KindHash {
		c.WriteError(errWrongType)
		return nil, false
	}
	return e, true
}

// HSET key field value [field value ...]
func cmdHset(c *Client, args [][]byte) { hsetGeneric(c, args, "hset") }

// HMSET key field value [field value ...]
func cmdHmset(c *Client, args [][]byte) { hsetGeneric(c, args, "hmset") }

// hsetGeneric is HSET (replying with the number of new fields) and HMSET
// (replying OK).
func hsetGeneric(c *Client, args [][]byte, name string) {
	if len(args)%2 == 1 {
		c.WriteError(errWrongArity(name))
		return
	}
	tx := c.tx
	tx.LockKey(c.db, args[1], true)
	defer tx.Unlock()
	n, err := tx.HSet(args[1], args[2:])
	if err != nil {
		c.WriteError(storeError(err))
		return
	}
	if tx.Journaling() {
		emitAs(tx, hashWords.hset, args)
	}
	if name == "hmset" {
		c.WriteOK()
	} else {
		c.WriteInt(int64(n))
	}
}

// HSETNX key field value
func cmdHsetnx(c *Client, args [][]byte) {
	tx := c.tx
	tx.LockKey(c.db, args[1], true)
	defer tx.Unlock()
	set, err := tx.HSetNX(args[1], args[2], args[3])
	switch {
	case err != nil:
		c.WriteError(storeError(err))
	case set:
		if tx.Journaling() {
			emitAs(tx, hashWords.hset, args)
		}
		c.WriteInt(1)
	default:
		c.WriteInt(0)
	}
}

// HGET key field
func cmdHget(c *Client, args [][]byte) {
	tx := c.tx
	tx.LockKey(c.db, args[1], false)
	if e, ok := lookupHashRead(c, args[1]); ok {
		writeHashValue(c, e, args[2])
	}
	tx.Unlock()
}

// writeHashValue answers field's value in e (nil when e or the field is
// missing).
func writeHashValue(c *Client, e *store.Entry, field []byte) {
	if e == nil {
		c.WriteNull()
		return
	}
	var buf [64]byte
	if v, ok := store.HashGet(e, field, buf[:0]); ok {
		c.WriteBulk(v)
	} else {
		c.WriteNull()
	}
}

// HMGET key field [field ...]
func cmdHmget(c *Client, args [][]byte) {
	tx := c.tx
	tx.LockKey(c.db, args[1], false)
	if e, ok := lookupHashRead(c, args[1]); ok {
		c.WriteArray(len(args) - 2)
		for _, f := range args[2:] {
			writeHashValue(c, e, f)
		}
	}
	tx.Unlock()
}

// What HGETALL, HKEYS and HVALS answer.
const (
	hashKeys = 1 << iota
	hashValues
)

// HGETALL key
func cmdHgetall(c *Client, args [][]byte) { hgetallGeneric(c, args[1], hashKeys|hashValues) }

// HKEYS key
func cmdHkeys(c *Client, args [][]byte) { hgetallGeneric(c, args[1], hashKeys) }

// HVALS key
func cmdHvals(c *Client, args [][]byte) { hgetallGeneric(c, args[1], hashValues) }

// hgetallGeneric answers a hash's fields, values or both (a map in RESP3),
// in the hash's order: insertion order for a compact hash.
func hgetallGeneric(c *Client, key []byte, what int) {
	tx := c.tx
	tx.LockKey(c.db, key, false)
	defer tx.Unlock()
	e, ok := lookupHashRead(c, key)
	if !ok {
		return
	}
	n := 0
	if e != nil {
		n = store.HashLen(e)
	}
	if what == hashKeys|hashValues {
		c.WriteMap(n)
	} else {
		c.WriteArray(n)
	}
	if e == nil {
		return
	}
	var it store.HashIter
	for it.Init(e); it.Next(); {
		if what&hashKeys != 0 {
			c.WriteBulk(it.Field())
		}
		if what&hashValues != 0 {
			c.WriteBulk(it.Value())
		}
	}
}

// HDEL key field [field ...]
func cmdHdel(c *Client, args [][]byte) {
	tx := c.tx
	tx.LockKey(c.db, args[1], true)
	defer tx.Unlock()
	n, err := tx.HDel(args[1], args[2:])
	if err != nil {
		c.WriteError(storeError(err))
		return
	}
	if n > 0 && tx.Journaling() {
		emitAs(tx, hashWords.hdel, args)
	}
	c.WriteInt(int64(n))
}

// HLEN key
func cmdHlen(c *Client, args [][]byte) {
	hashReadInt(c, args[1], func(e *store.Entry) int { return store.HashLen(e) })
}

// HEXISTS key field
func cmdHexists(c *Client, args [][]byte) {
	hashReadInt(c, args[1], func(e *store.Entry) int {
		if store.HashExists(e, args[2]) {
			return 1
		}
		return 0
	})
}

// HSTRLEN key field
func cmdHstrlen(c *Client, args [][]byte) {
	hashReadInt(c, args[1], func(e *store.Entry) int { return store.HashStrlen(e, args[2]) })
}

// hashReadInt answers f of key's hash as an integer: 0 when the key is
// missing, WRONGTYPE for another type.
func hashReadInt(c *Client, key []byte, f func(e *store.Entry) int) {
	tx := c.tx
	tx.LockKey(c.db, key, false)
	switch e, ok := lookupHashRead(c, key); {
	case !ok:
	case e == nil:
		c.WriteInt(0)
	default:
		c.WriteInt(int64(f(e)))
	}
	tx.Unlock()
}

// HINCRBY key field increment
func cmdHincrby(c *Client, args [][]byte) {
	incr, ok := parseInt(args[3])
	if !ok {
		c.WriteError(errNotInteger)
		return
	}
	tx := c.tx
	tx.LockKey(c.db, args[1], true)
	defer tx.Unlock()
	v, err := tx.HIncrBy(args[1], args[2], incr)
	if err != nil {
		c.WriteError(storeError(err))
		return
	}
	if tx.Journaling() {
		tx.Emit(hashWords.hset, args[1], args[2], tx.Int(v))
	}
	c.WriteInt(v)
}

// HINCRBYFLOAT key field increment
func cmdHincrbyfloat(c *Client, args [][]byte) {
	tx := c.tx
	tx.LockKey(c.db, args[1], true)
	defer tx.Unlock()
	v, err := tx.HIncrByFloat(args[1], args[2], args[3])
	if err != nil {
		c.WriteError(storeError(err))
		return
	}
	if tx.Journaling() {
		tx.Emit(hashWords.hset, args[1], args[2], v)
	}
	c.WriteBulk(v)
}

// HRANDFIELD key [count [WITHVALUES]]
func cmdHrandfield(c *Client, args [][]byte) {
	if len(args) == 2 {
		tx := c.tx
		tx.LockKey(c.db, args[1], false)
		defer tx.Unlock()
		switch e, ok := lookupHashRead(c, args[1]); {
		case !ok:
		case e == nil:
			c.WriteNull()
		default:
			store.HashRandom(e, 1, false, func(f, _ []byte) { c.WriteBulk(f) })
		}
		return
	}
	l, ok := parseInt(args[2])
	if !ok {
		c.WriteError(errNotInteger)
		return
	}
	if l < -math.MaxInt64 {
		c.WriteError(errCountRange)
		return
	}
	if len(args) > 4 || len(args) == 4 && !eqFold(args[3], "withvalues") {
		c.WriteError(errSyntax)
		return
	}
	withValues := len(args) == 4
	if withValues && (l < -math.MaxInt64/2 || l > math.MaxInt64/2) {
		// Redis's guard against a reply of 2*|count| elements overflowing.
		c.WriteError(errOutOfRange)
		return
	}
	tx := c.tx
	tx.LockKey(c.db, args[1], false)
	defer tx.Unlock()
	e, ok := lookupHashRead(c, args[1])
	if !ok {
		return
	}
	if e == nil || l == 0 {
		c.WriteArray(0)
		return
	}
	count, distinct := l, true
	if l < 0 {
		count, distinct = -l, false
	}
	n := count
	if distinct {
		n = min(count, int64(store.HashLen(e)))
	}
	if withValues && !c.resp3 {
		n *= 2
	}
	c.WriteArray(int(n))
	store.HashRandom(e, count, distinct, func(f, v []byte) {
		if !withValues {
			c.WriteBulk(f)
			return
		}
		if c.resp3 {
			c.WriteArray(2)
		}
		c.WriteBulk(f)
		c.WriteBulk(v)
	})
}

// HSCAN key cursor [MATCH pattern] [COUNT count]
//
// A compact hash is returned whole with cursor 0, as Redis does; a table
// is walked with the reverse-binary cursor, about COUNT elements (fields
// and values both count, as in Redis) per call.
func cmdHscan(c *Client, args [][]byte) {
	cursor, ok := parseScanCursor(args[2])
	if !ok {
		c.WriteError(errInvalidCursor)
		return
	}
	tx := c.tx
	tx.LockKey(c.db, args[1], false)
	defer tx.Unlock()
	e, ok := lookupHashRead(c, args[1])
	if !ok {
		return
	}
	if e == nil {
		c.WriteArray(2)
		c.WriteBulkString("0")
		c.WriteArray(0)
		return
	}
	count, pat, _, ok := parseScanOptions(c, args, 3, false)
	if !ok {
		return
	}
	var pairs keyList // copies: a compact hash's elements may be built in the iterator
	seen := int64(0)  // elements collected before MATCH filters them
	collect := func(f, v []byte) {
		seen += 2
		if pat == nil || globMatch(pat, f, false) {
			pairs.add(f)
			pairs.add(v)
		}
	}
	next, table := store.HashScan(e, cursor, collect)
	if !table {
		var it store.HashIter
		for it.Init(e); it.Next(); {
			collect(it.Field(), it.Value())
		}
	} else {
		// Like Redis: more bucket steps while the cursor is not done,
		// fewer than count*10 steps were taken and fewer than count
		// elements (fields and values both count) were collected.
		maxIter := count * 10
		if count > math.MaxInt64/10 {
			maxIter = math.MaxInt64
		}
		for next != 0 && maxIter > 0 && seen < int64(count) {
			maxIter--
			next, _ = store.HashScan(e, next, collect)
		}
	}
	c.WriteArray(2)
	var buf [20]byte
	c.WriteBulk(strconv.AppendUint(buf[:0], next, 10))
	pairs.write(c)
}
