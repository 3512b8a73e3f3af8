package eviction

// PoolSize is the number of candidates the eviction pool keeps (Redis's
// EVPOOL_SIZE).
const PoolSize = 16

// Pool is Redis's eviction pool: the best candidates seen over several
// rounds of sampling, kept sorted by score, so that each eviction benefits
// from the samples of earlier ones. T identifies a candidate to the caller
// (an entry and where it lives).
type Pool[T comparable] struct {
	n     int
	items [PoolSize]T
	score [PoolSize]uint64
}

// Len returns the number of candidates held.
func (p *Pool[T]) Len() int { return p.n }

// Offer considers a candidate: it enters the pool if there is room or its
// score beats the lowest held, which then leaves. A candidate already
// present is not added twice.
func (p *Pool[T]) Offer(score uint64, item T) {
	for i := 0; i < p.n; i++ {
		if p.items[i] == item {
			return
		}
	}
	// Position k: the first whose score is not below ours.
	k := 0
	for k < p.n && p.score[k] < score {
		k++
	}
	if p.n == PoolSize {
		if k == 0 {
			return // worse than everything held
		}
		// Drop the lowest (index 0) and shift left to make room at k-1.
		copy(p.items[:k-1], p.items[1:k])
		copy(p.score[:k-1], p.score[1:k])
		p.items[k-1], p.score[k-1] = item, score
		return
	}
	copy(p.items[k+1:p.n+1], p.items[k:p.n])
	copy(p.score[k+1:p.n+1], p.score[k:p.n])
	p.items[k], p.score[k] = item, score
	p.n++
}

// Pop removes and returns the best candidate (highest score).
func (p *Pool[T]) Pop() (item T, score uint64, ok bool) {
	if p.n == 0 {
		return item, 0, false
	}
	p.n--
	item, score = p.items[p.n], p.score[p.n]
	var zero T
	p.items[p.n] = zero
	return item, score, true
}

// Peek returns the best candidate's score without removing it.
func (p *Pool[T]) Peek() (score uint64, ok bool) {
	if p.n == 0 {
		return 0, false
	}
	return p.score[p.n-1], true
}

// Reset empties the pool (after a policy change or a flush).
func (p *Pool[T]) Reset() {
	clear(p.items[:])
	p.n = 0
}
