package server

import (
	"bytes"
	"cmp"
	"slices"
	"strconv"

	"github.com/embercache/ember/store"
)

// Geospatial commands on sorted sets (Redis's geo.c).
//
// A GEO set is a sorted set whose scores are 52-bit geohashes (geohash.go):
// TYPE says zset and every sorted set command works on it. GEOADD is ZADD
// with the positions turned into scores (and journaled as the ZADD it
// runs); the searches scan the score ranges of up to nine grid cells,
// filter by distance, and sort as Redis does: a stable sort when every
// result is returned, Redis's partial quicksort (pqsort) when COUNT cuts
// the results, so ties come out in Redis's order too. The *STORE forms
// write a sorted set, journaled like ZRANGESTORE's ("DEL dst" when it
// existed, then "ZADD dst ..." with the stored scores).
//
// Replies: distances are bulk strings with four decimals in both protocols;
// coordinates are Redis's "human" long double format ("%.17Lf" with the
// trailing zeros removed), bulk strings in RESP2 and doubles in RESP3;
// hashes are integers.

// GEOADD key [NX | XX] [CH] longitude latitude member [longitude latitude member ...]
func cmdGeoadd(c *Client, args [][]byte) {
	i := 2
	nx, xx := false, false
opts:
	for ; i < len(args); i++ {
		switch a := args[i]; {
		case eqFold(a, "nx"):
			nx = true
		case eqFold(a, "xx"):
			xx = true
		case eqFold(a, "ch"):
		default:
			break opts
		}
	}
	if (len(args)-i)%3 != 0 || (nx && xx) {
		c.WriteError(errSyntax)
		return
	}
	// Run as "ZADD key [options] score member ...", as Redis does.
	n := (len(args) - i) / 3
	zargs := make([][]byte, 0, i+2*n)
	zargs = append(zargs, args[:i]...)
	scores := make([]byte, 0, 16*n)
	for k := i; k < len(args); k += 3 {
		lon, lat, ok := geoParseLonLat(c, args[k:])
		if !ok {
			return
		}
		start := len(scores)
		scores = strconv.AppendInt(scores, int64(geoScore(lon, lat)), 10)
		zargs = append(zargs, scores[start:len(scores):len(scores)], args[k+2])
	}
	zaddGeneric(c, zargs, 0)
}

// geoParseLonLat parses a longitude and a latitude, replying the error
// when they are not numbers or out of the GEO limits.
func geoParseLonLat(c *Client, args [][]byte) (lon, lat float64, ok bool) {
	if lon, ok = store.ParseScore(args[0]); !ok {
		c.WriteError(errNotFloat)
		return 0, 0, false
	}
	if lat, ok = store.ParseScore(args[1]); !ok {
		c.WriteError(errNotFloat)
		return 0, 0, false
	}
	if lon < geoLongMin || lon > geoLongMax || lat < geoLatMin || lat > geoLatMax {
		c.WriteError(errGeoPair(lon, lat))
		return 0, 0, false
	}
	return lon, lat, true
}

// geoUnit returns the metres in one unit, or replies the error and
// returns a negative number.
func geoUnit(c *Client, u []byte) float64 {
	switch {
	case eqFold(u, "m"):
		return 1
	case eqFold(u, "km"):
		return 1000
	case eqFold(u, "ft"):
		return 0.3048
	case eqFold(u, "mi"):
		return 1609.34
	}
	c.WriteError(errGeoUnit)
	return -1
}

// geoLookup finds the GEO set at key for a read (counting a hit or a
// miss); ok is false when it replied WRONGTYPE.
func geoLookup(c *Client, key []byte) (z store.ZSet, exists, ok bool) {
	return zsetLookup(c, key)
}

// appendHumanDouble appends f as Redis's ld2string in human mode:
// "%.17Lf" without trailing zeros or point, "-0" as "0".
func appendHumanDouble(b []byte, f float64) []byte {
	start := len(b)
	b = strconv.AppendFloat(b, f, 'f', 17, 64)
	end := len(b)
	for b[end-1] == '0' {
		end--
	}
	if b[end-1] == '.' {
		end--
	}
	b = b[:end]
	if end-start == 2 && b[start] == '-' && b[start+1] == '0' {
		b = append(b[:start], '0')
	}
	return b
}

