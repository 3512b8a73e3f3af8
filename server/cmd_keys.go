package server

import (
	"math"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/embercache/ember/store"
)

// Keyspace commands (Redis's db.c, expire.c, object.c).
//
// Commands over several keys (DEL, EXISTS, TOUCH, RENAME, COPY, MOVE) lock
// every shard they touch at once, so each is atomic. Whole-keyspace
// commands (KEYS, SCAN, RANDOMKEY) walk one shard at a time.

// Journal record names and keywords.
var (
	keysDEL       = []byte("DEL")
	keysPEXPIREAT = []byte("PEXPIREAT")
	keysPERSIST   = []byte("PERSIST")
	keysRENAME    = []byte("RENAME")
	keysCOPY      = []byte("COPY")
	keysMOVE      = []byte("MOVE")
	keysDB        = []byte("DB")
	keysREPLACE   = []byte("REPLACE")
)

// beginKeys begins a command over keys of db and locks all their shards.
func beginKeys(tx *store.Tx, db *store.DB, keys [][]byte, write bool) {
	tx.Begin(db, write)
	for _, k := range keys {
		tx.Key(k)
	}
	tx.Lock()
}

// lockAcross begins a write on db and locks the shards of src in db and
// dst in dstDB (COPY, MOVE).
func lockAcross(tx *store.Tx, db *store.DB, src []byte, dstDB *store.DB, dst []byte) {
	tx.Begin(db, true)
	tx.Key(src)
	tx.KeyIn(dstDB, dst)
	tx.Lock()
}

// DEL key [key ...]
func cmdDel(c *Client, args [][]byte) { delGeneric(c, args) }

// UNLINK key [key ...]
func cmdUnlink(c *Client, args [][]byte) { delGeneric(c, args) }

// delGeneric removes the keys and journals one DEL naming those that
// existed. UNLINK frees nothing in the background that DEL would not:
// values are left to the garbage collector either way.
func delGeneric(c *Client, args [][]byte) {
	tx := c.tx
	keys := args[1:]
	beginKeys(tx, c.db, keys, true)
	journaling := tx.Journaling()
	var stack [9][]byte
	rec := append(stack[:0], keysDEL)
	n := 0
	for _, k := range keys {
		if tx.Delete(k) {
			n++
			if journaling {
				rec = append(rec, k)
			}
		}
	}
	if n > 0 && journaling {
		tx.Emit(rec...)
	}
	tx.Unlock()
	c.WriteInt(int64(n))
}

// EXISTS key [key ...]
func cmdExists(c *Client, args [][]byte) {
	tx := c.tx
	beginKeys(tx, c.db, args[1:], false)
	tx.SkipTouch()
	n := 0
	for _, k := range args[1:] {
		if tx.LookupRead(k) != nil {
			n++
		}
	}
	tx.Unlock()
	c.WriteInt(int64(n))
}

// TOUCH key [key ...]
func cmdTouch(c *Client, args [][]byte) {
	tx := c.tx
	beginKeys(tx, c.db, args[1:], false)
	n := 0
	for _, k := range args[1:] {
		if e := tx.LookupRead(k); e != nil {
			tx.Touch(e) // even in CLIENT NO-TOUCH mode
			n++
		}
	}
	tx.Unlock()
	c.WriteInt(int64(n))
}

// TYPE key
func cmdType(c *Client, args [][]byte) {
	tx := c.tx
	tx.LockKey(c.db, args[1], false)
	tx.SkipTouch()
	name := "none"
	if e := tx.LookupRead(args[1]); e != nil {
		name = e.Kind().String()
	}
	tx.Unlock()
	c.WriteSimple(name)
}

// Options of the EXPIRE family.
const (
	expireNX = 1 << iota
	expireXX
	expireGT
	expireLT
)

// parseExpireFlags parses EXPIRE's [NX | XX | GT | LT] options from
// args[3:], replying with Redis's error when they are unknown or conflict.
func parseExpireFlags(c *Client, args [][]byte) (int, bool) {
	f := 0
	for _, a := range args[3:] {
		switch {
		case eqFold(a, "nx"):
			f |= expireNX
		case eqFold(a, "xx"):
			f |= expireXX
		case eqFold(a, "gt"):
			f |= expireGT
		case eqFold(a, "lt"):
			f |= expireLT
		default:
			c.WriteError(errUnsupportedOption(a))
			return 0, false
		}
	}
	if f&expireNX != 0 && f&(expireXX|expireGT|expireLT) != 0 {
		c.WriteError(errNXXXGTLT)
		return 0, false
	}
	if f&expireGT != 0 && f&expireLT != 0 {
		c.WriteError(errGTAndLT)
		return 0, false
	}
	return f, true
}

