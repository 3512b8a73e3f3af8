package server

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// The admin HTTP listener.
//
// admin-port (default 9121, 0 disables) is served on the addresses of
// bind, like the Redis port, with:
//
//	/metrics         Prometheus metrics (metrics.go)
//	/healthz         200 while the server serves clients; 503 before it is
//	                 ready and once it shuts down
//	/debug/pprof/    Go profiles; refused to non-loopback clients while
//	                 protected mode is on and no password is set, like the
//	                 Redis port (a profile is no secret, but it is load)
//
// Nothing here touches the command path: /metrics reads the counters the
// command path keeps (metrics.go). The process's command line, which may
// hold a password, is not served (no /debug/pprof/cmdline).

// adminHTTP is the admin listener's state.
type adminHTTP struct {
	mu  sync.Mutex
	srv *http.Server
	lns []net.Listener
	wg  sync.WaitGroup

	regOnce sync.Once
	reg     *prometheus.Registry // metrics.go
}

// startAdmin binds admin-port on the bind addresses and serves it in the
// background; with admin-port 0 it does nothing.
func (s *Server) startAdmin() error {
	port := s.cfg.Get("admin-port")
	if port == "0" {
		return nil
	}
	lns, err := s.listenTCP(port, "admin")
	if err != nil {
		return err
	}
	s.serveAdmin(lns)
	return nil
}

// serveAdmin serves the admin endpoints on lns (tests pass their own
// listeners) until stopAdmin.
func (s *Server) serveAdmin(lns []net.Listener) {
	h := s.adminHandler()
	a := &s.admin
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.srv == nil {
		a.srv = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	}
	a.lns = append(a.lns, lns...)
	for _, ln := range lns {
		a.wg.Add(1)
		go func() {
			defer a.wg.Done()
			if err := a.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				s.log.Warn("admin listener failed", "addr", ln.Addr().String(), "err", err)
			}
		}()
		s.log.Info("admin endpoints ready", "addr", ln.Addr().String(), "paths", "/metrics /healthz /debug/pprof/")
	}
}

// stopAdmin closes the admin listener, letting requests in flight finish
// for a moment.
func (s *Server) stopAdmin() {
	a := &s.admin
	a.mu.Lock()
	srv := a.srv
	a.mu.Unlock()
	if srv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		srv.Close()
	}
	a.wg.Wait()
}

// AdminAddrs returns the admin listener's addresses (none when disabled).
func (s *Server) AdminAddrs() []net.Addr {
	a := &s.admin
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]net.Addr, len(a.lns))
	for i, ln := range a.lns {
		out[i] = ln.Addr()
	}
	return out
}

func (s *Server) adminHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(s.metricsRegistry(), promhttp.HandlerOpts{}))
	mux.HandleFunc("/healthz", s.serveHealthz)
	profiles := http.NewServeMux()
	profiles.HandleFunc("/debug/pprof/", pprof.Index)
	profiles.HandleFunc("/debug/pprof/profile", pprof.Profile)
	profiles.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	profiles.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.Handle("/debug/pprof/", s.protectedHTTP(profiles))
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "ember %s admin: /metrics /healthz /debug/pprof/\n", Version)
	})
	return mux
}

// serveHealthz answers 200 while the server serves clients, 503 otherwise.
func (s *Server) serveHealthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	switch {
	case s.closing.Load():
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, "shutting down")
	case s.Addr() == nil:
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, "starting")
	default:
		fmt.Fprintln(w, "ok")
	}
}

// protectedHTTP refuses non-loopback clients while protected mode is on
// and no password is set, as the Redis port does.
func (s *Server) protectedHTTP(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.Bool("protected-mode") && *s.requirePass.Load() == "" {
			host, _, _ := net.SplitHostPort(r.RemoteAddr)
			if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
				http.Error(w, "protected mode: profiles are served to loopback clients only until a password is set", http.StatusForbidden)
				return
			}
		}
		h.ServeHTTP(w, r)
	})
}

// DefaultPingAddr is the address Ping checks when none is given.
const DefaultPingAddr = "127.0.0.1:6379"

// Ping is the health check of `ember --ping [addr]`: it sends PING to the
// server at addr ("host:port", a port alone for 127.0.0.1, or a unix
// socket path) and returns nil if the server answers PONG, or refuses
// with NOAUTH (alive, but password-protected). A server that is loading,
// refuses, or does not answer within timeout fails the check.
func Ping(addr string, timeout time.Duration) error {
	network := "tcp"
	switch {
	case addr == "":
		addr = DefaultPingAddr
	case strings.HasPrefix(addr, "/"):
		network = "unix"
	case !strings.Contains(addr, ":"):
		if _, err := strconv.Atoi(addr); err != nil {
			return fmt.Errorf("bad address %q: want host:port, a port or a unix socket path", addr)
		}
		addr = "127.0.0.1:" + addr
	}
	conn, err := net.DialTimeout(network, addr, timeout)
	if err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(timeout))
	if _, err := conn.Write([]byte("*1\r\n$4\r\nPING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return fmt.Errorf("no reply from %s: %w", addr, err)
	}
	line = strings.TrimRight(line, "\r\n")
	switch {
	case line == "+PONG", strings.HasPrefix(line, "-NOAUTH"):
		return nil
	}
	return fmt.Errorf("%s answered %q", addr, line)
}
