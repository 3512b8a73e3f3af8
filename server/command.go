package server

import (
	"strings"
	"sync/atomic"
)

// Commands are data. Each command is declared once, in commands.go, as a
// Command value: its name, arity, flags, key positions, ACL categories,
// documentation and handler. The dispatcher checks arity, authentication
// and flags from the declaration (handlers never re-check arity), and
// COMMAND, COMMAND INFO/DOCS/COUNT/LIST/GETKEYS, INFO commandstats and the
// per-command metrics are all derived from the same table.

// Flag is a command flag as COMMAND INFO lists it.
type Flag uint32

// Command flags, with the names COMMAND INFO prints (flagNames).
const (
	FlagWrite Flag = 1 << iota
	FlagReadonly
	FlagDenyOOM
	FlagModule
	FlagAdmin
	FlagPubSub
	FlagNoScript
	FlagBlocking
	FlagLoading
	FlagStale
	FlagSkipMonitor
	FlagSkipSlowlog
	FlagAsking
	FlagFast
	FlagNoAuth
	FlagMayReplicate
	FlagSentinel
	FlagOnlySentinel
	FlagNoMandatoryKeys
	FlagProtected
	FlagModuleNoCluster
	FlagNoAsyncLoading
	FlagNoMulti
	FlagMovableKeys
	FlagAllowBusy
)

var flagNames = []string{
	"write", "readonly", "denyoom", "module", "admin", "pubsub", "noscript",
	"blocking", "loading", "stale", "skip_monitor", "skip_slowlog", "asking",
	"fast", "no_auth", "may_replicate", "sentinel", "only_sentinel",
	"no_mandatory_keys", "protected", "module_no_cluster", "no_async_loading",
	"no_multi", "movablekeys", "allow_busy",
}

// Names returns the flag names in COMMAND INFO's order.
func (f Flag) Names() []string {
	var out []string
	for i, n := range flagNames {
		if f&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	return out
}

// ACLCat is a bit set of ACL categories.
type ACLCat uint32

// ACL categories, with the names in aclCatNames.
const (
	CatKeyspace ACLCat = 1 << iota
	CatRead
	CatWrite
	CatSet
	CatSortedSet
	CatList
	CatHash
	CatString
	CatBitmap
	CatHyperLogLog
	CatGeo
	CatStream
	CatPubSub
	CatAdmin
	CatFast
	CatSlow
	CatBlocking
	CatDangerous
	CatConnection
	CatTransaction
	CatScripting
)

var aclCatNames = []string{
	"keyspace", "read", "write", "set", "sortedset", "list", "hash", "string",
	"bitmap", "hyperloglog", "geo", "stream", "pubsub", "admin", "fast",
	"slow", "blocking", "dangerous", "connection", "transaction", "scripting",
}

// Names returns "@category" names in Redis's order.
func (a ACLCat) Names() []string {
	var out []string
	for i, n := range aclCatNames {
		if a&(1<<i) != 0 {
			out = append(out, "@"+n)
		}
	}
	return out
}

// KeySpec describes where keys are in a command's arguments (Redis 7 key
// specifications). Begin search is either an index or a keyword; find keys
// is either a range or a key-count argument.
type KeySpec struct {
	Notes string
	Flags []string // RW RO OW RM, access update insert delete, incomplete ...

	// Begin search: BSIndex > 0 for "index"; BSKeyword != "" for "keyword"
	// (searched from BSStart, negative = from the end).
	BSIndex   int
	BSKeyword string
	BSStart   int

	// Find keys: range (lastkey, step, limit), or keynum when KNIdx > 0
	// (the key count is at begin+KNIdx, keys start at begin+KNFirst).
	FKLast, FKStep, FKLimit int
	KNIdx, KNFirst, KNStep  int
}

// HandlerFunc runs a command. args[0] is the command name as sent; for a
// subcommand args[1] is the subcommand. Arity is already checked.
type HandlerFunc func(c *Client, args [][]byte)

// Command is one entry of the command table.
type Command struct {
	Name     string // lower case; "parent|sub" for subcommands
	Arity    int    // counting the name; negative means "at least -Arity"
	Flags    Flag
	ACL      ACLCat
	FirstKey int
	LastKey  int
	Step     int
	KeySpecs []KeySpec
	Tips     []string

	// Documentation for COMMAND DOCS.
	Group      string
	Since      string
	Summary    string
	Complexity string

	Handler HandlerFunc
	// GetKeys returns the key positions for commands whose keys cannot be
	// found from FirstKey/LastKey/Step alone (movablekeys).
	GetKeys func(args [][]byte) []int

	Subcommands []*Command
	parent      *Command
	subs        map[string]*Command

	stats cmdStats
	lat   atomic.Pointer[latencyHist] // allocated on the first call (latency.go)
}

// FullName is the name Redis uses in errors and stats ("client|setname").
func (cmd *Command) FullName() string { return cmd.Name }

// containerName is the upper-case parent name used in "Try X HELP." replies.
func (cmd *Command) containerName() string { return strings.ToUpper(cmd.Name) }

// keyPositions returns the indexes of args that are keys.
func (cmd *Command) keyPositions(args [][]byte) []int {
	if cmd.GetKeys != nil {
		return cmd.GetKeys(args)
	}
	if cmd.FirstKey <= 0 {
		return nil
	}
	last := cmd.LastKey
	if last < 0 {
		last = len(args) + last
	}
	var out []int
	step := cmd.Step
	if step <= 0 {
		step = 1
	}
	for i := cmd.FirstKey; i <= last && i < len(args); i += step {
		out = append(out, i)
	}
	return out
}

// commandTable indexes the declared commands by lower-case name.
type commandTable struct {
	byName map[string]*Command
	sorted []*Command // top-level commands in declaration order
}

func newCommandTable(cmds []*Command) *commandTable {
	t := &commandTable{byName: make(map[string]*Command, len(cmds))}
	for _, cmd := range cmds {
		if _, dup := t.byName[cmd.Name]; dup {
			panic("duplicate command " + cmd.Name)
		}
		t.byName[cmd.Name] = cmd
		t.sorted = append(t.sorted, cmd)
		if len(cmd.Subcommands) > 0 {
			cmd.subs = make(map[string]*Command, len(cmd.Subcommands))
			for _, sub := range cmd.Subcommands {
				sub.parent = cmd
				short := strings.TrimPrefix(sub.Name, cmd.Name+"|")
				cmd.subs[short] = sub
			}
		}
	}
	return t
}

// maxNameLen bounds command and subcommand names: a longer name is unknown
// without a look at it (a client sending a 100 MB name costs nothing).
const maxNameLen = 32

// lookupFold looks name up in m case-insensitively without allocating.
func lookupFold(m map[string]*Command, name []byte) *Command {
	var buf [maxNameLen]byte
	if len(name) > len(buf) {
		return nil
	}
	for i, c := range name {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	return m[string(buf[:len(name)])]
}

// lookupName finds a command by name, case-insensitively.
func (t *commandTable) lookupName(name []byte) *Command { return lookupFold(t.byName, name) }

// subcommand finds a container's subcommand case-insensitively.
func (cmd *Command) subcommand(name []byte) *Command { return lookupFold(cmd.subs, name) }

// all returns every command and subcommand.
func (t *commandTable) all() []*Command {
	var out []*Command
	for _, cmd := range t.sorted {
		out = append(out, cmd)
		out = append(out, cmd.Subcommands...)
	}
	return out
}
