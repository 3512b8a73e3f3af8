package server

import (
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/embercache/ember/store"
	"github.com/tidwall/redcon"
)

// Stream commands, consumer groups and blocking reads (Redis's t_stream.c).
//
// Journal records are deterministic, as Redis propagates streams: XADD
// with the ID it assigned, trims as the exact XTRIM ... MAXLEN = <length>
// (or MINID = <id>) that reproduces them, and reads through a consumer
// group as XCLAIM ... FORCE JUSTID records with the delivery time and
// count, plus XGROUP SETID ... ENTRIESREAD when the group's last delivered
// ID moved (so a replica replaying them reaches the same group state,
// read counter included).

// xreadBlockedDefaultCount is the most entries a blocked XREAD without
// COUNT is served (Redis's XREAD_BLOCKED_DEFAULT_COUNT).
const xreadBlockedDefaultCount = 1000

// ---- IDs ----

// string2ull mirrors Redis's string2ull: a canonical long long that is not
// negative, or else what strtoull accepts whole (leading spaces, a sign).
func string2ull(b []byte) (uint64, bool) {
	if n, ok := parseInt(b); ok {
		if n < 0 {
			return 0, false
		}
		return uint64(n), true
	}
	i := 0
	for i < len(b) && (b[i] == ' ' || (b[i] >= '\t' && b[i] <= '\r')) {
		i++
	}
	neg := false
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		neg = b[i] == '-'
		i++
	}
	if i == len(b) {
		return 0, false
	}
	var v uint64
	for ; i < len(b); i++ {
		d := b[i] - '0'
		if d > 9 {
			return 0, false
		}
		if v > (math.MaxUint64-uint64(d))/10 {
			return 0, false
		}
		v = v*10 + uint64(d)
	}
	if neg {
		v = -v
	}
	return v, true
}

// parseStreamID parses "<ms>[-<seq>]", "-" and "+" (not when strict) as
// Redis's streamGenericParseIDOrReply; missing is the sequence of an ID
// given as milliseconds only. With seqStar, "<ms>-*" is accepted and
// seqGiven says whether the sequence was given.
func parseStreamID(b []byte, missing uint64, strict, seqStar bool) (id store.StreamID, seqGiven bool, ok bool) {
	if len(b) > 127 {
		return id, false, false
	}
	if i := slices.Index(b, 0); i >= 0 {
		b = b[:i] // C string
	}
	if len(b) == 1 && (b[0] == '-' || b[0] == '+') {
		if strict {
			return id, false, false
		}
		if b[0] == '-' {
			return store.StreamID{}, true, true
		}
		return store.MaxStreamID, true, true
	}
	msPart, seqPart, dash := b, []byte(nil), false
	if i := slices.Index(b, '-'); i >= 0 {
		msPart, seqPart, dash = b[:i], b[i+1:], true
	}
	ms, ok := string2ull(msPart)
	if !ok {
		return id, false, false
	}
	seq := missing
	seqGiven = true
	if dash {
		if seqStar && len(seqPart) == 1 && seqPart[0] == '*' {
			seq, seqGiven = 0, false
		} else if seq, ok = string2ull(seqPart); !ok {
			return id, false, false
		}
	}
	return store.StreamID{Ms: ms, Seq: seq}, seqGiven, true
}

// streamIDArg parses an ID argument, replying the error when invalid.
func streamIDArg(c *Client, b []byte, missing uint64, strict bool) (store.StreamID, bool) {
	id, _, ok := parseStreamID(b, missing, strict, false)
	if !ok {
		c.WriteError(errInvalidStreamID)
	}
	return id, ok
}

// intervalID parses a range bound, "(" making it exclusive, as Redis's
// streamParseIntervalIDOrReply followed by the increment/decrement.
func intervalID(c *Client, b []byte, end bool) (store.StreamID, bool) {
	missing := uint64(0)
	if end {
		missing = math.MaxUint64
	}
	excl := len(b) > 1 && b[0] == '('
	if !excl {
		return streamIDArg(c, b, missing, false)
	}
	id, ok := streamIDArg(c, b[1:], missing, true)
	if !ok {
		return id, false
	}
	if end {
		if id, ok = id.Decr(); !ok {
			c.WriteError(errStreamEndInterval)
		}
	} else if id, ok = id.Incr(); !ok {
		c.WriteError(errStreamStartInterval)
	}
	return id, ok
}

func appendID(tx *store.Tx, id store.StreamID) []byte {
	var buf [48]byte
	return tx.Bytes(id.Append(buf[:0]))
}

// writeID writes an ID as a bulk string.
func (c *Client) writeID(id store.StreamID) {
	var buf [48]byte
	c.WriteBulk(id.Append(buf[:0]))
}

// writeEntry writes [id, [field, value, ...]].
func (c *Client) writeEntry(id store.StreamID, fv [][]byte) {
	c.WriteArray(2)
	c.writeID(id)
	c.WriteArray(len(fv))
	for _, b := range fv {
		c.WriteBulk(b)
	}
}

// insertArrayHeader inserts an array (or, with asMap in RESP3, map) header
// for n elements at start of the output (a length known only after the
// elements were written).
func (c *Client) insertArrayHeader(start, n int, asMap bool) {
	var buf [24]byte
	var h []byte
	if asMap && c.resp3 {
		h = append(buf[:0], '%')
		h = strconv.AppendInt(h, int64(n), 10)
		h = append(h, '\r', '\n')
	} else {
		h = redcon.AppendArray(buf[:0], n)
	}
	c.out = slices.Insert(c.out, start, h...)
}

// lookupStream returns key's stream, nil when the key is missing; ok is
// false (WRONGTYPE replied) for another type.
func lookupStream(c *Client, tx *store.Tx, db *store.DB, key []byte, read bool) (*store.Entry, *store.Stream, bool) {
	var e *store.Entry
	if read {
		e = tx.LookupRead(key)
	} else {
		e = tx.LookupIn(db, key)
	}
	if e == nil {
		return nil, nil, true
	}
	if e.Kind() != store.KindStream {
		c.WriteError(errWrongType)
		return nil, nil, false
	}
	return e, store.StreamOf(e), true
}

// lookupGroup finds key's stream and its group, replying WRONGTYPE or
// NOGROUP (g nil) when there is none.
func lookupGroup(c *Client, tx *store.Tx, key, group []byte) (*store.Entry, *store.Stream, *store.StreamGroup) {
	e, s, ok := lookupStream(c, tx, c.db, key, false)
	if !ok {
		return nil, nil, nil
	}
	var g *store.StreamGroup
	if s != nil {
		g = s.Group(group)
	}
	if g == nil {
		c.WriteError(errNoGroupKey(key, group))
	}
	return e, s, g
}

// ---- XADD / XTRIM ----

// streamAddTrimArgs are the parsed options of XADD and XTRIM.
type streamAddTrimArgs struct {
	trim       store.StreamTrim
	id         store.StreamID
	idGiven    bool
	seqGiven   bool
	noMkStream bool
}

