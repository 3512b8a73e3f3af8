package server

import (
	"bytes"
	"encoding/binary"
	"strconv"

	"github.com/embercache/ember/store"
)

// Bitmap and HyperLogLog commands (Redis's bitops.c, hyperloglog.c). The
// algorithms are in store/bitmap.go and store/hll.go; here are argument
// parsing, Redis's range rules, replies and journal records.
//
// The order of checks follows Redis 7.0, the reference server: BITCOUNT
// looks the key up before parsing its range (a missing key answers 0
// whatever the arguments), BITPOS parses the bit, then looks up, then
// parses the range. (Redis 7.2 parses first; clients cannot tell apart
// valid calls.)
//
// Journal records: SETBIT journals itself when the string changed (a bit,
// or its length); BITOP journals "SET dest <result>" (or DEL dest when the
// result is empty and dest existed); BITFIELD journals its writes as
// "BITFIELD key SET <type> <offset> <value> ...", each with the field's
// value after the command's operation (its old value for an overflow
// under FAIL, which writes nothing but still grows the string), so replay
// needs no overflow arithmetic; PFADD journals itself when a register
// changed (adding is deterministic); PFCOUNT, when it refreshed the cached
// cardinality, journals "SETRANGE key 8 <the 8 header bytes>"; PFMERGE
// journals "SET dest <bytes> KEEPTTL".

// bitWords are the command and argument names bitmap and HyperLogLog
// commands journal.
var bitWords = struct {
	setbit, bitfield, set, pfadd, setrange, hdrCard []byte
}{
	setbit:   []byte("SETBIT"),
	bitfield: []byte("BITFIELD"),
	set:      []byte("SET"),
	pfadd:    []byte("PFADD"),
	setrange: []byte("SETRANGE"),
	hdrCard:  []byte("8"),
}

// bitOffset parses a bit offset argument as Redis's
// getBitOffsetFromArgument: a non-negative integer whose byte is below
// proto-max-bulk-len, or, for a BITFIELD field of width bits, "#n" meaning
// n·width (multiplied with 64-bit wrap-around, as in Redis). It replies
// with the error and returns false when invalid.
func bitOffset(c *Client, arg []byte, width int, maxBulk int64) (uint64, bool) {
	hash := width > 0 && len(arg) > 1 && arg[0] == '#'
	if hash {
		arg = arg[1:]
	}
	n, ok := parseInt(arg)
	if hash {
		n *= int64(width)
	}
	if !ok || n < 0 || n>>3 >= maxBulk {
		c.WriteError(errBitOffset)
		return 0, false
	}
	return uint64(n), true
}

// SETBIT key offset value
func cmdSetbit(c *Client, args [][]byte) {
	off, ok := bitOffset(c, args[2], 0, c.srv.cfg.Int("proto-max-bulk-len"))
	if !ok {
		return
	}
	v, ok := parseInt(args[3])
	if !ok || v&^1 != 0 {
		c.WriteError(errBitValue)
		return
	}
	tx := c.tx
	tx.LockKey(c.db, args[1], true)
	old, changed, err := tx.SetBit(args[1], off, v == 1)
	if err != nil {
		tx.Unlock()
		c.WriteError(storeError(err))
		return
	}
	if changed && tx.Journaling() {
		tx.Emit(bitWords.setbit, args[1], args[2], args[3])
	}
	tx.Unlock()
	c.WriteInt(int64(old))
}

// GETBIT key offset
func cmdGetbit(c *Client, args [][]byte) {
	off, ok := bitOffset(c, args[2], 0, c.srv.cfg.Int("proto-max-bulk-len"))
	if !ok {
		return
	}
	tx := c.tx
	tx.LockKey(c.db, args[1], false)
	if s, ok := lookupBits(c, args[1], 0); ok {
		c.WriteInt(int64(store.GetBit(s, off)))
	}
	tx.Unlock()
}

