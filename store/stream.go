package store

import (
	"encoding/binary"
	"math"
	"slices"
	"strconv"
	"unsafe"
)

// Streams (Redis's t_stream.c).
//
// A stream is an append-only log of entries, each an ID (milliseconds and
// a sequence number) and field-value pairs. Redis keeps it in a radix tree
// of listpacks: every node holds up to stream-node-max-entries entries (or
// stream-node-max-bytes bytes), delta-encodes each entry's ID against the
// node's first ("master") ID and, when an entry has the same field names as
// the node's first entry, stores only its values. ember keeps the same
// shape with fewer bytes and no tree:
//
//   - nodes is a slice of streamNode sorted by master ID (IDs only grow, so
//     nodes are only appended; trimming drops nodes from the front and XDEL
//     may drop an emptied node anywhere). A node is found by binary search.
//   - a node's data is one []byte: the master field names, then its entries
//     in ID order. Each entry is a flags byte (deleted, same fields), the ID
//     as a uvarint delta from the previous entry's ID (milliseconds delta,
//     then the sequence delta when the milliseconds are equal, else the
//     sequence itself), then either the values alone (same fields as the
//     master) or a field count and the pairs; every string is a uvarint
//     length and its bytes. XADD s * a 1 b 2 c 3 costs 9 bytes per entry.
//   - XDEL marks an entry deleted in place, as Redis does; a node whose
//     entries are all deleted is dropped.
//
// When a node is full is decided exactly as Redis decides it, so that
// approximate trimming (MAXLEN ~, MINID ~, which only drops whole nodes)
// removes the same entries as Redis and XINFO STREAM's radix-tree-keys
// matches: each node also keeps lpBytes, the size Redis's listpack for the
// same entries would have (computed from listpack's element encodings, not
// stored).
//
// Consumer groups keep their pending entries (PEL) in a pelIndex: a sorted
// slice of IDs whose removed items are tombstones until they outnumber the
// live ones, so acknowledging in delivery order is amortized O(1) and
// lookups are binary searches. Each NACK is shared by the group's PEL and
// its consumer's.

// StreamID is a stream entry ID.
type StreamID struct{ Ms, Seq uint64 }

// MaxStreamID is the largest ID ("+").
var MaxStreamID = StreamID{math.MaxUint64, math.MaxUint64}

// Cmp compares two IDs (-1, 0, 1).
func (a StreamID) Cmp(b StreamID) int {
	switch {
	case a.Ms < b.Ms:
		return -1
	case a.Ms > b.Ms:
		return 1
	case a.Seq < b.Seq:
		return -1
	case a.Seq > b.Seq:
		return 1
	}
	return 0
}

// IsZero reports whether the ID is 0-0.
func (a StreamID) IsZero() bool { return a.Ms == 0 && a.Seq == 0 }

// Incr returns the next ID; false when a is the largest.
func (a StreamID) Incr() (StreamID, bool) {
	if a.Seq == math.MaxUint64 {
		if a.Ms == math.MaxUint64 {
			return a, false
		}
		return StreamID{a.Ms + 1, 0}, true
	}
	return StreamID{a.Ms, a.Seq + 1}, true
}

// Decr returns the previous ID; false when a is 0-0.
func (a StreamID) Decr() (StreamID, bool) {
	if a.Seq == 0 {
		if a.Ms == 0 {
			return a, false
		}
		return StreamID{a.Ms - 1, math.MaxUint64}, true
	}
	return StreamID{a.Ms, a.Seq - 1}, true
}

// Append appends "ms-seq" to b.
func (a StreamID) Append(b []byte) []byte {
	b = strconv.AppendUint(b, a.Ms, 10)
	b = append(b, '-')
	return strconv.AppendUint(b, a.Seq, 10)
}

// String returns "ms-seq".
func (a StreamID) String() string { return string(a.Append(nil)) }

// Entry flags, as Redis's STREAM_ITEM_FLAG_*.
const (
	sfDeleted = 1
	sfSame    = 2
)

// streamLPMax is Redis's STREAM_LISTPACK_MAX_SIZE (1 GiB).
const streamLPMax = 1 << 30

// streamNode is one node: up to stream-node-max-entries entries.
type streamNode struct {
	master StreamID // the first entry's ID (never changes)
	last   StreamID // the last entry's ID, deleted or not
	data   []byte   // master fields, then the entries
	live   int32
	dead   int32
	// lpBytes is the size of Redis's listpack for this node.
	lpBytes   int32
	nfields   int32 // master field count
	fieldsEnd int32 // offset of the first entry in data
}

const streamNodeSize = int64(unsafe.Sizeof(streamNode{}))

// Stream is the value of a stream key.
type Stream struct {
	nodes        []streamNode
	length       int64
	lastID       StreamID
	firstID      StreamID // recorded first entry ID
	maxDeleted   StreamID
	entriesAdded int64
	groups       []*StreamGroup // sorted by name
	// dataMem is the bytes of the nodes' data; gmem those of the groups.
	dataMem int64
	gmem    int64
}

