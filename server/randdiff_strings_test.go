package server

// Randomized differential generators: strings and keyspace commands.

func init() {
	exact := func(args ...string) randCmd { return randCmd{args: args} }
	registerRandGen("set", 6, func(g *randCtx) randCmd {
		args := []string{"SET", g.Key(), g.Value()}
		switch g.Int(0, 5) {
		case 0:
			args = append(args, "NX")
		case 1:
			args = append(args, "XX", "GET")
		case 2:
			args = append(args, "EX", g.IntStr(100, 1000))
		case 3:
			args = append(args, "KEEPTTL")
		}
		return exact(args...)
	})
	registerRandGen("get", 5, func(g *randCtx) randCmd { return exact("GET", g.Key()) })
	registerRandGen("mget", 2, func(g *randCtx) randCmd { return exact(append([]string{"MGET"}, g.Keys(g.Int(1, 4))...)...) })
	registerRandGen("mset", 1, func(g *randCtx) randCmd {
		return exact("MSET", g.Key(), g.Value(), g.Key(), g.Value())
	})
	registerRandGen("incrby", 3, func(g *randCtx) randCmd {
		return exact(g.Pick("INCR", "DECR"), g.Key())
	})
	registerRandGen("incrbyfloat", 1, func(g *randCtx) randCmd {
		return exact("INCRBYFLOAT", g.Key(), g.Pick("0.1", "-1.5", "3", "1e2"))
	})
	registerRandGen("append", 2, func(g *randCtx) randCmd { return exact("APPEND", g.Key(), g.Value()) })
	registerRandGen("strlen", 1, func(g *randCtx) randCmd { return exact("STRLEN", g.Key()) })
	registerRandGen("getrange", 1, func(g *randCtx) randCmd {
		return exact("GETRANGE", g.Key(), g.IntStr(-5, 5), g.IntStr(-5, 10))
	})
	registerRandGen("setrange", 1, func(g *randCtx) randCmd {
		return exact("SETRANGE", g.Key(), g.IntStr(0, 20), g.Value())
	})
	registerRandGen("getdel", 1, func(g *randCtx) randCmd { return exact("GETDEL", g.Key()) })
	registerRandGen("getex", 1, func(g *randCtx) randCmd {
		return exact("GETEX", g.Key(), g.Pick("PERSIST", "EX", "PX"), g.IntStr(100, 1000))
	})

	registerRandGen("del", 3, func(g *randCtx) randCmd {
		return exact(append([]string{g.Pick("DEL", "UNLINK")}, g.Keys(g.Int(1, 3))...)...)
	})
	registerRandGen("exists", 2, func(g *randCtx) randCmd { return exact(append([]string{"EXISTS"}, g.Keys(g.Int(1, 3))...)...) })
	registerRandGen("type", 2, func(g *randCtx) randCmd { return exact("TYPE", g.Key()) })
	registerRandGen("expire", 2, func(g *randCtx) randCmd {
		// Long TTLs, or times in the past (which delete): never a TTL that
		// could run out between the two servers' executions.
		// No GT/LT: the same TTL set twice lands in the same millisecond on
		// one server and not on the other, so the comparison is racy.
		args := []string{g.Pick("EXPIRE", "PEXPIRE"), g.Key(), g.Pick("1000", "5000", "-1", "0")}
		if g.Chance(0.3) {
			args = append(args, g.Pick("NX", "XX"))
		}
		return exact(args...)
	})
	registerRandGen("expireat-past", 1, func(g *randCtx) randCmd { return exact("EXPIREAT", g.Key(), "1") })
	registerRandGen("persist", 1, func(g *randCtx) randCmd { return exact("PERSIST", g.Key()) })
	registerRandGen("rename", 1, func(g *randCtx) randCmd {
		return exact(g.Pick("RENAME", "RENAMENX"), g.Key(), g.Key())
	})
	registerRandGen("copy", 1, func(g *randCtx) randCmd {
		args := []string{"COPY", g.Key(), g.Key()}
		if g.Chance(0.5) {
			args = append(args, "REPLACE")
		}
		return exact(args...)
	})
	registerRandGen("keys", 1, func(g *randCtx) randCmd {
		return randCmd{args: []string{"KEYS", g.Pick("*", "k1*", "k?", "k[0-5]")}, mode: cmpUnordered}
	})
	registerRandGen("dbsize", 1, func(g *randCtx) randCmd { return exact("DBSIZE") })
	registerRandGen("object-encoding", 1, func(g *randCtx) randCmd { return exact("OBJECT", "ENCODING", g.Key()) })
}
