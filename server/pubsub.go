package server

import (
	"cmp"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
)

// Pub/Sub (Redis's pubsub.c).
//
// The registry maps channel names (SUBSCRIBE), shard channel names
// (SSUBSCRIBE) and glob patterns (PSUBSCRIBE) to their subscribers. It is
// built so that publishing is cheap and never waits on a subscriber:
//
//   - Channels live in a lock-striped table. A publisher holds a stripe's
//     read lock only to find the channel; the channel's subscribers are a
//     copy-on-write slice behind an atomic pointer, so the fan-out reads a
//     snapshot without any lock of the registry. Subscribing and
//     unsubscribing copy the slice (O(subscribers of that channel)), which
//     is the cheap side: publishes outnumber subscription changes.
//   - Patterns are indexed by their literal prefix (the bytes before the
//     first '*', '?', '[' or '\'): a channel can only match patterns whose
//     prefix is a prefix of the channel, so a publish looks up the
//     channel's prefixes of the lengths in use (a handful) instead of
//     scanning every pattern; only patterns that start with a wildcard are
//     matched one by one. The index sits behind a read-write lock held
//     while matching, never while delivering.
//   - Delivery appends the encoded message to each receiver's output queue
//     (output.go): a slow or stalled subscriber costs the publisher a
//     memcpy, and one over its client-output-buffer-limit is closed while
//     the publisher goes on. Messages from one publisher reach each
//     receiver in publish order, since each is appended before the next
//     publish starts.
//
// A subscription is a *subscriber (client + live flag). The live flag is
// guarded by the client's output lock, which SUBSCRIBE and UNSUBSCRIBE hold
// while they change the registry and queue their confirmation; a publisher
// checks it under the same lock as it queues a message. So no message
// published after a confirmation was queued can precede it, and none
// reaches a client after it was told it is no longer subscribed, although
// the publisher's snapshot may be older than both.
//
// Lock order: client output lock (asyncOut.mu) → registry locks (stripe,
// pattern index). A publisher takes the registry locks and releases them
// before it takes any client's output lock.

// chanStripes is the number of lock stripes of a channel table.
const chanStripes = 64

// subscriber is one client's subscription to one channel or pattern.
type subscriber struct {
	c    *Client
	name string
	seq  uint64 // order of subscription within the client
	live bool   // guarded by c.async.mu
}

// channel is a channel (or pattern) with at least one subscriber.
type channel struct {
	name string
	subs atomic.Pointer[[]*subscriber] // copy-on-write, changed under the owner's write lock
}

func (ch *channel) snapshot() []*subscriber {
	if p := ch.subs.Load(); p != nil {
		return *p
	}
	return nil
}

// add appends s to ch's subscribers. REQUIRES: the owner's write lock.
func (ch *channel) add(s *subscriber) {
	cur := ch.snapshot()
	next := make([]*subscriber, len(cur), len(cur)+1)
	copy(next, cur)
	next = append(next, s)
	ch.subs.Store(&next)
}

// remove takes s out of ch's subscribers and reports how many remain.
// REQUIRES: the owner's write lock.
func (ch *channel) remove(s *subscriber) int {
	cur := ch.snapshot()
	i := slices.Index(cur, s)
	if i < 0 {
		return len(cur)
	}
	next := make([]*subscriber, 0, len(cur)-1)
	next = append(next, cur[:i]...)
	next = append(next, cur[i+1:]...)
	ch.subs.Store(&next)
	return len(next)
}

// chanTable is a lock-striped map of channel names to channels.
type chanTable struct {
	stripes [chanStripes]chanStripe
	count   atomic.Int64 // channels with subscribers
}

type chanStripe struct {
	mu sync.RWMutex
	m  map[string]*channel
	_  [32]byte
}

func (t *chanTable) stripe(name []byte) *chanStripe {
	// FNV-1a: the stripe only spreads locks, any decent hash will do.
	h := uint32(2166136261)
	for _, b := range name {
		h ^= uint32(b)
		h *= 16777619
	}
	return &t.stripes[h%chanStripes]
}

