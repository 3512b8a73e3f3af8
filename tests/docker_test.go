package tests

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/embercache/ember/server"
)

// Docker cannot run here, so the Dockerfile is linted instead: parsed
// into its instructions and checked for what the image promises (a
// multi-stage static build, a non-root image with nothing but the binary,
// the ports, the /data volume, a HEALTHCHECK that runs the binary's own
// --ping), plus hadolint's everyday rules; and its default arguments are
// checked to be a valid ember configuration.

// dockerInstr is one Dockerfile instruction.
type dockerInstr struct {
	line int
	cmd  string // upper case
	args string
}

// parseDockerfile splits a Dockerfile into instructions, joining
// continuation lines and dropping comments.
func parseDockerfile(t *testing.T, text string) []dockerInstr {
	t.Helper()
	var out []dockerInstr
	var cur strings.Builder
	start := 0
	for i, raw := range strings.Split(text, "\n") {
		line := strings.TrimSpace(raw)
		if cur.Len() == 0 && (line == "" || strings.HasPrefix(line, "#")) {
			continue
		}
		if cur.Len() == 0 {
			start = i + 1
		} else if strings.HasPrefix(line, "#") {
			continue
		}
		cont := strings.HasSuffix(line, "\\")
		cur.WriteString(strings.TrimSuffix(line, "\\"))
		if cont {
			cur.WriteByte(' ')
			continue
		}
		cmd, args, _ := strings.Cut(cur.String(), " ")
		out = append(out, dockerInstr{line: start, cmd: strings.ToUpper(cmd), args: strings.TrimSpace(args)})
		cur.Reset()
	}
	if cur.Len() > 0 {
		t.Fatalf("Dockerfile ends in a continuation line")
	}
	return out
}

// execForm parses an instruction's JSON (exec) form.
func execForm(t *testing.T, in dockerInstr) []string {
	t.Helper()
	var v []string
	if err := json.Unmarshal([]byte(in.args), &v); err != nil || len(v) == 0 {
		t.Fatalf("line %d: %s must use the exec form [\"...\"]: %q", in.line, in.cmd, in.args)
	}
	return v
}

