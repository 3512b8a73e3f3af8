package server

import "math"

// Geohashes: how a GEO set turns positions into sorted set scores, and how
// a radius or box search turns into score ranges (Redis's geohash.c and
// geohash_helper.c).
//
// A position is stored as a 52-bit integer score: the longitude range
// [-180, 180] and the latitude range [-85.05112878, 85.05112878] (the
// limits of Web Mercator) are each cut into 2^26 cells, and the two 26-bit
// cell numbers are interleaved bit by bit, latitude in the even bits and
// longitude in the odd ones. Interleaving makes the score a Z-order curve:
// the members whose scores share their top 2*s bits lie in one cell of the
// grid at step s, and that cell is one contiguous score range. A position
// read back is the centre of its cell, so GEOPOS answers the same numbers
// as Redis only if the arithmetic is done in the same order, in float64,
// with no fused multiply-add (the float64() conversions below forbid
// fusing).
//
// A search estimates the step whose cells are about as big as the search
// radius, takes the cell holding the centre and its eight neighbours, drops
// the neighbours the search area cannot reach, and scans the score range
// of each remaining cell, filtering members by their exact distance. The
// order of the cells (centre, N, S, E, W, NE, NW, SE, SW) and of the scan
// inside a cell (by score) is the order of the unsorted reply, so it
// follows Redis's exactly, as do the step estimate and the pruning.
//
// Distances use the haversine formula on a sphere of Redis's radius,
// 6372797.560856 m, through geoSin/geoCos/geoAsin (geomath.go), which
// round as glibc's libm does where Go's math package does not.

const (
	geoStepMax  = 26 // bits per coordinate in a score
	geoLatMin   = -85.05112878
	geoLatMax   = 85.05112878
	geoLongMin  = -180.0
	geoLongMax  = 180.0
	earthRadius = 6372797.560856 // metres, Redis's EARTH_RADIUS_IN_METERS
	mercatorMax = 20037726.37
)

// degRad is C's M_PI/180.0, computed in float64 as C does (a Go constant
// expression would be rounded only once).
var degRad = func() float64 { pi := math.Pi; return pi / 180.0 }()

func toRad(deg float64) float64 { return deg * degRad }
func toDeg(rad float64) float64 { return rad / degRad }

// geoHash is a cell of the grid: its interleaved bits at a step. The zero
// value stands for "no cell" (a pruned neighbour).
type geoHash struct {
	bits uint64
	step uint
}

func (h geoHash) isZero() bool { return h.bits == 0 && h.step == 0 }

// geoArea is a cell's extent.
type geoArea struct {
	lonMin, lonMax, latMin, latMax float64
}

// interleave spreads the 32 bits of x to the even bits and those of y to
// the odd bits of the result.
func interleave(x, y uint32) uint64 {
	return spread(x) | spread(y)<<1
}

func spread(v uint32) uint64 {
	x := uint64(v)
	x = (x | x<<16) & 0x0000FFFF0000FFFF
	x = (x | x<<8) & 0x00FF00FF00FF00FF
	x = (x | x<<4) & 0x0F0F0F0F0F0F0F0F
	x = (x | x<<2) & 0x3333333333333333
	x = (x | x<<1) & 0x5555555555555555
	return x
}

// deinterleave undoes interleave: the even bits in the low half of the
// result, the odd bits in the high half.
func deinterleave(v uint64) uint64 {
	return uint64(squash(v)) | uint64(squash(v>>1))<<32
}

func squash(v uint64) uint32 {
	x := v & 0x5555555555555555
	x = (x | x>>1) & 0x3333333333333333
	x = (x | x>>2) & 0x0F0F0F0F0F0F0F0F
	x = (x | x>>4) & 0x00FF00FF00FF00FF
	x = (x | x>>8) & 0x0000FFFF0000FFFF
	x = (x | x>>16) & 0x00000000FFFFFFFF
	return uint32(x)
}

// geoEncodeIn returns the cell of (lon, lat) at step within the given
// ranges; ok is false outside them or outside the GEO limits.
func geoEncodeIn(lonMin, lonMax, latMin, latMax, lon, lat float64, step uint) (geoHash, bool) {
	if lon > geoLongMax || lon < geoLongMin || lat > geoLatMax || lat < geoLatMin {
		return geoHash{}, false
	}
	if lat < latMin || lat > latMax || lon < lonMin || lon > lonMax {
		return geoHash{}, false
	}
	latOff := (lat - latMin) / (latMax - latMin)
	lonOff := (lon - lonMin) / (lonMax - lonMin)
	scale := float64(uint64(1) << step)
	latOff *= scale
	lonOff *= scale
	return geoHash{bits: interleave(uint32(latOff), uint32(lonOff)), step: step}, true
}