// lookup returns the channel named name, or nil.
func (t *chanTable) lookup(name []byte) *channel {
	st := t.stripe(name)
	st.mu.RLock()
	ch := st.m[string(name)]
	st.mu.RUnlock()
	return ch
}

// subscribe adds s to channel name, creating the channel.
func (t *chanTable) subscribe(name string, s *subscriber) {
	st := t.stripe([]byte(name))
	st.mu.Lock()
	ch := st.m[name]
	if ch == nil {
		if st.m == nil {
			st.m = make(map[string]*channel)
		}
		ch = &channel{name: name}
		st.m[name] = ch
		t.count.Add(1)
	}
	ch.add(s)
	st.mu.Unlock()
}

// unsubscribe removes s from channel name, dropping the channel when it
// has no subscriber left.
func (t *chanTable) unsubscribe(name string, s *subscriber) {
	st := t.stripe([]byte(name))
	st.mu.Lock()
	if ch := st.m[name]; ch != nil && ch.remove(s) == 0 {
		delete(st.m, name)
		t.count.Add(-1)
	}
	st.mu.Unlock()
}

// numSub returns the number of subscribers of channel name.
func (t *chanTable) numSub(name []byte) int {
	if ch := t.lookup(name); ch != nil {
		return len(ch.snapshot())
	}
	return 0
}

// names returns the channels matching pattern (all when pattern is nil).
func (t *chanTable) names(pattern []byte) []string {
	var out []string
	for i := range t.stripes {
		st := &t.stripes[i]
		st.mu.RLock()
		for name := range st.m {
			if pattern == nil || globMatch(pattern, []byte(name), false) {
				out = append(out, name)
			}
		}
		st.mu.RUnlock()
	}
	return out
}

// patternIndex holds the subscribed patterns, indexed by literal prefix.
type patternIndex struct {
	mu       sync.RWMutex
	byName   map[string]*channel
	byPrefix map[string][]*channel
	// lens are the distinct prefix lengths in byPrefix, ascending, and
	// lenRefs how many patterns have each.
	lens    []int
	lenRefs map[int]int
	n       atomic.Int64 // distinct patterns, readable without the lock
}

// literalPrefix is the part of a glob pattern before its first special
// byte: every string the pattern matches starts with it.
func literalPrefix(pat string) string {
	for i := 0; i < len(pat); i++ {
		switch pat[i] {
		case '*', '?', '[', '\\':
			return pat[:i]
		}
	}
	return pat
}

// subscribe adds s to pattern pat.
func (x *patternIndex) subscribe(pat string, s *subscriber) {
	x.mu.Lock()
	defer x.mu.Unlock()
	p := x.byName[pat]
	if p == nil {
		if x.byName == nil {
			x.byName = make(map[string]*channel)
			x.byPrefix = make(map[string][]*channel)
			x.lenRefs = make(map[int]int)
		}
		p = &channel{name: pat}
		x.byName[pat] = p
		x.n.Add(1)
		pre := literalPrefix(pat)
		x.byPrefix[pre] = append(x.byPrefix[pre], p)
		if x.lenRefs[len(pre)]++; x.lenRefs[len(pre)] == 1 {
			i, _ := slices.BinarySearch(x.lens, len(pre))
			x.lens = slices.Insert(x.lens, i, len(pre))
		}
	}
	p.add(s)
}

// unsubscribe removes s from pattern pat, dropping the pattern when it
// has no subscriber left.
func (x *patternIndex) unsubscribe(pat string, s *subscriber) {
	x.mu.Lock()
	defer x.mu.Unlock()
	p := x.byName[pat]
	if p == nil || p.remove(s) > 0 {
		return
	}
	delete(x.byName, pat)
	x.n.Add(-1)
	pre := literalPrefix(pat)
	group := x.byPrefix[pre]
	if i := slices.Index(group, p); i >= 0 {
		group = slices.Delete(group, i, i+1)
	}
	if len(group) == 0 {
		delete(x.byPrefix, pre)
	} else {
		x.byPrefix[pre] = group
	}
	if x.lenRefs[len(pre)]--; x.lenRefs[len(pre)] == 0 {
		delete(x.lenRefs, len(pre))
		if i, ok := slices.BinarySearch(x.lens, len(pre)); ok {
			x.lens = slices.Delete(x.lens, i, i+1)
		}
	}
}

