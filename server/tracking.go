package server

import (
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/embercache/ember/store"
)

// Client-side caching, server-assisted (Redis's tracking.c).
//
// A client with CLIENT TRACKING ON is told when keys it may have cached
// change. In the default mode the server remembers, per key name (across
// databases, as Redis), the ids of the tracking clients that read it (a
// readonly command's keys, recorded before the command runs, so a write
// that races with the read is never missed); a change of the key sends
// each of them an invalidation and forgets them. OPTIN records only the
// command after CLIENT CACHING YES, OPTOUT all but the one after CLIENT
// CACHING NO. BCAST records nothing: every change of a key matching one
// of the client's prefixes notifies it. NOLOOP skips the client's own
// writes. FLUSHDB and FLUSHALL send every tracking client an invalidation
// with a null key list and empty the table. The table holds at most
// tracking-table-max-keys keys (0: no bound): past it, keys are evicted with an invalidation.
//
// Invalidations are driven by the journal: a subscriber exists only while
// some client tracks. Messages go to the client (a RESP3 push), or with
// REDIRECT to the target client (a push if it speaks RESP3, else a
// message on __redis__:invalidate if it is subscribed), through their
// asynchronous output queues. While a tracking client runs a command, the
// invalidations meant for it wait (pending) and follow the command's
// reply, as Redis 7 defers them, so a reply never follows the
// invalidation of what it read.
//
// Locks: subMu before the journal's lock (Subscribe). mu (the table and
// the clients) is taken by the subscriber under the journal's and shard
// locks; under it a receiver's trackOut.mu, then its queue's lock.
type tracker struct {
	subMu  sync.Mutex
	cancel func()

	mu      sync.Mutex
	keys    map[string]map[int64]struct{}
	clients map[int64]*Client // clients with tracking on
	items   int64             // (key, client) pairs in keys
	n       atomic.Int64      // len(clients)
}

// stats are INFO's tracking figures: clients tracking, keys and (key,
// client) pairs in the table, distinct BCAST prefixes.
func (t *tracker) stats() (clients, keys, items, prefixes int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	seen := make(map[string]struct{})
	for _, c := range t.clients {
		for _, p := range c.trk.prefixes {
			seen[p] = struct{}{}
		}
	}
	return int64(len(t.clients)), int64(len(t.keys)), t.items, int64(len(seen))
}

// Tracking modes.
const (
	trkBcast uint8 = 1 << iota
	trkOptin
	trkOptout
	trkNoloop
)

// trackState is a client's tracking configuration. Written by the client's
// goroutine under tracker.mu; read by the subscriber under it.
type trackState struct {
	on       bool
	mode     uint8
	redirect int64
	target   *Client // the REDIRECT client
	prefixes []string
	caching  bool // CLIENT CACHING YES|NO given for the next command

	out trackOut
}

// trackOut holds a tracking client's invalidations while it runs a
// command.
type trackOut struct {
	mu      sync.Mutex
	running bool
	pending [][]byte
}

var (
	invalidatePush  = []byte(">2\r\n$10\r\ninvalidate\r\n")
	invalidateMsg   = []byte("*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n")
	invalidateNull3 = []byte("_\r\n")
	invalidateNull2 = []byte("$-1\r\n")
)

// CLIENT TRACKING <ON|OFF> [REDIRECT id] [PREFIX prefix [PREFIX prefix ...]] [BCAST] [OPTIN] [OPTOUT] [NOLOOP]
func cmdClientTracking(c *Client, args [][]byte) {
	var on bool
	switch {
	case eqFold(args[2], "on"):
		on = true
	case eqFold(args[2], "off"):
	default:
		c.WriteError(errSyntax)
		return
	}
	var mode uint8
	var redirect int64
	var prefixes []string
	for i := 3; i < len(args); i++ {
		more := len(args) - 1 - i
		switch {
		case eqFold(args[i], "redirect") && more >= 1:
			id, ok := parseInt(args[i+1])
			if !ok {
				c.WriteError(errNotInteger)
				return
			}
			redirect = id
			i++
		case eqFold(args[i], "bcast"):
			mode |= trkBcast
		case eqFold(args[i], "optin"):
			mode |= trkOptin
		case eqFold(args[i], "optout"):
			mode |= trkOptout
		case eqFold(args[i], "noloop"):
			mode |= trkNoloop
		case eqFold(args[i], "prefix") && more >= 1:
			prefixes = append(prefixes, string(args[i+1]))
			i++
		default:
			c.WriteError(errSyntax)
			return
		}
	}
	t := &c.srv.tracking
	if !on {
		if c.trk != nil && c.trk.on {
			t.disable(c)
		}
		c.WriteOK()
		return
	}
	cur := c.trk
	if cur != nil && cur.on {
		if (mode&trkBcast != 0) != (cur.mode&trkBcast != 0) {
			c.WriteError(errTrackingSwitchBcast)
			return
		}
		if (mode&trkOptin != 0 && cur.mode&trkOptout != 0) || (mode&trkOptout != 0 && cur.mode&trkOptin != 0) {
			c.WriteError(errTrackingSwitchOpt)
			return
		}
	}
	if mode&trkOptin != 0 && mode&trkOptout != 0 {
		c.WriteError(errTrackingOptinOptout)
		return
	}
	if mode&trkBcast == 0 && len(prefixes) > 0 {
		c.WriteError(errTrackingPrefixBcast)
		return
	}
	if mode&trkBcast != 0 {
		var existing []string
		if cur != nil && cur.on {
			existing = cur.prefixes
		}
		if msg := prefixCollision(existing, prefixes); msg != "" {
			c.WriteError(msg)
			return
		}
	}
	var target *Client
	if redirect != 0 {
		if redirect != c.id {
			target = c.srv.clientByID(redirect)
		} else {
			target = c
		}
		if target == nil {
			c.WriteError(errTrackingRedirect)
			return
		}
	}
	c.enableAsyncClass(classNormal)
	t.enable(c, mode, redirect, target, prefixes)
	c.WriteOK()
}

