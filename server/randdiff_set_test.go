package server

import "strconv"

// Randomized differential generators: set commands. Members are mostly
// small integers (so sets start as intsets and meet every width), with some
// strings that convert them to hashtables; set-max-intset-entries is
// sometimes lowered so that conversions by size happen too. SPOP only pops
// with a count no set can reach (a deterministic effect: everything), and
// SRANDMEMBER is compared by shape.

// setMember returns a member: mostly small integers, sometimes wider
// integers, non-canonical integers or strings.
func (g *randCtx) setMember() string {
	switch g.r.IntN(10) {
	case 0:
		return g.Pick("40000", "-40000", "5000000000", "-9223372036854775808", "9223372036854775807")
	case 1:
		return g.Pick("01", "+1", "-0", "1.5", "")
	case 2, 3:
		return "m" + strconv.Itoa(g.r.IntN(6))
	}
	return strconv.Itoa(g.r.IntN(24) - 4)
}

func (g *randCtx) setMembers(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = g.setMember()
	}
	return out
}

func init() {
	exact := func(args ...string) randCmd { return randCmd{args: args} }
	unordered := func(args ...string) randCmd { return randCmd{args: args, mode: cmpUnordered} }
	withKeys := func(cmd string, n int, g *randCtx) []string { return append([]string{cmd}, g.Keys(n)...) }

	registerRandGen("sadd", 8, func(g *randCtx) randCmd {
		return exact(append([]string{"SADD", g.Key()}, g.setMembers(g.Int(1, 6))...)...)
	})
	registerRandGen("srem", 3, func(g *randCtx) randCmd {
		return exact(append([]string{"SREM", g.Key()}, g.setMembers(g.Int(1, 4))...)...)
	})
	registerRandGen("smembers", 2, func(g *randCtx) randCmd { return unordered("SMEMBERS", g.Key()) })
	registerRandGen("sismember", 2, func(g *randCtx) randCmd {
		if g.Chance(0.5) {
			return exact("SISMEMBER", g.Key(), g.setMember())
		}
		return exact(append([]string{"SMISMEMBER", g.Key()}, g.setMembers(g.Int(1, 4))...)...)
	})
	registerRandGen("scard", 2, func(g *randCtx) randCmd { return exact("SCARD", g.Key()) })
	registerRandGen("smove", 2, func(g *randCtx) randCmd { return exact("SMOVE", g.Key(), g.Key(), g.setMember()) })
	registerRandGen("spop-all", 1, func(g *randCtx) randCmd {
		return unordered("SPOP", g.Key(), g.Pick("1000", "9223372036854775807"))
	})
	registerRandGen("spop-edge", 1, func(g *randCtx) randCmd {
		return exact("SPOP", g.Key(), g.Pick("0", "-1", "x"))
	})
	registerRandGen("srandmember", 2, func(g *randCtx) randCmd {
		args := []string{"SRANDMEMBER", g.Key()}
		if g.Chance(0.7) {
			args = append(args, g.IntStr(-30, 30))
		}
		return randCmd{args: args, mode: cmpShape}
	})
	registerRandGen("sinter", 2, func(g *randCtx) randCmd { return unordered(withKeys("SINTER", g.Int(1, 3), g)...) })
	registerRandGen("sunion", 2, func(g *randCtx) randCmd { return unordered(withKeys("SUNION", g.Int(1, 3), g)...) })
	registerRandGen("sdiff", 2, func(g *randCtx) randCmd { return unordered(withKeys("SDIFF", g.Int(1, 4), g)...) })
	registerRandGen("sstore", 3, func(g *randCtx) randCmd {
		cmd := g.Pick("SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE")
		return exact(append([]string{cmd, g.Key()}, g.Keys(g.Int(1, 4))...)...)
	})
	registerRandGen("sintercard", 1, func(g *randCtx) randCmd {
		n := g.Int(1, 3)
		args := append([]string{"SINTERCARD", strconv.Itoa(n)}, g.Keys(n)...)
		if g.Chance(0.4) {
			args = append(args, "LIMIT", g.IntStr(0, 3))
		}
		return exact(args...)
	})
	registerRandGen("sscan", 1, func(g *randCtx) randCmd {
		// A literal pattern matches at most one member, and a COUNT above
		// any set's size finishes a hashtable in one call: exact replies.
		return exact("SSCAN", g.Key(), "0", "MATCH", g.setMember(), "COUNT", "1000")
	})
	registerRandGen("set-intset-limit", 1, func(g *randCtx) randCmd {
		if g.Chance(0.8) {
			return exact("OBJECT", "ENCODING", g.Key())
		}
		return exact("CONFIG", "SET", "set-max-intset-entries", g.Pick("4", "8", "16", "512"))
	})
}
