package server

import (
	"errors"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/embercache/ember/store"
)

// Keyspace notifications (Redis's notify.c).
//
// With notify-keyspace-events enabled, every change to a key publishes
// "__keyspace@<db>__:<key>" → event and "__keyevent@<db>__:<event>" → key,
// for the event classes selected (K, E, and g $ l s h z x e t m d n, A for
// "g$lshzxetd").
//
// Notifications are driven by the journal, not by the command handlers: a
// journal subscriber turns each record into Redis's events. The subscriber
// exists only while notifications are enabled, so with them off the
// journal stays inactive and writes pay nothing. A record is the
// deterministic effect of a command, not the command (INCR is journaled as
// SET ... KEEPTTL, a SET with KEEPTTL carries the old PXAT), so the store
// attaches to each record the name and arguments of the command that made
// it, and the keys it added ("new" events) and removed with Tx.Delete (the
// "del" after an HDEL or LPOP that emptied a collection). The event name
// comes from the command, or from the record when the record is itself a
// command other than the one running (a pop served to a blocked client by
// a push); its class from the command's ACL categories. Key misses never
// reach the journal: a store hook on LookupRead's misses publishes them.
//
// The subscriber runs under the writer's shard locks and the journal's
// lock, so it only encodes and enqueues (pubsub.publish never blocks on a
// socket), and it never calls the store.

// Event classes of notify-keyspace-events, as bits.
const (
	nfGeneric uint32 = 1 << iota
	nfString
	nfList
	nfSet
	nfHash
	nfZset
	nfExpired
	nfEvicted
	nfStream
	nfModule
	nfNew
	nfKeyMiss
	nfKeyspace
	nfKeyevent

	// nfAll is what 'A' stands for.
	nfAll = nfGeneric | nfString | nfList | nfSet | nfHash | nfZset | nfExpired | nfEvicted | nfStream | nfModule
	// nfJournal are the classes whose events come from the journal.
	nfJournal = nfAll | nfNew
)

// notifyLetters maps the flag letters to classes ('A' aside).
var notifyLetters = map[byte]uint32{
	'g': nfGeneric, '$': nfString, 'l': nfList, 's': nfSet, 'h': nfHash,
	'z': nfZset, 'x': nfExpired, 'e': nfEvicted, 't': nfStream, 'd': nfModule,
	'n': nfNew, 'm': nfKeyMiss, 'K': nfKeyspace, 'E': nfKeyevent,
}

// parseNotifyFlags parses a notify-keyspace-events value; ok is false for
// a letter Redis does not know.
func parseNotifyFlags(v string) (flags uint32, ok bool) {
	for i := 0; i < len(v); i++ {
		if v[i] == 'A' {
			flags |= nfAll
			continue
		}
		f, known := notifyLetters[v[i]]
		if !known {
			return 0, false
		}
		flags |= f
	}
	return flags, true
}

// normKeyspaceEvents validates a notify-keyspace-events value and stores
// it canonically: formatNotifyFlags with 'n' kept after an 'A'.
func normKeyspaceEvents(v string) (string, error) {
	f, ok := parseNotifyFlags(v)
	if !ok {
		return "", errors.New("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")
	}
	return formatNotifyFlags(f, true), nil
}

// showNotifyFlags is CONFIG GET's spelling of a stored value.
func showNotifyFlags(v string) string {
	f, _ := parseNotifyFlags(v)
	return formatNotifyFlags(f, false)
}

// formatNotifyFlags spells flags as Redis's keyspaceEventsFlagsToString:
// "A" for all classes, else the class letters in Redis's order, then K, E
// and m. Redis drops 'n' after an "A" (so CONFIG GET does not show it,
// while the events flow); keepNew keeps it, for the stored value.
func formatNotifyFlags(f uint32, keepNew bool) string {
	var b []byte
	if f&nfAll == nfAll {
		b = append(b, 'A')
		if keepNew && f&nfNew != 0 {
			b = append(b, 'n')
		}
	} else {
		for _, ch := range []byte("g$lshzxetdn") {
			if f&notifyLetters[ch] != 0 {
				b = append(b, ch)
			}
		}
	}
	for _, ch := range []byte("KEm") {
		if f&notifyLetters[ch] != 0 {
			b = append(b, ch)
		}
	}
	return string(b)
}

