package store

import "errors"

// Typed errors returned by value operations. The server maps each to
// Redis's exact reply text; the store never formats protocol errors.
var (
	// ErrWrongType: the key holds a value of another kind.
	ErrWrongType = errors.New("wrong type")
	// ErrNotInteger: a stored or given value is not a 64-bit integer.
	ErrNotInteger = errors.New("not an integer")
	// ErrNotFloat: a stored or given value is not a valid float.
	ErrNotFloat = errors.New("not a float")
	// ErrOverflow: an increment would overflow 64 bits.
	ErrOverflow = errors.New("increment or decrement would overflow")
	// ErrNaNOrInf: a float increment would produce NaN or infinity.
	ErrNaNOrInf = errors.New("increment would produce NaN or Infinity")
	// ErrTooBig: a value would exceed proto-max-bulk-len.
	ErrTooBig = errors.New("string exceeds maximum allowed size")
	// ErrNoSuchKey: the command needs an existing key.
	ErrNoSuchKey = errors.New("no such key")
)
