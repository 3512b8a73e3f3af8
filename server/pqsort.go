package server

// pqsort is Redis's partial quicksort (pqsort.c, from NetBSD's qsort after
// Bentley and McIlroy's "Engineering a Sort Function"): it sorts a[lo..hi]
// (inclusive) into place, leaving the rest of a partitioned around them
// but unsorted, by not recursing into partitions outside the range. It is
// not stable; GEORADIUS with COUNT replies its first elements, so ember
// runs the same algorithm, step for step, to order ties as Redis does.
func pqsort[T any](a []T, cmp func(x, y *T) int, lo, hi int) {
	pqsortRange(a, 0, len(a), cmp, lo, hi)
}

// pqsortRange sorts the n elements from base of a.
func pqsortRange[T any](a []T, base, n int, cmp func(x, y *T) int, lo, hi int) {
	c := func(i, j int) int { return cmp(&a[i], &a[j]) }
	swap := func(i, j int) { a[i], a[j] = a[j], a[i] }
	vecswap := func(i, j, n int) {
		for k := 0; k < n; k++ {
			swap(i+k, j+k)
		}
	}
	med3 := func(x, y, z int) int {
		if c(x, y) < 0 {
			if c(y, z) < 0 {
				return y
			}
			if c(x, z) < 0 {
				return z
			}
			return x
		}
		if c(y, z) > 0 {
			return y
		}
		if c(x, z) < 0 {
			return x
		}
		return z
	}
	for {
		if n < 7 {
			for pm := base + 1; pm < base+n; pm++ {
				for pl := pm; pl > base && c(pl-1, pl) > 0; pl-- {
					swap(pl, pl-1)
				}
			}
			return
		}
		pm := base + n/2
		if n > 7 {
			pl := base
			pn := base + n - 1
			if n > 40 {
				d := n / 8
				pl = med3(pl, pl+d, pl+2*d)
				pm = med3(pm-d, pm, pm+d)
				pn = med3(pn-2*d, pn-d, pn)
			}
			pm = med3(pl, pm, pn)
		}
		swap(base, pm)
		pa, pb := base+1, base+1
		pc, pd := base+n-1, base+n-1
		for {
			for pb <= pc {
				r := c(pb, base)
				if r > 0 {
					break
				}
				if r == 0 {
					swap(pa, pb)
					pa++
				}
				pb++
			}
			for pb <= pc {
				r := c(pc, base)
				if r < 0 {
					break
				}
				if r == 0 {
					swap(pc, pd)
					pd--
				}
				pc--
			}
			if pb > pc {
				break
			}
			swap(pb, pc)
			pb++
			pc--
		}
		pn := base + n
		r := min(pa-base, pb-pa)
		vecswap(base, pb-r, r)
		r = min(pd-pc, pn-pd-1)
		vecswap(pb, pn-r, r)
		// Recurse into (or loop on) a partition only if it overlaps the
		// wanted range.
		overlaps := func(from, m int) bool {
			return !((lo < from && hi < from) || (lo >= from+m && hi >= from+m))
		}
		if r = pb - pa; r > 1 && overlaps(base, r) {
			pqsortRange(a, base, r, cmp, lo, hi)
		}
		if r = pd - pc; r > 1 {
			base, n = pn-r, r
			if overlaps(base, n) {
				continue
			}
		}
		return
	}
}
