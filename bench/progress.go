package bench

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// The progress line: on a terminal, for runs that take more than a few
// seconds, one line on stderr, redrawn twice a second, saying what is
// running and at what rate. It is erased before a table is printed.

const (
	progressMinRun = 3 * time.Second // shorter runs get no progress line
	progressDelay  = time.Second     // nothing is drawn before this
	progressTick   = 500 * time.Millisecond
)

type progress struct {
	w     io.Writer // nil: disabled
	mu    sync.Mutex
	begun time.Time
	state string
	live  func() uint64
	last  uint64
	lastT time.Time
	rate  float64
	drawn bool
	stop  chan struct{}
	done  chan struct{}
}

func newProgress(w io.Writer) *progress { return &progress{w: w} }

// start begins drawing, unless the run is expected to be short.
func (p *progress) start(estimate time.Duration) {
	if p.w == nil || (estimate > 0 && estimate < progressMinRun) {
		p.w = nil
		return
	}
	p.begun = time.Now()
	p.stop, p.done = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(p.done)
		tk := time.NewTicker(progressTick)
		defer tk.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-tk.C:
				p.draw()
			}
		}
	}()
}

func (p *progress) set(state string) {
	if p.w == nil {
		return
	}
	p.mu.Lock()
	p.state = state
	p.mu.Unlock()
}

// measure installs (or, with nil, removes) the counter of measured requests.
func (p *progress) measure(live func() uint64) {
	if p.w == nil {
		return
	}
	p.mu.Lock()
	p.live, p.last, p.lastT, p.rate = live, 0, time.Now(), 0
	p.mu.Unlock()
}

func (p *progress) draw() {
	p.mu.Lock()
	defer p.mu.Unlock()
	elapsed := time.Since(p.begun)
	if elapsed < progressDelay {
		return
	}
	line := p.state
	if p.live != nil {
		n, t := p.live(), time.Now()
		if dt := t.Sub(p.lastT).Seconds(); dt > 0 && n >= p.last {
			p.rate = float64(n-p.last) / dt
		}
		p.last, p.lastT = n, t
		line += fmt.Sprintf(" · %s ops/s", fmtCount(p.rate))
	}
	fmt.Fprintf(p.w, "\r\x1b[K%s · %s", line, elapsed.Truncate(time.Second))
	p.drawn = true
}

// clear erases the line (before other output).
func (p *progress) clear() {
	if p.w == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.drawn = false
	}
}

func (p *progress) finish() {
	if p.w == nil {
		return
	}
	close(p.stop)
	<-p.done
	p.clear()
}
