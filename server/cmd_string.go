package server

import (
	"math"
	"math/bits"

	"github.com/embercache/ember/store"
)

// String commands (Redis's t_string.c).
//
// Journal records: SET-like commands emit SET with an absolute PXAT;
// numeric updates (INCR..., INCRBYFLOAT) emit the resulting value as
// "SET key value KEEPTTL", so replaying is idempotent and exact whatever
// the float arithmetic of the replayer; GETEX emits PEXPIREAT, PERSIST or
// DEL; GETDEL emits DEL; MSET and MSETNX emit one MSET with every pair;
// APPEND and SETRANGE emit themselves (deterministic given the prior
// value). Nothing is emitted when nothing changed.

var (
	cmdNameSET = []byte("SET")
	argPXAT    = []byte("PXAT")
)

// strWords are the other command and argument names string commands
// journal.
var strWords = struct {
	del, pexpireat, persist, mset, append, setrange, keepttl []byte
}{
	del:       []byte("DEL"),
	pexpireat: []byte("PEXPIREAT"),
	persist:   []byte("PERSIST"),
	mset:      []byte("MSET"),
	append:    []byte("APPEND"),
	setrange:  []byte("SETRANGE"),
	keepttl:   []byte("KEEPTTL"),
}

// GET key
func cmdGet(c *Client, args [][]byte) {
	tx := c.tx
	tx.LockKey(c.db, args[1], false)
	switch e := tx.LookupRead(args[1]); {
	case e == nil:
		c.WriteNull()
	case e.Kind() != store.KindString:
		c.WriteError(errWrongType)
	default:
		c.WriteBulk(e.Str())
	}
	tx.Unlock()
}

// setFlags are the parsed options of SET and its relatives.
type setFlags uint16

const (
	setNX setFlags = 1 << iota
	setXX
	setGet
	setKeepTTL
	setEX
	setPX
	setEXAT
	setPXAT
	setPersist  // GETEX PERSIST
	setReplyInt // SETNX: reply :1 / :0 instead of +OK / nil
)

const setAnyExpire = setEX | setPX | setEXAT | setPXAT

// parseSetOptions parses SET's [NX|XX] [GET] [EX s|PX ms|EXAT s|PXAT ms|KEEPTTL]
// starting at args[from] or, for getex, GETEX's [EX|PX|EXAT|PXAT|PERSIST],
// with Redis's rules on conflicting options (a repeated EX or PX is allowed,
// the last one wins). It returns the flags and the expire argument (nil if
// none); ok is false on a syntax error.
func parseSetOptions(args [][]byte, from int, getex bool) (f setFlags, exp []byte, ok bool) {
	for i := from; i < len(args); i++ {
		a := args[i]
		hasNext := i+1 < len(args)
		switch {
		case !getex && eqFold(a, "nx") && f&setXX == 0:
			f |= setNX
		case !getex && eqFold(a, "xx") && f&setNX == 0:
			f |= setXX
		case !getex && eqFold(a, "get"):
			f |= setGet
		case !getex && eqFold(a, "keepttl") && f&setAnyExpire == 0:
			f |= setKeepTTL
		case getex && eqFold(a, "persist") && f&setAnyExpire == 0:
			f |= setPersist
		case eqFold(a, "ex") && f&(setKeepTTL|setPersist|setPX|setEXAT|setPXAT) == 0 && hasNext:
			f |= setEX
			i++
			exp = args[i]
		case eqFold(a, "px") && f&(setKeepTTL|setPersist|setEX|setEXAT|setPXAT) == 0 && hasNext:
			f |= setPX
			i++
			exp = args[i]
		case eqFold(a, "exat") && f&(setKeepTTL|setPersist|setEX|setPX|setPXAT) == 0 && hasNext:
			f |= setEXAT
			i++
			exp = args[i]
		case eqFold(a, "pxat") && f&(setKeepTTL|setPersist|setEX|setPX|setEXAT) == 0 && hasNext:
			f |= setPXAT
			i++
			exp = args[i]
		default:
			return 0, nil, false
		}
	}
	return f, exp, true
}