// parseAddTrimArgs parses XADD's or XTRIM's options as Redis's
// streamParseAddOrTrimArgsOrReply; it returns the index of XADD's ID, or
// -1 after replying an error.
func parseAddTrimArgs(c *Client, args [][]byte, a *streamAddTrimArgs, xadd bool) int {
	i := 2
	limitGiven := false
	for ; i < len(args); i++ {
		more := len(args) - 1 - i
		opt := args[i]
		switch {
		case xadd && len(opt) == 1 && opt[0] == '*':
			goto done
		case (eqFold(opt, "maxlen") || eqFold(opt, "minid")) && more > 0:
			if a.trim.Strategy != store.TrimNone {
				c.WriteError(errStreamMaxlenMinid)
				return -1
			}
			a.trim.Approx = false
			next := args[i+1]
			if more >= 2 && len(next) == 1 && (next[0] == '~' || next[0] == '=') {
				a.trim.Approx = next[0] == '~'
				i++
			}
			if eqFold(opt, "maxlen") {
				n, ok := parseInt(args[i+1])
				if !ok {
					c.WriteError(errNotInteger)
					return -1
				}
				if n < 0 {
					c.WriteError(errStreamMaxlenNeg)
					return -1
				}
				a.trim.MaxLen = n
				a.trim.Strategy = store.TrimMaxLen
			} else {
				id, ok := streamIDArg(c, args[i+1], 0, true)
				if !ok {
					return -1
				}
				a.trim.MinID = id
				a.trim.Strategy = store.TrimMinID
			}
			i++
		case eqFold(opt, "limit") && more > 0:
			n, ok := parseInt(args[i+1])
			if !ok {
				c.WriteError(errNotInteger)
				return -1
			}
			if n < 0 {
				c.WriteError(errStreamLimitNeg)
				return -1
			}
			a.trim.Limit = n
			limitGiven = true
			i++
		case xadd && eqFold(opt, "nomkstream"):
			a.noMkStream = true
		case xadd:
			id, seqGiven, ok := parseStreamID(opt, 0, true, true)
			if !ok {
				c.WriteError(errInvalidStreamID)
				return -1
			}
			a.id, a.seqGiven, a.idGiven = id, seqGiven, true
			goto done
		default:
			c.WriteError(errSyntax)
			return -1
		}
	}
done:
	if a.trim.Limit != 0 && a.trim.Strategy == store.TrimNone {
		c.WriteError(errStreamLimitNoTrim)
		return -1
	}
	if !xadd && a.trim.Strategy == store.TrimNone {
		c.WriteError(errXtrimNoStrategy)
		return -1
	}
	if limitGiven {
		if !a.trim.Approx {
			c.WriteError(errStreamLimitNoApprox)
			return -1
		}
	} else if a.trim.Approx {
		l := 100 * c.srv.store.Limits().StreamNodeMaxEntries.Load()
		if l <= 0 {
			l = 10000
		}
		a.trim.Limit = min(l, 1000000)
	} else {
		a.trim.Limit = 0
	}
	return i
}

// XADD key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]] *|id field value [field value ...]
func cmdXadd(c *Client, args [][]byte) {
	var a streamAddTrimArgs
	idPos := parseAddTrimArgs(c, args, &a, true)
	if idPos < 0 {
		return
	}
	fieldPos := idPos + 1
	if n := len(args) - fieldPos; n < 2 || n%2 == 1 {
		c.WriteError(errWrongArity("xadd"))
		return
	}
	if a.idGiven && a.seqGiven && a.id.IsZero() {
		c.WriteError(errStreamAddZero)
		return
	}
	key := args[1]
	tx := c.tx
	tx.LockKey(c.db, key, true)
	defer tx.Unlock()
	e, s, ok := lookupStream(c, tx, c.db, key, false)
	if !ok {
		return
	}
	if s == nil {
		if a.noMkStream {
			c.WriteNull()
			return
		}
		s = store.NewStream()
	}
	last := s.LastID()
	if last == store.MaxStreamID {
		c.WriteError(errStreamExhausted)
		return
	}
	var id store.StreamID
	switch {
	case !a.idGiven:
		if now := uint64(tx.Now()); now > last.Ms {
			id = store.StreamID{Ms: now}
		} else {
			id, _ = last.Incr()
		}
	case !a.seqGiven:
		if last.Ms == a.id.Ms {
			if last.Seq == math.MaxUint64 {
				c.WriteError(errStreamIDSmall)
				return
			}
			id = store.StreamID{Ms: last.Ms, Seq: last.Seq + 1}
		} else {
			id = a.id
		}
	default:
		id = a.id
	}
	if id.Cmp(last) <= 0 {
		c.WriteError(errStreamIDSmall)
		return
	}
	tot := 0
	for _, b := range args[fieldPos:] {
		tot += len(b)
	}
	if tot > 1<<30 {
		c.WriteError(errStreamTooLarge)
		return
	}
	if e == nil {
		e = tx.PutIn(c.db, key, store.KindStream, nil, s, 0)
	}
	before := e.Size()
	s.Append(id, args[fieldPos:], tx.Store().Limits())
	c.writeID(id)
	if tx.Journaling() {
		rec := make([][]byte, 0, 3+len(args)-fieldPos)
		rec = append(rec, []byte("XADD"), key, appendID(tx, id))
		tx.Emit(append(rec, args[fieldPos:]...)...)
	}
	if a.trim.Strategy != store.TrimNone {
		if s.Trim(a.trim) > 0 {
			emitTrim(tx, key, s, a.trim)
		}
	}
	tx.Resized(e, before)
	c.signalReady(c.db, key)
}

// emitTrim journals a trim as the exact XTRIM that reproduces it.
func emitTrim(tx *store.Tx, key []byte, s *store.Stream, t store.StreamTrim) {
	if !tx.Journaling() {
		return
	}
	if t.Strategy == store.TrimMaxLen {
		tx.Emit([]byte("XTRIM"), key, []byte("MAXLEN"), []byte("="), tx.Int(s.Len()))
		return
	}
	min := t.MinID
	if t.Approx {
		min = s.FirstEntryID()
	}
	tx.Emit([]byte("XTRIM"), key, []byte("MINID"), []byte("="), appendID(tx, min))
}

// XTRIM key MAXLEN|MINID [=|~] threshold [LIMIT count]
func cmdXtrim(c *Client, args [][]byte) {
	var a streamAddTrimArgs
	if parseAddTrimArgs(c, args, &a, false) < 0 {
		return
	}
	tx := c.tx
	tx.LockKey(c.db, args[1], true)
	defer tx.Unlock()
	e, s, ok := lookupStream(c, tx, c.db, args[1], false)
	if !ok {
		return
	}
	if s == nil {
		c.WriteInt(0)
		return
	}
	before := e.Size()
	n := s.Trim(a.trim)
	if n > 0 {
		emitTrim(tx, args[1], s, a.trim)
		tx.Resized(e, before)
	}
	c.WriteInt(n)
}

