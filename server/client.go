package server

import (
	"errors"
	"net"
	"os"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/embercache/ember/store"
)

// Client is one connection. Its goroutine reads a pipeline of commands,
// runs each (appending replies to out), and flushes once; nothing else
// writes to the connection. Fields read by other clients (CLIENT LIST,
// CLIENT KILL) are atomics or guarded by mu.
type Client struct {
	srv  *Server
	conn net.Conn
	id   int64
	rd   *reader
	out  []byte
	tx   *store.Tx
	db   *store.DB

	resp3      bool
	authed     bool
	closeAfter bool // QUIT, SHUTDOWN, or a protocol error: close after flush
	idleArmed  bool // a read deadline for the idle timeout is set
	errors     int  // error replies written so far (failed_calls detection)

	// Blocking (blocking.go): the waiter while blocked, keys this client's
	// command fed that have waiters, and keys to serve after unlocking.
	waiter        atomic.Pointer[Waiter]
	readyKeys     []readyKey
	readyNext     int // readyKeys[readyNext:] are still to be served
	deferredReady []readyKey
	// streamScratch is reusable memory for iterating streams (cmd_stream.go).
	streamScratch store.StreamScratch
	stop          chan struct{}              // closed when the client must end (kill, shutdown)
	async         *asyncOut                  // output queue once others may write to c (output.go)
	subs          atomic.Pointer[clientSubs] // pub/sub subscriptions (pubsub.go)
	pubBuf        *pubScratch                // PUBLISH's buffers (cmd_pubsub.go)
	stopOnce      sync.Once

	// Transactions and scripts (cmd_multi.go, atomic.go): the commands
	// queued since MULTI (nil outside MULTI), the WATCHed keys, whether
	// blocking commands must answer at once (inside EXEC or a script), and
	// for a script's child client the client it runs for.
	multi   *multiState
	watched []*watchedKey
	noBlock bool
	parent  *Client
	dbsOne  scriptDBs // holdForRun's database list (lua_hold.go)
	// oomAtStart: memory was over maxmemory when the current command
	// started (Redis's pre_command_oom_state; scripts read it, lua_oom.go).
	oomAtStart bool
	// CLIENT REPLY (cmd_conn.go): replyOff drops every reply, replySkip
	// the current command's, replySkipNext the next command's; replyMark
	// is where the current command's reply starts in out, replyDone says
	// call already dropped it.
	replyOff, replySkip, replySkipNext bool
	replyMark                          int
	replyDone                          bool

	batchStart time.Time     // when the current batch of commands began
	mark       time.Duration // end of the last command since batchStart; <0: none
	blockedFor time.Duration // time the current command spent blocked (not counted)

	created time.Time
	laddr   string
	raddr   string

	// Shared with other goroutines.
	mu       sync.Mutex
	name     string
	libName  string
	libVer   string
	user     string
	dbIndex  atomic.Int64
	lastCmd  atomic.Pointer[Command]
	lastIO   atomic.Int64 // unix ms of the last command
	noEvict  atomic.Bool
	noTouch  atomic.Bool
	killed   atomic.Bool
	monitor  atomic.Bool // in the MONITOR set (monitor.go)
	qbufSize atomic.Int64
	obufSize atomic.Int64
	multiN   atomic.Int64 // commands queued since MULTI; -1 outside MULTI
	multiMem atomic.Int64 // bytes of the queued commands' arguments
	casDirty atomic.Bool  // a WATCHed key changed: EXEC will fail

	trk *trackState // client-side caching, nil until CLIENT TRACKING ON (tracking.go)
}

func newClient(s *Server, conn net.Conn) *Client {
	c := &Client{
		srv:     s,
		conn:    conn,
		id:      s.nextID.Add(1),
		tx:      store.NewTx(s.store),
		db:      s.store.DB(0),
		created: time.Now(),
		laddr:   conn.LocalAddr().String(),
		raddr:   conn.RemoteAddr().String(),
		user:    "default",
	}
	if _, unix := conn.(*net.UnixConn); unix {
		c.raddr = conn.LocalAddr().String() + ":0"
	}
	c.authed = *s.requirePass.Load() == ""
	c.stop = make(chan struct{})
	c.tx.SetBeforeUnlock(c.beforeUnlock)
	c.tx.SetClient(c.id)
	c.tx.SetStreamGone(c.signalGone)
	c.rd = newReader(conn, s.cfg.Int("proto-max-bulk-len"), s.cfg.Int("client-query-buffer-limit"), func() bool { return c.authed })
	c.lastIO.Store(time.Now().UnixMilli())
	c.multiN.Store(-1)
	return c
}

