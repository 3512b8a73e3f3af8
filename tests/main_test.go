package tests

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/embercache/ember/internal/resptest"
)

// emberBin is the ember binary built once for the whole package.
var emberBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ember-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	emberBin = filepath.Join(dir, "ember")
	build := exec.Command(goTool(), "build", "-o", emberBin, "./cmd/ember")
	build.Dir = moduleRoot()
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building ember: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// goTool is the go command running these tests.
func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(os.Getenv("GOROOT"), "bin", "go")
}

// moduleRoot is the repository root (the parent of tests/).
func moduleRoot() string {
	root, err := filepath.Abs("..")
	if err != nil {
		panic(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		panic("tests must run from the tests directory: " + err.Error())
	}
	return root
}

// requireTool returns the path of a command-line tool, skipping the test
// when it is missing (failing instead when envVar is "1").
func requireTool(t *testing.T, name, envVar string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv(envVar) == "1" {
			t.Fatalf("%s not found on PATH (required by %s=1)", name, envVar)
		}
		t.Skipf("%s not found on PATH", name)
	}
	return p
}

// syncBuffer is a bytes.Buffer safe for a process writing while a test
// reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// emberProc is a running ember process.
type emberProc struct {
	cmd    *exec.Cmd
	port   int
	addr   string
	stderr *syncBuffer
	exited chan struct{}
	err    error // Wait's result, once exited is closed
}

// startEmber runs the binary on a free loopback port with extra arguments
// and waits until it accepts connections. The process is killed at the
// end of the test if it is still running. A first argument that is not a
// --directive is a config file path, passed first.
func startEmber(t *testing.T, args ...string) *emberProc {
	t.Helper()
	var conf []string
	if len(args) > 0 && !strings.HasPrefix(args[0], "--") {
		conf, args = args[:1], args[1:]
	}
	for attempt := 0; attempt < 3; attempt++ {
		port := resptest.FreePort(t)
		p := &emberProc{port: port, addr: "127.0.0.1:" + strconv.Itoa(port), stderr: &syncBuffer{}, exited: make(chan struct{})}
		p.cmd = exec.Command(emberBin, append(append(conf, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--admin-port", "0"), args...)...)
		p.cmd.Stdout = p.stderr
		p.cmd.Stderr = p.stderr
		if err := p.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		go func() {
			p.err = p.cmd.Wait()
			close(p.exited)
		}()
		t.Cleanup(func() {
			select {
			case <-p.exited:
			default:
				_ = p.cmd.Process.Kill()
				<-p.exited
			}
			if t.Failed() {
				t.Logf("ember output:\n%s", p.stderr.String())
			}
		})
		if p.waitReady() {
			return p
		}
		// Most likely the port was taken meanwhile: try another.
	}
	t.Fatal("ember did not start")
	return nil
}

// waitReady polls until the server accepts a connection or exits.
func (p *emberProc) waitReady() bool {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-p.exited:
			return false
		default:
		}
		if c, err := net.DialTimeout("tcp", p.addr, time.Second); err == nil {
			c.Close()
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return false
}

// signal sends sig to the process.
func (p *emberProc) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
}

// exitCode waits up to 20 s for the process to exit and returns its code.
func (p *emberProc) exitCode(t *testing.T) int {
	t.Helper()
	select {
	case <-p.exited:
	case <-time.After(20 * time.Second):
		t.Fatalf("ember did not exit; output:\n%s", p.stderr.String())
	}
	if p.err == nil {
		return 0
	}
	if ee, ok := p.err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	t.Fatalf("wait: %v", p.err)
	return -1
}
