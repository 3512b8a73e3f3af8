package server

import (
	"crypto/subtle"
	"net"
	"strconv"
	"syscall"
	"time"
)

// Connection commands (Redis's networking.c, acl.c): the connection's
// protocol, authentication, database and name, and CLIENT, which lists,
// describes and kills connections.
//
// Fields of a Client that other connections read (CLIENT LIST, CLIENT
// KILL) are atomics or written under c.mu; the owner goroutine reads its
// own plain fields (resp3, name ...) without the lock, since it is their
// only writer.

// PING [message]
func cmdPing(c *Client, args [][]byte) {
	if !c.resp3 && len(args) <= 2 && c.subscribed() {
		// RESP2 subscribed context: ["pong", message or ""].
		c.WriteArray(2)
		c.WriteBulkString("pong")
		if len(args) == 2 {
			c.WriteBulk(args[1])
		} else {
			c.WriteBulkString("")
		}
		return
	}
	switch len(args) {
	case 1:
		c.WriteSimple("PONG")
	case 2:
		c.WriteBulk(args[1])
	default:
		c.WriteError(errWrongArity("ping"))
	}
}

// ECHO message
func cmdEcho(c *Client, args [][]byte) { c.WriteBulk(args[1]) }

// QUIT
func cmdQuit(c *Client, args [][]byte) {
	c.WriteOK()
	c.closeAfter = true
}

// SELECT index
func cmdSelect(c *Client, args [][]byte) {
	i, ok := parseInt(args[1])
	if !ok {
		c.WriteError(errNotInteger)
		return
	}
	if i != int64(int32(i)) {
		c.WriteError(errIntRange)
		return
	}
	if !c.selectDB(int(i)) {
		c.WriteError(errDBIndex)
		return
	}
	c.WriteOK()
}

// setProto switches the client's protocol (2 or 3).
func (c *Client) setProto(v int64) {
	c.mu.Lock()
	c.resp3 = v == 3
	c.mu.Unlock()
	c.protoChanged()
}

// setName sets or (with "") clears the connection's name.
func (c *Client) setName(name []byte) {
	c.mu.Lock()
	c.name = string(name)
	c.mu.Unlock()
}

// validClientAttr reports whether v may be a client name or library
// attribute: printable ASCII without spaces, so that CLIENT LIST lines
// stay splittable on spaces.
func validClientAttr(v []byte) bool {
	for _, b := range v {
		if b < '!' || b > '~' {
			return false
		}
	}
	return true
}

// checkPassword authenticates user/pass against the configured password
// (ember has one user, "default"; without requirepass it takes any
// password). It marks the client authenticated on success and counts
// failures for INFO's acl_access_denied_auth.
func (c *Client) checkPassword(user, pass []byte) bool {
	want := *c.srv.requirePass.Load()
	ok := bstr(user) == "default" &&
		(want == "" || subtle.ConstantTimeCompare(pass, []byte(want)) == 1)
	if !ok {
		c.srv.info.authFailures.Add(1)
		return false
	}
	c.authed = true
	c.mu.Lock()
	c.user = "default"
	c.mu.Unlock()
	return true
}

// AUTH [username] password
func cmdAuth(c *Client, args [][]byte) {
	var user, pass []byte
	switch len(args) {
	case 2:
		if *c.srv.requirePass.Load() == "" {
			c.WriteError(errAuthNoPass)
			return
		}
		user, pass = []byte("default"), args[1]
	case 3:
		user, pass = args[1], args[2]
	default:
		c.WriteError(errSyntax)
		return
	}
	if !c.checkPassword(user, pass) {
		c.WriteError(errWrongPass)
		return
	}
	c.WriteOK()
}