// expireAt turns an expire argument into absolute unix ms, replying with
// Redis's error and returning false when it is invalid. name is the command
// name used in the error.
func expireAt(c *Client, f setFlags, arg []byte, now int64, name string) (int64, bool) {
	v, ok := parseInt(arg)
	if !ok {
		c.WriteError(errNotInteger)
		return 0, false
	}
	if v <= 0 || (f&(setEX|setEXAT) != 0 && v > (1<<63-1)/1000) {
		c.WriteError(errInvalidExpireIn(name))
		return 0, false
	}
	if f&(setEX|setEXAT) != 0 {
		v *= 1000
	}
	if f&(setEX|setPX) != 0 {
		v += now // may wrap, caught below as Redis does
	}
	if v <= 0 {
		c.WriteError(errInvalidExpireIn(name))
		return 0, false
	}
	return v, true
}

// SET key value [NX | XX] [GET] [EX seconds | PX milliseconds |
// EXAT unix-time-seconds | PXAT unix-time-milliseconds | KEEPTTL]
func cmdSet(c *Client, args [][]byte) {
	f, exp, ok := parseSetOptions(args, 3, false)
	if !ok {
		c.WriteError(errSyntax)
		return
	}
	setGeneric(c, args[1], args[2], f, exp, "set")
}

// SETNX key value
func cmdSetnx(c *Client, args [][]byte) {
	setGeneric(c, args[1], args[2], setNX|setReplyInt, nil, "setnx")
}

// SETEX key seconds value
func cmdSetex(c *Client, args [][]byte) {
	setGeneric(c, args[1], args[3], setEX, args[2], "setex")
}

// PSETEX key milliseconds value
func cmdPsetex(c *Client, args [][]byte) {
	setGeneric(c, args[1], args[3], setPX, args[2], "psetex")
}

// GETSET key value
func cmdGetset(c *Client, args [][]byte) {
	setGeneric(c, args[1], args[2], setGet, nil, "getset")
}

// setGeneric is the body of SET, SETNX, SETEX, PSETEX and GETSET. Like
// Redis, it validates the expiry first, then answers GET's old value (or
// WRONGTYPE, changing nothing), then applies NX/XX.
func setGeneric(c *Client, key, val []byte, f setFlags, exp []byte, name string) {
	tx := c.tx
	tx.LockKey(c.db, key, true)
	defer tx.Unlock()
	var at int64
	if exp != nil {
		var ok bool
		if at, ok = expireAt(c, f, exp, tx.Now(), name); !ok {
			return
		}
	}
	var old *store.Entry
	if f&setGet != 0 {
		old = tx.LookupRead(key)
		switch {
		case old == nil:
			c.WriteNull()
		case old.Kind() != store.KindString:
			c.WriteError(errWrongType)
			return
		default:
			c.WriteBulk(old.Str())
		}
	} else {
		old = tx.Lookup(key)
	}
	if (f&setNX != 0 && old != nil) || (f&setXX != 0 && old == nil) {
		switch {
		case f&setReplyInt != 0:
			c.WriteInt(0)
		case f&setGet == 0:
			c.WriteNull()
		}
		return
	}
	if f&setKeepTTL != 0 && old != nil {
		at = old.ExpireAt()
	}
	tx.SetString(key, val, at)
	if tx.Journaling() {
		if at != 0 {
			tx.Emit(cmdNameSET, key, val, argPXAT, tx.Int(at))
		} else {
			tx.Emit(cmdNameSET, key, val)
		}
	}
	switch {
	case f&setReplyInt != 0:
		c.WriteInt(1)
	case f&setGet == 0:
		c.WriteOK()
	}
}

// lookupStringOrReply finds key's string entry for a command that answers
// its value (counting a keyspace hit or miss). When there is none it
// answers nil, or WRONGTYPE for a value of another type, and returns nil.
func lookupStringOrReply(c *Client, key []byte) *store.Entry {
	e := c.tx.LookupRead(key)
	switch {
	case e == nil:
		c.WriteNull()
		return nil
	case e.Kind() != store.KindString:
		c.WriteError(errWrongType)
		return nil
	}
	return e
}

