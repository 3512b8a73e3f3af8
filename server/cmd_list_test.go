package server

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/embercache/ember/internal/resptest"
	"github.com/embercache/ember/store"
)

// TestListJournal checks the record each list write emits, and that
// commands that change nothing emit nothing.
func TestListJournal(t *testing.T) {
	srv := startServer(t)
	j := captureJournal(t, srv)
	c := dial(t, srv)
	steps := []struct {
		cmd  string
		recs []string
	}{
		{"LPUSH k a b", []string{"0 LPUSH k a b"}},
		{"rpush k c", []string{"0 RPUSH k c"}},
		{"RPUSHX nope x", nil},
		{"LPUSHX k z", []string{"0 LPUSH k z"}},
		{"RPUSHX k y", []string{"0 RPUSH k y"}},
		{"LPOP k", []string{"0 LPOP k"}},
		{"RPOP k 2", []string{"0 RPOP k 2"}},
		{"LPOP k 0", nil},
		{"LPOP nope 3", nil},
		{"LSET k 0 B", []string{"0 LSET k 0 B"}},
		{"LSET k 9 B", nil},
		{"linsert k before B A", []string{"0 LINSERT k BEFORE B A"}},
		{"LINSERT k AFTER zz A", nil},
		{"LREM k 0 zz", nil},
		{"LREM k -1 A", []string{"0 LREM k -1 A"}},
		{"RPUSH k 1 2 3", []string{"0 RPUSH k 1 2 3"}},
		{"LTRIM k 0 -1", nil},
		{"LTRIM k 1 -2", []string{"0 LTRIM k 1 -2"}},
		{"lmove k d left right", []string{"0 LMOVE k d LEFT RIGHT"}},
		{"RPOPLPUSH k d", []string{"0 LMOVE k d RIGHT LEFT"}},
		{"LMOVE nope d LEFT LEFT", nil},
		{"LMPOP 2 nope d LEFT COUNT 5", []string{"0 LPOP d 2"}},
		{"RPUSH b1 x y z", []string{"0 RPUSH b1 x y z"}},
		{"BLPOP nope b1 0", []string{"0 LPOP b1"}},
		{"BRPOP b1 0", []string{"0 RPOP b1"}},
		{"BLMPOP 0 1 b1 RIGHT COUNT 3", []string{"0 RPOP b1 1"}},
		{"RPUSH b2 v", []string{"0 RPUSH b2 v"}},
		{"BLMOVE b2 b3 RIGHT LEFT 0", []string{"0 LMOVE b2 b3 RIGHT LEFT"}},
		{"BRPOPLPUSH b3 b3 0", []string{"0 LMOVE b3 b3 RIGHT LEFT"}},
		{"LTRIM b3 1 0", []string{"0 LTRIM b3 1 0"}},
		{"BLPOP nope 0.01", nil},
	}
	for _, s := range steps {
		j.expect(t, c, s.cmd, s.recs)
	}
	if r := c.MustDo(t, "EXISTS", "k", "d", "b1", "b2", "b3"); r != ":1\r\n" {
		t.Fatalf("EXISTS: %q", r) // only k is left
	}
}

// TestListMemoryAccounting runs every kind of list change and checks that
// used memory returns exactly to where it started once the keys are gone,
// so no change forgot to re-account its entry; and that a list's accounted
// size tracks its contents.
func TestListMemoryAccounting(t *testing.T) {
	srv := startServer(t)
	c := strClient(t, srv)
	base := srv.Store().UsedMemory()
	strDo(c, "CONFIG", "SET", "list-max-listpack-size", "4")
	for i := 0; i < 200; i++ {
		v := strconv.Itoa(i)
		strDo(c, "RPUSH", "a", v, strings.Repeat("x", i%70))
		strDo(c, "LPUSH", "b", v)
		if i%3 == 0 {
			strDo(c, "LMOVE", "a", "b", "LEFT", "RIGHT")
			strDo(c, "LSET", "b", "5", strings.Repeat("s", i%90))
			strDo(c, "LINSERT", "a", "AFTER", v, "ins")
		}
		if i%7 == 0 {
			strDo(c, "LREM", "a", "0", "ins")
			strDo(c, "LPOP", "b", "2")
			strDo(c, "RPOPLPUSH", "a", "c")
		}
	}
	strDo(c, "LTRIM", "a", "3", "-3")
	strDo(c, "COPY", "a", "a2")
	strDo(c, "RENAME", "a2", "a3")
	strDo(c, "LMPOP", "2", "nope", "c", "RIGHT", "COUNT", "2")
	grown := srv.Store().UsedMemory()
	if grown < base+200*30 {
		t.Fatalf("used memory grew by %d for a few thousand elements", grown-base)
	}
	strDo(c, "CONFIG", "SET", "list-max-listpack-size", "-2")
	strDo(c, "RPUSH", "b", "after the limit changed")
	for _, k := range []string{"a", "b", "c", "a3"} {
		for {
			r := strDo(c, "RPOP", k, "7")
			if r == "*-1\r\n" {
				break
			}
		}
	}
	if got := srv.Store().UsedMemory(); got != base {
		t.Fatalf("used memory %d after emptying every list, started at %d", got, base)
	}
}