// EXPIRE key seconds [NX | XX | GT | LT]
func cmdExpire(c *Client, args [][]byte) { expireGeneric(c, args, true, true, "expire") }

// PEXPIRE key milliseconds [NX | XX | GT | LT]
func cmdPexpire(c *Client, args [][]byte) { expireGeneric(c, args, true, false, "pexpire") }

// EXPIREAT key unix-time-seconds [NX | XX | GT | LT]
func cmdExpireat(c *Client, args [][]byte) { expireGeneric(c, args, false, true, "expireat") }

// PEXPIREAT key unix-time-milliseconds [NX | XX | GT | LT]
func cmdPexpireat(c *Client, args [][]byte) { expireGeneric(c, args, false, false, "pexpireat") }

// expireGeneric is the body of the EXPIRE family: relative says the time
// counts from now, seconds that it is in seconds. A time already past
// deletes the key (journaled as DEL); otherwise the absolute expiry is
// journaled as PEXPIREAT. A key without a TTL counts as expiring never, so
// GT always fails on it and LT always passes.
func expireGeneric(c *Client, args [][]byte, relative, seconds bool, name string) {
	flags, ok := parseExpireFlags(c, args)
	if !ok {
		return
	}
	when, ok := parseInt(args[2])
	if !ok {
		c.WriteError(errNotInteger)
		return
	}
	if seconds {
		if when > math.MaxInt64/1000 || when < math.MinInt64/1000 {
			c.WriteError(errInvalidExpireIn(name))
			return
		}
		when *= 1000
	}
	key := args[1]
	tx := c.tx
	tx.LockKey(c.db, key, true)
	defer tx.Unlock()
	if relative {
		if when > math.MaxInt64-tx.Now() {
			c.WriteError(errInvalidExpireIn(name))
			return
		}
		when += tx.Now()
	}
	e := tx.Lookup(key)
	if e == nil {
		c.WriteInt(0)
		return
	}
	if cur := e.ExpireAt(); flags != 0 {
		if (flags&expireNX != 0 && cur != 0) ||
			(flags&expireXX != 0 && cur == 0) ||
			(flags&expireGT != 0 && (cur == 0 || when <= cur)) ||
			(flags&expireLT != 0 && cur != 0 && when >= cur) {
			c.WriteInt(0)
			return
		}
	}
	if when <= tx.Now() {
		tx.Delete(key)
		if tx.Journaling() {
			tx.Emit(keysDEL, key)
		}
		c.WriteInt(1)
		return
	}
	tx.SetExpire(e, when)
	if tx.Journaling() {
		tx.Emit(keysPEXPIREAT, key, tx.Int(when))
	}
	c.WriteInt(1)
}

// TTL key
func cmdTtl(c *Client, args [][]byte) { ttlGeneric(c, args[1], false, false) }

// PTTL key
func cmdPttl(c *Client, args [][]byte) { ttlGeneric(c, args[1], true, false) }

// EXPIRETIME key
func cmdExpiretime(c *Client, args [][]byte) { ttlGeneric(c, args[1], false, true) }

// PEXPIRETIME key
func cmdPexpiretime(c *Client, args [][]byte) { ttlGeneric(c, args[1], true, true) }

// ttlGeneric replies -2 for a missing key, -1 for a key without TTL, else
// the remaining TTL (or, with absolute, the expiry time) in ms or in
// seconds rounded to nearest as Redis does.
func ttlGeneric(c *Client, key []byte, ms, absolute bool) {
	tx := c.tx
	tx.LockKey(c.db, key, false)
	tx.SkipTouch()
	e := tx.LookupRead(key)
	var v int64
	switch {
	case e == nil:
		v = -2
	case e.ExpireAt() == 0:
		v = -1
	default:
		v = e.ExpireAt()
		if !absolute {
			v = max(v-tx.Now(), 0)
		}
		if !ms {
			v = v/1000 + (v%1000+500)/1000 // (v+500)/1000 without overflow
		}
	}
	tx.Unlock()
	c.WriteInt(v)
}

