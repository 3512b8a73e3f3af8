package server

import (
	"slices"
	"testing"

	"github.com/embercache/ember/internal/resptest"
)

// TestMonitorScripts checks the MONITOR lines of scripts, functions and
// transactions against lines recorded from redis-server 7.0.15 (and, when
// one is installed, against a live one): a script command shows before the
// commands its script runs, whatever its outcome; those show as "lua" with
// the script's database after the command (SELECT inside a script);
// commands a script is refused (noscript, unknown, wrong arity, writes in
// a read-only script) and admin commands do not show; MULTI shows when
// sent, the queued commands when EXEC runs them, then EXEC.
func TestMonitorScripts(t *testing.T) {
	const lib = "#!lua name=mlib\n" +
		"redis.register_function('f', function(keys, args) return redis.call('set', keys[1], args[1]) end)\n" +
		"redis.register_function{function_name='ro', callback=function(keys, args) return redis.call('get', keys[1]) end, flags={'no-writes'}}"
	steps := [][]string{
		{"SET", "str", "v"},
		{"EVAL", "redis.call('set','k','v') redis.call('select','3') redis.call('set','k2','a b\"c') return redis.call('get','k2')", "0"},
		{"EVAL", "return redis.pcall('incr','nokey', 'extra')", "0"},
		{"EVAL", "return redis.call('SeT','é\\n','\\0')", "0"},
		{"EVAL", "return redis.pcall('lpush','str','y')", "0"},
		{"EVAL", "redis.call('select','7') return redis.call('eval','return 1','0')", "0"},
		{"EVAL", "return redis.call('auth','x')", "0"},
		{"EVAL", "return redis.call('nosuch')", "0"},
		{"EVAL", "return redis.call('slowlog','len')", "0"},
		{"EVAL", "redis.call('info','server') return 1", "0"},
		{"EVAL", "error('x')", "0"},
		{"EVAL", "return 1", "3", "a"},
		{"EVALSHA", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "1", "k"},
		{"EVAL_RO", "return redis.call('get', KEYS[1])", "1", "k"},
		{"EVAL_RO", "return redis.call('set','x','y')", "0"},
		{"EVAL", "#!lua flags=no-writes\nreturn redis.call('set','x','y')", "0"},
		{"FUNCTION", "LOAD", "REPLACE", lib},
		{"FCALL", "f", "1", "fk", "fv"},
		{"FCALL_RO", "ro", "1", "fk"},
		{"FCALL", "nosuch", "0"},
		{"SELECT", "5"},
		{"EVAL", "return redis.call('ping')", "0"},
		{"MULTI"},
		{"SET", "a", "1"},
		{"CONFIG", "GET", "port"},
		{"EVAL", "return redis.call('get','a')", "0"},
		{"SELECT", "2"},
		{"GET", "a"},
		{"EXEC"},
		{"MULTI"},
		{"SET", "a", "1"},
		{"NOSUCH"},
		{"EXEC"},
		{"MULTI"},
		{"SET", "a", "1"},
		{"DISCARD"},
		{"WATCH", "w"},
		{"SET", "w", "1"},
		{"MULTI"},
		{"SET", "a", "2"},
		{"EXEC"},
		{"ECHO", "end"},
	}
	want := []string{
		`[0] "SET" "str" "v"`,
		`[0] "EVAL" "redis.call('set','k','v') redis.call('select','3') redis.call('set','k2','a b\"c') return redis.call('get','k2')" "0"`,
		`[0 lua] "set" "k" "v"`,
		`[3 lua] "select" "3"`,
		`[3 lua] "set" "k2" "a b\"c"`,
		`[3 lua] "get" "k2"`,
		`[0] "EVAL" "return redis.pcall('incr','nokey', 'extra')" "0"`,
		`[0] "EVAL" "return redis.call('SeT','\xc3\xa9\\n','\\0')" "0"`,
		`[0 lua] "SeT" "\xc3\xa9\n" "\x00"`,
		`[0] "EVAL" "return redis.pcall('lpush','str','y')" "0"`,
		`[0 lua] "lpush" "str" "y"`,
		`[0] "EVAL" "redis.call('select','7') return redis.call('eval','return 1','0')" "0"`,
		`[7 lua] "select" "7"`,
		`[0] "EVAL" "return redis.call('auth','x')" "0"`,
		`[0] "EVAL" "return redis.call('nosuch')" "0"`,
		`[0] "EVAL" "return redis.call('slowlog','len')" "0"`,
		`[0] "EVAL" "redis.call('info','server') return 1" "0"`,
		`[0 lua] "info" "server"`,
		`[0] "EVAL" "error('x')" "0"`,
		`[0] "EVAL" "return 1" "3" "a"`,
		`[0] "EVALSHA" "e0e1f9fabfc9d4800c877a703b823ac0578ff8db" "1" "k"`,
		`[0] "EVAL_RO" "return redis.call('get', KEYS[1])" "1" "k"`,
		`[0 lua] "get" "k"`,
		`[0] "EVAL_RO" "return redis.call('set','x','y')" "0"`,
		`[0] "EVAL" "#!lua flags=no-writes\nreturn redis.call('set','x','y')" "0"`,
		`[0] "FUNCTION" "LOAD" "REPLACE" "#!lua name=mlib\nredis.register_function('f', function(keys, args) return redis.call('set', keys[1], args[1]) end)\nredis.register_function{function_name='ro', callback=function(keys, args) return redis.call('get', keys[1]) end, flags={'no-writes'}}"`,
		`[0] "FCALL" "f" "1" "fk" "fv"`,
		`[0 lua] "set" "fk" "fv"`,
		`[0] "FCALL_RO" "ro" "1" "fk"`,
		`[0 lua] "get" "fk"`,
		`[0] "FCALL" "nosuch" "0"`,
		`[5] "SELECT" "5"`,
		`[5] "EVAL" "return redis.call('ping')" "0"`,
		`[5 lua] "ping"`,
		`[5] "MULTI"`,
		`[5] "SET" "a" "1"`,
		`[5] "EVAL" "return redis.call('get','a')" "0"`,
		`[5 lua] "get" "a"`,
		`[2] "SELECT" "2"`,
		`[2] "GET" "a"`,
		`[2] "EXEC"`,
		`[2] "MULTI"`,
		`[2] "EXEC"`,
		`[2] "MULTI"`,
		`[2] "DISCARD"`,
		`[2] "WATCH" "w"`,
		`[2] "SET" "w" "1"`,
		`[2] "MULTI"`,
		`[2] "EXEC"`,
		`[2] "ECHO" "end"`,
	}
	for i := range want {
		want[i] += "\r\n"
	}
	run := func(name, addr string) {
		mon := resptest.MustDial(t, addr)
		if r := mon.MustDo(t, "MONITOR"); r != "+OK\r\n" {
			t.Fatalf("%s: MONITOR %q", name, r)
		}
		c := resptest.MustDial(t, addr)
		for _, cmd := range steps {
			c.MustDo(t, cmd...)
		}
		if got := readMonitor(t, mon, len(want)); !slices.Equal(got, want) {
			for i := range got {
				if got[i] != want[i] {
					t.Errorf("%s: line %d %q, want %q", name, i, got[i], want[i])
				}
			}
			t.FailNow()
		}
	}
	run("ember", startServer(t).Addr().String())
	run("redis", resptest.StartRedis(t))
}
