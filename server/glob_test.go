package server

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/embercache/ember/internal/resptest"
)

// globCases are pattern/string pairs with the answer Redis's stringmatchlen
// gives (checked against redis-server by TestGlobAgainstRedis).
var globCases = []struct {
	pat, s string
	want   bool
}{
	{"", "", true},
	{"", "a", false},
	{"*", "", false}, // KEYS * and MATCH * shortcut this: they match ""
	{"**", "", false},
	{"*", "anything", true},
	{"**", "x", true},
	{"?", "", false},
	{"?", "a", true},
	{"?", "ab", false},
	{"h?llo", "hello", true},
	{"h?llo", "hllo", false},
	{"h*llo", "hllo", true},
	{"h*llo", "heeeello", true},
	{"h*llo", "hello!", false},
	{"h[ae]llo", "hello", true},
	{"h[ae]llo", "hallo", true},
	{"h[ae]llo", "hillo", false},
	{"h[^e]llo", "hallo", true},
	{"h[^e]llo", "hello", false},
	{"h[^e]llo", "hllo", false},
	{"h[a-b]llo", "hallo", true},
	{"h[a-b]llo", "hbllo", true},
	{"h[a-b]llo", "hcllo", false},
	{"h[b-a]llo", "hallo", true}, // reversed ranges are swapped
	{"h[!e]llo", "hello", true},  // '!' is not negation, just a member
	{"h[!e]llo", "hallo", false},
	{`\*`, "*", true},
	{`\*`, "a", false},
	{`\?`, "?", true},
	{`\?`, "x", false},
	{`\\`, `\`, true},
	{`\`, `\`, true}, // a trailing backslash is literal
	{`a\`, `a\`, true},
	{`\a`, "a", true},
	{`[\]]`, "]", true},
	{`[\]]`, `\`, false},
	{`[]]`, "]", false}, // "[]" is an empty class; "]" then must follow
	{`[]]`, "]]", false},
	{"[]", "", false},
	{"[]", "a", false},
	{"[^]", "a", true}, // empty negated class matches any byte
	{"[^]", "", false},
	// Unterminated classes behave as if closed at the pattern's end.
	{"[", "a", false},
	{"[", "", false},
	{"[^", "a", true},
	{"[a", "a", true},
	{"[a", "b", false},
	{"[a-", "a", true},
	{"[a-", "-", true},
	{"[a-", "b", false},
	{"[a-z", "m", true},
	{"[a-z", "mm", false},
	{`[\`, `\`, true},
	{"[a-]", "]", true}, // "a-]" is the range ']'..'a', the class stays open
	{"[a-]", "a", true},
	{"[a-]", "-", false},
	{"[-]", "-", true},
	{"[a-]b", "a", true}, // ... so "b" is a member too, not a literal
	{"[a-]b", "ab", false},
	{"*[", "x", false},
	{"a*", "a", true},
	{"a*b*c", "abc", true},
	{"a*b*c", "aXbYc", true},
	{"a*b*c", "aXbY", false},
	{"*a*a*a*a*a*a*a*a*a*b", strings.Repeat("a", 60), false},
	{"ab*", "ab", true},
	{"ab*?", "ab", false},
	{"*?", "", false},
	{"\x00*", "\x00x", true},
	{"[\x00-\x01]", "\x01", true},
	{"\xff?", "\xffy", true},
}

func TestGlobMatch(t *testing.T) {
	for _, c := range globCases {
		if got := globMatch([]byte(c.pat), []byte(c.s), false); got != c.want {
			t.Errorf("globMatch(%q, %q) = %v, want %v", c.pat, c.s, got, c.want)
		}
	}
}

func TestGlobMatchNocase(t *testing.T) {
	cases := []struct {
		pat, s string
		want   bool
	}{
		{"HeLLo", "hello", true},
		{"h[A-C]llo", "hbllo", true},
		{"h[a-c]llo", "HBLLO", true},
		{"h[^E]llo", "hello", false},
		{"h[E]llo", "hello", true},
		{`h[\E]llo`, "hello", false}, // escaped class members compare exactly
		{"h?llo", "HELLO", true},
	}
	for _, c := range cases {
		if got := globMatch([]byte(c.pat), []byte(c.s), true); got != c.want {
			t.Errorf("globMatch(%q, %q, nocase) = %v, want %v", c.pat, c.s, got, c.want)
		}
	}
}

// TestGlobNesting checks that deeply nested stars give up (Redis stops at
// 1000 levels) instead of exhausting the stack, and that long runs of
// stars collapse.
func TestGlobNesting(t *testing.T) {
	pat := []byte(strings.Repeat("a*", 2000) + "b")
	s := []byte(strings.Repeat("a", 2000) + "b")
	if globMatch(pat, s, false) {
		t.Fatal("pattern nested past 1000 levels matched")
	}
	if !globMatch([]byte(strings.Repeat("*", 5000)+"b"), []byte("ab"), false) {
		t.Fatal("run of stars did not collapse")
	}
}

// TestGlobAgainstRedis runs the table and random patterns over a fixed set
// of keys through KEYS on redis-server and compares every match set with
// globMatch's.
func TestGlobAgainstRedis(t *testing.T) {
	rc := resptest.MustDial(t, resptest.StartRedis(t))
	keys := map[string]bool{}
	for _, c := range globCases {
		keys[c.s] = true
	}
	alphabet := []byte(`ab*?[]^-\` + "\x00")
	r := rand.New(rand.NewPCG(1, 2))
	randStr := func(n int, from []byte) string {
		b := make([]byte, r.IntN(n+1))
		for i := range b {
			b[i] = from[r.IntN(len(from))]
		}
		return string(b)
	}
	for len(keys) < 400 {
		keys[randStr(6, alphabet)] = true
	}
	var all []string
	for k := range keys {
		all = append(all, k)
		if v := rc.MustDo(t, "SET", k, "1"); v != "+OK\r\n" {
			t.Fatalf("SET %q: %q", k, v)
		}
	}
	patterns := []string{}
	for _, c := range globCases {
		patterns = append(patterns, c.pat)
	}
	for i := 0; i < 1500; i++ {
		patterns = append(patterns, randStr(7, alphabet))
	}
	for _, pat := range patterns {
		reply, err := resptest.Parse(rc.MustDo(t, "KEYS", pat))
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for _, e := range reply.Elems {
			want = append(want, e.Str)
		}
		var got []string
		for _, k := range all {
			// KEYS * returns every key without matching (even "", which
			// the matcher itself rejects), as Redis does.
			if pat == "*" || globMatch([]byte(pat), []byte(k), false) {
				got = append(got, k)
			}
		}
		if only, missing := setDiff(got, want); len(only)+len(missing) > 0 {
			t.Errorf("pattern %q: ember only %q, redis only %q", pat, only, missing)
		}
	}
}

// setDiff returns the elements only in a and those only in b.
func setDiff(a, b []string) (onlyA, onlyB []string) {
	inA := map[string]bool{}
	for _, x := range a {
		inA[x] = true
	}
	inB := map[string]bool{}
	for _, x := range b {
		inB[x] = true
		if !inA[x] {
			onlyB = append(onlyB, x)
		}
	}
	for _, x := range a {
		if !inB[x] {
			onlyA = append(onlyA, x)
		}
	}
	slices.Sort(onlyA)
	slices.Sort(onlyB)
	return onlyA, onlyB
}
