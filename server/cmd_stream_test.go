package server

import (
	"strings"
	"testing"

	"github.com/embercache/ember/internal/resptest"
)

// streamEntry encodes one entry of a stream reply: [id, [f, v, ...]].
func streamEntry(id string, fv ...string) string { return "*2\r\n" + bulk(id) + bulkArr(fv...) }

// xreadReply encodes an XREAD reply with one stream (RESP2).
func xreadReply(key string, entries ...string) string {
	return "*1\r\n*2\r\n" + bulk(key) + "*" + itoa(int64(len(entries))) + "\r\n" + strings.Join(entries, "")
}

// TestStreamBlockingXread: several clients blocked in XREAD on a key are
// all served by one XADD (each gets the new entry; "$" means entries after
// the last ID at block time), a client blocked on two keys is served from
// the one that got data, and a timeout answers a null array.
func TestStreamBlockingXread(t *testing.T) {
	srv := startServer(t)
	admin := dial(t, srv)
	admin.MustDo(t, "XADD", "s", "1-0", "a", "1")
	c1, c2, c3, c4 := dial(t, srv), dial(t, srv), dial(t, srv), dial(t, srv)
	blockInOrder(t, admin,
		blocker{c1, words("XREAD BLOCK 0 STREAMS s $")},
		blocker{c2, words("XREAD COUNT 5 BLOCK 0 STREAMS other s 0 1-0")},
		blocker{c3, words("XREAD BLOCK 0 STREAMS other 0")},
		blocker{c4, words("XREAD BLOCK 50 STREAMS s $")},
	)
	expectReply(t, c4, "*-1\r\n") // timed out
	admin.MustDo(t, "XADD", "s", "2-0", "b", "2")
	want := xreadReply("s", streamEntry("2-0", "b", "2"))
	expectReply(t, c1, want)
	expectReply(t, c2, want)
	expectNoReply(t, c3)
	admin.MustDo(t, "XADD", "other", "5-0", "c", "3")
	expectReply(t, c3, xreadReply("other", streamEntry("5-0", "c", "3")))
	// A blocked client freed by CLIENT UNBLOCK gets its timeout reply.
	send(t, c1, "XREAD", "BLOCK", "0", "STREAMS", "s", "$")
	waitBlocked(t, admin, 1)
	admin.MustDo(t, "CLIENT", "UNBLOCK", clientIDOf(t, srv, admin, "XREAD"))
	expectReply(t, c1, "*-1\r\n")
}

// clientIDOf returns the id of the (one) client whose last command is cmd.
func clientIDOf(t *testing.T, srv *Server, admin *resptest.Conn, cmd string) string {
	t.Helper()
	list := bulkText(t, admin.MustDo(t, "CLIENT", "LIST"))
	for _, line := range strings.Split(list, "\n") {
		if strings.Contains(line, "cmd="+strings.ToLower(cmd)) {
			for _, f := range strings.Fields(line) {
				if v, ok := strings.CutPrefix(f, "id="); ok {
					return v
				}
			}
		}
	}
	t.Fatalf("no client running %s in %q", cmd, list)
	return ""
}

// TestStreamBlockingXreadgroup: consumers blocked in XREADGROUP ">" are
// served in FIFO order, one entry each (the group's last ID moves, so the
// second XADD serves the second consumer), their deliveries are pending,
// and destroying the group answers the remaining ones NOGROUP.
func TestStreamBlockingXreadgroup(t *testing.T) {
	srv := startServer(t)
	admin := dial(t, srv)
	admin.MustDo(t, "XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")
	c1, c2, c3 := dial(t, srv), dial(t, srv), dial(t, srv)
	blockInOrder(t, admin,
		blocker{c1, words("XREADGROUP GROUP g alice COUNT 1 BLOCK 0 STREAMS s >")},
		blocker{c2, words("XREADGROUP GROUP g bob BLOCK 0 STREAMS s >")},
		blocker{c3, words("XREADGROUP GROUP g carol BLOCK 0 STREAMS s >")},
	)
	// Two entries in one pipeline-free XADD each: alice takes the first,
	// bob the second; carol keeps waiting.
	admin.MustDo(t, "XADD", "s", "1-0", "f", "1")
	expectReply(t, c1, xreadReply("s", streamEntry("1-0", "f", "1")))
	expectNoReply(t, c2)
	admin.MustDo(t, "XADD", "s", "2-0", "f", "2")
	expectReply(t, c2, xreadReply("s", streamEntry("2-0", "f", "2")))
	if got := admin.MustDo(t, "XPENDING", "s", "g"); got != "*4\r\n:2\r\n"+bulk("1-0")+bulk("2-0")+"*2\r\n"+bulkArr("alice", "1")+bulkArr("bob", "1") {
		t.Fatalf("XPENDING %q", got)
	}
	admin.MustDo(t, "XGROUP", "DESTROY", "s", "g")
	expectReply(t, c3, "-NOGROUP the consumer group this client was blocked on no longer exists\r\n")
	// A timeout answers a null array.
	admin.MustDo(t, "XGROUP", "CREATE", "s", "g", "$")
	send(t, c1, "XREADGROUP", "GROUP", "g", "alice", "BLOCK", "30", "STREAMS", "s", ">")
	expectReply(t, c1, "*-1\r\n")
}