// match appends to out the patterns that match channel.
func (x *patternIndex) match(channel []byte, out []*channel) []*channel {
	if x.n.Load() == 0 {
		return out
	}
	x.mu.RLock()
	for _, n := range x.lens {
		if n > len(channel) {
			break
		}
		for _, p := range x.byPrefix[string(channel[:n])] {
			if globMatch([]byte(p.name), channel, false) {
				out = append(out, p)
			}
		}
	}
	x.mu.RUnlock()
	return out
}

// pubsub is the server's registry of subscriptions.
type pubsub struct {
	channels chanTable    // SUBSCRIBE
	shard    chanTable    // SSUBSCRIBE
	patterns patternIndex // PSUBSCRIBE
	clients  atomic.Int64 // clients with at least one subscription
}

// Subscription kinds.
type subKind uint8

const (
	subChannel subKind = iota
	subPattern
	subShard
)

// clientSubs are one client's subscriptions, by kind. An UNSUBSCRIBE
// without arguments confirms them in the order of subscription (Redis uses
// its dict's order, which depends on a random hash seed). The maps are
// guarded by the client's output lock; the counts are atomics read by
// CLIENT LIST and INFO.
type clientSubs struct {
	byKind [3]map[string]*subscriber
	seq    uint64
	counts [3]atomic.Int64
}

func (cs *clientSubs) total() int64 {
	return cs.counts[subChannel].Load() + cs.counts[subPattern].Load() + cs.counts[subShard].Load()
}

// subscriptionCount is the count Redis's confirmations carry: channels
// plus patterns for (P)SUBSCRIBE, shard channels for SSUBSCRIBE.
func (cs *clientSubs) replyCount(k subKind) int64 {
	if k == subShard {
		return cs.counts[subShard].Load()
	}
	return cs.counts[subChannel].Load() + cs.counts[subPattern].Load()
}

// subscribed reports whether c has any subscription (Redis's
// CLIENT_PUBSUB flag). Safe from any goroutine.
func (c *Client) subscribed() bool {
	cs := c.subs.Load()
	return cs != nil && cs.total() > 0
}

// subCount returns c's number of subscriptions of kind k (CLIENT LIST).
func (c *Client) subCount(k subKind) int64 {
	if cs := c.subs.Load(); cs != nil {
		return cs.counts[k].Load()
	}
	return 0
}

// Confirmation and message kinds, by subscription kind.
var (
	subscribeWords   = [3]string{"subscribe", "psubscribe", "ssubscribe"}
	unsubscribeWords = [3]string{"unsubscribe", "punsubscribe", "sunsubscribe"}
)

// table returns the registry of kind k's channels (not patterns).
func (ps *pubsub) table(k subKind) *chanTable {
	if k == subShard {
		return &ps.shard
	}
	return &ps.channels
}

func (ps *pubsub) register(k subKind, name string, s *subscriber) {
	if k == subPattern {
		ps.patterns.subscribe(name, s)
	} else {
		ps.table(k).subscribe(name, s)
	}
}

func (ps *pubsub) unregister(k subKind, name string, s *subscriber) {
	if k == subPattern {
		ps.patterns.unsubscribe(name, s)
	} else {
		ps.table(k).unsubscribe(name, s)
	}
}