// lookupBits finds key's string for GETBIT, BITCOUNT and BITPOS under a
// read lock the caller holds. When there is none it answers missing (an integer) or
// WRONGTYPE and returns ok false.
func lookupBits(c *Client, key []byte, missing int64) ([]byte, bool) {
	switch e := c.tx.LookupRead(key); {
	case e == nil:
		c.WriteInt(missing)
	case e.Kind() != store.KindString:
		c.WriteError(errWrongType)
	default:
		return e.Str(), true
	}
	return nil, false
}

// bitRange turns a BITCOUNT/BITPOS range given in bytes (or, with isBit,
// bits) of a string of n bytes into an inclusive bit range, with Redis's
// rules: negative indexes count from the end, both are clamped to the
// string. ok is false for an empty range.
func bitRange(start, end int64, isBit bool, n int) (first, last int64, ok bool) {
	total := int64(n)
	if isBit {
		total <<= 3
	}
	if start < 0 {
		start = max(start+total, 0)
	}
	if end < 0 {
		end = max(end+total, 0)
	}
	end = min(end, total-1)
	if start > end {
		return 0, 0, false
	}
	if isBit {
		return start, end, true
	}
	return start << 3, end<<3 | 7, true
}

// parseBitUnit parses BYTE or BIT.
func parseBitUnit(a []byte) (isBit, ok bool) {
	switch {
	case eqFold(a, "bit"):
		return true, true
	case eqFold(a, "byte"):
		return false, true
	}
	return false, false
}

// BITCOUNT key [start end [BYTE | BIT]]
func cmdBitcount(c *Client, args [][]byte) {
	tx := c.tx
	tx.LockKey(c.db, args[1], false)
	defer tx.Unlock()
	s, ok := lookupBits(c, args[1], 0)
	if !ok {
		return
	}
	first, last := int64(0), int64(len(s))*8-1
	switch len(args) {
	case 2:
	case 4, 5:
		start, ok1 := parseInt(args[2])
		end, ok2 := parseInt(args[3])
		if !ok1 || !ok2 {
			c.WriteError(errNotInteger)
			return
		}
		if start < 0 && end < 0 && start > end {
			c.WriteInt(0)
			return
		}
		isBit := false
		if len(args) == 5 {
			if isBit, ok = parseBitUnit(args[4]); !ok {
				c.WriteError(errSyntax)
				return
			}
		}
		if first, last, ok = bitRange(start, end, isBit, len(s)); !ok {
			c.WriteInt(0)
			return
		}
	default:
		c.WriteError(errSyntax)
		return
	}
	if last < first {
		c.WriteInt(0)
		return
	}
	c.WriteInt(store.BitCount(s, first, last))
}

// BITPOS key bit [start [end [BYTE | BIT]]]
func cmdBitpos(c *Client, args [][]byte) {
	bit, ok := parseInt(args[2])
	if !ok {
		c.WriteError(errNotInteger)
		return
	}
	if bit != 0 && bit != 1 {
		c.WriteError(errBitposBit)
		return
	}
	tx := c.tx
	tx.LockKey(c.db, args[1], false)
	defer tx.Unlock()
	s, ok := lookupBits(c, args[1], -bit) // a missing key is all zeros
	if !ok {
		return
	}
	start, end, isBit, endGiven := int64(0), int64(len(s))-1, false, false
	switch len(args) {
	case 3:
	case 4, 5, 6:
		if start, ok = parseInt(args[3]); !ok {
			c.WriteError(errNotInteger)
			return
		}
		if len(args) == 6 {
			if isBit, ok = parseBitUnit(args[5]); !ok {
				c.WriteError(errSyntax)
				return
			}
		}
		if len(args) >= 5 {
			if end, ok = parseInt(args[4]); !ok {
				c.WriteError(errNotInteger)
				return
			}
			endGiven = true
		}
	default:
		c.WriteError(errSyntax)
		return
	}
	first, last, ok := bitRange(start, end, isBit, len(s))
	if !ok {
		c.WriteInt(-1)
		return
	}
	pos := store.BitPos(s, int(bit), first, last)
	if pos < 0 && bit == 0 && !endGiven {
		// Without an explicit end the string reads as padded with zeros:
		// the first clear bit is the one just past it.
		pos = last + 1
	}
	c.WriteInt(pos)
}