// GETDEL key
func cmdGetdel(c *Client, args [][]byte) {
	tx := c.tx
	key := args[1]
	tx.LockKey(c.db, key, true)
	defer tx.Unlock()
	e := lookupStringOrReply(c, key)
	if e == nil {
		return
	}
	c.WriteBulk(e.Str())
	tx.Delete(key)
	if tx.Journaling() {
		tx.Emit(strWords.del, key)
	}
}

// GETEX key [EX seconds | PX milliseconds | EXAT unix-time-seconds |
// PXAT unix-time-milliseconds | PERSIST]
func cmdGetex(c *Client, args [][]byte) {
	f, exp, ok := parseSetOptions(args, 2, true)
	if !ok {
		c.WriteError(errSyntax)
		return
	}
	tx := c.tx
	key := args[1]
	// Without options GETEX is a plain read.
	tx.LockKey(c.db, key, len(args) > 2)
	defer tx.Unlock()
	e := lookupStringOrReply(c, key)
	if e == nil {
		return
	}
	var at int64
	if exp != nil {
		if at, ok = expireAt(c, f, exp, tx.Now(), "getex"); !ok {
			return
		}
	}
	c.WriteBulk(e.Str())
	switch {
	case f&(setEXAT|setPXAT) != 0 && at <= tx.Now():
		// An absolute time already past deletes the key, as Redis does.
		tx.Delete(key)
		if tx.Journaling() {
			tx.Emit(strWords.del, key)
		}
	case exp != nil:
		tx.SetExpire(e, at)
		if tx.Journaling() {
			tx.Emit(strWords.pexpireat, key, tx.Int(at))
		}
	case f&setPersist != 0 && e.ExpireAt() != 0:
		tx.SetExpire(e, 0)
		if tx.Journaling() {
			tx.Emit(strWords.persist, key)
		}
	}
}

// strLockKeys begins a multi-key command on keys[0], keys[step], ... and
// locks their shards.
func strLockKeys(c *Client, keys [][]byte, step int, write bool) {
	tx := c.tx
	tx.Begin(c.db, write)
	for i := 0; i < len(keys); i += step {
		tx.Key(keys[i])
	}
	tx.Lock()
}

// MGET key [key ...]
func cmdMget(c *Client, args [][]byte) {
	tx := c.tx
	strLockKeys(c, args[1:], 1, false)
	c.WriteArray(len(args) - 1)
	for _, key := range args[1:] {
		if e := tx.LookupRead(key); e != nil && e.Kind() == store.KindString {
			c.WriteBulk(e.Str())
		} else {
			c.WriteNull()
		}
	}
	tx.Unlock()
}

// MSET key value [key value ...]
func cmdMset(c *Client, args [][]byte) { msetGeneric(c, args, false) }

// MSETNX key value [key value ...]
func cmdMsetnx(c *Client, args [][]byte) { msetGeneric(c, args, true) }

// msetGeneric sets every pair atomically (all their shards locked at once);
// with nx, only when none of the keys exists.
func msetGeneric(c *Client, args [][]byte, nx bool) {
	if len(args)%2 == 0 {
		if nx {
			c.WriteError(errWrongArity("msetnx"))
		} else {
			c.WriteError(errWrongArity("mset"))
		}
		return
	}
	tx := c.tx
	strLockKeys(c, args[1:], 2, true)
	defer tx.Unlock()
	if nx {
		for i := 1; i < len(args); i += 2 {
			if tx.Lookup(args[i]) != nil {
				c.WriteInt(0)
				return
			}
		}
	}
	for i := 1; i < len(args); i += 2 {
		tx.SetString(args[i], args[i+1], 0)
	}
	if tx.Journaling() {
		// Journal the canonical name in place of the one as sent.
		name := args[0]
		args[0] = strWords.mset
		tx.Emit(args...)
		args[0] = name
	}
	if nx {
		c.WriteInt(1)
	} else {
		c.WriteOK()
	}
}

// APPEND key value
func cmdAppend(c *Client, args [][]byte) {
	maxBulk := c.srv.cfg.Int("proto-max-bulk-len")
	tx := c.tx
	tx.LockKey(c.db, args[1], true)
	defer tx.Unlock()
	n, err := tx.Append(args[1], args[2], maxBulk)
	if err != nil {
		c.WriteError(storeError(err))
		return
	}
	if tx.Journaling() {
		tx.Emit(strWords.append, args[1], args[2])
	}
	c.WriteInt(int64(n))
}

