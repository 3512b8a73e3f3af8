package server

import (
	"bytes"
	"hash/fnv"
	"math/rand"
	"slices"
	"strings"
	"testing"

	"github.com/embercache/ember/internal/resptest"
)

// Fuzz targets. Their seed corpora in testdata/fuzz run as ordinary tests;
// `go test ./server -run '^$' -fuzz FuzzReader` explores further.

// fuzzLimits are small enough that the fuzzer reaches them.
var fuzzLimits = readerLimits{maxBulk: 1 << 20, maxQuery: 1 << 20}

// FuzzReader feeds random bytes to the request reader: it must never
// panic, never hold a buffer larger than client-query-buffer-limit, and
// parse the same commands and the same error whether the input arrives
// whole, one byte per Read or in random chunks.
func FuzzReader(f *testing.F) {
	for _, tc := range readerCases() {
		if len(tc.in) <= 4096 {
			f.Add([]byte(tc.in), tc.lim != nil && tc.lim.unauthed)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, unauthed bool) {
		lim := fuzzLimits
		lim.unauthed = unauthed
		type result struct {
			cmds [][]string
			err  string
		}
		var results []result
		var names []string
		for name, rd := range feeds(data) {
			cmds, maxBuf, err := parseFeed(rd, lim)
			if maxBuf > max(int(lim.maxQuery), protoIOBufLen) {
				t.Fatalf("%s: reader buffer grew to %d bytes (limit %d)", name, maxBuf, lim.maxQuery)
			}
			results = append(results, result{cmds, errText(err)})
			names = append(names, name)
		}
		for i := 1; i < len(results); i++ {
			a, b := results[0], results[i]
			if a.err != b.err || !slices.EqualFunc(a.cmds, b.cmds, slices.Equal) {
				t.Fatalf("%s and %s disagree:\n %q %q\n %q %q", names[0], names[i], a.cmds, a.err, b.cmds, b.err)
			}
		}
	})
}

// fuzzDenied are commands FuzzDispatch does not run: they end the
// connection or the process, change settings shared by the whole test
// binary (CONFIG SET dir changes the working directory, requirepass locks
// other connections out), answer once per argument by design (the
// (un)subscribe family, which pubsub_test.go covers), or block for as long
// as the input says.
var fuzzDenied = map[string]bool{
	"shutdown": true, "quit": true, "client|kill": true, "config|set": true,
	"config|rewrite": true, "subscribe": true, "psubscribe": true, "ssubscribe": true,
	"unsubscribe": true, "punsubscribe": true, "sunsubscribe": true,
	"bzpopmin": true, "bzpopmax": true, "bzmpop": true,
}

// fuzzBlocking reports whether name is a blocking command (BLPOP, BZPOPMIN,
// ...): with a fuzzed timeout it may wait for data that never comes. Their
// argument parsing is covered by the transcripts and the randomized test.
func fuzzBlocking(table *commandTable, name string) bool {
	cmd := table.byName[name]
	return cmd != nil && cmd.Flags&FlagBlocking != 0
}

// fuzzSentinel is a command no table holds; its reply is fixed, so reading
// it after a command proves that command sent exactly one reply.
var (
	fuzzSentinel      = []string{"ember-fuzz-sentinel"}
	fuzzSentinelReply = "-ERR unknown command 'ember-fuzz-sentinel', with args beginning with: \r\n"
)

// fuzzCommands turns fuzz input into argument vectors: one command per
// line, arguments separated by spaces (an argument may hold any other
// byte). A first word that is not a command name picks a table entry by
// its hash, so every input runs real handlers; a subcommand entry expands
// to its two words.
func fuzzCommands(table *commandTable, data []byte) [][][]byte {
	names := table.all()
	var out [][][]byte
	for _, line := range bytes.Split(data, []byte("\n")) {
		if len(out) == 8 {
			break
		}
		words := bytes.FieldsFunc(line, func(r rune) bool { return r == ' ' })
		if len(words) == 0 {
			continue
		}
		if len(words) > 16 {
			words = words[:16]
		}
		if table.lookupName(words[0]) == nil {
			h := fnv.New32a()
			h.Write(words[0])
			cmd := names[int(h.Sum32()%uint32(len(names)))]
			parent, sub, isSub := strings.Cut(cmd.Name, "|")
			head := [][]byte{[]byte(parent)}
			if isSub {
				head = append(head, []byte(sub))
			}
			words = append(head, words[1:]...)
		}
		out = append(out, words)
	}
	return out
}

// fuzzFullName is the table name a command line resolves to
// ("client|list"), or "" for unknown commands.
func fuzzFullName(table *commandTable, args [][]byte) string {
	cmd := table.lookupName(args[0])
	if cmd == nil {
		return ""
	}
	if cmd.subs != nil && len(args) >= 2 {
		if sub := cmd.subcommand(args[1]); sub != nil {
			return sub.Name
		}
	}
	return cmd.Name
}

// FuzzDispatch runs random argument vectors, built on the command table's
// names, against an in-process server over a real connection. Every
// command must get exactly one well-formed reply, no handler may panic
// (the dispatcher turns a panic into "ERR internal error"), and the server
// must keep answering PING.
func FuzzDispatch(f *testing.F) {
	srv := startServer(f)
	addr := srv.Addr().String()
	f.Cleanup(func() {
		c, err := resptest.Dial(addr)
		if err != nil {
			f.Errorf("server gone after fuzzing: %v", err)
			return
		}
		defer c.Close()
		if r, err := c.Do("PING"); err != nil || r != "+PONG\r\n" {
			f.Errorf("PING after fuzzing: %q %v", r, err)
		}
	})
	// Seeds beyond testdata/fuzz/FuzzDispatch: every table entry once with
	// typical arguments and once bare.
	rng := rand.New(rand.NewSource(1))
	for _, cmd := range srv.cmds.all() {
		line := strings.ReplaceAll(cmd.Name, "|", " ")
		f.Add([]byte(line))
		f.Add([]byte(line + " k " + []string{"1", "v", "-1", "0", "10", "*"}[rng.Intn(6)] + " EX 100"))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := resptest.Dial(addr)
		if err != nil {
			t.Fatalf("dial: %v", err)
		}
		defer c.Close()
		for _, args := range fuzzCommands(srv.cmds, data) {
			if name := fuzzFullName(srv.cmds, args); fuzzDenied[name] || fuzzBlocking(srv.cmds, name) {
				continue
			}
			strs := make([]string, len(args))
			for i, a := range args {
				strs[i] = string(a)
			}
			reply, err := c.Do(strs...)
			if err != nil {
				t.Fatalf("%q: no reply: %v", strs, err)
			}
			if _, err := resptest.Parse(reply); err != nil {
				t.Fatalf("%q: malformed reply %q: %v", strs, reply, err)
			}
			if strings.HasPrefix(reply, "-ERR internal error") {
				t.Fatalf("%q: handler panicked: %q", strs, reply)
			}
			if r, err := c.Do(fuzzSentinel...); err != nil || r != fuzzSentinelReply {
				t.Fatalf("%q: sent more than one reply (next: %q, %v)", strs, r, err)
			}
		}
		// Keep the keyspace small over a long fuzzing run.
		if r, err := c.Do("FLUSHALL"); err != nil {
			t.Fatalf("FLUSHALL: no reply: %v", err)
		} else if _, err := resptest.Parse(r); err != nil {
			t.Fatalf("FLUSHALL: malformed reply %q", r)
		}
	})
}
