package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/embercache/ember/internal/resptest"
)

// clientFields parses one CLIENT LIST / CLIENT INFO line into its fields.
func clientFields(t testing.TB, line string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, kv := range strings.Fields(line) {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			t.Fatalf("bad field %q in %q", kv, line)
		}
		m[k] = v
	}
	return m
}

// bulkText returns the text of a bulk or verbatim reply.
func bulkText(t testing.TB, raw string) string {
	t.Helper()
	v, err := resptest.Parse(raw)
	if err != nil || (v.Type != '$' && v.Type != '=') {
		t.Fatalf("not a bulk reply: %q (%v)", raw, err)
	}
	return strings.TrimPrefix(v.Str, "txt:")
}

// clientLines returns the CLIENT LIST reply's lines.
func clientLines(t testing.TB, c *resptest.Conn, args ...string) []map[string]string {
	t.Helper()
	text := bulkText(t, c.MustDo(t, append([]string{"CLIENT", "LIST"}, args...)...))
	var out []map[string]string
	for _, l := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		if l != "" {
			out = append(out, clientFields(t, l))
		}
	}
	return out
}

// TestClientListFormat checks CLIENT LIST/INFO against Redis 7.2's line:
// every field in order, and the values ember can know exactly.
func TestClientListFormat(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	other := dial(t, srv)
	other.MustDo(t, "CLIENT", "SETNAME", "worker")
	other.MustDo(t, "SELECT", "4")
	other.MustDo(t, "CLIENT", "SETINFO", "LIB-NAME", "mylib")
	other.MustDo(t, "CLIENT", "SETINFO", "lib-ver", "1.2.3")
	other.MustDo(t, "CLIENT", "NO-EVICT", "on")
	other.MustDo(t, "CLIENT", "NO-TOUCH", "on")
	other.MustDo(t, "HELLO", "3")

	info := bulkText(t, c.MustDo(t, "CLIENT", "INFO"))
	if !strings.HasSuffix(info, "\n") || strings.Count(info, "\n") != 1 {
		t.Fatalf("CLIENT INFO: %q", info)
	}
	var keys []string
	for _, kv := range strings.Fields(info) {
		k, _, _ := strings.Cut(kv, "=")
		keys = append(keys, k)
	}
	want := "id addr laddr fd name age idle flags db sub psub ssub multi qbuf qbuf-free argv-mem multi-mem rbs rbp obl oll omem tot-mem events cmd user redir resp lib-name lib-ver"
	if strings.Join(keys, " ") != want {
		t.Fatalf("fields:\n got %s\nwant %s", strings.Join(keys, " "), want)
	}
	self := clientFields(t, info)
	if self["cmd"] != "client|info" || self["flags"] != "N" || self["db"] != "0" || self["resp"] != "2" || self["user"] != "default" {
		t.Fatalf("self: %v", self)
	}
	if fd, err := strconv.Atoi(self["fd"]); err != nil || fd < 0 {
		t.Fatalf("fd %q", self["fd"])
	}
	if self["laddr"] != srv.Addr().String() {
		t.Fatalf("laddr %q, want %q", self["laddr"], srv.Addr())
	}

	lines := clientLines(t, c)
	if len(lines) != 2 {
		t.Fatalf("CLIENT LIST: %v", lines)
	}
	if lines[0]["cmd"] != "client|list" {
		t.Fatalf("own cmd: %v", lines[0])
	}
	o := lines[1]
	if o["name"] != "worker" || o["db"] != "4" || o["lib-name"] != "mylib" || o["lib-ver"] != "1.2.3" ||
		o["flags"] != "eT" || o["resp"] != "3" || o["cmd"] != "hello" {
		t.Fatalf("other client: %v", o)
	}
	id, _ := strconv.ParseInt(o["id"], 10, 64)
	if id <= 0 {
		t.Fatalf("id %q", o["id"])
	}

	// Filters: by id (in the order given, unknown ids skipped) and type.
	byID := clientLines(t, c, "ID", o["id"], "999999", lines[0]["id"])
	if len(byID) != 2 || byID[0]["id"] != o["id"] || byID[1]["id"] != lines[0]["id"] {
		t.Fatalf("CLIENT LIST ID: %v", byID)
	}
	if n := len(clientLines(t, c, "TYPE", "normal")); n != 2 {
		t.Fatalf("TYPE normal: %d clients", n)
	}
	if n := len(clientLines(t, c, "TYPE", "pubsub")); n != 0 {
		t.Fatalf("TYPE pubsub: %d clients", n)
	}
	// RESP3 gets a verbatim string.
	c.MustDo(t, "HELLO", "3")
	if r := c.MustDo(t, "CLIENT", "INFO"); !strings.HasPrefix(r, "=") || !strings.Contains(r, "\r\ntxt:id=") {
		t.Fatalf("RESP3 CLIENT INFO: %q", r)
	}
}