// PERSIST key
func cmdPersist(c *Client, args [][]byte) {
	key := args[1]
	tx := c.tx
	tx.LockKey(c.db, key, true)
	e := tx.Lookup(key)
	removed := e != nil && e.ExpireAt() != 0
	if removed {
		tx.SetExpire(e, 0)
		if tx.Journaling() {
			tx.Emit(keysPERSIST, key)
		}
	}
	tx.Unlock()
	if removed {
		c.WriteInt(1)
	} else {
		c.WriteInt(0)
	}
}

// RENAME key newkey
func cmdRename(c *Client, args [][]byte) { renameGeneric(c, args, false) }

// RENAMENX key newkey
func cmdRenamenx(c *Client, args [][]byte) { renameGeneric(c, args, true) }

// renameGeneric moves key's value and TTL to newkey, replacing it unless
// nx. Renaming a key to itself succeeds (RENAMENX: 0) without a change.
// Both forms journal RENAME: RENAMENX only acts when newkey is absent.
func renameGeneric(c *Client, args [][]byte, nx bool) {
	src, dst := args[1], args[2]
	tx := c.tx
	beginKeys(tx, c.db, args[1:3], true)
	defer tx.Unlock()
	e := tx.Lookup(src)
	if e == nil {
		c.WriteError(errNoSuchKey)
		return
	}
	if string(src) == string(dst) || (nx && tx.Lookup(dst) != nil) {
		if nx {
			c.WriteInt(0)
		} else {
			c.WriteOK()
		}
		return
	}
	tx.MoveEntry(c.db, e, c.db, dst)
	if tx.Journaling() {
		tx.Emit(keysRENAME, src, dst)
	}
	c.signalReady(c.db, dst) // clients blocked on dst may take from it
	if nx {
		c.WriteInt(1)
	} else {
		c.WriteOK()
	}
}

// parseDB parses a database number argument (COPY's DB, MOVE) as Redis's
// getIntFromObjectOrReply and selectDb do, replying with the error.
func parseDB(c *Client, arg []byte) (*store.DB, bool) {
	v, ok := parseInt(arg)
	if !ok {
		c.WriteError(errNotInteger)
		return nil, false
	}
	if v < math.MinInt32 || v > math.MaxInt32 {
		c.WriteError(errIntRange)
		return nil, false
	}
	db := c.srv.store.DB(int(v))
	if db == nil {
		c.WriteError(errDBIndex)
		return nil, false
	}
	return db, true
}

// COPY source destination [DB destination-db] [REPLACE]
func cmdCopy(c *Client, args [][]byte) {
	dstDB := c.db
	replace := false
	for i := 3; i < len(args); i++ {
		switch {
		case eqFold(args[i], "replace"):
			replace = true
		case eqFold(args[i], "db") && i+1 < len(args):
			db, ok := parseDB(c, args[i+1])
			if !ok {
				return
			}
			dstDB = db
			i++
		default:
			c.WriteError(errSyntax)
			return
		}
	}
	src, dst := args[1], args[2]
	if dstDB == c.db && string(src) == string(dst) {
		c.WriteError(errSameObject)
		return
	}
	tx := c.tx
	lockAcross(tx, c.db, src, dstDB, dst)
	defer tx.Unlock()
	e := tx.LookupRead(src)
	if e == nil {
		c.WriteInt(0)
		return
	}
	replaced := tx.LookupIn(dstDB, dst) != nil
	if replaced && !replace {
		c.WriteInt(0)
		return
	}
	tx.CopyEntryTo(dstDB, dst, e)
	c.signalReady(dstDB, dst)
	if tx.Journaling() {
		var stack [6][]byte
		rec := append(stack[:0], keysCOPY, src, dst)
		if dstDB != c.db {
			rec = append(rec, keysDB, tx.Int(int64(dstDB.Index())))
		}
		if replaced {
			rec = append(rec, keysREPLACE)
		}
		tx.Emit(rec...)
	}
	c.WriteInt(1)
}

// MOVE key db
func cmdMove(c *Client, args [][]byte) {
	dstDB, ok := parseDB(c, args[2])
	if !ok {
		return
	}
	if dstDB == c.db {
		c.WriteError(errSameObject)
		return
	}
	key := args[1]
	tx := c.tx
	lockAcross(tx, c.db, key, dstDB, key)
	defer tx.Unlock()
	e := tx.Lookup(key)
	if e == nil || tx.LookupIn(dstDB, key) != nil {
		c.WriteInt(0)
		return
	}
	tx.MoveEntry(c.db, e, dstDB, key)
	if tx.Journaling() {
		tx.Emit(keysMOVE, key, tx.Int(int64(dstDB.Index())))
	}
	c.signalReady(dstDB, key)
	c.WriteInt(1)
}

