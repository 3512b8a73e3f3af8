package server

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/embercache/ember/internal/resptest"
	"github.com/embercache/ember/store"
)

// TestNotifyJournalOnlyWhenEnabled: the journal has no subscriber (writes
// build no records) unless notifications that come from it are on; key
// misses alone need no journal.
func TestNotifyJournalOnlyWhenEnabled(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	j := srv.Store().Journal()
	steps := []struct {
		flags  string
		active bool
	}{
		{"", false},
		{"KEA", true},
		{"", false},
		{"Km", false}, // key misses do not come from the journal
		{"g$", false}, // classes without K or E publish nothing
		{"Ex", true},
		{"En", true},
		{"", false},
	}
	for _, s := range steps {
		if r := c.MustDo(t, "CONFIG", "SET", "notify-keyspace-events", s.flags); r != "+OK\r\n" {
			t.Fatalf("CONFIG SET %q: %q", s.flags, r)
		}
		if j.Active() != s.active {
			t.Fatalf("flags %q: journal active %v, want %v", s.flags, j.Active(), s.active)
		}
	}
}

// TestNotifyFlags: parsing and Redis's spelling of the flag string,
// including the 'n' that Redis hides behind 'A' while still sending "new".
func TestNotifyFlags(t *testing.T) {
	for _, tc := range []struct{ in, stored, shown string }{
		{"", "", ""},
		{"KEA", "AKE", "AKE"},
		{"KEAn", "AnKE", "AKE"},
		{"nA", "An", "A"},
		{"g$lshzxetd", "A", "A"},
		{"mnK", "nKm", "nKm"},
		{"Kd", "dK", "dK"},
		{"xeE", "xeE", "xeE"},
	} {
		stored, err := normKeyspaceEvents(tc.in)
		if err != nil || stored != tc.stored || showNotifyFlags(stored) != tc.shown {
			t.Errorf("%q: stored %q shown %q (%v), want %q %q", tc.in, stored, showNotifyFlags(stored), err, tc.stored, tc.shown)
		}
	}
	if _, err := normKeyspaceEvents("KEQ"); err == nil {
		t.Error("KEQ accepted")
	}
}

// recordTest builds a journal record for mutationEvents.
type recordTest struct {
	cmd     string
	rec     string
	created []string // "db:key"
	deleted []string
	want    string // "class event db key" lines joined by "|"
}

func keyRefs(list []string) []store.KeyRef {
	var out []store.KeyRef
	for _, s := range list {
		db, key, _ := strings.Cut(s, ":")
		n, _ := strconv.Atoi(db)
		out = append(out, store.KeyRef{DB: n, Key: []byte(key)})
	}
	return out
}