// TestClientSetinfo covers Redis 7.2's CLIENT SETINFO, which the 7.0
// reference server lacks.
func TestClientSetinfo(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	for _, tc := range []struct{ args, want string }{
		{"CLIENT SETINFO lib-name redis-py", "+OK\r\n"},
		{"CLIENT SETINFO LIB-VER 5.0.1", "+OK\r\n"},
		{"CLIENT SETINFO lib-name go-redis(,go1.26.8)", "+OK\r\n"},
		{"CLIENT SETINFO foo bar", "-ERR Unrecognized option 'foo'\r\n"},
		{"CLIENT SETINFO LIB-NAME a\x20b", "-ERR LIB-NAME cannot contain spaces, newlines or special characters.\r\n"},
		{"CLIENT SETINFO lib-ver caf\xc3\xa9", "-ERR lib-ver cannot contain spaces, newlines or special characters.\r\n"},
		{"CLIENT SETINFO lib-name", "-ERR wrong number of arguments for 'client|setinfo' command\r\n"},
	} {
		args := strings.SplitN(tc.args, " ", 4)
		if got := c.MustDo(t, args...); got != tc.want {
			t.Errorf("%q: got %q, want %q", tc.args, got, tc.want)
		}
	}
	f := clientFields(t, bulkText(t, c.MustDo(t, "CLIENT", "INFO")))
	if f["lib-name"] != "go-redis(,go1.26.8)" || f["lib-ver"] != "5.0.1" {
		t.Fatalf("lib fields: %v", f)
	}
	// An empty value clears the attribute.
	c.MustDo(t, "CLIENT", "SETINFO", "lib-name", "")
	if f := clientFields(t, bulkText(t, c.MustDo(t, "CLIENT", "INFO"))); f["lib-name"] != "" {
		t.Fatalf("lib-name not cleared: %v", f)
	}
}

// TestClientNoTouchAndReset covers CLIENT NO-TOUCH (Redis 7.2) and that
// RESET turns NO-EVICT and NO-TOUCH off, drops the name and the database,
// and returns to RESP2, as Redis 7.2 documents.
func TestClientNoTouchAndReset(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	for _, tc := range []struct{ args, want string }{
		{"CLIENT NO-TOUCH on", "+OK\r\n"},
		{"CLIENT NO-TOUCH maybe", "-ERR syntax error\r\n"},
		{"CLIENT NO-EVICT ON", "+OK\r\n"},
	} {
		if got := c.MustDo(t, strings.Fields(tc.args)...); got != tc.want {
			t.Fatalf("%q: got %q, want %q", tc.args, got, tc.want)
		}
	}
	if !serverSide(t, srv, c).noTouch.Load() {
		t.Fatal("NO-TOUCH on did not set the flag")
	}
	c.MustDo(t, "SELECT", "3")
	c.MustDo(t, "CLIENT", "SETNAME", "n")
	c.MustDo(t, "CLIENT", "SETINFO", "LIB-NAME", "keep")
	c.MustDo(t, "HELLO", "3")
	if got := c.MustDo(t, "RESET"); got != "+RESET\r\n" {
		t.Fatalf("RESET: %q", got)
	}
	f := clientFields(t, bulkText(t, c.MustDo(t, "CLIENT", "INFO")))
	if f["flags"] != "N" || f["db"] != "0" || f["name"] != "" || f["resp"] != "2" || f["lib-name"] != "keep" {
		t.Fatalf("after RESET: %v", f)
	}
	c.MustDo(t, "CLIENT", "NO-TOUCH", "on")
	c.MustDo(t, "CLIENT", "NO-TOUCH", "OFF")
	if serverSide(t, srv, c).noTouch.Load() {
		t.Fatal("NO-TOUCH off did not clear the flag")
	}
}

