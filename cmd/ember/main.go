// Command ember runs the ember server:
//
//	ember [path/to/ember.conf] [--directive value ...]
//
// Directives are redis.conf's (port, bind, maxmemory 2gb, ...). Without a
// file and flags, ember serves 127.0.0.1:6379, 16 databases, in memory only.
//
//	ember --ping [host:port | port | /unix/socket]
//
// is a health check (for container HEALTHCHECKs): it exits 0 when the
// server there answers PING (default 127.0.0.1:6379), 1 otherwise.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/embercache/ember/server"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

func run(args []string, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "-v", "--version":
			fmt.Fprintf(stderr, "ember v=%s (redis %s compatible)\n", server.Version, server.RedisVersion)
			return 0
		case "-h", "--help":
			fmt.Fprintln(stderr, "usage: ember [/path/to/ember.conf] [--directive value ...]\n       ember --port 7000 --maxmemory 2gb\n       ember --ping [host:port]")
			return 0
		case "--ping":
			return ping(args[1:], stderr)
		}
	}
	var path string
	if len(args) > 0 && !strings.HasPrefix(args[0], "--") {
		path, args = args[0], args[1:]
	}
	cfg, err := server.LoadConfig(path, args)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	out := stderr
	if lf := cfg.Get("logfile"); lf != "" {
		f, err := os.OpenFile(lf, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			fmt.Fprintf(stderr, "can't open the log file: %v\n", err)
			return 1
		}
		defer f.Close()
		out = f
	}
	level := new(slog.LevelVar)
	log := slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{Level: level}))
	if dir := cfg.Get("dir"); dir != "" && dir != "." {
		if err := os.Chdir(dir); err != nil {
			log.Error("can't chdir to dir", "dir", dir, "err", err)
			return 1
		}
	}
	threads := server.ApplyThreads(cfg)
	srv, err := server.New(cfg, log, level)
	if err != nil {
		log.Error("can't start", "err", err)
		return 1
	}
	if err := srv.Start(); err != nil {
		log.Error("can't listen", "err", err)
		return 1
	}
	log.Info("ember started", "version", server.Version, "pid", os.Getpid(), "threads", threads)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	select {
	case sig := <-sigs:
		log.Info("received signal, shutting down", "signal", sig.String())
	case <-srv.ShutdownRequested():
		log.Info("SHUTDOWN requested by a client")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		log.Error("shutdown", "err", err)
		return 1
	}
	log.Info("ember is now ready to exit, bye bye...")
	return 0
}

// ping is the health-check mode: exit 0 if the server answers.
func ping(args []string, stderr io.Writer) int {
	if len(args) > 1 {
		fmt.Fprintln(stderr, "usage: ember --ping [host:port | port | /unix/socket]")
		return 1
	}
	addr := server.DefaultPingAddr
	if len(args) == 1 {
		addr = args[0]
	}
	if err := server.Ping(addr, 3*time.Second); err != nil {
		fmt.Fprintln(stderr, "ember --ping:", err)
		return 1
	}
	return 0
}
