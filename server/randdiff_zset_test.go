package server

import "strconv"

// Randomized differential generators: sorted sets.
//
// Scores are small integers, halves, and infinities, so every sum and
// weight the commands compute is exact in both servers. The shared keys
// (g.Key) only ever hold members from the short vocabulary, so their sorted
// sets stay listpacks, where ember follows Redis's scans exactly even for
// lexicographic ranges over mixed scores. The "zsl" keys get a bigger
// vocabulary and long members, so they turn into skiplists; lexicographic
// ranges are only asked of the "zlex" keys, whose scores are all 0 (on a
// skiplist with mixed scores Redis's answer depends on its random levels).

func init() {
	exact := func(args ...string) randCmd { return randCmd{args: args} }
	score := func(g *randCtx) string {
		return g.Pick("0", "1", "2", "3", "-1", "1.5", "-2.5", "10", "100", "0.5", "inf", "-inf", "7")
	}
	bound := func(g *randCtx) string {
		switch g.Int(0, 5) {
		case 0:
			return g.Pick("-inf", "+inf", "(-inf", "(+inf")
		case 1:
			return "(" + score(g)
		}
		return score(g)
	}
	lexBound := func(g *randCtx) string {
		switch g.Int(0, 4) {
		case 0:
			return g.Pick("-", "+")
		case 1:
			return "(" + g.Member()
		case 2:
			return g.Pick("[", "(", "[m", "(m1")
		}
		return "[" + g.Member()
	}
	pairs := func(g *randCtx, n int, member func() string) []string {
		var out []string
		for i := 0; i < n; i++ {
			out = append(out, score(g), member())
		}
		return out
	}
	withscores := func(g *randCtx, args []string) []string {
		if g.Chance(0.5) {
			args = append(args, "WITHSCORES")
		}
		return args
	}
	limit := func(g *randCtx, args []string) []string {
		if g.Chance(0.4) {
			args = append(args, "LIMIT", g.IntStr(-1, 4), g.IntStr(-1, 5))
		}
		return args
	}
	nkeys := func(g *randCtx, keys func() string) []string {
		n := g.Int(1, 3)
		out := []string{strconv.Itoa(n)}
		for i := 0; i < n; i++ {
			out = append(out, keys())
		}
		return out
	}

	registerRandGen("zadd", 7, func(g *randCtx) randCmd {
		args := []string{"ZADD", g.Key()}
		for _, o := range []string{"NX", "XX", "GT", "LT", "CH", "INCR"} {
			if g.Chance(0.1) {
				args = append(args, o)
			}
		}
		n := g.Int(1, 4)
		if g.Chance(0.05) {
			n = 0
		}
		return exact(append(args, pairs(g, n, g.Member)...)...)
	})
	registerRandGen("zincrby", 2, func(g *randCtx) randCmd {
		return exact("ZINCRBY", g.Key(), score(g), g.Member())
	})
	registerRandGen("zrem", 2, func(g *randCtx) randCmd {
		args := []string{"ZREM", g.Key()}
		for i := g.Int(1, 3); i > 0; i-- {
			args = append(args, g.Member())
		}
		return exact(args...)
	})
	registerRandGen("zread", 5, func(g *randCtx) randCmd {
		switch g.Int(0, 6) {
		case 0:
			return exact("ZCARD", g.Key())
		case 1:
			return exact("ZSCORE", g.Key(), g.Member())
		case 2:
			return exact("ZMSCORE", g.Key(), g.Member(), g.Member())
		case 3:
			return exact(g.Pick("ZRANK", "ZREVRANK"), g.Key(), g.Member())
		case 4:
			return exact("ZCOUNT", g.Key(), bound(g), bound(g))
		case 5:
			return exact("ZLEXCOUNT", g.Key(), lexBound(g), lexBound(g))
		}
		return exact("ZSCAN", g.Key(), "0")
	})
	registerRandGen("zrange", 6, func(g *randCtx) randCmd {
		k := g.Key()
		switch g.Int(0, 5) {
		case 0:
			args := []string{"ZRANGE", k, g.IntStr(-6, 6), g.IntStr(-6, 6)}
			if g.Chance(0.3) {
				args = append(args, "REV")
			}
			return exact(withscores(g, args)...)
		case 1:
			args := []string{"ZRANGE", k, bound(g), bound(g), "BYSCORE"}
			if g.Chance(0.3) {
				args = append(args, "REV")
			}
			return exact(limit(g, withscores(g, args))...)
		case 2:
			args := []string{"ZRANGE", k, lexBound(g), lexBound(g), "BYLEX"}
			if g.Chance(0.3) {
				args = append(args, "REV")
			}
			return exact(limit(g, args)...)
		case 3:
			return exact(withscores(g, []string{g.Pick("ZREVRANGE"), k, g.IntStr(-6, 6), g.IntStr(-6, 6)})...)
		case 4:
			return exact(limit(g, withscores(g, []string{g.Pick("ZRANGEBYSCORE", "ZREVRANGEBYSCORE"), k, bound(g), bound(g)}))...)
		}
		return exact(limit(g, []string{g.Pick("ZRANGEBYLEX", "ZREVRANGEBYLEX"), k, lexBound(g), lexBound(g)})...)
	})
	registerRandGen("zremrange", 2, func(g *randCtx) randCmd {
		switch g.Int(0, 2) {
		case 0:
			return exact("ZREMRANGEBYRANK", g.Key(), g.IntStr(-4, 4), g.IntStr(-4, 4))
		case 1:
			return exact("ZREMRANGEBYSCORE", g.Key(), bound(g), bound(g))
		}
		return exact("ZREMRANGEBYLEX", g.Key(), lexBound(g), lexBound(g))
	})
	registerRandGen("zpop", 3, func(g *randCtx) randCmd {
		switch g.Int(0, 1) {
		case 0:
			args := []string{g.Pick("ZPOPMIN", "ZPOPMAX"), g.Key()}
			if g.Chance(0.5) {
				args = append(args, g.IntStr(0, 4))
			}
			return exact(args...)
		}
		args := append([]string{"ZMPOP"}, nkeys(g, g.Key)...)
		args = append(args, g.Pick("MIN", "MAX"))
		if g.Chance(0.5) {
			args = append(args, "COUNT", g.IntStr(1, 4))
		}
		return exact(args...)
	})
	// Blocking pops: when there is nothing to pop, Redis answers the 1 ms
	// timeout at its next cron tick (up to 100 ms later), so they are rare
	// enough to keep the run short (the shared keys' TTLs are a second).
	registerRandGen("zbpop", 1, func(g *randCtx) randCmd {
		if g.Chance(0.98) {
			return exact(g.Pick("ZPOPMIN", "ZPOPMAX"), g.Key())
		}
		if g.Chance(0.5) {
			return exact(g.Pick("BZPOPMIN", "BZPOPMAX"), g.Key(), g.Key(), "0.001")
		}
		args := append([]string{"BZMPOP", "0.001"}, nkeys(g, g.Key)...)
		return exact(append(args, g.Pick("MIN", "MAX"), "COUNT", g.IntStr(1, 3))...)
	})
	registerRandGen("zsetop", 4, func(g *randCtx) randCmd {
		op := g.Pick("ZUNION", "ZINTER", "ZDIFF", "ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE", "ZINTERCARD")
		args := []string{op}
		store := op[len(op)-5:] == "STORE"
		if store {
			args = append(args, g.Key())
		}
		keys := nkeys(g, g.Key)
		args = append(args, keys...)
		n, _ := strconv.Atoi(keys[0])
		switch op {
		case "ZINTERCARD":
			if g.Chance(0.5) {
				args = append(args, "LIMIT", g.IntStr(0, 3))
			}
			return exact(args...)
		case "ZDIFF", "ZDIFFSTORE":
		default:
			if g.Chance(0.4) {
				args = append(args, "WEIGHTS")
				for i := 0; i < n; i++ {
					args = append(args, g.Pick("1", "2", "0.5", "-1", "0"))
				}
			}
			if g.Chance(0.4) {
				args = append(args, "AGGREGATE", g.Pick("SUM", "MIN", "MAX"))
			}
		}
		if !store {
			args = withscores(g, args)
		}
		return exact(args...)
	})
	registerRandGen("zrangestore", 1, func(g *randCtx) randCmd {
		args := []string{"ZRANGESTORE", g.Key(), g.Key()}
		if g.Chance(0.5) {
			args = append(args, g.IntStr(-4, 4), g.IntStr(-4, 4))
		} else {
			args = limit(g, append(args, bound(g), bound(g), "BYSCORE"))
		}
		return exact(args...)
	})
	registerRandGen("zrandmember", 1, func(g *randCtx) randCmd {
		args := []string{"ZRANDMEMBER", g.Key()}
		if g.Chance(0.7) {
			args = withscores(g, append(args, g.IntStr(-5, 5)))
		}
		return randCmd{args: args, mode: cmpShape}
	})

	// Big sets (skiplists) under their own keys.
	zslKey := func(g *randCtx) string { return "zsl" + g.IntStr(0, 2) }
	bigMember := func(g *randCtx) func() string {
		return func() string {
			if g.Chance(0.02) {
				return "long-member-" + g.IntStr(0, 3) + "-" + "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
			}
			return "b" + g.IntStr(0, 299)
		}
	}
	registerRandGen("zsl-write", 4, func(g *randCtx) randCmd {
		k := zslKey(g)
		switch g.Int(0, 5) {
		case 0, 1:
			return exact(append([]string{"ZADD", k}, pairs(g, g.Int(1, 20), bigMember(g))...)...)
		case 2:
			return exact("ZINCRBY", k, score(g), bigMember(g)())
		case 3:
			return exact("ZREM", k, bigMember(g)(), bigMember(g)())
		case 4:
			return exact(g.Pick("ZPOPMIN", "ZPOPMAX"), k, g.IntStr(1, 3))
		}
		return exact(g.Pick("ZREMRANGEBYRANK"), k, g.IntStr(0, 3), g.IntStr(0, 5))
	})
	registerRandGen("zsl-read", 4, func(g *randCtx) randCmd {
		k := zslKey(g)
		switch g.Int(0, 7) {
		case 0:
			return exact("ZCARD", k)
		case 1:
			return exact(g.Pick("ZRANK", "ZREVRANK"), k, bigMember(g)())
		case 2:
			return exact("ZMSCORE", k, bigMember(g)(), bigMember(g)())
		case 3:
			return exact("ZCOUNT", k, bound(g), bound(g))
		case 4:
			args := []string{"ZRANGE", k, g.IntStr(-40, 40), g.IntStr(-40, 40)}
			if g.Chance(0.3) {
				args = append(args, "REV")
			}
			return exact(withscores(g, args)...)
		case 5:
			return exact(limit(g, withscores(g, []string{g.Pick("ZRANGEBYSCORE", "ZREVRANGEBYSCORE"), k, bound(g), bound(g)}))...)
		case 6:
			return exact("OBJECT", "ENCODING", k)
		}
		op := g.Pick("ZUNION", "ZINTER", "ZDIFF")
		return exact(withscores(g, []string{op, "2", k, zslKey(g)})...)
	})
	registerRandGen("zsl-store", 1, func(g *randCtx) randCmd {
		switch g.Int(0, 1) {
		case 0:
			return exact(g.Pick("ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE"), zslKey(g), "2", zslKey(g), zslKey(g))
		}
		return exact("ZRANGESTORE", zslKey(g), zslKey(g), g.IntStr(0, 50), g.IntStr(0, 200))
	})
	zlexKey := func(g *randCtx) string { return "zlex" + g.IntStr(0, 1) }
	registerRandGen("zlex", 3, func(g *randCtx) randCmd {
		k := zlexKey(g)
		m := bigMember(g)
		lb := func() string {
			switch g.Int(0, 3) {
			case 0:
				return g.Pick("-", "+")
			case 1:
				return "(" + m()
			}
			return "[" + m()
		}
		switch g.Int(0, 5) {
		case 0:
			args := []string{"ZADD", k}
			for i := g.Int(1, 20); i > 0; i-- {
				args = append(args, "0", m())
			}
			return exact(args...)
		case 1:
			return exact("ZLEXCOUNT", k, lb(), lb())
		case 2:
			return exact("ZREMRANGEBYLEX", k, lb(), lb())
		case 3:
			args := []string{"ZRANGE", k, lb(), lb(), "BYLEX"}
			if g.Chance(0.5) {
				args = append(args, "REV")
			}
			return exact(limit(g, args)...)
		case 4:
			return exact(g.Pick("ZRANK", "ZREVRANK"), k, m())
		}
		return exact(limit(g, []string{g.Pick("ZRANGEBYLEX", "ZREVRANGEBYLEX"), k, lb(), lb()})...)
	})
}
