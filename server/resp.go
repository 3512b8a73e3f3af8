package server

import (
	"bytes"
	"errors"
	"io"
	"math"
)

// The request reader.
//
// redcon's Reader copies every command (Raw and a fresh Args slice), grows
// its buffer without bound, re-scans a partial command from its first byte
// on every read and has no bulk-length cap, and its error texts differ from
// Redis's. This reader keeps redcon's idea (read a whole pipeline, then run
// it) but is a resumable byte-level parser over one reusable buffer:
//
//   - Args of a parsed command alias the buffer; they stay valid until the
//     next fill, which happens only after every complete command in the
//     buffer has run. Handlers copy what they keep (the store does).
//   - A partially received command keeps its parse state (argument offsets
//     relative to the command's start), so a 512 MB bulk arriving in 16 KiB
//     reads is scanned once, and the buffer grows once to the announced size.
//   - Limits follow Redis: proto-max-bulk-len for a bulk, INT_MAX arguments
//     per command, 64 KiB for an inline command or a length line, and
//     client-query-buffer-limit for the whole buffer. A limit is checked
//     before anything is allocated for it.
//   - Errors carry Redis's exact "Protocol error: ..." text.
//   - Lines are found as Redis finds them, with strchr on the buffer: a
//     length line ends at its first '\r' and the byte after it is skipped
//     unchecked; an inline command ends at its first '\n'; a NUL byte before
//     the terminator hides it, so the request waits for more input (and is
//     "too big" past 64 KiB), exactly as Redis does.
//   - The result does not depend on how the input is split into reads: a
//     line longer than 64 KiB is "too big" even when it arrives whole
//     (Redis refuses it only when a read ends inside it, which depends on
//     TCP segmentation; refusing it always makes the reader deterministic).

// Reader limits that Redis hard-codes.
const (
	protoInlineMaxSize = 64 * 1024     // PROTO_INLINE_MAX_SIZE
	protoMaxArgs       = math.MaxInt32 // multibulk length limit (INT_MAX)
	protoIOBufLen      = 16 * 1024     // PROTO_IOBUF_LEN
	// protoBigArg is the size from which a bulk gets a buffer of exactly its
	// own size instead of doubling (PROTO_MBULK_BIG_ARG).
	protoBigArg = 32 * 1024
	// keptArgs is the most argument slots an idle client keeps allocated.
	keptArgs = 1024
	// Unauthenticated clients may not announce more than this (Redis 7).
	unauthMaxArgs    = 10
	unauthMaxBulkLen = 16384
)

// ProtocolError is a malformed request; the connection is answered with
// "-ERR <Msg>" and closed.
type ProtocolError struct{ Msg string }

// Error returns the Redis-style message, without the ERR prefix.
func (e *ProtocolError) Error() string { return e.Msg }

var (
	errQueryBufLimit = errors.New("query buffer limit reached")
)

// reader parses RESP2 multibulk and inline requests from one connection.
type reader struct {
	rd  io.Reader
	buf []byte
	r   int // start of unparsed data (and of the current command)
	w   int // end of data read

	// State of a partially parsed multibulk command starting at r.
	argc    int   // announced argument count; 0 = not started
	pos     int   // next byte to parse, relative to r
	offs    []int // (start, end) pairs of parsed arguments, relative to r
	bulkLen int   // announced length of the bulk being read; -1 = none
	// scanned is the buffer index up to which the current line has been
	// searched for its terminator (so a long line arriving in small reads
	// is scanned once). It is at or before that line's terminator or NUL,
	// so it never points past the start of a later line.
	scanned int

	args     [][]byte // parsed arguments handed to the caller (reused)
	lastRead int      // bytes returned by the last Read

	maxBulk  int64 // proto-max-bulk-len
	maxQuery int64 // client-query-buffer-limit
	authed   func() bool
}

func newReader(rd io.Reader, maxBulk, maxQuery int64, authed func() bool) *reader {
	return &reader{rd: rd, bulkLen: -1, maxBulk: maxBulk, maxQuery: maxQuery, authed: authed,
		offs: make([]int, 0, 16), args: make([][]byte, 0, 8)}
}

// buffered reports whether unparsed bytes remain in the buffer.
func (p *reader) buffered() bool { return p.w > p.r }

// next returns the next complete command in the buffer, or nil when more
// input is needed. Empty commands (*0, blank inline lines) are skipped.
func (p *reader) next() ([][]byte, error) {
	for p.r < p.w {
		var args [][]byte
		var err error
		if p.argc == 0 && p.buf[p.r] != '*' {
			args, err = p.inline()
		} else {
			args, err = p.multibulk()
		}
		if err != nil || args == nil {
			return nil, err
		}
		if len(args) > 0 {
			return args, nil
		}
	}
	return nil, nil
}

