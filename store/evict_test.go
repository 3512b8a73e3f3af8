package store

import (
	"fmt"
	"sync"
	"testing"

	"github.com/embercache/ember/eviction"
)

// evictStore returns a one-shard store whose eviction samples the whole
// table, so sampled policies choose exactly.
func evictStore(t *testing.T, p eviction.Policy) (*Store, *int64) {
	t.Helper()
	st, err := New(Config{Databases: 2, Shards: 1})
	if err != nil {
		t.Fatal(err)
	}
	now := int64(1_700_000_000_000)
	st.SetClock(func() int64 { return now })
	params := eviction.DefaultParams
	params.Samples = 1000
	params.Tenacity = 100
	st.SetEviction(p, params, 1<<20)
	return st, &now
}

func setKeys(st *Store, db int, prefix string, n int, ttl int64) {
	tx := NewTx(st)
	for i := 0; i < n; i++ {
		k := []byte(fmt.Sprintf("%s%d", prefix, i))
		tx.LockKey(st.DB(db), k, true)
		at := int64(0)
		if ttl > 0 {
			at = tx.Now() + ttl + int64(i)
		}
		tx.SetString(k, []byte("value"), at)
		tx.Unlock()
	}
}

func readKeys(st *Store, db int, prefix string, from, to int) {
	tx := NewTx(st)
	for i := from; i < to; i++ {
		k := []byte(fmt.Sprintf("%s%d", prefix, i))
		tx.LockKey(st.DB(db), k, false)
		tx.LookupRead(k)
		tx.Unlock()
	}
}

// present returns which of prefix0..n-1 are still in db.
func present(st *Store, db int, prefix string, n int) []bool {
	tx := NewTx(st)
	out := make([]bool, n)
	for i := range out {
		k := []byte(fmt.Sprintf("%s%d", prefix, i))
		tx.LockKey(st.DB(db), k, false)
		out[i] = tx.Lookup(k) != nil
		tx.Unlock()
	}
	return out
}

// checkSurvivors checks that of prefix0..n-1 in database 0 exactly those
// from cut on are left.
func checkSurvivors(t *testing.T, st *Store, prefix string, n, cut int) {
	t.Helper()
	got := present(st, 0, prefix, n)
	for i, ok := range got {
		if ok != (i >= cut) {
			t.Fatalf("key %s%d present %v, want only keys from %d on (%v)", prefix, i, ok, cut, got)
		}
	}
}

func count(b []bool) (n int) {
	for _, v := range b {
		if v {
			n++
		}
	}
	return n
}

// evictKeys evicts until n keys' worth of bytes are gone.
func evictKeys(t *testing.T, st *Store, n int) EvictStatus {
	t.Helper()
	per := st.UsedMemory() / max(st.totalKeys(), 1)
	return st.Evict(st.UsedMemory() - int64(n)*per)
}

func TestEvictAllkeysLRU(t *testing.T) {
	st, now := evictStore(t, eviction.AllKeysLRU)
	setKeys(st, 0, "k", 40, 0)
	*now += 10_000
	readKeys(st, 0, "k", 20, 40) // the second half is recent
	if s := evictKeys(t, st, 20); s != EvictOK {
		t.Fatalf("status %v", s)
	}
	checkSurvivors(t, st, "k", 40, 20) // LRU evicts exactly the idle half
	if st.Stats().EvictedKeys.Load() != 20 {
		t.Fatalf("evicted_keys %d", st.Stats().EvictedKeys.Load())
	}
}

func TestEvictAllkeysLFU(t *testing.T) {
	st, _ := evictStore(t, eviction.AllKeysLFU)
	setKeys(st, 0, "k", 30, 0)
	for r := 0; r < 5; r++ {
		readKeys(st, 0, "k", 10, 30) // k10.. are used; new keys start at LFU_INIT_VAL
	}
	evictKeys(t, st, 10)
	checkSurvivors(t, st, "k", 30, 10) // LFU evicts the unused keys
}

