package eviction

// PoolSize is the number of candidates the eviction pool keeps (Redis's
// EVPOOL_SIZE).
const PoolSize = 16

// Pool is Redis's eviction pool: the best candidates seen over several
// rounds of sampling, kept sorted by score, so that each eviction benefits
// from the samples of earlier ones. T identifies a candidate to the caller
// (an entry and where it lives).
//
// Candidates stay in the slot they were put in; only a byte per slot
// (order) moves to keep them sorted. T holds pointers, and while the
// garbage collector runs every pointer written costs a write barrier:
// shifting the candidates themselves wrote up to 30 pointers per offer
// (measured: 9% of the CPU of a SET flood past maxmemory went to flushing
// write-barrier buffers).
type Pool[T comparable] struct {
	n     int
	order [PoolSize]uint8  // slots by ascending score; order[n:] are free
	items [PoolSize]T      // by slot
	score [PoolSize]uint64 // by slot
	ready bool             // order is a permutation of the slots
}

// Len returns the number of candidates held.
func (p *Pool[T]) Len() int { return p.n }

// Offer considers a candidate: it enters the pool if there is room or its
// score beats the lowest held, which then leaves. A candidate already
// present is not added twice.
func (p *Pool[T]) Offer(score uint64, item T) {
	if !p.ready {
		for i := range p.order {
			p.order[i] = uint8(i)
		}
		p.ready = true
	}
	for _, slot := range p.order[:p.n] {
		if p.items[slot] == item {
			return
		}
	}
	// Position k: the first whose score is not below ours.
	k := 0
	for k < p.n && p.score[p.order[k]] < score {
		k++
	}
	var slot uint8
	if p.n == PoolSize {
		if k == 0 {
			return // worse than everything held
		}
		// The lowest (position 0) leaves; its slot takes the candidate
		// at position k-1.
		slot = p.order[0]
		copy(p.order[:k-1], p.order[1:k])
		p.order[k-1] = slot
	} else {
		slot = p.order[p.n]
		copy(p.order[k+1:p.n+1], p.order[k:p.n])
		p.order[k] = slot
		p.n++
	}
	p.items[slot], p.score[slot] = item, score
}

// Pop removes and returns the best candidate (highest score).
func (p *Pool[T]) Pop() (item T, score uint64, ok bool) {
	if p.n == 0 {
		return item, 0, false
	}
	p.n--
	slot := p.order[p.n] // stays in order[n:], free
	item, score = p.items[slot], p.score[slot]
	var zero T
	p.items[slot] = zero
	return item, score, true
}

// Peek returns the best candidate's score without removing it.
func (p *Pool[T]) Peek() (score uint64, ok bool) {
	if p.n == 0 {
		return 0, false
	}
	return p.score[p.order[p.n-1]], true
}

// Reset empties the pool (after a policy change or a flush).
func (p *Pool[T]) Reset() {
	clear(p.items[:])
	p.n = 0
}