// XDEL key id [id ...]
func cmdXdel(c *Client, args [][]byte) {
	tx := c.tx
	tx.LockKey(c.db, args[1], true)
	defer tx.Unlock()
	e, s, ok := lookupStream(c, tx, c.db, args[1], false)
	if !ok {
		return
	}
	if s == nil {
		c.WriteInt(0)
		return
	}
	ids, ok := parseIDList(c, args[2:])
	if !ok {
		return
	}
	before := e.Size()
	n := s.Delete(ids)
	if n > 0 {
		tx.Resized(e, before)
		if tx.Journaling() {
			tx.Emit(append([][]byte{[]byte("XDEL"), args[1]}, args[2:]...)...)
		}
	}
	c.WriteInt(n)
}

// parseIDList parses strict IDs, replying the error for an invalid one.
func parseIDList(c *Client, args [][]byte) ([]store.StreamID, bool) {
	ids := make([]store.StreamID, len(args))
	for i, a := range args {
		id, ok := streamIDArg(c, a, 0, true)
		if !ok {
			return nil, false
		}
		ids[i] = id
	}
	return ids, true
}

// XLEN key
func cmdXlen(c *Client, args [][]byte) {
	tx := c.tx
	tx.LockKey(c.db, args[1], false)
	defer tx.Unlock()
	_, s, ok := lookupStream(c, tx, c.db, args[1], true)
	if !ok {
		return
	}
	if s == nil {
		c.WriteInt(0)
		return
	}
	c.WriteInt(s.Len())
}

// ---- XRANGE ----

// XRANGE key start end [COUNT count]
func cmdXrange(c *Client, args [][]byte) { xrangeGeneric(c, args, false) }

// XREVRANGE key end start [COUNT count]
func cmdXrevrange(c *Client, args [][]byte) { xrangeGeneric(c, args, true) }

func xrangeGeneric(c *Client, args [][]byte, rev bool) {
	startArg, endArg := args[2], args[3]
	if rev {
		startArg, endArg = endArg, startArg
	}
	start, ok := intervalID(c, startArg, false)
	if !ok {
		return
	}
	end, ok := intervalID(c, endArg, true)
	if !ok {
		return
	}
	count := int64(-1)
	for j := 4; j < len(args); j++ {
		if eqFold(args[j], "count") && j+1 < len(args) {
			n, ok := parseInt(args[j+1])
			if !ok {
				c.WriteError(errNotInteger)
				return
			}
			count = max(n, 0)
			j++
		} else {
			c.WriteError(errSyntax)
			return
		}
	}
	tx := c.tx
	tx.LockKey(c.db, args[1], false)
	defer tx.Unlock()
	_, s, ok := lookupStream(c, tx, c.db, args[1], true)
	if !ok {
		return
	}
	if s == nil {
		c.WriteArray(0)
		return
	}
	if count == 0 {
		c.WriteNullArray()
		return
	}
	if count < 0 {
		count = 0
	}
	writeRange(c, s, start, end, count, rev)
}

// writeRange writes the entries of [start, end] (at most count, 0: all) as
// an array, and returns how many.
func writeRange(c *Client, s *store.Stream, start, end store.StreamID, count int64, rev bool) int {
	at := len(c.out)
	n := 0
	s.Range(start, end, rev, &c.streamScratch, func(id store.StreamID, fv [][]byte) bool {
		c.writeEntry(id, fv)
		n++
		return count == 0 || int64(n) < count
	})
	c.insertArrayHeader(at, n, false)
	return n
}

// writeEdgeEntry writes the first (last, with rev) entry met iterating
// over the whole stream, or a null when there is none.
func writeEdgeEntry(c *Client, s *store.Stream, rev bool) {
	found := false
	s.Range(store.StreamID{}, store.MaxStreamID, rev, &c.streamScratch, func(id store.StreamID, fv [][]byte) bool {
		c.writeEntry(id, fv)
		found = true
		return false
	})
	if !found {
		c.WriteNull()
	}
}

// ---- XREAD / XREADGROUP ----

// xreadArgs are XREAD's and XREADGROUP's parsed arguments.
type xreadArgs struct {
	group, consumer []byte
	keys            [][]byte
	ids             []store.StreamID
	newOnly         []bool // ">" (XREADGROUP)
	count           int64
	block           bool
	timeout         time.Duration
	noack           bool
}

// XREAD [COUNT count] [BLOCK milliseconds] STREAMS key [key ...] id [id ...]
func cmdXread(c *Client, args [][]byte) { xreadGeneric(c, args, false) }

// XREADGROUP GROUP group consumer [COUNT count] [BLOCK milliseconds] [NOACK] STREAMS key [key ...] id [id ...]
func cmdXreadgroup(c *Client, args [][]byte) { xreadGeneric(c, args, true) }

func xreadGeneric(c *Client, args [][]byte, isGroup bool) {
	var a xreadArgs
	streamsArg := 0
	for i := 1; i < len(args); i++ {
		more := len(args) - i - 1
		o := args[i]
		switch {
		case eqFold(o, "block") && more > 0:
			i++
			ms, ok := parseInt(args[i])
			if !ok {
				c.WriteError(errTimeout)
				return
			}
			if ms < 0 {
				c.WriteError(errTimeoutNegative)
				return
			}
			a.block = true
			if ms <= math.MaxInt64/int64(time.Millisecond) {
				a.timeout = time.Duration(ms) * time.Millisecond
			}
		case eqFold(o, "count") && more > 0:
			i++
			n, ok := parseInt(args[i])
			if !ok {
				c.WriteError(errNotInteger)
				return
			}
			a.count = max(n, 0)
		case eqFold(o, "streams") && more > 0:
			streamsArg = i + 1
			if n := len(args) - streamsArg; n%2 != 0 {
				c.WriteError(errXreadUnbalanced)
				return
			}
			i = len(args)
		case eqFold(o, "group") && more >= 2:
			if !isGroup {
				c.WriteError(errXreadGroupOption)
				return
			}
			a.group, a.consumer = args[i+1], args[i+2]
			i += 2
		case eqFold(o, "noack"):
			if !isGroup {
				c.WriteError(errXreadNoackOption)
				return
			}
			a.noack = true
		default:
			c.WriteError(errSyntax)
			return
		}
	}
	if streamsArg == 0 {
		c.WriteError(errSyntax)
		return
	}
	if isGroup && a.group == nil {
		c.WriteError(errXreadgroupNoGroup)
		return
	}
	nk := (len(args) - streamsArg) / 2
	a.keys = args[streamsArg : streamsArg+nk]
	idArgs := args[streamsArg+nk:]
	a.ids = make([]store.StreamID, nk)
	a.newOnly = make([]bool, nk)

	tx := c.tx
	beginKeys(tx, c.db, a.keys, isGroup)
	for i, k := range a.keys {
		e := tx.Lookup(k)
		var s *store.Stream
		if e != nil {
			if e.Kind() != store.KindStream {
				tx.Unlock()
				c.WriteError(errWrongType)
				return
			}
			s = store.StreamOf(e)
		}
		if isGroup && (s == nil || s.Group(a.group) == nil) {
			tx.Unlock()
			c.WriteError(errXreadgroupNoGroupKey(k, a.group))
			return
		}
		idb := idArgs[i]
		switch {
		case len(idb) == 1 && idb[0] == '$':
			if isGroup {
				tx.Unlock()
				c.WriteError(errXreadgroupDollar)
				return
			}
			if s != nil {
				a.ids[i] = s.LastID()
			}
		case len(idb) == 1 && idb[0] == '>':
			if !isGroup {
				tx.Unlock()
				c.WriteError(errXreadGreater)
				return
			}
			a.newOnly[i] = true
			a.ids[i] = store.MaxStreamID
		default:
			id, ok := streamIDArg(c, idb, 0, true)
			if !ok {
				tx.Unlock()
				return
			}
			a.ids[i] = id
		}
	}
	// Count the read keys as Redis's lookups do.
	served := xreadServe(c, tx, c.db, &a, -1, a.count)
	if served {
		tx.Unlock()
		return
	}
	if !a.block {
		tx.Unlock()
		c.WriteNullArray()
		return
	}
	w := &Waiter{
		DB:        c.db,
		Keys:      copyKeys(a.keys),
		ReadyOnly: true,
		OnTimeout: func(c *Client) { c.WriteNullArray() },
	}
	ba := &xreadArgs{
		group:    append([]byte(nil), a.group...),
		consumer: append([]byte(nil), a.consumer...),
		ids:      a.ids,
		newOnly:  a.newOnly,
		count:    a.count,
		noack:    a.noack,
	}
	if !isGroup {
		ba.group = nil
	}
	if ba.count == 0 {
		ba.count = xreadBlockedDefaultCount
	}
	w.Attempt = func(tx *store.Tx, w *Waiter, sink *Client) bool {
		return xreadServeBlocked(w.C, tx, w, ba, sink)
	}
	c.block(tx, w, a.timeout)
}

