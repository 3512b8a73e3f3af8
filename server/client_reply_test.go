package server

import (
	"strings"
	"testing"
	"time"

	"github.com/embercache/ember/internal/resptest"
)

// TestClientReply: CLIENT REPLY ON|OFF|SKIP. Each case pipelines its
// commands and expects exactly the replies redis-server 7.0.15 sent for
// the same commands (captured from it), and nothing more.
func TestClientReply(t *testing.T) {
	srv := startServer(t)
	dial(t, srv).MustDo(t, "SET", "a", "1")
	cases := []struct {
		cmds []string
		want []string
	}{
		{[]string{"CLIENT REPLY OFF", "SET a 1", "GET a", "FOO", "CLIENT REPLY ON", "GET a"},
			[]string{"+OK\r\n", "$1\r\n1\r\n"}},
		{[]string{"CLIENT REPLY SKIP", "GET a", "GET a", "CLIENT REPLY SKIP", "CLIENT REPLY SKIP", "GET a", "PING"},
			[]string{"$1\r\n1\r\n", "+PONG\r\n"}},
		{[]string{"CLIENT REPLY", "CLIENT REPLY BAD", "CLIENT REPLY on", "CLIENT REPLY ON", "PING"},
			[]string{"-ERR wrong number of arguments for 'client|reply' command\r\n", "-ERR syntax error\r\n", "+OK\r\n", "+OK\r\n", "+PONG\r\n"}},
		{[]string{"CLIENT REPLY OFF", "CLIENT REPLY SKIP", "PING", "CLIENT REPLY ON", "PING"},
			[]string{"+OK\r\n", "+PONG\r\n"}},
		{[]string{"CLIENT REPLY OFF", "CLIENT REPLY ON extra", "CLIENT REPLY ON"},
			[]string{"+OK\r\n"}},
		{[]string{"CLIENT REPLY OFF", "RESET", "PING"},
			[]string{"+RESET\r\n", "+PONG\r\n"}},
		{[]string{"CLIENT REPLY SKIP", "RESET", "PING"},
			[]string{"+PONG\r\n"}},
		{[]string{"CLIENT REPLY SKIP", "BLPOP nolist 0.1", "PING"},
			[]string{"+PONG\r\n"}},
		{[]string{"CLIENT REPLY SKIP", "SUBSCRIBE x", "PING"},
			[]string{"*3\r\n$9\r\nsubscribe\r\n$1\r\nx\r\n:1\r\n", "*2\r\n$4\r\npong\r\n$0\r\n\r\n"}},
	}
	for _, tc := range cases {
		c := dial(t, srv)
		expectPipeline(t, c, tc.cmds, tc.want)
		c.Close()
	}

	// RESP3 with tracking: the invalidation push of the client's own
	// write is sent under OFF, the write's reply is not.
	c := dial(t, srv)
	c.MustDo(t, "HELLO", "3")
	expectPipeline(t, c, []string{"CLIENT TRACKING on", "GET a", "CLIENT REPLY OFF", "SET a 2", "CLIENT REPLY ON", "PING"},
		[]string{"+OK\r\n", "$1\r\n1\r\n", ">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\na\r\n", "+OK\r\n", "+PONG\r\n"})
}

// expectPipeline sends cmds (space-separated words) in one write and
// expects exactly the replies want, then silence.
func expectPipeline(t *testing.T, c *resptest.Conn, cmds, want []string) {
	t.Helper()
	var b []byte
	for _, cmd := range cmds {
		b = append(b, resptest.Encode(strings.Fields(cmd)...)...)
	}
	if err := c.Write(b); err != nil {
		t.Fatal(err)
	}
	for i, w := range want {
		got, err := c.Read()
		if err != nil || got != w {
			t.Fatalf("%q: reply %d = %q, %v; want %q", cmds, i, got, err, w)
		}
	}
	if extra, err := c.ReadTimeout(150 * time.Millisecond); err == nil {
		t.Fatalf("%q: unexpected reply %q", cmds, extra)
	}
}
