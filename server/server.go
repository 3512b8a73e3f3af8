package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/embercache/ember/store"
)

// Version is ember's own version, reported as ember_version in INFO.
const Version = "0.1.0"

// RedisVersion is the Redis version whose behaviour ember matches; clients
// feature-detect from it (INFO server, HELLO).
const RedisVersion = "7.2.4"

// Server is one ember instance: its listeners, clients, command table and
// store.
type Server struct {
	cfg   *Config
	store *store.Store
	cmds  *commandTable
	log   *slog.Logger
	level *slog.LevelVar

	mu        sync.Mutex // guards listeners and clients
	listeners []net.Listener
	clients   map[int64]*Client
	nextID    atomic.Int64
	wg        sync.WaitGroup // accept loops and client goroutines

	// Settings read on hot paths, refreshed when CONFIG SET changes them.
	requirePass atomic.Pointer[string]
	idleTimeout atomic.Int64 // timeout, seconds

	started  time.Time
	runID    string
	lastSave atomic.Int64

	stats     serverStats
	blocking  blocking
	goneKeys  goneQueue                   // streams the store removed under waiters (blocking_gone.go)
	pubsub    pubsub                      // channels and patterns (pubsub.go)
	watches   watchRegistry               // WATCHed keys (watch.go)
	tracking  tracker                     // client-side caching (tracking.go)
	notify    notifier                    // keyspace notifications (notify.go)
	outLimits atomic.Pointer[[3]outLimit] // client-output-buffer-limit by class (output.go)
	info      infoState                   // INFO's calibration, peak memory and rates (info.go)
	ops       opsState                    // slow log, latency, MONITOR (slowlog.go)
	admin     adminHTTP                   // the admin HTTP listener (admin.go)
	scripts   scriptEngine                // Lua scripts and functions (lua_run.go)
	evict     evictState                  // maxmemory on the command path (eviction.go)
	pause     pauseState                  // CLIENT PAUSE (pause.go)

	errMu      sync.Mutex
	errorStats map[string]int64

	closing      atomic.Bool
	shutdownOnce sync.Once
	// shutdownReq is closed when a client asks the server to stop
	// (SHUTDOWN); the process owner waits on it beside its signals.
	shutdownReq chan struct{}
	done        chan struct{}
}

// serverStats are INFO stats counters.
type serverStats struct {
	connectionsReceived atomic.Int64
	rejectedConnections atomic.Int64
	commandsProcessed   stripedInt
	netInput            stripedInt
	netOutput           stripedInt
	totalErrorReplies   atomic.Int64
	outputLimitKills    atomic.Int64 // clients closed for client-output-buffer-limit
}

// New builds a server from cfg; logs go to log. Call Start to listen.
func New(cfg *Config, log *slog.Logger, level *slog.LevelVar) (*Server, error) {
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if level == nil {
		level = new(slog.LevelVar)
	}
	st, err := store.New(store.Config{Databases: int(cfg.Int("databases")), Shards: int(cfg.Int("shards"))})
	if err != nil {
		return nil, err
	}
	var id [20]byte
	_, _ = rand.Read(id[:])
	s := &Server{
		cfg:         cfg,
		store:       st,
		cmds:        newCommandTable(commandDefs()),
		log:         log,
		level:       level,
		clients:     make(map[int64]*Client),
		started:     time.Now(),
		runID:       hex.EncodeToString(id[:]),
		errorStats:  make(map[string]int64),
		shutdownReq: make(chan struct{}),
		done:        make(chan struct{}),
	}
	s.lastSave.Store(time.Now().Unix())
	s.refreshConfig()
	s.applyEncodingLimits()
	s.applyOpsConfig()
	s.applyMaxmemory()
	s.notify.srv = s
	st.SetStreamRemovedHook(s.streamRemoved)
	s.applyOutputLimits(cfg.Get("client-output-buffer-limit"))
	s.notify.configure(cfg.Get("notify-keyspace-events"))
	s.setLogLevel(cfg.Get("loglevel"))
	return s, nil
}

// Store returns the server's keyspace (tests and wiring).
func (s *Server) Store() *store.Store { return s.store }