// TestNotifyRecordEvents: event names, classes and order derived from
// (command, record) for every command family, including the families
// whose handlers other branches implement, and the records they may
// journal (a rewrite such as HINCRBYFLOAT as HSET, a pop served to a
// blocked client while a push runs, a collection emptied by its command).
func TestNotifyRecordEvents(t *testing.T) {
	srv := &Server{cmds: newCommandTable(commandDefs())}
	cls := map[uint32]string{nfGeneric: "g", nfString: "$", nfList: "l", nfSet: "s", nfHash: "h",
		nfZset: "z", nfExpired: "x", nfEvicted: "e", nfStream: "t", nfNew: "n"}
	cases := []recordTest{
		{cmd: "set", rec: "SET k v", created: []string{"0:k"}, want: "n new 0 k|$ set 0 k"},
		{cmd: "set", rec: "SET k v PXAT 99", want: "$ set 0 k|g expire 0 k"},
		{cmd: "set", rec: "SET k v PXAT 99", want: "$ set 0 k"}, // with KEEPTTL in CmdArgs, below
		{cmd: "setex", rec: "SET k v PXAT 99", want: "$ set 0 k|g expire 0 k"},
		{cmd: "incr", rec: "SET k 1 KEEPTTL", want: "$ incrby 0 k"},
		{cmd: "decrby", rec: "SET k 1 KEEPTTL", want: "$ incrby 0 k"},
		{cmd: "incrbyfloat", rec: "SET k 1.5 KEEPTTL", want: "$ incrbyfloat 0 k"},
		{cmd: "append", rec: "APPEND k x", want: "$ append 0 k"},
		{cmd: "setrange", rec: "SETRANGE k 0 x", want: "$ setrange 0 k"},
		{cmd: "mset", rec: "MSET a 1 b 2", created: []string{"0:a", "0:b"}, want: "n new 0 a|$ set 0 a|n new 0 b|$ set 0 b"},
		{cmd: "msetnx", rec: "MSET a 1", want: "$ set 0 a"},
		{cmd: "getdel", rec: "DEL k", deleted: []string{"0:k"}, want: "g del 0 k"},
		{cmd: "getex", rec: "PEXPIREAT k 5", want: "g expire 0 k"},
		{cmd: "getex", rec: "PERSIST k", want: "g persist 0 k"},
		{cmd: "del", rec: "DEL a b", deleted: []string{"0:a", "0:b"}, want: "g del 0 a|g del 0 b"},
		{cmd: "expire", rec: "DEL k", deleted: []string{"0:k"}, want: "g del 0 k"},
		{cmd: "rename", rec: "RENAME a b", created: []string{"0:b"}, want: "n new 0 b|g rename_from 0 a|g rename_to 0 b"},
		{cmd: "move", rec: "MOVE k 3", created: []string{"3:k"}, want: "n new 3 k|g move_from 0 k|g move_to 3 k"},
		{cmd: "copy", rec: "COPY a b DB 2 REPLACE", created: []string{"2:b"}, want: "n new 2 b|g copy_to 2 b"},
		{cmd: "flushall", rec: "FLUSHALL x", want: ""},
		{cmd: "setbit", rec: "SETBIT k 7 1", want: "$ setbit 0 k"},
		{cmd: "bitop", rec: "BITOP AND d a b", want: "$ set 0 d"},
		{cmd: "bitop", rec: "SET d v", want: "$ set 0 d"},
		{cmd: "pfadd", rec: "PFADD h a", want: "$ pfadd 0 h"},
		{cmd: "pfmerge", rec: "PFMERGE d a", want: "$ pfadd 0 d"},
		{cmd: "restore", rec: "RESTORE k 0 payload", want: "g restore 0 k"},
		// Lists.
		{cmd: "lpush", rec: "LPUSH l a b", created: []string{"0:l"}, want: "n new 0 l|l lpush 0 l"},
		{cmd: "rpushx", rec: "RPUSH l a", want: "l rpush 0 l"},
		{cmd: "lpop", rec: "LPOP l", deleted: []string{"0:l"}, want: "l lpop 0 l|g del 0 l"},
		{cmd: "lpop", rec: "LPOP l", want: "l lpop 0 l"},
		{cmd: "rpop", rec: "RPOP l 2", want: "l rpop 0 l"},
		{cmd: "blpop", rec: "LPOP l", want: "l lpop 0 l"},
		{cmd: "lpush", rec: "LPOP l", want: "l lpop 0 l"}, // a BLPOP served by the push
		{cmd: "lmpop", rec: "LMPOP 2 b RIGHT COUNT 2", deleted: []string{"0:b"}, want: "l rpop 0 b|g del 0 b"},
		{cmd: "lrem", rec: "LREM l 0 a", deleted: []string{"0:l"}, want: "l lrem 0 l|g del 0 l"},
		{cmd: "ltrim", rec: "LTRIM l 0 1", want: "l ltrim 0 l"},
		{cmd: "lset", rec: "LSET l 0 a", want: "l lset 0 l"},
		{cmd: "linsert", rec: "LINSERT l BEFORE a b", want: "l linsert 0 l"},
		{cmd: "rpoplpush", rec: "RPOPLPUSH s d", created: []string{"0:d"}, deleted: []string{"0:s"},
			want: "n new 0 d|l lpush 0 d|l rpop 0 s|g del 0 s"},
		{cmd: "lmove", rec: "LMOVE s d LEFT RIGHT", created: []string{"0:d"}, deleted: []string{"0:s"},
			want: "n new 0 d|l rpush 0 d|l lpop 0 s|g del 0 s"},
		{cmd: "blmove", rec: "LMOVE s d RIGHT LEFT", want: "l lpush 0 d|l rpop 0 s"},
		// A helper that journals the emptied key's DEL after the pop: one "del".
		{cmd: "lpop", rec: "DEL l", want: ""},
		// Hashes.
		{cmd: "hset", rec: "HSET h f v", created: []string{"0:h"}, want: "n new 0 h|h hset 0 h"},
		{cmd: "hmset", rec: "HSET h f v", want: "h hset 0 h"},
		{cmd: "hsetnx", rec: "HSET h f v", want: "h hset 0 h"},
		{cmd: "hincrby", rec: "HSET h f 3", want: "h hincrby 0 h"},
		{cmd: "hincrby", rec: "HINCRBY h f 3", want: "h hincrby 0 h"},
		{cmd: "hincrbyfloat", rec: "HSET h f 3.5", want: "h hincrbyfloat 0 h"},
		{cmd: "hdel", rec: "HDEL h f", deleted: []string{"0:h"}, want: "h hdel 0 h|g del 0 h"},
		// Sets.
		{cmd: "sadd", rec: "SADD s a", want: "s sadd 0 s"},
		{cmd: "srem", rec: "SREM s a", deleted: []string{"0:s"}, want: "s srem 0 s|g del 0 s"},
		{cmd: "spop", rec: "SREM s a b", want: "s spop 0 s"},
		{cmd: "smove", rec: "SMOVE a b m", created: []string{"0:b"}, deleted: []string{"0:a"},
			want: "s srem 0 a|g del 0 a|n new 0 b|s sadd 0 b"},
		{cmd: "sunionstore", rec: "SUNIONSTORE d a b", want: "s sunionstore 0 d"},
		{cmd: "sinterstore", rec: "SADD d x y", want: "s sinterstore 0 d"},
		{cmd: "sdiffstore", rec: "DEL d", deleted: []string{"0:d"}, want: "g del 0 d"},
		// Sorted sets and geo.
		{cmd: "zadd", rec: "ZADD z 1 a", want: "z zadd 0 z"},
		{cmd: "zincrby", rec: "ZADD z 3 a", want: "z zincr 0 z"},
		{cmd: "zincrby", rec: "ZINCRBY z 3 a", want: "z zincr 0 z"},
		{cmd: "zrem", rec: "ZREM z a", deleted: []string{"0:z"}, want: "z zrem 0 z|g del 0 z"},
		{cmd: "zremrangebyscore", rec: "ZREMRANGEBYSCORE z 0 1", want: "z zrembyscore 0 z"},
		{cmd: "zremrangebyrank", rec: "ZREM z a", want: "z zrembyrank 0 z"},
		{cmd: "zremrangebylex", rec: "ZREMRANGEBYLEX z - +", want: "z zrembylex 0 z"},
		{cmd: "zpopmin", rec: "ZPOPMIN z 2", want: "z zpopmin 0 z"},
		{cmd: "bzpopmax", rec: "ZPOPMAX z", want: "z zpopmax 0 z"},
		{cmd: "zmpop", rec: "ZMPOP 1 z MIN", deleted: []string{"0:z"}, want: "z zpopmin 0 z|g del 0 z"},
		{cmd: "zunionstore", rec: "ZUNIONSTORE d 2 a b", want: "z zunionstore 0 d"},
		{cmd: "zrangestore", rec: "ZADD d 1 a", want: "z zrangestore 0 d"},
		{cmd: "geoadd", rec: "ZADD g 1 a", want: "z zadd 0 g"},
		{cmd: "geoadd", rec: "GEOADD g 13 38 p", want: "z zadd 0 g"},
		{cmd: "geosearchstore", rec: "ZADD d 1 a", want: "z geosearchstore 0 d"},
		{cmd: "georadius", rec: "ZADD d 1 a", want: "z georadiusstore 0 d"},
		{cmd: "sort", rec: "RPUSH d a", want: "l sortstore 0 d"},
		// Streams.
		{cmd: "xadd", rec: "XADD s 1-0 f v", created: []string{"0:s"}, want: "n new 0 s|t xadd 0 s"},
		{cmd: "xtrim", rec: "XTRIM s MAXLEN 1", want: "t xtrim 0 s"},
		{cmd: "xdel", rec: "XDEL s 1-0", want: "t xdel 0 s"},
		{cmd: "xsetid", rec: "XSETID s 5-0", want: "t xsetid 0 s"},
		{cmd: "xgroup|create", rec: "XGROUP CREATE s g $", want: "t xgroup-create 0 s"},
		{cmd: "xgroup|createconsumer", rec: "XGROUP CREATECONSUMER s g c", want: "t xgroup-createconsumer 0 s"},
		{cmd: "xreadgroup", rec: "XGROUP CREATECONSUMER s g c", want: "t xgroup-createconsumer 0 s"},
		// No command known (a record from elsewhere): the record names it.
		{cmd: "", rec: "HSET h f v", want: "h hset 0 h"},
		{cmd: "", rec: "DEL k", want: "g del 0 k"},
	}
	var r recordEvents
	for i, tc := range cases {
		var got []string
		m := &store.Mutation{DB: 0, Cmd: tc.cmd, Created: keyRefs(tc.created), Deleted: keyRefs(tc.deleted)}
		for _, w := range strings.Fields(tc.rec) {
			m.Args = append(m.Args, []byte(w))
		}
		m.CmdArgs = [][]byte{[]byte(tc.cmd), []byte("k"), []byte("keepttl")} // a value that reads as an option
		if i == 2 {
			m.CmdArgs = append(m.CmdArgs, []byte("KeepTTL"))
		}
		srv.mutationEvents(m, &r, func(class uint32, event string, db int, key []byte) {
			got = append(got, fmt.Sprintf("%s %s %d %s", cls[class], event, db, key))
		})
		if g := strings.Join(got, "|"); g != tc.want {
			t.Errorf("%s / %q: got %q, want %q", tc.cmd, tc.rec, g, tc.want)
		}
	}
	// Expiry and eviction name their own events.
	for _, c := range []struct {
		cause store.Cause
		want  string
	}{{store.CauseExpired, "x expired 4 k"}, {store.CauseEvicted, "e evicted 4 k"}} {
		var got []string
		m := &store.Mutation{DB: 4, Cause: c.cause, Args: [][]byte{[]byte("DEL"), []byte("k")}}
		srv.mutationEvents(m, &r, func(class uint32, event string, db int, key []byte) {
			got = append(got, fmt.Sprintf("%s %s %d %s", cls[class], event, db, key))
		})
		if g := strings.Join(got, "|"); g != c.want {
			t.Errorf("cause %d: got %q, want %q", c.cause, g, c.want)
		}
	}
}

