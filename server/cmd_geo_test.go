package server

import (
	"slices"
	"strings"
	"testing"
)

// TestGeoJournal checks the records the GEO commands emit: GEOADD as the
// ZADD it runs (scores are the geohashes), the *STORE forms as the final
// content of the destination ("DEL dst" first when it existed), "DEL dst"
// for an empty result, and nothing for reads and no-ops.
func TestGeoJournal(t *testing.T) {
	srv := startServer(t)
	j := captureJournal(t, srv)
	c := dial(t, srv)
	steps := []struct {
		cmd  string
		recs []string
	}{
		{"GEOADD g 13.361389 38.115556 Palermo 15.087269 37.502669 Catania",
			[]string{"0 ZADD g 3479099956230698 Palermo 3479447370796909 Catania"}},
		{"GEOADD g 13.361389 38.115556 Palermo", nil},
		{"GEOADD g XX CH 13.361389 38.115556 Palermo 1 1 nope", nil},
		{"GEOADD g NX 1 1 Palermo 2 2 two", []string{"0 ZADD g 3378191666521995 two"}},
		{"GEOADD g 200 1 bad", nil},
		{"GEOPOS g Palermo", nil},
		{"GEODIST g Palermo Catania", nil},
		{"GEOHASH g Palermo", nil},
		{"GEOSEARCH g FROMLONLAT 15 37 BYRADIUS 200 km", nil},
		{"GEORADIUS g 15 37 200 km", nil},
		{"GEOSEARCHSTORE d g FROMLONLAT 15 37 BYRADIUS 200 km",
			[]string{"0 ZADD d 3479099956230698 Palermo 3479447370796909 Catania"}},
		{"GEOSEARCHSTORE d g FROMLONLAT 15 37 BYRADIUS 200 km STOREDIST COUNT 1",
			[]string{"0 DEL d", "0 ZADD d 56.441257870158204 Catania"}},
		{"GEORADIUS g 15 37 200 km STORE d2", []string{"0 ZADD d2 3479099956230698 Palermo 3479447370796909 Catania"}},
		{"GEORADIUS g 0 0 1 m STOREDIST d2", []string{"0 DEL d2"}},
		{"GEORADIUS g 0 0 1 m STOREDIST d2", nil},
		{"GEOSEARCHSTORE d nokey FROMLONLAT 15 37 BYRADIUS 200 km", []string{"0 DEL d"}},
		{"GEOSEARCHSTORE d nokey FROMLONLAT 15 37 BYRADIUS 200 km", nil},
	}
	for _, st := range steps {
		j.expect(t, c, st.cmd, st.recs)
	}
}

// TestGeoStoreWakesBlocked checks that the destination of GEOADD,
// GEOSEARCHSTORE and GEORADIUS ... STORE serves a client blocked in
// BZPOPMIN on it.
func TestGeoStoreWakesBlocked(t *testing.T) {
	srv := startServer(t)
	ctl := dial(t, srv)
	ctl.MustDo(t, "GEOADD", "src", "13.361389", "38.115556", "Palermo")
	for _, fill := range [][]string{
		{"GEOADD", "dst", "13.361389", "38.115556", "Palermo"},
		{"GEOSEARCHSTORE", "dst", "src", "FROMMEMBER", "Palermo", "BYRADIUS", "1", "km", "STOREDIST"},
		{"GEORADIUS", "src", "13.361389", "38.115556", "1", "km", "STORE", "dst"},
		{"GEORADIUSBYMEMBER", "src", "Palermo", "1", "km", "STOREDIST", "dst"},
	} {
		b := sendBlocked(t, srv, ctl, 1, "BZPOPMIN", "dst", "0")
		ctl.MustDo(t, fill...)
		got := readReply(t, b)
		if !strings.HasPrefix(got, "*3\r\n$3\r\ndst\r\n$7\r\nPalermo\r\n") {
			t.Fatalf("%s: waiter got %q", fill[0], got)
		}
	}
}

// TestGeoHugeCount checks that a COUNT near 2^63 allocates nothing in
// proportion: the reply holds the members found.
func TestGeoHugeCount(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv)
	c.MustDo(t, "GEOADD", "g", "1", "1", "a", "1.001", "1", "b")
	for _, any := range []bool{false, true} {
		args := []string{"GEOSEARCH", "g", "FROMLONLAT", "1", "1", "BYRADIUS", "10", "km", "COUNT", "9223372036854775807"}
		if any {
			args = append(args, "ANY")
		}
		if got := c.MustDo(t, args...); got != "*2\r\n$1\r\na\r\n$1\r\nb\r\n" {
			t.Fatalf("%v: %q", args, got)
		}
	}
}

// TestPqsortPartial checks pqsort against a full sort: the requested range
// is sorted and holds the right elements, whatever the input.
func TestPqsortPartial(t *testing.T) {
	cmpInt := func(a, b *int) int { return *a - *b }
	for n := 1; n < 200; n += 7 {
		for _, k := range []int{1, 2, n / 3, n - 1, n} {
			if k < 1 || k > n {
				continue
			}
			a := make([]int, n)
			for i := range a {
				a[i] = (i * 7919) % 37 // repeats: ties
			}
			want := slices.Clone(a)
			slices.Sort(want)
			pqsort(a, cmpInt, 0, k-1)
			if !slices.Equal(a[:k], want[:k]) {
				t.Fatalf("n=%d k=%d: %v, want %v", n, k, a[:k], want[:k])
			}
		}
	}
}
