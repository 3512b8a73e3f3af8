package server

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/rueidis"

	"github.com/embercache/ember/internal/resptest"
)

// rueidis with its default options (HELLO 3, CLIENT TRACKING ON OPTIN):
// DoCache serves the second read from its cache, and sees another
// client's change after the invalidation.
func TestTrackingRueidis(t *testing.T) {
	srv := startServer(t)
	cl, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{srv.Addr().String()}, DisableRetry: true})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx := context.Background()
	if err := cl.Do(ctx, cl.B().Set().Key("k").Value("v1").Build()).Error(); err != nil {
		t.Fatal(err)
	}
	if v, err := cl.Do(ctx, cl.B().Get().Key("k").Build()).ToString(); err != nil || v != "v1" {
		t.Fatalf("GET: %q %v", v, err)
	}
	get := func() (string, bool) {
		r := cl.DoCache(ctx, cl.B().Get().Key("k").Cache(), time.Minute)
		v, err := r.ToString()
		if err != nil {
			t.Fatal(err)
		}
		return v, r.IsCacheHit()
	}
	if v, hit := get(); v != "v1" || hit {
		t.Fatalf("first DoCache: %q hit=%v", v, hit)
	}
	if v, hit := get(); v != "v1" || !hit {
		t.Fatalf("second DoCache: %q hit=%v, want a cache hit", v, hit)
	}
	other := dial(t, srv)
	other.MustDo(t, "SET", "k", "v2")
	checkFor(t, 5*time.Second, 5*time.Millisecond, func() error {
		if v, _ := get(); v != "v2" {
			return fmt.Errorf("DoCache still %q after the change", v)
		}
		return nil
	})
}

// resp3Tracking opens a RESP3 connection and runs CLIENT TRACKING with opts.
func resp3Tracking(t *testing.T, srv *Server, opts ...string) *resptest.Conn {
	t.Helper()
	c := dial(t, srv)
	c.MustDo(t, "HELLO", "3")
	if r := c.MustDo(t, append([]string{"CLIENT", "TRACKING", "ON"}, opts...)...); r != "+OK\r\n" {
		t.Fatalf("CLIENT TRACKING ON %v: %q", opts, r)
	}
	return c
}

// trackFrames reads frames until want is seen in order (the replies and
// pushes concatenated), then checks that nothing more arrives before a PING.
func trackFrames(t *testing.T, c *resptest.Conn, want string) {
	t.Helper()
	if err := c.Write(resptest.Encode("PING")); err != nil {
		t.Fatal(err)
	}
	var got strings.Builder
	for !strings.HasSuffix(got.String(), "+PONG\r\n") {
		r, err := c.Read()
		if err != nil {
			t.Fatalf("after %q: %v", got.String(), err)
		}
		got.WriteString(r)
	}
	if got.String() != want+"+PONG\r\n" {
		t.Fatalf("got %q, want %q", got.String(), want+"+PONG\r\n")
	}
}

func inval(keys ...string) string {
	s := ">2\r\n$10\r\ninvalidate\r\n*" + fmt.Sprint(len(keys)) + "\r\n"
	for _, k := range keys {
		s += fmt.Sprintf("$%d\r\n%s\r\n", len(k), k)
	}
	return s
}

func TestTrackingDefault(t *testing.T) {
	srv := startServer(t)
	c := resp3Tracking(t, srv)
	w := dial(t, srv)
	c.MustDo(t, "SET", "a", "1")
	c.MustDo(t, "GET", "a")
	c.MustDo(t, "MGET", "b", "c")
	c.MustDo(t, "SELECT", "1")
	c.MustDo(t, "GET", "d") // key names are tracked across databases
	w.MustDo(t, "SET", "a", "2")
	w.MustDo(t, "SET", "a", "3") // forgotten after the first
	w.MustDo(t, "MSET", "b", "1", "c", "2")
	w.MustDo(t, "SET", "d", "x")
	w.MustDo(t, "SET", "unread", "x")
	trackFrames(t, c, inval("a")+inval("b")+inval("c")+inval("d")) // DEL of missing keys would not count
	// Own writes: the invalidation follows the reply, as Redis 7.
	c.MustDo(t, "GET", "a")
	if err := c.Write(resptest.Encode("SET", "a", "own")); err != nil {
		t.Fatal(err)
	}
	trackFrames(t, c, "+OK\r\n"+inval("a"))
	// Expiry invalidates.
	c.MustDo(t, "SET", "e", "1", "PX", "20")
	c.MustDo(t, "GET", "e")
	checkFor(t, 5*time.Second, 5*time.Millisecond, func() error {
		w.MustDo(t, "SELECT", "1")
		if r := w.MustDo(t, "EXISTS", "e"); r != ":0\r\n" {
			return fmt.Errorf("e still exists")
		}
		return nil
	})
	trackFrames(t, c, inval("e"))
	// Flush: a null key list.
	c.MustDo(t, "GET", "a")
	w.MustDo(t, "FLUSHALL")
	trackFrames(t, c, ">2\r\n$10\r\ninvalidate\r\n_\r\n")
	// Off: nothing more, and the journal subscriber is gone.
	c.MustDo(t, "GET", "a")
	c.MustDo(t, "CLIENT", "TRACKING", "OFF")
	w.MustDo(t, "SET", "a", "x")
	trackFrames(t, c, "")
	if srv.store.Journal().Active() {
		t.Fatal("journal still active with no tracking client")
	}
}

