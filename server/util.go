package server

import (
	"strconv"
	"unsafe"
)

// parseInt parses b as Redis's string2ll does: an optional '-', then digits
// with no leading zeros (except "0" itself), no '+', no spaces, within
// int64. This is the only integer syntax Redis accepts in arguments.
func parseInt(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	if len(b) == 1 && b[0] == '0' {
		return 0, true
	}
	i := 0
	if b[0] == '-' {
		i = 1
		if len(b) == 1 {
			return 0, false
		}
	}
	if b[i] < '1' || b[i] > '9' {
		return 0, false
	}
	var v uint64
	for ; i < len(b); i++ {
		c := b[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		if v > (1<<64-1)/10 {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
		if v < uint64(c-'0') {
			return 0, false
		}
	}
	if b[0] == '-' {
		if v > 1<<63 {
			return 0, false
		}
		return -int64(v), true
	}
	if v > 1<<63-1 {
		return 0, false
	}
	return int64(v), true
}

// bstr views b as a string without copying; the string must not outlive b.
func bstr(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// eqFold reports whether b equals the lower-case ASCII word w,
// case-insensitively (option parsing without allocation).
func eqFold(b []byte, w string) bool {
	if len(b) != len(w) {
		return false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != w[i] {
			return false
		}
	}
	return true
}

// itoa formats n (non-hot paths).
func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// scanOptions are the options of SCAN and of HSCAN, SSCAN, ZSCAN.
type scanOptions struct {
	count int64  // COUNT, scanDefaultCount when absent
	pat   []byte // MATCH, nil when absent or "*" (which matches all)
	typ   []byte // SCAN's TYPE, nil when absent
}

// parseScanOptions parses [MATCH pattern] [COUNT count] (and [TYPE type]
// when withType, for SCAN) from args[from:], the last of a repeated option
// winning. On invalid options it answers Redis's error and returns false.
func parseScanOptions(c *Client, args [][]byte, from int, withType bool) (scanOptions, bool) {
	o := scanOptions{count: scanDefaultCount}
	for i := from; i < len(args); i += 2 {
		if i+1 >= len(args) {
			c.WriteError(errSyntax)
			return o, false
		}
		switch a, v := args[i], args[i+1]; {
		case eqFold(a, "count"):
			n, ok := parseInt(v)
			if !ok {
				c.WriteError(errNotInteger)
				return o, false
			}
			if n < 1 {
				c.WriteError(errSyntax)
				return o, false
			}
			o.count = n
		case eqFold(a, "match"):
			o.pat = v
			if len(v) == 1 && v[0] == '*' {
				o.pat = nil
			}
		case withType && eqFold(a, "type"):
			o.typ = v
		default:
			c.WriteError(errSyntax)
			return o, false
		}
	}
	return o, true
}