// BITOP <AND | OR | XOR | NOT> destkey key [key ...]
func cmdBitop(c *Client, args [][]byte) {
	var op store.BitOpKind
	switch a := args[1]; {
	case eqFold(a, "and"):
		op = store.BitAnd
	case eqFold(a, "or"):
		op = store.BitOr
	case eqFold(a, "xor"):
		op = store.BitXor
	case eqFold(a, "not"):
		op = store.BitNot
	default:
		c.WriteError(errSyntax)
		return
	}
	if op == store.BitNot && len(args) != 4 {
		c.WriteError(errBitopNot)
		return
	}
	dest, keys := args[2], args[3:]
	tx := c.tx
	strLockKeys(c, args[2:], 1, true)
	defer tx.Unlock()
	srcs := make([][]byte, len(keys))
	for i, k := range keys {
		e := tx.LookupRead(k)
		if e == nil {
			continue
		}
		if e.Kind() != store.KindString {
			c.WriteError(errWrongType)
			return
		}
		srcs[i] = e.Str()
	}
	res := store.BitOp(op, srcs)
	if res == nil {
		if tx.Delete(dest) && tx.Journaling() {
			tx.Emit(strWords.del, dest)
		}
		c.WriteInt(0)
		return
	}
	e := tx.SetRawString(dest, res)
	if tx.Journaling() {
		tx.Emit(bitWords.set, dest, e.Str())
	}
	c.WriteInt(int64(len(res)))
}

// bitfieldType parses a BITFIELD type: i1..i64 or u1..u63. Like Redis, it
// reads the width only up to a NUL byte.
func bitfieldType(a []byte) (signed bool, width int, ok bool) {
	if len(a) == 0 || (a[0] != 'i' && a[0] != 'u') {
		return false, 0, false
	}
	signed = a[0] == 'i'
	w := a[1:]
	if i := bytes.IndexByte(w, 0); i >= 0 {
		w = w[:i]
	}
	n, ok := parseInt(w)
	if !ok || n < 1 || (signed && n > 64) || (!signed && n > 63) {
		return false, 0, false
	}
	return signed, int(n), true
}

// BITFIELD key [GET encoding offset | [OVERFLOW <WRAP | SAT | FAIL>]
// <SET encoding offset value | INCRBY encoding offset increment>
// [GET encoding offset | [OVERFLOW <WRAP | SAT | FAIL>]
// <SET encoding offset value | INCRBY encoding offset increment> ...]]
func cmdBitfield(c *Client, args [][]byte) { bitfield(c, args, false) }

// BITFIELD_RO key [GET encoding offset [GET encoding offset ...]]
func cmdBitfieldRo(c *Client, args [][]byte) { bitfield(c, args, true) }