// ID returns the client's unique id (CLIENT ID).
func (c *Client) ID() int64 { return c.id }

// outFlushThreshold is the reply size at which a long pipeline's replies
// are written out before the pipeline ends, bounding the buffer.
const outFlushThreshold = 64 * 1024

func (c *Client) serve() {
	defer c.srv.wg.Done()
	defer c.srv.removeClient(c)
	defer c.conn.Close()
	defer c.finishAsync()
	defer c.unsubscribeAll()
	defer c.unwatchAll()
	defer c.trackingClosed()
	c.beginBatch()
	for {
		for {
			args, err := c.rd.next()
			if err != nil {
				var pe *ProtocolError
				if errors.As(err, &pe) {
					c.WriteError("ERR " + pe.Msg)
					c.srv.log.Debug("protocol error", "client", c.raddr, "err", pe.Msg)
				}
				c.flush()
				return
			}
			if args == nil {
				break
			}
			c.execute(args)
			if c.closeAfter || c.killed.Load() {
				c.flush()
				return
			}
			if len(c.out) >= outFlushThreshold && !c.flush() {
				return
			}
		}
		if len(c.out) > 0 && !c.flush() {
			return
		}
		if t := c.srv.idleTimeout.Load(); t > 0 {
			_ = c.conn.SetReadDeadline(time.Now().Add(time.Duration(t) * time.Second))
			c.idleArmed = true
		} else if c.idleArmed {
			// timeout was set to 0 since the last read.
			_ = c.conn.SetReadDeadline(time.Time{})
			c.idleArmed = false
		}
		// Checked after the deadline is set: a stopReading that ran before
		// had its deadline replaced by ours, one that runs after wins.
		if c.srv.closing.Load() || c.killed.Load() {
			return
		}
		c.qbufSize.Store(int64(c.rd.w - c.rd.r))
		err := c.rd.fill()
		if err != nil {
			if errors.Is(err, errQueryBufLimit) {
				c.srv.log.Warn("closing client that reached max query buffer length", "client", c.raddr)
			} else if errors.Is(err, os.ErrDeadlineExceeded) && !c.srv.closing.Load() && !c.killed.Load() {
				c.srv.log.Debug("closing idle client", "client", c.raddr)
			}
			return
		}
		c.srv.stats.netInput.Add(int(c.id), int64(c.rd.lastRead))
		c.beginBatch()
	}
}

// flush writes the pending replies; it reports false if the connection
// failed.
func (c *Client) flush() bool {
	if c.async != nil {
		return c.flushAsync()
	}
	if len(c.out) == 0 {
		return true
	}
	if c.syncOverLimit() != nil {
		return false
	}
	n, err := c.conn.Write(c.out)
	c.srv.stats.netOutput.Add(int(c.id), int64(n))
	if cap(c.out) > 4*outFlushThreshold {
		c.out = make([]byte, 0, 16*1024)
	} else {
		c.out = c.out[:0]
	}
	return err == nil
}

// stopReading makes a client blocked in Read return so that it finishes
// its current replies and exits (shutdown, CLIENT KILL).
func (c *Client) stopReading() {
	c.stopOnce.Do(func() { close(c.stop) })
	_ = c.conn.SetReadDeadline(time.Now())
}

// kill closes another client's connection at its next opportunity.
func (c *Client) kill() {
	c.killed.Store(true)
	c.stopReading()
	// A writer stuck on a consumer that stopped reading must not keep the
	// connection (and its goroutines) alive; a killed client gets no more
	// output, as in Redis.
	_ = c.conn.SetWriteDeadline(time.Now())
}

// execute looks a command up, checks it and runs it.
func (c *Client) execute(args [][]byte) {
	c.replyMark, c.replyDone = len(c.out), false
	c.dispatch(args)
	if (c.replyOff || c.replySkip) && !c.replyDone && c.replyMark <= len(c.out) {
		c.out = c.out[:c.replyMark] // a reply written before call (an error)
	}
	// Redis's resetClient: SKIP covers exactly the command after CLIENT
	// REPLY SKIP.
	c.replySkip, c.replySkipNext = c.replySkipNext, false
}

