package bench

import (
	"bufio"
	"bytes"
	"errors"
	"strings"
	"testing"
)

func readerOf(s string) *respReader {
	return &respReader{br: bufio.NewReaderSize(strings.NewReader(s), 64)}
}

func TestReadReplies(t *testing.T) {
	in := "+OK\r\n" + "-ERR boom\r\n" + ":42\r\n" + "$3\r\nabc\r\n" + "$-1\r\n" + "*-1\r\n" + "*0\r\n" +
		"*2\r\n$1\r\na\r\n*2\r\n:1\r\n$2\r\nbc\r\n" + "%1\r\n+k\r\n+v\r\n" + "_\r\n" + "$100\r\n" + strings.Repeat("x", 100) + "\r\n"
	type want struct {
		kind  byte
		null  bool
		n     int64
		text  string
		empty bool
	}
	wants := []want{
		{'+', false, 0, "OK", false}, {'-', false, 0, "ERR boom", false}, {':', false, 42, "", false},
		{'$', false, 3, "", false}, {'$', true, -1, "", true}, {'*', true, -1, "", true}, {'*', false, 0, "", true},
		{'*', false, 2, "", false}, {'%', false, 1, "", false}, {'_', true, 0, "", true}, {'$', false, 100, "", false},
	}
	rd := readerOf(in)
	var rp reply
	for i, w := range wants {
		if err := rd.read(&rp); err != nil {
			t.Fatalf("reply %d: %v", i, err)
		}
		if rp.kind != w.kind || rp.null != w.null || rp.n != w.n || string(rp.text) != w.text || rp.empty() != w.empty {
			t.Fatalf("reply %d: %c null=%v n=%d text=%q empty=%v, want %+v", i, rp.kind, rp.null, rp.n, rp.text, rp.empty(), w)
		}
	}
	if err := rd.read(&rp); err == nil {
		t.Fatal("read past the end")
	}
	for _, bad := range []string{"?x\r\n", "$x\r\n", "+OK\n", ":\r\n"} {
		if err := readerOf(bad).read(&rp); !errors.Is(err, errProtocol) {
			t.Fatalf("%q: want a protocol error, got %v", bad, err)
		}
	}
}

func TestBulkPrefix(t *testing.T) {
	rd := readerOf("$11\r\nhello world\r\n$-1\r\n-ERR x\r\n:1\r\n")
	var dst [5]byte
	n, et, err := rd.bulkPrefix(dst[:])
	if err != nil || n != 11 || et != nil || string(dst[:]) != "hello" {
		t.Fatalf("bulkPrefix: %d %q %v %q", n, et, err, dst)
	}
	if n, _, err := rd.bulkPrefix(dst[:]); n != -1 || err != nil {
		t.Fatalf("nil bulk: %d %v", n, err)
	}
	if _, et, err := rd.bulkPrefix(dst[:]); string(et) != "ERR x" || err != nil {
		t.Fatalf("error reply: %q %v", et, err)
	}
	if _, _, err := rd.bulkPrefix(dst[:]); !errors.Is(err, errProtocol) {
		t.Fatalf("integer where a bulk was expected: %v", err)
	}
}

func TestAppendCommand(t *testing.T) {
	b := appendCommand(nil, "SET", "k", "")
	b = appendBulkKey(b, "key:", 1234567)
	if got := string(b); got != "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n$11\r\nkey:1234567\r\n" {
		t.Fatalf("%q", got)
	}
	for _, n := range []uint64{0, 9, 10, 99, 100, 1<<64 - 1} {
		if decimalLen(n) != len(appendUint(nil, n)) {
			t.Fatalf("decimalLen(%d)", n)
		}
	}
}

// The steady state of the load loop allocates nothing: building a batch,
// parsing its replies (errors and misses included), accounting them.
func TestLoadLoopDoesNotAllocate(t *testing.T) {
	const depth = 16
	for _, w := range Workloads {
		if w == WorkloadMemory {
			continue
		}
		p := testParams(w, 1, ZipfDist)
		var canned bytes.Buffer
		for i := 0; i < depth; i++ {
			switch i % 4 {
			case 0:
				canned.WriteString("$-1\r\n") // a miss
			case 1:
				canned.WriteString("-ERR not implemented\r\n")
			case 2:
				canned.WriteString("*2\r\n$1\r\na\r\n$1\r\nb\r\n")
			default:
				canned.WriteString("+OK\r\n")
			}
		}
		src := bytes.NewReader(canned.Bytes())
		c := &conn{rd: respReader{br: bufio.NewReaderSize(src, 4096)}, wb: make([]byte, 0, 16<<10)}
		wk := newWorker(c, newGen(p, 0, 0), depth)
		step := func() {
			b := c.wb[:0]
			for i := 0; i < depth; i++ {
				b = wk.g.next(b, &wk.slots[i])
			}
			c.wb = b
			src.Reset(canned.Bytes())
			c.rd.br.Reset(src)
			for i := 0; i < depth; i++ {
				if err := c.rd.read(&c.rp); err != nil {
					t.Fatal(err)
				}
				wk.account(&wk.slots[i], &c.rp, true, int64(i*1000))
			}
		}
		step() // first error text, queue growth
		if a := testing.AllocsPerRun(200, step); a != 0 {
			t.Errorf("%s: %.1f allocations per batch of %d", w, a, depth)
		}
	}
}
