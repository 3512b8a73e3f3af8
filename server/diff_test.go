package server

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/embercache/ember/internal/resptest"
)

// Differential tests: every transcript in testdata/diff runs, command by
// command, against ember and a real redis-server, and the replies must be
// byte-identical. A transcript is a list of commands in redis-cli's quoting
// ("double quotes" with \xHH escapes, 'single quotes'); blank lines and
// lines starting with '#' are ignored. A command may be prefixed with a
// directive that relaxes the comparison where Redis's own output is not
// deterministic:
//
//	!sort CMD            compare arrays after sorting their elements
//	!nocompare CMD       run on both, compare nothing (setup)
//	!type CMD            compare only the reply's frame type
//	!intrange LO HI CMD  both replies are integers within [LO, HI]
//	!sleep MS            pause (for expiry)
//	!conn NAME           later commands use connection NAME (opened on
//	                     first use on both servers); "!conn main" returns
//	!resp3               switch the current connection to RESP3 (HELLO 3)
//	!read                read one more reply on the current connection
//	                     (a published message, the 2nd confirmation of
//	                     SUBSCRIBE a b) from both servers and compare
//	!drain               send PING on the current connection and compare
//	                     every reply up to PING's (all pending messages)
//	!send CMD            send CMD on the current connection without reading
//	                     its reply (a blocking command; !read it later)
//	!blocked N           wait until both servers report N blocked clients
//
// The expected output is never written down: it is whatever redis-server
// answers, so a transcript is a differential test by construction.
func TestDifferential(t *testing.T) {
	files, err := filepath.Glob("testdata/diff/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no transcripts: %v", err)
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".txt"), func(t *testing.T) {
			t.Parallel()
			runTranscript(t, f)
		})
	}
}

type diffPair struct{ ember, redis *resptest.Conn }