// writeCoord writes a coordinate: a bulk string in RESP2, a double in
// RESP3.
func writeCoord(c *Client, f float64) {
	var buf [40]byte
	s := appendHumanDouble(buf[:0], f)
	if c.resp3 {
		c.out = append(c.out, ',')
		c.out = append(c.out, s...)
		c.out = append(c.out, '\r', '\n')
		return
	}
	c.WriteBulk(s)
}

// writeDistance writes a distance as a bulk string with four decimals.
func writeDistance(c *Client, d float64) {
	var buf [40]byte
	c.WriteBulk(strconv.AppendFloat(buf[:0], d, 'f', 4, 64))
}

// GEOPOS key [member [member ...]]
func cmdGeopos(c *Client, args [][]byte) {
	geoEachMember(c, args, c.WriteNullArray, func(s float64) {
		lon, lat := geoDecodeScore(s)
		c.WriteArray(2)
		writeCoord(c, lon)
		writeCoord(c, lat)
	})
}

// GEOHASH key [member [member ...]]
func cmdGeohash(c *Client, args [][]byte) {
	var buf [11]byte
	geoEachMember(c, args, c.WriteNull, func(s float64) {
		c.WriteBulk(appendGeohash(buf[:0], s))
	})
}

// geoEachMember answers an array with one entry per member named from
// args[2] on: found(score) writes a member's, missing() a missing one's.
func geoEachMember(c *Client, args [][]byte, missing func(), found func(score float64)) {
	c.tx.LockKey(c.db, args[1], false)
	defer c.tx.Unlock()
	z, exists, ok := geoLookup(c, args[1])
	if !ok {
		return
	}
	c.WriteArray(len(args) - 2)
	for _, m := range args[2:] {
		if exists {
			if s, in := z.Score(m); in {
				found(s)
				continue
			}
		}
		missing()
	}
}

// GEODIST key member1 member2 [M | KM | FT | MI]
func cmdGeodist(c *Client, args [][]byte) {
	toMeters := 1.0
	switch {
	case len(args) == 5:
		if toMeters = geoUnit(c, args[4]); toMeters < 0 {
			return
		}
	case len(args) > 5:
		c.WriteError(errSyntax)
		return
	}
	c.tx.LockKey(c.db, args[1], false)
	defer c.tx.Unlock()
	z, exists, ok := geoLookup(c, args[1])
	if !ok {
		return
	}
	if !exists {
		c.WriteNull()
		return
	}
	s1, ok1 := z.Score(args[2])
	s2, ok2 := z.Score(args[3])
	if !ok1 || !ok2 {
		c.WriteNull()
		return
	}
	lon1, lat1 := geoDecodeScore(s1)
	lon2, lat2 := geoDecodeScore(s2)
	writeDistance(c, geoDistance(lon1, lat1, lon2, lat2)/toMeters)
}

// Search variants (Redis's georadiusGeneric flags).
const (
	geoFromCoords  = 1 << iota // GEORADIUS: position in the arguments
	geoFromMember              // GEORADIUSBYMEMBER: position of a member
	geoNoStore                 // the _RO forms: no STORE / STOREDIST
	geoSearchCmd               // GEOSEARCH's argument syntax
	geoSearchStore             // GEOSEARCHSTORE
)

// Result orders.
const (
	geoSortNone = iota
	geoSortAsc
	geoSortDesc
)

// geoQuery is a parsed search.
type geoQuery struct {
	shape                         geoShape
	withDist, withHash, withCoord bool
	fromMember, fromLoc           bool
	byRadius, byBox               bool
	sort                          int
	any                           bool
	count                         int64
	store                         []byte // destination, nil when replying
	storeDist                     bool
}

// geoPoint is a search result.
type geoPoint struct {
	lon, lat, dist, score float64
	member                []byte // aliases the set; valid under its lock
}

// GEORADIUS key longitude latitude radius M | KM | FT | MI [WITHCOORD] [WITHDIST] [WITHHASH] [COUNT count [ANY]] [ASC | DESC] [STORE key | STOREDIST key]
func cmdGeoradius(c *Client, args [][]byte) { geoSearchGeneric(c, args, 1, geoFromCoords) }

// GEORADIUS_RO key longitude latitude radius M | KM | FT | MI [WITHCOORD] [WITHDIST] [WITHHASH] [COUNT count [ANY]] [ASC | DESC]
func cmdGeoradiusRo(c *Client, args [][]byte) {
	geoSearchGeneric(c, args, 1, geoFromCoords|geoNoStore)
}

