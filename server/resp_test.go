package server

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"net"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/embercache/ember/internal/resptest"
)

// Tests of the request reader (resp.go): the same input fed in one piece,
// one byte per Read and in random chunk sizes must give the same commands
// and the same protocol error, with Redis's exact texts.

// oneByteReader returns one byte per Read.
type oneByteReader struct{ data []byte }

func (r *oneByteReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	p[0] = r.data[0]
	r.data = r.data[1:]
	return 1, nil
}

// chunkReader returns chunks of random sizes in [1, max].
type chunkReader struct {
	data []byte
	rng  *rand.Rand
	max  int
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	n := min(1+r.rng.Intn(r.max), len(p), len(r.data))
	copy(p, r.data[:n])
	r.data = r.data[n:]
	return n, nil
}

// readerLimits are the reader's configurable limits for a test.
type readerLimits struct {
	maxBulk, maxQuery int64
	unauthed          bool
}

var defaultLimits = readerLimits{maxBulk: 512 << 20, maxQuery: 1 << 30}

// parseAll drives a reader over rd as the connection loop does (every
// complete command is taken before the next fill) and returns the commands
// and the error that stopped it (nil at a clean EOF).
func parseAll(rd io.Reader, lim readerLimits) ([][]string, error) {
	cmds, _, err := parseFeed(rd, lim)
	return cmds, err
}

// parseFeed is parseAll that also reports the largest buffer the reader
// held.
func parseFeed(rd io.Reader, lim readerLimits) (cmds [][]string, maxBuf int, err error) {
	p := newReader(rd, lim.maxBulk, lim.maxQuery, func() bool { return !lim.unauthed })
	for {
		for {
			args, err := p.next()
			if err != nil {
				return cmds, maxBuf, err
			}
			if args == nil {
				break
			}
			cmd := make([]string, len(args))
			for i, a := range args {
				cmd[i] = string(a)
			}
			cmds = append(cmds, cmd)
		}
		err := p.fill()
		maxBuf = max(maxBuf, cap(p.buf))
		if err != nil {
			if errors.Is(err, io.EOF) {
				return cmds, maxBuf, nil
			}
			return cmds, maxBuf, err
		}
	}
}

// errText is the protocol error text of err ("" for nil).
func errText(err error) string {
	var pe *ProtocolError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &pe):
		return pe.Msg
	}
	return err.Error()
}

// feeds returns readers that deliver data in different chunkings.
func feeds(data []byte) map[string]io.Reader {
	out := map[string]io.Reader{
		"whole":   bytes.NewReader(data),
		"onebyte": &oneByteReader{data},
	}
	for seed := int64(1); seed <= 3; seed++ {
		out[fmt.Sprintf("chunks%d", seed)] = &chunkReader{data: data, rng: rand.New(rand.NewSource(seed)), max: 1 + int(seed)*7}
	}
	return out
}

func cmds(c ...[]string) [][]string { return c }
func cmd(args ...string) []string   { return args }

type readerCase struct {
	name string
	in   string
	want [][]string
	err  string // protocol error text, "" if none
	lim  *readerLimits
}