// notifier publishes keyspace notifications.
type notifier struct {
	srv   *Server
	flags atomic.Uint32

	mu     sync.Mutex // serializes configure
	cancel func()     // the journal subscription, nil when none

	// Journal records arrive one at a time (under the journal's lock):
	// one scratch serves them all. Key misses come from any goroutine.
	sc       notifyScratch
	rec      recordEvents
	sink     eventSink // n.sinkJournal, bound once
	missPool sync.Pool
}

// notifyScratch is one notifying goroutine's buffers.
type notifyScratch struct {
	pub     pubScratch
	channel []byte
}

// configure applies a notify-keyspace-events value: it subscribes to the
// journal while journal-driven events are wanted, and hooks key misses
// while those are.
func (n *notifier) configure(v string) {
	f, _ := parseNotifyFlags(v)
	n.mu.Lock()
	defer n.mu.Unlock()
	n.flags.Store(f)
	st := n.srv.store
	on := f&(nfKeyspace|nfKeyevent) != 0
	switch {
	case on && f&nfJournal != 0 && n.cancel == nil:
		if n.sink == nil {
			n.sink = n.sinkJournal
		}
		n.cancel = st.Journal().Subscribe(n.onMutation)
	case !(on && f&nfJournal != 0) && n.cancel != nil:
		n.cancel()
		n.cancel = nil
	}
	if on && f&nfKeyMiss != 0 {
		st.SetKeyMissHook(n.onKeyMiss)
	} else {
		st.SetKeyMissHook(nil)
	}
}

// onKeyMiss publishes a "keymiss" event (store hook, any goroutine).
func (n *notifier) onKeyMiss(db int, key []byte) {
	sc, _ := n.missPool.Get().(*notifyScratch)
	if sc == nil {
		sc = &notifyScratch{}
	}
	n.fire(sc, n.flags.Load(), nfKeyMiss, "keymiss", db, key)
	n.missPool.Put(sc)
}

// fire publishes one event if its class is enabled.
func (n *notifier) fire(sc *notifyScratch, flags, class uint32, event string, db int, key []byte) {
	if flags&class == 0 {
		return
	}
	ps := &n.srv.pubsub
	if ps.channels.count.Load() == 0 && ps.patterns.n.Load() == 0 {
		return // nobody listens to anything
	}
	if flags&nfKeyspace != 0 {
		sc.channel = append(sc.channel[:0], "__keyspace@"...)
		sc.channel = strconv.AppendInt(sc.channel, int64(db), 10)
		sc.channel = append(sc.channel, "__:"...)
		sc.channel = append(sc.channel, key...)
		ps.publish(nil, &sc.pub, sc.channel, []byte(event), false)
	}
	if flags&nfKeyevent != 0 {
		sc.channel = append(sc.channel[:0], "__keyevent@"...)
		sc.channel = strconv.AppendInt(sc.channel, int64(db), 10)
		sc.channel = append(sc.channel, "__:"...)
		sc.channel = append(sc.channel, event...)
		ps.publish(nil, &sc.pub, sc.channel, key, false)
	}
}

// eventSink receives the events of a record, in order.
type eventSink func(class uint32, event string, db int, key []byte)

// recordEvents turns one journal record into events, in Redis's order.
type recordEvents struct {
	srv     *Server
	m       *store.Mutation
	emit    eventSink
	newDone []bool // Created keys already announced
	delDone []bool // Deleted keys already announced
}

// indexKey returns the index of (db, key) in refs, -1 if absent.
func indexKey(refs []store.KeyRef, db int, key []byte) int {
	for i, r := range refs {
		if r.DB == db && string(r.Key) == string(key) {
			return i
		}
	}
	return -1
}

// announceNew emits "new" for (db, key) if the command created it and it
// was not announced yet.
func (r *recordEvents) announceNew(db int, key []byte) {
	if i := indexKey(r.m.Created, db, key); i >= 0 && !r.newDone[i] {
		r.newDone[i] = true
		r.emit(nfNew, "new", db, key)
	}
}