// enable turns tracking on for c (or changes its options).
func (t *tracker) enable(c *Client, mode uint8, redirect int64, target *Client, prefixes []string) {
	t.subMu.Lock()
	if t.cancel == nil {
		srv := c.srv
		t.cancel = srv.store.Journal().Subscribe(func(m *store.Mutation) { t.onMutation(srv, m) })
	}
	t.subMu.Unlock()
	t.mu.Lock()
	if c.trk == nil {
		c.trk = &trackState{}
	}
	s := c.trk
	if !s.on {
		s.prefixes = nil
	}
	s.on, s.mode, s.redirect, s.target = true, mode, redirect, target
	s.prefixes = append(s.prefixes, prefixes...)
	slices.Sort(s.prefixes) // Redis keeps them in a radix tree
	s.caching = false
	if t.clients == nil {
		t.clients = make(map[int64]*Client)
	}
	if t.clients[c.id] == nil {
		t.clients[c.id] = c
		t.n.Add(1)
	}
	t.mu.Unlock()
}

// disable turns tracking off for c; the last tracking client gone, the
// table is emptied and the journal subscription dropped.
func (t *tracker) disable(c *Client) {
	t.mu.Lock()
	s := c.trk
	s.on, s.mode, s.redirect, s.target, s.prefixes, s.caching = false, 0, 0, nil, nil, false
	delete(t.clients, c.id)
	last := len(t.clients) == 0
	if last {
		t.keys, t.items = nil, 0
	}
	t.n.Add(-1)
	t.mu.Unlock()
	if last {
		t.subMu.Lock()
		t.mu.Lock()
		still := len(t.clients) > 0
		t.mu.Unlock()
		if !still && t.cancel != nil {
			t.cancel()
			t.cancel = nil
		}
		t.subMu.Unlock()
	}
}

// trackingClosed forgets a closing client's tracking, and marks it gone
// (closing stop, as finishAsync would next) for the clients redirecting
// to it.
func (c *Client) trackingClosed() {
	c.stopOnce.Do(func() { close(c.stop) })
	if c.trk != nil && c.trk.on {
		c.srv.tracking.disable(c)
	}
}

// CLIENT CACHING <YES|NO>
func cmdClientCaching(c *Client, args [][]byte) {
	s := c.trk
	if s == nil || !s.on || s.mode&(trkOptin|trkOptout) == 0 {
		c.WriteError(errCachingMode)
		return
	}
	switch {
	case eqFold(args[2], "yes"):
		if s.mode&trkOptin == 0 {
			c.WriteError(errCachingYes)
			return
		}
	case eqFold(args[2], "no"):
		if s.mode&trkOptout == 0 {
			c.WriteError(errCachingNo)
			return
		}
	default:
		c.WriteError(errSyntax)
		return
	}
	s.caching = true
	c.WriteOK()
}

// CLIENT GETREDIR
func cmdClientGetredir(c *Client, args [][]byte) {
	if c.trk == nil || !c.trk.on {
		c.WriteInt(-1)
		return
	}
	c.WriteInt(c.trk.redirect)
}