// subscribe is SUBSCRIBE, PSUBSCRIBE and SSUBSCRIBE: it switches c to
// asynchronous output and, atomically with respect to publishers, adds
// each name and queues its confirmation.
func (c *Client) subscribe(k subKind, names [][]byte) {
	c.enableAsyncClass(classPubsub)
	cs := c.subs.Load()
	if cs == nil {
		cs = &clientSubs{}
		c.subs.Store(cs)
	}
	ps := &c.srv.pubsub
	c.lockOut()
	was := cs.total() > 0
	for _, n := range names {
		m := cs.byKind[k]
		if m == nil {
			m = make(map[string]*subscriber)
			cs.byKind[k] = m
		}
		if m[string(n)] == nil {
			name := string(n)
			cs.seq++
			s := &subscriber{c: c, name: name, seq: cs.seq, live: true}
			m[name] = s
			cs.counts[k].Add(1)
			ps.register(k, name, s)
		}
		c.writeSubReply(subscribeWords[k], n, cs.replyCount(k))
	}
	if !was && cs.total() > 0 {
		ps.clients.Add(1)
	}
	c.flushLocked()
	c.unlockOut()
}

// unsubscribe is UNSUBSCRIBE, PUNSUBSCRIBE and SUNSUBSCRIBE: it removes
// the names given (all of kind k when none) and queues a confirmation for
// each, or one with a null name when there was nothing to leave. With
// quiet (RESET, a closing connection) nothing is written.
func (c *Client) unsubscribe(k subKind, names [][]byte, quiet bool) {
	cs := c.subs.Load()
	if cs == nil {
		// Never subscribed: confirmations only.
		if quiet {
			return
		}
		if len(names) == 0 {
			c.writeSubReply(unsubscribeWords[k], nil, 0)
		}
		for _, n := range names {
			c.writeSubReply(unsubscribeWords[k], n, 0)
		}
		return
	}
	ps := &c.srv.pubsub
	c.lockOut()
	was := cs.total() > 0
	leave := func(name []byte) {
		m := cs.byKind[k]
		if s := m[string(name)]; s != nil {
			s.live = false
			delete(m, string(name))
			cs.counts[k].Add(-1)
			ps.unregister(k, string(name), s)
		}
		if !quiet {
			c.writeSubReply(unsubscribeWords[k], name, cs.replyCount(k))
		}
	}
	if len(names) == 0 {
		all := make([]*subscriber, 0, len(cs.byKind[k]))
		for _, s := range cs.byKind[k] {
			all = append(all, s)
		}
		slices.SortFunc(all, func(a, b *subscriber) int { return cmp.Compare(a.seq, b.seq) })
		if len(all) == 0 && !quiet {
			c.writeSubReply(unsubscribeWords[k], nil, cs.replyCount(k))
		}
		for _, s := range all {
			leave([]byte(s.name))
		}
	} else {
		for _, n := range names {
			leave(n)
		}
	}
	if was && cs.total() == 0 {
		ps.clients.Add(-1)
		c.async.class = classNormal
	}
	c.flushLocked()
	c.unlockOut()
}

// unsubscribeAll leaves every channel, pattern and shard channel without
// a reply (RESET, and a connection that closes, so no registry keeps a
// closed client).
func (c *Client) unsubscribeAll() {
	if c.subs.Load() == nil {
		return
	}
	for k := subChannel; k <= subShard; k++ {
		c.unsubscribe(k, nil, true)
	}
}

// writeSubReply writes a (un)subscribe confirmation: [kind, name, count]
// as a push in RESP3; a nil name is a null.
func (c *Client) writeSubReply(kind string, name []byte, count int64) {
	c.WritePush(3)
	c.WriteBulkString(kind)
	if name == nil {
		c.WriteNull()
	} else {
		c.WriteBulk(name)
	}
	c.WriteInt(count)
}

// pubScratch is a publisher's reusable state: the encoded frames and the
// matched patterns. One per client (PUBLISH) and one per notifier call.
type pubScratch struct {
	msg  []byte // "*3\r\n$7\r\nmessage\r\n..." (RESP3: '>' for the '*')
	pmsg []byte // the pmessage frame of the current pattern
	pats []*channel
}

