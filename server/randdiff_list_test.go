package server

import "strconv"

// Randomized differential generators: list commands. Blocking commands are
// generated so that they never wait: their last key is "klist:feed", a
// list outside the shared key set that only these generators pop from and
// that they refill before it can run dry (with a short timeout as a guard,
// should a future generator empty it).

func init() {
	exact := func(args ...string) randCmd { return randCmd{args: args} }
	side := func(g *randCtx) string { return g.Pick("LEFT", "RIGHT", "left", "right") }
	elems := func(g *randCtx, n int) []string {
		out := make([]string, n)
		for i := range out {
			if g.Chance(0.5) {
				out[i] = g.Member() // repeats, for LREM/LPOS/LINSERT to find
			} else {
				out[i] = g.Value()
			}
		}
		return out
	}
	registerRandGen("lpush", 6, func(g *randCtx) randCmd {
		cmd := g.Pick("LPUSH", "RPUSH", "LPUSH", "RPUSH", "LPUSHX", "RPUSHX")
		return exact(append([]string{cmd, g.Key()}, elems(g, g.Int(1, 5))...)...)
	})
	registerRandGen("lpop", 4, func(g *randCtx) randCmd {
		args := []string{g.Pick("LPOP", "RPOP"), g.Key()}
		if g.Chance(0.4) {
			args = append(args, g.Pick("0", "1", "2", "5", "100", "-1", "x"))
		}
		return exact(args...)
	})
	registerRandGen("llen", 2, func(g *randCtx) randCmd { return exact("LLEN", g.Key()) })
	registerRandGen("lrange", 3, func(g *randCtx) randCmd {
		return exact("LRANGE", g.Key(), g.IntStr(-8, 8), g.IntStr(-8, 12))
	})
	registerRandGen("lindex", 2, func(g *randCtx) randCmd { return exact("LINDEX", g.Key(), g.IntStr(-8, 8)) })
	registerRandGen("lset", 1, func(g *randCtx) randCmd {
		return exact("LSET", g.Key(), g.IntStr(-6, 6), g.Value())
	})
	registerRandGen("linsert", 1, func(g *randCtx) randCmd {
		return exact("LINSERT", g.Key(), g.Pick("BEFORE", "AFTER", "after"), g.Member(), g.Value())
	})
	registerRandGen("lrem", 1, func(g *randCtx) randCmd {
		return exact("LREM", g.Key(), g.IntStr(-3, 3), g.Member())
	})
	registerRandGen("ltrim", 1, func(g *randCtx) randCmd {
		return exact("LTRIM", g.Key(), g.IntStr(-6, 4), g.IntStr(-6, 10))
	})
	registerRandGen("lpos", 2, func(g *randCtx) randCmd {
		args := []string{"LPOS", g.Key(), g.Member()}
		if g.Chance(0.5) {
			args = append(args, "RANK", g.Pick("1", "2", "-1", "-2", "3"))
		}
		if g.Chance(0.5) {
			args = append(args, "COUNT", g.Pick("0", "1", "2"))
		}
		if g.Chance(0.3) {
			args = append(args, "MAXLEN", g.Pick("0", "1", "3", "10"))
		}
		return exact(args...)
	})
	registerRandGen("lmove", 2, func(g *randCtx) randCmd {
		if g.Chance(0.3) {
			return exact("RPOPLPUSH", g.Key(), g.Key())
		}
		return exact("LMOVE", g.Key(), g.Key(), side(g), side(g))
	})
	registerRandGen("lmpop", 1, func(g *randCtx) randCmd {
		n := g.Int(1, 3)
		args := append([]string{"LMPOP", strconv.Itoa(n)}, g.Keys(n)...)
		args = append(args, side(g))
		if g.Chance(0.5) {
			args = append(args, "COUNT", g.IntStr(1, 4))
		}
		return exact(args...)
	})

	// Blocking forms that find data: their last key is the feed.
	const feed = "klist:feed"
	feedLen := 0 // a lower bound on the feed's length (both servers agree)
	registerRandGen("blocking-list", 2, func(g *randCtx) randCmd {
		if feedLen < 8 {
			feedLen += 32
			args := []string{"RPUSH", feed}
			for i := 0; i < 32; i++ {
				args = append(args, "f"+strconv.Itoa(i))
			}
			return exact(args...)
		}
		const timeout = "0.01"
		switch g.Int(0, 3) {
		case 0, 1:
			feedLen--
			args := append([]string{g.Pick("BLPOP", "BRPOP")}, g.Keys(g.Int(0, 2))...)
			return exact(append(args, feed, timeout)...)
		case 2:
			feedLen--
			if g.Chance(0.3) {
				return exact("BRPOPLPUSH", feed, g.Key(), timeout)
			}
			return exact("BLMOVE", feed, g.Key(), side(g), side(g), timeout)
		}
		feedLen -= 3
		keys := g.Keys(g.Int(0, 2))
		args := append([]string{"BLMPOP", timeout, strconv.Itoa(len(keys) + 1)}, keys...)
		return exact(append(args, feed, side(g), "COUNT", g.IntStr(1, 3))...)
	})
}
