package server

import (
	"strings"
	"time"

	"github.com/embercache/ember/store"
)

// Server commands (Redis's server.c, config.c, db.c): INFO, CONFIG, the
// whole-keyspace commands (DBSIZE, FLUSHDB, FLUSHALL, SWAPDB), SHUTDOWN,
// TIME, LASTSAVE, and COMMAND, whose every answer is derived from the
// command table.

var (
	cmdNameFLUSHDB  = []byte("FLUSHDB")
	cmdNameFLUSHALL = []byte("FLUSHALL")
	cmdNameSWAPDB   = []byte("SWAPDB")
)

// INFO [section [section ...]]
func cmdInfo(c *Client, args [][]byte) {
	c.WriteVerbatim(c.srv.genInfo(infoSections(args[1:]), c.tx))
}

// DBSIZE
func cmdDbsize(c *Client, args [][]byte) { c.WriteInt(c.db.Len()) }

// TIME
func cmdTime(c *Client, args [][]byte) {
	now := time.Now().UnixMicro()
	c.WriteArray(2)
	c.WriteBulkInt(now / 1e6)
	c.WriteBulkInt(now % 1e6)
}

// LASTSAVE
func cmdLastsave(c *Client, args [][]byte) { c.WriteInt(c.srv.lastSave.Load()) }

// flushOptionOK checks FLUSHDB/FLUSHALL's optional ASYNC|SYNC. Both free
// memory the same way here: the old tables are dropped under the locks
// and collected in the background.
func flushOptionOK(c *Client, args [][]byte) bool {
	if len(args) == 1 || (len(args) == 2 && (eqFold(args[1], "sync") || eqFold(args[1], "async"))) {
		return true
	}
	c.WriteError(errSyntax)
	return false
}

// flush empties dbs (sorted by index) and journals name. Like Redis, the
// flush is journaled even when the databases were already empty.
func flush(c *Client, name []byte, dbs ...*store.DB) {
	tx := c.tx
	tx.LockAll(dbs...)
	for _, db := range dbs {
		tx.FlushLocked(db)
	}
	c.signalAllGone(dbs...) // streams waited on are gone
	if tx.Journaling() {
		tx.EmitIn(c.db, name)
	}
	tx.Unlock()
	c.WriteOK()
}

// FLUSHDB [ASYNC | SYNC]
func cmdFlushdb(c *Client, args [][]byte) {
	if flushOptionOK(c, args) {
		flush(c, cmdNameFLUSHDB, c.db)
	}
}

// FLUSHALL [ASYNC | SYNC]
func cmdFlushall(c *Client, args [][]byte) {
	if !flushOptionOK(c, args) {
		return
	}
	st := c.srv.store
	dbs := make([]*store.DB, st.Databases())
	for i := range dbs {
		dbs[i] = st.DB(i)
	}
	flush(c, cmdNameFLUSHALL, dbs...)
}

// parseDBIndex parses a database index as Redis's getIntFromObject does.
func parseDBIndex(b []byte) (int, bool) {
	n, ok := parseInt(b)
	if !ok || n != int64(int32(n)) {
		return 0, false
	}
	return int(n), true
}

// SWAPDB index1 index2
func cmdSwapdb(c *Client, args [][]byte) {
	i, ok := parseDBIndex(args[1])
	if !ok {
		c.WriteError(errInvalidFirstDB)
		return
	}
	j, ok := parseDBIndex(args[2])
	if !ok {
		c.WriteError(errInvalidSecondDB)
		return
	}
	a, b := c.srv.store.DB(i), c.srv.store.DB(j)
	if a == nil || b == nil {
		c.WriteError(errDBIndex)
		return
	}
	if a == b {
		c.WriteOK()
		return
	}
	if a.Index() > b.Index() {
		a, b = b, a
	}
	tx := c.tx
	tx.LockAll(a, b)
	tx.SwapLocked(a, b)
	c.signalSwapped(a, b) // waiters of both databases see new data
	if tx.Journaling() {
		tx.EmitIn(c.db, cmdNameSWAPDB, tx.Int(int64(i)), tx.Int(int64(j)))
	}
	tx.Unlock()
	c.WriteOK()
}

