package server

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/embercache/ember/internal/resptest"
)

// timeoutForTests bounds the health checks of these tests.
const timeoutForTests = 5 * time.Second

// TestAdminEndpoints: /healthz, /debug/pprof/ (and protected mode), and
// the index.
func TestAdminEndpoints(t *testing.T) {
	srv := startServer(t)
	base := startAdminListener(t, srv)
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/healthz"); code != 200 || body != "ok\n" {
		t.Fatalf("/healthz: %d %q", code, body)
	}
	if code, body := get("/debug/pprof/"); code != 200 || !strings.Contains(body, "goroutine") {
		t.Fatalf("/debug/pprof/: %d", code)
	}
	if code, _ := get("/debug/pprof/goroutine?debug=1"); code != 200 {
		t.Fatalf("goroutine profile: %d", code)
	}
	if code, _ := get("/debug/pprof/cmdline"); code == 200 {
		t.Fatal("the command line (which may hold a password) is served")
	}
	if code, body := get("/"); code != 200 || !strings.Contains(body, "/metrics") {
		t.Fatalf("/: %d %q", code, body)
	}
	// Profiles from another host: refused in protected mode without a
	// password, served once a password is set.
	h := srv.adminHandler()
	remote := func() int {
		req, _ := http.NewRequest("GET", "/debug/pprof/", nil)
		req.RemoteAddr = "192.0.2.7:4321"
		rec := &recorder{header: http.Header{}}
		h.ServeHTTP(rec, req)
		return rec.code
	}
	if code := remote(); code != http.StatusForbidden {
		t.Fatalf("remote profile in protected mode: %d", code)
	}
	c := dial(t, srv)
	c.MustDo(t, "CONFIG", "SET", "requirepass", "pw")
	if code := remote(); code != http.StatusOK {
		t.Fatalf("remote profile with a password: %d", code)
	}
}

// recorder is a minimal http.ResponseWriter.
type recorder struct {
	header http.Header
	code   int
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) Write(b []byte) (int, error) {
	if r.code == 0 {
		r.code = 200
	}
	return len(b), nil
}
func (r *recorder) WriteHeader(code int) { r.code = code }

// TestHealthzShutdown: /healthz answers 503 once the server shuts down.
func TestHealthzShutdown(t *testing.T) {
	cfg, err := LoadConfig("", []string{"--port", "0", "--bind", "127.0.0.1", "--admin-port", "0"})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(cfg, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	h := srv.adminHandler()
	status := func() int {
		req, _ := http.NewRequest("GET", "/healthz", nil)
		rec := &recorder{header: http.Header{}}
		h.ServeHTTP(rec, req)
		return rec.code
	}
	if code := status(); code != http.StatusServiceUnavailable {
		t.Fatalf("before Start: %d", code)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	if code := status(); code != http.StatusOK {
		t.Fatalf("running: %d", code)
	}
	if err := srv.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	if code := status(); code != http.StatusServiceUnavailable {
		t.Fatalf("after Shutdown: %d", code)
	}
}

// TestAdminPortDirective: admin-port binds on the bind addresses (a taken
// port fails Start, naming the admin listener), 0 disables it, and it
// cannot change at runtime.
func TestAdminPortDirective(t *testing.T) {
	var srv *Server
	for attempt := 0; ; attempt++ {
		port := resptest.FreePort(t)
		cfg, _ := LoadConfig("", []string{"--port", "0", "--bind", "127.0.0.1", "--admin-port", strconv.Itoa(port)})
		s, _ := New(cfg, nil, nil)
		if err := s.Start(); err != nil {
			if attempt < 3 {
				continue
			}
			t.Fatal(err)
		}
		srv = s
		t.Cleanup(func() { _ = s.Shutdown(t.Context()) })
		break
	}
	addrs := srv.AdminAddrs()
	if len(addrs) != 1 || addrs[0].(*net.TCPAddr).IP.String() != "127.0.0.1" {
		t.Fatalf("admin addresses %v", addrs)
	}
	base := "http://" + addrs[0].String()
	if metricValue(t, scrape(t, base), "redis_up") != 1 {
		t.Fatal("redis_up")
	}
	// The same port again: the second server does not start.
	cfg, _ := LoadConfig("", []string{"--port", "0", "--bind", "127.0.0.1", "--admin-port", strconv.Itoa(addrs[0].(*net.TCPAddr).Port)})
	s2, _ := New(cfg, nil, nil)
	if err := s2.Start(); err == nil || !strings.Contains(err.Error(), "admin TCP listening socket") {
		t.Fatalf("second server on a taken admin port: %v", err)
	}
	if srv.Addr() == nil || s2.Addr() != nil {
		t.Fatal("a failed Start must not keep its Redis listeners")
	}
	c := dial(t, srv)
	if r := c.MustDo(t, "CONFIG", "SET", "admin-port", "1"); !strings.Contains(r, "can't set immutable config") {
		t.Fatalf("CONFIG SET admin-port: %q", r)
	}
	if len(startServer(t).AdminAddrs()) != 0 {
		t.Fatal("admin-port 0 serves")
	}
}

// TestPing is the health check of `ember --ping`.
func TestPing(t *testing.T) {
	srv := startServer(t)
	if err := Ping(srv.Addr().String(), timeoutForTests); err != nil {
		t.Fatalf("ping: %v", err)
	}
	port := strconv.Itoa(srv.Addr().(*net.TCPAddr).Port)
	if err := Ping(port, timeoutForTests); err != nil {
		t.Fatalf("ping by port: %v", err)
	}
	sock := filepath.Join(t.TempDir(), "ember.sock")
	// A TCP port too (with port 0 only the socket listens), for the monitor.
	unix := startServer(t, "--unixsocket", sock, "--port", strconv.Itoa(resptest.FreePort(t)))
	if err := Ping(sock, timeoutForTests); err != nil {
		t.Fatalf("ping over the unix socket: %v", err)
	}
	// MONITOR names a unix socket client by the socket's path.
	mon := dial(t, unix)
	mon.MustDo(t, "MONITOR")
	uc, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer uc.Close()
	if _, err := uc.Write([]byte("PING\r\n")); err != nil {
		t.Fatal(err)
	}
	if line, err := mon.ReadTimeout(timeoutForTests); err != nil || !strings.HasSuffix(line, " [0 unix:"+sock+"] \"PING\"\r\n") {
		t.Fatalf("MONITOR line of a unix socket client: %q %v", line, err)
	}
	locked := startServer(t, "--requirepass", "pw")
	if err := Ping(locked.Addr().String(), timeoutForTests); err != nil {
		t.Fatalf("ping a password-protected server: %v", err)
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := ln.Addr().String()
	ln.Close()
	if err := Ping(closed, timeoutForTests); err == nil {
		t.Fatal("ping of a closed port succeeded")
	}
	if err := Ping("not-a-port", timeoutForTests); err == nil {
		t.Fatal("ping of a bad address succeeded")
	}
	// A server that answers something else (here: a fake that says LOADING).
	fake, _ := net.Listen("tcp", "127.0.0.1:0")
	defer fake.Close()
	go func() {
		conn, err := fake.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		buf := make([]byte, 64)
		_, _ = conn.Read(buf)
		fmt.Fprint(conn, "-LOADING Redis is loading the dataset in memory\r\n")
	}()
	if err := Ping(fake.Addr().String(), timeoutForTests); err == nil || !strings.Contains(err.Error(), "LOADING") {
		t.Fatalf("ping of a loading server: %v", err)
	}
}
