package server

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestJournalSet checks the records SET emits: relative TTLs become PXAT
// with an absolute time, KEEPTTL keeps the old absolute expiry, and
// commands that change nothing emit nothing.
func TestJournalSet(t *testing.T) {
	srv := startServer(t)
	j := captureJournal(t, srv)
	c := dial(t, srv)
	now := time.Now().UnixMilli()
	c.MustDo(t, "SET", "a", "1")
	c.MustDo(t, "SET", "b", "2", "PX", "100000")
	c.MustDo(t, "SET", "a", "3", "NX") // not applied
	c.MustDo(t, "SET", "b", "4", "KEEPTTL")
	recs := j.Take()
	if len(recs) != 3 || recs[0] != "0 SET a 1" {
		t.Fatalf("records: %q", recs)
	}
	var at1, at2 int64
	for i, r := range recs[1:] {
		var k, v string
		var at int64
		fields := strings.Fields(r)
		if len(fields) != 6 || fields[1] != "SET" || fields[4] != "PXAT" {
			t.Fatalf("record %d: %q", i+1, r)
		}
		k, v = fields[2], fields[3]
		at, _ = strconv.ParseInt(fields[5], 10, 64)
		if k != "b" || (i == 0 && v != "2") || (i == 1 && v != "4") {
			t.Fatalf("record %d: %q", i+1, r)
		}
		if i == 0 {
			at1 = at
		} else {
			at2 = at
		}
	}
	if at1 < now+100000 || at1 > now+100000+5000 || at2 != at1 {
		t.Fatalf("PXAT times %d %d (now %d)", at1, at2, now)
	}
}

// TestJournalExpiry checks that active expiry journals a DEL.
func TestJournalExpiry(t *testing.T) {
	srv := startServer(t)
	j := captureJournal(t, srv)
	c := dial(t, srv)
	c.MustDo(t, "SET", "gone", "x", "PX", "1")
	time.Sleep(5 * time.Millisecond)
	srv.Store().ExpireNow()
	recs := j.Take()
	if len(recs) != 2 || recs[1] != "0 DEL gone" {
		t.Fatalf("records: %q", recs)
	}
}