// SHUTDOWN [NOSAVE | SAVE] [NOW] [FORCE] [ABORT]
//
// ember keeps no data on disk yet, so SAVE and NOSAVE stop it alike, and
// there is never a shutdown in progress to abort. On success nothing is
// replied: the connection closes as the process stops.
func cmdShutdown(c *Client, args [][]byte) {
	var save, nosave, other, abort bool
	for _, a := range args[1:] {
		switch {
		case eqFold(a, "nosave"):
			nosave = true
		case eqFold(a, "save"):
			save = true
		case eqFold(a, "now"), eqFold(a, "force"):
			other = true
		case eqFold(a, "abort"):
			abort = true
		default:
			c.WriteError(errSyntax)
			return
		}
	}
	if (abort && (save || nosave || other)) || (save && nosave) {
		c.WriteError(errSyntax)
		return
	}
	if abort {
		c.WriteError(errNoShutdown)
		return
	}
	c.srv.log.Info("user requested shutdown", "client", c.raddr)
	c.closeAfter = true
	c.srv.requestShutdown()
}

// CONFIG GET parameter [parameter ...]
func cmdConfigGet(c *Client, args [][]byte) {
	patterns := make([]string, len(args)-2)
	for i, a := range args[2:] {
		patterns[i] = string(a)
	}
	kv := c.srv.cfg.get(patterns)
	c.WriteMap(len(kv))
	for _, p := range kv {
		c.WriteBulkString(p[0])
		c.WriteBulkString(p[1])
	}
}

// CONFIG SET parameter value [parameter value ...]
func cmdConfigSet(c *Client, args [][]byte) {
	if len(args)%2 != 0 {
		c.WriteError(errSyntax)
		return
	}
	pairs := make([][2]string, 0, (len(args)-2)/2)
	for i := 2; i < len(args); i += 2 {
		pairs = append(pairs, [2]string{string(args[i]), string(args[i+1])})
	}
	changed, err := c.srv.cfg.setMany(pairs, c.isLocal())
	if err != nil {
		if err.Unknown {
			c.WriteError(errConfigUnknown([]byte(err.Name)))
		} else {
			c.WriteError(errConfigSet(err.Name, err.Reason))
		}
		return
	}
	for _, p := range changed {
		if p.apply != nil {
			p.apply(c.srv, c.srv.cfg.Get(p.name))
		}
	}
	c.srv.refreshConfig()
	c.WriteOK()
}

// CONFIG RESETSTAT
func cmdConfigResetstat(c *Client, args [][]byte) {
	c.srv.resetStats()
	c.WriteOK()
}

// CONFIG REWRITE
func cmdConfigRewrite(c *Client, args [][]byte) {
	if c.srv.cfg.File == "" {
		c.WriteError(errNoConfigFile)
		return
	}
	if err := c.srv.cfg.rewrite(); err != nil {
		c.srv.log.Warn("CONFIG REWRITE failed", "err", err)
		c.WriteError(errConfigRewrite(err.Error()))
		return
	}
	c.srv.log.Info("CONFIG REWRITE executed with success")
	c.WriteOK()
}

var configHelp = []string{
	"CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"GET <pattern>",
	"    Return parameters matching the glob-like <pattern> and their values.",
	"SET <directive> <value>",
	"    Set the configuration <directive> to <value>.",
	"RESETSTAT",
	"    Reset statistics reported by the INFO command.",
	"REWRITE",
	"    Rewrite the configuration file.",
	"HELP",
	"    Prints this help.",
}

// CONFIG HELP
func cmdConfigHelp(c *Client, args [][]byte) { c.writeHelp(configHelp) }

// COMMAND: every answer below is derived from the command table.

// lookupFullName finds a command by its full name ("get", "client|list").
func (t *commandTable) lookupFullName(name []byte) *Command {
	parent, sub, ok := strings.Cut(string(name), "|")
	cmd := t.lookupName([]byte(parent))
	if cmd == nil || !ok {
		return cmd
	}
	if cmd.subs == nil {
		return nil
	}
	return cmd.subcommand([]byte(sub))
}

// writeCommandInfo writes one command's COMMAND INFO entry (Redis 7's ten
// fields), or a null for nil.
func (c *Client) writeCommandInfo(cmd *Command) {
	if cmd == nil {
		c.WriteNull()
		return
	}
	c.WriteArray(10)
	c.WriteBulkString(cmd.Name)
	c.WriteInt(int64(cmd.Arity))
	flags := cmd.Flags
	if cmd.GetKeys != nil {
		flags |= FlagMovableKeys
	}
	c.writeSimpleSet(flags.Names())
	c.WriteInt(int64(cmd.FirstKey))
	c.WriteInt(int64(cmd.LastKey))
	c.WriteInt(int64(cmd.Step))
	c.writeSimpleSet(cmd.ACL.Names())
	c.WriteSet(len(cmd.Tips))
	for _, tip := range cmd.Tips {
		c.WriteBulkString(tip)
	}
	c.WriteSet(len(cmd.KeySpecs))
	for i := range cmd.KeySpecs {
		c.writeKeySpec(&cmd.KeySpecs[i])
	}
	if len(cmd.Subcommands) == 0 {
		c.WriteSet(0)
		return
	}
	c.WriteArray(len(cmd.Subcommands))
	for _, sub := range cmd.Subcommands {
		c.writeCommandInfo(sub)
	}
}