// TestListZeroAlloc checks that pushes, pops and reads on an existing
// list allocate nothing per call in the dispatcher and handler.
func TestListZeroAlloc(t *testing.T) {
	srv := startServer(t)
	c := strClient(t, srv)
	for i := 0; i < 100; i++ {
		strDo(c, "RPUSH", "l", "element-"+strconv.Itoa(i))
	}
	for _, pair := range [][2][]string{
		{{"LPUSH", "l", "a"}, {"LPOP", "l"}},
		{{"RPUSH", "l", "a", "b"}, {"RPOP", "l", "2"}},
		{{"LPUSHX", "l", "a"}, {"RPOPLPUSH", "l", "l"}},
		{{"LLEN", "l"}, {"LINDEX", "l", "50"}},
		{{"LRANGE", "l", "0", "9"}, {"LPOS", "l", "element-7"}},
		{{"LMOVE", "l", "l", "LEFT", "RIGHT"}, {"LSET", "l", "3", "element-x"}},
	} {
		a, b := strArgs(pair[0]...), strArgs(pair[1]...)
		allocs := testing.AllocsPerRun(200, func() {
			c.out = c.out[:0]
			c.execute(a)
			c.execute(b)
		})
		if allocs > 0.1 {
			t.Errorf("%q then %q: %.2f allocs per pair, reply %q", pair[0], pair[1], allocs, c.out)
		}
	}
}

// TestListConcurrent runs pushes, pops and moves from many clients at once
// on a few keys; every element ends up somewhere exactly once.
func TestListConcurrent(t *testing.T) {
	srv := startServer(t)
	const workers, per = 6, 400
	keys := []string{"c0", "c1", "c2"}
	var popped sync.Map
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			c, err := resptest.Dial(srv.Addr().String())
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close()
			for i := 0; i < per; i++ {
				k := keys[(w+i)%3]
				var args []string
				switch i % 4 {
				case 0, 1:
					args = []string{"RPUSH", k, fmt.Sprintf("w%d-%d", w, i)}
				case 2:
					args = []string{"LMOVE", k, keys[(w+i+1)%3], "LEFT", "RIGHT"}
				default:
					args = []string{"LPOP", k, "2"}
				}
				r, err := c.Do(args...)
				if err != nil {
					t.Error(err)
					return
				}
				if args[0] == "LPOP" {
					v, _ := resptest.Parse(r)
					for _, e := range v.Elems {
						if _, dup := popped.LoadOrStore(e.Str, true); dup {
							t.Errorf("%s popped twice", e.Str)
						}
					}
				}
			}
		}(w)
	}
	wg.Wait()
	c := dial(t, srv)
	left := 0
	for _, k := range keys {
		r := c.MustDo(t, "LRANGE", k, "0", "-1")
		v, _ := resptest.Parse(r)
		for _, e := range v.Elems {
			if _, dup := popped.LoadOrStore(e.Str, true); dup {
				t.Errorf("%s both popped and still in %s", e.Str, k)
			}
			left++
		}
	}
	n := 0
	popped.Range(func(any, any) bool { n++; return true })
	if want := workers * per / 2; n != want {
		t.Fatalf("%d elements accounted for (%d left in lists), %d pushed", n, left, want)
	}
}

// TestListWrongKinds checks WRONGTYPE from every list command against a
// value of another non-string kind (strings are in the transcript).
func TestListWrongKinds(t *testing.T) {
	srv := startServer(t)
	c := strClient(t, srv)
	strPutKind(srv, "h", store.KindHash, 0)
	wrong := "-" + errWrongType + "\r\n"
	for _, cmd := range [][]string{
		{"LPUSH", "h", "a"}, {"RPUSHX", "h", "a"}, {"LPOP", "h"}, {"RPOP", "h", "2"},
		{"LLEN", "h"}, {"LINDEX", "h", "0"}, {"LSET", "h", "0", "a"}, {"LRANGE", "h", "0", "1"},
		{"LTRIM", "h", "0", "1"}, {"LREM", "h", "0", "a"}, {"LINSERT", "h", "BEFORE", "a", "b"},
		{"LPOS", "h", "a"}, {"LMOVE", "h", "x", "LEFT", "LEFT"}, {"RPOPLPUSH", "h", "x"},
		{"LMPOP", "1", "h", "LEFT"}, {"BLPOP", "h", "0"}, {"BRPOP", "nope", "h", "0"},
		{"BLMOVE", "h", "x", "LEFT", "LEFT", "0"}, {"BLMPOP", "0", "1", "h", "LEFT"},
	} {
		if r := strDo(c, cmd...); r != wrong {
			t.Errorf("%q: %q", cmd, r)
		}
	}
}

// BenchmarkList runs list commands through the real dispatcher on an
// in-process client (no network).
func BenchmarkList(b *testing.B) {
	srv := startServer(b)
	c := strClient(b, srv)
	for i := 0; i < 1000; i++ {
		strDo(c, "RPUSH", "big", "element-"+strconv.Itoa(i))
	}
	strDo(c, "RPUSH", "q", "keeps the list alive")
	for _, bc := range []struct {
		name      string
		cmd, undo []string
	}{
		{"LPUSH+LPOP", []string{"LPUSH", "q", "value-of-some-length"}, []string{"LPOP", "q"}},
		{"RPUSH+RPOP", []string{"RPUSH", "q", "value-of-some-length"}, []string{"RPOP", "q"}},
		{"LINDEX-mid", []string{"LINDEX", "big", "500"}, nil},
		{"LRANGE-100", []string{"LRANGE", "big", "0", "99"}, nil},
	} {
		args := strArgs(bc.cmd...)
		undo := strArgs(bc.undo...)
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				c.out = c.out[:0]
				c.execute(args)
				if len(undo) > 0 {
					c.execute(undo)
				}
			}
		})
	}
}