// geoEncode returns the cell of (lon, lat) at step in the GEO ranges.
func geoEncode(lon, lat float64, step uint) (geoHash, bool) {
	return geoEncodeIn(geoLongMin, geoLongMax, geoLatMin, geoLatMax, lon, lat, step)
}

// geoDecode returns the extent of a cell in the GEO ranges.
func geoDecode(h geoHash) geoArea {
	sep := deinterleave(h.bits)
	ilat := uint32(sep)
	ilon := uint32(sep >> 32)
	div := float64(uint64(1) << h.step)
	const latScale = geoLatMax - geoLatMin
	const lonScale = geoLongMax - geoLongMin
	latScaleV, lonScaleV := latScale, lonScale
	return geoArea{
		latMin: geoLatMin + float64(float64(float64(ilat)/div)*latScaleV),
		latMax: geoLatMin + float64(float64(float64(ilat+1)/div)*latScaleV),
		lonMin: geoLongMin + float64(float64(float64(ilon)/div)*lonScaleV),
		lonMax: geoLongMin + float64(float64(float64(ilon+1)/div)*lonScaleV),
	}
}

// geoScoreBits converts a score to the integer Redis's (uint64_t) cast
// gives on x86-64 (cvttsd2si, with its out-of-range "indefinite" value).
func geoScoreBits(s float64) uint64 {
	const two63 = 9223372036854775808.0
	if s < two63 {
		return uint64(cvttsd2si(s))
	}
	return uint64(cvttsd2si(s-two63)) ^ 1<<63
}

func cvttsd2si(x float64) int64 {
	const two63 = 9223372036854775808.0
	if x != x || x >= two63 || x < -two63 {
		return math.MinInt64
	}
	return int64(x)
}

// geoDecodeScore returns the position a member's score stands for: the
// centre of its cell, clamped to the GEO limits.
func geoDecodeScore(score float64) (lon, lat float64) {
	a := geoDecode(geoHash{bits: geoScoreBits(score), step: geoStepMax})
	lon = (a.lonMin + a.lonMax) / 2
	lon = min(max(lon, geoLongMin), geoLongMax)
	lat = (a.latMin + a.latMax) / 2
	lat = min(max(lat, geoLatMin), geoLatMax)
	return lon, lat
}

// geoScore returns the score of a position (within the GEO limits).
func geoScore(lon, lat float64) float64 {
	h, _ := geoEncode(lon, lat, geoStepMax)
	return float64(h.bits << (52 - 2*geoStepMax))
}

// geoMove moves a cell d (+1 or -1) cells along the axis whose bits
// mask selects (0xaaaa... longitude, east/west; 0x5555... latitude,
// north/south), wrapping around.
func geoMove(h *geoHash, d int, mask uint64) {
	axis := h.bits & mask
	other := h.bits &^ mask
	zz := ^mask >> (64 - h.step*2) // the other axis's bits, as carries
	if d > 0 {
		axis += zz + 1
	} else {
		axis |= zz
		axis -= zz + 1
	}
	axis &= mask >> (64 - h.step*2)
	h.bits = axis | other
}

const (
	geoLonBits = 0xaaaaaaaaaaaaaaaa
	geoLatBits = 0x5555555555555555
)

// The eight neighbours, in the order a search visits them after the
// centre cell.
const (
	geoNorth = iota
	geoSouth
	geoEast
	geoWest
	geoNorthEast
	geoNorthWest
	geoSouthEast
	geoSouthWest
)

// geoNeighbours returns the eight cells around h.
func geoNeighbours(h geoHash) [8]geoHash {
	var n [8]geoHash
	moves := [8][2]int{{0, 1}, {0, -1}, {1, 0}, {-1, 0}, {1, 1}, {-1, 1}, {1, -1}, {-1, -1}}
	for i, m := range moves {
		n[i] = h
		if m[0] != 0 {
			geoMove(&n[i], m[0], geoLonBits)
		}
		if m[1] != 0 {
			geoMove(&n[i], m[1], geoLatBits)
		}
	}
	return n
}

// geoEstimateSteps returns the step whose cells are roughly as big as a
// search of radius metres around latitude lat.
func geoEstimateSteps(radius, lat float64) uint {
	if radius == 0 {
		return 26
	}
	step := 1
	for radius < mercatorMax {
		radius *= 2
		step++
	}
	step -= 2 // make sure the range is included in most of the base cases
	// Cells are narrower towards the poles.
	if lat > 66 || lat < -66 {
		step--
		if lat > 80 || lat < -80 {
			step--
		}
	}
	return uint(min(max(step, 1), 26))
}

// geoShape is a search area: a circle (radius) or a box (width, height)
// around (lon, lat), its sizes in the unit whose metres conversion is
// given.
type geoShape struct {
	lon, lat      float64
	box           bool
	radius        float64
	width, height float64
	conversion    float64
	bounds        [4]float64 // lonMin, latMin, lonMax, latMax
	quick         quickReject
}

