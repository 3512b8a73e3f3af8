package server

import (
	"strconv"
)

// Randomized differential generators: GEO commands. Replies are compared
// exactly (distances, coordinates and hashes byte for byte; unsorted and
// COUNT ANY results in Redis's cell traversal order; ties in Redis's sort
// order). Positions cluster around a few centres and repeat, so searches
// find many members, ties in distance happen, and big sets convert to
// skiplists; the shared keys k0..k11 meet sorted sets with arbitrary
// scores, which decode to odd positions as they do in Redis.

func init() {
	exact := func(args ...string) randCmd { return randCmd{args: args} }
	fmtF := func(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

	// geoKey is a dedicated GEO key most of the time, a shared key
	// sometimes.
	geoKey := func(g *randCtx) string {
		if g.Chance(0.25) {
			return g.Key()
		}
		return "geo" + strconv.Itoa(g.Int(0, 3))
	}
	// distKey is where STOREDIST stores. Distances go through sin, cos
	// and asin, and glibc's are not correctly rounded on about 0.1% of
	// arguments where ember's are (geomath.go), so a stored distance can
	// differ from Redis's in its last bit: these keys are only read by
	// ZRANGE without scores (order and members exact). Printed distances
	// (WITHDIST, GEODIST: four decimals) are compared exactly.
	distKey := func(g *randCtx) string { return "geodist" + strconv.Itoa(g.Int(0, 1)) }
	geoMember := func(g *randCtx) string {
		if g.Chance(0.1) {
			return g.Member()
		}
		return "p" + strconv.Itoa(g.Int(0, 199))
	}
	centres := [][2]float64{{13.36, 38.11}, {-0.12, 51.5}, {179.99, -16.5}, {-73.98, 40.75}, {25, 84.9}, {0, 0}}
	lonLat := func(g *randCtx) (string, string) {
		switch g.Int(0, 9) {
		case 0:
			return fmtF(g.r.Float64()*360 - 180), fmtF(g.r.Float64()*170 - 85)
		case 1:
			return g.Pick("180", "-180", "0", "179.9999999"), g.Pick("85.05112878", "-85.05112878", "0", "-85")
		case 2:
			// Exact repeats of a few positions: ties in distance.
			c := centres[g.Int(0, len(centres)-1)]
			return fmtF(c[0]), fmtF(c[1])
		case 3:
			if g.Chance(0.2) {
				return g.Pick("181", "abc", "inf", "-180.5"), g.Pick("86", "0", "nan", "1e400")
			}
		}
		c := centres[g.Int(0, len(centres)-1)]
		lon := c[0] + (g.r.Float64()-0.5)*g.Pick4(0.01, 0.5, 3, 10)
		lat := c[1] + (g.r.Float64()-0.5)*g.Pick4(0.01, 0.5, 3, 10)
		lon = min(max(lon, -180), 180)
		lat = min(max(lat, -85.05), 85.05)
		return strconv.FormatFloat(lon, 'f', g.Int(1, 8), 64), strconv.FormatFloat(lat, 'f', g.Int(1, 8), 64)
	}
	unit := func(g *randCtx) string {
		if g.Chance(0.02) {
			return "furlong"
		}
		return g.Pick("m", "km", "KM", "ft", "mi")
	}
	distance := func(g *randCtx) string {
		switch g.Int(0, 12) {
		case 0:
			return "0"
		case 1:
			return g.Pick("-1", "abc", "inf", "1e10")
		}
		return fmtF(float64(g.Int(1, 500)) * g.Pick4(1, 10, 100, 1000))
	}
	// options appends the search options in a random order.
	options := func(g *randCtx, args []string, with bool) []string {
		var opts [][]string
		if g.Chance(0.6) {
			opts = append(opts, []string{g.Pick("ASC", "DESC")})
		}
		if g.Chance(0.5) {
			c := []string{"COUNT", strconv.Itoa(g.Int(1, 12))}
			if g.Chance(0.05) {
				c[1] = g.Pick("0", "-3", "x", "9223372036854775807")
			}
			if g.Chance(0.4) {
				c = append(c, "ANY")
			}
			opts = append(opts, c)
		} else if g.Chance(0.02) {
			opts = append(opts, []string{"ANY"})
		}
		if with {
			for _, w := range []string{"WITHCOORD", "WITHDIST", "WITHHASH"} {
				if g.Chance(0.4) {
					opts = append(opts, []string{w})
				}
			}
		}
		g.r.Shuffle(len(opts), func(i, j int) { opts[i], opts[j] = opts[j], opts[i] })
		for _, o := range opts {
			args = append(args, o...)
		}
		return args
	}
	from := func(g *randCtx) []string {
		if g.Chance(0.4) {
			return []string{"FROMMEMBER", geoMember(g)}
		}
		lon, lat := lonLat(g)
		return []string{"FROMLONLAT", lon, lat}
	}
	by := func(g *randCtx) []string {
		if g.Chance(0.5) {
			return []string{"BYRADIUS", distance(g), unit(g)}
		}
		return []string{"BYBOX", distance(g), distance(g), unit(g)}
	}

	registerRandGen("geoadd", 8, func(g *randCtx) randCmd {
		args := []string{"GEOADD", geoKey(g)}
		for _, o := range []string{"NX", "XX", "CH"} {
			if g.Chance(0.1) {
				args = append(args, o)
			}
		}
		for i := g.Int(1, 6); i > 0; i-- {
			lon, lat := lonLat(g)
			args = append(args, lon, lat, geoMember(g))
		}
		return exact(args...)
	})
	registerRandGen("georead", 4, func(g *randCtx) randCmd {
		k := geoKey(g)
		switch g.Int(0, 2) {
		case 0:
			return exact("GEOPOS", k, geoMember(g), geoMember(g), geoMember(g))
		case 1:
			return exact("GEOHASH", k, geoMember(g), geoMember(g))
		}
		args := []string{"GEODIST", k, geoMember(g), geoMember(g)}
		if g.Chance(0.7) {
			args = append(args, unit(g))
		}
		return exact(args...)
	})
	registerRandGen("geosearch", 8, func(g *randCtx) randCmd {
		args := []string{"GEOSEARCH", geoKey(g)}
		parts := [][]string{from(g), by(g)}
		if g.Chance(0.5) {
			parts[0], parts[1] = parts[1], parts[0]
		}
		args = append(append(args, parts[0]...), parts[1]...)
		return exact(options(g, args, true)...)
	})
	registerRandGen("geosearchstore", 2, func(g *randCtx) randCmd {
		args := []string{"GEOSEARCHSTORE", geoKey(g), geoKey(g)}
		args = append(append(args, from(g)...), by(g)...)
		args = options(g, args, g.Chance(0.05))
		if g.Chance(0.5) {
			args[1] = distKey(g)
			args = append(args, "STOREDIST")
		}
		return exact(args...)
	})
	registerRandGen("georadius", 4, func(g *randCtx) randCmd {
		var args []string
		ro := g.Chance(0.5)
		if g.Chance(0.5) {
			name := "GEORADIUS"
			if ro {
				name = "GEORADIUS_RO"
			}
			lon, lat := lonLat(g)
			args = []string{name, geoKey(g), lon, lat, distance(g), unit(g)}
		} else {
			name := "GEORADIUSBYMEMBER"
			if ro {
				name = "GEORADIUSBYMEMBER_RO"
			}
			args = []string{name, geoKey(g), geoMember(g), distance(g), unit(g)}
		}
		store := !ro && g.Chance(0.4)
		args = options(g, args, !store || g.Chance(0.05))
		if store {
			if g.Chance(0.5) {
				args = append(args, "STORE", geoKey(g))
			} else {
				args = append(args, "STOREDIST", distKey(g))
			}
		}
		return exact(args...)
	})
	// Stored distances are read back by member only: see distKey.
	registerRandGen("geo-distkeys", 1, func(g *randCtx) randCmd {
		return exact("ZRANGE", distKey(g), "0", "-1")
	})
	registerRandGen("geo-zset", 2, func(g *randCtx) randCmd {
		k := geoKey(g)
		switch g.Int(0, 2) {
		case 0:
			return exact("ZRANGE", k, "0", "-1", "WITHSCORES")
		case 1:
			return exact("ZREM", k, geoMember(g), geoMember(g))
		}
		return exact("ZCARD", k)
	})
}

// Pick4 returns one of four numbers.
func (g *randCtx) Pick4(a, b, c, d float64) float64 {
	return [4]float64{a, b, c, d}[g.r.IntN(4)]
}