// HELLO [protover [AUTH username password] [SETNAME clientname]]
func cmdHello(c *Client, args [][]byte) {
	var ver int64
	if len(args) >= 2 {
		var ok bool
		if ver, ok = parseInt(args[1]); !ok {
			c.WriteError(errProtoNotInt)
			return
		}
		if ver < 2 || ver > 3 {
			c.WriteError(errProtoVersion)
			return
		}
	}
	var user, pass, name []byte
	for i := 2; i < len(args); i++ {
		more := len(args) - 1 - i
		switch {
		case eqFold(args[i], "auth") && more >= 2:
			user, pass = args[i+1], args[i+2]
			i += 2
		case eqFold(args[i], "setname") && more >= 1:
			name = args[i+1]
			if !validClientAttr(name) {
				c.WriteError(errClientName)
				return
			}
			i++
		default:
			c.WriteError(errHelloOption(args[i]))
			return
		}
	}
	if user != nil && !c.checkPassword(user, pass) {
		c.WriteError(errWrongPass)
		return
	}
	if !c.authed {
		c.WriteError(errHelloNoAuth)
		return
	}
	if name != nil {
		c.setName(name)
	}
	if ver != 0 {
		c.setProto(ver)
	}
	proto := int64(2)
	if c.resp3 {
		proto = 3
	}
	c.WriteMap(7)
	c.WriteBulkString("server")
	c.WriteBulkString("redis")
	c.WriteBulkString("version")
	c.WriteBulkString(RedisVersion)
	c.WriteBulkString("proto")
	c.WriteInt(proto)
	c.WriteBulkString("id")
	c.WriteInt(c.id)
	c.WriteBulkString("mode")
	c.WriteBulkString("standalone")
	c.WriteBulkString("role")
	c.WriteBulkString("master")
	c.WriteBulkString("modules")
	c.WriteArray(0)
}

// RESET
func cmdReset(c *Client, args [][]byte) {
	c.stopMonitoring()
	c.endMulti()
	c.unwatchAll()
	c.selectDB(0)
	c.unsubscribeAll()
	c.mu.Lock()
	c.resp3 = false
	c.name = ""
	c.user = "default"
	c.mu.Unlock()
	c.protoChanged()
	c.authed = *c.srv.requirePass.Load() == ""
	// Redis 7.2 documents that RESET turns NO-EVICT and NO-TOUCH off.
	c.noEvict.Store(false)
	c.noTouch.Store(false)
	// Redis's RESET turns CLIENT REPLY OFF and a pending SKIP off (a SKIP
	// already covering RESET itself still drops its reply).
	c.replyOff, c.replySkipNext = false, false
	c.WriteSimple("RESET")
}

// CLIENT REPLY ON | OFF | SKIP: whether the server answers the client's
// commands. OFF answers nothing until ON; SKIP drops the next command's
// reply (after OFF it does nothing); ON answers OK. Pub/sub confirmations
// and pushes are still sent, as Redis sends them: they go to the output
// queue as they are written (pubsub.go, tracking.go), past the reply that
// dropReply cuts.
func cmdClientReply(c *Client, args [][]byte) {
	switch arg := args[2]; {
	case eqFold(arg, "on"):
		c.replyOff, c.replySkip = false, false
		c.WriteOK()
	case eqFold(arg, "off"):
		c.replyOff = true
	case eqFold(arg, "skip"):
		if !c.replyOff {
			c.replySkipNext = true
		}
	default:
		c.WriteError(errSyntax)
	}
}

// dropReply removes the current command's reply from the output
// (CLIENT REPLY OFF or SKIP).
func (c *Client) dropReply() {
	if c.replyMark <= len(c.out) {
		c.out = c.out[:c.replyMark]
	}
	c.replyDone = true
}

// CLIENT ID
func cmdClientID(c *Client, args [][]byte) { c.WriteInt(c.id) }

// CLIENT GETNAME
func cmdClientGetname(c *Client, args [][]byte) {
	if c.name == "" {
		c.WriteNull()
		return
	}
	c.WriteBulkString(c.name)
}

// CLIENT SETNAME connection-name
func cmdClientSetname(c *Client, args [][]byte) {
	if !validClientAttr(args[2]) {
		c.WriteError(errClientName)
		return
	}
	c.setName(args[2])
	c.WriteOK()
}