func TestTrackingOptinOptout(t *testing.T) {
	srv := startServer(t)
	in := resp3Tracking(t, srv, "OPTIN")
	out := resp3Tracking(t, srv, "OPTOUT")
	w := dial(t, srv)
	for _, c := range []*resptest.Conn{in, out} {
		c.MustDo(t, "GET", "k1")
	}
	in.MustDo(t, "CLIENT", "CACHING", "YES")
	out.MustDo(t, "CLIENT", "CACHING", "NO")
	for _, c := range []*resptest.Conn{in, out} {
		c.MustDo(t, "GET", "k2")
		c.MustDo(t, "GET", "k3")
	}
	w.MustDo(t, "MSET", "k1", "1", "k2", "2", "k3", "3")
	trackFrames(t, in, inval("k2"))
	trackFrames(t, out, inval("k1")+inval("k3"))
}

func TestTrackingBcastNoloop(t *testing.T) {
	srv := startServer(t)
	b := resp3Tracking(t, srv, "BCAST", "PREFIX", "user:", "PREFIX", "cfg:", "NOLOOP")
	all := resp3Tracking(t, srv, "BCAST")
	w := dial(t, srv)
	b.MustDo(t, "SET", "user:own", "1") // NOLOOP: not told
	w.MustDo(t, "MSET", "user:1", "a", "other", "b", "cfg:x", "c")
	trackFrames(t, b, inval("cfg:x")+inval("user:1"))
	trackFrames(t, all, inval("user:own")+inval("user:1", "other", "cfg:x"))
	// NOLOOP in default mode.
	n := resp3Tracking(t, srv, "NOLOOP")
	n.MustDo(t, "GET", "z")
	n.MustDo(t, "SET", "z", "1")
	trackFrames(t, n, "")
}

func TestTrackingRedirect(t *testing.T) {
	srv := startServer(t)
	sub := dial(t, srv)
	id := strings.TrimSpace(strings.TrimPrefix(sub.MustDo(t, "CLIENT", "ID"), ":"))
	sub.MustDo(t, "SUBSCRIBE", "__redis__:invalidate")
	c := dial(t, srv) // RESP2 tracking client
	if r := c.MustDo(t, "CLIENT", "TRACKING", "ON", "REDIRECT", id); r != "+OK\r\n" {
		t.Fatal(r)
	}
	if r := c.MustDo(t, "CLIENT", "GETREDIR"); r != ":"+id+"\r\n" {
		t.Fatalf("GETREDIR: %q", r)
	}
	c.MustDo(t, "GET", "k")
	c.MustDo(t, "SET", "k", "v")
	msg := "*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n"
	if r, err := sub.Read(); err != nil || r != msg+"*1\r\n$1\r\nk\r\n" {
		t.Fatalf("redirected invalidation: %q %v", r, err)
	}
	c.MustDo(t, "FLUSHDB")
	if r, err := sub.Read(); err != nil || r != msg+"$-1\r\n" {
		t.Fatalf("redirected flush: %q %v", r, err)
	}
	// The tracking client itself got nothing.
	if r := c.MustDo(t, "PING"); r != "+PONG\r\n" {
		t.Fatalf("tracking client: %q", r)
	}
}

// The table is bounded by tracking-table-max-keys: past it, keys are
// evicted with an invalidation. INFO counts clients, keys and items.
func TestTrackingMaxKeys(t *testing.T) {
	srv := startServer(t)
	c := resp3Tracking(t, srv)
	ctl := dial(t, srv)
	ctl.MustDo(t, "CONFIG", "SET", "tracking-table-max-keys", "2")
	c.MustDo(t, "MGET", "a", "b")
	if v := infoField(t, ctl, "clients", "tracking_clients"); v != "1" {
		t.Fatalf("tracking_clients %s", v)
	}
	if v := infoField(t, ctl, "stats", "tracking_total_keys"); v != "2" {
		t.Fatalf("tracking_total_keys %s", v)
	}
	c.MustDo(t, "GET", "c")
	r, err := c.Read()
	if err != nil || !strings.HasPrefix(r, ">2\r\n$10\r\ninvalidate\r\n*1\r\n") {
		t.Fatalf("eviction: %q %v", r, err)
	}
	if v := infoField(t, ctl, "stats", "tracking_total_items"); v != "2" {
		t.Fatalf("tracking_total_items %s", v)
	}
}

// A RESP3 client whose REDIRECT client is gone is told so, instead.
func TestTrackingRedirectBroken(t *testing.T) {
	srv := startServer(t)
	r := dial(t, srv)
	id := strings.TrimSpace(strings.TrimPrefix(r.MustDo(t, "CLIENT", "ID"), ":"))
	c := resp3Tracking(t, srv, "REDIRECT", id)
	c.MustDo(t, "GET", "k")
	r.Close()
	waitConnected(t, dial(t, srv), 2)
	w := dial(t, srv)
	w.MustDo(t, "SET", "k", "v")
	trackFrames(t, c, ">2\r\n$21\r\ntracking-redir-broken\r\n:"+id+"\r\n")
}