// xreadServe serves every stream of a that has something for the client
// (Redis's synchronous path); with only >= 0 it considers that key alone.
// It reports whether it replied.
func xreadServe(c *Client, tx *store.Tx, db *store.DB, a *xreadArgs, only int, count int64) bool {
	at := len(c.out)
	n := 0
	now := tx.Now()
	for i, k := range a.keys {
		if only >= 0 && i != only {
			continue
		}
		e := tx.LookupIn(db, k)
		if e == nil {
			continue
		}
		s := store.StreamOf(e)
		gt := a.ids[i]
		serve, history := false, false
		var g *store.StreamGroup
		var cons *store.StreamConsumer
		if a.group != nil {
			g = s.Group(a.group)
			// An explicit max ID means ">", as Redis encodes ">" so.
			if !a.newOnly[i] && gt != store.MaxStreamID {
				serve, history = true, true
			} else if s.Len() > 0 {
				if maxID, _ := s.LastValidID(); maxID.Cmp(g.LastID) > 0 {
					serve = true
					gt = g.LastID
				}
			}
		} else if s.Len() > 0 {
			if maxID, _ := s.LastValidID(); maxID.Cmp(gt) > 0 {
				serve = true
			}
		}
		if !serve {
			continue
		}
		n++
		if !c.resp3 {
			c.WriteArray(2)
		}
		c.WriteBulk(k)
		start, _ := gt.Incr()
		before := e.Size()
		if g != nil {
			// Redis 7.0 creates the consumer only when it serves it.
			cons = consumerFor(tx, db, k, g, a.consumer, now)
			cons.SeenTime = now
		}
		if history {
			writeHistory(c, tx, db, k, s, g, cons, start, count, now)
		} else {
			writeGroupRange(c, tx, db, k, s, g, cons, start, count, a.noack, now)
		}
		tx.ResizedIn(db, e, before)
	}
	if n == 0 {
		return false
	}
	c.insertArrayHeader(at, n, true)
	return true
}

// consumerFor returns the named consumer of g, creating (and journaling)
// it if needed.
func consumerFor(tx *store.Tx, db *store.DB, key []byte, g *store.StreamGroup, name []byte, now int64) *store.StreamConsumer {
	if cons := g.Consumer(name); cons != nil {
		return cons
	}
	cons := g.CreateConsumer(name, now)
	if tx.Journaling() {
		tx.EmitIn(db, []byte("XGROUP"), []byte("CREATECONSUMER"), key, []byte(g.Name), name)
	}
	return cons
}

// writeGroupRange writes the entries from start on (at most count, 0 for
// all) as an array; with a group it delivers them to cons (Redis's
// streamReplyWithRange with a group).
func writeGroupRange(c *Client, tx *store.Tx, db *store.DB, key []byte, s *store.Stream, g *store.StreamGroup, cons *store.StreamConsumer, start store.StreamID, count int64, noack bool, now int64) {
	if g == nil {
		writeRange(c, s, start, store.MaxStreamID, count, false)
		return
	}
	at := len(c.out)
	n := 0
	lastBefore, readBefore := g.LastID, g.EntriesRead
	s.Range(start, store.MaxStreamID, false, &c.streamScratch, func(id store.StreamID, fv [][]byte) bool {
		s.Deliver(g, id)
		c.writeEntry(id, fv)
		if !noack {
			nack := g.NACK(id)
			if nack == nil {
				nack = g.AddNACK(id, cons, now)
			} else {
				g.Assign(nack, cons)
				nack.DeliveryTime = now
				nack.DeliveryCount = 1
			}
			cons.ActiveTime = now
			emitClaim(tx, db, key, g, nack)
		}
		n++
		return count == 0 || int64(n) < count
	})
	c.insertArrayHeader(at, n, false)
	if g.LastID != lastBefore || g.EntriesRead != readBefore {
		emitGroupID(tx, db, key, g)
	}
}

// writeHistory writes the consumer's pending entries from start on (an
// entry deleted since is [id, nil]), counting a new delivery of each.
func writeHistory(c *Client, tx *store.Tx, db *store.DB, key []byte, s *store.Stream, g *store.StreamGroup, cons *store.StreamConsumer, start store.StreamID, count int64, now int64) {
	at := len(c.out)
	n := 0
	cons.Pending(start, func(nack *store.StreamNACK) bool {
		found := s.Get(nack.ID, &c.streamScratch, func(id store.StreamID, fv [][]byte) { c.writeEntry(id, fv) })
		if !found {
			c.WriteArray(2)
			c.writeID(nack.ID)
			c.WriteNullArray()
		} else {
			nack.DeliveryTime = now
			nack.DeliveryCount++
			emitClaim(tx, db, key, g, nack)
		}
		n++
		return count == 0 || int64(n) < count
	})
	c.insertArrayHeader(at, n, false)
}

// emitClaim journals a pending entry's state as an idempotent XCLAIM.
func emitClaim(tx *store.Tx, db *store.DB, key []byte, g *store.StreamGroup, n *store.StreamNACK) {
	if !tx.Journaling() {
		return
	}
	tx.EmitIn(db, []byte("XCLAIM"), key, []byte(g.Name), []byte(n.Consumer.Name), []byte("0"), appendID(tx, n.ID),
		[]byte("TIME"), tx.Int(n.DeliveryTime), []byte("RETRYCOUNT"), tx.Int(n.DeliveryCount), []byte("FORCE"), []byte("JUSTID"))
}

