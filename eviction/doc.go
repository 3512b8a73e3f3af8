// Package eviction holds the maxmemory policies as pure algorithms: the
// per-entry access word (an LRU clock, or Redis's LFU counter), the score
// that ranks eviction candidates, Redis's eviction pool, and the frequency
// sketch of the TinyLFU policies. It knows nothing of keys or shards: the
// store samples candidates, asks for their scores, keeps the best in a
// Pool, and deletes the victims.
package eviction