// quickReject rejects, with arithmetic only, most members of a radius
// search's cells that are outside the circle. From the haversine,
// hav(d/R) = hav(Δφ) + cosφ1·cosφ2·hav(Δλ), so d/R >= |Δφ|, and once Δφ
// is within the radius, cosφ2 >= cos(|φ1| + radius/R) bounds the second
// term from below; sin(x) >= x - x³/6 replaces the sine. Both tests keep
// a margin (1e-6 relative) far above the rounding of these few operations,
// so a member they reject is certainly outside; the rest go through the
// exact distance as before.
type quickReject struct {
	ok     bool
	lat1r  float64 // centre latitude, radians
	lon1r  float64 // centre longitude, radians
	maxDlt float64 // |Δφ| above this: outside
	cosMin float64 // cosφ1 · (lower bound of cosφ2)
	hav    float64 // hav(radius/R) with the margin
}

// setup prepares the rejection test for a radius of limit metres around
// the centre; it stays off near the poles and for radii of a quarter of
// the Earth or more, where the bounds lose their use.
func (q *quickReject) setup(lon, lat, limit float64) {
	t := limit / earthRadius
	q.lat1r, q.lon1r = toRad(lat), toRad(lon)
	if !(t < math.Pi/4) || math.Abs(q.lat1r)+t >= math.Pi/2*0.99 {
		q.ok = false
		return
	}
	q.ok = true
	q.maxDlt = t * (1 + 1e-6)
	// A member passing the latitude test has |φ2| <= |φ1| + maxDlt.
	q.cosMin = math.Cos(q.lat1r) * math.Cos(math.Abs(q.lat1r)+q.maxDlt) * (1 - 1e-6)
	h := math.Sin(t / 2)
	q.hav = h * h * (1 + 1e-6)
}

// out reports that (lon, lat) is certainly farther than the radius.
func (q *quickReject) out(lon, lat float64) bool {
	if !q.ok {
		return false
	}
	dphi := math.Abs(toRad(lat) - q.lat1r)
	if dphi > q.maxDlt {
		return true
	}
	dl := math.Abs(toRad(lon) - q.lon1r)
	if dl > math.Pi {
		return false
	}
	x := dl / 2
	sx := x - x*x*x/6 // <= sin(x) for x in [0, π/2]
	return q.cosMin*sx*sx > q.hav
}

// boundingBox computes the shape's bounds in degrees. The box is widest
// on its side nearer the equator.
func (s *geoShape) boundingBox() {
	var height, width float64
	if s.box {
		height = s.conversion * (s.height / 2)
		width = s.conversion * (s.width / 2)
	} else {
		height = s.conversion * s.radius
		width = s.conversion * s.radius
	}
	latDelta := toDeg(height / earthRadius)
	lonDeltaTop := toDeg(width / earthRadius / geoCos(toRad(s.lat+latDelta)))
	lonDeltaBottom := toDeg(width / earthRadius / geoCos(toRad(s.lat-latDelta)))
	if s.lat < 0 {
		s.bounds[0] = s.lon - lonDeltaBottom
		s.bounds[2] = s.lon + lonDeltaBottom
	} else {
		s.bounds[0] = s.lon - lonDeltaTop
		s.bounds[2] = s.lon + lonDeltaTop
	}
	s.bounds[1] = s.lat - latDelta
	s.bounds[3] = s.lat + latDelta
	if !s.box {
		s.quick.setup(s.lon, s.lat, s.radius*s.conversion)
	}
}

// searchCells returns the cells a search of shape visits, in order: the
// centre cell then its neighbours, zero for the ones pruned.
func (s *geoShape) searchCells() [9]geoHash {
	s.boundingBox()
	minLon, minLat, maxLon, maxLat := s.bounds[0], s.bounds[1], s.bounds[2], s.bounds[3]
	var radius float64
	if s.box {
		hw, hh := s.width/2, s.height/2
		radius = math.Sqrt(float64(hw*hw) + float64(hh*hh))
	} else {
		radius = s.radius
	}
	radius *= s.conversion
	steps := geoEstimateSteps(radius, s.lat)
	hash, _ := geoEncode(s.lon, s.lat, steps)
	nb := geoNeighbours(hash)
	area := geoDecode(hash)

	// The estimated step can be too fine when the area is near a cell's
	// edge: then one of the four sides does not cover it all.
	decrease := geoDecode(nb[geoNorth]).latMax < maxLat ||
		geoDecode(nb[geoSouth]).latMin > minLat ||
		geoDecode(nb[geoEast]).lonMax < maxLon ||
		geoDecode(nb[geoWest]).lonMin > minLon
	if steps > 1 && decrease {
		steps--
		hash, _ = geoEncode(s.lon, s.lat, steps)
		nb = geoNeighbours(hash)
		area = geoDecode(hash)
	}

	// Drop the neighbours the area cannot reach.
	if steps >= 2 {
		if area.latMin < minLat {
			nb[geoSouth], nb[geoSouthWest], nb[geoSouthEast] = geoHash{}, geoHash{}, geoHash{}
		}
		if area.latMax > maxLat {
			nb[geoNorth], nb[geoNorthEast], nb[geoNorthWest] = geoHash{}, geoHash{}, geoHash{}
		}
		if area.lonMin < minLon {
			nb[geoWest], nb[geoSouthWest], nb[geoNorthWest] = geoHash{}, geoHash{}, geoHash{}
		}
		if area.lonMax > maxLon {
			nb[geoEast], nb[geoSouthEast], nb[geoNorthEast] = geoHash{}, geoHash{}, geoHash{}
		}
	}
	var cells [9]geoHash
	cells[0] = hash
	copy(cells[1:], nb[:])
	return cells
}