// CLIENT SETINFO <LIB-NAME libname | LIB-VER libver>
func cmdClientSetinfo(c *Client, args [][]byte) {
	attr, val := args[2], args[3]
	lib := eqFold(attr, "lib-name")
	if !lib && !eqFold(attr, "lib-ver") {
		c.WriteError(errSetinfoOption(attr))
		return
	}
	if !validClientAttr(val) {
		c.WriteError(errSetinfoValue(attr))
		return
	}
	c.mu.Lock()
	if lib {
		c.libName = string(val)
	} else {
		c.libVer = string(val)
	}
	c.mu.Unlock()
	c.WriteOK()
}

// clientFlagSwitch is the body of CLIENT NO-EVICT and NO-TOUCH: on or off.
func clientFlagSwitch(c *Client, arg []byte, flag interface{ Store(bool) }) {
	switch {
	case eqFold(arg, "on"):
		flag.Store(true)
	case eqFold(arg, "off"):
		flag.Store(false)
	default:
		c.WriteError(errSyntax)
		return
	}
	c.WriteOK()
}

// CLIENT NO-EVICT <ON | OFF>
func cmdClientNoEvict(c *Client, args [][]byte) { clientFlagSwitch(c, args[2], &c.noEvict) }

// CLIENT NO-TOUCH <ON | OFF>
func cmdClientNoTouch(c *Client, args [][]byte) { clientFlagSwitch(c, args[2], &c.noTouch) }

// clientTypeByName maps a CLIENT LIST/KILL type name to the type ember
// reports; ok is false for names Redis does not know.
func clientTypeByName(name []byte) (typ string, ok bool) {
	switch {
	case eqFold(name, "normal"):
		return "normal", true
	case eqFold(name, "slave"), eqFold(name, "replica"):
		return "slave", true
	case eqFold(name, "pubsub"):
		return "pubsub", true
	case eqFold(name, "master"):
		return "master", true
	}
	return "", false
}

// clientType is the connection's class for TYPE filters: pubsub while it
// has subscriptions (ember has no replicas or masters yet), else normal.
func (c *Client) clientType() string {
	if c.subscribed() {
		return "pubsub"
	}
	return "normal"
}

// peerAddr is CLIENT LIST's addr: ip:port, or path:0 for a unix socket.
func (c *Client) peerAddr() string { return c.raddr }

// isLocal reports whether the client connects over loopback or a unix
// socket (enable-protected-configs local).
func (c *Client) isLocal() bool {
	switch a := c.conn.RemoteAddr().(type) {
	case *net.TCPAddr:
		return a.IP.IsLoopback()
	case *net.UnixAddr:
		return true
	}
	return false
}

// sockAddr is CLIENT LIST's laddr.
func (c *Client) sockAddr() string {
	if _, unix := c.conn.(*net.UnixConn); unix {
		return c.laddr + ":0"
	}
	return c.laddr
}

// fd returns the connection's file descriptor (-1 if it has none).
func (c *Client) fd() int64 {
	fd := int64(-1)
	if sc, ok := c.conn.(syscall.Conn); ok {
		if rc, err := sc.SyscallConn(); err == nil {
			_ = rc.Control(func(v uintptr) { fd = int64(v) })
		}
	}
	return fd
}

// clientFlags are CLIENT LIST's flags letters, in Redis's order.
func (c *Client) clientFlags(self *Client) string {
	var f []byte
	if c.monitor.Load() {
		f = append(f, 'O')
	}
	if c.subscribed() {
		f = append(f, 'P')
	}
	if c.multiN.Load() >= 0 {
		f = append(f, 'x')
	}
	if c.waiter.Load() != nil {
		f = append(f, 'b')
	}
	if c.casDirty.Load() {
		f = append(f, 'd')
	}
	if c == self && c.closeAfter {
		f = append(f, 'c')
	}
	if c.killed.Load() {
		f = append(f, 'A')
	}
	if _, unix := c.conn.(*net.UnixConn); unix {
		f = append(f, 'U')
	}
	if c.noEvict.Load() {
		f = append(f, 'e')
	}
	if c.noTouch.Load() {
		f = append(f, 'T')
	}
	if len(f) == 0 {
		return "N"
	}
	return string(f)
}

