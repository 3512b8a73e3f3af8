package server

import (
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
)

// README.md lists the commands and configuration directives ember
// supports. Those lists are generated from the command table and the
// parameter table; this test fails when the README disagrees with them.
// Regenerate with:
//
//	go test ./server -run TestReadme -update-readme

var updateReadme = flag.Bool("update-readme", false, "rewrite README.md's generated sections")

const readmePath = "../README.md"

func TestReadme(t *testing.T) {
	b, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	for _, sec := range []struct{ name, body string }{
		{"commands", readmeCommands()},
		{"config", readmeConfig()},
	} {
		begin := "<!-- BEGIN GENERATED " + sec.name + " -->\n"
		end := "<!-- END GENERATED " + sec.name + " -->"
		i, j := strings.Index(text, begin), strings.Index(text, end)
		if i < 0 || j < i {
			t.Fatalf("README.md lacks the %q ... %q markers", begin, end)
		}
		cur := text[i+len(begin) : j]
		if cur == sec.body {
			continue
		}
		if *updateReadme {
			text = text[:i+len(begin)] + sec.body + text[j:]
			continue
		}
		t.Errorf("README.md's %s list is out of date; run: go test ./server -run TestReadme -update-readme\nwant:\n%s", sec.name, sec.body)
	}
	if *updateReadme && text != string(b) {
		if err := os.WriteFile(readmePath, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// readmeCommands lists every command and subcommand of the table, by
// group, as README shows them.
func readmeCommands() string {
	byGroup := map[string][]string{}
	for _, cmd := range newCommandTable(commandDefs()).all() {
		if len(cmd.Subcommands) > 0 && cmd.Handler == nil {
			continue // a bare container: listed through its subcommands
		}
		name := strings.ToUpper(strings.ReplaceAll(cmd.Name, "|", " "))
		byGroup[cmd.Group] = append(byGroup[cmd.Group], name)
	}
	var groups []string
	for g := range byGroup {
		groups = append(groups, g)
	}
	slices.Sort(groups)
	var b strings.Builder
	b.WriteString("| group | commands |\n| --- | --- |\n")
	for _, g := range groups {
		fmt.Fprintf(&b, "| %s | %s |\n", g, codeList(byGroup[g]))
	}
	return b.String()
}

// readmeConfig lists the parameters ember implements (with defaults) and
// the Redis parameters it accepts for compatibility only.
func readmeConfig() string {
	params()
	var b strings.Builder
	b.WriteString("Directives ember acts on:\n\n| directive | default | CONFIG SET at runtime |\n| --- | --- | --- |\n")
	var compat []string
	for _, p := range paramList {
		if p.compat {
			name := "`" + p.name + "`"
			for _, a := range p.aliases {
				name += " (`" + a + "`)"
			}
			compat = append(compat, name) // paramList is sorted by name
			continue
		}
		def := "`" + p.def + "`"
		if p.def == "" {
			def = `""`
		}
		runtime := "yes"
		if p.immutable {
			runtime = "no"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", p.name, def, runtime)
	}
	b.WriteString("\nAccepted for compatibility with redis.conf (validated, stored and reported by CONFIG GET, no effect yet; aliases in parentheses):\n")
	b.WriteString(strings.Join(compat, ", "))
	b.WriteString("\n")
	return b.String()
}

// codeList sorts names and formats them as a comma-separated list of code
// spans.
func codeList(names []string) string {
	names = slices.Clone(names)
	slices.Sort(names)
	for i, n := range names {
		names[i] = "`" + n + "`"
	}
	return strings.Join(names, ", ")
}
