package bench

import (
	"bufio"
	"errors"
	"fmt"
)

// The client side of RESP2, kept minimal so the generator costs the machine
// as little as possible: commands are appended into a reused byte slice
// (one write per pipeline batch), and replies are parsed in place from a
// bufio.Reader's buffer with ReadSlice and Discard, copying nothing but the
// text of error replies and the few payload bytes a workload looks at.

var errProtocol = errors.New("protocol error in reply")

// appendArray appends a multibulk header for n arguments.
func appendArray(b []byte, n int) []byte {
	b = append(b, '*')
	b = appendUint(b, uint64(n))
	return append(b, '\r', '\n')
}

// appendBulk appends p as a bulk string.
func appendBulk(b, p []byte) []byte {
	b = append(b, '$')
	b = appendUint(b, uint64(len(p)))
	b = append(b, '\r', '\n')
	b = append(b, p...)
	return append(b, '\r', '\n')
}

// appendBulkString appends s as a bulk string.
func appendBulkString(b []byte, s string) []byte {
	b = append(b, '$')
	b = appendUint(b, uint64(len(s)))
	b = append(b, '\r', '\n')
	b = append(b, s...)
	return append(b, '\r', '\n')
}

// appendBulkKey appends prefix followed by n in decimal, as one bulk string.
func appendBulkKey(b []byte, prefix string, n uint64) []byte {
	b = append(b, '$')
	b = appendUint(b, uint64(len(prefix)+decimalLen(n)))
	b = append(b, '\r', '\n')
	b = append(b, prefix...)
	b = appendUint(b, n)
	return append(b, '\r', '\n')
}

// appendBulkUint appends n in decimal as a bulk string.
func appendBulkUint(b []byte, n uint64) []byte { return appendBulkKey(b, "", n) }

// appendCommand appends a whole command of string arguments (setup and
// control commands; the hot paths build theirs piece by piece).
func appendCommand(b []byte, args ...string) []byte {
	b = appendArray(b, len(args))
	for _, a := range args {
		b = appendBulkString(b, a)
	}
	return b
}

func appendUint(b []byte, n uint64) []byte {
	var tmp [20]byte
	i := len(tmp)
	for {
		i--
		tmp[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	return append(b, tmp[i:]...)
}

func decimalLen(n uint64) int {
	l := 1
	for n >= 10 {
		n /= 10
		l++
	}
	return l
}

// reply is what a workload needs to know about one reply.
type reply struct {
	kind byte   // the frame's type byte: + - : $ * (and RESP3's, if sent)
	null bool   // nil bulk or nil array
	n    int64  // integer value, bulk length or element count
	text []byte // simple string or error text; valid until the next read
}

// empty reports whether the reply is a miss for a read: a nil, or an empty
// array (ZRANGE of a missing key).
func (r *reply) empty() bool { return r.null || (r.kind == '*' && r.n == 0) }

// respReader parses replies from a buffered connection.
type respReader struct {
	br *bufio.Reader
}

// line reads one CRLF-terminated line and returns it without the CRLF.
func (r *respReader) line() ([]byte, error) {
	l, err := r.br.ReadSlice('\n')
	if err != nil {
		if errors.Is(err, bufio.ErrBufferFull) {
			return nil, fmt.Errorf("%w: line longer than %d bytes", errProtocol, r.br.Size())
		}
		return nil, err
	}
	if len(l) < 3 || l[len(l)-2] != '\r' {
		return nil, fmt.Errorf("%w: %q", errProtocol, l)
	}
	return l[:len(l)-2], nil
}

// parseInt parses a decimal integer with an optional sign.
func parseInt(b []byte) (int64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	neg := b[0] == '-'
	if neg {
		b = b[1:]
		if len(b) == 0 {
			return 0, false
		}
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

// read parses one whole reply into rp, skipping over bulk payloads and
// aggregate elements.
func (r *respReader) read(rp *reply) error {
	l, err := r.line()
	if err != nil {
		return err
	}
	rp.kind, rp.null, rp.n, rp.text = l[0], false, 0, nil
	switch l[0] {
	case '+', '-':
		rp.text = l[1:]
		return nil
	case ':', '$', '*', '~', '>', '%', '=', '!':
		n, ok := parseInt(l[1:])
		if !ok {
			return fmt.Errorf("%w: %q", errProtocol, l)
		}
		rp.n = n
		if n < 0 {
			rp.null = true
			return nil
		}
		switch l[0] {
		case ':':
			return nil
		case '$', '=', '!':
			_, err := r.br.Discard(int(n) + 2)
			return err
		case '%':
			n *= 2
		}
		var el reply
		for i := int64(0); i < n; i++ {
			if err := r.read(&el); err != nil {
				return err
			}
		}
		return nil
	case '_':
		rp.null = true
		return nil
	case ',', '#', '(':
		rp.text = l[1:]
		return nil
	}
	return fmt.Errorf("%w: %q", errProtocol, l)
}

// bulkPrefix reads a bulk string and copies up to len(dst) of its first
// bytes into dst, returning the bulk's length (-1 for nil). A non-bulk
// reply is an error; an error reply's text is returned in errText.
func (r *respReader) bulkPrefix(dst []byte) (n int, errText []byte, err error) {
	l, err := r.line()
	if err != nil {
		return 0, nil, err
	}
	switch l[0] {
	case '-':
		return 0, l[1:], nil
	case '$':
	default:
		return 0, nil, fmt.Errorf("%w: expected a bulk string, got %q", errProtocol, l)
	}
	v, ok := parseInt(l[1:])
	if !ok {
		return 0, nil, fmt.Errorf("%w: %q", errProtocol, l)
	}
	if v < 0 {
		return -1, nil, nil
	}
	p, err := r.br.Peek(min(int(v), len(dst)))
	if err != nil {
		return 0, nil, err
	}
	copy(dst, p)
	_, err = r.br.Discard(int(v) + 2)
	return int(v), nil, err
}