// TestEvictVolatile: volatile policies evict only keys with a TTL, across
// databases, and fail when none is left; allkeys ones take any key.
func TestEvictVolatile(t *testing.T) {
	for _, p := range []eviction.Policy{eviction.VolatileLRU, eviction.VolatileLFU, eviction.VolatileRandom, eviction.VolatileTTL, eviction.VolatileTinyLFU} {
		t.Run(p.String(), func(t *testing.T) {
			st, _ := evictStore(t, p)
			setKeys(st, 0, "p", 20, 0)
			setKeys(st, 1, "v", 10, 60_000)
			if s := st.Evict(0); s != EvictFail {
				t.Fatalf("status %v, want fail once only persistent keys remain", s)
			}
			if n := count(present(st, 0, "p", 20)); n != 20 {
				t.Fatalf("%d persistent keys left of 20", n)
			}
			if n := count(present(st, 1, "v", 10)); n != 0 {
				t.Fatalf("%d volatile keys left", n)
			}
		})
	}
	for _, p := range []eviction.Policy{eviction.AllKeysLRU, eviction.AllKeysLFU, eviction.AllKeysRandom, eviction.AllKeysTinyLFU} {
		st, _ := evictStore(t, p)
		setKeys(st, 0, "p", 20, 0)
		setKeys(st, 1, "v", 10, 60_000)
		if s := st.Evict(0); s != EvictOK || st.UsedMemory() != 0 {
			t.Fatalf("%v: status %v used %d", p, s, st.UsedMemory())
		}
	}
}

// TestEvictVolatileTTL: the keys closest to expiring go first.
func TestEvictVolatileTTL(t *testing.T) {
	st, _ := evictStore(t, eviction.VolatileTTL)
	setKeys(st, 0, "v", 30, 60_000) // v0 expires first
	evictKeys(t, st, 10)
	checkSurvivors(t, st, "v", 30, 10)
}

func TestEvictNoeviction(t *testing.T) {
	st, _ := evictStore(t, eviction.NoEviction)
	setKeys(st, 0, "k", 5, 0)
	if s := st.Evict(0); s != EvictFail {
		t.Fatalf("status %v", s)
	}
	if s := st.Evict(st.UsedMemory()); s != EvictOK {
		t.Fatalf("within target: status %v", s)
	}
}

// TestEvictJournal: each eviction journals DEL key with Cause evicted.
func TestEvictJournal(t *testing.T) {
	st, _ := evictStore(t, eviction.AllKeysRandom)
	setKeys(st, 1, "k", 3, 0)
	var got []string
	cancel := st.Journal().Subscribe(func(m *Mutation) {
		got = append(got, fmt.Sprintf("%d %s %s %d", m.DB, m.Args[0], m.Args[1], m.Cause))
	})
	defer cancel()
	st.Evict(0)
	if len(got) != 3 {
		t.Fatalf("records %v", got)
	}
	for _, r := range got {
		var db, cause int
		var cmd, key string
		fmt.Sscanf(r, "%d %s %s %d", &db, &cmd, &key, &cause)
		if db != 1 || cmd != "DEL" || Cause(cause) != CauseEvicted {
			t.Fatalf("record %q", r)
		}
	}
}

// TestTinyLFUAdmission: a scan of keys seen once does not push out the
// keys in regular use; under LRU the same scan does.
func TestTinyLFUAdmission(t *testing.T) {
	run := func(p eviction.Policy) int {
		st, now := evictStore(t, p)
		setKeys(st, 0, "hot", 50, 0)
		for r := 0; r < 4; r++ {
			readKeys(st, 0, "hot", 0, 50)
		}
		limit := st.UsedMemory()
		tx := NewTx(st)
		for i := 0; i < 200; i++ {
			*now += 10
			k := []byte(fmt.Sprintf("scan%d", i))
			tx.LockKey(st.DB(0), k, false)
			tx.LookupRead(k) // the miss of a cache-aside read
			tx.Unlock()
			tx.LockKey(st.DB(0), k, true)
			tx.SetString(k, []byte("value"), 0)
			tx.Unlock()
			st.Evict(limit)
		}
		return count(present(st, 0, "hot", 50))
	}
	if n := run(eviction.AllKeysTinyLFU); n < 48 {
		t.Fatalf("tinylfu kept %d of 50 hot keys", n)
	}
	if n := run(eviction.AllKeysLRU); n > 10 {
		t.Fatalf("lru kept %d of 50 hot keys through a scan (the test does not test)", n)
	}
}