// allNew emits "new" for every created key not announced yet.
func (r *recordEvents) allNew() {
	for i, k := range r.m.Created {
		if !r.newDone[i] {
			r.newDone[i] = true
			r.emit(nfNew, "new", k.DB, k.Key)
		}
	}
}

// key emits event on (db, key), preceded by its "new" if it is new.
func (r *recordEvents) key(class uint32, event string, db int, key []byte) {
	r.announceNew(db, key)
	r.emit(class, event, db, key)
}

// delIfDeleted emits "del" for (db, key) if the command removed it (an
// emptied collection) and it was not announced yet.
func (r *recordEvents) delIfDeleted(db int, key []byte) bool {
	if i := indexKey(r.m.Deleted, db, key); i >= 0 && !r.delDone[i] {
		r.delDone[i] = true
		r.emit(nfGeneric, "del", db, key)
		return true
	}
	return false
}

// onMutation is the journal subscriber.
func (n *notifier) onMutation(m *store.Mutation) { n.srv.mutationEvents(m, &n.rec, n.sink) }

// sinkJournal publishes an event of a journal record (under the
// journal's lock: one scratch serves every call).
func (n *notifier) sinkJournal(class uint32, event string, db int, key []byte) {
	n.fire(&n.sc, n.flags.Load(), class, event, db, key)
}

// mutationEvents emits a journal record's events, in Redis's order; r is
// reusable scratch.
func (s *Server) mutationEvents(m *store.Mutation, r *recordEvents, emit eventSink) {
	if len(m.Args) < 2 {
		return
	}
	switch m.Cause {
	case store.CauseExpired:
		for _, k := range m.Args[1:] {
			emit(nfExpired, "expired", m.DB, k)
		}
		return
	case store.CauseEvicted:
		for _, k := range m.Args[1:] {
			emit(nfEvicted, "evicted", m.DB, k)
		}
		return
	}
	r.srv, r.m, r.emit = s, m, emit
	r.newDone = resetBools(r.newDone, len(m.Created))
	r.delDone = resetBools(r.delDone, len(m.Deleted))
	r.events()
	r.allNew()
	for i, k := range m.Deleted {
		if !r.delDone[i] {
			r.delDone[i] = true
			emit(nfGeneric, "del", k.DB, k.Key)
		}
	}
	r.m, r.emit = nil, nil
}

func resetBools(b []bool, n int) []bool {
	if cap(b) < n {
		return make([]bool, n)
	}
	b = b[:n]
	clear(b)
	return b
}