// appendInfo appends c's CLIENT LIST line (without the newline) as self
// sees it; self is the connection running the command, cur its command
// and args its arguments.
func (c *Client) appendInfo(b []byte, self *Client, cur *Command, args [][]byte) []byte {
	now := time.Now()
	c.mu.Lock()
	name, libName, libVer, user, resp3 := c.name, c.libName, c.libVer, c.user, c.resp3
	c.mu.Unlock()
	var qbuf, qfree, argvMem, rbs int64
	cmd := c.lastCmd.Load()
	if c == self {
		qbuf = int64(c.rd.w - c.rd.r)
		qfree = int64(len(c.rd.buf) - c.rd.w)
		for _, a := range args {
			argvMem += int64(len(a))
		}
		rbs = int64(cap(c.out))
		cmd = cur
	} else {
		qbuf = c.qbufSize.Load()
	}
	cmdName := "NULL"
	if cmd != nil {
		cmdName = cmd.FullName()
	}
	resp := int64(2)
	if resp3 {
		resp = 3
	}
	omem := c.obufSize.Load()
	field := func(k string) { b = append(b, ' '); b = append(b, k...); b = append(b, '=') }
	num := func(k string, v int64) { field(k); b = strconv.AppendInt(b, v, 10) }
	str := func(k, v string) { field(k); b = append(b, v...) }
	b = append(b, "id="...)
	b = strconv.AppendInt(b, c.id, 10)
	str("addr", c.peerAddr())
	str("laddr", c.sockAddr())
	num("fd", c.fd())
	str("name", name)
	num("age", int64(now.Sub(c.created)/time.Second))
	num("idle", (now.UnixMilli()-c.lastIO.Load())/1000)
	str("flags", c.clientFlags(self))
	num("db", c.dbIndex.Load())
	num("sub", c.subCount(subChannel))
	num("psub", c.subCount(subPattern))
	num("ssub", c.subCount(subShard))
	num("multi", c.multiN.Load())
	num("qbuf", qbuf)
	num("qbuf-free", qfree)
	num("argv-mem", argvMem)
	multiMem := c.multiMem.Load()
	num("multi-mem", multiMem)
	num("rbs", rbs)
	num("rbp", rbs)
	num("obl", 0)
	num("oll", 0)
	num("omem", omem)
	num("tot-mem", qbuf+qfree+argvMem+rbs+omem+multiMem+clientStructSize)
	str("events", "r")
	str("cmd", cmdName)
	str("user", user)
	num("redir", -1)
	num("resp", resp)
	str("lib-name", libName)
	str("lib-ver", libVer)
	return b
}

// clientStructSize approximates the memory a connection costs beyond its
// buffers (the Client, its Tx and reader), for CLIENT LIST's tot-mem.
const clientStructSize = 1024

// CLIENT INFO
func cmdClientInfo(c *Client, args [][]byte) {
	b := c.appendInfo(nil, c, c.srv.cmds.byName["client"].subs["info"], args)
	c.WriteVerbatim(string(append(b, '\n')))
}