// keyList collects copies of keys found under shard locks, in one buffer,
// for a reply written after the locks are released.
type keyList struct {
	buf  []byte
	ends []int
}

func (l *keyList) add(k []byte) {
	l.buf = append(l.buf, k...)
	l.ends = append(l.ends, len(l.buf))
}

// write appends the keys as an array reply.
func (l *keyList) write(c *Client) {
	c.WriteArray(len(l.ends))
	start := 0
	for _, end := range l.ends {
		c.WriteBulk(l.buf[start:end])
		start = end
	}
}

// KEYS pattern
func cmdKeys(c *Client, args [][]byte) {
	pat := args[1]
	all := len(pat) == 1 && pat[0] == '*'
	var keys keyList
	c.tx.Each(c.db, func(e *store.Entry) bool {
		if k := e.Key(); all || globMatch(pat, k, false) {
			keys.add(k)
		}
		return true
	})
	keys.write(c)
}

// scanDefaultCount is SCAN's COUNT when none is given.
const scanDefaultCount = 10

// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]
//
// The cursor is the store's (see store.DB.Scan), not Redis's; clients
// treat it as opaque. TYPE compares type names case-insensitively and, as
// in Redis 7.0 and 7.2, an unknown name matches nothing rather than failing.
func cmdScan(c *Client, args [][]byte) {
	cursor, ok := parseScanCursor(args[1])
	if !ok {
		c.WriteError(errInvalidCursor)
		return
	}
	count, pat, typ, ok := parseScanOptions(c, args, 2, true)
	if !ok {
		return
	}
	var keys keyList
	typeChecks := int64(0)
	next := c.tx.Scan(c.db, cursor, count, func(e *store.Entry) {
		k := e.Key()
		if pat != nil && !globMatch(pat, k, false) {
			return
		}
		if typ != nil {
			typeChecks++
			if !eqFold(typ, e.Kind().String()) {
				return
			}
		}
		keys.add(k)
	})
	c.db.CountHits(typeChecks) // Redis looks each candidate up for TYPE
	c.WriteArray(2)
	var buf [20]byte
	c.WriteBulk(strconv.AppendUint(buf[:0], next, 10))
	keys.write(c)
}

// parseScanOptions parses the [MATCH pattern] [COUNT count] options of
// SCAN, SSCAN, HSCAN and ZSCAN from args[from:] (and [TYPE type] when
// withType, for SCAN), replying with Redis's error and returning false
// when they are invalid. A MATCH of "*" comes back nil (everything
// matches); the count is capped to an int32.
func parseScanOptions(c *Client, args [][]byte, from int, withType bool) (count int, pat, typ []byte, ok bool) {
	n64 := int64(scanDefaultCount)
	for i := from; i < len(args); i += 2 {
		if i+1 >= len(args) {
			c.WriteError(errSyntax)
			return 0, nil, nil, false
		}
		switch a, v := args[i], args[i+1]; {
		case eqFold(a, "count"):
			n, isInt := parseInt(v)
			if !isInt {
				c.WriteError(errNotInteger)
				return 0, nil, nil, false
			}
			if n < 1 {
				c.WriteError(errSyntax)
				return 0, nil, nil, false
			}
			n64 = n
		case eqFold(a, "match"):
			pat = v
			if len(v) == 1 && v[0] == '*' {
				pat = nil
			}
		case withType && eqFold(a, "type"):
			typ = v
		default:
			c.WriteError(errSyntax)
			return 0, nil, nil, false
		}
	}
	return int(min(n64, math.MaxInt32)), pat, typ, true
}

// parseScanCursor parses a SCAN cursor as Redis 7.0 does (strtoul with
// checks): an empty string is 0; no leading space; an optional sign, a
// minus negating modulo 2^64; then decimal digits that fit 64 bits.
func parseScanCursor(b []byte) (uint64, bool) {
	if len(b) == 0 {
		return 0, true
	}
	neg := false
	switch b[0] {
	case '-':
		neg = true
		b = b[1:]
	case '+':
		b = b[1:]
	}
	if len(b) == 0 {
		return 0, false
	}
	var v uint64
	for _, ch := range b {
		if ch < '0' || ch > '9' {
			return 0, false
		}
		d := uint64(ch - '0')
		if v > (math.MaxUint64-d)/10 {
			return 0, false
		}
		v = v*10 + d
	}
	if neg {
		v = -v
	}
	return v, true
}

