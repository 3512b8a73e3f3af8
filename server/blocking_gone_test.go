package server

import (
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/embercache/ember/internal/resptest"
)

const (
	replyStreamGone = "-" + errStreamKeyGone + "\r\n"
	replyGroupGone  = "-" + errStreamGroupGone + "\r\n"
)

// goneSetup blocks three XREADGROUP consumers of group g on stream s (in
// db 0; the third also on stream u, which has the group in dbs 0 and 1),
// and, as bystanders that must keep waiting, an XREAD on s and a
// BLPOP and a BZPOPMIN on missing keys l and z. It returns the consumers
// and the bystanders.
func goneSetup(t *testing.T, srv *Server, admin *resptest.Conn) (group, others []*resptest.Conn) {
	t.Helper()
	admin.MustDo(t, "SELECT", "1")
	admin.MustDo(t, "XGROUP", "CREATE", "u", "g", "$", "MKSTREAM")
	admin.MustDo(t, "SELECT", "0")
	admin.MustDo(t, "XGROUP", "CREATE", "u", "g", "$", "MKSTREAM")
	admin.MustDo(t, "XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")
	for range 6 {
		c := dial(t, srv)
		if len(group) < 3 {
			group = append(group, c)
		} else {
			others = append(others, c)
		}
	}
	blockInOrder(t, admin,
		blocker{group[0], words("XREADGROUP GROUP g alice BLOCK 0 STREAMS s >")},
		blocker{group[1], words("XREADGROUP GROUP g bob COUNT 5 BLOCK 0 STREAMS s >")},
		blocker{group[2], words("XREADGROUP GROUP g carol BLOCK 0 STREAMS u s > >")},
		blocker{others[0], words("XREAD BLOCK 0 STREAMS s $")},
		blocker{others[1], words("BLPOP l 0")},
		blocker{others[2], words("BZPOPMIN z 0")},
	)
	return group, others
}

// checkBystanders checks that the BLPOP and BZPOPMIN clients of goneSetup
// are still blocked and still served by new data, and that the XREAD
// client got xread, or nothing if xread is empty (it keeps waiting
// unless s was replaced by a stream with new entries).
func checkBystanders(t *testing.T, admin *resptest.Conn, others []*resptest.Conn, xread string) {
	t.Helper()
	blocked := int64(3)
	if xread != "" {
		expectReply(t, others[0], xread)
		blocked--
	}
	for _, c := range others {
		expectNoReply(t, c)
	}
	waitBlocked(t, admin, blocked)
	admin.MustDo(t, "SELECT", "0")
	admin.MustDo(t, "RPUSH", "l", "v")
	expectReply(t, others[1], bulkArr("l", "v"))
	admin.MustDo(t, "ZADD", "z", "1", "m")
	expectReply(t, others[2], bulkArr("z", "m", "1"))
	waitBlocked(t, admin, blocked-2)
}

// TestStreamGoneUnblocks: every way a stream key can be deleted or
// replaced answers all the clients blocked on it in XREADGROUP, as Redis
// 7.0.15 does (UNBLOCKED when the key is missing or holds another type,
// NOGROUP when it is a stream without the group), while XREAD, BLPOP and
// BZPOPMIN clients keep waiting.
func TestStreamGoneUnblocks(t *testing.T) {
	cases := []struct {
		name   string
		action [][]string
		want   string
		xread  string // what the XREAD client gets ("": keeps waiting)
	}{
		{"del", [][]string{{"DEL", "s"}}, replyStreamGone, ""},
		{"unlink", [][]string{{"UNLINK", "s", "nokey"}}, replyStreamGone, ""},
		{"set", [][]string{{"SET", "s", "x"}}, replyStreamGone, ""},
		{"rename away", [][]string{{"RENAME", "s", "t"}}, replyStreamGone, ""},
		{"rename list over", [][]string{{"RPUSH", "t", "x"}, {"RENAME", "t", "s"}}, replyStreamGone, ""},
		{"rename stream over", [][]string{{"XADD", "t", "5-0", "f", "v"}, {"RENAME", "t", "s"}}, replyGroupGone, xreadReply("s", streamEntry("5-0", "f", "v"))},
		{"copy replace", [][]string{{"SET", "t", "x"}, {"COPY", "t", "s", "REPLACE"}}, replyStreamGone, ""},
		{"move", [][]string{{"MOVE", "s", "1"}}, replyStreamGone, ""},
		{"expire past", [][]string{{"EXPIRE", "s", "0"}}, replyStreamGone, ""},
		{"flushdb", [][]string{{"FLUSHDB"}}, replyStreamGone, ""},
		{"flushall", [][]string{{"FLUSHALL"}}, replyStreamGone, ""},
		{"swapdb empty", [][]string{{"SWAPDB", "0", "1"}}, replyStreamGone, ""},
		{"swapdb string", [][]string{{"SELECT", "1"}, {"SET", "s", "x"}, {"SWAPDB", "1", "0"}}, replyStreamGone, ""},
		{"swapdb stream", [][]string{{"SELECT", "1"}, {"XADD", "s", "5-0", "f", "v"}, {"SWAPDB", "0", "1"}}, replyGroupGone, xreadReply("s", streamEntry("5-0", "f", "v"))},
		{"xgroup destroy", [][]string{{"XGROUP", "DESTROY", "s", "g"}}, replyGroupGone, ""},
		{"multi del xadd", [][]string{{"MULTI"}, {"DEL", "s"}, {"XADD", "s", "1-0", "f", "v"}, {"EXEC"}}, replyGroupGone, xreadReply("s", streamEntry("1-0", "f", "v"))},
		{"multi del rpush", [][]string{{"MULTI"}, {"DEL", "s"}, {"RPUSH", "s", "x"}, {"EXEC"}}, replyStreamGone, ""},
		{"script", [][]string{{"EVAL", "redis.call('del', KEYS[1])", "1", "s"}}, replyStreamGone, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := startServer(t)
			admin := dial(t, srv)
			group, others := goneSetup(t, srv, admin)
			for _, cmd := range tc.action {
				if r := admin.MustDo(t, cmd...); r[0] == '-' {
					t.Fatalf("%q: %q", cmd, r)
				}
			}
			for _, c := range group {
				expectReply(t, c, tc.want)
			}
			checkBystanders(t, admin, others, tc.xread)
		})
	}
}