// CLIENT LIST [TYPE <NORMAL | MASTER | REPLICA | PUBSUB>] [ID client-id ...]
func cmdClientList(c *Client, args [][]byte) {
	cur := c.srv.cmds.byName["client"].subs["list"]
	var out []byte
	switch {
	case len(args) == 4 && eqFold(args[2], "type"):
		typ, ok := clientTypeByName(args[3])
		if !ok {
			c.WriteError(errUnknownClientType(args[3]))
			return
		}
		for _, cl := range c.srv.liveClients() {
			if cl.clientType() == typ {
				out = append(cl.appendInfo(out, c, cur, args), '\n')
			}
		}
	case len(args) > 3 && eqFold(args[2], "id"):
		ids := make([]int64, 0, len(args)-3)
		for _, a := range args[3:] {
			id, ok := parseInt(a)
			if !ok {
				c.WriteError(errInvalidClientID)
				return
			}
			ids = append(ids, id)
		}
		for _, id := range ids {
			if cl := c.srv.clientByID(id); cl != nil {
				out = append(cl.appendInfo(out, c, cur, args), '\n')
			}
		}
	case len(args) == 2:
		for _, cl := range c.srv.liveClients() {
			out = append(cl.appendInfo(out, c, cur, args), '\n')
		}
	default:
		c.WriteError(errSyntax)
		return
	}
	c.WriteVerbatim(string(out))
}

// clientByID returns the connected client with id, or nil.
func (s *Server) clientByID(id int64) *Client {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.clients[id]; c != nil && !c.killed.Load() {
		return c
	}
	return nil
}

// liveClients is clientList without the clients being closed by CLIENT
// KILL, which Redis frees at once.
func (s *Server) liveClients() []*Client {
	all := s.clientList()
	out := all[:0]
	for _, c := range all {
		if !c.killed.Load() {
			out = append(out, c)
		}
	}
	return out
}

// clientFilter is CLIENT KILL's filter; zero fields match anything.
type clientFilter struct {
	addr, laddr, typ, user []byte
	id, maxAge             int64
	skipMe                 bool
}

func (f *clientFilter) match(cl, self *Client, now time.Time) bool {
	switch {
	case cl.killed.Load():
		return false // already being closed
	case f.addr != nil && cl.peerAddr() != string(f.addr),
		f.laddr != nil && cl.sockAddr() != string(f.laddr),
		f.typ != nil && cl.clientType() != string(f.typ),
		f.id != 0 && cl.id != f.id,
		f.maxAge != 0 && int64(now.Sub(cl.created)/time.Second) < f.maxAge,
		f.skipMe && cl == self:
		return false
	}
	if f.user != nil {
		cl.mu.Lock()
		u := cl.user
		cl.mu.Unlock()
		if u != string(f.user) {
			return false
		}
	}
	return true
}

// parseKillFilter parses CLIENT KILL's "<option> <value> ..." pairs,
// replying with Redis's error and returning false when one is invalid.
func parseKillFilter(c *Client, args [][]byte, f *clientFilter) bool {
	for i := 2; i+1 < len(args); i += 2 {
		opt, v := args[i], args[i+1]
		switch {
		case eqFold(opt, "id"):
			id, ok := parseInt(v)
			if !ok || id < 1 {
				c.WriteError(errClientIDPositive)
				return false
			}
			f.id = id
		case eqFold(opt, "maxage"):
			age, ok := parseInt(v)
			if !ok {
				c.WriteError(errMaxAgeNotInt)
				return false
			}
			if age <= 0 {
				c.WriteError(errMaxAgePositive)
				return false
			}
			f.maxAge = age
		case eqFold(opt, "type"):
			typ, ok := clientTypeByName(v)
			if !ok {
				c.WriteError(errUnknownClientType(v))
				return false
			}
			f.typ = []byte(typ)
		case eqFold(opt, "addr"):
			f.addr = v
		case eqFold(opt, "laddr"):
			f.laddr = v
		case eqFold(opt, "user"):
			if bstr(v) != "default" {
				c.WriteError(errNoSuchUser(v))
				return false
			}
			f.user = v
		case eqFold(opt, "skipme"):
			switch {
			case eqFold(v, "yes"):
				f.skipMe = true
			case eqFold(v, "no"):
				f.skipMe = false
			default:
				c.WriteError(errSyntax)
				return false
			}
		default:
			c.WriteError(errSyntax)
			return false
		}
	}
	return true
}

