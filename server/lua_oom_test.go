package server

import (
	"fmt"
	"strings"
	"testing"
)

// TestScriptOOMEvictsFirst: past maxmemory with an allkeys policy, the
// dispatcher evicts before EVAL or FCALL takes its locks (the evictor
// takes shard locks a run holds), and the script's writes then pass; with
// noeviction the same script gets OOM from redis.call and the function is
// refused before it runs.
func TestScriptOOMEvictsFirst(t *testing.T) {
	_, c, limit := limitServer(t)
	for i := range 50 {
		c.MustDo(t, "SET", fmt.Sprintf("k%d", i), strings.Repeat("v", 100))
	}
	c.MustDo(t, "FUNCTION", "LOAD", "#!lua name=l\nredis.register_function('fset', function(keys, args) return redis.call('set', keys[1], args[1]) end)")
	limit(-1000)
	const script = "return redis.call('set', KEYS[1], 'v')"
	c.MustDo(t, "CONFIG", "SET", "maxmemory-policy", "noeviction")
	if r := c.MustDo(t, "EVAL", script, "1", "new"); !strings.HasPrefix(r, "-OOM command not allowed when used memory > 'maxmemory'. script: ") {
		t.Fatalf("noeviction: EVAL %q", r)
	}
	if r := c.MustDo(t, "FCALL", "fset", "1", "new", "v"); r != "-OOM command not allowed when used memory > 'maxmemory'.\r\n" {
		t.Fatalf("noeviction: FCALL %q", r)
	}
	c.MustDo(t, "CONFIG", "SET", "maxmemory-policy", "allkeys-lru")
	if r := c.MustDo(t, "EVAL", script, "1", "new"); r != "+OK\r\n" {
		t.Fatalf("allkeys-lru: EVAL %q", r)
	}
	if r := c.MustDo(t, "FCALL", "fset", "1", "new2", "v"); r != "+OK\r\n" {
		t.Fatalf("allkeys-lru: FCALL %q", r)
	}
	if n := infoField(t, c, "stats", "evicted_keys"); n == "0" {
		t.Fatal("nothing evicted")
	}
}
