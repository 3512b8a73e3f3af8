package bench

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Servers ember-bench starts itself: ember and redis-server, each on a
// free loopback port, with the same settings, stopped when the run ends.

// ServerSettings are the directives every spawned server gets.
type ServerSettings struct {
	Maxmemory       string // e.g. "1gb"; "" leaves the default
	MaxmemoryPolicy string // e.g. "allkeys-lru"; "" leaves the default
	Password        string // requirepass; "" for none
}

func (s ServerSettings) directives() []string {
	var d []string
	if s.Maxmemory != "" {
		d = append(d, "--maxmemory", s.Maxmemory)
	}
	if s.MaxmemoryPolicy != "" {
		d = append(d, "--maxmemory-policy", s.MaxmemoryPolicy)
	}
	if s.Password != "" {
		d = append(d, "--requirepass", s.Password)
	}
	return d
}

// process is a server ember-bench started.
type process struct {
	cmd     *exec.Cmd
	logPath string
	exited  chan struct{}
	waitErr error
}

func (p *process) pid() int { return p.cmd.Process.Pid }

// stop asks the server to exit (SIGTERM), and kills it if it has not
// within a few seconds.
func (p *process) stop() {
	select {
	case <-p.exited:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(5 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}

// logTail returns the last lines of the server's output, for errors.
func (p *process) logTail() string {
	f, err := os.Open(p.logPath)
	if err != nil {
		return ""
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > 8 {
			lines = lines[1:]
		}
	}
	return strings.Join(lines, "\n")
}

// freePort returns a loopback port that was free a moment ago.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// spawnServer starts bin with the port and directives, waits until it
// answers, and returns it as a target. dir holds its log.
func spawnServer(name, bin, dir string, extra []string, s ServerSettings) (*Target, error) {
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		args := append([]string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1"}, extra...)
		args = append(args, s.directives()...)
		logPath := filepath.Join(dir, fmt.Sprintf("%s-%d.log", name, port))
		logf, err := os.Create(logPath)
		if err != nil {
			return nil, err
		}
		cmd := exec.Command(bin, args...)
		cmd.Stdout, cmd.Stderr = logf, logf
		cmd.SysProcAttr = procAttr()
		if err := cmd.Start(); err != nil {
			logf.Close()
			return nil, fmt.Errorf("can't start %s (%s): %v", name, bin, err)
		}
		p := &process{cmd: cmd, logPath: logPath, exited: make(chan struct{})}
		go func() {
			p.waitErr = cmd.Wait()
			logf.Close()
			close(p.exited)
		}()
		t := &Target{Name: name, Addr: "127.0.0.1:" + strconv.Itoa(port), Password: s.Password, proc: p}
		if lastErr = waitReady(t); lastErr == nil {
			return t, nil
		}
		p.stop()
		lastErr = fmt.Errorf("%s (%s %s) did not start: %v\n%s", name, bin, strings.Join(args, " "), lastErr, p.logTail())
	}
	return nil, lastErr
}

// waitReady polls until the server answers a PING (with any reply) or
// exits.
func waitReady(t *Target) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case <-t.proc.exited:
			return fmt.Errorf("exited: %v", t.proc.waitErr)
		default:
		}
		nc, err := net.DialTimeout("tcp", t.Addr, time.Second)
		if err == nil {
			_ = nc.SetDeadline(time.Now().Add(2 * time.Second))
			_, err = nc.Write([]byte("*1\r\n$4\r\nPING\r\n"))
			if err == nil {
				var b [1]byte
				_, err = io.ReadFull(nc, b[:])
			}
			nc.Close()
			if err == nil {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// SpawnRedis starts redis-server (bin, or redis-server on PATH) with
// persistence off.
func SpawnRedis(bin, dir string, s ServerSettings) (*Target, error) {
	if bin == "" {
		bin = "redis-server"
	}
	path, err := exec.LookPath(bin)
	if err != nil {
		return nil, fmt.Errorf("--spawn-redis: %s not found on PATH: %v", bin, err)
	}
	return spawnServer("redis", path, dir, []string{"--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", dir}, s)
}

// SpawnEmber starts the ember binary at bin.
func SpawnEmber(bin, dir string, s ServerSettings) (*Target, error) {
	return spawnServer("ember", bin, dir, []string{"--admin-port", "0"}, s)
}

// emberModule is the module path that marks ember's repository.
const emberModule = "github.com/embercache/ember"

// FindEmber returns the ember binary to spawn: bin if given; else, when
// the working directory is inside ember's repository, a fresh build of
// ./cmd/ember in dir; else ember on PATH.
func FindEmber(bin, dir string, logf func(string)) (string, error) {
	if bin != "" {
		p, err := exec.LookPath(bin)
		if err != nil {
			return "", fmt.Errorf("--ember-bin %s: %v", bin, err)
		}
		return p, nil
	}
	if root := repoRoot(); root != "" {
		out := filepath.Join(dir, "ember")
		logf("building ember from " + root)
		cmd := exec.Command("go", "build", "-o", out, "./cmd/ember")
		cmd.Dir = root
		if msg, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("go build ./cmd/ember: %v\n%s", err, msg)
		}
		return out, nil
	}
	p, err := exec.LookPath("ember")
	if err != nil {
		return "", errors.New("--spawn-ember: not inside ember's repository and no ember on PATH (use --ember-bin)")
	}
	return p, nil
}

// repoRoot finds ember's repository above the working directory ("" if
// not inside it).
func repoRoot() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil {
			first, _, _ := strings.Cut(string(b), "\n")
			if strings.TrimSpace(first) == "module "+emberModule {
				if _, err := os.Stat(filepath.Join(dir, "cmd", "ember")); err == nil {
					return dir
				}
			}
			return ""
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}