// GEORADIUSBYMEMBER key member radius M | KM | FT | MI [WITHCOORD] [WITHDIST] [WITHHASH] [COUNT count [ANY]] [ASC | DESC] [STORE key | STOREDIST key]
func cmdGeoradiusbymember(c *Client, args [][]byte) { geoSearchGeneric(c, args, 1, geoFromMember) }

// GEORADIUSBYMEMBER_RO key member radius M | KM | FT | MI [WITHCOORD] [WITHDIST] [WITHHASH] [COUNT count [ANY]] [ASC | DESC]
func cmdGeoradiusbymemberRo(c *Client, args [][]byte) {
	geoSearchGeneric(c, args, 1, geoFromMember|geoNoStore)
}

// GEOSEARCH key FROMMEMBER member | FROMLONLAT longitude latitude BYRADIUS radius M | KM | FT | MI | BYBOX width height M | KM | FT | MI [ASC | DESC] [COUNT count [ANY]] [WITHCOORD] [WITHDIST] [WITHHASH]
func cmdGeosearch(c *Client, args [][]byte) { geoSearchGeneric(c, args, 1, geoSearchCmd) }

// GEOSEARCHSTORE destination source FROMMEMBER member | FROMLONLAT longitude latitude BYRADIUS radius M | KM | FT | MI | BYBOX width height M | KM | FT | MI [ASC | DESC] [COUNT count [ANY]] [STOREDIST]
func cmdGeosearchstore(c *Client, args [][]byte) {
	geoSearchGeneric(c, args, 2, geoSearchCmd|geoSearchStore)
}

// geoStoreKey returns the destination a GEORADIUS(BYMEMBER) names with
// STORE or STOREDIST, walking the options as the parser does without
// checking their values (nil when there is none, or the syntax is wrong:
// the parser then fails before storing).
func geoStoreKey(args [][]byte, base int) []byte {
	var dst []byte
	rest := args[base:]
	for i := 0; i < len(rest); i++ {
		switch a := rest[i]; {
		case eqFold(a, "withdist"), eqFold(a, "withhash"), eqFold(a, "withcoord"),
			eqFold(a, "any"), eqFold(a, "asc"), eqFold(a, "desc"):
		case eqFold(a, "count") && i+1 < len(rest):
			i++
		case (eqFold(a, "store") || eqFold(a, "storedist")) && i+1 < len(rest):
			dst = rest[i+1]
			i++
		default:
			return nil
		}
	}
	return dst
}

// geoSearchGeneric runs every search command (Redis's georadiusGeneric):
// the source set is at args[srcIdx]; flags say which syntax applies.
func geoSearchGeneric(c *Client, args [][]byte, srcIdx int, flags int) {
	tx := c.tx
	src := args[srcIdx]
	var dst []byte
	switch {
	case flags&geoSearchStore != 0:
		dst = args[1]
	case flags&(geoNoStore|geoSearchCmd) == 0:
		base := 6
		if flags&geoFromMember != 0 {
			base = 5
		}
		dst = geoStoreKey(args, base)
	}
	tx.Begin(c.db, dst != nil)
	tx.Key(src)
	if dst != nil {
		tx.Key(dst)
	}
	tx.Lock()
	defer tx.Unlock()

	z, exists, ok := geoLookup(c, src)
	if !ok {
		return
	}
	var q geoQuery
	if !geoParseQuery(c, args, flags, z, exists, &q) {
		return
	}
	if !exists {
		if q.store != nil {
			zstoreResult(c, q.store, tx.NewZSetBuilder(0, 0))
			return
		}
		c.WriteArray(0)
		return
	}
	if q.count != 0 && q.sort == geoSortNone && !q.any {
		q.sort = geoSortAsc
	}
	var limit int64
	if q.any {
		limit = q.count
	}
	pts := geoCollect(z, &q.shape, limit, nil)
	if len(pts) == 0 && q.store == nil {
		c.WriteArray(0)
		return
	}
	n := len(pts)
	if q.count != 0 && int64(n) > q.count {
		n = int(q.count)
	}
	geoSortPoints(pts, n, q.sort)
	pts = pts[:n]
	for i := range pts {
		pts[i].dist /= q.shape.conversion
	}
	if q.store != nil {
		geoStore(c, &q, pts)
		return
	}
	opts := 0
	for _, on := range []bool{q.withDist, q.withCoord, q.withHash} {
		if on {
			opts++
		}
	}
	c.WriteArray(n)
	for i := range pts {
		p := &pts[i]
		if opts > 0 {
			c.WriteArray(opts + 1)
		}
		c.WriteBulk(p.member)
		if q.withDist {
			writeDistance(c, p.dist)
		}
		if q.withHash {
			c.WriteInt(int64(p.score))
		}
		if q.withCoord {
			c.WriteArray(2)
			writeCoord(c, p.lon)
			writeCoord(c, p.lat)
		}
	}
}

