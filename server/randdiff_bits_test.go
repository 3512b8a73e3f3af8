package server

import "strconv"

// Randomized differential generators: bitmaps and HyperLogLogs. They meet
// the other families on the shared keys: SETBIT and BITFIELD write into
// strings (and into HLLs, corrupting them in ways both servers must treat
// alike), PF* commands meet plain strings and each other's HLLs.

func init() {
	exact := func(args ...string) randCmd { return randCmd{args: args} }
	// bitOff is a bit offset: mostly within a few bytes, sometimes far.
	bitOff := func(g *randCtx) string {
		if g.Chance(0.05) {
			return g.IntStr(0, 40000)
		}
		return g.IntStr(0, 200)
	}
	// withRange appends nothing, a byte range, or a bit range with its
	// unit (or, for BITPOS, just a start).
	withRange := func(g *randCtx, args []string, startOnly bool) []string {
		switch g.Int(0, 4) {
		case 1:
			if startOnly {
				return append(args, g.IntStr(-30, 30))
			}
			fallthrough
		case 2:
			return append(args, g.IntStr(-30, 30), g.IntStr(-30, 30))
		case 3, 4:
			return append(args, g.IntStr(-250, 250), g.IntStr(-250, 250), g.Pick("BIT", "BYTE", "bit"))
		}
		return args
	}
	registerRandGen("setbit", 4, func(g *randCtx) randCmd {
		return exact("SETBIT", g.Key(), bitOff(g), g.Pick("0", "1", "1"))
	})
	registerRandGen("getbit", 2, func(g *randCtx) randCmd { return exact("GETBIT", g.Key(), bitOff(g)) })
	registerRandGen("bitcount", 2, func(g *randCtx) randCmd {
		return exact(withRange(g, []string{"BITCOUNT", g.Key()}, false)...)
	})
	registerRandGen("bitpos", 2, func(g *randCtx) randCmd {
		return exact(withRange(g, []string{"BITPOS", g.Key(), g.Pick("0", "1")}, true)...)
	})
	registerRandGen("bitop", 2, func(g *randCtx) randCmd {
		op := g.Pick("AND", "OR", "XOR", "NOT")
		n := 1
		if op != "NOT" {
			n = g.Int(1, 3)
		}
		return exact(append([]string{"BITOP", op, g.Key()}, g.Keys(n)...)...)
	})
	field := func(g *randCtx) (typ, off string) {
		if g.Chance(0.5) {
			typ = "i" + g.IntStr(1, 64)
		} else {
			typ = "u" + g.IntStr(1, 63)
		}
		if g.Chance(0.2) {
			return typ, "#" + g.IntStr(0, 10)
		}
		return typ, g.IntStr(0, 150)
	}
	fieldValue := func(g *randCtx) string {
		switch g.Int(0, 4) {
		case 0:
			return g.Pick("9223372036854775807", "-9223372036854775808", "4611686018427387904", "-4611686018427387905")
		case 1:
			return strconv.FormatInt(g.r.Int64(), 10)
		case 2:
			return strconv.FormatInt(-g.r.Int64(), 10)
		}
		return g.IntStr(-300, 300)
	}
	registerRandGen("bitfield", 3, func(g *randCtx) randCmd {
		args := []string{"BITFIELD", g.Key()}
		for n := g.Int(1, 4); n > 0; n-- {
			if g.Chance(0.3) {
				args = append(args, "OVERFLOW", g.Pick("WRAP", "SAT", "FAIL"))
			}
			typ, off := field(g)
			switch g.Int(0, 2) {
			case 0:
				args = append(args, "GET", typ, off)
			case 1:
				args = append(args, "SET", typ, off, fieldValue(g))
			default:
				args = append(args, "INCRBY", typ, off, fieldValue(g))
			}
		}
		return exact(args...)
	})
	registerRandGen("bitfield_ro", 1, func(g *randCtx) randCmd {
		typ, off := field(g)
		return exact("BITFIELD_RO", g.Key(), "GET", typ, off)
	})

	// HyperLogLogs: elements from a vocabulary big enough to fill
	// registers over the run, occasionally a burst that makes one dense.
	element := func(g *randCtx) string { return "el" + g.IntStr(0, 5000) }
	registerRandGen("pfadd", 4, func(g *randCtx) randCmd {
		n := g.Int(0, 5)
		if g.Chance(0.02) {
			n = g.Int(100, 2500)
		}
		args := []string{"PFADD", g.Key()}
		for ; n > 0; n-- {
			args = append(args, element(g))
		}
		return exact(args...)
	})
	registerRandGen("pfcount", 2, func(g *randCtx) randCmd {
		return exact(append([]string{"PFCOUNT"}, g.Keys(g.Int(1, 3))...)...)
	})
	registerRandGen("pfmerge", 1, func(g *randCtx) randCmd {
		return exact(append([]string{"PFMERGE"}, g.Keys(g.Int(1, 3))...)...)
	})
	registerRandGen("get-bits", 2, func(g *randCtx) randCmd { return exact("GET", g.Key()) })
}