// TestLFUAccessRecording: under an LFU policy new keys start at
// LFU_INIT_VAL and reads raise the counter.
func TestLFUAccessRecording(t *testing.T) {
	st, now := evictStore(t, eviction.AllKeysLFU)
	setKeys(st, 0, "k", 1, 0)
	tx := NewTx(st)
	tx.LockKey(st.DB(0), []byte("k0"), false)
	e := tx.Lookup([]byte("k0"))
	tx.Unlock()
	if c := LFUCounter(e.Access(), *now, 1); c != eviction.LFUInitVal+1 {
		t.Fatalf("counter after create+lookup %d", c)
	}
	for i := 0; i < 2000; i++ {
		readKeys(st, 0, "k", 0, 1)
	}
	// About 25 expected: 5*(c-5)^2 hits reach counter c.
	if c := LFUCounter(e.Access(), *now, 1); c < 15 || c > 40 {
		t.Fatalf("counter after 2000 reads %d", c)
	}
}

// TestEvictConcurrent: writers, readers and evictors run at once (run
// with -race); the keyspace ends within its budget.
func TestEvictConcurrent(t *testing.T) {
	for _, p := range []eviction.Policy{eviction.AllKeysLRU, eviction.AllKeysLFU, eviction.AllKeysTinyLFU, eviction.VolatileTTL} {
		st, err := New(Config{Databases: 2, Shards: 8})
		if err != nil {
			t.Fatal(err)
		}
		st.SetEviction(p, eviction.DefaultParams, 1<<20)
		const budget = 20_000
		var wg sync.WaitGroup
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				tx := NewTx(st)
				for i := 0; i < 2000; i++ {
					k := []byte(fmt.Sprintf("k%d-%d", w, i%500))
					db := st.DB(i % 2)
					tx.LockKey(db, k, i%3 != 0)
					if i%3 == 0 {
						tx.LookupRead(k)
					} else {
						tx.SetString(k, []byte("some value"), tx.Now()+60_000)
					}
					tx.Unlock()
					st.Evict(budget)
				}
			}()
		}
		wg.Wait()
		if s := st.Evict(budget); s != EvictOK || st.UsedMemory() > budget {
			t.Fatalf("%v: status %v used %d", p, s, st.UsedMemory())
		}
		var sum int64
		for i := 0; i < 2; i++ {
			st.DB(i).Each(func(e *Entry) bool { sum += e.Size(); return true })
		}
		if sum != st.UsedMemory() {
			t.Fatalf("%v: entries %d, used %d", p, sum, st.UsedMemory())
		}
	}
}

// TestEvictNoAlloc: an eviction that runs before a write allocates
// nothing (it sits on the command path of every write past maxmemory).
func TestEvictNoAlloc(t *testing.T) {
	for _, p := range []eviction.Policy{eviction.AllKeysLRU, eviction.AllKeysLFU, eviction.AllKeysTinyLFU, eviction.VolatileTTL, eviction.AllKeysRandom} {
		st, _ := evictStore(t, p)
		setKeys(st, 0, "k", 3000, 60_000)
		tx := NewTx(st)
		allocs := testing.AllocsPerRun(500, func() {
			st.Evict(st.UsedMemory() - 1) // one key
			k := []byte("k0")
			tx.LockKey(st.DB(0), k, true)
			tx.SetString(k, []byte("value"), 0)
			tx.Unlock()
		})
		// The SetString of a new key allocates its entry (once per run).
		if allocs > 1 {
			t.Errorf("%v: %.1f allocations per eviction", p, allocs)
		}
	}
}