// geoParseQuery parses a search's arguments in Redis's order, replying the
// first error; z is the source set when exists.
func geoParseQuery(c *Client, args [][]byte, flags int, z store.ZSet, exists bool, q *geoQuery) bool {
	var base int
	switch {
	case flags&geoFromCoords != 0:
		base = 6
		lon, lat, ok := geoParseLonLat(c, args[2:])
		if !ok {
			return false
		}
		q.shape.lon, q.shape.lat = lon, lat
		if !geoParseRadius(c, args[4:], &q.shape) {
			return false
		}
	case flags&geoFromMember != 0:
		base = 5
		if exists { // with no set, the position and radius go unchecked
			if !geoMemberPos(c, z, args[2], &q.shape) || !geoParseRadius(c, args[3:], &q.shape) {
				return false
			}
		}
	case flags&geoSearchStore != 0:
		base = 3
		q.store = args[1]
	default:
		base = 2
	}
	search := flags&geoSearchCmd != 0
	storeOK := flags&(geoNoStore|geoSearchCmd) == 0
	rest := args[base:]
	for i := 0; i < len(rest); i++ {
		a := rest[i]
		left := len(rest) - i - 1 // arguments after a
		switch {
		case eqFold(a, "withdist"):
			q.withDist = true
		case eqFold(a, "withhash"):
			q.withHash = true
		case eqFold(a, "withcoord"):
			q.withCoord = true
		case eqFold(a, "any"):
			q.any = true
		case eqFold(a, "asc"):
			q.sort = geoSortAsc
		case eqFold(a, "desc"):
			q.sort = geoSortDesc
		case eqFold(a, "count") && left >= 1:
			n, ok := parseInt(rest[i+1])
			if !ok {
				c.WriteError(errNotInteger)
				return false
			}
			if n <= 0 {
				c.WriteError(errCountPositive)
				return false
			}
			q.count = n
			i++
		case eqFold(a, "store") && left >= 1 && storeOK:
			q.store, q.storeDist = rest[i+1], false
			i++
		case eqFold(a, "storedist") && left >= 1 && storeOK:
			q.store, q.storeDist = rest[i+1], true
			i++
		case eqFold(a, "storedist") && flags&geoSearchStore != 0:
			q.storeDist = true
		case eqFold(a, "frommember") && left >= 1 && search && !q.fromLoc:
			if exists && !geoMemberPos(c, z, rest[i+1], &q.shape) {
				return false
			}
			q.fromMember = true
			i++
		case eqFold(a, "fromlonlat") && left >= 2 && search && !q.fromMember:
			lon, lat, ok := geoParseLonLat(c, rest[i+1:])
			if !ok {
				return false
			}
			q.shape.lon, q.shape.lat = lon, lat
			q.fromLoc = true
			i += 2
		case eqFold(a, "byradius") && left >= 2 && search && !q.byBox:
			if !geoParseRadius(c, rest[i+1:], &q.shape) {
				return false
			}
			q.byRadius = true
			i += 2
		case eqFold(a, "bybox") && left >= 3 && search && !q.byRadius:
			if !geoParseBox(c, rest[i+1:], &q.shape) {
				return false
			}
			q.byBox = true
			i += 3
		default:
			c.WriteError(errSyntax)
			return false
		}
	}
	switch {
	case q.store != nil && (q.withDist || q.withHash || q.withCoord):
		if flags&geoSearchStore != 0 {
			c.WriteError(errGeoStoreSearch)
		} else {
			c.WriteError(errGeoStoreRadius)
		}
		return false
	case search && !q.fromMember && !q.fromLoc:
		c.WriteError(errGeoFrom(args[0]))
		return false
	case search && !q.byRadius && !q.byBox:
		c.WriteError(errGeoBy(args[0]))
		return false
	case q.any && q.count == 0:
		c.WriteError(errGeoAnyNoCount)
		return false
	}
	return true
}

