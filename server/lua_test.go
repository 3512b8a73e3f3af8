package server

import (
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/embercache/ember/internal/resptest"
)

// TestScriptKillBusy: a script looping forever makes other clients' commands
// answer -BUSY once it has run past busy-reply-threshold (commands that
// were waiting for its keys included), SCRIPT KILL stops it, and the
// server serves everyone again.
func TestScriptKillBusy(t *testing.T) {
	srv := startServer(t, "--busy-reply-threshold", "50")
	a, b, k := dial(t, srv), dial(t, srv), dial(t, srv)
	b.MustDo(t, "SET", "x", "1")
	if err := a.Write(resptest.Encode("EVAL", "local i = 0 while true do i = i + 1 end", "0")); err != nil {
		t.Fatal(err)
	}
	waitRunning(t, srv)
	// b waits for the keyspace, then gets BUSY past the threshold.
	if got := b.MustDo(t, "GET", "x"); got != "-"+errBusyScript+"\r\n" {
		t.Fatalf("GET during script: %q", got)
	}
	if got := b.MustDo(t, "PING"); got != "-"+errBusyScript+"\r\n" {
		t.Fatalf("PING during script: %q", got)
	}
	if got := k.MustDo(t, "FUNCTION", "KILL"); got != "-"+errBusyScript+"\r\n" {
		t.Fatalf("FUNCTION KILL of a script: %q", got)
	}
	if got := k.MustDo(t, "SCRIPT", "KILL"); got != "+OK\r\n" {
		t.Fatalf("SCRIPT KILL: %q", got)
	}
	got, err := a.ReadTimeout(5 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	want := "-ERR Script killed by user with SCRIPT KILL... script: " + sha1Hex([]byte("local i = 0 while true do i = i + 1 end")) + ", on @user_script:1.\r\n"
	if got != want {
		t.Fatalf("killed script's reply: %q, want %q", got, want)
	}
	if got := b.MustDo(t, "GET", "x"); got != "$1\r\n1\r\n" {
		t.Fatalf("GET after kill: %q", got)
	}
	if got := k.MustDo(t, "SCRIPT", "KILL"); got != "-"+errNotBusy+"\r\n" {
		t.Fatalf("SCRIPT KILL with nothing running: %q", got)
	}
	// pcall cannot swallow the kill.
	if err := a.Write(resptest.Encode("EVAL", "while true do pcall(function() while true do end end) end", "0")); err != nil {
		t.Fatal(err)
	}
	waitRunning(t, srv)
	if got := k.MustDo(t, "SCRIPT", "KILL"); got != "+OK\r\n" {
		t.Fatalf("SCRIPT KILL: %q", got)
	}
	if got, err := a.ReadTimeout(5 * time.Second); err != nil || !strings.HasPrefix(got, "-ERR Script killed by user") {
		t.Fatalf("killed script's reply: %q %v", got, err)
	}
	if got := a.MustDo(t, "EVAL", "return 7", "0"); got != ":7\r\n" {
		t.Fatalf("EVAL after kill: %q", got)
	}
}

// TestScriptUnkillable: a script that has written cannot be killed; a
// function is killed by FUNCTION KILL, not SCRIPT KILL.
func TestScriptUnkillable(t *testing.T) {
	srv := startServer(t, "--busy-reply-threshold", "50")
	a, k := dial(t, srv), dial(t, srv)
	// Writes, then runs for a bounded while (the clock in a script is
	// TIME's, which is not frozen).
	script := "redis.call('set','w','1') local s = redis.call('time') local t0 = s[1]*1000000+s[2] " +
		"while true do local n = redis.call('time') if n[1]*1000000+n[2] - t0 > 300000 then break end end return 'done'"
	if err := a.Write(resptest.Encode("EVAL", script, "0")); err != nil {
		t.Fatal(err)
	}
	waitRunning(t, srv)
	if got := k.MustDo(t, "SCRIPT", "KILL"); got != "-"+errUnkillable+"\r\n" {
		t.Fatalf("SCRIPT KILL after a write: %q", got)
	}
	if got, err := a.ReadTimeout(5 * time.Second); err != nil || got != "$4\r\ndone\r\n" {
		t.Fatalf("script's reply: %q %v", got, err)
	}

	a.MustDo(t, "FUNCTION", "LOAD", "#!lua name=busy\nredis.register_function('loop', function() while true do end end)")
	if err := a.Write(resptest.Encode("FCALL", "loop", "0")); err != nil {
		t.Fatal(err)
	}
	waitRunning(t, srv)
	stats := k.MustDo(t, "FUNCTION", "STATS")
	if !strings.Contains(stats, "$4\r\nloop\r\n") || !strings.Contains(stats, "duration_ms") {
		t.Fatalf("FUNCTION STATS while running: %q", stats)
	}
	if got := k.MustDo(t, "SCRIPT", "KILL"); got != "-"+errBusyFunction+"\r\n" {
		t.Fatalf("SCRIPT KILL of a function: %q", got)
	}
	if got := k.MustDo(t, "FUNCTION", "KILL"); got != "+OK\r\n" {
		t.Fatalf("FUNCTION KILL: %q", got)
	}
	if got, err := a.ReadTimeout(5 * time.Second); err != nil || got != "-ERR Script killed by user with SCRIPT KILL... script: loop, on @user_function:2.\r\n" {
		t.Fatalf("killed function's reply: %q %v", got, err)
	}
}

// TestScriptAtomicUndeclaredKeys: scripts that build key names at run time
// (not in KEYS) stay atomic under concurrent clients: every script moves
// one unit between two keys of a random pair, and readers running a
// script that sums all keys always see the same total.
func TestScriptAtomicUndeclaredKeys(t *testing.T) {
	srv := startServer(t)
	setup := dial(t, srv)
	const nkeys, total = 16, 1600
	for i := 0; i < nkeys; i++ {
		setup.MustDo(t, "SET", "acct:"+strconv.Itoa(i), strconv.Itoa(total/nkeys))
	}
	move := "local a = 'acct:' .. ARGV[1] local b = 'acct:' .. ARGV[2] " +
		"local v = tonumber(redis.call('get', a)) redis.call('set', a, v - 1) for j = 1, 3000 do end " +
		"redis.call('set', b, tonumber(redis.call('get', b)) + 1) return 1"
	sum := "local s = 0 for i = 0, " + strconv.Itoa(nkeys-1) + " do s = s + tonumber(redis.call('get', 'acct:' .. i)) end return s"
	mget := []string{"MGET"}
	for i := 0; i < nkeys; i++ {
		mget = append(mget, "acct:"+strconv.Itoa(i))
	}
	var wg sync.WaitGroup
	errc := make(chan error, 8)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			c, err := resptest.Dial(srv.Addr().String())
			if err != nil {
				errc <- err
				return
			}
			defer c.Close()
			for i := 0; i < 200; i++ {
				a, b := (w*7+i)%nkeys, (w*3+i*5+1)%nkeys
				if got, err := c.Do("EVAL", move, "0", strconv.Itoa(a), strconv.Itoa(b)); err != nil || got != ":1\r\n" {
					errc <- fmt.Errorf("move: %q %v", got, err)
					return
				}
			}
		}(w)
	}
	for r := 0; r < 2; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := resptest.Dial(srv.Addr().String())
			if err != nil {
				errc <- err
				return
			}
			defer c.Close()
			for i := 0; i < 200; i++ {
				got, err := c.Do("EVAL", sum, "0")
				if err != nil || got != ":"+strconv.Itoa(total)+"\r\n" {
					errc <- fmt.Errorf("sum: %q %v", got, err)
					return
				}
				// A plain MGET of every key, beside the scripts, never
				// sees a script half done.
				raw, err := c.Do(mget...)
				if err != nil {
					errc <- err
					return
				}
				v, err := resptest.Parse(raw)
				if err != nil {
					errc <- err
					return
				}
				s := 0
				for _, e := range v.Elems {
					n, _ := strconv.Atoi(e.Str)
					s += n
				}
				if s != total {
					errc <- fmt.Errorf("MGET saw a total of %d", s)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
}

// TestScriptJournal: a script's writes are journaled as their effects,
// wrapped in MULTI/EXEC when there are several.
func TestScriptJournal(t *testing.T) {
	srv := startServer(t)
	j := captureJournal(t, srv)
	c := dial(t, srv)
	c.MustDo(t, "EVAL", "redis.call('set', KEYS[1], 'a') redis.call('incr', 'ctr') redis.call('get', 'ctr') return 1", "1", "k")
	recs := j.Take()
	want := []string{"0 MULTI", "0 SET k a", "0 SET ctr 1 KEEPTTL", "0 EXEC"}
	if strings.Join(recs, "|") != strings.Join(want, "|") {
		t.Fatalf("records: %q, want %q", recs, want)
	}
	c.MustDo(t, "EVAL", "return redis.call('get', 'ctr')", "0")
	if recs := j.Take(); len(recs) != 0 {
		t.Fatalf("a read-only script journaled %q", recs)
	}
}

// TestFunctionDumpRestore: FUNCTION DUMP's payload restores on ember and
// on Redis, and Redis's (LZF-compressed) payload restores on ember.
func TestFunctionDumpRestore(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	rc := resptest.MustDial(t, resptest.StartRedis(t))
	long := strings.Repeat("-- padding so that Redis compresses the code\n", 20)
	lib := "#!lua name=dumped\n" + long + "redis.register_function('df', function() return 'restored' end)"
	for _, conn := range []*resptest.Conn{c, rc} {
		conn.MustDo(t, "FUNCTION", "LOAD", lib)
	}
	for _, tc := range []struct {
		name     string
		from, to *resptest.Conn
	}{{"ember to ember", c, c}, {"redis to ember", rc, c}, {"ember to redis", c, rc}} {
		raw := tc.from.MustDo(t, "FUNCTION", "DUMP")
		v, err := resptest.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		if got := tc.to.MustDo(t, "FUNCTION", "RESTORE", v.Str); got != "-ERR Library dumped already exists\r\n" {
			t.Fatalf("%s: RESTORE over itself: %q", tc.name, got)
		}
		tc.to.MustDo(t, "FUNCTION", "FLUSH")
		if got := tc.to.MustDo(t, "FUNCTION", "RESTORE", v.Str); got != "+OK\r\n" {
			t.Fatalf("%s: RESTORE: %q", tc.name, got)
		}
		if got := tc.to.MustDo(t, "FCALL", "df", "0"); got != "$8\r\nrestored\r\n" {
			t.Fatalf("%s: FCALL after RESTORE: %q", tc.name, got)
		}
		if got := tc.to.MustDo(t, "FUNCTION", "RESTORE", v.Str, "REPLACE"); got != "+OK\r\n" {
			t.Fatalf("%s: RESTORE REPLACE: %q", tc.name, got)
		}
	}
	if got := c.MustDo(t, "FUNCTION", "RESTORE", "x\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"); got != "-"+errDumpPayload+"\r\n" {
		t.Fatalf("bad payload: %q", got)
	}
}

// TestRedisCRC64 checks the checksum against Redis's own test vector.
func TestRedisCRC64(t *testing.T) {
	if got := redisCRC64([]byte("123456789")); got != 0xe9c6d914c4b8d9ca {
		t.Fatalf("crc64 = %#x", got)
	}
}

// TestScriptRandomMatchesRedis: math.random is Redis's drand48 sequence,
// shared by the scripts of a server and not reseeded per script.
func TestScriptRandomMatchesRedis(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	rc := resptest.MustDial(t, resptest.StartRedis(t))
	for _, s := range []string{
		"return {math.random(1000), math.random(1000), tostring(math.random())}",
		"return {math.random(1000), math.random(5, 10)}",
		"math.randomseed(5) return {math.random(1000), math.random(1,10)}",
	} {
		if got, want := c.MustDo(t, "EVAL", s, "0"), rc.MustDo(t, "EVAL", s, "0"); got != want {
			t.Fatalf("%s: ember %q, redis %q", s, got, want)
		}
	}
}

// TestScriptCacheMemory measures what a cached script costs: 10,000
// distinct small scripts loaded with SCRIPT LOAD. It reports bytes per
// script and fails only if the cost is absurd (a leak, not a budget).
func TestScriptCacheMemory(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	c.MustDo(t, "SCRIPT", "LOAD", "return 0") // create the VMs first
	const n = 10000
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := 0; i < n; i++ {
		body := "return redis.call('get', KEYS[1]) .. '" + strconv.Itoa(i) + "'"
		if err := c.Write(resptest.Encode("SCRIPT", "LOAD", body)); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < n; i++ {
		if _, err := c.Read(); err != nil {
			t.Fatal(err)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	per := (int64(after.HeapAlloc) - int64(before.HeapAlloc)) / n
	t.Logf("script cache: %d bytes per cached script (%d scripts)", per, n)
	if per > 4*1024 {
		t.Fatalf("a cached script costs %d bytes", per)
	}
	if got := c.MustDo(t, "SCRIPT", "EXISTS", sha1Hex([]byte("return redis.call('get', KEYS[1]) .. '9999'"))); got != "*1\r\n:1\r\n" {
		t.Fatalf("SCRIPT EXISTS: %q", got)
	}
}

// BenchmarkEvalSet compares a one-key SET run directly with the same SET
// from EVAL and EVALSHA (run lock, a held database, a VM call, the reply
// conversions), through the real dispatcher on an in-process client.
func BenchmarkEvalSet(b *testing.B) {
	srv := startServer(b)
	c := strClient(b, srv)
	script := "return redis.call('set', KEYS[1], ARGV[1])"
	sha := sha1Hex([]byte(script))
	strDo(c, "SCRIPT", "LOAD", script)
	for _, bc := range []struct {
		name string
		cmd  []string
	}{
		{"SET", []string{"SET", "key:1", "value"}},
		{"EVAL", []string{"EVAL", script, "1", "key:1", "value"}},
		{"EVALSHA", []string{"EVALSHA", sha, "1", "key:1", "value"}},
		{"EVALSHA_noop", []string{"EVALSHA", sha1Hex([]byte("return 1")), "0"}},
	} {
		if bc.name == "EVALSHA_noop" {
			strDo(c, "SCRIPT", "LOAD", "return 1")
		}
		args := strArgs(bc.cmd...)
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				c.out = c.out[:0]
				c.execute(args)
			}
		})
	}
}

// TestScriptShutdown: shutting down while a script that wrote loops
// forever stops the script (as SHUTDOWN NOSAVE does).
func TestScriptShutdown(t *testing.T) {
	srv := startServer(t, "--busy-reply-threshold", "20")
	a, k := dial(t, srv), dial(t, srv)
	if err := a.Write(resptest.Encode("EVAL", "redis.call('set','w','1') while true do end", "0")); err != nil {
		t.Fatal(err)
	}
	waitRunning(t, srv)
	if got := k.MustDo(t, "SCRIPT", "KILL"); got != "-"+errUnkillable+"\r\n" {
		t.Fatalf("SCRIPT KILL: %q", got)
	}
	if err := k.Write(resptest.Encode("SHUTDOWN", "NOSAVE")); err != nil {
		t.Fatal(err)
	}
	select {
	case <-srv.ShutdownRequested():
	case <-time.After(5 * time.Second):
		t.Fatal("SHUTDOWN NOSAVE was not accepted while a script ran")
	}
	// The test's cleanup shuts the server down; it must not hang.
}

// TestScriptInMulti: EVAL queued in MULTI runs inside EXEC's held Tx.
func TestScriptInMulti(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	c.MustDo(t, "MULTI")
	c.MustDo(t, "SET", "m", "1")
	c.MustDo(t, "EVAL", "return redis.call('incr', KEYS[1])", "1", "m")
	c.MustDo(t, "EVAL", "return redis.call('get', 'other:' .. ARGV[1])", "0", "x")
	if got := c.MustDo(t, "EXEC"); got != "*3\r\n+OK\r\n:2\r\n$-1\r\n" {
		t.Fatalf("EXEC: %q", got)
	}
	if got := c.MustDo(t, "GET", "m"); got != "$1\r\n2\r\n" {
		t.Fatalf("GET: %q", got)
	}
}

// waitRunning waits until a script or function is running on srv.
func waitRunning(t *testing.T, srv *Server) {
	t.Helper()
	checkFor(t, 5*time.Second, 2*time.Millisecond, func() error {
		if srv.scripts.running.Load() == nil {
			return errors.New("no script running yet")
		}
		return nil
	})
}
