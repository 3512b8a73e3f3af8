package store

import (
	"fmt"
	"slices"
	"strconv"
	"sync/atomic"
	"unsafe"
)

// Kind is the Redis type of a value, as TYPE reports it.
type Kind uint8

// The value kinds. The order is stable: persistence encodes it.
const (
	KindString Kind = iota
	KindList
	KindSet
	KindZSet
	KindHash
	KindStream
)

// String returns the name TYPE replies with.
func (k Kind) String() string {
	switch k {
	case KindString:
		return "string"
	case KindList:
		return "list"
	case KindSet:
		return "set"
	case KindZSet:
		return "zset"
	case KindHash:
		return "hash"
	case KindStream:
		return "stream"
	}
	return "none"
}

// KindFromName maps a TYPE name ("string", "hash", ...) to its Kind; ok is
// false for names Redis does not know.
func KindFromName(name string) (Kind, bool) {
	for k := KindString; k <= KindStream; k++ {
		if k.String() == name {
			return k, true
		}
	}
	return 0, false
}

// String encodings as OBJECT ENCODING reports them. Redis picks "int" for
// values that are canonical 64-bit integers, "embstr" for short strings and
// "raw" for long ones or strings modified in place (APPEND, SETRANGE).
const (
	encAuto uint8 = iota // derived from the bytes: int, embstr or raw
	encRaw               // forced raw after an in-place modification
)

// encNoInt is embstr or raw by length, never int: INCRBYFLOAT's result,
// which Redis creates as a plain string object.
const encNoInt = encRaw + 1

// embstrLimit is Redis's OBJ_ENCODING_EMBSTR_SIZE_LIMIT.
const embstrLimit = 44

// Entry is one key and its value. An entry lives in exactly one shard's
// table; all fields except access are guarded by that shard's lock.
//
// The key and a string value share one allocation (data = key ++ value):
// one allocation per key instead of two, and an overwrite that fits reuses
// it.
type Entry struct {
	next *Entry // bucket chain
	// dp, dlen and dcap are the key bytes then the string value's bytes,
	// as a slice without its 24-byte header (dataBytes, setBytes; dp is
	// nil while they are in the entry's own inline array): with
	// the key's hash recomputed where needed instead of stored, that took
	// the struct from 80 bytes to 64 (and objp to 56 since).
	dp *byte
	// objp and tag are the value of non-string kinds (object, setObject):
	// a pointer and a byte naming its type, instead of an interface.
	// That takes 8 bytes off the struct (64 -> 56), so an inline entry
	// holds 8 more key+value bytes in the same size class (a 13-byte key
	// with a 100-byte value lands in the 176-byte class, not the 192).
	// objp is an unsafe.Pointer, not a uintptr: the GC scans it and keeps
	// the value alive.
	objp     unsafe.Pointer
	expireAt int64 // absolute unix milliseconds; 0 = no expiry
	// access is the eviction metadata (LRU clock or LFU counter); it is
	// updated atomically under the shard's read lock.
	access  atomic.Uint32
	heapIdx int32 // position in the shard's expiry heap, -1 when absent
	klen    uint32
	dlen    uint32
	dcap    uint32
	kind    Kind
	enc     uint8
	flags   uint8
	tag     objTag // the type objp points to
}

// objTag names the dynamic type of an entry's value object.
type objTag uint8

// The value object types, one per type an entry's object can have.
const (
	objNone      objTag = iota // no object (strings): objp is nil
	objHLLPast                 // *hllPast
	objList                    // *List
	objSetHT                   // *setHT
	objIntset                  // *intsetMark (intsetObj)
	objZsetLP                  // *zsetLP
	objZsetSL                  // *zsetSL
	objHashTable               // *hashTable
	objHashLP                  // *hashListpack (hashLP)
	objStream                  // *Stream
)

// object returns the entry's value object (nil for strings) as an
// interface, rebuilt from its tag and pointer without allocating.
func (e *Entry) object() any {
	switch e.tag {
	case objNone:
		return nil
	case objHLLPast:
		return (*hllPast)(e.objp)
	case objList:
		return (*List)(e.objp)
	case objSetHT:
		return (*setHT)(e.objp)
	case objIntset:
		return (*intsetMark)(e.objp)
	case objZsetLP:
		return (*zsetLP)(e.objp)
	case objZsetSL:
		return (*zsetSL)(e.objp)
	case objHashTable:
		return (*hashTable)(e.objp)
	case objHashLP:
		return (*hashListpack)(e.objp)
	case objStream:
		return (*Stream)(e.objp)
	}
	panic(fmt.Sprintf("store: entry object tag %d", e.tag))
}

// setObject makes o the entry's value object. o must be nil or one of the
// types object returns: anything else is a programming error and panics.
func (e *Entry) setObject(o any) {
	var tag objTag
	var p unsafe.Pointer
	switch o := o.(type) {
	case nil:
	case *hllPast:
		tag, p = objHLLPast, unsafe.Pointer(o)
	case *List:
		tag, p = objList, unsafe.Pointer(o)
	case *setHT:
		tag, p = objSetHT, unsafe.Pointer(o)
	case *intsetMark:
		tag, p = objIntset, unsafe.Pointer(o)
	case *zsetLP:
		tag, p = objZsetLP, unsafe.Pointer(o)
	case *zsetSL:
		tag, p = objZsetSL, unsafe.Pointer(o)
	case *hashTable:
		tag, p = objHashTable, unsafe.Pointer(o)
	case *hashListpack:
		tag, p = objHashLP, unsafe.Pointer(o)
	case *Stream:
		tag, p = objStream, unsafe.Pointer(o)
	default:
		panic(fmt.Sprintf("store: value of type %T cannot be stored in an entry", o))
	}
	e.tag, e.objp = tag, p
}