// STRLEN key
func cmdStrlen(c *Client, args [][]byte) {
	tx := c.tx
	tx.LockKey(c.db, args[1], false)
	switch e := tx.LookupRead(args[1]); {
	case e == nil:
		c.WriteInt(0)
	case e.Kind() != store.KindString:
		c.WriteError(errWrongType)
	default:
		c.WriteInt(int64(len(e.Str())))
	}
	tx.Unlock()
}

// incrDecr is the body of INCR, DECR, INCRBY and DECRBY.
func incrDecr(c *Client, key []byte, delta int64) {
	tx := c.tx
	tx.LockKey(c.db, key, true)
	v, err := tx.IncrBy(key, delta)
	if err != nil {
		tx.Unlock()
		c.WriteError(storeError(err))
		return
	}
	if tx.Journaling() {
		tx.Emit(cmdNameSET, key, tx.Int(v), strWords.keepttl)
	}
	tx.Unlock()
	c.WriteInt(v)
}

// INCR key
func cmdIncr(c *Client, args [][]byte) { incrDecr(c, args[1], 1) }

// DECR key
func cmdDecr(c *Client, args [][]byte) { incrDecr(c, args[1], -1) }

// INCRBY key increment
func cmdIncrby(c *Client, args [][]byte) {
	by, ok := parseInt(args[2])
	if !ok {
		c.WriteError(errNotInteger)
		return
	}
	incrDecr(c, args[1], by)
}

// DECRBY key decrement
func cmdDecrby(c *Client, args [][]byte) {
	by, ok := parseInt(args[2])
	if !ok {
		c.WriteError(errNotInteger)
		return
	}
	if by == math.MinInt64 {
		c.WriteError(errDecrOverflow)
		return
	}
	incrDecr(c, args[1], -by)
}

// INCRBYFLOAT key increment
func cmdIncrbyfloat(c *Client, args [][]byte) {
	tx := c.tx
	key := args[1]
	tx.LockKey(c.db, key, true)
	defer tx.Unlock()
	v, err := tx.IncrByFloat(key, args[2])
	if err != nil {
		c.WriteError(storeError(err))
		return
	}
	if tx.Journaling() {
		tx.Emit(cmdNameSET, key, v, strWords.keepttl)
	}
	c.WriteBulk(v)
}

// GETRANGE key start end
func cmdGetrange(c *Client, args [][]byte) { getrange(c, args) }

// SUBSTR key start end
func cmdSubstr(c *Client, args [][]byte) { getrange(c, args) }

// getrange answers the bytes of a string from start to end inclusive,
// negative offsets counting from the end, with Redis 7's clamping.
func getrange(c *Client, args [][]byte) {
	start, ok1 := parseInt(args[2])
	end, ok2 := parseInt(args[3])
	if !ok1 || !ok2 {
		c.WriteError(errNotInteger)
		return
	}
	tx := c.tx
	tx.LockKey(c.db, args[1], false)
	defer tx.Unlock()
	e := tx.LookupRead(args[1])
	switch {
	case e == nil:
		c.WriteBulk(nil)
		return
	case e.Kind() != store.KindString:
		c.WriteError(errWrongType)
		return
	}
	s := e.Str()
	n := int64(len(s))
	if start < 0 && end < 0 && start > end {
		c.WriteBulk(nil)
		return
	}
	if start < 0 {
		start = max(n+start, 0)
	}
	if end < 0 {
		end = max(n+end, 0)
	}
	end = min(end, n-1)
	if start > end || n == 0 {
		c.WriteBulk(nil)
		return
	}
	c.WriteBulk(s[start : end+1])
}