// TestStreamJournalReplay: the records stream commands journal, replayed
// into a fresh server, rebuild the same stream: entries, node layout,
// counters, groups, consumers and pending entries (delivery times and
// counts included).
func TestStreamJournalReplay(t *testing.T) {
	srv := startServer(t, "--stream-node-max-entries", "4")
	log := captureJournal(t, srv)
	c := dial(t, srv)
	cmds := [][]string{
		{"XADD", "s", "*", "a", "1"},
		{"XADD", "s", "*", "a", "2", "b", "3"},
		{"XADD", "s", "5-*", "a", "3"},
		{"XADD", "s", "MAXLEN", "~", "3", "9999999999999-1", "a", "4"},
		{"XGROUP", "CREATE", "s", "g", "0"},
		{"XGROUP", "CREATE", "t", "h", "$", "MKSTREAM", "ENTRIESREAD", "0"},
		{"XREADGROUP", "GROUP", "g", "alice", "COUNT", "2", "STREAMS", "s", ">"},
		{"XREADGROUP", "GROUP", "g", "bob", "NOACK", "STREAMS", "s", ">"},
		{"XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "0"},
		{"XCLAIM", "s", "g", "carol", "0", "9999999999999-1", "FORCE", "RETRYCOUNT", "7"},
		{"XAUTOCLAIM", "s", "g", "dave", "0", "0", "COUNT", "1"},
		{"XACK", "s", "g", "9999999999999-1"},
		{"XDEL", "s", "5-0"},
		{"XCLAIM", "s", "g", "erin", "0", "5-0", "LASTID", "9999999999999-9"},
		{"XSETID", "s", "9999999999999-20", "ENTRIESADDED", "50"},
		{"XTRIM", "s", "MINID", "~", "9999999999999-0"},
		{"XGROUP", "CREATECONSUMER", "s", "g", "frank"},
		{"XGROUP", "DELCONSUMER", "s", "g", "bob"},
		{"XGROUP", "SETID", "s", "g", "0", "ENTRIESREAD", "1"},
	}
	for _, cmd := range cmds {
		c.MustDo(t, cmd...)
	}
	replica := startServer(t, "--stream-node-max-entries", "4")
	rc := dial(t, replica)
	for _, rec := range log.Take() {
		args := strings.Fields(rec)[1:]
		if reply := rc.MustDo(t, args...); strings.HasPrefix(reply, "-") {
			t.Fatalf("replaying %q: %q", args, reply)
		}
	}
	for _, key := range []string{"s", "t"} {
		want := c.MustDo(t, "XINFO", "STREAM", key, "FULL")
		got := rc.MustDo(t, "XINFO", "STREAM", key, "FULL")
		// Consumers' seen-time is when the replica applied the record.
		if maskSeen(got) != maskSeen(want) {
			t.Fatalf("%s differs after replay:\n got %q\nwant %q", key, got, want)
		}
	}
}

// maskSeen blanks the values following "seen-time" in a RESP reply.
func maskSeen(s string) string {
	parts := strings.Split(s, "\r\n")
	for i := range parts {
		if parts[i] == "seen-time" && i+1 < len(parts) {
			parts[i+1] = ":X"
		}
	}
	return strings.Join(parts, "\r\n")
}

// TestStreamJournalRecords: auto IDs are journaled as assigned, and an
// approximate trim as the exact one that reproduces it.
func TestStreamJournalRecords(t *testing.T) {
	srv := startServer(t, "--stream-node-max-entries", "2")
	log := captureJournal(t, srv)
	c := dial(t, srv)
	for i := 1; i <= 5; i++ {
		c.MustDo(t, "XADD", "s", itoa(int64(i))+"-0", "f", "v")
	}
	log.Take()
	id := bulkText(t, c.MustDo(t, "XADD", "s", "MAXLEN", "~", "2", "*", "f", "v"))
	got := log.Take()
	want := []string{"0 XADD s " + id + " f v", "0 XTRIM s MAXLEN = 2"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("records %q, want %q", got, want)
	}
}
