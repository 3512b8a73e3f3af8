package tests

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestNodeClients runs the Node.js client suite (tests/node: node-redis and
// ioredis) against a fresh ember. It installs the suite's locked packages
// with `npm ci` when node_modules is missing or older than
// package-lock.json. Without node it skips, unless EMBER_REQUIRE_NODE=1.
func TestNodeClients(t *testing.T) {
	node := requireTool(t, "node", "EMBER_REQUIRE_NODE")
	dir, err := filepath.Abs("node")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if nodeModulesStale(dir) {
		npm := requireTool(t, "npm", "EMBER_REQUIRE_NODE")
		install := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund")
		install.Dir = dir
		if out, err := install.CombinedOutput(); err != nil {
			t.Fatalf("npm ci: %v\n%s", err, out)
		}
	}
	p := startEmber(t)
	run := exec.CommandContext(ctx, node, "--test", "clients.test.mjs")
	run.Dir = dir
	run.Env = append(os.Environ(), "EMBER_ADDR="+p.addr)
	out, err := run.CombinedOutput()
	if err != nil {
		t.Fatalf("node --test: %v\n%s", err, out)
	}
	t.Logf("node --test:\n%s", out)
}

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