// SETRANGE key offset value
func cmdSetrange(c *Client, args [][]byte) {
	off, ok := parseInt(args[2])
	if !ok {
		c.WriteError(errNotInteger)
		return
	}
	if off < 0 {
		c.WriteError(errOffsetRange)
		return
	}
	maxBulk := c.srv.cfg.Int("proto-max-bulk-len")
	tx := c.tx
	tx.LockKey(c.db, args[1], true)
	defer tx.Unlock()
	n, changed, err := tx.SetRangeKey(args[1], off, args[3], maxBulk)
	if err != nil {
		c.WriteError(storeError(err))
		return
	}
	if changed && tx.Journaling() {
		tx.Emit(strWords.setrange, args[1], args[2], args[3])
	}
	c.WriteInt(int64(n))
}

// Longest common subsequence.
//
// Redis fills the whole (len1+1)×(len2+1) table of prefix LCS lengths as
// uint32, then walks it back from the bottom-right corner: on equal bytes
// it takes the byte and moves diagonally, otherwise it moves up when
// LCS(i-1,j) > LCS(i,j-1) and left when not. The walk yields the LCS string
// and, for IDX, the matching ranges, from the end of the strings.
//
// ember fills the same table one row at a time, keeping only two rows of
// lengths, and records for each cell the one bit the walk needs: whether it
// moves up. The walk then makes exactly Redis's choices, so the string, the
// ranges and their order are identical, from a table 32 times smaller; LEN
// needs no bits at all. Redis refuses a table whose uint32 size would
// exceed proto-max-bulk-len (512 MiB by default, strings of ~11.5k bytes
// each); ember applies the same limit with the same error so that replies
// agree, which bounds its bit table to proto-max-bulk-len/32 (16 MiB by
// default). Whatever proto-max-bulk-len is raised to, a table of more than
// lcsMaxCells cells is refused with Redis's allocation failure error rather
// than allocated. The strings are copied out under the read lock and
// compared without it, so an O(N·M) LCS never stalls writers of the keys'
// shards.

// lcsMaxCells caps the DP table ember will fill: 2^33 cells are 1 GiB of
// direction bits and tens of seconds of CPU.
const lcsMaxCells = 1 << 33

// lcsMatch is one IDX range: a[a0..a1] matches b[b0..b1].
type lcsMatch struct{ a0, a1, b0, b1 int }

// LCS key1 key2 [LEN] [IDX] [MINMATCHLEN min-match-len] [WITHMATCHLEN]
func cmdLcs(c *Client, args [][]byte) {
	maxBulk := c.srv.cfg.Int("proto-max-bulk-len")
	tx := c.tx
	strLockKeys(c, args[1:3], 1, false)
	ea, eb := tx.LookupRead(args[1]), tx.LookupRead(args[2])
	if (ea != nil && ea.Kind() != store.KindString) || (eb != nil && eb.Kind() != store.KindString) {
		tx.Unlock()
		c.WriteError(errLCSTypes)
		return
	}
	var getLen, getIdx, withLen bool
	var minLen int64
	for j := 3; j < len(args); j++ {
		switch a := args[j]; {
		case eqFold(a, "idx"):
			getIdx = true
		case eqFold(a, "len"):
			getLen = true
		case eqFold(a, "withmatchlen"):
			withLen = true
		case eqFold(a, "minmatchlen") && j+1 < len(args):
			v, ok := parseInt(args[j+1])
			if !ok {
				tx.Unlock()
				c.WriteError(errNotInteger)
				return
			}
			minLen = max(v, 0)
			j++
		default:
			tx.Unlock()
			c.WriteError(errSyntax)
			return
		}
	}
	var a, b []byte
	if ea != nil {
		a = ea.Str()
	}
	if eb != nil {
		b = eb.Str()
	}
	if msg := lcsCheck(getLen, getIdx, len(a), len(b), maxBulk); msg != "" {
		tx.Unlock()
		c.WriteError(msg)
		return
	}
	if len(a) > 0 && len(b) > 0 {
		buf := make([]byte, len(a)+len(b))
		copy(buf, a)
		copy(buf[len(a):], b)
		a, b = buf[:len(a)], buf[len(a):]
	} else {
		a, b = nil, nil
	}
	tx.Unlock()

	wantWalk := getIdx || !getLen
	length, dirs := lcsFill(a, b, wantWalk)
	if !wantWalk {
		c.WriteInt(int64(length))
		return
	}
	res, matches := lcsWalk(a, b, dirs, length, minLen)
	if !getIdx {
		c.WriteBulk(res)
		return
	}
	c.WriteMap(2)
	c.WriteBulkString("matches")
	c.WriteArray(len(matches))
	for _, m := range matches {
		if withLen {
			c.WriteArray(3)
		} else {
			c.WriteArray(2)
		}
		c.WriteArray(2)
		c.WriteInt(int64(m.a0))
		c.WriteInt(int64(m.a1))
		c.WriteArray(2)
		c.WriteInt(int64(m.b0))
		c.WriteInt(int64(m.b1))
		if withLen {
			c.WriteInt(int64(m.a1 - m.a0 + 1))
		}
	}
	c.WriteBulkString("len")
	c.WriteInt(int64(length))
}