// NewStream returns an empty stream.
func NewStream() *Stream { return &Stream{} }

// StreamOf returns the stream of a stream entry.
func StreamOf(e *Entry) *Stream { return e.object().(*Stream) }

// Encoding returns "stream" (OBJECT ENCODING).
func (*Stream) Encoding() string { return "stream" }

// MemoryUsage returns the bytes the stream holds.
func (s *Stream) MemoryUsage() int64 {
	return int64(roundAlloc(int(unsafe.Sizeof(*s)))) + s.dataMem + int64(roundAlloc(int(int64(cap(s.nodes))*streamNodeSize))) + s.gmem
}

// Len returns the number of entries.
func (s *Stream) Len() int64 { return s.length }

// LastID returns the last generated ID.
func (s *Stream) LastID() StreamID { return s.lastID }

// FirstID returns the recorded first entry ID (0-0 when empty).
func (s *Stream) FirstID() StreamID { return s.firstID }

// MaxDeletedID returns the largest ID XDEL removed.
func (s *Stream) MaxDeletedID() StreamID { return s.maxDeleted }

// EntriesAdded returns how many entries were ever added.
func (s *Stream) EntriesAdded() int64 { return s.entriesAdded }

// Nodes returns the number of nodes (XINFO's radix-tree-keys).
func (s *Stream) Nodes() int { return len(s.nodes) }

// SetMeta sets the last ID and, when given (>= 0 / non-zero), the entries
// added and max deleted ID (XSETID, after validation).
func (s *Stream) SetMeta(last StreamID, entriesAdded int64, maxDeleted StreamID) {
	s.lastID = last
	if entriesAdded >= 0 {
		s.entriesAdded = entriesAdded
	}
	if !maxDeleted.IsZero() {
		s.maxDeleted = maxDeleted
	}
}

// ---- Redis listpack sizes ----

// lpIntSize is the bytes of an integer element in a listpack.
func lpIntSize(v int64) int32 {
	switch {
	case v >= 0 && v <= 127:
		return 2
	case v >= -4096 && v <= 4095:
		return 3
	case v >= -32768 && v <= 32767:
		return 4
	case v >= -8388608 && v <= 8388607:
		return 5
	case v >= math.MinInt32 && v <= math.MaxInt32:
		return 6
	}
	return 10
}

// lpStrSize is the bytes of a string element (stored as an integer when
// it is one, as lpAppend does).
func lpStrSize(b []byte) int32 {
	if len(b) > 0 && len(b) <= 20 && isCanonicalInt(b) {
		v, _ := strconv.ParseInt(unsafe.String(unsafe.SliceData(b), len(b)), 10, 64)
		return lpIntSize(v)
	}
	l := len(b)
	var enc int
	switch {
	case l < 64:
		enc = 1 + l
	case l < 4096:
		enc = 2 + l
	default:
		enc = 5 + l
	}
	switch {
	case enc <= 127:
		enc++
	case enc < 16383:
		enc += 2
	case enc < 2097151:
		enc += 3
	case enc < 268435455:
		enc += 4
	default:
		enc += 5
	}
	return int32(min(enc, math.MaxInt32))
}

// setCounts updates a node's live/dead counters and its listpack size.
func (n *streamNode) setCounts(live, dead int32) {
	n.lpBytes += lpIntSize(int64(live)) - lpIntSize(int64(n.live)) + lpIntSize(int64(dead)) - lpIntSize(int64(n.dead))
	n.live, n.dead = live, dead
}

// ---- encoding ----