func (c *Client) writeSimpleSet(words []string) {
	c.WriteSet(len(words))
	for _, w := range words {
		c.WriteSimple(w)
	}
}

// isKeynum reports whether a key spec finds its keys through a key-count
// argument (keys follow it, so firstkey is at least 1) rather than a range.
func (ks *KeySpec) isKeynum() bool { return ks.KNIdx > 0 || ks.KNFirst > 0 }

func (c *Client) writeKeySpec(ks *KeySpec) {
	if ks.Notes != "" {
		c.WriteMap(4)
		c.WriteBulkString("notes")
		c.WriteBulkString(ks.Notes)
	} else {
		c.WriteMap(3)
	}
	c.WriteBulkString("flags")
	c.writeSimpleSet(ks.Flags)
	c.WriteBulkString("begin_search")
	c.WriteMap(2)
	c.WriteBulkString("type")
	switch {
	case ks.BSKeyword != "":
		c.WriteBulkString("keyword")
		c.WriteBulkString("spec")
		c.WriteMap(2)
		c.WriteBulkString("keyword")
		c.WriteBulkString(ks.BSKeyword)
		c.WriteBulkString("startfrom")
		c.WriteInt(int64(ks.BSStart))
	case ks.BSIndex > 0:
		c.writeSpecFields("index", []string{"index"}, ks.BSIndex)
	default:
		c.writeSpecFields("unknown", nil)
	}
	c.WriteBulkString("find_keys")
	c.WriteMap(2)
	c.WriteBulkString("type")
	if ks.isKeynum() {
		c.writeSpecFields("keynum", []string{"keynumidx", "firstkey", "keystep"}, ks.KNIdx, ks.KNFirst, ks.KNStep)
	} else {
		c.writeSpecFields("range", []string{"lastkey", "keystep", "limit"}, ks.FKLast, ks.FKStep, ks.FKLimit)
	}
}

// writeSpecFields writes a key spec part's type (after its "type" key) and
// its "spec" map of integers.
func (c *Client) writeSpecFields(typ string, names []string, vals ...int) {
	c.WriteBulkString(typ)
	c.WriteBulkString("spec")
	c.WriteMap(len(names))
	for i, n := range names {
		c.WriteBulkString(n)
		c.WriteInt(int64(vals[i]))
	}
}

// COMMAND
func cmdCommand(c *Client, args [][]byte) {
	if len(args) > 1 {
		// Only reached for a subcommand the table does not have.
		c.WriteError(errUnknownSubcommand(args[1], "COMMAND"))
		return
	}
	c.writeAllCommandInfo()
}

func (c *Client) writeAllCommandInfo() {
	cmds := c.srv.cmds.sorted
	c.WriteArray(len(cmds))
	for _, cmd := range cmds {
		c.writeCommandInfo(cmd)
	}
}

// COMMAND INFO [command-name [command-name ...]]
func cmdCommandInfo(c *Client, args [][]byte) {
	if len(args) == 2 {
		c.writeAllCommandInfo()
		return
	}
	c.WriteArray(len(args) - 2)
	for _, name := range args[2:] {
		c.writeCommandInfo(c.srv.cmds.lookupFullName(name))
	}
}

// COMMAND COUNT
func cmdCommandCount(c *Client, args [][]byte) { c.WriteInt(int64(len(c.srv.cmds.sorted))) }

// writeCommandDocs writes cmd's COMMAND DOCS map (without its name).
func (c *Client) writeCommandDocs(cmd *Command) {
	n := 4
	if len(cmd.Subcommands) > 0 {
		n++
	}
	c.WriteMap(n)
	c.WriteBulkString("summary")
	c.WriteBulkString(cmd.Summary)
	c.WriteBulkString("since")
	c.WriteBulkString(cmd.Since)
	c.WriteBulkString("group")
	c.WriteBulkString(cmd.Group)
	c.WriteBulkString("complexity")
	c.WriteBulkString(cmd.Complexity)
	if len(cmd.Subcommands) > 0 {
		c.WriteBulkString("subcommands")
		c.WriteMap(len(cmd.Subcommands))
		for _, sub := range cmd.Subcommands {
			c.WriteBulkString(sub.Name)
			c.writeCommandDocs(sub)
		}
	}
}