// fill reads more input, first making room: the partial command is moved to
// the front, and the buffer grows when it is full (exactly to the announced
// size for a big bulk). It must only be called after next returned nil.
func (p *reader) fill() error {
	if p.buf == nil {
		p.buf = make([]byte, protoIOBufLen)
	}
	if p.r == p.w {
		p.r, p.w, p.scanned = 0, 0, 0
		if len(p.buf) > 4*protoIOBufLen {
			// Do not keep a big buffer for an idle client.
			p.buf = make([]byte, protoIOBufLen)
		}
		if cap(p.args) > keptArgs {
			// Nor the argument slices of a command with many arguments.
			p.args = make([][]byte, 0, 8)
			p.offs = make([]int, 0, 16)
		}
	}
	need := p.w - p.r + 1
	if p.bulkLen >= protoBigArg {
		// The whole bulk and its CRLF must fit after the parsed part.
		need = p.pos + p.bulkLen + 2
	}
	if need > len(p.buf)-p.r {
		if p.r > 0 {
			copy(p.buf, p.buf[p.r:p.w])
			p.w -= p.r
			p.scanned = max(p.scanned-p.r, 0)
			p.r = 0
		}
		if need > len(p.buf) {
			n := len(p.buf) * 2
			if n < need {
				n = need
			}
			if int64(n) > p.maxQuery && int64(need) > p.maxQuery {
				return errQueryBufLimit
			}
			if int64(n) > p.maxQuery {
				n = int(p.maxQuery)
			}
			nb := make([]byte, n)
			copy(nb, p.buf[:p.w])
			p.buf = nb
		}
	}
	n, err := p.rd.Read(p.buf[p.w:])
	p.w += n
	p.lastRead = n
	if n > 0 {
		return nil
	}
	if err == nil {
		err = io.ErrNoProgress
	}
	return err
}

// scanLine returns the index of the first term byte at or after abs, as C's
// strchr would find it in the buffer: the search stops at a NUL byte. It
// returns -1 when the terminator is not (yet) there.
func (p *reader) scanLine(abs int, term byte) int {
	for i := max(abs, p.scanned); i < p.w; i++ {
		switch p.buf[i] {
		case term:
			p.scanned = i
			return i
		case 0:
			p.scanned = i
			return -1
		}
	}
	p.scanned = p.w
	return -1
}

// lengthLine finds the length line ('*' or '$' header) starting at abs. It
// returns the index of its '\r', -1 when the line is incomplete, and
// tooBig when the line is, or can only become, longer than Redis allows.
func (p *reader) lengthLine(abs int) (end int, tooBig bool) {
	end = p.scanLine(abs, '\r')
	if end < 0 {
		return -1, p.w-abs > protoInlineMaxSize
	}
	if end-abs > protoInlineMaxSize {
		return -1, true
	}
	if end+1 >= p.w {
		return -1, false // the byte after '\r' (skipped) is not here yet
	}
	return end, false
}

// parseLen parses the decimal length in b as Redis's string2ll does.
func parseLen(b []byte) (int64, bool) { return parseInt(b) }

func (p *reader) multibulk() ([][]byte, error) {
	if p.argc == 0 {
		end, tooBig := p.lengthLine(p.r)
		if tooBig {
			return nil, &ProtocolError{"Protocol error: too big mbulk count string"}
		}
		if end < 0 {
			return nil, nil
		}
		n, ok := parseLen(p.buf[p.r+1 : end])
		if !ok || n > protoMaxArgs {
			return nil, &ProtocolError{"Protocol error: invalid multibulk length"}
		}
		if n > unauthMaxArgs && !p.authed() {
			return nil, &ProtocolError{"Protocol error: unauthenticated multibulk length"}
		}
		if n <= 0 {
			p.r = end + 2
			return [][]byte{}, nil
		}
		p.argc = int(n)
		p.pos = end + 2 - p.r
		p.offs = p.offs[:0]
		p.bulkLen = -1
	}
	for len(p.offs) < 2*p.argc {
		abs := p.r + p.pos
		if p.bulkLen < 0 {
			if abs >= p.w {
				return nil, nil
			}
			end, tooBig := p.lengthLine(abs)
			if tooBig {
				return nil, &ProtocolError{"Protocol error: too big bulk count string"}
			}
			if end < 0 {
				return nil, nil
			}
			if p.buf[abs] != '$' {
				// The byte goes out raw (WriteError turns CR/LF into spaces).
				return nil, &ProtocolError{"Protocol error: expected '$', got '" + string(p.buf[abs:abs+1]) + "'"}
			}
			n, ok := parseLen(p.buf[abs+1 : end])
			if !ok || n < 0 || n > p.maxBulk {
				return nil, &ProtocolError{"Protocol error: invalid bulk length"}
			}
			if n > unauthMaxBulkLen && !p.authed() {
				return nil, &ProtocolError{"Protocol error: unauthenticated bulk length"}
			}
			p.bulkLen = int(n)
			p.pos = end + 2 - p.r
			abs = end + 2
		}
		// Like Redis, the two bytes after the bulk are skipped, not checked.
		if p.w-abs < p.bulkLen+2 {
			return nil, nil
		}
		p.offs = append(p.offs, p.pos, p.pos+p.bulkLen)
		p.pos += p.bulkLen + 2
		p.bulkLen = -1
	}
	args := p.args[:0]
	base := p.r
	for i := 0; i < len(p.offs); i += 2 {
		args = append(args, p.buf[base+p.offs[i]:base+p.offs[i+1]:base+p.offs[i+1]])
	}
	p.args = args
	p.r += p.pos
	p.argc, p.pos = 0, 0
	return args, nil
}

