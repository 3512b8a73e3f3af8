package store

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// refsString renders key refs as "db:key" words.
func refsString(refs []KeyRef) string {
	var w []string
	for _, r := range refs {
		w = append(w, fmt.Sprintf("%d:%s", r.DB, r.Key))
	}
	return strings.Join(w, " ")
}

// TestMutationCommandAndKeys: records carry the running command and the
// keys it created and deleted since its previous record, and only while
// the journal is active.
func TestMutationCommandAndKeys(t *testing.T) {
	st, _ := New(Config{Databases: 4, Shards: 4})
	db, db2 := st.DB(0), st.DB(2)
	tx := NewTx(st)
	var got []string
	cancel := st.Journal().Subscribe(func(m *Mutation) {
		got = append(got, fmt.Sprintf("%s %s [%s] [%s] %d", m.Cmd, m.Args[0], refsString(m.Created), refsString(m.Deleted), len(m.CmdArgs)))
	})
	run := func(cmd string, keys []string, fn func()) {
		tx.SetCommand(cmd, [][]byte{[]byte(cmd)})
		tx.Begin(db, true)
		for _, k := range keys {
			tx.Key([]byte(k))
		}
		tx.KeyIn(db2, []byte("m"))
		tx.Lock()
		fn()
		tx.Unlock()
	}
	run("set", []string{"a"}, func() {
		tx.SetString([]byte("a"), []byte("1"), 0)
		tx.Emit([]byte("SET"), []byte("a"), []byte("1"))
	})
	run("set", []string{"a"}, func() { // an overwrite creates nothing
		tx.SetString([]byte("a"), []byte("2"), 0)
		tx.Emit([]byte("SET"), []byte("a"), []byte("2"))
	})
	run("hset", []string{"h"}, func() {
		tx.PutIn(db, []byte("h"), KindHash, nil, hashLP, 0)
		tx.Emit([]byte("HSET"), []byte("h"))
	})
	run("hdel", []string{"h"}, func() {
		tx.Delete([]byte("h"))
		tx.Emit([]byte("HDEL"), []byte("h"))
		tx.Emit([]byte("DEL"), []byte("h")) // the refs went with the first record
	})
	run("move", []string{"a"}, func() {
		e := tx.Lookup([]byte("a"))
		tx.MoveEntry(db, e, db2, []byte("m"))
		tx.Emit([]byte("MOVE"))
	})
	run("copy", []string{"a"}, func() { // COPY REPLACE adds its destination anew
		tx.SetString([]byte("a"), []byte("3"), 0)
		tx.CopyEntryTo(db2, []byte("m"), tx.Lookup([]byte("a")))
		tx.Emit([]byte("COPY"))
	})
	want := []string{
		"set SET [0:a] [] 1",
		"set SET [] [] 1",
		"hset HSET [0:h] [] 1",
		"hdel HDEL [] [0:h] 1",
		"hdel DEL [] [] 1",
		"move MOVE [2:m] [] 1",
		"copy COPY [0:a 2:m] [] 1",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("records:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	cancel()
	run("set", []string{"z"}, func() { tx.SetString([]byte("z"), []byte("1"), 0) })
	if len(tx.created) != 0 {
		t.Fatal("keys tracked while the journal is inactive")
	}
}

// TestKeyMissHook: the hook sees LookupRead's misses and nothing else.
func TestKeyMissHook(t *testing.T) {
	st, _ := New(Config{Databases: 1, Shards: 4})
	db := st.DB(0)
	tx := NewTx(st)
	var misses []string
	st.SetKeyMissHook(func(dbi int, key []byte) { misses = append(misses, fmt.Sprintf("%d:%s", dbi, key)) })
	tx.LockKey(db, []byte("k"), true)
	tx.SetString([]byte("k"), []byte("v"), 0)
	tx.Unlock()
	for _, k := range []string{"k", "nope"} {
		tx.LockKey(db, []byte(k), false)
		tx.LookupRead([]byte(k))
		tx.Lookup([]byte("other")) // not a counted read
		tx.Unlock()
	}
	st.SetKeyMissHook(nil)
	tx.LockKey(db, []byte("gone"), false)
	tx.LookupRead([]byte("gone"))
	tx.Unlock()
	if strings.Join(misses, " ") != "0:nope" {
		t.Fatalf("misses %q", misses)
	}
}

// TestExpireSchedule: the loop's sleep follows the earliest pending
// expiry within its bounds, a cycle reports that expiry, and a TTL due
// before the planned wake-up wakes the loop.
func TestExpireSchedule(t *testing.T) {
	for _, c := range []struct {
		now, next int64
		took      time.Duration
		timedOut  bool
		want      time.Duration
	}{
		{1000, 0, 0, false, ActiveExpireInterval},                          // nothing pending
		{1000, 1040, 0, false, 40 * time.Millisecond},                      // sleep until the next expiry
		{1000, 500000, 0, false, ActiveExpireInterval},                     // at most the interval
		{1000, 1000, 0, false, minExpireGap},                               // due now: the floor
		{1000, 1002, 10 * time.Millisecond, false, 30 * time.Millisecond},  // a long cycle rests 3x
		{1000, 9000, 40 * time.Millisecond, false, 120 * time.Millisecond}, // ... even past the interval
		{1000, 1000, 24 * time.Millisecond, true, 6 * time.Millisecond},    // a backlog: rest 1/4
	} {
		if got := expireDelay(c.now, c.next, c.took, c.timedOut); got != c.want {
			t.Errorf("expireDelay(%d, %d, %v, %v) = %v, want %v", c.now, c.next, c.took, c.timedOut, got, c.want)
		}
	}

	st, _ := New(Config{Databases: 2, Shards: 4})
	now := int64(10_000)
	st.SetClock(func() int64 { return now })
	tx := NewTx(st)
	set := func(db *DB, k string, at int64) {
		tx.LockKey(db, []byte(k), true)
		tx.SetString([]byte(k), []byte("v"), at)
		tx.Unlock()
	}
	set(st.DB(0), "a", 10_500)
	set(st.DB(1), "b", 10_200)
	set(st.DB(0), "c", 0)
	if _, _, next := st.expireCycle(); next != 10_200 {
		t.Fatalf("next expiry %d, want 10200", next)
	}
	now = 10_300
	if n, _, next := st.expireCycle(); n != 1 || next != 10_500 {
		t.Fatalf("expired %d next %d, want 1 and 10500", n, next)
	}
	tx.LockKey(st.DB(0), []byte("a"), true)
	tx.SetExpire(tx.Lookup([]byte("a")), 0) // PERSIST
	tx.Unlock()
	if _, _, next := st.expireCycle(); next != 0 {
		t.Fatalf("next expiry %d after the last TTL went, want 0", next)
	}

	st.wakeAt.Store(20_000)
	set(st.DB(0), "late", 30_000)
	select {
	case <-st.wake:
		t.Fatal("a TTL after the planned wake-up woke the loop")
	default:
	}
	set(st.DB(0), "soon", 15_000)
	select {
	case <-st.wake:
	default:
		t.Fatal("a TTL before the planned wake-up did not wake the loop")
	}
}

// TestCountDue: the pruned walk of the expiry heap counts exactly the due
// entries (up to its limit).
func TestCountDue(t *testing.T) {
	var h expHeap
	for i := 0; i < 5000; i++ {
		e := &Entry{expireAt: int64((i * 7919) % 10007), heapIdx: -1}
		h.push(e)
	}
	for _, now := range []int64{-1, 0, 1, 50, 3000, 10006, 20000} {
		want := 0
		for _, it := range h {
			if it.e.expireAt <= now {
				want++
			}
		}
		if got := h.countDue(now, 1<<30); got != want {
			t.Errorf("countDue(%d) = %d, want %d", now, got, want)
		}
		if got := h.countDue(now, 100); got != min(want, 100) {
			t.Errorf("countDue(%d, 100) = %d, want %d", now, got, min(want, 100))
		}
	}
}