func TestDockerfile(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(moduleRoot(), "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	instrs := parseDockerfile(t, string(b))
	known := []string{"FROM", "WORKDIR", "COPY", "RUN", "USER", "VOLUME", "EXPOSE", "HEALTHCHECK", "ENTRYPOINT", "CMD", "ENV", "ARG", "LABEL"}
	var stages [][]dockerInstr
	for _, in := range instrs {
		if !slices.Contains(known, in.cmd) {
			t.Errorf("line %d: unknown instruction %s", in.line, in.cmd)
		}
		if in.cmd == "FROM" {
			stages = append(stages, nil)
		}
		if len(stages) == 0 {
			t.Fatalf("line %d: %s before FROM", in.line, in.cmd)
		}
		stages[len(stages)-1] = append(stages[len(stages)-1], in)
		// hadolint's everyday rules.
		if in.cmd == "FROM" && !strings.Contains(strings.Fields(in.args)[0], ":") && strings.Fields(in.args)[0] != "scratch" {
			t.Errorf("line %d: untagged base image (DL3006): %s", in.line, in.args)
		}
		if in.cmd == "FROM" && strings.Contains(in.args, ":latest") {
			t.Errorf("line %d: :latest base image (DL3007)", in.line)
		}
		if in.cmd == "RUN" && (strings.Contains(in.args, "sudo ") || strings.Contains(in.args, "cd ")) {
			t.Errorf("line %d: sudo or cd in RUN (DL3004, DL3003): %s", in.line, in.args)
		}
		if in.cmd == "WORKDIR" && !strings.HasPrefix(in.args, "/") {
			t.Errorf("line %d: relative WORKDIR (DL3000)", in.line)
		}
	}
	if len(stages) < 2 {
		t.Fatalf("not a multi-stage build: %d stages", len(stages))
	}
	build, final := stages[0], stages[len(stages)-1]

	// The build stage: a Go image matching go.mod's version, a static
	// binary of ./cmd/ember.
	from := strings.Fields(build[0].args)
	if len(from) != 3 || !strings.EqualFold(from[1], "AS") {
		t.Fatalf("build stage %q must be named (FROM image AS name)", build[0].args)
	}
	stage := from[2]
	goMod, _ := os.ReadFile(filepath.Join(moduleRoot(), "go.mod"))
	goVer := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(goMod)
	if goVer == nil || !strings.HasPrefix(from[0], "golang:"+string(goVer[1])) {
		t.Errorf("build image %s does not match go.mod's go %s", from[0], goVer[1])
	}
	var binary string
	for _, in := range build {
		if in.cmd == "RUN" && strings.Contains(in.args, "go build") {
			if !strings.Contains(in.args, "CGO_ENABLED=0") || !strings.Contains(in.args, "./cmd/ember") {
				t.Errorf("line %d: the binary must be built static (CGO_ENABLED=0) from ./cmd/ember: %s", in.line, in.args)
			}
			if m := regexp.MustCompile(`-o (\S+)`).FindStringSubmatch(in.args); m != nil {
				binary = m[1]
			}
		}
	}
	if binary == "" {
		t.Fatal("no go build -o in the build stage")
	}

	// The final stage: nothing but the binary, non-root, ports, volume,
	// health check, entry point.
	if base := strings.Fields(final[0].args)[0]; base != "scratch" && !strings.HasPrefix(base, "gcr.io/distroless/static") {
		t.Errorf("final image %s is not empty (scratch or distroless/static)", base)
	}
	byCmd := map[string][]dockerInstr{}
	for _, in := range final {
		byCmd[in.cmd] = append(byCmd[in.cmd], in)
	}
	var installed string
	for _, in := range byCmd["COPY"] {
		f := strings.Fields(in.args)
		if slices.Contains(f, "--from="+stage) && f[len(f)-2] == binary {
			installed = f[len(f)-1]
		}
	}
	if installed == "" {
		t.Fatalf("the final stage does not COPY --from=%s %s", stage, binary)
	}
	if u := byCmd["USER"]; len(u) != 1 || strings.HasPrefix(u[0].args, "0") || strings.HasPrefix(u[0].args, "root") {
		t.Errorf("the image must run as a non-root user: %v", u)
	}
	var ports []string
	for _, in := range byCmd["EXPOSE"] {
		ports = append(ports, strings.Fields(in.args)...)
	}
	if !slices.Contains(ports, "6379") || !slices.Contains(ports, "9121") {
		t.Errorf("EXPOSE %v: want 6379 and 9121", ports)
	}
	if v := byCmd["VOLUME"]; len(v) != 1 || !slices.Contains(execForm(t, v[0]), "/data") {
		t.Errorf("VOLUME /data missing: %v", v)
	}
	if w := byCmd["WORKDIR"]; len(w) != 1 || w[0].args != "/data" {
		t.Errorf("WORKDIR must be /data: %v", w)
	}
	hc := byCmd["HEALTHCHECK"]
	if len(hc) != 1 {
		t.Fatalf("one HEALTHCHECK wanted: %v", hc)
	}
	_, hcCmd, ok := strings.Cut(hc[0].args, "CMD ")
	if !ok {
		t.Fatalf("HEALTHCHECK without CMD: %q", hc[0].args)
	}
	probe := execForm(t, dockerInstr{line: hc[0].line, cmd: "HEALTHCHECK", args: hcCmd})
	if probe[0] != installed || len(probe) < 2 || probe[1] != "--ping" {
		t.Errorf("HEALTHCHECK must run %s --ping: %v", installed, probe)
	}
	ep := byCmd["ENTRYPOINT"]
	if len(ep) != 1 || !slices.Equal(execForm(t, ep[0]), []string{installed}) {
		t.Errorf("ENTRYPOINT must be [%q]: %v", installed, ep)
	}
	cmd := byCmd["CMD"]
	if len(cmd) != 1 {
		t.Fatalf("one CMD wanted: %v", cmd)
	}
	args := execForm(t, cmd[0])

	// The default arguments are a valid configuration that listens on
	// every interface with protected mode on, and keeps its files in the
	// volume; a mounted config file takes their place.
	cfg, err := server.LoadConfig("", args)
	if err != nil {
		t.Fatalf("CMD %v: %v", args, err)
	}
	if cfg.Get("bind") != "0.0.0.0" || cfg.Get("protected-mode") != "yes" || cfg.Get("dir") != "/data" {
		t.Errorf("CMD %v: bind %q protected-mode %q dir %q", args, cfg.Get("bind"), cfg.Get("protected-mode"), cfg.Get("dir"))
	}
	if port := cfg.Get("port"); !slices.Contains(ports, port) || !slices.Contains(ports, cfg.Get("admin-port")) {
		t.Errorf("the configured ports %s and %s are not exposed", port, cfg.Get("admin-port"))
	}
	if want := "127.0.0.1:" + cfg.Get("port"); len(probe) != 3 || probe[2] != want {
		t.Errorf("HEALTHCHECK probes %v, want the configured port %s", probe, want)
	}
	conf := filepath.Join(t.TempDir(), "ember.conf")
	if err := os.WriteFile(conf, []byte("bind 0.0.0.0\nrequirepass secret\nmaxmemory 1gb\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err = server.LoadConfig(conf, []string{"--admin-port", strconv.Itoa(9121)})
	if err != nil || cfg.Get("requirepass") != "secret" {
		t.Fatalf("mounted config: %v", err)
	}
}
