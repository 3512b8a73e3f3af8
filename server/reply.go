package server

import (
	"math"
	"strconv"

	"github.com/tidwall/redcon"
)

// Reply writing. Handlers append replies to the client's output buffer with
// these methods; the connection loop flushes once per pipeline. Each method
// writes the RESP2 or RESP3 form according to the client's protocol (HELLO),
// using redcon's append functions for the frames both protocols share.

// WriteOK appends +OK.
func (c *Client) WriteOK() { c.out = append(c.out, "+OK\r\n"...) }

// WriteSimple appends a simple string (+s).
func (c *Client) WriteSimple(s string) { c.out = redcon.AppendString(c.out, s) }

// WriteError appends an error reply; msg starts with the error code
// ("ERR ...", "WRONGTYPE ..."). Newlines become spaces, as in Redis. The
// error is counted in errorstats.
func (c *Client) WriteError(msg string) {
	c.errors++
	c.srv.countError(msg)
	c.out = redcon.AppendError(c.out, msg)
}

// WriteInt appends an integer reply.
func (c *Client) WriteInt(n int64) { c.out = redcon.AppendInt(c.out, n) }

// WriteBulk appends a bulk string.
func (c *Client) WriteBulk(b []byte) { c.out = redcon.AppendBulk(c.out, b) }

// WriteBulkString appends a bulk string.
func (c *Client) WriteBulkString(s string) { c.out = redcon.AppendBulkString(c.out, s) }

// WriteBulkInt appends n formatted as a bulk string.
func (c *Client) WriteBulkInt(n int64) {
	var buf [24]byte
	c.out = redcon.AppendBulk(c.out, strconv.AppendInt(buf[:0], n, 10))
}

// WriteNull appends a null bulk string ($-1 in RESP2, _ in RESP3).
func (c *Client) WriteNull() {
	if c.resp3 {
		c.out = append(c.out, "_\r\n"...)
	} else {
		c.out = append(c.out, "$-1\r\n"...)
	}
}

// WriteNullArray appends a null array (*-1 in RESP2, _ in RESP3).
func (c *Client) WriteNullArray() {
	if c.resp3 {
		c.out = append(c.out, "_\r\n"...)
	} else {
		c.out = append(c.out, "*-1\r\n"...)
	}
}

// WriteArray appends an array header for n elements.
func (c *Client) WriteArray(n int) { c.out = redcon.AppendArray(c.out, n) }

// WriteMap appends a map header for n key/value pairs (a flat array of 2n
// elements in RESP2).
func (c *Client) WriteMap(n int) {
	if c.resp3 {
		c.out = append(c.out, '%')
		c.out = strconv.AppendInt(c.out, int64(n), 10)
		c.out = append(c.out, '\r', '\n')
	} else {
		c.WriteArray(2 * n)
	}
}

// WriteSet appends a set header for n elements (an array in RESP2).
func (c *Client) WriteSet(n int) {
	if c.resp3 {
		c.out = append(c.out, '~')
		c.out = strconv.AppendInt(c.out, int64(n), 10)
		c.out = append(c.out, '\r', '\n')
	} else {
		c.WriteArray(n)
	}
}

// WritePush appends a push header for n elements (an array in RESP2).
func (c *Client) WritePush(n int) {
	if c.resp3 {
		c.out = append(c.out, '>')
		c.out = strconv.AppendInt(c.out, int64(n), 10)
		c.out = append(c.out, '\r', '\n')
	} else {
		c.WriteArray(n)
	}
}

// WriteBool appends a boolean (:1/:0 in RESP2, #t/#f in RESP3).
func (c *Client) WriteBool(b bool) {
	switch {
	case c.resp3 && b:
		c.out = append(c.out, "#t\r\n"...)
	case c.resp3:
		c.out = append(c.out, "#f\r\n"...)
	case b:
		c.out = append(c.out, ":1\r\n"...)
	default:
		c.out = append(c.out, ":0\r\n"...)
	}
}

// WriteDouble appends a double: a bulk string in RESP2, a ',' frame in
// RESP3, formatted as Redis does (shortest round-trip form, inf/-inf).
func (c *Client) WriteDouble(f float64) {
	var buf [32]byte
	b := formatDouble(buf[:0], f)
	if c.resp3 {
		c.out = append(c.out, ',')
		c.out = append(c.out, b...)
		c.out = append(c.out, '\r', '\n')
		return
	}
	c.out = redcon.AppendBulk(c.out, b)
}

// formatDouble appends f the way Redis prints doubles in replies: C's
// "%.17g" (so 0.1 is "0.10000000000000001"), "inf" and "-inf". Redis 7.2
// switched to the shortest round-trip form; ember prints what the Redis 7.0
// reference server prints, so replies compare byte for byte.
func formatDouble(b []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(b, "inf"...)
	case math.IsInf(f, -1):
		return append(b, "-inf"...)
	case math.IsNaN(f):
		return append(b, "nan"...)
	}
	return strconv.AppendFloat(b, f, 'g', 17, 64)
}

// WriteVerbatim appends a verbatim string with format "txt" (a bulk string
// in RESP2), as INFO and CLIENT INFO reply.
func (c *Client) WriteVerbatim(s string) {
	if !c.resp3 {
		c.WriteBulkString(s)
		return
	}
	c.out = append(c.out, '=')
	c.out = strconv.AppendInt(c.out, int64(len(s)+4), 10)
	c.out = append(c.out, "\r\ntxt:"...)
	c.out = append(c.out, s...)
	c.out = append(c.out, '\r', '\n')
}

// WriteRaw appends already encoded RESP.
func (c *Client) WriteRaw(b []byte) { c.out = append(c.out, b...) }