// COMMAND DOCS [command-name [command-name ...]]
func cmdCommandDocs(c *Client, args [][]byte) {
	var cmds []*Command
	if len(args) == 2 {
		cmds = c.srv.cmds.sorted
	} else {
		for _, name := range args[2:] {
			if cmd := c.srv.cmds.lookupFullName(name); cmd != nil {
				cmds = append(cmds, cmd)
			}
		}
	}
	c.WriteMap(len(cmds))
	for _, cmd := range cmds {
		c.WriteBulkString(cmd.Name)
		c.writeCommandDocs(cmd)
	}
}

// COMMAND LIST [FILTERBY <MODULE module-name | ACLCAT category | PATTERN
// pattern>]
func cmdCommandList(c *Client, args [][]byte) {
	keep := func(*Command) bool { return true }
	switch {
	case len(args) == 2:
	case len(args) == 5 && eqFold(args[2], "filterby"):
		arg := args[4]
		switch {
		case eqFold(args[3], "module"):
			keep = func(*Command) bool { return false } // no modules
		case eqFold(args[3], "aclcat"):
			cat := aclCategory(arg)
			keep = func(cmd *Command) bool { return cat != 0 && cmd.ACL&cat != 0 }
		case eqFold(args[3], "pattern"):
			pat := append([]byte(nil), arg...)
			keep = func(cmd *Command) bool { return globMatch(pat, []byte(cmd.Name), true) }
		default:
			c.WriteError(errSyntax)
			return
		}
	default:
		c.WriteError(errSyntax)
		return
	}
	var names []string
	for _, cmd := range c.srv.cmds.all() {
		if keep(cmd) {
			names = append(names, cmd.Name)
		}
	}
	c.WriteArray(len(names))
	for _, n := range names {
		c.WriteBulkString(n)
	}
}

// aclCategory returns the category named name (without '@',
// case-insensitively), or 0.
func aclCategory(name []byte) ACLCat {
	for i, n := range aclCatNames {
		if eqFold(name, n) {
			return 1 << i
		}
	}
	return 0
}

// keyRef is one key found in a command line: its position and the flags
// of the key spec that found it.
type keyRef struct {
	pos   int
	flags []string
}

// variableKeyFlags give the key flags of commands whose key specs are
// marked variable_flags (the flags depend on the arguments), as Redis's
// getkeys procedures do.
var variableKeyFlags = map[string]func(args [][]byte) []string{
	// SET: RW and ACCESS only with GET.
	"set": func(args [][]byte) []string {
		for _, a := range args[3:] {
			if eqFold(a, "get") {
				return []string{"RW", "access", "update"}
			}
		}
		return []string{"OW", "update"}
	},
}

// hasKeys reports whether cmd has key arguments at all.
func (cmd *Command) hasKeys() bool {
	if cmd.GetKeys != nil {
		return true
	}
	for _, ks := range cmd.KeySpecs {
		if !containsFold(ks.Flags, "not_key") {
			return true
		}
	}
	return cmd.FirstKey > 0
}

func containsFold(list []string, w string) bool {
	for _, s := range list {
		if strings.EqualFold(s, w) {
			return true
		}
	}
	return false
}