// dropObject removes the entry's value object (a string has none).
func (e *Entry) dropObject() { e.tag, e.objp = objNone, nil }

// dataBytes returns the entry's key ++ value bytes (capacity included).
func (e *Entry) dataBytes() []byte {
	p := e.dp
	if p == nil && e.flags&flagInline != 0 {
		p = e.inlineBase()
	}
	return unsafe.Slice(p, e.dcap)[:e.dlen]
}

// inlineBase is the first byte of the array behind an inline entry.
func (e *Entry) inlineBase() *byte { return (*byte)(unsafe.Add(unsafe.Pointer(e), entrySize)) }

// setBytes makes b the entry's key ++ value bytes.
//
// When b is the entry's own inline array, dp stays nil and dataBytes
// finds the array from the entry: a pointer from an entry into itself is
// one more pointer for the garbage collector to follow on every cycle,
// for each of millions of entries (under a SET flood past maxmemory, the
// collector's per-pointer work was a fifth of the CPU).
func (e *Entry) setBytes(b []byte) {
	p := unsafe.SliceData(b)
	if e.flags&flagInline != 0 && p == e.inlineBase() {
		p = nil
	}
	e.dp = p
	e.dlen = uint32(len(b))
	e.dcap = uint32(cap(b))
}

// Key returns the entry's key. The slice aliases the entry: copy it to keep
// it beyond the shard lock.
func (e *Entry) Key() []byte { return e.dataBytes()[:e.klen:e.klen] }

// keyString views the key as a string without copying.
func (e *Entry) keyString() string {
	return unsafe.String(unsafe.SliceData(e.dataBytes()), int(e.klen))
}

// Kind returns the value's type.
func (e *Entry) Kind() Kind { return e.kind }

// Str returns the string value. It aliases the entry (valid while the shard
// lock is held).
func (e *Entry) Str() []byte { return e.dataBytes()[e.klen:] }

// Obj returns the value of a non-string entry.
func (e *Entry) Obj() any { return e.object() }

// ExpireAt returns the absolute expiry in unix milliseconds, 0 for none.
func (e *Entry) ExpireAt() int64 { return e.expireAt }

// Access returns the entry's eviction metadata word.
func (e *Entry) Access() uint32 { return e.access.Load() }

// TouchAccess records an access; it may be called under a read lock.
func (e *Entry) TouchAccess(v uint32) {
	if e.access.Load() != v {
		e.access.Store(v)
	}
}

// Encoding returns the name OBJECT ENCODING replies with for a string.
func (e *Entry) Encoding() string {
	if e.kind != KindString {
		if enc, ok := e.object().(interface{ Encoding() string }); ok {
			return enc.Encoding()
		}
		return "unknown"
	}
	v := e.Str()
	if e.enc == encRaw {
		return "raw"
	}
	if len(v) <= 20 && e.enc != encNoInt && isCanonicalInt(v) {
		return "int"
	}
	if len(v) <= embstrLimit {
		return "embstr"
	}
	return "raw"
}

// isCanonicalInt reports whether b is the decimal form of an int64 exactly as
// strconv would print it (no sign on zero, no leading zeros or plus sign).
func isCanonicalInt(b []byte) bool {
	n, err := strconv.ParseInt(unsafe.String(unsafe.SliceData(b), len(b)), 10, 64)
	if err != nil {
		return false
	}
	var buf [24]byte
	return string(strconv.AppendInt(buf[:0], n, 10)) == string(b)
}

// entrySize is the size of the Entry struct (56 bytes).
const entrySize = unsafe.Sizeof(Entry{})

// entryOverhead is the accounted size of an Entry allocated alone plus its
// bucket slot, in bytes: the size class of the struct (64 for its 56
// bytes) and an 8-byte bucket pointer.
var entryOverhead = roundAlloc(int(entrySize)) + 8

// roundAlloc rounds n up to the size class the Go allocator would use:
// tiny allocations share 16-byte blocks, then goSizeClasses up to 32 KiB,
// then whole 8 KiB pages.
func roundAlloc(n int) int {
	switch {
	case n == 0:
		return 0
	case n <= 16:
		return 16
	case n > 32768:
		return (n + 8191) &^ 8191
	}
	i, _ := slices.BinarySearch(goSizeClasses[:], uint16(n))
	return int(goSizeClasses[i])
}

// goSizeClasses are the Go allocator's size classes above 16 bytes
// (runtime's sizeclasses.go).
var goSizeClasses = [...]uint16{
	24, 32, 48, 64, 80, 96, 112, 128, 144, 160, 176, 192, 208, 224, 240, 256,
	288, 320, 352, 384, 416, 448, 480, 512, 576, 640, 704, 768, 896, 1024,
	1152, 1280, 1408, 1536, 1792, 2048, 2304, 2688, 3072, 3200, 3456, 4096,
	4864, 5376, 6144, 6528, 6784, 6912, 8192, 9472, 9728, 10240, 10880, 12288,
	13568, 14336, 16384, 18432, 19072, 20480, 21760, 24576, 27264, 28672, 32768,
}
