package store

import (
	"math"
	"math/big"
	"strconv"
	"unsafe"
)

// Typed string operations: the read-modify-write commands on string values
// (INCRBY and friends, INCRBYFLOAT, APPEND, SETRANGE). Each REQUIRES the
// write lock of key's shard, keeps the key's TTL, and returns a typed error
// (errors.go) that the server maps to Redis's reply. None of them journals:
// the caller emits the command's effect.

// parseStrictInt parses b as a 64-bit integer in canonical form only, as
// Redis's string2ll: an optional '-', no leading zeros, no '+', no spaces,
// no "-0".
func parseStrictInt(b []byte) (int64, bool) {
	n := len(b)
	if n == 0 || n > 20 {
		return 0, false
	}
	digits := b
	if b[0] == '-' {
		digits = b[1:]
	}
	if len(digits) == 0 || digits[0] == '0' && (len(digits) > 1 || len(digits) < n) {
		return 0, false
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	// Only the range can fail now (20 digits), and that is rare enough
	// that strconv's error allocation does not matter.
	v, err := strconv.ParseInt(unsafe.String(unsafe.SliceData(b), len(b)), 10, 64)
	return v, err == nil
}

// IncrBy adds delta to the integer value of key (0 when absent), keeping
// its TTL, and returns the new value. Errors: ErrWrongType, ErrNotInteger
// (the value is not a canonical 64-bit integer), ErrOverflow.
func (tx *Tx) IncrBy(key []byte, delta int64) (int64, error) {
	var v, at int64
	if e := tx.Lookup(key); e != nil {
		if e.kind != KindString {
			return 0, ErrWrongType
		}
		var ok bool
		if v, ok = parseStrictInt(e.Str()); !ok {
			return 0, ErrNotInteger
		}
		at = e.expireAt
	}
	if (delta < 0 && v < 0 && delta < math.MinInt64-v) || (delta > 0 && v > 0 && delta > math.MaxInt64-v) {
		return 0, ErrOverflow
	}
	v += delta
	var buf [20]byte
	tx.SetString(key, strconv.AppendInt(buf[:0], v, 10), at)
	return v, nil
}

// IncrByFloat adds the float incr to the value of key (0 when absent) with
// long double arithmetic (longdouble.go), keeping its TTL, and returns the
// new value as stored: it aliases the entry, valid while the lock is held.
// Like Redis, the result is never int-encoded. Errors: ErrWrongType,
// ErrNotFloat (the value or incr), ErrNaNOrInf.
func (tx *Tx) IncrByFloat(key, incr []byte) ([]byte, error) {
	var cur, by big.Float
	var at int64
	cur.SetPrec(LongDoublePrec)
	e := tx.Lookup(key)
	if e != nil {
		if e.kind != KindString {
			return nil, ErrWrongType
		}
		if !ParseLongDouble(&cur, e.Str()) {
			return nil, ErrNotFloat
		}
		at = e.expireAt
	}
	if !ParseLongDouble(&by, incr) {
		return nil, ErrNotFloat
	}
	if !AddLongDouble(&cur, &cur, &by) {
		return nil, ErrNaNOrInf
	}
	var buf [64]byte
	e = tx.SetString(key, AppendLongDouble(buf[:0], &cur), at)
	e.enc = encNoInt
	return e.Str(), nil
}

// Append appends v to the string value of key, creating it when absent, and
// returns the new length. Errors: ErrWrongType, ErrTooBig when the result
// would exceed limit bytes (checked before growing).
func (tx *Tx) Append(key, v []byte, limit int64) (int, error) {
	e := tx.Lookup(key)
	if e == nil {
		tx.SetString(key, v, 0)
		return len(v), nil
	}
	if e.kind != KindString {
		return 0, ErrWrongType
	}
	if int64(len(e.Str())) > limit-int64(len(v)) {
		return 0, ErrTooBig
	}
	return tx.AppendString(e, v), nil
}

// SetRangeKey overwrites the string value of key from offset with v,
// zero-padding as needed and creating the key when absent, and returns the
// new length and whether anything was written: an empty v changes nothing
// (and creates nothing). offset must be ≥ 0. Errors: ErrWrongType,
// ErrTooBig when offset+len(v) would exceed limit (checked before
// growing).
func (tx *Tx) SetRangeKey(key []byte, offset int64, v []byte, limit int64) (int, bool, error) {
	e := tx.Lookup(key)
	if e != nil && e.kind != KindString {
		return 0, false, ErrWrongType
	}
	if len(v) == 0 {
		if e == nil {
			return 0, false, nil
		}
		return len(e.Str()), false, nil
	}
	if offset > limit-int64(len(v)) {
		return 0, false, ErrTooBig
	}
	if e == nil {
		// Size a new value exactly, as Redis does, instead of letting
		// SetRange grow it with headroom for appends.
		e = tx.SetString(key, nil, 0)
		before := e.size()
		n := len(key) + int(offset) + len(v)
		e.setBytes(append(make([]byte, 0, n), key...)[:n])
		tx.Resized(e, before)
	}
	return tx.SetRange(e, int(offset), v), true, nil
}