// lcsCheck returns the error Redis answers before computing an LCS of
// strings of lengths n and m, or "".
func lcsCheck(getLen, getIdx bool, n, m int, maxBulk int64) string {
	if getLen && getIdx {
		return errLCSBothLen
	}
	if uint64(n) >= math.MaxUint32-1 || uint64(m) >= math.MaxUint32-1 {
		return errLCSTooLong
	}
	hi, cells := bits.Mul64(uint64(n)+1, uint64(m)+1)
	hi2, size := bits.Mul64(cells, 4)
	if hi != 0 || hi2 != 0 {
		return errLCSAlloc
	}
	if size > uint64(maxBulk) {
		return errLCSMemory
	}
	if uint64(n)*uint64(m) > lcsMaxCells {
		return errLCSAlloc
	}
	return ""
}

// lcsFill computes the LCS length of a and b by rows and, when dirs, the
// direction bits of the walk (bit (i-1)*len(b)+(j-1) set when the walk at
// cell (i,j) of unequal bytes moves up).
func lcsFill(a, b []byte, dirs bool) (int, []uint64) {
	n, m := len(a), len(b)
	if n == 0 || m == 0 {
		return 0, nil
	}
	prev := make([]uint32, m+1)
	cur := make([]uint32, m+1)
	var up []uint64
	if dirs {
		up = make([]uint64, (n*m+63)/64)
	}
	for i := 1; i <= n; i++ {
		ai, row := a[i-1], (i-1)*m
		for j := 1; j <= m; j++ {
			switch u, l := prev[j], cur[j-1]; {
			case ai == b[j-1]:
				cur[j] = prev[j-1] + 1
			case u > l:
				cur[j] = u
				if dirs {
					k := row + j - 1
					up[k>>6] |= 1 << (k & 63)
				}
			default:
				cur[j] = l
			}
		}
		prev, cur = cur, prev
	}
	return int(prev[m]), up
}

// lcsWalk walks the table back from (len(a), len(b)) as Redis does,
// returning the LCS and the ranges of contiguous matches at least minLen
// long (all when minLen is 0), last ones first.
func lcsWalk(a, b []byte, up []uint64, length int, minLen int64) ([]byte, []lcsMatch) {
	res := make([]byte, length)
	var matches []lcsMatch
	n, m := len(a), len(b)
	idx := length
	i, j := n, m
	// cur.a0 == n means no range is open.
	cur := lcsMatch{a0: n}
	for i > 0 && j > 0 {
		emit := false
		if a[i-1] == b[j-1] {
			res[idx-1] = a[i-1]
			switch {
			case cur.a0 == n:
				cur = lcsMatch{i - 1, i - 1, j - 1, j - 1}
			case cur.a0 == i && cur.b0 == j:
				cur.a0--
				cur.b0--
			default:
				emit = true
			}
			if cur.a0 == 0 || cur.b0 == 0 {
				emit = true
			}
			idx--
			i--
			j--
		} else {
			if k := (i-1)*m + j - 1; up[k>>6]>>(k&63)&1 != 0 {
				i--
			} else {
				j--
			}
			emit = cur.a0 != n
		}
		if emit {
			if minLen == 0 || int64(cur.a1-cur.a0+1) >= minLen {
				matches = append(matches, cur)
			}
			cur.a0 = n
		}
	}
	return res, matches
}