// CLIENT TRACKINGINFO
func cmdClientTrackinginfo(c *Client, args [][]byte) {
	s := c.trk
	var flags []string
	redirect := int64(-1)
	var prefixes []string
	if s == nil || !s.on {
		flags = append(flags, "off")
	} else {
		flags = append(flags, "on")
		redirect = s.redirect
		prefixes = s.prefixes
		for _, f := range []struct {
			bit  uint8
			name string
		}{{trkBcast, "bcast"}, {trkOptin, "optin"}, {trkOptout, "optout"}} {
			if s.mode&f.bit != 0 {
				flags = append(flags, f.name)
			}
		}
		if s.caching && s.mode&trkOptin != 0 {
			flags = append(flags, "caching-yes")
		}
		if s.caching && s.mode&trkOptout != 0 {
			flags = append(flags, "caching-no")
		}
		if s.mode&trkNoloop != 0 {
			flags = append(flags, "noloop")
		}
		if s.redirect != 0 && (s.target == nil || s.target.gone()) {
			flags = append(flags, "broken_redirect")
		}
	}
	c.WriteMap(3)
	c.WriteBulkString("flags")
	c.WriteSet(len(flags))
	for _, f := range flags {
		c.WriteBulkString(f)
	}
	c.WriteBulkString("redirect")
	c.WriteInt(redirect)
	c.WriteBulkString("prefixes")
	c.WriteArray(len(prefixes))
	for _, p := range prefixes {
		c.WriteBulkString(p)
	}
}

// trackBefore runs before a command of a client with tracking state:
// it records the keys a tracked read will read, and holds back
// invalidations until the reply is queued (trackAfter).
func (c *Client) trackBefore(cmd *Command, args [][]byte) {
	s := c.trk
	if !s.on {
		return
	}
	s.out.mu.Lock()
	s.out.running = true
	s.out.mu.Unlock()
	c.trackRead(cmd, args)
}

// trackRead records the keys a tracked read will read.
func (c *Client) trackRead(cmd *Command, args [][]byte) {
	s := c.trk
	if cmd.Flags&FlagReadonly == 0 || s.mode&trkBcast != 0 {
		return
	}
	if (s.mode&trkOptin != 0 && !s.caching) || (s.mode&trkOptout != 0 && s.caching) {
		return
	}
	if cmd.FirstKey <= 0 && cmd.GetKeys == nil {
		return
	}
	c.srv.tracking.remember(c, cmd.keyPositions(args), args)
}

// trackAfter runs after the command: the CACHING flag lasts one command
// (a transaction: until EXEC), and pending invalidations follow the reply.
func (c *Client) trackAfter(cmd *Command) {
	s := c.trk
	if cmd.Name != "client|caching" && c.multi == nil {
		s.caching = false
	}
	s.out.mu.Lock()
	if s.out.running {
		s.out.running = false
		if c.async != nil {
			a := c.async
			a.mu.Lock()
			c.flushLocked()
			for _, body := range s.out.pending {
				c.appendInvalidationLocked(a, body, false)
			}
			a.mu.Unlock()
		}
		clear(s.out.pending)
		s.out.pending = s.out.pending[:0]
	}
	s.out.mu.Unlock()
}

// remember records that c read the keys at positions pos of args.
func (t *tracker) remember(c *Client, pos []int, args [][]byte) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.keys == nil {
		t.keys = make(map[string]map[int64]struct{})
	}
	for _, i := range pos {
		ids := t.keys[string(args[i])]
		if ids == nil {
			ids = make(map[int64]struct{}, 1)
			t.keys[string(args[i])] = ids
		}
		if _, ok := ids[c.id]; !ok {
			ids[c.id] = struct{}{}
			t.items++
		}
	}
	max := c.srv.cfg.Int("tracking-table-max-keys")
	if max <= 0 {
		return
	}
	for k, ids := range t.keys {
		if int64(len(t.keys)) <= max {
			break
		}
		t.invalidateKey(k, ids, 0)
	}
}

// onMutation sends the invalidations a journal record calls for.
func (t *tracker) onMutation(s *Server, m *store.Mutation) {
	if len(m.Args) == 0 || t.n.Load() == 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	name := m.Args[0]
	if eqFold(name, "flushdb") || eqFold(name, "flushall") {
		for _, c := range t.clients {
			null := invalidateNull2
			if a := c.async; a != nil {
				a.mu.Lock()
				if a.resp3 {
					null = invalidateNull3
				}
				a.mu.Unlock()
			}
			t.send(c, null)
		}
		t.keys, t.items = nil, 0
		return
	}
	if len(m.Args) < 2 {
		return
	}
	var keys [][]byte
	if cmd := s.cmds.lookupName(name); cmd != nil && (cmd.FirstKey > 0 || cmd.GetKeys != nil) {
		for _, i := range cmd.keyPositions(m.Args) {
			keys = append(keys, m.Args[i])
		}
	} else {
		keys = append(keys, m.Args[1])
	}
	for _, refs := range [2][]store.KeyRef{m.Created, m.Deleted} {
		for _, k := range refs {
			if !slices.ContainsFunc(keys, func(x []byte) bool { return string(x) == string(k.Key) }) {
				keys = append(keys, k.Key)
			}
		}
	}
	for _, k := range keys {
		if ids := t.keys[string(k)]; ids != nil {
			t.invalidateKey(string(k), ids, m.Client)
		}
	}
	t.broadcast(keys, m.Client)
}