// events publishes the record's events but the leftover "new" and "del".
func (r *recordEvents) events() {
	m := r.m
	a := m.Args
	db := m.DB
	rec := a[0]
	switch {
	case eqFold(rec, "del"), eqFold(rec, "unlink"):
		// A collection command's DEL only repeats an emptied key the
		// command's own record already announced (or announces now).
		collection := r.srv.cmdClass(m.Cmd)&^(nfGeneric|nfString) != 0
		for _, k := range a[1:] {
			if !r.delIfDeleted(db, k) && !collection {
				r.key(nfGeneric, "del", db, k)
			}
		}
	case eqFold(rec, "flushdb"), eqFold(rec, "flushall"), eqFold(rec, "swapdb"):
		// Redis notifies nothing for these.
	case eqFold(rec, "rename") && len(a) >= 3:
		r.allNew()
		r.key(nfGeneric, "rename_from", db, a[1])
		r.key(nfGeneric, "rename_to", db, a[2])
	case eqFold(rec, "move") && len(a) >= 3:
		to, _ := parseInt(a[2])
		r.allNew()
		r.key(nfGeneric, "move_from", db, a[1])
		r.key(nfGeneric, "move_to", int(to), a[1])
	case eqFold(rec, "copy") && len(a) >= 3:
		to := db
		for i := 3; i+1 < len(a); i++ {
			if eqFold(a[i], "db") {
				n, _ := parseInt(a[i+1])
				to = int(n)
			}
		}
		r.key(nfGeneric, "copy_to", to, a[2])
	case eqFold(rec, "pexpireat"):
		r.key(nfGeneric, "expire", db, a[1])
	case eqFold(rec, "persist"):
		r.key(nfGeneric, "persist", db, a[1])
	case eqFold(rec, "set"):
		class, event, _ := r.srv.eventFor(m.Cmd, a)
		r.key(class, event, db, a[1])
		// SET ... KEEPTTL is journaled with the TTL it kept: no "expire".
		keptTTL := m.Cmd == "set" && len(m.CmdArgs) > 3 && hasWord(m.CmdArgs[3:], "keepttl")
		if event == "set" && hasWord(a[3:], "pxat") && !keptTTL {
			r.key(nfGeneric, "expire", db, a[1])
		}
	case eqFold(rec, "mset"):
		for i := 1; i+1 < len(a); i += 2 {
			r.key(nfString, "set", db, a[i])
		}
	case eqFold(rec, "smove") && len(a) >= 3:
		r.key(nfSet, "srem", db, a[1])
		r.delIfDeleted(db, a[1])
		r.key(nfSet, "sadd", db, a[2])
	case (eqFold(rec, "rpoplpush") || eqFold(rec, "brpoplpush")) && len(a) >= 3:
		r.key(nfList, "lpush", db, a[2])
		r.key(nfList, "rpop", db, a[1])
		r.delIfDeleted(db, a[1])
	case (eqFold(rec, "lmove") || eqFold(rec, "blmove")) && len(a) >= 5:
		push, pop := "rpush", "rpop"
		if eqFold(a[4], "left") {
			push = "lpush"
		}
		if eqFold(a[3], "left") {
			pop = "lpop"
		}
		r.key(nfList, push, db, a[2])
		r.key(nfList, pop, db, a[1])
		r.delIfDeleted(db, a[1])
	case (eqFold(rec, "lmpop") || eqFold(rec, "blmpop") || eqFold(rec, "zmpop") || eqFold(rec, "bzmpop")) && len(a) >= 4:
		// numkeys key... LEFT|RIGHT|MIN|MAX: journaled with the key popped.
		event, class := "", nfList
		for _, w := range a[3:] {
			switch {
			case eqFold(w, "left"):
				event = "lpop"
			case eqFold(w, "right"):
				event = "rpop"
			case eqFold(w, "min"):
				event, class = "zpopmin", nfZset
			case eqFold(w, "max"):
				event, class = "zpopmax", nfZset
			}
		}
		if event != "" {
			r.key(class, event, db, a[2])
			r.delIfDeleted(db, a[2])
		}
	case eqFold(rec, "xgroup") && len(a) >= 3 && eqFold(a[1], "setid") &&
		(m.Cmd == "xreadgroup" || m.Cmd == "xclaim" || m.Cmd == "xautoclaim"):
		// A group's last ID moved by a read or a claim: Redis notifies
		// nothing.
	default:
		class, event, ki := r.srv.eventFor(m.Cmd, a)
		if event == "" || ki >= len(a) {
			return
		}
		r.key(class, event, db, a[ki])
		r.delIfDeleted(db, a[ki])
	}
}

// hasWord reports whether args holds w, case-insensitively.
func hasWord(args [][]byte, w string) bool {
	for _, a := range args {
		if eqFold(a, w) {
			return true
		}
	}
	return false
}

// notifyEventNames are the events of commands whose event is not their
// own name ("" : the command notifies nothing).
var notifyEventNames = map[string]string{
	"incr": "incrby", "decr": "incrby", "decrby": "incrby",
	"setex": "set", "psetex": "set", "setnx": "set", "getset": "set",
	"bitop": "set", "bitfield": "setbit", "pfmerge": "pfadd", "pfcount": "",
	"hsetnx": "hset", "hmset": "hset",
	"lpushx": "lpush", "rpushx": "rpush", "blpop": "lpop", "brpop": "rpop",
	"zincrby": "zincr", "geoadd": "zadd",
	"zremrangebyscore": "zrembyscore", "zremrangebyrank": "zrembyrank", "zremrangebylex": "zrembylex",
	"bzpopmin": "zpopmin", "bzpopmax": "zpopmax",
	"sort": "sortstore", "sort_ro": "sortstore",
	"georadius": "georadiusstore", "georadiusbymember": "georadiusstore",
	"xack": "", "xclaim": "", "xautoclaim": "", "xreadgroup": "",
}