// TestStreamGoneRecreated: a stream deleted and created again with its
// group within one transaction is served, not answered UNBLOCKED, as in
// Redis (the waiters are tried when the transaction ends); the consumers
// the new entry does not reach keep waiting.
func TestStreamGoneRecreated(t *testing.T) {
	srv := startServer(t)
	admin := dial(t, srv)
	group, others := goneSetup(t, srv, admin)
	for _, cmd := range [][]string{{"MULTI"}, {"DEL", "s"}, {"XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"}, {"XADD", "s", "1-0", "f", "v"}, {"EXEC"}} {
		admin.MustDo(t, cmd...)
	}
	entry := xreadReply("s", streamEntry("1-0", "f", "v"))
	expectReply(t, group[0], entry)
	expectReply(t, others[0], entry)
	expectNoReply(t, group[1])
	expectNoReply(t, group[2])
	waitBlocked(t, admin, 4)
	admin.MustDo(t, "DEL", "s")
	expectReply(t, group[1], replyStreamGone)
	expectReply(t, group[2], replyStreamGone)
	expectNoReply(t, others[1])
	expectNoReply(t, others[2])
	waitBlocked(t, admin, 2)
}

// TestStreamGoneExpiry: a stream that expires under its XREADGROUP
// waiters answers them, whether a command's lookup expires it (lazily) or
// the active expiry cycle does.
func TestStreamGoneExpiry(t *testing.T) {
	for _, active := range []bool{false, true} {
		name := "lazy"
		if active {
			name = "active"
		}
		t.Run(name, func(t *testing.T) {
			srv := startServer(t)
			st := srv.Store()
			st.Close() // no background cycle: the test runs it
			var now atomic.Int64
			now.Store(time.Now().UnixMilli())
			st.SetClock(now.Load)
			admin := dial(t, srv)
			group, others := goneSetup(t, srv, admin)
			admin.MustDo(t, "PEXPIRE", "s", "100")
			expectNoReply(t, group[0])
			now.Add(200)
			if active {
				if n := st.ExpireNow(); n != 1 {
					t.Fatalf("expired %d keys", n)
				}
			} else if r := admin.MustDo(t, "DEL", "s"); r != ":0\r\n" {
				t.Fatalf("DEL of the expired key: %q", r)
			}
			for _, c := range group {
				expectReply(t, c, replyStreamGone)
			}
			checkBystanders(t, admin, others, "")
		})
	}
}

// TestStreamGoneTimeoutRace: a client whose timeout falls while a gone
// signal has claimed it (to try its attempt, which declines: BLPOP on
// missing keys) still times out, however the two interleave.
func TestStreamGoneTimeoutRace(t *testing.T) {
	srv := startServer(t)
	admin := dial(t, srv)
	c := dial(t, srv)
	stop := make(chan struct{})
	done := make(chan struct{})
	flusher := dial(t, srv)
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := flusher.Do("FLUSHDB"); err != nil {
				return
			}
		}
	}()
	defer func() { close(stop); <-done }()
	// Waiting on many keys, the client is claimed once per key by each
	// FLUSHDB: the timeout often falls inside a claim.
	blpop := []string{"BLPOP"}
	for i := range 200 {
		blpop = append(blpop, "l"+itoa(int64(i)))
	}
	blpop = append(blpop, "0.002")
	for range 100 {
		send(t, c, blpop...)
		expectReply(t, c, "*-1\r\n")
	}
	waitIdle(t, admin)
}

// TestStreamGoneEvicted: a stream evicted under maxmemory answers its
// XREADGROUP clients, as Redis 7.0.15 does.
func TestStreamGoneEvicted(t *testing.T) {
	srv, admin, limit := limitServer(t)
	admin.MustDo(t, "XADD", "s", "1-0", "f", strings.Repeat("x", 100))
	admin.MustDo(t, "XGROUP", "CREATE", "s", "g", "$")
	c1, c2 := dial(t, srv), dial(t, srv)
	blockInOrder(t, admin,
		blocker{c1, words("XREADGROUP GROUP g alice BLOCK 0 STREAMS s >")},
		blocker{c2, words("XREADGROUP GROUP g bob BLOCK 0 STREAMS s >")},
	)
	admin.MustDo(t, "CONFIG", "SET", "maxmemory-policy", "allkeys-random")
	limit(-100)
	admin.MustDo(t, "SET", "k", "v")
	expectReply(t, c1, replyStreamGone)
	expectReply(t, c2, replyStreamGone)
	waitIdle(t, admin)
}