// serverSide finds the server's Client of a raw test connection.
func serverSide(t testing.TB, srv *Server, c *resptest.Conn) *Client {
	t.Helper()
	local := c.NetConn().LocalAddr().String()
	for _, cl := range srv.clientList() {
		if cl.raddr == local {
			return cl
		}
	}
	t.Fatalf("no server client for %s", local)
	return nil
}

// waitClosed waits until the server closes c.
func waitClosed(t testing.TB, c *resptest.Conn) {
	t.Helper()
	r, err := c.ReadTimeout(5 * time.Second)
	if err == nil {
		t.Fatalf("connection still open, read %q", r)
	}
	if !errors.Is(err, io.EOF) && !strings.Contains(err.Error(), "reset") {
		t.Fatalf("connection not closed: %v", err)
	}
}

// TestClientKill covers the kill filters the transcripts cannot: ID, ADDR,
// LADDR, MAXAGE, the old form killing the caller, SKIPME no.
func TestClientKill(t *testing.T) {
	srv := startServer(t)
	admin := dial(t, srv)
	idOf := func(c *resptest.Conn) string {
		v, _ := resptest.Parse(c.MustDo(t, "CLIENT", "ID"))
		return strconv.FormatInt(v.Int, 10)
	}
	infoOf := func(c *resptest.Conn) map[string]string {
		return clientFields(t, bulkText(t, c.MustDo(t, "CLIENT", "INFO")))
	}

	v1 := dial(t, srv)
	if got := admin.MustDo(t, "CLIENT", "KILL", "ID", idOf(v1)); got != ":1\r\n" {
		t.Fatalf("KILL ID: %q", got)
	}
	waitClosed(t, v1)

	v2 := dial(t, srv)
	addr := infoOf(v2)["addr"]
	if got := admin.MustDo(t, "CLIENT", "KILL", addr); got != "+OK\r\n" {
		t.Fatalf("old-form KILL: %q", got)
	}
	waitClosed(t, v2)
	if got := admin.MustDo(t, "CLIENT", "KILL", addr); got != "-ERR No such client\r\n" {
		t.Fatalf("old-form KILL of a gone client: %q", got)
	}

	v3 := dial(t, srv)
	f3 := infoOf(v3)
	if got := admin.MustDo(t, "CLIENT", "KILL", "ADDR", f3["addr"], "LADDR", f3["laddr"], "ID", f3["id"]); got != ":1\r\n" {
		t.Fatalf("KILL ADDR LADDR ID: %q", got)
	}
	waitClosed(t, v3)

	// MAXAGE: only clients at least that many seconds old.
	v4 := dial(t, srv)
	v4.MustDo(t, "PING")
	if got := admin.MustDo(t, "CLIENT", "KILL", "MAXAGE", "3600"); got != ":0\r\n" {
		t.Fatalf("KILL MAXAGE 3600: %q", got)
	}
	srv.clientByID(mustInt(t, idOf(v4))).created = time.Now().Add(-2 * time.Hour)
	if got := admin.MustDo(t, "CLIENT", "KILL", "MAXAGE", "3600"); got != ":1\r\n" {
		t.Fatalf("KILL MAXAGE of an old client: %q", got)
	}
	waitClosed(t, v4)
	for _, tc := range []struct{ arg, want string }{
		{"x", "-ERR maxage is not an integer or out of range\r\n"},
		{"0", "-ERR maxage should be greater than 0\r\n"},
		{"-1", "-ERR maxage should be greater than 0\r\n"},
	} {
		if got := admin.MustDo(t, "CLIENT", "KILL", "MAXAGE", tc.arg); got != tc.want {
			t.Errorf("MAXAGE %s: %q", tc.arg, got)
		}
	}

	// The caller may kill itself: it gets its reply, then the connection
	// closes.
	self := dial(t, srv)
	if got := self.MustDo(t, "CLIENT", "KILL", "ID", idOf(self), "SKIPME", "no"); got != ":1\r\n" {
		t.Fatalf("self KILL: %q", got)
	}
	waitClosed(t, self)
	self2 := dial(t, srv)
	if got := self2.MustDo(t, "CLIENT", "KILL", infoOf(self2)["addr"]); got != "+OK\r\n" {
		t.Fatalf("old-form self KILL: %q", got)
	}
	waitClosed(t, self2)
	checkFor(t, 5*time.Second, 10*time.Millisecond, func() error {
		if n := len(srv.clientList()); n != 1 {
			return fmt.Errorf("%d clients left, want 1", n)
		}
		return nil
	})
}