func readerCases() []readerCase {
	big := strings.Repeat("x", 70000)
	digits := strings.Repeat("1", 70000)
	return []readerCase{
		// Multibulk.
		{name: "mbulk", in: "*1\r\n$4\r\nPING\r\n", want: cmds(cmd("PING"))},
		{name: "mbulk-args", in: "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n", want: cmds(cmd("SET", "k", ""))},
		{name: "mbulk-binary", in: "*2\r\n$4\r\nECHO\r\n$6\r\na\r\n\x00b\xff\r\n", want: cmds(cmd("ECHO", "a\r\n\x00b\xff"))},
		{name: "mbulk-empty-skipped", in: "*0\r\n*-1\r\n*-5\r\n*1\r\n$1\r\na\r\n", want: cmds(cmd("a"))},
		{name: "mbulk-pipeline", in: strings.Repeat("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", 50), want: slices.Repeat(cmds(cmd("GET", "k")), 50)},
		// Redis skips the two bytes after a bulk and after a length line's
		// '\r' without checking them.
		{name: "mbulk-unchecked-trailer", in: "*1\r\n$4\r\nPINGxx*1\rx$1\ryaZZ", want: cmds(cmd("PING"), cmd("a"))},
		{name: "mbulk-incomplete", in: "*2\r\n$3\r\nGET\r\n$1\r\n", want: nil},
		{name: "mbulk-incomplete-line", in: "*1\r\n$4\r", want: nil},
		{name: "mbulk-then-inline", in: "*1\r\n$1\r\na\r\nb c\r\n*1\r\n$1\r\nd\r\n", want: cmds(cmd("a"), cmd("b", "c"), cmd("d"))},
		{name: "mbulk-max-bulk", in: "*1\r\n$1048576\r\n" + strings.Repeat("v", 1<<20) + "\r\n", want: cmds(cmd(strings.Repeat("v", 1<<20))),
			lim: &readerLimits{maxBulk: 1 << 20, maxQuery: 4 << 20}},

		// Inline, split as sdssplitargs does.
		{name: "inline", in: "PING\r\n", want: cmds(cmd("PING"))},
		{name: "inline-lf", in: "PING\nGET k\n", want: cmds(cmd("PING"), cmd("GET", "k"))},
		{name: "inline-spaces", in: "  SET \t k\tv  \r\n", want: cmds(cmd("SET", "k", "v"))},
		{name: "inline-blank-lines", in: "\r\n\n  \r\nPING\r\n", want: cmds(cmd("PING"))},
		{name: "inline-vtab-ff", in: "\v\fECHO a\vb\fc\r\n", want: cmds(cmd("ECHO", "a\vb\fc"))},
		{name: "inline-inner-cr", in: "ECHO a\rb\r\n", want: cmds(cmd("ECHO", "a", "b"))},
		{name: "inline-dquote", in: `SET k "hello world"` + "\r\n", want: cmds(cmd("SET", "k", "hello world"))},
		{name: "inline-dquote-escapes", in: `ECHO "a\nb\r\t\b\a\"\\\q"` + "\r\n", want: cmds(cmd("ECHO", "a\nb\r\t\b\a\"\\q"))},
		{name: "inline-hex", in: `ECHO "\x41\x4a\x00\xfF"` + "\r\n", want: cmds(cmd("ECHO", "AJ\x00\xff"))},
		{name: "inline-bad-hex", in: `ECHO "\x4g\x"` + "\r\n", want: cmds(cmd("ECHO", "x4gx"))},
		{name: "inline-squote", in: `ECHO 'it\'s' 'a\nb' '"'` + "\r\n", want: cmds(cmd("ECHO", "it's", `a\nb`, `"`))},
		{name: "inline-empty-quotes", in: `ECHO "" ''` + "\r\n", want: cmds(cmd("ECHO", "", ""))},
		{name: "inline-quote-mid-word", in: `ECHO a"b c"` + "\r\n", want: cmds(cmd("ECHO", "ab c"))},
		{name: "inline-quote-then-space", in: "ECHO \"a\"\tb\r\n", want: cmds(cmd("ECHO", "a", "b"))},
		{name: "inline-dollar", in: "$4\r\nPING\r\n", want: cmds(cmd("$4"), cmd("PING"))},
		{name: "inline-long-ok", in: "ECHO " + strings.Repeat("y", 65000) + "\r\n", want: cmds(cmd("ECHO", strings.Repeat("y", 65000)))},
		// A NUL hides the line end from strchr: Redis waits for more input.
		{name: "inline-nul-waits", in: "PING\r\nECHO a\x00b\r\nPING\r\n", want: cmds(cmd("PING"))},
		{name: "mbulk-nul-waits", in: "*1\x00\r\n*1\r\n$1\r\na\r\n", want: nil},
		{name: "bulk-header-nul-waits", in: "*1\r\n$1\x00\r\na\r\n", want: nil},
		{name: "nul-after-command", in: "*1\r\n$4\r\nPING\r\n\x00PING\r\n", want: cmds(cmd("PING"))},

		// Protocol errors, after the commands before them.
		{name: "bad-mbulk-len", in: "*1\r\n$1\r\na\r\n*abc\r\n", want: cmds(cmd("a")), err: "Protocol error: invalid multibulk length"},
		{name: "mbulk-len-plus", in: "*+1\r\n", err: "Protocol error: invalid multibulk length"},
		{name: "mbulk-len-zero-pad", in: "*01\r\n", err: "Protocol error: invalid multibulk length"},
		{name: "mbulk-len-space", in: "*1 \r\n", err: "Protocol error: invalid multibulk length"},
		{name: "mbulk-len-empty", in: "*\r\n", err: "Protocol error: invalid multibulk length"},
		{name: "mbulk-len-over-intmax", in: "*2147483648\r\n", err: "Protocol error: invalid multibulk length"},
		{name: "mbulk-len-intmax", in: "*2147483647\r\n$1\r\na\r\n", want: nil},
		{name: "expected-dollar", in: "*1\r\nx\r\n", err: "Protocol error: expected '$', got 'x'"},
		{name: "expected-dollar-raw-byte", in: "*2\r\n$1\r\na\r\n\xff\r\n", err: "Protocol error: expected '$', got '\xff'"},
		{name: "expected-dollar-cr", in: "*1\r\n\r\n", err: "Protocol error: expected '$', got '\r'"},
		{name: "expected-dollar-waits-for-line", in: "*1\r\nxyz", want: nil},
		{name: "bad-bulk-len", in: "*1\r\n$abc\r\n", err: "Protocol error: invalid bulk length"},
		{name: "bulk-len-negative", in: "*1\r\n$-1\r\n", err: "Protocol error: invalid bulk length"},
		{name: "bulk-len-plus", in: "*1\r\n$+1\r\n", err: "Protocol error: invalid bulk length"},
		{name: "bulk-len-empty", in: "*1\r\n$\r\n", err: "Protocol error: invalid bulk length"},
		{name: "bulk-over-max", in: "*1\r\n$536870913\r\n", err: "Protocol error: invalid bulk length"},
		{name: "bulk-over-configured-max", in: "*1\r\n$1048577\r\n", err: "Protocol error: invalid bulk length",
			lim: &readerLimits{maxBulk: 1 << 20, maxQuery: 1 << 30}},
		{name: "too-big-inline", in: "PING" + big, err: "Protocol error: too big inline request"},
		// Refused even when its newline is already there (deterministic).
		{name: "too-big-inline-complete", in: "ECHO " + big + "\r\n", err: "Protocol error: too big inline request"},
		{name: "too-big-inline-nul", in: "ECHO a\x00" + big + "\r\n", err: "Protocol error: too big inline request"},
		{name: "too-big-mbulk-count", in: "*" + digits, err: "Protocol error: too big mbulk count string"},
		{name: "too-big-mbulk-count-complete", in: "*" + digits + "\r\n", err: "Protocol error: too big mbulk count string"},
		{name: "too-big-bulk-count", in: "*1\r\n$" + digits, err: "Protocol error: too big bulk count string"},
		{name: "too-big-bulk-count-garbage", in: "*1\r\n" + big, err: "Protocol error: too big bulk count string"},
		{name: "unbalanced-dquote", in: "PING\r\nECHO \"abc\r\nPING\r\n", want: cmds(cmd("PING")), err: "Protocol error: unbalanced quotes in request"},
		{name: "unbalanced-squote", in: "ECHO 'abc\r\n", err: "Protocol error: unbalanced quotes in request"},
		{name: "unbalanced-close-then-char", in: "ECHO \"a\"b\r\n", err: "Protocol error: unbalanced quotes in request"},
		{name: "unbalanced-squote-then-char", in: "ECHO 'a'b\r\n", err: "Protocol error: unbalanced quotes in request"},
		{name: "unbalanced-escaped-close", in: "ECHO \"a\\\"\r\n", err: "Protocol error: unbalanced quotes in request"},
		{name: "unbalanced-mid-word", in: "ECHO a\"b c\"d\r\n", err: "Protocol error: unbalanced quotes in request"},

		// Before AUTH, Redis 7 caps what a client may announce.
		{name: "unauth-mbulk", in: "*11\r\n", err: "Protocol error: unauthenticated multibulk length", lim: &readerLimits{maxBulk: 512 << 20, maxQuery: 1 << 30, unauthed: true}},
		{name: "unauth-mbulk-ok", in: "*10\r\n" + strings.Repeat("$1\r\na\r\n", 10), want: cmds(slices.Repeat(cmd("a"), 10)), lim: &readerLimits{maxBulk: 512 << 20, maxQuery: 1 << 30, unauthed: true}},
		{name: "unauth-bulk", in: "*1\r\n$16385\r\n", err: "Protocol error: unauthenticated bulk length", lim: &readerLimits{maxBulk: 512 << 20, maxQuery: 1 << 30, unauthed: true}},
		{name: "unauth-bulk-ok", in: "*1\r\n$16384\r\n" + strings.Repeat("b", 16384) + "\r\n", want: cmds(cmd(strings.Repeat("b", 16384))), lim: &readerLimits{maxBulk: 512 << 20, maxQuery: 1 << 30, unauthed: true}},
		{name: "unauth-inline-any-length", in: "ECHO a b c d e f g h i j k l\r\n", want: cmds(cmd("ECHO", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l")), lim: &readerLimits{maxBulk: 512 << 20, maxQuery: 1 << 30, unauthed: true}},

		// client-query-buffer-limit: a command that cannot fit is refused.
		{name: "qbuf-big-bulk", in: "*1\r\n$2000000\r\n", err: errQueryBufLimit.Error(), lim: &readerLimits{maxBulk: 512 << 20, maxQuery: 1 << 20}},
		{name: "qbuf-many-args", in: "*100\r\n" + strings.Repeat("$20000\r\n"+strings.Repeat("z", 20000)+"\r\n", 100), err: errQueryBufLimit.Error(), lim: &readerLimits{maxBulk: 512 << 20, maxQuery: 1 << 20}},
	}
}

// TestReader checks every case with every chunking.
func TestReader(t *testing.T) {
	for _, tc := range readerCases() {
		t.Run(tc.name, func(t *testing.T) {
			lim := defaultLimits
			if tc.lim != nil {
				lim = *tc.lim
			}
			for feed, rd := range feeds([]byte(tc.in)) {
				got, err := parseAll(rd, lim)
				if !slices.EqualFunc(got, tc.want, slices.Equal) {
					t.Errorf("%s: commands\n got %.300q\nwant %.300q", feed, got, tc.want)
				}
				if e := errText(err); e != tc.err {
					t.Errorf("%s: error %q, want %q", feed, e, tc.err)
				}
			}
		})
	}
}

// TestReaderRandomPipelines feeds long random pipelines of multibulk and
// inline commands in many chunkings and checks they all parse the same.
func TestReaderRandomPipelines(t *testing.T) {
	rng := rand.New(rand.NewSource(42))
	for round := 0; round < 10; round++ {
		var in bytes.Buffer
		var want [][]string
		for i := 0; i < 100; i++ {
			n := 1 + rng.Intn(5)
			args := make([]string, n)
			for j := range args {
				b := make([]byte, rng.Intn(40)+1)
				for k := range b {
					b[k] = byte('a' + rng.Intn(26))
				}
				if rng.Intn(20) == 0 {
					// Past protoBigArg sometimes, with NULs.
					b = append(b, make([]byte, rng.Intn(2*protoBigArg))...)
				}
				args[j] = string(b)
			}
			if rng.Intn(3) == 0 && len(strings.Join(args, " ")) < 60000 && !strings.Contains(strings.Join(args, ""), "\x00") {
				in.WriteString(strings.Join(args, " ") + "\r\n")
			} else {
				in.Write(resptest.Encode(args...))
			}
			want = append(want, args)
		}
		for feed, rd := range feeds(in.Bytes()) {
			got, err := parseAll(rd, defaultLimits)
			if err != nil {
				t.Fatalf("round %d %s: %v", round, feed, err)
			}
			if !slices.EqualFunc(got, want, slices.Equal) {
				t.Fatalf("round %d %s: %d commands parsed, want %d (or contents differ)", round, feed, len(got), len(want))
			}
		}
	}
}

// heapAllocDuring reports the bytes allocated while fn runs.
func heapAllocDuring(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestReaderRefusesWithoutAllocating: a bulk longer than proto-max-bulk-len,
// or one that cannot fit in client-query-buffer-limit, is refused from its
// header alone, before any buffer is sized for it.
func TestReaderRefusesWithoutAllocating(t *testing.T) {
	for _, tc := range []struct {
		in  string
		lim readerLimits
		err string
	}{
		{"*1\r\n$536870913\r\n", defaultLimits, "Protocol error: invalid bulk length"},
		{"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$536870913\r\n", defaultLimits, "Protocol error: invalid bulk length"},
		{"*1\r\n$536870912\r\n", readerLimits{maxBulk: 512 << 20, maxQuery: 1 << 20}, errQueryBufLimit.Error()},
		{"*2147483647\r\n$1\r\n", defaultLimits, ""}, // the announced count allocates nothing either
	} {
		var err error
		n := heapAllocDuring(func() { _, err = parseAll(bytes.NewReader([]byte(tc.in)), tc.lim) })
		if errText(err) != tc.err {
			t.Errorf("%q: error %q, want %q", tc.in, errText(err), tc.err)
		}
		if n > 1<<20 {
			t.Errorf("%q: allocated %d bytes", tc.in, n)
		}
	}
}

// nextCommand returns p's next complete command, reading as needed.
func nextCommand(p *reader) ([][]byte, error) {
	for {
		args, err := p.next()
		if err != nil || args != nil {
			return args, err
		}
		if err := p.fill(); err != nil {
			return nil, err
		}
	}
}

// TestReaderDropsBigStateWhenIdle: after a command with 100,000
// arguments (or a 1 MB one) has run, a client waiting for more input keeps
// neither the big buffer nor the argument slices.
func TestReaderDropsBigStateWhenIdle(t *testing.T) {
	var in bytes.Buffer
	in.WriteString("*100000\r\n")
	for i := 0; i < 100000; i++ {
		in.WriteString("$0\r\n\r\n")
	}
	in.Write(resptest.Encode("SET", "k", strings.Repeat("v", 1<<20)))
	p := newReader(bytes.NewReader(in.Bytes()), 512<<20, 1<<30, func() bool { return true })
	for _, want := range []int{100000, 3} {
		args, err := nextCommand(p)
		if err != nil || len(args) != want {
			t.Fatalf("got %d args, %v; want %d", len(args), err, want)
		}
	}
	if _, err := nextCommand(p); !errors.Is(err, io.EOF) {
		t.Fatalf("at the end: %v", err)
	}
	if cap(p.buf) > protoIOBufLen || cap(p.args) > keptArgs || cap(p.offs) > 2*keptArgs {
		t.Fatalf("idle reader keeps buf %d, args %d, offs %d", cap(p.buf), cap(p.args), cap(p.offs))
	}
}

// loopReader serves the same data forever.
type loopReader struct {
	data []byte
	off  int
}

func (r *loopReader) Read(p []byte) (int, error) {
	n := copy(p, r.data[r.off:])
	r.off = (r.off + n) % len(r.data)
	return n, nil
}

// TestReaderNoAllocsSteadyState: once warm, parsing a stream of ordinary
// multibulk and inline commands allocates nothing per command.
func TestReaderNoAllocsSteadyState(t *testing.T) {
	var in bytes.Buffer
	for i := 0; i < 97; i++ { // not a divisor of the buffer size
		in.Write(resptest.Encode("SET", fmt.Sprintf("key:%d", i), strings.Repeat("v", i)))
		in.WriteString("GET \"key:1\" 'x'\r\n")
	}
	p := newReader(&loopReader{data: in.Bytes()}, 512<<20, 1<<30, func() bool { return true })
	step := func() {
		for i := 0; i < 100; i++ {
			if _, err := nextCommand(p); err != nil {
				t.Fatal(err)
			}
		}
	}
	step()
	if a := testing.AllocsPerRun(200, step); a != 0 {
		t.Fatalf("%.1f allocations per 100 reader steps", a)
	}
}

// countingChunks watches the reader's buffer and parse state before each
// Read.
type countingChunks struct {
	chunkReader
	p      *reader
	caps   []int    // buffer capacity at each change
	states []string // parse state while a big bulk is pending
}

func (r *countingChunks) Read(b []byte) (int, error) {
	if c := cap(r.p.buf); len(r.caps) == 0 || r.caps[len(r.caps)-1] != c {
		r.caps = append(r.caps, c)
	}
	if r.p.bulkLen >= protoBigArg {
		r.states = append(r.states, fmt.Sprintf("argc=%d args=%d bulk=%d", r.p.argc, len(r.p.offs)/2, r.p.bulkLen))
	}
	return r.chunkReader.Read(b)
}

// TestReaderBigBulkScannedOnce: a 20 MB bulk arriving in small chunks makes
// the buffer grow once, to the announced size, and its header is parsed
// once (the parse state survives every read).
func TestReaderBigBulkScannedOnce(t *testing.T) {
	const size = 20 << 20
	var in bytes.Buffer
	in.WriteString("*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$20971520\r\n")
	val := bytes.Repeat([]byte("0123456789abcdef"), size/16)
	in.Write(val)
	in.WriteString("\r\n*1\r\n$4\r\nPING\r\n")
	cr := &countingChunks{chunkReader: chunkReader{data: in.Bytes(), rng: rand.New(rand.NewSource(7)), max: 16 * 1024}}
	p := newReader(cr, 512<<20, 1<<30, func() bool { return true })
	cr.p = p
	var got [][][]byte
	for len(got) < 2 {
		args, err := nextCommand(p)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) == 0 {
			if len(args) != 3 || string(args[1]) != "big" || !bytes.Equal(args[2], val) {
				t.Fatalf("bad SET parsed: %d args", len(args))
			}
			if cap(p.buf) < size || cap(p.buf) > size+64*1024 {
				t.Fatalf("buffer cap %d for a %d byte bulk", cap(p.buf), size)
			}
		}
		got = append(got, args)
	}
	// The first buffer, then exactly one growth to the bulk's size (and a
	// shrink back once it has been consumed).
	if len(cr.caps) < 2 || cr.caps[0] != protoIOBufLen || cr.caps[1] < size || (len(cr.caps) == 3 && cr.caps[2] != protoIOBufLen) || len(cr.caps) > 3 {
		t.Fatalf("buffer capacities over time: %v", cr.caps)
	}
	if len(cr.states) < 1000 {
		t.Fatalf("only %d reads while the bulk was pending", len(cr.states))
	}
	for _, s := range cr.states {
		if s != "argc=3 args=2 bulk=20971520" {
			t.Fatalf("parse state between reads: %s", s)
		}
	}
}

// TestProtocolErrorsMatchRedis sends the same malformed requests to ember
// and to a real redis-server over raw sockets: the bytes sent back must be
// identical, and after a protocol error both must close the connection on
// their own. Requests without an error are followed by a half-close so
// that both servers answer what they can and then see EOF.
func TestProtocolErrorsMatchRedis(t *testing.T) {
	big := strings.Repeat("x", 70000)
	cases := []struct {
		in     string
		closes bool
		auth   bool // run against servers with requirepass
	}{
		{"*abc\r\n", true, false},
		{"*1\r\n$1\r\na\r\n*2147483648\r\n", true, false},
		{"*1\r\nx\r\n", true, false},
		{"*1\r\n\r\n", true, false},
		{"*1\r\n\nx\r\n", true, false},
		{"*1\r\n$1\r\na\r\n*1\r\n\xff\r\n", true, false},
		{"*1\r\n$-1\r\n", true, false},
		{"*1\r\n$01\r\n", true, false},
		{"*1\r\n$536870913\r\n", true, false},
		{"ECHO \"abc\r\n", true, false},
		{"ECHO 'a'b\r\n", true, false},
		{"ECHO a\"b c\"d\r\n", true, false},
		{"GET " + big, true, false},
		{"*" + big, true, false},
		{"*1\r\n$" + strings.Repeat("1", 70000), true, false},
		{"*1\r\n" + big, true, false},
		{"ECHO a\x00" + big, true, false},
		{"*11\r\n", true, true},
		{"*1\r\n$16385\r\n", true, true},
		// No error: answers, then EOF.
		{"*1\r\nxyz", false, false},
		{"*1\r\n$1\r\nx\r\n*1\r\n$1\r\ny\r\n", false, false},
		{"*1\r\n$1\rxa\r\n", false, false},
		{"*-1\r\n*0\r\nfoo a b\r\n$4\r\nGET x\n", false, false},
		{"GET a\x00b\r\nfoo\r\n", false, false},
		{"foo \"\\x41\\x4g\" 'a\\'b' \"\"\r\n", false, false},
		{"*10\r\n", false, true},
		{"*1\r\n$16384\r\n", false, true},
		{"GET k\r\n*1\r\n$3\r\nGET\r\n", false, true},
	}
	redisPlain := resptest.StartRedis(t)
	redisAuth := resptest.StartRedis(t, "--requirepass", "secret")
	emberPlain := startServer(t).Addr().String()
	emberAuth := startServer(t, "--requirepass", "secret").Addr().String()
	for i, tc := range cases {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			re, em := redisPlain, emberPlain
			if tc.auth {
				re, em = redisAuth, emberAuth
			}
			want, wantClosed := rawExchange(t, re, tc.in, tc.closes)
			got, gotClosed := rawExchange(t, em, tc.in, tc.closes)
			if got != want || gotClosed != wantClosed {
				t.Errorf("%.60q\n   ember: %.200q closed=%v\n   redis: %.200q closed=%v", tc.in, got, gotClosed, want, wantClosed)
			}
			if tc.closes && !wantClosed {
				t.Errorf("%.60q: redis did not close the connection; the case is wrong", tc.in)
			}
		})
	}
}

// rawExchange sends in and returns everything read until the server closes
// the connection. Unless waitClose, the write side is shut first so that
// the server sees EOF; closed reports that the server closed by itself
// within the wait.
func rawExchange(t *testing.T, addr, in string, waitClose bool) (string, bool) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte(in)); err != nil {
		t.Fatal(err)
	}
	if !waitClose {
		_ = c.(*net.TCPConn).CloseWrite()
	}
	return readUntilClosed(c, 10*time.Second)
}