func (p *reader) inline() ([][]byte, error) {
	nl := p.scanLine(p.r, '\n')
	if (nl < 0 && p.w-p.r > protoInlineMaxSize) || nl-p.r > protoInlineMaxSize {
		return nil, &ProtocolError{"Protocol error: too big inline request"}
	}
	if nl < 0 {
		return nil, nil
	}
	line := p.buf[p.r:nl]
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	args, ok := splitArgs(line, p.args[:0])
	p.r = nl + 1
	if !ok {
		return nil, &ProtocolError{"Protocol error: unbalanced quotes in request"}
	}
	p.args = args
	return args, nil
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

func hexVal(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// splitArgs splits an inline command line exactly as Redis's sdssplitargs:
// words separated by whitespace; inside a word, "double quotes" take \n \r
// \t \b \a, \xHH and \<any> escapes and 'single quotes' take \'; a
// closing quote must be followed by whitespace or the end; input stops at a
// NUL byte, as the C string would. Words are unescaped in place (the write
// position never passes the read position) and alias line.
func splitArgs(line []byte, args [][]byte) ([][]byte, bool) {
	if i := bytes.IndexByte(line, 0); i >= 0 {
		line = line[:i]
	}
	i := 0
	for {
		for i < len(line) && isSpace(line[i]) {
			i++
		}
		if i >= len(line) {
			return args, true
		}
		start, w := i, i
		inq, insq := false, false
	word:
		for {
			switch {
			case inq:
				if i >= len(line) {
					return args, false
				}
				c := line[i]
				switch {
				case c == '\\' && i+3 < len(line) && line[i+1] == 'x' && isHex(line[i+2]) && isHex(line[i+3]):
					h, _ := hexVal(line[i+2])
					l, _ := hexVal(line[i+3])
					line[w] = h<<4 | l
					w++
					i += 4
				case c == '\\' && i+1 < len(line):
					i++
					switch c = line[i]; c {
					case 'n':
						c = '\n'
					case 'r':
						c = '\r'
					case 't':
						c = '\t'
					case 'b':
						c = '\b'
					case 'a':
						c = '\a'
					}
					line[w] = c
					w++
					i++
				case c == '"':
					if i+1 < len(line) && !isSpace(line[i+1]) {
						return args, false
					}
					i++
					break word
				default:
					line[w] = c
					w++
					i++
				}
			case insq:
				if i >= len(line) {
					return args, false
				}
				c := line[i]
				switch {
				case c == '\\' && i+1 < len(line) && line[i+1] == '\'':
					line[w] = '\''
					w++
					i += 2
				case c == '\'':
					if i+1 < len(line) && !isSpace(line[i+1]) {
						return args, false
					}
					i++
					break word
				default:
					line[w] = c
					w++
					i++
				}
			default:
				if i >= len(line) {
					break word
				}
				switch c := line[i]; c {
				case ' ', '\n', '\r', '\t':
					break word
				case '"':
					inq = true
					i++
				case '\'':
					insq = true
					i++
				default:
					line[w] = c
					w++
					i++
				}
			}
		}
		args = append(args, line[start:w:w])
	}
}

func isHex(c byte) bool {
	_, ok := hexVal(c)
	return ok
}

// release drops the buffer while nothing is buffered (a client about to
// wait a long time, e.g. blocked), so idle clients cost little memory; the
// next fill allocates a fresh one.
func (p *reader) release() {
	if p.r == p.w && p.argc == 0 {
		p.buf = nil
		p.r, p.w = 0, 0
		p.args = p.args[:0:0]
	}
}