func runTranscript(t *testing.T, path string) {
	redisAddr := resptest.StartRedis(t)
	srv := startServer(t)
	emberAddr := srv.Addr().String()
	conns := map[string]diffPair{}
	open := func(name string) diffPair {
		if p, ok := conns[name]; ok {
			return p
		}
		p := diffPair{resptest.MustDial(t, emberAddr), resptest.MustDial(t, redisAddr)}
		conns[name] = p
		return p
	}
	cur := open("main")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	lineNo := 0
	mismatches := 0
	for sc.Scan() {
		lineNo++
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		where := fmt.Sprintf("%s:%d", filepath.Base(path), lineNo)
		mode, lo, hi := "exact", int64(0), int64(0)
		if line[0] == '!' {
			word, rest, _ := strings.Cut(line, " ")
			switch word {
			case "!sleep":
				ms, _ := strconv.Atoi(rest)
				time.Sleep(time.Duration(ms) * time.Millisecond)
				continue
			case "!conn":
				cur = open(strings.TrimSpace(rest))
				continue
			case "!resp3":
				cur.ember.MustDo(t, "HELLO", "3")
				cur.redis.MustDo(t, "HELLO", "3")
				continue
			case "!drain":
				got, want := drainUntilPong(t, where, "ember", cur.ember), drainUntilPong(t, where, "redis", cur.redis)
				if got != want {
					mismatches++
					t.Errorf("%s: !drain\n   ember: %q\n   redis: %q", where, got, want)
				}
				continue
			case "!send":
				args := transcriptArgs(t, where, rest)
				for _, c := range []*resptest.Conn{cur.ember, cur.redis} {
					if err := c.Write(resptest.Encode(args...)); err != nil {
						t.Fatalf("%s: !send: %v", where, err)
					}
				}
				continue
			case "!blocked":
				n, err := strconv.Atoi(strings.TrimSpace(rest))
				if err != nil {
					t.Fatalf("%s: bad !blocked", where)
				}
				ctl := open("\x00blocked") // a name no transcript uses
				waitBlockedBoth(t, where, ctl, n)
				continue
			case "!read":
				got, err := cur.ember.Read()
				if err != nil {
					t.Fatalf("%s: ember: !read: %v", where, err)
				}
				want, err := cur.redis.Read()
				if err != nil {
					t.Fatalf("%s: redis: !read: %v", where, err)
				}
				if got != want {
					mismatches++
					t.Errorf("%s: !read\n   ember: %q\n   redis: %q", where, got, want)
				}
				continue
			case "!sort", "!nocompare", "!type":
				mode = word[1:]
				line = rest
			case "!intrange":
				f := strings.SplitN(rest, " ", 3)
				if len(f) != 3 {
					t.Fatalf("%s: bad !intrange", where)
				}
				lo, _ = strconv.ParseInt(f[0], 10, 64)
				hi, _ = strconv.ParseInt(f[1], 10, 64)
				mode, line = "intrange", f[2]
			default:
				t.Fatalf("%s: unknown directive %s", where, word)
			}
		}
		args := transcriptArgs(t, where, line)
		got, err := cur.ember.Do(args...)
		if err != nil {
			t.Fatalf("%s: ember: %q: %v", where, line, err)
		}
		want, err := cur.redis.Do(args...)
		if err != nil {
			t.Fatalf("%s: redis: %q: %v", where, line, err)
		}
		if msg := compareReplies(mode, lo, hi, got, want); msg != "" {
			mismatches++
			t.Errorf("%s: %s\n   ember: %q\n   redis: %q\n   (%s)", where, line, got, want, msg)
			if mismatches > 30 {
				t.Fatal("too many mismatches")
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
}

// transcriptArgs splits a transcript command line into arguments.
func transcriptArgs(t *testing.T, where, line string) []string {
	words, ok := splitArgs([]byte(line), nil)
	if !ok || len(words) == 0 {
		t.Fatalf("%s: cannot parse %q", where, line)
	}
	args := make([]string, len(words))
	for i, w := range words {
		args[i] = string(w)
	}
	return args
}

// waitBlockedBoth waits until INFO on both servers of ctl reports n
// blocked clients.
func waitBlockedBoth(t *testing.T, where string, ctl diffPair, n int) {
	want := "blocked_clients:" + strconv.Itoa(n) + "\r\n"
	for _, c := range []*resptest.Conn{ctl.ember, ctl.redis} {
		checkFor(t, 5*time.Second, time.Millisecond, func() error {
			info, err := c.Do("INFO", "clients")
			if err != nil {
				t.Fatalf("%s: !blocked: %v", where, err)
			}
			if !strings.Contains(info, want) {
				return fmt.Errorf("%s: !blocked: want %q in %q", where, want, info)
			}
			return nil
		})
	}
}

// drainUntilPong sends PING and returns every reply up to and including
// PING's (RESP2 subscribed or not, or RESP3).
func drainUntilPong(t *testing.T, where, name string, c *resptest.Conn) string {
	if err := c.Write(resptest.Encode("PING")); err != nil {
		t.Fatalf("%s: %s: !drain: %v", where, name, err)
	}
	var all strings.Builder
	for {
		r, err := c.Read()
		if err != nil {
			t.Fatalf("%s: %s: !drain: %v (after %q)", where, name, err, all.String())
		}
		all.WriteString(r)
		if r == "+PONG\r\n" || r == "*2\r\n$4\r\npong\r\n$0\r\n\r\n" {
			return all.String()
		}
	}
}

func compareReplies(mode string, lo, hi int64, got, want string) string {
	switch mode {
	case "nocompare":
		return ""
	case "type":
		if got[0] != want[0] {
			return "frame types differ"
		}
		return ""
	case "intrange":
		for _, r := range []string{got, want} {
			v, err := resptest.Parse(r)
			if err != nil || v.Type != ':' || v.Int < lo || v.Int > hi {
				return fmt.Sprintf("not an integer in [%d, %d]", lo, hi)
			}
		}
		return ""
	case "sort":
		g, err1 := resptest.Parse(got)
		w, err2 := resptest.Parse(want)
		if err1 != nil || err2 != nil {
			return "unparsable"
		}
		if g.Type != w.Type || len(g.Elems) != len(w.Elems) {
			if got == want {
				return ""
			}
			return "arrays differ in type or length"
		}
		gs, ws := flatStrings(g), flatStrings(w)
		slices.Sort(gs)
		slices.Sort(ws)
		if !slices.Equal(gs, ws) {
			return "arrays differ as multisets"
		}
		return ""
	}
	if got != want {
		return "replies differ"
	}
	return ""
}

func flatStrings(v resptest.Value) []string {
	var out []string
	for _, e := range v.Elems {
		out = append(out, fmt.Sprintf("%c%s%d%v", e.Type, e.Str, e.Int, e.Null))
	}
	return out
}