// Config returns the server's configuration.
func (s *Server) Config() *Config { return s.cfg }

// refreshConfig copies hot-path settings out of the config table.
func (s *Server) refreshConfig() {
	pass := s.cfg.Get("requirepass")
	s.requirePass.Store(&pass)
	s.idleTimeout.Store(s.cfg.Int("timeout"))
}

func (s *Server) setLogLevel(v string) {
	switch v {
	case "debug", "verbose":
		s.level.Set(slog.LevelDebug)
	case "notice":
		s.level.Set(slog.LevelInfo)
	case "warning":
		s.level.Set(slog.LevelWarn)
	case "nothing":
		s.level.Set(slog.LevelError + 4)
	}
}

// Start binds the listeners named by bind/port (and unixsocket) and serves
// clients in the background. With port 0 the kernel picks a free port;
// Addr reports it.
func (s *Server) Start() error {
	port := s.cfg.Get("port")
	var lns []net.Listener
	if port != "0" || s.cfg.Get("unixsocket") == "" {
		var err error
		if lns, err = s.listenTCP(port, "server"); err != nil {
			return err
		}
	}
	if path := s.cfg.Get("unixsocket"); path != "" {
		_ = os.Remove(path)
		ln, err := net.Listen("unix", path)
		if err != nil {
			for _, l := range lns {
				l.Close()
			}
			return fmt.Errorf("could not create unix socket %s: %w", path, err)
		}
		if perm, err := strconv.ParseUint(s.cfg.Get("unixsocketperm"), 8, 32); err == nil && perm != 0 {
			_ = os.Chmod(path, os.FileMode(perm))
		}
		lns = append(lns, ln)
	}
	if err := s.startAdmin(); err != nil {
		for _, l := range lns {
			l.Close()
		}
		return err
	}
	s.mu.Lock()
	s.listeners = lns
	s.mu.Unlock()
	s.store.Start()
	s.startInfo()
	for _, ln := range lns {
		s.wg.Add(1)
		go s.acceptLoop(ln)
		s.log.Info("ready to accept connections", "addr", ln.Addr().String())
	}
	return nil
}

// listenTCP listens on port at every address of bind ("-addr" optional,
// "*" any); what names the listener in errors. With port 0 the kernel
// picks a port, which every address then shares.
func (s *Server) listenTCP(port, what string) ([]net.Listener, error) {
	var lns []net.Listener
	for _, host := range strings.Fields(s.cfg.Get("bind")) {
		optional := strings.HasPrefix(host, "-")
		host = strings.TrimPrefix(host, "-")
		if host == "*" {
			host = ""
		}
		ln, err := net.Listen("tcp", net.JoinHostPort(host, port))
		if err != nil {
			if optional {
				s.log.Warn("could not bind optional address", "addr", host, "err", err)
				continue
			}
			for _, l := range lns {
				l.Close()
			}
			return nil, fmt.Errorf("could not create %s TCP listening socket %s:%s: %w", what, host, port, err)
		}
		lns = append(lns, ln)
		if port == "0" {
			port = strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
		}
	}
	return lns, nil
}

// Addr returns the first listener's address (nil before Start).
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.listeners) == 0 {
		return nil
	}
	return s.listeners[0].Addr()
}

// ShutdownRequested is closed when a client sends SHUTDOWN.
func (s *Server) ShutdownRequested() <-chan struct{} { return s.shutdownReq }

func (s *Server) acceptLoop(ln net.Listener) {
	defer s.wg.Done()
	var backoff time.Duration
	for {
		conn, err := ln.Accept()
		if err != nil {
			if s.closing.Load() || errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of file descriptors and the like: back off, keep serving.
			if backoff == 0 {
				backoff = 5 * time.Millisecond
			} else if backoff < time.Second {
				backoff *= 2
			}
			s.log.Warn("accept failed", "err", err)
			time.Sleep(backoff)
			continue
		}
		backoff = 0
		s.stats.connectionsReceived.Add(1)
		s.admit(conn)
	}
}