// emitGroupID journals a group's last delivered ID and read counter.
func emitGroupID(tx *store.Tx, db *store.DB, key []byte, g *store.StreamGroup) {
	if !tx.Journaling() {
		return
	}
	tx.EmitIn(db, []byte("XGROUP"), []byte("SETID"), key, []byte(g.Name), appendID(tx, g.LastID), []byte("ENTRIESREAD"), tx.Int(g.EntriesRead))
}

// xreadServeBlocked serves a blocked XREAD/XREADGROUP from w.Ready (Redis's
// serveClientsBlockedOnStreamKey).
func xreadServeBlocked(c *Client, tx *store.Tx, w *Waiter, a *xreadArgs, sink *Client) bool {
	key := w.Ready
	idx := slices.IndexFunc(w.Keys, func(k []byte) bool { return string(k) == string(key) })
	if idx < 0 {
		return false
	}
	e := tx.LookupIn(w.DB, key)
	if e == nil || e.Kind() != store.KindStream {
		if a.group != nil {
			c.WriteError(errStreamKeyGone)
			return true
		}
		return false
	}
	s := store.StreamOf(e)
	gt := a.ids[idx]
	var g *store.StreamGroup
	if a.group != nil {
		if g = s.Group(a.group); g == nil {
			c.WriteError(errStreamGroupGone)
			return true
		}
		gt = g.LastID
	}
	if s.LastID().Cmp(gt) <= 0 {
		return false
	}
	now := tx.Now()
	before := e.Size()
	var cons *store.StreamConsumer
	if g != nil {
		cons = consumerFor(tx, w.DB, key, g, a.consumer, now)
	}
	if c.resp3 {
		c.WriteMap(1)
	} else {
		c.WriteArray(1)
		c.WriteArray(2)
	}
	c.WriteBulk(key)
	start, _ := gt.Incr()
	writeGroupRange(c, tx, w.DB, key, s, g, cons, start, a.count, a.noack, now)
	tx.ResizedIn(w.DB, e, before)
	return true
}

// ---- consumer groups ----

// xgroupKey parses XGROUP CREATE/SETID options from args[5:] and looks up
// the key (and group), replying errors as Redis's xgroupCommand. needGroup
// says the group must exist.
func xgroupKey(c *Client, tx *store.Tx, args [][]byte, create, setid, needGroup bool) (e *store.Entry, s *store.Stream, g *store.StreamGroup, mkstream bool, entriesRead int64, ok bool) {
	entriesRead = store.StreamInvalidEntriesRead
	for i := 5; i < len(args); {
		switch {
		case create && eqFold(args[i], "mkstream"):
			mkstream = true
			i++
		case (create || setid) && eqFold(args[i], "entriesread") && i+1 < len(args):
			n, ok := parseInt(args[i+1])
			if !ok {
				c.WriteError(errNotInteger)
				return nil, nil, nil, false, 0, false
			}
			if n < 0 && n != store.StreamInvalidEntriesRead {
				c.WriteError(errEntriesReadRange)
				return nil, nil, nil, false, 0, false
			}
			entriesRead = n
			i += 2
		default:
			c.WriteError(errSubcommandSyntax(args))
			return nil, nil, nil, false, 0, false
		}
	}
	e, s, ok = lookupStream(c, tx, c.db, args[2], false)
	if !ok {
		return nil, nil, nil, false, 0, false
	}
	if !mkstream {
		if s == nil {
			c.WriteError(errXgroupNoKey)
			return nil, nil, nil, false, 0, false
		}
		g = s.Group(args[3])
		if g == nil && needGroup {
			c.WriteError(errNoGroupForKey(args[3], args[2]))
			return nil, nil, nil, false, 0, false
		}
	}
	return e, s, g, mkstream, entriesRead, true
}

// XGROUP CREATE key group id|$ [MKSTREAM] [ENTRIESREAD entries-read]
func cmdXgroupCreate(c *Client, args [][]byte) {
	tx := c.tx
	tx.LockKey(c.db, args[2], true)
	defer tx.Unlock()
	e, s, _, _, er, ok := xgroupKey(c, tx, args, true, false, false)
	if !ok {
		return
	}
	if len(args) > 8 {
		c.WriteError(errSubcommandSyntax(args))
		return
	}
	var id store.StreamID
	if len(args[4]) == 1 && args[4][0] == '$' {
		if s != nil {
			id = s.LastID()
		}
	} else if id, ok = streamIDArg(c, args[4], 0, true); !ok {
		return
	}
	created := false
	if s == nil {
		s = store.NewStream()
		e = tx.PutIn(c.db, args[2], store.KindStream, nil, s, 0)
		created = true
	}
	before := e.Size()
	if s.CreateGroup(args[3], id, er) == nil {
		c.WriteError(errBusyGroup)
		return
	}
	tx.Resized(e, before)
	if tx.Journaling() {
		rec := [][]byte{[]byte("XGROUP"), []byte("CREATE"), args[2], args[3], appendID(tx, id)}
		if created {
			rec = append(rec, []byte("MKSTREAM"))
		}
		tx.Emit(append(rec, []byte("ENTRIESREAD"), tx.Int(er))...)
	}
	c.WriteOK()
}

// XGROUP SETID key group id|$ [ENTRIESREAD entries-read]
func cmdXgroupSetid(c *Client, args [][]byte) {
	tx := c.tx
	tx.LockKey(c.db, args[2], true)
	defer tx.Unlock()
	_, s, g, _, er, ok := xgroupKey(c, tx, args, false, true, true)
	if !ok {
		return
	}
	if len(args) != 5 && len(args) != 7 {
		c.WriteError(errSubcommandSyntax(args))
		return
	}
	var id store.StreamID
	if len(args[4]) == 1 && args[4][0] == '$' {
		id = s.LastID()
	} else if id, ok = streamIDArg(c, args[4], 0, false); !ok {
		return
	}
	g.LastID, g.EntriesRead = id, er
	emitGroupID(tx, c.db, args[2], g)
	c.WriteOK()
}

// XGROUP DESTROY key group
func cmdXgroupDestroy(c *Client, args [][]byte) {
	tx := c.tx
	tx.LockKey(c.db, args[2], true)
	defer tx.Unlock()
	e, s, g, _, _, ok := xgroupKey(c, tx, args, false, false, false)
	if !ok {
		return
	}
	if g == nil {
		c.WriteInt(0)
		return
	}
	before := e.Size()
	s.DestroyGroup(args[3])
	tx.Resized(e, before)
	if tx.Journaling() {
		tx.Emit([]byte("XGROUP"), []byte("DESTROY"), args[2], args[3])
	}
	c.WriteInt(1)
	c.signalReady(c.db, args[2])
}

// XGROUP CREATECONSUMER key group consumer
func cmdXgroupCreateconsumer(c *Client, args [][]byte) {
	tx := c.tx
	tx.LockKey(c.db, args[2], true)
	defer tx.Unlock()
	e, _, g, _, _, ok := xgroupKey(c, tx, args, false, false, true)
	if !ok {
		return
	}
	before := e.Size()
	if g.CreateConsumer(args[4], tx.Now()) == nil {
		c.WriteInt(0)
		return
	}
	tx.Resized(e, before)
	if tx.Journaling() {
		tx.Emit([]byte("XGROUP"), []byte("CREATECONSUMER"), args[2], args[3], args[4])
	}
	c.WriteInt(1)
}