// dispatch checks a command and runs it, or answers why not.
func (c *Client) dispatch(args [][]byte) {
	cmd, msg := c.srv.resolveCommand(args)
	if msg != "" {
		c.reject(cmd, msg)
		return
	}
	if !c.authed && cmd.Flags&FlagNoAuth == 0 {
		c.reject(cmd, errNoAuth)
		return
	}
	if c.monitor.Load() && cmd.Flags&(FlagWrite|FlagReadonly|FlagMayReplicate) != 0 {
		c.reject(cmd, errMonitorKeyspace)
		return
	}
	if !c.resp3 && c.subscribed() && !subscribedCtxAllowed(cmd) {
		c.reject(cmd, errSubscribedContext(cmd.FullName()))
		return
	}
	if r := c.srv.scripts.running.Load(); r != nil && cmd.Flags&FlagAllowBusy == 0 && !c.waitScript(r, cmd) {
		return
	}
	c.oomAtStart = c.srv.outOfMemory()
	if c.oomAtStart && c.deniedOnOOM(cmd, args) {
		c.reject(cmd, errOOM) // inside MULTI: EXEC will abort, as in Redis
		return
	}
	if c.srv.pause.active.Load() && !c.waitPause(cmd) { // pause.go
		return
	}
	if c.multi != nil && c.queue(cmd, args) { // cmd_multi.go
		return
	}
	c.call(cmd, args)
}

// reject answers a command refused before it ran; inside MULTI the
// transaction will abort, as in Redis.
func (c *Client) reject(cmd *Command, msg string) {
	if cmd != nil {
		cmd.stats.reject(int(c.id))
	}
	if cmd != nil && cmd.Name == "exec" {
		c.execAbort(msg) // cmd_multi.go
		return
	}
	c.WriteError(msg)
	if c.multi != nil {
		c.multi.aborted = true
	}
}

// call runs a checked command and accounts for it.
func (c *Client) call(cmd *Command, args [][]byte) {
	errs := c.errors
	// One monotonic clock read per command: a command starts where the
	// previous one of the batch ended (Redis likewise reuses its cached
	// time); the wall clock is derived from the batch's start.
	start := c.mark
	if start < 0 {
		start = time.Since(c.batchStart)
	}
	c.tx.SetTime(c.srv.store.NowFrom(c.batchStart.Add(start)))
	c.tx.SetCommand(cmd.Name, args)
	if c.async != nil {
		c.stageOut()
	}
	c.replyMark = min(c.replyMark, len(c.out))
	// CLIENT LIST's cmd= names the running command (a blocked BLPOP, the
	// CLIENT LIST itself), as Redis sets lastcmd before calling.
	c.lastCmd.Store(cmd)
	if c.trk != nil {
		c.trackBefore(cmd, args)
	}
	c.run(cmd, args)
	if c.replyOff || c.replySkip {
		c.dropReply()
	}
	if c.trk != nil {
		c.trackAfter(cmd)
	}
	if len(c.deferredReady) > 0 {
		c.serveDeferred()
	}
	end := time.Since(c.batchStart)
	c.mark = end
	// Like Redis, a blocking command's time blocked is not its duration.
	usec := (end - start - c.blockedFor).Microseconds()
	c.blockedFor = 0
	cmd.stats.call(int(c.id), usec, c.errors != errs)
	c.srv.stats.commandsProcessed.Add(int(c.id), 1)
	c.srv.observe(c, cmd, args, usec) // histograms, slow log, MONITOR (slowlog.go)
}

// beginBatch starts the clock of a batch of commands read together.
func (c *Client) beginBatch() {
	c.batchStart = time.Now()
	c.mark = -1
	c.lastIO.Store(c.batchStart.UnixMilli())
}

// selectDB switches the client's database.
func (c *Client) selectDB(i int) bool {
	db := c.srv.store.DB(i)
	if db == nil {
		return false
	}
	c.db = db
	c.dbIndex.Store(int64(i))
	return true
}

func sortClients(cs []*Client) {
	slices.SortFunc(cs, func(a, b *Client) int {
		switch {
		case a.id < b.id:
			return -1
		case a.id > b.id:
			return 1
		}
		return 0
	})
}

// run calls the handler. A handler bug must not take the server down or
// leave shard locks held: a panic releases the client's locks, is logged
// with its stack, and answers an error; other clients are unaffected.
func (c *Client) run(cmd *Command, args [][]byte) {
	defer func() {
		if r := recover(); r != nil {
			if c.tx.Held() {
				c.releaseHeld()
			}
			c.tx.Unlock()
			c.srv.log.Error("command panicked", "cmd", cmd.Name, "panic", r, "stack", string(debug.Stack()))
			c.WriteError("ERR internal error in '" + cmd.Name + "'")
		}
	}()
	cmd.Handler(c, args)
}