// invalidateKey tells the clients that read key it changed, and forgets
// it. REQUIRES: t.mu.
func (t *tracker) invalidateKey(key string, ids map[int64]struct{}, writer int64) {
	var body []byte
	for id := range ids {
		c := t.clients[id]
		if c == nil || !c.trk.on || c.trk.mode&trkBcast != 0 {
			continue
		}
		if c.trk.mode&trkNoloop != 0 && id == writer {
			continue
		}
		if body == nil {
			body = appendBulk2([]byte("*1\r\n"), key)
		}
		t.send(c, body)
	}
	t.items -= int64(len(ids))
	delete(t.keys, key)
}

// broadcast notifies BCAST clients of the keys matching their prefixes,
// one message per client. REQUIRES: t.mu.
func (t *tracker) broadcast(keys [][]byte, writer int64) {
	for id, c := range t.clients {
		s := c.trk
		if s.mode&trkBcast == 0 || (s.mode&trkNoloop != 0 && id == writer) {
			continue
		}
		prefixes := s.prefixes
		if len(prefixes) == 0 {
			prefixes = []string{""}
		}
		for _, p := range prefixes {
			var body []byte
			n := 0
			for _, k := range keys {
				if strings.HasPrefix(string(k), p) {
					body = appendBulk2(body, k)
					n++
				}
			}
			if n > 0 {
				t.send(c, append([]byte("*"+strconv.Itoa(n)+"\r\n"), body...))
			}
		}
	}
}

// prefixCollision returns Redis's error for BCAST prefixes of which one
// is a prefix of another (checkPrefixCollisions), or "".
func prefixCollision(existing, prefixes []string) string {
	overlap := func(a, b string) bool { return strings.HasPrefix(a, b) || strings.HasPrefix(b, a) }
	for i, p := range prefixes {
		for _, q := range existing {
			if overlap(p, q) {
				return errTrackingPrefixExisting(p, q)
			}
		}
		for j, q := range prefixes {
			if i != j && overlap(p, q) {
				return errTrackingPrefixOverlap(p, q)
			}
		}
	}
	return ""
}

// send delivers an invalidation (body: the key array or null) for the
// tracking client c. REQUIRES: t.mu.
func (t *tracker) send(c *Client, body []byte) {
	s := c.trk
	if s.redirect != 0 {
		recv := s.target
		if recv != nil && !recv.gone() {
			if a := recv.async; a != nil {
				a.mu.Lock()
				recv.appendInvalidationLocked(a, body, true)
				a.mu.Unlock()
			}
			return
		}
		// Redis tells a RESP3 client its redirection is broken instead.
		body = strconv.AppendInt([]byte(redirBroken), s.redirect, 10)
		body = append(body, '\r', '\n')
	}
	s.out.mu.Lock()
	defer s.out.mu.Unlock()
	if s.out.running {
		s.out.pending = append(s.out.pending, append([]byte(nil), body...))
		return
	}
	if a := c.async; a != nil {
		a.mu.Lock()
		c.appendInvalidationLocked(a, body, false)
		a.mu.Unlock()
	}
}

// redirBroken starts the push a RESP3 tracking client gets when its
// REDIRECT client is gone (then the id and CRLF).
const redirBroken = ">2\r\n$21\r\ntracking-redir-broken\r\n:"

// gone reports whether c has been closed or killed.
func (c *Client) gone() bool {
	if c.killed.Load() {
		return true
	}
	select {
	case <-c.stop:
		return true
	default:
		return false
	}
}

// appendInvalidationLocked queues an invalidation message: a push in
// RESP3, or with redirection a message on __redis__:invalidate for a
// subscribed RESP2 client. REQUIRES: a.mu.
func (c *Client) appendInvalidationLocked(a *asyncOut, body []byte, redirected bool) {
	if a.closed {
		return
	}
	switch {
	case len(body) > 0 && body[0] == '>': // tracking-redir-broken
		if !a.resp3 {
			return
		}
	case a.resp3:
		a.buf = append(a.buf, invalidatePush...)
	case redirected && c.subs.Load() != nil:
		a.buf = append(a.buf, invalidateMsg...)
	default:
		return
	}
	a.buf = append(a.buf, body...)
	c.queuedLocked(a)
}