// appendBulk2 appends a RESP bulk string.
func appendBulk2[T string | []byte](b []byte, s T) []byte {
	b = append(b, '$')
	b = strconv.AppendInt(b, int64(len(s)), 10)
	b = append(b, '\r', '\n')
	b = append(b, s...)
	return append(b, '\r', '\n')
}

// publish delivers message on channel to the channel's subscribers and,
// unless shard, to the subscribers of matching patterns; self is the
// publishing client (nil for notifications), whose own pushes join its
// pending replies instead of its queue, so they keep their place among
// its replies. It returns the number of deliveries (PUBLISH's reply).
func (ps *pubsub) publish(self *Client, sc *pubScratch, channelName, message []byte, shard bool) int64 {
	var n int64
	word := "message"
	tab := &ps.channels
	if shard {
		word, tab = "smessage", &ps.shard
	}
	if ch := tab.lookup(channelName); ch != nil {
		subs := ch.snapshot()
		if len(subs) > 0 {
			sc.msg = append(sc.msg[:0], "*3\r\n$"...)
			sc.msg = strconv.AppendInt(sc.msg, int64(len(word)), 10)
			sc.msg = append(sc.msg, "\r\n"...)
			sc.msg = append(sc.msg, word...)
			sc.msg = append(sc.msg, "\r\n"...)
			sc.msg = appendBulk2(sc.msg, channelName)
			sc.msg = appendBulk2(sc.msg, message)
			for _, s := range subs {
				if s.c.deliver(self, s, sc.msg) {
					n++
				}
			}
		}
	}
	if !shard {
		n += ps.publishPatterns(self, sc, channelName, message)
	}
	// A huge message must not stay allocated in every publisher's scratch.
	if cap(sc.msg) > maxScratch || cap(sc.pmsg) > maxScratch {
		sc.msg, sc.pmsg = nil, nil
	}
	return n
}

// maxScratch is the largest frame buffer a pubScratch keeps between
// publishes.
const maxScratch = 64 << 10

// publishPatterns delivers message to the subscribers of the patterns
// matching channelName and returns the number of deliveries.
func (ps *pubsub) publishPatterns(self *Client, sc *pubScratch, channelName, message []byte) int64 {
	var n int64
	sc.pats = ps.patterns.match(channelName, sc.pats[:0])
	for i, p := range sc.pats {
		sc.pats[i] = nil
		subs := p.snapshot()
		if len(subs) == 0 {
			continue
		}
		sc.pmsg = append(sc.pmsg[:0], "*4\r\n$8\r\npmessage\r\n"...)
		sc.pmsg = appendBulk2(sc.pmsg, p.name)
		sc.pmsg = appendBulk2(sc.pmsg, channelName)
		sc.pmsg = appendBulk2(sc.pmsg, message)
		for _, s := range subs {
			if s.c.deliver(self, s, sc.pmsg) {
				n++
			}
		}
	}
	return n
}

// deliver queues an encoded message frame (RESP2 array form) for c if s is
// still live; self is the publishing client. It reports whether the
// message was queued.
func (c *Client) deliver(self *Client, s *subscriber, frame []byte) bool {
	a := c.async
	a.mu.Lock()
	defer a.mu.Unlock()
	if !s.live || a.closed {
		return false
	}
	if c == self {
		// The publisher's own goroutine: its reply buffer is its to
		// append to, and the message must precede the PUBLISH reply.
		c.appendFrame(&c.out, frame)
		return true
	}
	return c.appendFrameLocked(a, frame)
}

// pubsubStats are INFO's pubsub figures.
func (ps *pubsub) stats() (channels, patterns, shardChannels, clients int64) {
	return ps.channels.count.Load(), ps.patterns.n.Load(), ps.shard.count.Load(), ps.clients.Load()
}

// subscribedCtxAllowed reports whether cmd may run on a RESP2 connection
// in subscribed state.
func subscribedCtxAllowed(cmd *Command) bool {
	switch cmd.Name {
	case "ping", "subscribe", "ssubscribe", "unsubscribe", "sunsubscribe",
		"psubscribe", "punsubscribe", "quit", "reset":
		return true
	}
	return false
}