// RANDOMKEY
func cmdRandomkey(c *Client, args [][]byte) {
	r := rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	if k := c.tx.RandomKey(c.db, r); k != nil {
		c.WriteBulk(k)
	} else {
		c.WriteNull()
	}
}

// objectLookup finds OBJECT's key without recording an access, replying
// null when it is missing. The caller must Unlock the client's Tx.
func objectLookup(c *Client, key []byte) *store.Entry {
	tx := c.tx
	tx.LockKey(c.db, key, false)
	tx.SkipTouch()
	e := tx.LookupRead(key)
	if e == nil {
		c.WriteNull()
	}
	return e
}

// maxmemoryLFU reports whether the maxmemory policy is an LFU one.
func (c *Client) maxmemoryLFU() bool {
	return strings.HasSuffix(c.srv.cfg.Get("maxmemory-policy"), "-lfu")
}

// OBJECT ENCODING key
func cmdObjectEncoding(c *Client, args [][]byte) {
	if e := objectLookup(c, args[2]); e != nil {
		c.WriteBulkString(e.Encoding())
	}
	c.tx.Unlock()
}

// sharedIntegers is Redis's OBJ_SHARED_INTEGERS: string values 0..9999 are
// shared objects, whose refcount OBJECT REFCOUNT reports as INT_MAX.
const sharedIntegers = 10000

// OBJECT REFCOUNT key
func cmdObjectRefcount(c *Client, args [][]byte) {
	e := objectLookup(c, args[2])
	if e == nil {
		c.tx.Unlock()
		return
	}
	var n int64 = 1
	if e.Kind() == store.KindString && e.Encoding() == "int" {
		v, _ := parseInt(e.Str())
		// Redis stops sharing integers when maxmemory evicts by LRU or
		// LFU, since shared objects cannot carry per-key access data.
		policy := c.srv.cfg.Get("maxmemory-policy")
		perKey := c.srv.cfg.Int("maxmemory") != 0 && (strings.HasSuffix(policy, "-lru") || strings.HasSuffix(policy, "-lfu"))
		if v >= 0 && v < sharedIntegers && !perKey {
			n = math.MaxInt32
		}
	}
	c.tx.Unlock()
	c.WriteInt(n)
}

// OBJECT IDLETIME key
func cmdObjectIdletime(c *Client, args [][]byte) {
	e := objectLookup(c, args[2])
	switch {
	case e == nil:
	case c.maxmemoryLFU():
		c.WriteError(errLFUInUse)
	default:
		c.WriteInt(store.IdleMs(e.Access(), c.tx.Now()) / 1000)
	}
	c.tx.Unlock()
}

// OBJECT FREQ key
func cmdObjectFreq(c *Client, args [][]byte) {
	e := objectLookup(c, args[2])
	switch {
	case e == nil:
	case !c.maxmemoryLFU():
		c.WriteError(errLFUNotInUse)
	default:
		c.WriteInt(store.LFUCounter(e.Access(), c.tx.Now(), c.srv.cfg.Int("lfu-decay-time")))
	}
	c.tx.Unlock()
}

// objectHelp is OBJECT HELP's reply, line for line as Redis's.
var objectHelp = []string{
	"OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"ENCODING <key>",
	"    Return the kind of internal representation used in order to store the value",
	"    associated with a <key>.",
	"FREQ <key>",
	"    Return the access frequency index of the <key>. The returned integer is",
	"    proportional to the logarithm of the recent access frequency of the key.",
	"IDLETIME <key>",
	"    Return the idle time of the <key>, that is the approximated number of",
	"    seconds elapsed since the last access to the key.",
	"REFCOUNT <key>",
	"    Return the number of references of the value associated with the specified",
	"    <key>.",
	"HELP",
	"    Prints this help.",
}

// OBJECT HELP
func cmdObjectHelp(c *Client, args [][]byte) {
	c.WriteArray(len(objectHelp))
	for _, line := range objectHelp {
		c.WriteSimple(line)
	}
}