// XGROUP DELCONSUMER key group consumer
func cmdXgroupDelconsumer(c *Client, args [][]byte) {
	tx := c.tx
	tx.LockKey(c.db, args[2], true)
	defer tx.Unlock()
	e, _, g, _, _, ok := xgroupKey(c, tx, args, false, false, true)
	if !ok {
		return
	}
	cons := g.Consumer(args[4])
	if cons == nil {
		c.WriteInt(0)
		return
	}
	before := e.Size()
	n := g.DeleteConsumer(cons)
	tx.Resized(e, before)
	if tx.Journaling() {
		tx.Emit([]byte("XGROUP"), []byte("DELCONSUMER"), args[2], args[3], args[4])
	}
	c.WriteInt(n)
}

var xgroupHelp = []string{
	"XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"CREATE <key> <groupname> <id|$> [option]",
	"    Create a new consumer group. Options are:",
	"    * MKSTREAM",
	"      Create the empty stream if it does not exist.",
	"    * ENTRIESREAD entries_read",
	"      Set the group's entries_read counter (internal use).",
	"CREATECONSUMER <key> <groupname> <consumer>",
	"    Create a new consumer in the specified group.",
	"DELCONSUMER <key> <groupname> <consumer>",
	"    Remove the specified consumer.",
	"DESTROY <key> <groupname>",
	"    Remove the specified group.",
	"SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
	"    Set the current group ID and entries_read counter.",
	"HELP",
	"    Prints this help.",
}

// XGROUP HELP
func cmdXgroupHelp(c *Client, args [][]byte) { c.writeHelp(xgroupHelp) }

// XSETID key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id]
func cmdXsetid(c *Client, args [][]byte) {
	id, ok := streamIDArg(c, args[2], 0, true)
	if !ok {
		return
	}
	entriesAdded := int64(-1)
	var maxDel store.StreamID
	for i := 3; i < len(args); i += 2 {
		more := len(args) - 1 - i
		switch {
		case eqFold(args[i], "entriesadded") && more > 0:
			n, ok := parseInt(args[i+1])
			if !ok {
				c.WriteError(errNotInteger)
				return
			}
			if n < 0 {
				c.WriteError(errEntriesAddedNeg)
				return
			}
			entriesAdded = n
		case eqFold(args[i], "maxdeletedid") && more > 0:
			if maxDel, ok = streamIDArg(c, args[i+1], 0, true); !ok {
				return
			}
			if id.Cmp(maxDel) < 0 {
				c.WriteError(errXsetidMaxDelArg)
				return
			}
		default:
			c.WriteError(errSyntax)
			return
		}
	}
	tx := c.tx
	tx.LockKey(c.db, args[1], true)
	defer tx.Unlock()
	_, s, ok := lookupStream(c, tx, c.db, args[1], false)
	if !ok {
		return
	}
	if s == nil {
		c.WriteError(errNoSuchKey)
		return
	}
	if s.Len() > 0 {
		if top, _ := s.LastValidID(); id.Cmp(top) < 0 {
			c.WriteError(errXsetidSmall)
			return
		}
		if entriesAdded != -1 && s.Len() > entriesAdded {
			c.WriteError(errXsetidEntriesAdded)
			return
		}
	}
	s.SetMeta(id, entriesAdded, maxDel)
	if tx.Journaling() {
		tx.Emit([]byte("XSETID"), args[1], appendID(tx, id), []byte("ENTRIESADDED"), tx.Int(s.EntriesAdded()),
			[]byte("MAXDELETEDID"), appendID(tx, s.MaxDeletedID()))
	}
	c.WriteOK()
}

// XACK key group id [id ...]
func cmdXack(c *Client, args [][]byte) {
	tx := c.tx
	tx.LockKey(c.db, args[1], true)
	defer tx.Unlock()
	e, s, ok := lookupStream(c, tx, c.db, args[1], false)
	if !ok {
		return
	}
	var g *store.StreamGroup
	if s != nil {
		g = s.Group(args[2])
	}
	if g == nil {
		c.WriteInt(0)
		return
	}
	ids, ok := parseIDList(c, args[3:])
	if !ok {
		return
	}
	before := e.Size()
	var acked int64
	var rec [][]byte
	for i, id := range ids {
		if g.Ack(id) {
			acked++
			if tx.Journaling() {
				if rec == nil {
					rec = [][]byte{[]byte("XACK"), args[1], args[2]}
				}
				rec = append(rec, args[3+i])
			}
		}
	}
	if acked > 0 {
		tx.Resized(e, before)
		if rec != nil {
			tx.Emit(rec...)
		}
	}
	c.WriteInt(acked)
}

// XPENDING key group [[IDLE min-idle-time] start end count [consumer]]
func cmdXpending(c *Client, args [][]byte) {
	justInfo := len(args) == 3
	if len(args) != 3 && (len(args) < 6 || len(args) > 9) {
		c.WriteError(errSyntax)
		return
	}
	var start, end store.StreamID
	var count, minIdle int64
	var consumer []byte
	if len(args) >= 6 {
		si := 3
		if eqFold(args[3], "idle") {
			n, ok := parseInt(args[4])
			if !ok {
				c.WriteError(errNotInteger)
				return
			}
			minIdle = n
			if len(args) < 8 {
				c.WriteError(errSyntax)
				return
			}
			si += 2
		}
		n, ok := parseInt(args[si+2])
		if !ok {
			c.WriteError(errNotInteger)
			return
		}
		count = max(n, 0)
		if start, ok = intervalID(c, args[si], false); !ok {
			return
		}
		if end, ok = intervalID(c, args[si+1], true); !ok {
			return
		}
		if si+3 < len(args) {
			consumer = args[si+3]
		}
	}
	tx := c.tx
	tx.LockKey(c.db, args[1], false)
	defer tx.Unlock()
	_, _, g := lookupGroup(c, tx, args[1], args[2])
	if g == nil {
		return
	}
	if justInfo {
		c.WriteArray(4)
		c.WriteInt(g.PendingLen())
		if g.PendingLen() == 0 {
			c.WriteNull()
			c.WriteNull()
			c.WriteNullArray()
			return
		}
		first, last := g.PendingBounds()
		c.writeID(first)
		c.writeID(last)
		n := 0
		for _, cons := range g.Consumers() {
			if cons.PendingLen() > 0 {
				n++
			}
		}
		c.WriteArray(n)
		for _, cons := range g.Consumers() {
			if cons.PendingLen() > 0 {
				c.WriteArray(2)
				c.WriteBulkString(cons.Name)
				c.WriteBulkInt(cons.PendingLen())
			}
		}
		return
	}
	pending := g.Pending
	if consumer != nil {
		cons := g.Consumer(consumer)
		if cons == nil {
			c.WriteArray(0)
			return
		}
		pending = cons.Pending
	}
	now := tx.Now()
	at := len(c.out)
	n := 0
	if count > 0 {
		pending(start, func(nack *store.StreamNACK) bool {
			if nack.ID.Cmp(end) > 0 {
				return false
			}
			if minIdle != 0 && now-nack.DeliveryTime < minIdle {
				return true
			}
			c.WriteArray(4)
			c.writeID(nack.ID)
			c.WriteBulkString(nack.Consumer.Name)
			c.WriteInt(max(now-nack.DeliveryTime, 0))
			c.WriteInt(nack.DeliveryCount)
			n++
			return int64(n) < count
		})
	}
	c.insertArrayHeader(at, n, false)
}

