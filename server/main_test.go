package server

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/embercache/ember/internal/resptest"
	"github.com/embercache/ember/store"
)

// startServer starts an in-process ember on a free loopback port with the
// given extra directives ("--maxclients", "10", ...) and stops it when the
// test ends.
func startServer(t testing.TB, directives ...string) *Server {
	t.Helper()
	cfg, err := LoadConfig("", append([]string{"--port", "0", "--bind", "127.0.0.1", "--admin-port", "0"}, directives...))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(cfg, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return srv
}

// dial opens a raw RESP connection to srv.
func dial(t testing.TB, srv *Server) *resptest.Conn {
	t.Helper()
	return resptest.MustDial(t, srv.Addr().String())
}

// checkFor polls fn every step until it returns nil or total elapses, then
// fails with fn's last error (instead of sleeping a guessed time).
func checkFor(t testing.TB, total, step time.Duration, fn func() error) {
	t.Helper()
	deadline := time.Now().Add(total)
	for {
		err := fn()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(step)
	}
}

// journalLog records journal mutations as "db CMD arg arg ..." lines, for
// tests asserting what a write command emits.
type journalLog struct {
	mu   sync.Mutex
	recs []string
}

// captureJournal subscribes to srv's journal until the test ends.
func captureJournal(t testing.TB, srv *Server) *journalLog {
	t.Helper()
	l := &journalLog{}
	cancel := srv.Store().Journal().Subscribe(func(m *store.Mutation) {
		parts := []string{strconv.Itoa(m.DB)}
		for _, a := range m.Args {
			parts = append(parts, string(a))
		}
		l.mu.Lock()
		l.recs = append(l.recs, strings.Join(parts, " "))
		l.mu.Unlock()
	})
	t.Cleanup(cancel)
	return l
}

// Take returns and clears the records so far.
func (l *journalLog) Take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.recs
	l.recs = nil
	return r
}
