package bench

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"time"
)

// The pubsub workload: one publisher, N subscribers on one channel, or
// (--channels) on each of several channels the publisher picks from at
// random, by SUBSCRIBE to every channel or (--psubscribe) by one pattern
// matching them all: every message reaches every subscriber either way.
//
// Each payload starts with its send time (8 bytes, little-endian
// nanoseconds on this process's monotonic clock; at a fixed rate, the
// intended send time), so a subscriber's latency is end to end: publisher
// to server to subscriber. The figure reported as ops/s is messages
// delivered per second, summed over subscribers. When the publisher is
// done it publishes a sentinel (send time -1); every subscriber stops on
// it, which also proves that everything published before it arrived.

const sentinelStamp = -1

// subscriber is one subscribed connection.
type subscriber struct {
	stats
	c  *conn
	ok bool // SUBSCRIBE succeeded
}

// subscribe sends SUBSCRIBE (or PSUBSCRIBE) and reads its confirmations.
func (s *subscriber) subscribe(channels int, pattern bool) error {
	var args []string
	switch {
	case pattern && channels > 1:
		args = []string{"PSUBSCRIBE", pubsubChan + ":*"}
	case pattern:
		args = []string{"PSUBSCRIBE", pubsubChan + "*"}
	case channels > 1:
		args = []string{"SUBSCRIBE"}
		for i := 0; i < channels; i++ {
			args = append(args, pubsubChan+":"+strconv.Itoa(i))
		}
	default:
		args = []string{"SUBSCRIBE", pubsubChan}
	}
	s.c.wb = appendCommand(s.c.wb[:0], args...)
	if _, err := s.c.nc.Write(s.c.wb); err != nil {
		return err
	}
	for range args[1:] {
		if err := s.c.rd.read(&s.c.rp); err != nil {
			return err
		}
		if s.c.rp.kind == '-' {
			s.noteError(s.c.rp.text)
			return nil
		}
	}
	s.ok = true
	return nil
}

// run reads messages until the sentinel.
func (s *subscriber) run(ctl *roundCtl) error {
	if !s.ok {
		return nil
	}
	var kind [8]byte
	var stamp [stampLen]byte
	rd := &s.c.rd
	for {
		l, err := rd.line()
		if err != nil {
			return err
		}
		if l[0] == '-' {
			s.noteError(l[1:])
			continue
		}
		n, ok := parseInt(l[1:])
		if l[0] != '*' && l[0] != '>' || !ok || n < 1 {
			return fmt.Errorf("%w: unexpected %q on a subscribed connection", errProtocol, l)
		}
		kn, _, err := rd.bulkPrefix(kind[:])
		if err != nil {
			return err
		}
		msg := kn == 7 && string(kind[:7]) == "message" && n == 3
		pmsg := kn == 8 && string(kind[:8]) == "pmessage" && n == 4
		if !msg && !pmsg {
			for i := int64(1); i < n; i++ { // not a message: skip it
				if err := rd.read(&s.c.rp); err != nil {
					return err
				}
			}
			continue
		}
		for i := int64(2); i < n; i++ { // the pattern, then the channel
			if _, _, err := rd.bulkPrefix(nil); err != nil {
				return err
			}
		}
		pn, _, err := rd.bulkPrefix(stamp[:])
		if err != nil {
			return err
		}
		if pn < stampLen {
			return fmt.Errorf("%w: pubsub payload of %d bytes", errProtocol, pn)
		}
		ts := int64(binary.LittleEndian.Uint64(stamp[:]))
		if ts == sentinelStamp {
			return nil
		}
		t := now()
		if ms := ctl.measureStart.Load(); ms != 0 && ts >= ms {
			s.hist.Record(t - ts)
			s.ops++
			s.lastT = t
		}
	}
}

// runPubsubRound runs one round of the pubsub workload against t.
func (r *runner) runPubsubRound(t *Target, p *genParams, depth, round int) (*Round, error) {
	o := r.o
	nsubs := o.Subscribers
	if nsubs < 1 {
		nsubs = o.Clients
	}
	conns, err := dialAll(t, nsubs+1)
	if err != nil {
		return nil, err
	}
	defer closeAll(conns)
	subs := make([]*subscriber, nsubs)
	for i := range subs {
		subs[i] = &subscriber{c: conns[i+1]}
		if err := subs[i].subscribe(o.Channels, o.Psubscribe); err != nil {
			return nil, t.fail("SUBSCRIBE", err)
		}
	}
	pub := newWorker(conns[0], newGen(p, round, 0), depth)
	if o.Requests > 0 {
		pub.quota = o.Requests
	}
	start := now()
	if o.Rate > 0 {
		pub.interval = 1e9 / o.Rate
		pub.first = start
	}
	ctl := &roundCtl{}
	errs := r.drive(ctl, 1+nsubs, func(i int) error {
		if i > 0 {
			return subs[i-1].run(ctl)
		}
		var err error
		if pub.interval > 0 {
			err = pub.runOpen(ctl)
		} else {
			err = pub.runClosed(ctl)
		}
		if err != nil {
			return err
		}
		return publishSentinel(pub)
	}, func() { closeAll(conns) }, func() uint64 { return pub.live.Load() })
	if err := firstError(errs); err != nil {
		return nil, t.fail("connection failed during pubsub", err)
	}
	// Throughput and latency are the subscribers'; errors are everyone's.
	rr := newRound()
	for _, s := range subs {
		rr.add(&s.stats)
	}
	rr.finish(ctl.measureStart.Load())
	rr.Published = pub.ops
	rr.Errors += pub.errs
	for _, e := range pub.errText {
		rr.errText[e.text] += e.n
	}
	return rr, nil
}

// publishSentinel tells the subscribers the round is over.
func publishSentinel(pub *worker) error {
	pub.g.stamp = sentinelStamp
	var s slot
	pub.c.wb = pub.g.next(pub.c.wb[:0], &s)
	if _, err := pub.c.nc.Write(pub.c.wb); err != nil {
		return err
	}
	_ = pub.c.nc.SetReadDeadline(time.Now().Add(stallGrace))
	defer pub.c.nc.SetReadDeadline(time.Time{})
	return pub.c.rd.read(&pub.c.rp)
}