// XCLAIM key group consumer min-idle-time id [id ...] [IDLE ms] [TIME unix-time-milliseconds] [RETRYCOUNT count] [FORCE] [JUSTID] [LASTID lastid]
func cmdXclaim(c *Client, args [][]byte) {
	tx := c.tx
	tx.LockKey(c.db, args[1], true)
	defer tx.Unlock()
	e, s, g := lookupGroup(c, tx, args[1], args[2])
	if g == nil {
		return
	}
	minIdle, ok := parseInt(args[4])
	if !ok {
		c.WriteError(errXclaimMinIdle)
		return
	}
	minIdle = max(minIdle, 0)
	j := 5
	ids := make([]store.StreamID, 0, min(len(args)-5, 64))
	for ; j < len(args); j++ {
		id, _, ok := parseStreamID(args[j], 0, true, false)
		if !ok {
			break
		}
		ids = append(ids, id)
	}
	now := tx.Now()
	var lastID store.StreamID
	retry, dtime := int64(-1), int64(-1)
	force, justID := false, false
	for ; j < len(args); j++ {
		more := len(args) - 1 - j
		opt := args[j]
		switch {
		case eqFold(opt, "force"):
			force = true
		case eqFold(opt, "justid"):
			justID = true
		case eqFold(opt, "idle") && more > 0:
			j++
			n, ok := parseInt(args[j])
			if !ok {
				c.WriteError(errXclaimIdle)
				return
			}
			dtime = now - n
		case eqFold(opt, "time") && more > 0:
			j++
			n, ok := parseInt(args[j])
			if !ok {
				c.WriteError(errXclaimTime)
				return
			}
			dtime = n
		case eqFold(opt, "retrycount") && more > 0:
			j++
			n, ok := parseInt(args[j])
			if !ok {
				c.WriteError(errXclaimRetry)
				return
			}
			retry = n
		case eqFold(opt, "lastid") && more > 0:
			j++
			if lastID, ok = streamIDArg(c, args[j], 0, true); !ok {
				return
			}
		default:
			c.WriteError(errXclaimOption(opt))
			return
		}
	}
	before := e.Size()
	defer tx.Resized(e, before)
	groupMoved := false
	if lastID.Cmp(g.LastID) > 0 {
		g.LastID = lastID
		groupMoved = true
	}
	if dtime < 0 || dtime > now {
		dtime = now
	}
	var cons *store.StreamConsumer // created when it claims something, as Redis 7.0
	at := len(c.out)
	n := 0
	for i, id := range ids {
		nack := g.NACK(id)
		if !s.Exists(id) {
			if nack != nil {
				g.Ack(id)
				if tx.Journaling() {
					tx.Emit([]byte("XACK"), args[1], args[2], args[5+i])
				}
			}
			continue
		}
		if force && nack == nil {
			nack = g.AddNACK(id, nil, now)
		}
		if nack == nil {
			continue
		}
		if nack.Consumer != nil && minIdle != 0 && now-nack.DeliveryTime < minIdle {
			continue
		}
		if cons == nil {
			cons = consumerFor(tx, c.db, args[1], g, args[3], now)
			cons.SeenTime = now
		}
		g.Assign(nack, cons)
		nack.DeliveryTime = dtime
		if retry >= 0 {
			nack.DeliveryCount = retry
		} else if !justID {
			nack.DeliveryCount++
		}
		if justID {
			c.writeID(id)
		} else {
			s.Get(id, &c.streamScratch, c.writeEntry)
		}
		n++
		cons.ActiveTime = now
		emitClaim(tx, c.db, args[1], g, nack)
	}
	if groupMoved {
		emitGroupID(tx, c.db, args[1], g)
	}
	c.insertArrayHeader(at, n, false)
}

// XAUTOCLAIM key group consumer min-idle-time start [COUNT count] [JUSTID]
func cmdXautoclaim(c *Client, args [][]byte) {
	minIdle, ok := parseInt(args[4])
	if !ok {
		c.WriteError(errXautoclaimMinIdle)
		return
	}
	minIdle = max(minIdle, 0)
	start, ok := intervalID(c, args[5], false)
	if !ok {
		return
	}
	count := int64(100)
	justID := false
	for j := 6; j < len(args); j++ {
		more := len(args) - 1 - j
		switch {
		case eqFold(args[j], "count") && more > 0:
			n, ok := parseInt(args[j+1])
			if !ok || n < 1 || n > math.MaxInt64/16 {
				c.WriteError(errCountPositive)
				return
			}
			count = n
			j++
		case eqFold(args[j], "justid"):
			justID = true
		default:
			c.WriteError(errSyntax)
			return
		}
	}
	tx := c.tx
	tx.LockKey(c.db, args[1], true)
	defer tx.Unlock()
	e, s, g := lookupGroup(c, tx, args[1], args[2])
	if g == nil {
		return
	}
	before := e.Size()
	defer tx.Resized(e, before)
	now := tx.Now()
	var cons *store.StreamConsumer // created when it claims something, as Redis 7.0
	attempts := count * 10
	var deleted, visit []*store.StreamNACK
	var next store.StreamID
	// Collect first: claiming and acknowledging change the PEL.
	g.Pending(start, func(nack *store.StreamNACK) bool {
		if attempts == 0 || count == 0 {
			next = nack.ID
			return false
		}
		attempts--
		if !s.Exists(nack.ID) {
			deleted = append(deleted, nack)
			visit = append(visit, nack)
			count--
			return true
		}
		if minIdle != 0 && now-nack.DeliveryTime < minIdle {
			return true
		}
		visit = append(visit, nack)
		count--
		return true
	})
	c.WriteArray(3)
	c.writeID(next)
	at := len(c.out)
	n := 0
	for _, nack := range visit {
		if !s.Exists(nack.ID) {
			g.Ack(nack.ID)
			if tx.Journaling() {
				tx.Emit([]byte("XACK"), args[1], args[2], appendID(tx, nack.ID))
			}
			continue
		}
		if cons == nil {
			cons = consumerFor(tx, c.db, args[1], g, args[3], now)
			cons.SeenTime = now
		}
		g.Assign(nack, cons)
		nack.DeliveryTime = now
		if !justID {
			nack.DeliveryCount++
		}
		if justID {
			c.writeID(nack.ID)
		} else {
			s.Get(nack.ID, &c.streamScratch, c.writeEntry)
		}
		n++
		cons.ActiveTime = now
		emitClaim(tx, c.db, args[1], g, nack)
	}
	c.insertArrayHeader(at, n, false)
	c.WriteArray(len(deleted))
	for _, nack := range deleted {
		c.writeID(nack.ID)
	}
}

// ---- XINFO ----