// bitfield parses every operation first (the first error wins, nothing is
// done), then runs them in order under the key's lock.
func bitfield(c *Client, args [][]byte, readOnly bool) {
	maxBulk := c.srv.cfg.Int("proto-max-bulk-len")
	var buf [8]store.BitfieldField
	fields := buf[:0]
	ow := store.OverflowWrap
	write := false
	for j := 2; j < len(args); j++ {
		rem := len(args) - j - 1
		var f store.BitfieldField
		switch sub := args[j]; {
		case eqFold(sub, "get") && rem >= 2:
		case eqFold(sub, "set") && rem >= 3:
			f.Write = true
		case eqFold(sub, "incrby") && rem >= 3:
			f.Write, f.Incr = true, true
		case eqFold(sub, "overflow") && rem >= 1:
			j++
			switch a := args[j]; {
			case eqFold(a, "wrap"):
				ow = store.OverflowWrap
			case eqFold(a, "sat"):
				ow = store.OverflowSat
			case eqFold(a, "fail"):
				ow = store.OverflowFail
			default:
				c.WriteError(errBitfieldOverflow)
				return
			}
			continue
		default:
			c.WriteError(errSyntax)
			return
		}
		signed, width, ok := bitfieldType(args[j+1])
		if !ok {
			c.WriteError(errBitfieldType)
			return
		}
		if f.Offset, ok = bitOffset(c, args[j+2], width, maxBulk); !ok {
			return
		}
		if f.Write {
			write = true
			if f.Arg, ok = parseInt(args[j+3]); !ok {
				c.WriteError(errNotInteger)
				return
			}
			j++
		}
		f.Width, f.Signed, f.Overflow = uint8(width), signed, ow
		fields = append(fields, f)
		j += 2
	}
	if write && readOnly {
		c.WriteError(errBitfieldRO)
		return
	}
	tx := c.tx
	tx.LockKey(c.db, args[1], write)
	defer tx.Unlock()
	if err := tx.Bitfield(args[1], fields, write); err != nil {
		c.WriteError(storeError(err))
		return
	}
	if write && tx.Journaling() {
		journalBitfield(tx, args[1], fields)
	}
	c.WriteArray(len(fields))
	for i := range fields {
		if fields[i].Failed {
			c.WriteNull()
		} else {
			c.WriteInt(fields[i].Value)
		}
	}
}

// journalBitfield emits BITFIELD's writes as absolute SETs of each
// written field's resulting value.
func journalBitfield(tx *store.Tx, key []byte, fields []store.BitfieldField) {
	rec := [][]byte{bitWords.bitfield, key}
	var typ [4]byte
	for i := range fields {
		f := &fields[i]
		if !f.Write {
			continue
		}
		t := append(typ[:0], 'u')
		if f.Signed {
			t[0] = 'i'
		}
		t = strconv.AppendInt(t, int64(f.Width), 10)
		rec = append(rec, bitWords.set, tx.Bytes(t), tx.Int(int64(f.Offset)), tx.Int(f.Stored))
	}
	tx.Emit(rec...)
}

// PFADD key [element [element ...]]
func cmdPfadd(c *Client, args [][]byte) {
	tx := c.tx
	key := args[1]
	tx.LockKey(c.db, key, true)
	defer tx.Unlock()
	changed, err := tx.PFAdd(key, args[2:], c.srv.cfg.Int("hll-sparse-max-bytes"))
	if err != nil {
		if changed && tx.Journaling() {
			// Some elements went in before the corruption was found:
			// journal the resulting bytes.
			tx.Emit(bitWords.set, key, tx.Lookup(key).Str(), strWords.keepttl)
		}
		c.WriteError(storeError(err))
		return
	}
	if !changed {
		c.WriteInt(0)
		return
	}
	if tx.Journaling() {
		tx.Emit(append([][]byte{bitWords.pfadd}, args[1:]...)...)
	}
	c.WriteInt(1)
}

// PFCOUNT key [key ...]
func cmdPfcount(c *Client, args [][]byte) {
	tx := c.tx
	// One key may get its cached cardinality refreshed: a write.
	strLockKeys(c, args[1:], 1, len(args) == 2)
	defer tx.Unlock()
	n, refreshed, err := tx.PFCount(args[1:])
	if err != nil {
		c.WriteError(storeError(err))
		return
	}
	if refreshed && tx.Journaling() {
		var card [8]byte
		binary.LittleEndian.PutUint64(card[:], uint64(n))
		tx.Emit(bitWords.setrange, args[1], bitWords.hdrCard, card[:])
	}
	c.WriteInt(n)
}

// PFMERGE destkey [sourcekey [sourcekey ...]]
func cmdPfmerge(c *Client, args [][]byte) {
	tx := c.tx
	strLockKeys(c, args[1:], 1, true)
	defer tx.Unlock()
	e, err := tx.PFMerge(args[1], args[1:], c.srv.cfg.Int("hll-sparse-max-bytes"))
	if err != nil {
		c.WriteError(storeError(err))
		return
	}
	if tx.Journaling() {
		tx.Emit(bitWords.set, args[1], e.Str(), strWords.keepttl)
	}
	c.WriteOK()
}