// admit applies connection limits and starts the client's goroutine.
func (s *Server) admit(conn net.Conn) {
	if tc, ok := conn.(*net.TCPConn); ok {
		if ka := s.cfg.Int("tcp-keepalive"); ka > 0 {
			_ = tc.SetKeepAliveConfig(net.KeepAliveConfig{Enable: true, Idle: time.Duration(ka) * time.Second, Interval: time.Duration(ka) * time.Second / 3, Count: 3})
		}
		_ = tc.SetNoDelay(true)
	}
	s.mu.Lock()
	n := len(s.clients)
	closing := s.closing.Load()
	s.mu.Unlock()
	if closing {
		conn.Close()
		return
	}
	if int64(n) >= s.cfg.Int("maxclients") {
		s.stats.rejectedConnections.Add(1)
		_ = conn.SetWriteDeadline(time.Now().Add(time.Second))
		_, _ = conn.Write([]byte("-" + errMaxClients + "\r\n"))
		conn.Close()
		return
	}
	if s.protectedRefuses(conn) {
		s.stats.rejectedConnections.Add(1)
		_ = conn.SetWriteDeadline(time.Now().Add(time.Second))
		_, _ = conn.Write([]byte("-" + errProtectedMode + "\r\n"))
		conn.Close()
		return
	}
	c := newClient(s, conn)
	s.mu.Lock()
	s.clients[c.id] = c
	s.mu.Unlock()
	s.wg.Add(1)
	go c.serve()
}

// errProtectedMode is the DENIED reply sent to non-loopback clients while
// protected mode is on and no password is set.
const errProtectedMode = "DENIED ember is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. To accept others, set a password (requirepass), or disable protected mode with 'CONFIG SET protected-mode no' from the loopback interface, or start the server with '--protected-mode no'."

func (s *Server) protectedRefuses(conn net.Conn) bool {
	if !s.cfg.Bool("protected-mode") || *s.requirePass.Load() != "" {
		return false
	}
	addr, ok := conn.RemoteAddr().(*net.TCPAddr)
	if !ok {
		return false // unix socket
	}
	return !addr.IP.IsLoopback()
}

func (s *Server) removeClient(c *Client) {
	c.stopMonitoring()
	s.mu.Lock()
	delete(s.clients, c.id)
	s.mu.Unlock()
}

// clientList returns the connected clients ordered by id.
func (s *Server) clientList() []*Client {
	s.mu.Lock()
	out := make([]*Client, 0, len(s.clients))
	for _, c := range s.clients {
		out = append(out, c)
	}
	s.mu.Unlock()
	sortClients(out)
	return out
}

// countError records an error reply by its first word (INFO errorstats).
func (s *Server) countError(msg string) {
	s.stats.totalErrorReplies.Add(1)
	code := msg
	if i := strings.IndexByte(msg, ' '); i >= 0 {
		code = msg[:i]
	}
	s.errMu.Lock()
	if _, ok := s.errorStats[code]; ok || len(s.errorStats) < 128 {
		// Redis caps distinct error codes at 128, then stops tracking new.
		s.errorStats[code]++
	}
	s.errMu.Unlock()
}

// requestShutdown asks the process owner to stop the server (SHUTDOWN).
func (s *Server) requestShutdown() {
	s.shutdownOnce.Do(func() { close(s.shutdownReq) })
}

// Shutdown stops accepting, lets every client finish the replies of the
// commands it has already read, closes the connections and stops the store.
// It returns when all goroutines have ended or ctx expires.
func (s *Server) Shutdown(ctx context.Context) error {
	if !s.closing.CompareAndSwap(false, true) {
		<-s.done
		return nil
	}
	s.scripts.abort() // a script looping forever must not hold the shutdown
	s.mu.Lock()
	for _, ln := range s.listeners {
		ln.Close()
	}
	if path := s.cfg.Get("unixsocket"); path != "" {
		defer os.Remove(path)
	}
	for _, c := range s.clients {
		c.stopReading()
	}
	s.mu.Unlock()
	finished := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(finished)
	}()
	var err error
	select {
	case <-finished:
	case <-ctx.Done():
		err = ctx.Err()
		s.mu.Lock()
		for _, c := range s.clients {
			c.conn.Close()
		}
		s.mu.Unlock()
	}
	s.stopAdmin()
	s.store.Close()
	close(s.done)
	return err
}