// geoMemberPos sets the shape's centre to member's position.
func geoMemberPos(c *Client, z store.ZSet, member []byte, s *geoShape) bool {
	score, ok := z.Score(member)
	if !ok {
		c.WriteError(errGeoMember)
		return false
	}
	s.lon, s.lat = geoDecodeScore(score)
	return true
}

// geoParseRadius parses "radius unit" into a circle.
func geoParseRadius(c *Client, args [][]byte, s *geoShape) bool {
	r, ok := store.ParseScore(args[0])
	if !ok {
		c.WriteError(errGeoRadius)
		return false
	}
	if r < 0 {
		c.WriteError(errGeoRadiusNeg)
		return false
	}
	conv := geoUnit(c, args[1])
	if conv < 0 {
		return false
	}
	s.box, s.radius, s.conversion = false, r, conv
	return true
}

// geoParseBox parses "width height unit" into a box.
func geoParseBox(c *Client, args [][]byte, s *geoShape) bool {
	w, ok := store.ParseScore(args[0])
	if !ok {
		c.WriteError(errGeoWidth)
		return false
	}
	h, ok := store.ParseScore(args[1])
	if !ok {
		c.WriteError(errGeoHeight)
		return false
	}
	if h < 0 || w < 0 {
		c.WriteError(errGeoBoxNeg)
		return false
	}
	conv := geoUnit(c, args[2])
	if conv < 0 {
		return false
	}
	s.box, s.width, s.height, s.conversion = true, w, h, conv
	return true
}

// geoCollect appends the members of z inside the shape to pts, visiting
// the search cells in Redis's order; with limit > 0 (COUNT ... ANY) it
// stops once it has limit results.
func geoCollect(z store.ZSet, shape *geoShape, limit int64, pts []geoPoint) []geoPoint {
	cells := shape.searchCells()
	full := func() bool { return limit > 0 && int64(len(pts)) >= limit }
	last := 0
	for i, h := range cells {
		if h.isZero() {
			continue
		}
		// With huge radiuses neighbours can repeat the cell just
		// scanned (Redis compares with the last one scanned, never the
		// centre).
		if last != 0 && h == cells[last] {
			continue
		}
		if full() {
			break
		}
		lo, hi := cellScores(h)
		r := store.ScoreRange{Min: lo, Max: hi, MaxEx: true}
		from, to := z.ScoreSpan(&r)
		z.Ascend(from, to, func(m []byte, s float64) bool {
			lon, lat := geoDecodeScore(s)
			if d, ok := shape.contains(lon, lat); ok {
				pts = append(pts, geoPoint{lon: lon, lat: lat, dist: d, score: s, member: m})
			}
			return !full()
		})
		last = i
	}
	return pts
}

// geoSortPoints orders pts so that its first n are the reply, as Redis
// does: glibc's qsort (a stable merge sort) when n is all of them, Redis's
// pqsort otherwise.
func geoSortPoints(pts []geoPoint, n int, order int) {
	if order == geoSortNone {
		return
	}
	less := func(a, b *geoPoint) int { return cmp.Compare(a.dist, b.dist) }
	if order == geoSortDesc {
		less = func(a, b *geoPoint) int { return cmp.Compare(b.dist, a.dist) }
	}
	if n == len(pts) {
		slices.SortStableFunc(pts, func(a, b geoPoint) int { return less(&a, &b) })
		return
	}
	pqsort(pts, less, 0, n-1)
}

// geoStore writes the results under q.store (replacing it; deleting it
// when there are none) and replies their count.
func geoStore(c *Client, q *geoQuery, pts []geoPoint) {
	maxLen := 0
	for i := range pts {
		if q.storeDist {
			pts[i].score = pts[i].dist
		}
		maxLen = max(maxLen, len(pts[i].member))
	}
	slices.SortFunc(pts, func(a, b geoPoint) int {
		if a.score != b.score {
			return cmp.Compare(a.score, b.score)
		}
		return bytes.Compare(a.member, b.member)
	})
	b := c.tx.NewZSetBuilder(len(pts), maxLen)
	for i := range pts {
		b.Append(pts[i].member, pts[i].score)
	}
	zstoreResult(c, q.store, b)
}