// cellScores returns the score range [min, max) of the members in cell h.
func cellScores(h geoHash) (lo, hi float64) {
	shift := 52 - h.step*2
	return float64(h.bits << shift), float64((h.bits + 1) << shift)
}

// geoDistance is the haversine distance in metres between two positions.
func geoDistance(lon1, lat1, lon2, lat2 float64) float64 {
	lat1r := toRad(lat1)
	lon1r := toRad(lon1)
	lat2r := toRad(lat2)
	lon2r := toRad(lon2)
	v := geoSin((lon2r - lon1r) / 2)
	if v == 0 {
		// Redis's shortcut on one meridian (geohashGetLatDistance): the
		// same distance mathematically, rounded differently, which decides
		// the order of members at (almost) equal distances.
		return earthRadius * math.Abs(lat2r-lat1r)
	}
	u := geoSin((lat2r - lat1r) / 2)
	a := float64(u*u) + float64(float64(float64(geoCos(lat1r)*geoCos(lat2r))*v)*v)
	return 2.0 * earthRadius * geoAsin(math.Sqrt(a))
}

// farther reports, cheaply, that the distance between two positions is
// certainly above limit: it computes it with Go's math (within a few ulps
// of the exact value) and answers true only beyond a margin far wider
// than that error. Most members of the cells a search scans are outside
// the area; only the others pay for geoDistance's exact rounding. Near
// the antipode, where asin magnifies errors, it never answers true.
func farther(lon1, lat1, lon2, lat2, limit float64) bool {
	lat1r, lat2r := toRad(lat1), toRad(lat2)
	u := math.Sin((lat2r - lat1r) / 2)
	v := math.Sin((toRad(lon2) - toRad(lon1)) / 2)
	a := math.Sqrt(u*u + math.Cos(lat1r)*math.Cos(lat2r)*v*v)
	if !(a < 0.99) {
		return false
	}
	return 2*earthRadius*math.Asin(a) > limit*(1+1e-9)
}

// contains reports whether the position is inside the shape, and its
// distance in metres from the centre.
func (s *geoShape) contains(lon, lat float64) (float64, bool) {
	if !s.box {
		limit := s.radius * s.conversion
		if s.quick.out(lon, lat) || farther(s.lon, s.lat, lon, lat, limit) {
			return 0, false
		}
		d := geoDistance(s.lon, s.lat, lon, lat)
		return d, d <= limit
	}
	w, h := s.width*s.conversion, s.height*s.conversion
	if farther(lon, lat, s.lon, lat, w/2) || farther(lon, lat, lon, s.lat, h/2) {
		return 0, false
	}
	lonDist := geoDistance(lon, lat, s.lon, lat)
	latDist := geoDistance(lon, lat, lon, s.lat)
	if lonDist > w/2 || latDist > h/2 {
		return 0, false
	}
	return geoDistance(s.lon, s.lat, lon, lat), true
}

// geohashAlphabet is the standard geohash base32 alphabet.
const geohashAlphabet = "0123456789bcdefghjkmnpqrstuvwxyz"

// appendGeohash appends the 11-character standard geohash of a member's
// score: the position re-encoded in the standard latitude range [-90, 90]
// (the GEO range stops at ±85.05), its 52 bits as ten characters and a
// final '0'.
func appendGeohash(b []byte, score float64) []byte {
	lon, lat := geoDecodeScore(score)
	h, _ := geoEncodeIn(-180, 180, -90, 90, lon, lat, 26)
	for i := 0; i < 10; i++ {
		b = append(b, geohashAlphabet[(h.bits>>(52-(i+1)*5))&0x1f])
	}
	return append(b, '0')
}