func mustInt(t testing.TB, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestAuthWithPassword covers AUTH, HELLO AUTH, RESET and QUIT with
// requirepass set (the transcripts' reference server has none).
func TestAuthWithPassword(t *testing.T) {
	srv := startServer(t, "--requirepass", "s3cret")
	c := dial(t, srv)
	for _, tc := range []struct{ args, want string }{
		{"PING", "-NOAUTH Authentication required.\r\n"},
		{"HELLO 3", "-" + errHelloNoAuth + "\r\n"},
		{"HELLO", "-" + errHelloNoAuth + "\r\n"},
		{"HELLO 3 SETNAME x", "-" + errHelloNoAuth + "\r\n"},
		{"HELLO 3 AUTH default wrong", "-WRONGPASS invalid username-password pair or user is disabled.\r\n"},
		{"HELLO 3 AUTH other s3cret", "-WRONGPASS invalid username-password pair or user is disabled.\r\n"},
		{"AUTH wrong", "-WRONGPASS invalid username-password pair or user is disabled.\r\n"},
		{"AUTH default wrong", "-WRONGPASS invalid username-password pair or user is disabled.\r\n"},
		{"CLIENT ID", "-NOAUTH Authentication required.\r\n"},
		{"AUTH s3cret", "+OK\r\n"},
		{"PING", "+PONG\r\n"},
		{"AUTH wrong", "-WRONGPASS invalid username-password pair or user is disabled.\r\n"},
		{"PING", "+PONG\r\n"}, // a failed AUTH keeps the earlier login
		{"RESET", "+RESET\r\n"},
		{"PING", "-NOAUTH Authentication required.\r\n"},
		{"AUTH default s3cret", "+OK\r\n"},
		{"PING", "+PONG\r\n"},
		{"RESET", "+RESET\r\n"},
	} {
		if got := c.MustDo(t, strings.Fields(tc.args)...); got != tc.want {
			t.Fatalf("%q: got %q, want %q", tc.args, got, tc.want)
		}
	}
	r := c.MustDo(t, "HELLO", "3", "AUTH", "default", "s3cret", "SETNAME", "h")
	if !strings.HasPrefix(r, "%7\r\n") || !strings.Contains(r, "$5\r\nproto\r\n:3\r\n") {
		t.Fatalf("HELLO 3 AUTH: %q", r)
	}
	if got := c.MustDo(t, "CLIENT", "GETNAME"); got != "$1\r\nh\r\n" {
		t.Fatalf("name after HELLO SETNAME: %q", got)
	}
	if v, _ := resptest.Parse(c.MustDo(t, "INFO", "stats")); !strings.Contains(v.Str, "acl_access_denied_auth:5\r\n") {
		t.Fatalf("acl_access_denied_auth: %q", v.Str)
	}
	// QUIT answers +OK even before authentication, then closes.
	q := dial(t, srv)
	if got := q.MustDo(t, "QUIT"); got != "+OK\r\n" {
		t.Fatalf("QUIT: %q", got)
	}
	waitClosed(t, q)
	// Changing requirepass at run time applies to new connections.
	c.MustDo(t, "CONFIG", "SET", "requirepass", "")
	if got := dial(t, srv).MustDo(t, "PING"); got != "+PONG\r\n" {
		t.Fatalf("PING after clearing requirepass: %q", got)
	}
}

// TestHelloReply checks HELLO's map field by field in both protocols.
func TestHelloReply(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	id := c.MustDo(t, "CLIENT", "ID")
	want2 := "*14\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$5\r\n" + RedisVersion +
		"\r\n$5\r\nproto\r\n:2\r\n$2\r\nid\r\n" + id + "$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n"
	if got := c.MustDo(t, "HELLO"); got != want2 {
		t.Fatalf("HELLO:\n got %q\nwant %q", got, want2)
	}
	want3 := "%7" + strings.TrimPrefix(strings.Replace(want2, ":2\r\n", ":3\r\n", 1), "*14")
	if got := c.MustDo(t, "HELLO", "3"); got != want3 {
		t.Fatalf("HELLO 3:\n got %q\nwant %q", got, want3)
	}
	// Without a version HELLO keeps the current protocol.
	if got := c.MustDo(t, "HELLO"); got != want3 {
		t.Fatalf("HELLO after HELLO 3:\n got %q", got)
	}
	if got := c.MustDo(t, "HELLO", "2"); got != want2 {
		t.Fatalf("HELLO 2:\n got %q", got)
	}
}

// TestGoRedis connects with go-redis v9 speaking RESP2 and RESP3: the
// client sends HELLO and CLIENT SETINFO on connect, and everyday commands
// work through it.
func TestGoRedis(t *testing.T) {
	srv := startServer(t)
	for _, proto := range []int{2, 3} {
		t.Run(fmt.Sprintf("RESP%d", proto), func(t *testing.T) {
			ctx := context.Background()
			rdb := redis.NewClient(&redis.Options{Addr: srv.Addr().String(), Protocol: proto, DB: 2, ClientName: "gr" + strconv.Itoa(proto)})
			defer rdb.Close()
			if err := rdb.Set(ctx, "k", "v", time.Minute).Err(); err != nil {
				t.Fatal(err)
			}
			if v, err := rdb.Get(ctx, "k").Result(); err != nil || v != "v" {
				t.Fatalf("GET: %q %v", v, err)
			}
			if _, err := rdb.Get(ctx, "missing").Result(); !errors.Is(err, redis.Nil) {
				t.Fatalf("GET missing: %v", err)
			}
			info, err := rdb.Info(ctx, "server", "keyspace").Result()
			if err != nil || !strings.Contains(info, "redis_version:"+RedisVersion+"\r\n") ||
				!strings.Contains(info, "db2:keys=1,expires=1,") {
				t.Fatalf("INFO: %v\n%s", err, info)
			}
			cfg, err := rdb.ConfigGet(ctx, "maxmemory*").Result()
			if err != nil || cfg["maxmemory-policy"] != "noeviction" || cfg["maxmemory"] != "0" {
				t.Fatalf("CONFIG GET: %v %v", cfg, err)
			}
			list, err := rdb.ClientList(ctx).Result()
			if err != nil {
				t.Fatal(err)
			}
			var mine map[string]string
			for _, l := range strings.Split(strings.TrimSpace(list), "\n") {
				if f := clientFields(t, l); f["name"] == "gr"+strconv.Itoa(proto) {
					mine = f
				}
			}
			if mine == nil || mine["resp"] != strconv.Itoa(proto) || mine["db"] != "2" || !strings.HasPrefix(mine["lib-name"], "go-redis") || mine["lib-ver"] == "" {
				t.Fatalf("own CLIENT LIST line: %v\n%s", mine, list)
			}
			if n, err := rdb.DBSize(ctx).Result(); err != nil || n != 1 {
				t.Fatalf("DBSIZE: %d %v", n, err)
			}
			if err := rdb.FlushDB(ctx).Err(); err != nil {
				t.Fatal(err)
			}
			if err := rdb.Ping(ctx).Err(); err != nil {
				t.Fatal(err)
			}
		})
	}
}