// CLIENT KILL <ip:port | <[ID client-id] | [TYPE <NORMAL | MASTER |
// SLAVE | REPLICA | PUBSUB>] | [USER username] | [ADDR ip:port] |
// [LADDR ip:port] | [SKIPME <YES | NO>] | [MAXAGE maxage]> ...>
func cmdClientKill(c *Client, args [][]byte) {
	oldForm := len(args) == 3
	f := clientFilter{skipMe: true}
	switch {
	case oldForm:
		f.addr, f.skipMe = args[2], false
	case len(args)%2 == 0:
		if !parseKillFilter(c, args, &f) {
			return
		}
	default:
		c.WriteError(errSyntax)
		return
	}
	now := time.Now()
	killed, killSelf := int64(0), false
	for _, cl := range c.srv.clientList() {
		if !f.match(cl, c, now) {
			continue
		}
		killed++
		if cl == c {
			killSelf = true
			continue
		}
		cl.kill()
	}
	switch {
	case !oldForm:
		c.WriteInt(killed)
	case killed == 0:
		c.WriteError(errNoSuchClient)
	default:
		c.WriteOK()
	}
	// The caller is closed only after its reply is written, as Redis does.
	c.closeAfter = c.closeAfter || killSelf
}

// clientHelp is CLIENT HELP's text for the subcommands ember serves, in
// Redis 7.2's words.
var clientHelp = []string{
	"CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"CACHING (YES|NO)",
	"    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
	"GETREDIR",
	"    Return the client ID we are redirecting to when tracking is enabled.",
	"GETNAME",
	"    Return the name of the current connection.",
	"ID",
	"    Return the ID of the current connection.",
	"INFO",
	"    Return information about the current client connection.",
	"KILL <ip:port>",
	"    Kill connection made from <ip:port>.",
	"KILL <option> <value> [<option> <value> [...]]",
	"    Kill connections. Options are:",
	"    * ADDR (<ip:port>|<unixsocket>:0)",
	"      Kill connections made from the specified address",
	"    * LADDR (<ip:port>|<unixsocket>:0)",
	"      Kill connections made to specified local address",
	"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
	"      Kill connections by type.",
	"    * USER <username>",
	"      Kill connections authenticated by <username>.",
	"    * SKIPME (YES|NO)",
	"      Skip killing current connection (default: yes).",
	"    * ID <client-id>",
	"      Kill connections by client id.",
	"    * MAXAGE <maxage>",
	"      Kill connections older than the specified age.",
	"LIST [options ...]",
	"    Return information about client connections. Options:",
	"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
	"      Return clients of specified type.",
	"    * ID <client-id> [<client-id> ...]",
	"      Return clients of specified ids.",
	"UNPAUSE",
	"    Stop the current client pause, resuming traffic.",
	"PAUSE <timeout> [WRITE|ALL]",
	"    Suspend all, or just write, clients for <timeout> milliseconds.",
	"REPLY (ON|OFF|SKIP)",
	"    Control the replies sent to the current connection.",
	"SETNAME <name>",
	"    Assign the name <name> to the current connection.",
	"SETINFO <option> <value>",
	"    Set client meta attr. Options are:",
	"    * LIB-NAME: the client lib name.",
	"    * LIB-VER: the client lib version.",
	"UNBLOCK <clientid> [TIMEOUT|ERROR]",
	"    Unblock the specified blocked client.",
	"TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
	"         [OPTIN] [OPTOUT] [NOLOOP]",
	"    Control server assisted client side caching.",
	"TRACKINGINFO",
	"    Report tracking status for the current connection.",
	"NO-EVICT (ON|OFF)",
	"    Protect current client connection from eviction.",
	"NO-TOUCH (ON|OFF)",
	"    Will not touch LRU/LFU stats when this mode is on.",
	"HELP",
	"    Prints this help.",
}

// writeHelp writes a HELP reply: one simple string per line.
func (c *Client) writeHelp(lines []string) {
	c.WriteArray(len(lines))
	for _, l := range lines {
		c.WriteSimple(l)
	}
}

// CLIENT HELP
func cmdClientHelp(c *Client, args [][]byte) { c.writeHelp(clientHelp) }
