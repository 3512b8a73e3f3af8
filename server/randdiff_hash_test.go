package server

// Randomized differential generators: hash commands. The fields come from
// a small vocabulary so commands meet the same fields; values (Value) are
// sometimes longer than hash-max-listpack-value, so hashes convert to
// hashtables along the way. A hashtable's order is Redis's own, so the
// commands listing a hash compare unordered; HRANDFIELD compares by shape;
// HSCAN's elements come in a hashtable's order too, so only its cursor is
// compared (the transcripts and cmd_hash_test.go check its contents).

func init() {
	exact := func(args ...string) randCmd { return randCmd{args: args} }
	fields := func(g *randCtx, n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = g.Member()
		}
		return out
	}
	registerRandGen("hset", 8, func(g *randCtx) randCmd {
		args := []string{g.Pick("HSET", "HMSET"), g.Key()}
		for i := g.Int(1, 4); i > 0; i-- {
			args = append(args, g.Member(), g.Value())
		}
		return exact(args...)
	})
	registerRandGen("hsetnx", 2, func(g *randCtx) randCmd { return exact("HSETNX", g.Key(), g.Member(), g.Value()) })
	registerRandGen("hget", 5, func(g *randCtx) randCmd { return exact("HGET", g.Key(), g.Member()) })
	registerRandGen("hmget", 2, func(g *randCtx) randCmd {
		return exact(append([]string{"HMGET", g.Key()}, fields(g, g.Int(1, 4))...)...)
	})
	registerRandGen("hdel", 3, func(g *randCtx) randCmd {
		return exact(append([]string{"HDEL", g.Key()}, fields(g, g.Int(1, 3))...)...)
	})
	registerRandGen("hincrby", 3, func(g *randCtx) randCmd {
		return exact("HINCRBY", g.Key(), g.Member(), g.Pick("1", "-3", "100", "0", "9223372036854775807", "-9223372036854775808", "x"))
	})
	registerRandGen("hincrbyfloat", 2, func(g *randCtx) randCmd {
		return exact("HINCRBYFLOAT", g.Key(), g.Member(), g.Pick("0.1", "-1.5", "3", "1e2", "2.5e-3", "inf", "abc"))
	})
	registerRandGen("hlen", 2, func(g *randCtx) randCmd { return exact("HLEN", g.Key()) })
	registerRandGen("hexists", 2, func(g *randCtx) randCmd { return exact("HEXISTS", g.Key(), g.Member()) })
	registerRandGen("hstrlen", 1, func(g *randCtx) randCmd { return exact("HSTRLEN", g.Key(), g.Member()) })
	registerRandGen("hgetall", 2, func(g *randCtx) randCmd {
		return randCmd{args: []string{"HGETALL", g.Key()}, mode: cmpPairs}
	})
	registerRandGen("hkeys", 2, func(g *randCtx) randCmd {
		return randCmd{args: []string{g.Pick("HKEYS", "HVALS"), g.Key()}, mode: cmpUnordered}
	})
	registerRandGen("hrandfield", 2, func(g *randCtx) randCmd {
		args := []string{"HRANDFIELD", g.Key()}
		if g.Chance(0.7) {
			args = append(args, g.IntStr(-5, 20))
			if g.Chance(0.5) {
				args = append(args, "WITHVALUES")
			}
		}
		return randCmd{args: args, mode: cmpShape}
	})
	registerRandGen("hscan", 1, func(g *randCtx) randCmd {
		args := []string{"HSCAN", g.Key(), "0", "COUNT", "1000"}
		if g.Chance(0.5) {
			args = append(args, "MATCH", g.Pick("m1*", "*", "m?"))
		}
		// With a COUNT above any hash's size both servers finish in one
		// call: cmpUnordered checks the cursor is 0 on both.
		return randCmd{args: args, mode: cmpUnordered}
	})
}