// notifyRewrites lists, for commands journaled as another command, the
// records that stand for them ("*": any record): their events keep the
// command's name (HINCRBYFLOAT journaled as HSET notifies "hincrbyfloat").
// Other records name their own event (a pop served to a blocked client
// while a push runs notifies the pop).
var notifyRewrites = map[string]string{
	"incr": "SET", "decr": "SET", "incrby": "SET", "decrby": "SET", "incrbyfloat": "SET",
	"setex": "SET", "psetex": "SET", "setnx": "SET", "getset": "SET", "set": "SET",
	"append": "*", "setrange": "*", "setbit": "*", "bitop": "*", "bitfield": "*",
	"pfadd": "*", "pfmerge": "*", "restore": "*",
	"hincrby": "HSET", "hincrbyfloat": "HSET", "hsetnx": "HSET", "hmset": "HSET",
	"zincrby": "ZADD", "geoadd": "ZADD", "spop": "SREM",
	"zpopmin": "*", "zpopmax": "*", "bzpopmin": "*", "bzpopmax": "*",
	"sinterstore": "*", "sunionstore": "*", "sdiffstore": "*",
	"zinterstore": "*", "zunionstore": "*", "zdiffstore": "*", "zrangestore": "*",
	"georadius": "*", "georadiusbymember": "*", "geosearchstore": "*",
	"sort": "*", "sort_ro": "*",
	"linsert": "*", "lset": "*", "ltrim": "*", "lrem": "*",
	"zremrangebyscore": "*", "zremrangebyrank": "*", "zremrangebylex": "*",
	"xadd": "XADD", "xtrim": "*", "xdel": "*", "xsetid": "*",
}

// eventFor returns the class and name of the event a record of cmd
// notifies ("" when none), and the index of the key in the record.
func (s *Server) eventFor(cmd string, rec [][]byte) (class uint32, event string, keyIdx int) {
	name := cmd
	keyIdx = 1
	tc := s.cmds.lookupName(rec[0])
	if tc != nil && tc.subs != nil && len(rec) > 1 {
		if sub := tc.subcommand(rec[1]); sub != nil {
			tc = sub
		}
	}
	if tc != nil && tc.FirstKey > 0 {
		keyIdx = tc.FirstKey
	}
	if rw, ok := notifyRewrites[cmd]; !ok || (rw != "*" && !eqFold(rec[0], strings.ToLower(rw))) {
		switch {
		case tc != nil:
			name = tc.Name
		case name == "":
			name = strings.ToLower(string(rec[0]))
		}
	}
	event, ok := notifyEventNames[name]
	if !ok {
		event = strings.ReplaceAll(name, "|", "-")
	}
	return s.cmdClass(name), event, keyIdx
}

// cmdClass is the event class of a command's own events, from its ACL
// categories.
func (s *Server) cmdClass(name string) uint32 {
	switch name {
	case "sort", "sort_ro":
		return nfList
	case "":
		return nfGeneric
	}
	var cat ACLCat
	if name, sub, ok := strings.Cut(name, "|"); ok {
		if tc := s.cmds.byName[name]; tc != nil {
			if st := tc.subs[sub]; st != nil {
				cat = st.ACL
			}
		}
	} else if tc := s.cmds.byName[name]; tc != nil {
		cat = tc.ACL
	}
	switch {
	case cat&CatStream != 0:
		return nfStream
	case cat&(CatGeo|CatSortedSet) != 0:
		return nfZset
	case cat&CatHash != 0:
		return nfHash
	case cat&CatSet != 0:
		return nfSet
	case cat&CatList != 0:
		return nfList
	case cat&(CatString|CatBitmap|CatHyperLogLog) != 0:
		return nfString
	}
	return nfGeneric
}
