package tests

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// TestNodeClients runs the Node.js client suite (tests/node: node-redis and
// ioredis) against a fresh ember. Without node it skips, unless
// EMBER_REQUIRE_NODE=1.
func TestNodeClients(t *testing.T) {
	runNodeTest(t, "clients.test.mjs")
}

// TestNodeBullMQ runs a BullMQ job queue (tests/node/bullmq.test.mjs:
// normal, delayed and retried jobs, job counts, QueueEvents over XREAD
// BLOCK) against a fresh ember. It needs EVAL/EVALSHA, MULTI, streams and
// blocking sorted-set pops; it skips only without node, like the client
// suite, never because ember lacks a command.
func TestNodeBullMQ(t *testing.T) {
	runNodeTest(t, "bullmq.test.mjs")
}

// TestNodeSessions runs an express-session store on connect-redis and
// node-redis (tests/node/session.test.mjs: sessions created, updated, read
// back with their TTL, listed, destroyed and cleared) against a fresh ember.
func TestNodeSessions(t *testing.T) {
	runNodeTest(t, "session.test.mjs")
}

// TestNodeSocketIO runs two socket.io servers sharing broadcasts and rooms
// through @socket.io/redis-adapter on ember's pub/sub
// (tests/node/socketio.test.mjs).
func TestNodeSocketIO(t *testing.T) {
	runNodeTest(t, "socketio.test.mjs")
}

// runNodeTest runs one test file of tests/node with `node --test` against
// a fresh ember. It installs the suite's locked packages with `npm ci` when
// node_modules is missing or older than package-lock.json.
func runNodeTest(t *testing.T, file string) {
	node := requireTool(t, "node", "EMBER_REQUIRE_NODE")
	dir, err := filepath.Abs("node")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	nodeInstall.Do(func() {
		if !nodeModulesStale(dir) {
			return
		}
		npm, err := exec.LookPath("npm")
		if err != nil {
			nodeInstallErr = err
			return
		}
		install := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund")
		install.Dir = dir
		if out, err := install.CombinedOutput(); err != nil {
			nodeInstallErr = fmt.Errorf("npm ci: %v\n%s", err, out)
		}
	})
	if nodeInstallErr != nil {
		requireTool(t, "npm", "EMBER_REQUIRE_NODE") // skips without npm
		t.Fatal(nodeInstallErr)
	}
	p := startEmber(t)
	run := exec.CommandContext(ctx, node, "--test", file)
	run.Dir = dir
	run.Env = append(os.Environ(), "EMBER_ADDR="+p.addr)
	out, err := run.CombinedOutput()
	if err != nil {
		t.Fatalf("node --test %s: %v\n%s", file, err, out)
	}
	t.Logf("node --test %s:\n%s", file, out)
}

// nodeInstall runs npm ci at most once per test binary, for all the Node
// tests (they share node_modules).
var (
	nodeInstall    sync.Once
	nodeInstallErr error
)

// nodeModulesStale reports whether dir's installed packages are missing or
// older than its lock file.
func nodeModulesStale(dir string) bool {
	installed, err := os.Stat(filepath.Join(dir, "node_modules", ".package-lock.json"))
	if err != nil {
		return true
	}
	lock, err := os.Stat(filepath.Join(dir, "package-lock.json"))
	return err != nil || lock.ModTime().After(installed.ModTime())
}