// keysFromSpecs finds the keys of a full command line from cmd's key specs
// as Redis 7's getKeysUsingKeySpecs does; ok is false when a spec does not
// fit the arguments.
func keysFromSpecs(cmd *Command, args [][]byte) (refs []keyRef, ok bool) {
	argc := len(args)
	for i := range cmd.KeySpecs {
		ks := &cmd.KeySpecs[i]
		if containsFold(ks.Flags, "not_key") {
			continue
		}
		first := 0
		switch {
		case ks.BSKeyword != "":
			start, end := ks.BSStart, argc-1
			if ks.BSStart <= 0 {
				start, end = argc+ks.BSStart, 1
			}
			for j := start; j != end; {
				if j >= argc || j < 1 {
					break
				}
				if strings.EqualFold(bstr(args[j]), ks.BSKeyword) {
					first = j + 1
					break
				}
				if start <= end {
					j++
				} else {
					j--
				}
			}
			if first == 0 {
				continue
			}
		case ks.BSIndex > 0:
			first = ks.BSIndex
		default:
			return nil, false
		}
		var last, step int
		if ks.isKeynum() {
			if ks.KNIdx >= argc-first {
				return nil, false
			}
			n, ok := parseInt(args[first+ks.KNIdx])
			if !ok || n < 0 || n > int64(argc) {
				return nil, false
			}
			first += ks.KNFirst
			last, step = first+int(n)-1, ks.KNStep
		} else {
			switch {
			case ks.FKLast >= 0:
				last = first + ks.FKLast
			case ks.FKLimit == 0:
				last = argc + ks.FKLast
			default:
				last = first + ((argc-first)/ks.FKLimit + ks.FKLast)
			}
			step = ks.FKStep
		}
		if last >= argc || last < first || first >= argc {
			return nil, false
		}
		if step < 1 {
			step = 1
		}
		for j := first; j <= last; j += step {
			refs = append(refs, keyRef{pos: j, flags: ks.Flags})
		}
	}
	return refs, true
}

// commandKeys returns the keys of the full command line args (args[0] is
// the command) with their flags, replying with Redis's error and returning
// false when there are none to give.
func commandKeys(c *Client, args [][]byte) ([]keyRef, bool) {
	cmd := c.srv.cmds.lookupName(args[0])
	if cmd != nil && cmd.subs != nil && len(args) >= 2 {
		cmd = cmd.subcommand(args[1])
	}
	switch {
	case cmd == nil:
		c.WriteError(errInvalidCommand)
		return nil, false
	case !cmd.hasKeys():
		c.WriteError(errNoKeyArgs)
		return nil, false
	case (cmd.Arity > 0 && len(args) != cmd.Arity) || len(args) < -cmd.Arity:
		c.WriteError(errInvalidNumArgs)
		return nil, false
	}
	var refs []keyRef
	ok := true
	if len(cmd.KeySpecs) > 0 && cmd.GetKeys == nil {
		refs, ok = keysFromSpecs(cmd, args)
	} else {
		var flags []string
		if len(cmd.KeySpecs) > 0 {
			flags = cmd.KeySpecs[0].Flags
		}
		for _, pos := range cmd.keyPositions(args) {
			refs = append(refs, keyRef{pos: pos, flags: flags})
		}
	}
	if !ok {
		if cmd.Flags&FlagNoMandatoryKeys != 0 {
			return nil, true
		}
		c.WriteError(errInvalidKeyArgs)
		return nil, false
	}
	if vf := variableKeyFlags[cmd.Name]; vf != nil {
		for i := range refs {
			refs[i].flags = vf(args)
		}
	}
	return refs, true
}

// COMMAND GETKEYS command [arg [arg ...]]
func cmdCommandGetkeys(c *Client, args [][]byte) {
	refs, ok := commandKeys(c, args[2:])
	if !ok {
		return
	}
	c.WriteArray(len(refs))
	for _, r := range refs {
		c.WriteBulk(args[2+r.pos])
	}
}

// COMMAND GETKEYSANDFLAGS command [arg [arg ...]]
func cmdCommandGetkeysandflags(c *Client, args [][]byte) {
	refs, ok := commandKeys(c, args[2:])
	if !ok {
		return
	}
	c.WriteArray(len(refs))
	for _, r := range refs {
		c.WriteArray(2)
		c.WriteBulk(args[2+r.pos])
		var flags []string
		for _, f := range r.flags {
			if f != "variable_flags" {
				flags = append(flags, f)
			}
		}
		c.writeSimpleSet(flags)
	}
}

var commandHelp = []string{
	"COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"(no subcommand)",
	"    Return details about all Redis commands.",
	"COUNT",
	"    Return the total number of commands in this Redis server.",
	"LIST",
	"    Return a list of all commands in this Redis server.",
	"INFO [<command-name> ...]",
	"    Return details about multiple Redis commands.",
	"    If no command names are given, documentation details for all",
	"    commands are returned.",
	"DOCS [<command-name> ...]",
	"    Return documentation details about multiple Redis commands.",
	"    If no command names are given, documentation details for all",
	"    commands are returned.",
	"GETKEYS <full-command>",
	"    Return the keys from a full Redis command.",
	"GETKEYSANDFLAGS <full-command>",
	"    Return the keys and the access flags from a full Redis command.",
	"HELP",
	"    Prints this help.",
}

// COMMAND HELP
func cmdCommandHelp(c *Client, args [][]byte) { c.writeHelp(commandHelp) }
