package eviction

// Policy is a maxmemory-policy.
type Policy uint8

// The policies: Redis's eight, then ember's TinyLFU pair.
const (
	NoEviction Policy = iota
	AllKeysLRU
	AllKeysLFU
	AllKeysRandom
	VolatileLRU
	VolatileLFU
	VolatileRandom
	VolatileTTL
	AllKeysTinyLFU
	VolatileTinyLFU
	numPolicies
)

var policyNames = [numPolicies]string{
	NoEviction:      "noeviction",
	AllKeysLRU:      "allkeys-lru",
	AllKeysLFU:      "allkeys-lfu",
	AllKeysRandom:   "allkeys-random",
	VolatileLRU:     "volatile-lru",
	VolatileLFU:     "volatile-lfu",
	VolatileRandom:  "volatile-random",
	VolatileTTL:     "volatile-ttl",
	AllKeysTinyLFU:  "allkeys-tinylfu",
	VolatileTinyLFU: "volatile-tinylfu",
}

// Names lists every policy name in the order CONFIG documents them.
func Names() []string {
	return []string{"volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl",
		"allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction",
		"allkeys-tinylfu", "volatile-tinylfu"}
}

// Parse maps a maxmemory-policy name to its Policy.
func Parse(name string) (Policy, bool) {
	for p, n := range policyNames {
		if n == name {
			return Policy(p), true
		}
	}
	return NoEviction, false
}

// String returns the policy's configuration name.
func (p Policy) String() string {
	if p < numPolicies {
		return policyNames[p]
	}
	return "unknown"
}

// Volatile reports whether the policy only evicts keys that have a TTL.
func (p Policy) Volatile() bool {
	switch p {
	case VolatileLRU, VolatileLFU, VolatileRandom, VolatileTTL, VolatileTinyLFU:
		return true
	}
	return false
}

// Evicts reports whether the policy evicts at all.
func (p Policy) Evicts() bool { return p != NoEviction && p < numPolicies }

// Metadata is what the access word of every entry holds under a policy.
type Metadata uint8

// The access word layouts.
const (
	// MetaLRU: an LRU clock (LRUClock); every policy but the LFU ones.
	MetaLRU Metadata = iota
	// MetaLFU: Redis's LFU layout, 16-bit minutes and an 8-bit counter.
	MetaLFU
)

// Metadata returns the layout of the access word under p.
func (p Policy) Metadata() Metadata {
	if p == AllKeysLFU || p == VolatileLFU {
		return MetaLFU
	}
	return MetaLRU
}

// Sketched reports whether the policy keeps a frequency sketch of every
// key looked up (the TinyLFU policies).
func (p Policy) Sketched() bool { return p == AllKeysTinyLFU || p == VolatileTinyLFU }

// Params are the tunables of the policies (Redis's config names).
type Params struct {
	Samples      int   // maxmemory-samples
	LogFactor    int64 // lfu-log-factor
	DecayMinutes int64 // lfu-decay-time
	Tenacity     int   // maxmemory-eviction-tenacity
}

// DefaultParams are Redis's defaults.
var DefaultParams = Params{Samples: 5, LogFactor: 10, DecayMinutes: 1, Tenacity: 10}