// TestNotifyOwnWriteOrder: a RESP3 client subscribed to its own keyspace
// events gets each event before the reply of the command that caused it,
// and after the replies of the commands before it (Redis's order), even
// in one pipeline.
func TestNotifyOwnWriteOrder(t *testing.T) {
	srv := startServer(t, "--notify-keyspace-events", "KE$")
	c := dial(t, srv)
	c.MustDo(t, "HELLO", "3")
	c.MustDo(t, "SUBSCRIBE", "__keyspace@0__:k")
	var pipe []byte
	pipe = append(pipe, resptest.Encode("GET", "k")...)
	pipe = append(pipe, resptest.Encode("SET", "k", "1")...)
	pipe = append(pipe, resptest.Encode("INCR", "k")...)
	pipe = append(pipe, resptest.Encode("GET", "k")...)
	if err := c.Write(pipe); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"_\r\n",
		">3\r\n$7\r\nmessage\r\n$16\r\n__keyspace@0__:k\r\n$3\r\nset\r\n",
		"+OK\r\n",
		">3\r\n$7\r\nmessage\r\n$16\r\n__keyspace@0__:k\r\n$6\r\nincrby\r\n",
		":2\r\n",
		"$1\r\n2\r\n",
	}
	for i, w := range want {
		got, err := c.Read()
		if err != nil || got != w {
			t.Fatalf("frame %d: %q %v, want %q", i, got, err, w)
		}
	}
}

