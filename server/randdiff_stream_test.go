package server

import "strconv"

// Randomized differential generators: streams.
//
// IDs are explicit and small (milliseconds 0-40, sequences 0-3, and the
// "<ms>-*" form), so both servers assign the same IDs; "*" is only used on
// one key whose length alone is compared. Replies that carry times (idle
// times, delivery and seen times) are compared by shape: XPENDING's
// extended form, XINFO CONSUMERS and XINFO STREAM FULL. Node sizes change
// now and then (stream-node-max-entries), so approximate trimming and
// XINFO's radix-tree counters are exercised across node boundaries.

func init() {
	exact := func(args ...string) randCmd { return randCmd{args: args} }
	shape := func(args ...string) randCmd { return randCmd{args: args, mode: cmpShape} }
	skey := func(g *randCtx) string {
		if g.Chance(0.6) {
			return "xs" + g.IntStr(0, 3)
		}
		return g.Key()
	}
	id := func(g *randCtx) string {
		switch g.Int(0, 9) {
		case 0:
			return g.IntStr(0, 40)
		case 1:
			return g.Pick("0-0", "0-1", "18446744073709551615-18446744073709551615", "abc", "1-x")
		}
		return g.IntStr(0, 40) + "-" + g.IntStr(0, 3)
	}
	bound := func(g *randCtx) string {
		switch g.Int(0, 5) {
		case 0:
			return g.Pick("-", "+")
		case 1:
			return "(" + id(g)
		}
		return id(g)
	}
	group := func(g *randCtx) string { return g.Pick("g1", "g2", "g3") }
	consumer := func(g *randCtx) string { return g.Pick("c1", "c2", "c3", "c4") }
	fields := func(g *randCtx) []string {
		var out []string
		if g.Chance(0.6) {
			return []string{"a", g.Value(), "b", g.Value()}
		}
		for i := g.Int(1, 3); i > 0; i-- {
			out = append(out, g.Member(), g.Value())
		}
		return out
	}
	trim := func(g *randCtx, args []string) []string {
		if g.Chance(0.5) {
			args = append(args, "MAXLEN")
		} else {
			args = append(args, "MINID")
		}
		if g.Chance(0.6) {
			args = append(args, g.Pick("~", "="))
		}
		if args[len(args)-1] == "MAXLEN" || args[len(args)-2] == "MAXLEN" {
			args = append(args, g.IntStr(-1, 20))
		} else {
			args = append(args, id(g))
		}
		if g.Chance(0.2) {
			args = append(args, "LIMIT", g.IntStr(-1, 10))
		}
		return args
	}
	ids := func(g *randCtx) []string {
		var out []string
		for i := g.Int(1, 4); i > 0; i-- {
			out = append(out, id(g))
		}
		return out
	}
	registerRandGen("xadd", 12, func(g *randCtx) randCmd {
		args := []string{"XADD", skey(g)}
		if g.Chance(0.1) {
			args = append(args, "NOMKSTREAM")
		}
		if g.Chance(0.25) {
			args = trim(g, args)
		}
		if g.Chance(0.3) {
			args = append(args, g.IntStr(0, 40)+"-*")
		} else {
			args = append(args, id(g))
		}
		return exact(append(args, fields(g)...)...)
	})
	registerRandGen("xadd-auto", 1, func(g *randCtx) randCmd {
		return shape("XADD", "xauto", "MAXLEN", "~", "10", "*", "f", g.Value())
	})
	registerRandGen("xlen-auto", 1, func(g *randCtx) randCmd { return exact("XLEN", "xauto") })
	registerRandGen("xlen", 2, func(g *randCtx) randCmd { return exact("XLEN", skey(g)) })
	registerRandGen("xrange", 5, func(g *randCtx) randCmd {
		args := []string{g.Pick("XRANGE", "XREVRANGE"), skey(g), bound(g), bound(g)}
		if g.Chance(0.4) {
			args = append(args, "COUNT", g.IntStr(-1, 5))
		}
		return exact(args...)
	})
	registerRandGen("xdel", 3, func(g *randCtx) randCmd { return exact(append([]string{"XDEL", skey(g)}, ids(g)...)...) })
	registerRandGen("xtrim", 2, func(g *randCtx) randCmd { return exact(trim(g, []string{"XTRIM", skey(g)})...) })
	registerRandGen("xsetid", 1, func(g *randCtx) randCmd {
		args := []string{"XSETID", skey(g), g.IntStr(0, 45) + "-" + g.IntStr(0, 3)}
		if g.Chance(0.3) {
			args = append(args, "ENTRIESADDED", g.IntStr(-1, 30))
		}
		if g.Chance(0.3) {
			args = append(args, "MAXDELETEDID", id(g))
		}
		return exact(args...)
	})
	registerRandGen("xgroup", 4, func(g *randCtx) randCmd {
		k := skey(g)
		switch g.Int(0, 5) {
		case 0, 1:
			args := []string{"XGROUP", "CREATE", k, group(g), g.Pick("$", "0", id(g))}
			if g.Chance(0.5) {
				args = append(args, "MKSTREAM")
			}
			if g.Chance(0.2) {
				args = append(args, "ENTRIESREAD", g.IntStr(-2, 10))
			}
			return exact(args...)
		case 2:
			args := []string{"XGROUP", "SETID", k, group(g), g.Pick("$", "0", id(g))}
			if g.Chance(0.3) {
				args = append(args, "ENTRIESREAD", g.IntStr(-1, 10))
			}
			return exact(args...)
		case 3:
			return exact("XGROUP", "DESTROY", k, group(g))
		case 4:
			return exact("XGROUP", "CREATECONSUMER", k, group(g), consumer(g))
		}
		return exact("XGROUP", "DELCONSUMER", k, group(g), consumer(g))
	})
	registerRandGen("xread", 3, func(g *randCtx) randCmd {
		args := []string{"XREAD"}
		if g.Chance(0.4) {
			args = append(args, "COUNT", g.IntStr(-1, 4))
		}
		args = append(args, "STREAMS")
		n := g.Int(1, 2)
		var keys, from []string
		for i := 0; i < n; i++ {
			keys = append(keys, skey(g))
			from = append(from, g.Pick("$", "0", id(g)))
		}
		return exact(append(append(args, keys...), from...)...)
	})
	registerRandGen("xreadgroup", 6, func(g *randCtx) randCmd {
		args := []string{"XREADGROUP", "GROUP", group(g), consumer(g)}
		if g.Chance(0.5) {
			args = append(args, "COUNT", g.IntStr(0, 4))
		}
		if g.Chance(0.15) {
			args = append(args, "NOACK")
		}
		args = append(args, "STREAMS", skey(g))
		return exact(append(args, g.Pick(">", ">", ">", "0", id(g)))...)
	})
	registerRandGen("xack", 3, func(g *randCtx) randCmd {
		return exact(append([]string{"XACK", skey(g), group(g)}, ids(g)...)...)
	})
	registerRandGen("xpending", 3, func(g *randCtx) randCmd {
		k := skey(g)
		if g.Chance(0.5) {
			return exact("XPENDING", k, group(g))
		}
		args := []string{"XPENDING", k, group(g), bound(g), bound(g), g.IntStr(-1, 5)}
		if g.Chance(0.3) {
			args = append(args, consumer(g))
		}
		return shape(args...)
	})
	registerRandGen("xclaim", 3, func(g *randCtx) randCmd {
		args := append([]string{"XCLAIM", skey(g), group(g), consumer(g), "0"}, ids(g)...)
		args = append(args, "JUSTID")
		if g.Chance(0.3) {
			args = append(args, "RETRYCOUNT", g.IntStr(0, 5))
		}
		if g.Chance(0.3) {
			args = append(args, "FORCE")
		}
		if g.Chance(0.2) {
			args = append(args, "LASTID", id(g))
		}
		return exact(args...)
	})
	registerRandGen("xclaim-entries", 1, func(g *randCtx) randCmd {
		return exact(append([]string{"XCLAIM", skey(g), group(g), consumer(g), "0"}, ids(g)...)...)
	})
	registerRandGen("xautoclaim", 2, func(g *randCtx) randCmd {
		args := []string{"XAUTOCLAIM", skey(g), group(g), consumer(g), "0", bound(g)}
		if g.Chance(0.5) {
			args = append(args, "COUNT", g.IntStr(0, 4))
		}
		if g.Chance(0.4) {
			args = append(args, "JUSTID")
		}
		return exact(args...)
	})
	registerRandGen("xinfo", 3, func(g *randCtx) randCmd {
		k := skey(g)
		switch g.Int(0, 3) {
		case 0:
			return exact("XINFO", "STREAM", k)
		case 1:
			return exact("XINFO", "GROUPS", k)
		case 2:
			return shape("XINFO", "CONSUMERS", k, group(g))
		}
		return shape("XINFO", "STREAM", k, "FULL", "COUNT", g.IntStr(0, 3))
	})
	registerRandGen("stream-node-size", 1, func(g *randCtx) randCmd {
		return exact("CONFIG", "SET", "stream-node-max-entries", strconv.Itoa(g.Int(1, 6)*g.Int(1, 2)))
	})
}