func putStr(b, s []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func getStr(b []byte, pos int) ([]byte, int) {
	l, k := binary.Uvarint(b[pos:])
	pos += k
	return b[pos : pos+int(l) : pos+int(l)], pos + int(l)
}

func getUv(b []byte, pos int) (uint64, int) {
	v, k := binary.Uvarint(b[pos:])
	return v, pos + k
}

// masterFields appends the node's master field names to dst.
func (n *streamNode) masterFields(dst [][]byte) [][]byte {
	pos := 0
	var nf uint64
	nf, pos = getUv(n.data, pos)
	for i := uint64(0); i < nf; i++ {
		var f []byte
		f, pos = getStr(n.data, pos)
		dst = append(dst, f)
	}
	return dst
}

// decodeEntry reads the entry at pos whose predecessor's ID is prev. With
// fv non-nil-able (want true) it appends the field-value pairs to fv
// (fields of same-field entries come from mf). It returns the entry's ID,
// flags, the next position and fv.
func (n *streamNode) decodeEntry(pos int, prev StreamID, mf [][]byte, fv [][]byte, want bool) (StreamID, byte, int, [][]byte) {
	d := n.data
	flags := d[pos]
	pos++
	var msd, sq uint64
	msd, pos = getUv(d, pos)
	sq, pos = getUv(d, pos)
	id := StreamID{prev.Ms + msd, sq}
	if msd == 0 {
		id.Seq = prev.Seq + sq
	}
	if flags&sfSame != 0 {
		for i := 0; i < int(n.nfields); i++ {
			var v []byte
			v, pos = getStr(d, pos)
			if want {
				fv = append(fv, mf[i], v)
			}
		}
	} else {
		var nf uint64
		nf, pos = getUv(d, pos)
		for i := uint64(0); i < 2*nf; i++ {
			var v []byte
			v, pos = getStr(d, pos)
			if want {
				fv = append(fv, v)
			}
		}
	}
	return id, flags, pos, fv
}

// ---- appending ----

// Append adds an entry with ID id (greater than LastID: the caller checks)
// and the field-value pairs fv, starting a new node when the tail node is
// full by lim's stream-node-max-* (as Redis decides).
func (s *Stream) Append(id StreamID, fv [][]byte, lim *Limits) {
	tot := 0
	for _, b := range fv {
		tot += len(b)
	}
	nf := len(fv) / 2
	var n *streamNode
	if len(s.nodes) > 0 {
		n = &s.nodes[len(s.nodes)-1]
		maxB := lim.StreamNodeMaxBytes.Load()
		if maxB <= 0 || maxB > streamLPMax {
			maxB = streamLPMax
		}
		if int64(n.lpBytes)+int64(tot) >= maxB {
			n = nil
		} else if me := lim.StreamNodeMaxEntries.Load(); me > 0 && int64(n.live)+int64(n.dead) >= me {
			n = nil
		}
		if n == nil {
			s.seal(len(s.nodes) - 1)
		}
	}
	flags := byte(0)
	if n == nil {
		// Nodes stay sorted by master ID, as Redis's radix tree keeps
		// them: after XSETID lowered the last ID below a deleted tail
		// entry, a new node may sort before the current tail.
		at := s.nodeFor(id) + 1
		s.nodes = slices.Insert(s.nodes, at, streamNode{master: id, last: id})
		n = &s.nodes[at]
		n.data = binary.AppendUvarint(make([]byte, 0, 64), uint64(nf))
		n.lpBytes = 7 + lpIntSize(0) + lpIntSize(0) + lpIntSize(int64(nf)) + lpIntSize(0)
		for i := 0; i < nf; i++ {
			n.data = putStr(n.data, fv[2*i])
			n.lpBytes += lpStrSize(fv[2*i])
		}
		n.nfields = int32(nf)
		n.fieldsEnd = int32(len(n.data))
		flags = sfSame
	} else if nf == int(n.nfields) {
		same := true
		pos := 0
		_, pos = getUv(n.data, pos)
		for i := 0; i < nf; i++ {
			var f []byte
			f, pos = getStr(n.data, pos)
			if string(f) != string(fv[2*i]) {
				same = false
				break
			}
		}
		if same {
			flags = sfSame
		}
	}
	oldCap := cap(n.data)
	prev := n.last
	d := append(n.data, flags)
	msd := id.Ms - prev.Ms
	d = binary.AppendUvarint(d, msd)
	if msd == 0 {
		d = binary.AppendUvarint(d, id.Seq-prev.Seq)
	} else {
		d = binary.AppendUvarint(d, id.Seq)
	}
	lp := lpIntSize(int64(flags)) + lpIntSize(int64(id.Ms-n.master.Ms)) + lpIntSize(int64(id.Seq-n.master.Seq))
	lpCount := int64(nf + 3)
	if flags&sfSame != 0 {
		for i := 0; i < nf; i++ {
			d = putStr(d, fv[2*i+1])
			lp += lpStrSize(fv[2*i+1])
		}
	} else {
		d = binary.AppendUvarint(d, uint64(nf))
		lp += lpIntSize(int64(nf))
		for _, b := range fv {
			d = putStr(d, b)
			lp += lpStrSize(b)
		}
		lpCount += int64(nf + 1)
	}
	lp += lpIntSize(lpCount)
	n.data = d
	n.lpBytes = int32(min(int64(n.lpBytes)+int64(lp), math.MaxInt32))
	n.setCounts(n.live+1, n.dead)
	n.last = id
	if cap(d) != oldCap {
		s.dataMem += int64(roundAlloc(cap(d)) - roundAlloc(oldCap))
	}
	s.length++
	s.entriesAdded++
	s.lastID = id
	if s.length == 1 {
		s.firstID = id
	}
}

// seal shrinks a node's data to its length once no entry will be added.
func (s *Stream) seal(i int) {
	n := &s.nodes[i]
	if roundAlloc(cap(n.data)) > roundAlloc(len(n.data)) {
		s.dataMem += int64(roundAlloc(len(n.data)) - roundAlloc(cap(n.data)))
		n.data = slices.Clip(append([]byte(nil), n.data...))
	}
}

// removeNode drops node i.
func (s *Stream) removeNode(i int) {
	s.dataMem -= int64(roundAlloc(cap(s.nodes[i].data)))
	if i == 0 {
		s.nodes[0] = streamNode{}
		s.nodes = s.nodes[1:]
		if len(s.nodes) == 0 {
			s.nodes = nil
		}
		return
	}
	s.nodes = slices.Delete(s.nodes, i, i+1)
}

// ---- reading ----

// nodeFor returns the index of the last node whose master ID <= id, or -1.
func (s *Stream) nodeFor(id StreamID) int {
	i, found := slices.BinarySearchFunc(s.nodes, id, func(n streamNode, id StreamID) int { return n.master.Cmp(id) })
	if found {
		return i
	}
	return i - 1
}

// StreamScratch is reusable iteration memory.
type StreamScratch struct {
	mf  [][]byte
	fv  [][]byte
	rev []revPos
}

type revPos struct {
	pos  int
	prev StreamID
}

// Range calls fn for each live entry with start <= ID <= end, in ID order
// (reverse order with rev), until fn returns false. fv aliases the stream
// and sc: valid during the call.
//
// It walks entries as Redis's stream iterator does: from the node whose
// master ID is the last <= start (end, in reverse), skipping deleted
// entries, and stops at the first live entry past the range. (Entries of
// a node are in ID order except after XSETID lowered the last ID below a
// deleted tail entry; Redis's walk, hence the answers, are the same then.)
func (s *Stream) Range(start, end StreamID, rev bool, sc *StreamScratch, fn func(id StreamID, fv [][]byte) bool) {
	if len(s.nodes) == 0 {
		return
	}
	if sc == nil {
		sc = &StreamScratch{}
	}
	if !rev {
		i := max(s.nodeFor(start), 0)
		for ; i < len(s.nodes); i++ {
			n := &s.nodes[i]
			sc.mf = n.masterFields(sc.mf[:0])
			pos, prev := int(n.fieldsEnd), n.master
			for pos < len(n.data) {
				id, flags, np, fv := n.decodeEntry(pos, prev, sc.mf, sc.fv[:0], true)
				sc.fv = fv
				pos, prev = np, id
				if flags&sfDeleted != 0 || id.Cmp(start) < 0 {
					continue
				}
				if id.Cmp(end) > 0 {
					return
				}
				if !fn(id, fv) {
					return
				}
			}
		}
		return
	}
	i := s.nodeFor(end)
	if i < 0 {
		i = len(s.nodes) - 1
	}
	for ; i >= 0; i-- {
		n := &s.nodes[i]
		sc.mf = n.masterFields(sc.mf[:0])
		sc.rev = sc.rev[:0]
		pos, prev := int(n.fieldsEnd), n.master
		for pos < len(n.data) {
			id, flags, np, _ := n.decodeEntry(pos, prev, nil, nil, false)
			if flags&sfDeleted == 0 {
				sc.rev = append(sc.rev, revPos{pos, prev})
			}
			pos, prev = np, id
		}
		for j := len(sc.rev) - 1; j >= 0; j-- {
			id, _, _, fv := n.decodeEntry(sc.rev[j].pos, sc.rev[j].prev, sc.mf, sc.fv[:0], true)
			sc.fv = fv
			if id.Cmp(end) > 0 {
				continue
			}
			if id.Cmp(start) < 0 {
				return
			}
			if !fn(id, fv) {
				return
			}
		}
	}
}

// Get calls fn with the entry id if it exists (not deleted); it reports
// whether it does.
func (s *Stream) Get(id StreamID, sc *StreamScratch, fn func(id StreamID, fv [][]byte)) bool {
	found := false
	s.Range(id, id, false, sc, func(id StreamID, fv [][]byte) bool {
		found = true
		if fn != nil {
			fn(id, fv)
		}
		return false
	})
	return found
}

// Exists reports whether entry id is in the stream.
func (s *Stream) Exists(id StreamID) bool {
	_, _, ok := s.find(id)
	return ok
}

// find returns the node and position of live entry id, as Redis's
// iterator over [id, id] finds it.
func (s *Stream) find(id StreamID) (int, int, bool) {
	for i := max(s.nodeFor(id), 0); i < len(s.nodes); i++ {
		n := &s.nodes[i]
		pos, prev := int(n.fieldsEnd), n.master
		for pos < len(n.data) {
			eid, flags, np, _ := n.decodeEntry(pos, prev, nil, nil, false)
			if flags&sfDeleted == 0 {
				if c := eid.Cmp(id); c >= 0 {
					return i, pos, c == 0
				}
			}
			pos, prev = np, eid
		}
	}
	return 0, 0, false
}

// firstLive returns the first live ID (ok false when empty).
func (s *Stream) firstLive() (StreamID, bool) {
	var out StreamID
	ok := false
	s.Range(StreamID{}, MaxStreamID, false, nil, func(id StreamID, _ [][]byte) bool {
		out, ok = id, true
		return false
	})
	return out, ok
}

// LastValidID returns the ID of the last live entry (ok false when empty).
func (s *Stream) LastValidID() (StreamID, bool) {
	var out StreamID
	ok := false
	s.Range(StreamID{}, MaxStreamID, true, nil, func(id StreamID, _ [][]byte) bool {
		out, ok = id, true
		return false
	})
	return out, ok
}

// FirstEntryID is the first live entry's ID (0-0 when empty).
func (s *Stream) FirstEntryID() StreamID {
	id, _ := s.firstLive()
	return id
}

// ---- deleting ----

// deleteEntry marks entry id deleted; false if it is not there.
func (s *Stream) deleteEntry(id StreamID) bool {
	i, pos, ok := s.find(id)
	if !ok {
		return false
	}
	n := &s.nodes[i]
	s.length--
	if n.live == 1 {
		s.removeNode(i)
		return true
	}
	n.data[pos] |= sfDeleted
	n.setCounts(n.live-1, n.dead+1)
	return true
}

// Delete removes the given entries (XDEL) and returns how many existed.
func (s *Stream) Delete(ids []StreamID) int64 {
	var deleted int64
	firstEntry := false
	for _, id := range ids {
		if !s.deleteEntry(id) {
			continue
		}
		if id == s.firstID {
			firstEntry = true
		}
		if id.Cmp(s.maxDeleted) > 0 {
			s.maxDeleted = id
		}
		deleted++
	}
	if deleted > 0 {
		if s.length == 0 {
			s.firstID = StreamID{}
		} else if firstEntry {
			s.firstID = s.FirstEntryID()
		}
	}
	return deleted
}

// Trim strategies.
const (
	TrimNone = iota
	TrimMaxLen
	TrimMinID
)

// StreamTrim are the trimming arguments of XADD and XTRIM.
type StreamTrim struct {
	Strategy int
	MaxLen   int64
	MinID    StreamID
	Approx   bool
	Limit    int64 // 0: no limit
}

// Trim trims the stream as Redis's streamTrim and returns the number of
// entries removed.
func (s *Stream) Trim(t StreamTrim) int64 {
	if t.Strategy == TrimNone {
		return 0
	}
	var deleted int64
	for len(s.nodes) > 0 {
		if t.Strategy == TrimMaxLen && s.length <= t.MaxLen {
			break
		}
		n := &s.nodes[0]
		entries := int64(n.live)
		if t.Limit != 0 && deleted+entries > t.Limit {
			break
		}
		var remove bool
		if t.Strategy == TrimMaxLen {
			remove = s.length-entries >= t.MaxLen
		} else {
			remove = n.last.Cmp(t.MinID) < 0
		}
		if remove {
			s.removeNode(0)
			s.length -= entries
			deleted += entries
			continue
		}
		if t.Approx {
			break
		}
		var fromNode int32
		pos, prev := int(n.fieldsEnd), n.master
		for pos < len(n.data) {
			id, flags, np, _ := n.decodeEntry(pos, prev, nil, nil, false)
			var stop bool
			if t.Strategy == TrimMaxLen {
				stop = s.length <= t.MaxLen
			} else {
				stop = id.Cmp(t.MinID) >= 0
			}
			if stop {
				break
			}
			if flags&sfDeleted == 0 {
				n.data[pos] |= sfDeleted
				fromNode++
				s.length--
			}
			pos, prev = np, id
		}
		deleted += int64(fromNode)
		n.setCounts(n.live-fromNode, n.dead+fromNode)
		break
	}
	if s.length == 0 {
		s.firstID = StreamID{}
	} else if deleted > 0 {
		s.firstID = s.FirstEntryID()
	}
	return deleted
}

// ---- consumer groups ----

// Invalid entries-read counter (SCG_INVALID_ENTRIES_READ).
const StreamInvalidEntriesRead = -1

// StreamGroup is a consumer group.
type StreamGroup struct {
	Name        string
	LastID      StreamID
	EntriesRead int64
	pel         pelIndex
	consumers   []*StreamConsumer // sorted by name
	s           *Stream
}

// StreamConsumer is a consumer of a group.
type StreamConsumer struct {
	Name       string
	SeenTime   int64
	ActiveTime int64
	pel        pelIndex
}

// StreamNACK is a pending (delivered, unacknowledged) entry.
type StreamNACK struct {
	ID            StreamID
	Consumer      *StreamConsumer
	DeliveryTime  int64
	DeliveryCount int64
}

const (
	groupSize    = int64(unsafe.Sizeof(StreamGroup{}))
	consumerSize = int64(unsafe.Sizeof(StreamConsumer{}))
	nackSize     = int64(unsafe.Sizeof(StreamNACK{}))
	pelItemSize  = int64(unsafe.Sizeof(pelItem{}))
)

// Groups returns the groups sorted by name (do not modify).
func (s *Stream) Groups() []*StreamGroup { return s.groups }

// Group returns the group named name, or nil.
func (s *Stream) Group(name []byte) *StreamGroup {
	i, ok := slices.BinarySearchFunc(s.groups, name, func(g *StreamGroup, n []byte) int { return cmpStr(g.Name, n) })
	if !ok {
		return nil
	}
	return s.groups[i]
}

func cmpStr(a string, b []byte) int {
	switch {
	case a < string(b):
		return -1
	case a > string(b):
		return 1
	}
	return 0
}

// CreateGroup adds a group; nil if one with that name exists.
func (s *Stream) CreateGroup(name []byte, last StreamID, entriesRead int64) *StreamGroup {
	i, ok := slices.BinarySearchFunc(s.groups, name, func(g *StreamGroup, n []byte) int { return cmpStr(g.Name, n) })
	if ok {
		return nil
	}
	g := &StreamGroup{Name: string(name), LastID: last, EntriesRead: entriesRead, s: s}
	g.pel.acct = &s.gmem
	s.groups = slices.Insert(s.groups, i, g)
	s.gmem += int64(roundAlloc(int(groupSize))) + int64(roundAlloc(len(name))) + 8
	return g
}

// DestroyGroup removes the group named name; false if there is none.
func (s *Stream) DestroyGroup(name []byte) bool {
	i, ok := slices.BinarySearchFunc(s.groups, name, func(g *StreamGroup, n []byte) int { return cmpStr(g.Name, n) })
	if !ok {
		return false
	}
	g := s.groups[i]
	for len(g.consumers) > 0 {
		g.DeleteConsumer(g.consumers[0])
	}
	s.gmem -= g.pel.bytes() + int64(roundAlloc(int(groupSize))) + int64(roundAlloc(len(g.Name))) + 8
	s.groups = slices.Delete(s.groups, i, i+1)
	return true
}

// Consumers returns the consumers sorted by name (do not modify).
func (g *StreamGroup) Consumers() []*StreamConsumer { return g.consumers }

// Consumer returns the consumer named name, or nil.
func (g *StreamGroup) Consumer(name []byte) *StreamConsumer {
	i, ok := slices.BinarySearchFunc(g.consumers, name, func(c *StreamConsumer, n []byte) int { return cmpStr(c.Name, n) })
	if !ok {
		return nil
	}
	return g.consumers[i]
}

// CreateConsumer adds a consumer seen at now; nil if it exists.
func (g *StreamGroup) CreateConsumer(name []byte, now int64) *StreamConsumer {
	i, ok := slices.BinarySearchFunc(g.consumers, name, func(c *StreamConsumer, n []byte) int { return cmpStr(c.Name, n) })
	if ok {
		return nil
	}
	c := &StreamConsumer{Name: string(name), SeenTime: now, ActiveTime: -1}
	c.pel.acct = &g.s.gmem
	g.consumers = slices.Insert(g.consumers, i, c)
	g.s.gmem += int64(roundAlloc(int(consumerSize))) + int64(roundAlloc(len(name))) + 8
	return c
}

// DeleteConsumer removes c and its pending entries; it returns how many
// entries it had pending.
func (g *StreamGroup) DeleteConsumer(c *StreamConsumer) int64 {
	pending := int64(c.pel.live)
	c.pel.each(StreamID{}, func(n *StreamNACK) bool {
		g.pel.del(n.ID)
		g.s.gmem -= int64(roundAlloc(int(nackSize)))
		return true
	})
	g.s.gmem -= c.pel.bytes() + int64(roundAlloc(int(consumerSize))) + int64(roundAlloc(len(c.Name))) + 8
	c.pel = pelIndex{}
	i, _ := slices.BinarySearchFunc(g.consumers, c.Name, func(c *StreamConsumer, n string) int { return cmpStr(c.Name, []byte(n)) })
	g.consumers = slices.Delete(g.consumers, i, i+1)
	return pending
}

// PendingLen returns the size of the group's PEL.
func (g *StreamGroup) PendingLen() int64 { return int64(g.pel.live) }

// PendingLen returns the size of the consumer's PEL.
func (c *StreamConsumer) PendingLen() int64 { return int64(c.pel.live) }

// NACK returns the pending entry id, or nil.
func (g *StreamGroup) NACK(id StreamID) *StreamNACK { return g.pel.get(id) }

// Pending calls fn for the group's pending entries from start on, in ID
// order, until it returns false.
func (g *StreamGroup) Pending(start StreamID, fn func(n *StreamNACK) bool) { g.pel.each(start, fn) }

// Pending calls fn for the consumer's pending entries from start on.
func (c *StreamConsumer) Pending(start StreamID, fn func(n *StreamNACK) bool) { c.pel.each(start, fn) }

// PendingBounds returns the smallest and largest pending IDs.
func (g *StreamGroup) PendingBounds() (first, last StreamID) {
	return g.pel.first(), g.pel.last()
}

// AddNACK creates a pending entry for id owned by c (nil: unowned, as
// XCLAIM FORCE creates it) delivered at now once.
func (g *StreamGroup) AddNACK(id StreamID, c *StreamConsumer, now int64) *StreamNACK {
	n := &StreamNACK{ID: id, Consumer: c, DeliveryTime: now, DeliveryCount: 1}
	g.pel.put(n)
	if c != nil {
		c.pel.put(n)
	}
	g.s.gmem += int64(roundAlloc(int(nackSize)))
	return n
}

// Assign moves pending entry n to consumer c.
func (g *StreamGroup) Assign(n *StreamNACK, c *StreamConsumer) {
	if n.Consumer == c {
		return
	}
	if n.Consumer != nil {
		n.Consumer.pel.del(n.ID)
	}
	n.Consumer = c
	c.pel.put(n)
}

// Ack removes pending entry id; false if it was not pending.
func (g *StreamGroup) Ack(id StreamID) bool {
	n := g.pel.get(id)
	if n == nil {
		return false
	}
	g.pel.del(id)
	if n.Consumer != nil {
		n.Consumer.pel.del(id)
	}
	g.s.gmem -= int64(roundAlloc(int(nackSize)))
	return true
}

// ---- group read counters (Redis 7's lag tracking) ----

// rangeHasTombstones reports whether [start, end] may hold a deleted entry.
func (s *Stream) rangeHasTombstones(start, end StreamID) bool {
	if s.length == 0 || s.maxDeleted.IsZero() {
		return false
	}
	if s.firstID.Cmp(s.maxDeleted) > 0 {
		return false // the last tombstone is before the first entry
	}
	return start.Cmp(s.maxDeleted) <= 0 && s.maxDeleted.Cmp(end) <= 0
}

// EstimateDistance returns id's logical read counter, or
// StreamInvalidEntriesRead when it cannot be known.
func (s *Stream) EstimateDistance(id StreamID) int64 {
	if s.entriesAdded == 0 {
		return 0
	}
	if s.length == 0 && id.Cmp(s.lastID) < 1 {
		return s.entriesAdded
	}
	switch c := id.Cmp(s.lastID); {
	case c == 0:
		return s.entriesAdded
	case c > 0:
		return StreamInvalidEntriesRead
	}
	cmpFirst := id.Cmp(s.firstID)
	if s.maxDeleted.IsZero() || s.maxDeleted.Cmp(s.firstID) < 0 {
		if cmpFirst < 0 {
			return s.entriesAdded - s.length
		} else if cmpFirst == 0 {
			return s.entriesAdded - s.length + 1
		}
	}
	return StreamInvalidEntriesRead
}

// Lag returns the group's lag; ok false when it cannot be known.
func (s *Stream) Lag(g *StreamGroup) (int64, bool) {
	if s.entriesAdded == 0 {
		return 0, true
	}
	if g.EntriesRead != StreamInvalidEntriesRead && !s.rangeHasTombstones(g.LastID, MaxStreamID) {
		return s.entriesAdded - g.EntriesRead, true
	}
	if er := s.EstimateDistance(g.LastID); er != StreamInvalidEntriesRead {
		return s.entriesAdded - er, true
	}
	return 0, false
}

// Deliver advances g past id, delivered by a read of new entries,
// maintaining its read counter as Redis's streamReplyWithRange does.
func (s *Stream) Deliver(g *StreamGroup, id StreamID) {
	if id.Cmp(g.LastID) <= 0 {
		return
	}
	if g.EntriesRead != StreamInvalidEntriesRead && !s.rangeHasTombstones(id, MaxStreamID) {
		g.EntriesRead++
	} else if s.entriesAdded != 0 {
		g.EntriesRead = s.EstimateDistance(id)
	}
	g.LastID = id
}

// ---- pelIndex ----

type pelItem struct {
	id StreamID
	n  *StreamNACK // nil: removed
}

// pelIndex is an ordered set of NACKs by ID.
type pelIndex struct {
	items []pelItem
	live  int
	acct  *int64 // the stream's gmem, charged for items' capacity
}

func (p *pelIndex) bytes() int64 { return int64(roundAlloc(int(int64(cap(p.items)) * pelItemSize))) }

func (p *pelIndex) search(id StreamID) (int, bool) {
	return slices.BinarySearchFunc(p.items, id, func(it pelItem, id StreamID) int { return it.id.Cmp(id) })
}

func (p *pelIndex) get(id StreamID) *StreamNACK {
	i, ok := p.search(id)
	if !ok {
		return nil
	}
	return p.items[i].n
}

func (p *pelIndex) put(n *StreamNACK) {
	before := p.bytes()
	if k := len(p.items); k == 0 || p.items[k-1].id.Cmp(n.ID) < 0 {
		p.items = append(p.items, pelItem{n.ID, n})
		p.live++
	} else if i, ok := p.search(n.ID); ok {
		if p.items[i].n == nil {
			p.live++
		}
		p.items[i].n = n
	} else {
		p.items = slices.Insert(p.items, i, pelItem{n.ID, n})
		p.live++
	}
	if p.acct != nil {
		*p.acct += p.bytes() - before
	}
}

func (p *pelIndex) del(id StreamID) {
	i, ok := p.search(id)
	if !ok || p.items[i].n == nil {
		return
	}
	p.items[i].n = nil
	p.live--
	if dead := len(p.items) - p.live; dead > 16 && dead > p.live {
		before := p.bytes()
		out := make([]pelItem, 0, p.live+p.live/4)
		for _, it := range p.items {
			if it.n != nil {
				out = append(out, it)
			}
		}
		p.items = out
		if p.acct != nil {
			*p.acct += p.bytes() - before
		}
	}
}

func (p *pelIndex) each(start StreamID, fn func(n *StreamNACK) bool) {
	i, _ := p.search(start)
	for ; i < len(p.items); i++ {
		if n := p.items[i].n; n != nil {
			if !fn(n) {
				return
			}
		}
	}
}

func (p *pelIndex) first() StreamID {
	for _, it := range p.items {
		if it.n != nil {
			return it.id
		}
	}
	return StreamID{}
}

func (p *pelIndex) last() StreamID {
	for i := len(p.items) - 1; i >= 0; i-- {
		if p.items[i].n != nil {
			return p.items[i].id
		}
	}
	return StreamID{}
}

// ---- copying ----

// Clone deep-copies the stream, groups included (COPY).
func (s *Stream) Clone() any {
	c := *s
	c.nodes = make([]streamNode, len(s.nodes))
	c.dataMem = 0
	for i, n := range s.nodes {
		n.data = append([]byte(nil), n.data...)
		c.dataMem += int64(roundAlloc(cap(n.data)))
		c.nodes[i] = n
	}
	c.groups = make([]*StreamGroup, 0, len(s.groups))
	c.gmem = 0
	for _, g := range s.groups {
		ng := c.CreateGroup([]byte(g.Name), g.LastID, g.EntriesRead)
		cons := make(map[*StreamConsumer]*StreamConsumer, len(g.consumers))
		for _, sc := range g.consumers {
			nc := ng.CreateConsumer([]byte(sc.Name), sc.SeenTime)
			nc.ActiveTime = sc.ActiveTime
			cons[sc] = nc
		}
		g.pel.each(StreamID{}, func(n *StreamNACK) bool {
			nn := ng.AddNACK(n.ID, cons[n.Consumer], n.DeliveryTime)
			nn.DeliveryCount = n.DeliveryCount
			return true
		})
	}
	if len(c.groups) == 0 {
		c.groups = nil
	}
	return &c
}

// RaxNodes returns the number of nodes Redis's radix tree would have for
// this stream's node keys (XINFO STREAM's radix-tree-nodes): the nodes of
// a path-compressed trie of the 16-byte big-endian master IDs, where a
// node with one child absorbs a single-child descendant.
func (s *Stream) RaxNodes() int64 {
	if len(s.nodes) == 0 {
		return 1
	}
	keys := make([][16]byte, len(s.nodes))
	for i, n := range s.nodes {
		binary.BigEndian.PutUint64(keys[i][:8], n.master.Ms)
		binary.BigEndian.PutUint64(keys[i][8:], n.master.Seq)
	}
	return 1 + raxCount(keys, 0, true)
}

// raxCount counts the rax nodes below the trie node shared by keys (all
// with the same first depth bytes); parentSingle says that node has one
// child.
func raxCount(keys [][16]byte, depth int, single bool) int64 {
	// Group by the byte at depth: each group is a child node.
	var groups [][][16]byte
	for i := 0; i < len(keys); {
		j := i + 1
		for j < len(keys) && keys[j][depth] == keys[i][depth] {
			j++
		}
		groups = append(groups, keys[i:j])
		i = j
	}
	one := len(groups) == 1
	var n int64
	for _, g := range groups {
		if depth+1 == 16 {
			n++ // a leaf: the key
			continue
		}
		// The child has one child itself iff its keys share the next byte.
		childSingle := true
		for _, k := range g[1:] {
			if k[depth+1] != g[0][depth+1] {
				childSingle = false
				break
			}
		}
		if !(one && childSingle) {
			n++
		}
		n += raxCount(g, depth+1, childSingle)
	}
	return n
}