// TestNotifyKeyMiss: 'm' publishes a keymiss for reads of missing keys
// and nothing for hits.
func TestNotifyKeyMiss(t *testing.T) {
	srv := startServer(t, "--notify-keyspace-events", "Em")
	sub := dial(t, srv)
	sub.MustDo(t, "SUBSCRIBE", "__keyevent@0__:keymiss")
	c := dial(t, srv)
	c.MustDo(t, "SET", "here", "v")
	c.MustDo(t, "GET", "here")
	c.MustDo(t, "GET", "missing")
	got, err := sub.Read()
	if want := "*3\r\n$7\r\nmessage\r\n$22\r\n__keyevent@0__:keymiss\r\n$7\r\nmissing\r\n"; err != nil || got != want {
		t.Fatalf("got %q %v, want %q", got, err, want)
	}
	c.MustDo(t, "CONFIG", "SET", "notify-keyspace-events", "")
	c.MustDo(t, "GET", "missing2")
	c.MustDo(t, "CONFIG", "SET", "notify-keyspace-events", "Em")
	c.MustDo(t, "GET", "missing3")
	if got, _ := sub.Read(); !strings.Contains(got, "missing3") {
		t.Fatalf("after re-enabling: %q (a miss while disabled leaked?)", got)
	}
}
