package server

import (
	"encoding/binary"
	"errors"
	"hash/crc64"
	"slices"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// FCALL function numkeys [key ...] [arg ...]
func cmdFcall(c *Client, args [][]byte) { fcallGeneric(c, args, false) }

// FCALL_RO function numkeys [key ...] [arg ...]
func cmdFcallRo(c *Client, args [][]byte) { fcallGeneric(c, args, true) }

func fcallGeneric(c *Client, args [][]byte, ro bool) {
	c.feedSelf(args) // before the function's commands, as in Redis (monitor.go)
	e := &c.srv.scripts
	e.init(c.srv)
	f := e.lookupFunction(args[1])
	if f == nil {
		c.WriteError(errFunctionNotFound)
		return
	}
	if _, ok := parseInt(args[2]); !ok {
		c.WriteError(errBadNumkeys)
		return
	}
	numkeys, ok := c.parseNumkeys(args)
	if !ok {
		return
	}
	if f.flags&sfNoWrites == 0 && ro {
		c.WriteError(errScriptWriteFlagRO)
		return
	}
	if c.scriptOOMDenied(f.flags | sfShebang) {
		return
	}
	vm := e.fnVM
	run := &scriptRun{name: f.name, flags: f.flags | sfShebang, oom: c.oomAtStart,
		readOnly: ro || f.flags&sfNoWrites != 0, args: args}
	keys, argv := args[3:3+numkeys], args[3+numkeys:]
	e.runLua(c, vm, run, f.lib.mayselect, func(L *lua.LState) int {
		L.Push(f.fn)
		L.Push(luaStrings(L, keys))
		L.Push(luaStrings(L, argv))
		return 2
	})
}

// FUNCTION LOAD [REPLACE] function-code
func cmdFunctionLoad(c *Client, args [][]byte) {
	replace := false
	for _, a := range args[2 : len(args)-1] {
		if !eqFold(a, "replace") {
			c.WriteError("ERR Unknown option given: " + string(a))
			return
		}
		replace = true
	}
	e := &c.srv.scripts
	e.init(c.srv)
	e.runMu.Lock()
	name, msg := e.loadLibrary(string(args[len(args)-1]), replace)
	e.runMu.Unlock()
	if msg != "" {
		c.WriteError(msg)
		return
	}
	c.WriteBulkString(name)
}

// FUNCTION DELETE library-name
func cmdFunctionDelete(c *Client, args [][]byte) {
	e := &c.srv.scripts
	e.libMu.Lock()
	lib := e.libs[string(args[2])]
	if lib != nil {
		for _, f := range lib.funcs {
			delete(e.funcs, f.name)
		}
		delete(e.libs, lib.name)
	}
	e.libMu.Unlock()
	if lib == nil {
		c.WriteError(errLibraryNotFound)
		return
	}
	c.WriteOK()
}

// FUNCTION FLUSH [ASYNC|SYNC]
func cmdFunctionFlush(c *Client, args [][]byte) {
	if !flushModeOK(args) {
		c.WriteError(errFunctionFlushMode)
		return
	}
	e := &c.srv.scripts
	e.libMu.Lock()
	e.libs, e.funcs = nil, nil
	e.libMu.Unlock()
	c.WriteOK()
}

// sortedLibraries returns the libraries by name. REQUIRES: libMu.
func (e *scriptEngine) sortedLibrariesLocked() []*luaLibrary {
	libs := make([]*luaLibrary, 0, len(e.libs))
	for _, l := range e.libs {
		libs = append(libs, l)
	}
	slices.SortFunc(libs, func(a, b *luaLibrary) int { return strings.Compare(a.name, b.name) })
	return libs
}

// FUNCTION LIST [LIBRARYNAME library-name-pattern] [WITHCODE]
func cmdFunctionList(c *Client, args [][]byte) {
	withCode := false
	var pattern []byte
	for i := 2; i < len(args); i++ {
		switch {
		case eqFold(args[i], "withcode") && !withCode:
			withCode = true
		case eqFold(args[i], "libraryname") && pattern == nil:
			if i+1 >= len(args) {
				c.WriteError("ERR library name argument was not given")
				return
			}
			i++
			pattern = args[i]
		default:
			c.WriteError("ERR Unknown argument " + string(args[i]))
			return
		}
	}
	e := &c.srv.scripts
	e.libMu.RLock()
	defer e.libMu.RUnlock()
	libs := e.sortedLibrariesLocked()
	if pattern != nil {
		libs = slices.DeleteFunc(libs, func(l *luaLibrary) bool { return !globMatch(pattern, []byte(l.name), false) })
	}
	c.WriteArray(len(libs))
	for _, l := range libs {
		if withCode {
			c.WriteMap(4)
		} else {
			c.WriteMap(3)
		}
		c.WriteBulkString("library_name")
		c.WriteBulkString(l.name)
		c.WriteBulkString("engine")
		c.WriteBulkString("LUA")
		c.WriteBulkString("functions")
		c.WriteArray(len(l.funcs))
		for _, f := range l.funcs {
			c.WriteMap(3)
			c.WriteBulkString("name")
			c.WriteBulkString(f.name)
			c.WriteBulkString("description")
			if f.hasD {
				c.WriteBulkString(f.desc)
			} else {
				c.WriteNull()
			}
			c.WriteBulkString("flags")
			c.writeScriptFlags(f.flags)
		}
		if withCode {
			c.WriteBulkString("library_code")
			c.WriteBulkString(l.code)
		}
	}
}

// writeScriptFlags writes flags as a set of names.
func (c *Client) writeScriptFlags(f scriptFlags) {
	n := 0
	for _, sf := range scriptFlagNames {
		if f&sf.flag != 0 {
			n++
		}
	}
	c.WriteSet(n)
	for _, sf := range scriptFlagNames {
		if f&sf.flag != 0 {
			c.WriteSimple(sf.name)
		}
	}
}

// FUNCTION STATS
func cmdFunctionStats(c *Client, args [][]byte) {
	e := &c.srv.scripts
	c.WriteMap(2)
	c.WriteBulkString("running_script")
	if r := e.running.Load(); r == nil || r.eval {
		c.WriteNull()
	} else {
		c.WriteMap(3)
		c.WriteBulkString("name")
		c.WriteBulkString(r.name)
		c.WriteBulkString("command")
		c.WriteArray(len(r.args))
		for _, a := range r.args {
			c.WriteBulk(a)
		}
		c.WriteBulkString("duration_ms")
		c.WriteInt(time.Since(r.start).Milliseconds())
	}
	e.libMu.RLock()
	nl, nf := len(e.libs), len(e.funcs)
	e.libMu.RUnlock()
	c.WriteBulkString("engines")
	c.WriteMap(1)
	c.WriteBulkString("LUA")
	c.WriteMap(2)
	c.WriteBulkString("libraries_count")
	c.WriteInt(int64(nl))
	c.WriteBulkString("functions_count")
	c.WriteInt(int64(nf))
}

// FUNCTION KILL
func cmdFunctionKill(c *Client, args [][]byte) { c.killRun(false) }

var functionHelp = []string{
	"FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"LOAD [REPLACE] <FUNCTION CODE>",
	"    Create a new library with the given library name and code.",
	"DELETE <LIBRARY NAME>",
	"    Delete the given library.",
	"LIST [LIBRARYNAME PATTERN] [WITHCODE]",
	"    Return general information on all the libraries:",
	"    * Library name",
	"    * The engine used to run the Library",
	"    * Library description",
	"    * Functions list",
	"    * Library code (if WITHCODE is given)",
	"    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
	"STATS",
	"    Return information about the current function running:",
	"    * Function name",
	"    * Command used to run the function",
	"    * Duration in MS that the function is running",
	"    If no function is running, return nil",
	"    In addition, returns a list of available engines.",
	"KILL",
	"    Kill the current running function.",
	"FLUSH [ASYNC|SYNC]",
	"    Delete all the libraries.",
	"    When called without the optional mode argument, the behavior is determined by the",
	"    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
	"    * ASYNC: Asynchronously flush the libraries.",
	"    * SYNC: Synchronously flush the libraries.",
	"DUMP",
	"    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
	"RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
	"    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
	"    control how to handle existing libraries (default APPEND):",
	"    * FLUSH: delete all existing libraries.",
	"    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
	"    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
	"      libraries with the new libraries (notice that even on this option there is a chance of failure",
	"      in case of functions name collision with another library).",
	"HELP",
	"    Prints this help.",
}

// FUNCTION HELP
func cmdFunctionHelp(c *Client, args [][]byte) { c.writeHelp(functionHelp) }

// The FUNCTION DUMP payload is Redis's: for each library the RDB opcode
// FUNCTION2 (245) and the code as an RDB string, then the RDB version (2
// bytes, little endian) and the CRC64 (Jones, reflected, no inversion) of
// everything before it (8 bytes, little endian). ember writes strings
// uncompressed and reads Redis's LZF-compressed ones.
const (
	rdbOpcodeFunction2 = 245
	rdbDumpVersion     = 10 // Redis 7.0's RDB version
	rdbMaxVersion      = 11
)

var crc64Jones = crc64.MakeTable(0x95ac9329ac4bc9b5)

// redisCRC64 is Redis's crc64(0, b).
func redisCRC64(b []byte) uint64 { return ^crc64.Update(^uint64(0), crc64Jones, b) }

// FUNCTION DUMP
func cmdFunctionDump(c *Client, args [][]byte) {
	e := &c.srv.scripts
	var p []byte
	e.libMu.RLock()
	for _, l := range e.sortedLibrariesLocked() {
		p = append(p, rdbOpcodeFunction2)
		p = appendRDBString(p, l.code)
	}
	e.libMu.RUnlock()
	p = binary.LittleEndian.AppendUint16(p, rdbDumpVersion)
	p = binary.LittleEndian.AppendUint64(p, redisCRC64(p))
	c.WriteBulk(p)
}

// appendRDBString appends s as an uncompressed RDB string.
func appendRDBString(p []byte, s string) []byte {
	n := len(s)
	switch {
	case n < 1<<6:
		p = append(p, byte(n))
	case n < 1<<14:
		p = append(p, byte(n>>8)|0x40, byte(n))
	case n <= 0xffffffff:
		p = append(p, 0x80)
		p = binary.BigEndian.AppendUint32(p, uint32(n))
	default:
		p = append(p, 0x81)
		p = binary.BigEndian.AppendUint64(p, uint64(n))
	}
	return append(p, s...)
}

var errBadRDB = errors.New("bad rdb string")

// readRDBLen reads an RDB length; enc reports a special encoding (the
// value is then the encoding type).
func readRDBLen(p []byte) (n uint64, enc bool, rest []byte, err error) {
	if len(p) < 1 {
		return 0, false, nil, errBadRDB
	}
	switch p[0] >> 6 {
	case 0:
		return uint64(p[0] & 0x3f), false, p[1:], nil
	case 1:
		if len(p) < 2 {
			return 0, false, nil, errBadRDB
		}
		return uint64(p[0]&0x3f)<<8 | uint64(p[1]), false, p[2:], nil
	case 2:
		switch {
		case p[0] == 0x80 && len(p) >= 5:
			return uint64(binary.BigEndian.Uint32(p[1:])), false, p[5:], nil
		case p[0] == 0x81 && len(p) >= 9:
			return binary.BigEndian.Uint64(p[1:]), false, p[9:], nil
		}
		return 0, false, nil, errBadRDB
	}
	return uint64(p[0] & 0x3f), true, p[1:], nil
}

// readRDBString reads an RDB string (plain, integer-encoded or LZF).
func readRDBString(p []byte) (string, []byte, error) {
	n, enc, p, err := readRDBLen(p)
	if err != nil {
		return "", nil, err
	}
	if !enc {
		if uint64(len(p)) < n {
			return "", nil, errBadRDB
		}
		return string(p[:n]), p[n:], nil
	}
	switch n {
	case 0, 1, 2:
		size := 1 << n
		if len(p) < size {
			return "", nil, errBadRDB
		}
		var v int64
		switch n {
		case 0:
			v = int64(int8(p[0]))
		case 1:
			v = int64(int16(binary.LittleEndian.Uint16(p)))
		case 2:
			v = int64(int32(binary.LittleEndian.Uint32(p)))
		}
		return itoa(v), p[size:], nil
	case 3:
		clen, _, q, err := readRDBLen(p)
		if err != nil {
			return "", nil, err
		}
		ulen, _, q, err := readRDBLen(q)
		if err != nil || uint64(len(q)) < clen || ulen > 1<<32 {
			return "", nil, errBadRDB
		}
		out, ok := lzfDecompress(q[:clen], int(ulen))
		if !ok {
			return "", nil, errBadRDB
		}
		return string(out), q[clen:], nil
	}
	return "", nil, errBadRDB
}

// lzfDecompress expands LZF data (liblzf's format) of known size.
func lzfDecompress(in []byte, size int) ([]byte, bool) {
	out := make([]byte, 0, size)
	for ip := 0; ip < len(in); {
		ctrl := int(in[ip])
		ip++
		if ctrl < 32 {
			ctrl++
			if ip+ctrl > len(in) || len(out)+ctrl > size {
				return nil, false
			}
			out = append(out, in[ip:ip+ctrl]...)
			ip += ctrl
			continue
		}
		l := ctrl >> 5
		ref := len(out) - (ctrl&0x1f)<<8 - 1
		if l == 7 {
			if ip >= len(in) {
				return nil, false
			}
			l += int(in[ip])
			ip++
		}
		if ip >= len(in) {
			return nil, false
		}
		ref -= int(in[ip])
		ip++
		l += 2
		if ref < 0 || len(out)+l > size {
			return nil, false
		}
		for i := 0; i < l; i++ {
			out = append(out, out[ref+i])
		}
	}
	return out, len(out) == size
}

// FUNCTION RESTORE serialized-value [FLUSH|APPEND|REPLACE]
func cmdFunctionRestore(c *Client, args [][]byte) {
	policy := "append"
	if len(args) > 4 {
		c.WriteError(errSyntax)
		return
	}
	if len(args) == 4 {
		switch {
		case eqFold(args[3], "flush"), eqFold(args[3], "append"), eqFold(args[3], "replace"):
			policy = strings.ToLower(string(args[3]))
		default:
			c.WriteError("ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.")
			return
		}
	}
	p := args[2]
	if len(p) < 10 {
		c.WriteError(errDumpPayload)
		return
	}
	body, footer := p[:len(p)-10], p[len(p)-10:]
	if binary.LittleEndian.Uint16(footer) > rdbMaxVersion ||
		binary.LittleEndian.Uint64(footer[2:]) != redisCRC64(p[:len(p)-8]) {
		c.WriteError(errDumpPayload)
		return
	}
	var codes []string
	for len(body) > 0 {
		if body[0] != rdbOpcodeFunction2 {
			c.WriteError("ERR given type is not a function")
			return
		}
		code, rest, err := readRDBString(body[1:])
		if err != nil {
			c.WriteError("ERR Failed loading library")
			return
		}
		codes = append(codes, code)
		body = rest
	}
	e := &c.srv.scripts
	e.init(c.srv)
	e.runMu.Lock()
	defer e.runMu.Unlock()
	// Compile every library into a fresh registry first, so that a
	// failure leaves the existing libraries untouched.
	e.libMu.RLock()
	oldLibs, oldFuncs := e.libs, e.funcs
	e.libMu.RUnlock()
	e.libMu.Lock()
	e.libs, e.funcs = nil, nil
	e.libMu.Unlock()
	var loaded []*luaLibrary
	restoreOld := func() {
		e.libMu.Lock()
		e.libs, e.funcs = oldLibs, oldFuncs
		e.libMu.Unlock()
	}
	for _, code := range codes {
		name, msg := e.loadLibrary(code, false)
		if msg != "" {
			restoreOld()
			c.WriteError(msg)
			return
		}
		e.libMu.RLock()
		loaded = append(loaded, e.libs[name])
		e.libMu.RUnlock()
	}
	e.libMu.Lock()
	defer e.libMu.Unlock()
	if policy == "flush" {
		e.libs, e.funcs = nil, nil
	} else {
		e.libs, e.funcs = oldLibs, oldFuncs
	}
	for _, l := range loaded {
		if e.libs[l.name] != nil && policy != "replace" {
			msg := "ERR Library " + l.name + " already exists"
			e.libs, e.funcs = oldLibs, oldFuncs
			c.WriteError(msg)
			return
		}
		for _, f := range l.funcs {
			if o := e.funcs[f.name]; o != nil && o.lib.name != l.name {
				e.libs, e.funcs = oldLibs, oldFuncs
				c.WriteError("ERR Function " + f.name + " already exists")
				return
			}
		}
	}
	// Apply on copies so that a failure above left the originals intact.
	libs := make(map[string]*luaLibrary, len(e.libs)+len(loaded))
	funcs := make(map[string]*luaFunction, len(e.funcs))
	for k, v := range e.libs {
		libs[k] = v
	}
	for k, v := range e.funcs {
		funcs[k] = v
	}
	e.libs, e.funcs = libs, funcs
	for _, l := range loaded {
		e.installLocked(l)
	}
	c.WriteOK()
}