var xinfoHelp = []string{
	"XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"CONSUMERS <key> <groupname>",
	"    Show consumers of <groupname>.",
	"GROUPS <key>",
	"    Show the stream consumer groups.",
	"STREAM <key> [FULL [COUNT <count>]",
	"    Show information about the stream.",
	"HELP",
	"    Prints this help.",
}

// XINFO HELP
func cmdXinfoHelp(c *Client, args [][]byte) { c.writeHelp(xinfoHelp) }

// xinfoLookup finds XINFO's stream (args[2]), replying errors.
func xinfoLookup(c *Client, tx *store.Tx, args [][]byte) *store.Stream {
	_, s, ok := lookupStream(c, tx, c.db, args[2], true)
	if !ok {
		return nil
	}
	if s == nil {
		c.WriteError(errNoSuchKey)
	}
	return s
}

// XINFO CONSUMERS key group
func cmdXinfoConsumers(c *Client, args [][]byte) {
	tx := c.tx
	tx.LockKey(c.db, args[2], false)
	defer tx.Unlock()
	s := xinfoLookup(c, tx, args)
	if s == nil {
		return
	}
	g := s.Group(args[3])
	if g == nil {
		c.WriteError(errNoGroupForKey(args[3], args[2]))
		return
	}
	now := tx.Now()
	c.WriteArray(len(g.Consumers()))
	for _, cons := range g.Consumers() {
		c.WriteMap(3)
		c.WriteBulkString("name")
		c.WriteBulkString(cons.Name)
		c.WriteBulkString("pending")
		c.WriteInt(cons.PendingLen())
		c.WriteBulkString("idle")
		c.WriteInt(max(now-cons.SeenTime, 0))
	}
}

// XINFO GROUPS key
func cmdXinfoGroups(c *Client, args [][]byte) {
	tx := c.tx
	tx.LockKey(c.db, args[2], false)
	defer tx.Unlock()
	s := xinfoLookup(c, tx, args)
	if s == nil {
		return
	}
	c.WriteArray(len(s.Groups()))
	for _, g := range s.Groups() {
		c.WriteMap(6)
		c.WriteBulkString("name")
		c.WriteBulkString(g.Name)
		c.WriteBulkString("consumers")
		c.WriteInt(int64(len(g.Consumers())))
		c.WriteBulkString("pending")
		c.WriteInt(g.PendingLen())
		c.WriteBulkString("last-delivered-id")
		c.writeID(g.LastID)
		writeGroupCounters(c, s, g)
	}
}

// writeGroupCounters writes a group's entries-read and lag fields.
func writeGroupCounters(c *Client, s *store.Stream, g *store.StreamGroup) {
	c.WriteBulkString("entries-read")
	if g.EntriesRead != store.StreamInvalidEntriesRead {
		c.WriteInt(g.EntriesRead)
	} else {
		c.WriteNull()
	}
	c.WriteBulkString("lag")
	if lag, ok := s.Lag(g); ok {
		c.WriteInt(lag)
	} else {
		c.WriteNull()
	}
}

// XINFO STREAM key [FULL [COUNT count]]
func cmdXinfoStream(c *Client, args [][]byte) {
	full := false
	count := int64(10)
	if opts := args[3:]; len(opts) > 0 {
		if (len(opts) != 1 && len(opts) != 3) || !eqFold(opts[0], "full") {
			c.WriteError(errSubcommandSyntax(args))
			return
		}
		if len(opts) == 3 {
			if !eqFold(opts[1], "count") {
				c.WriteError(errSubcommandSyntax(args))
				return
			}
			n, ok := parseInt(opts[2])
			if !ok {
				c.WriteError(errNotInteger)
				return
			}
			if n < 0 {
				n = 10
			}
			count = n
		}
		full = true
	}
	tx := c.tx
	tx.LockKey(c.db, args[2], false)
	defer tx.Unlock()
	s := xinfoLookup(c, tx, args)
	if s == nil {
		return
	}
	if full {
		c.WriteMap(9)
	} else {
		c.WriteMap(10)
	}
	c.WriteBulkString("length")
	c.WriteInt(s.Len())
	c.WriteBulkString("radix-tree-keys")
	c.WriteInt(int64(s.Nodes()))
	c.WriteBulkString("radix-tree-nodes")
	c.WriteInt(s.RaxNodes())
	c.WriteBulkString("last-generated-id")
	c.writeID(s.LastID())
	c.WriteBulkString("max-deleted-entry-id")
	c.writeID(s.MaxDeletedID())
	c.WriteBulkString("entries-added")
	c.WriteInt(s.EntriesAdded())
	c.WriteBulkString("recorded-first-entry-id")
	c.writeID(s.FirstID())
	if !full {
		c.WriteBulkString("groups")
		c.WriteInt(int64(len(s.Groups())))
		// Like Redis, one iteration over the whole ID range each way: after
		// XSETID lowered the last ID, the last entry found walking back
		// from the tail node may not be found again by a lookup of its ID.
		c.WriteBulkString("first-entry")
		writeEdgeEntry(c, s, false)
		c.WriteBulkString("last-entry")
		writeEdgeEntry(c, s, true)
		return
	}
	c.WriteBulkString("entries")
	writeRange(c, s, store.StreamID{}, store.MaxStreamID, count, false)
	c.WriteBulkString("groups")
	c.WriteArray(len(s.Groups()))
	for _, g := range s.Groups() {
		c.WriteMap(7)
		c.WriteBulkString("name")
		c.WriteBulkString(g.Name)
		c.WriteBulkString("last-delivered-id")
		c.writeID(g.LastID)
		writeGroupCounters(c, s, g)
		c.WriteBulkString("pel-count")
		c.WriteInt(g.PendingLen())
		c.WriteBulkString("pending")
		at, n := len(c.out), 0
		g.Pending(store.StreamID{}, func(nack *store.StreamNACK) bool {
			if count != 0 && int64(n) >= count {
				return false
			}
			c.WriteArray(4)
			c.writeID(nack.ID)
			c.WriteBulkString(nack.Consumer.Name)
			c.WriteInt(nack.DeliveryTime)
			c.WriteInt(nack.DeliveryCount)
			n++
			return true
		})
		c.insertArrayHeader(at, n, false)
		c.WriteBulkString("consumers")
		c.WriteArray(len(g.Consumers()))
		for _, cons := range g.Consumers() {
			c.WriteMap(4)
			c.WriteBulkString("name")
			c.WriteBulkString(cons.Name)
			c.WriteBulkString("seen-time")
			c.WriteInt(cons.SeenTime)
			c.WriteBulkString("pel-count")
			c.WriteInt(cons.PendingLen())
			c.WriteBulkString("pending")
			at, n := len(c.out), 0
			cons.Pending(store.StreamID{}, func(nack *store.StreamNACK) bool {
				if count != 0 && int64(n) >= count {
					return false
				}
				c.WriteArray(3)
				c.writeID(nack.ID)
				c.WriteInt(nack.DeliveryTime)
				c.WriteInt(nack.DeliveryCount)
				n++
				return true
			})
			c.insertArrayHeader(at, n, false)
		}
	}
}
