package server

import (
	"github.com/embercache/ember/store"
)

// String commands (Redis's t_string.c).

var (
	cmdNameSET = []byte("SET")
	argPXAT    = []byte("PXAT")
)

// GET key
func cmdGet(c *Client, args [][]byte) {
	tx := c.tx
	tx.LockKey(c.db, args[1], false)
	switch e := tx.LookupRead(args[1]); {
	case e == nil:
		c.WriteNull()
	case e.Kind() != store.KindString:
		c.WriteError(errWrongType)
	default:
		c.WriteBulk(e.Str())
	}
	tx.Unlock()
}

// setFlags are the parsed options of SET and its relatives.
type setFlags uint16

const (
	setNX setFlags = 1 << iota
	setXX
	setGet
	setKeepTTL
	setEX
	setPX
	setEXAT
	setPXAT
	setPersist // GETEX PERSIST
)

const setAnyExpire = setEX | setPX | setEXAT | setPXAT

// parseSetOptions parses SET's [NX|XX] [GET] [EX s|PX ms|EXAT s|PXAT ms|KEEPTTL]
// starting at args[from], with Redis's rules on conflicting options. It
// returns the flags and the expire argument (nil if none).
func parseSetOptions(args [][]byte, from int) (setFlags, []byte, bool) {
	var f setFlags
	var exp []byte
	for i := from; i < len(args); i++ {
		a := args[i]
		hasNext := i+1 < len(args)
		switch {
		case eqFold(a, "nx") && f&setXX == 0:
			f |= setNX
		case eqFold(a, "xx") && f&setNX == 0:
			f |= setXX
		case eqFold(a, "get"):
			f |= setGet
		case eqFold(a, "keepttl") && f&setAnyExpire == 0:
			f |= setKeepTTL
		case eqFold(a, "ex") && f&(setKeepTTL|setPX|setEXAT|setPXAT) == 0 && hasNext:
			f |= setEX
			i++
			exp = args[i]
		case eqFold(a, "px") && f&(setKeepTTL|setEX|setEXAT|setPXAT) == 0 && hasNext:
			f |= setPX
			i++
			exp = args[i]
		case eqFold(a, "exat") && f&(setKeepTTL|setEX|setPX|setPXAT) == 0 && hasNext:
			f |= setEXAT
			i++
			exp = args[i]
		case eqFold(a, "pxat") && f&(setKeepTTL|setEX|setPX|setEXAT) == 0 && hasNext:
			f |= setPXAT
			i++
			exp = args[i]
		default:
			return 0, nil, false
		}
	}
	return f, exp, true
}

// expireAt turns an expire argument into absolute unix ms, replying with
// Redis's error and returning false when it is invalid. name is the command
// name used in the error.
func expireAt(c *Client, f setFlags, arg []byte, now int64, name string) (int64, bool) {
	v, ok := parseInt(arg)
	if !ok {
		c.WriteError(errNotInteger)
		return 0, false
	}
	if v <= 0 || (f&(setEX|setEXAT) != 0 && v > (1<<63-1)/1000) {
		c.WriteError(errInvalidExpireIn(name))
		return 0, false
	}
	if f&(setEX|setEXAT) != 0 {
		v *= 1000
	}
	if f&(setEX|setPX) != 0 {
		v += now // may wrap, caught below as Redis does
	}
	if v <= 0 {
		c.WriteError(errInvalidExpireIn(name))
		return 0, false
	}
	return v, true
}

// SET key value [NX | XX] [GET] [EX seconds | PX milliseconds |
// EXAT unix-time-seconds | PXAT unix-time-milliseconds | KEEPTTL]
func cmdSet(c *Client, args [][]byte) {
	f, exp, ok := parseSetOptions(args, 3)
	if !ok {
		c.WriteError(errSyntax)
		return
	}
	setGeneric(c, args[1], args[2], f, exp, "set")
}

// setGeneric is the body of SET, SETNX, SETEX and PSETEX.
func setGeneric(c *Client, key, val []byte, f setFlags, exp []byte, name string) {
	tx := c.tx
	tx.LockKey(c.db, key, true)
	defer tx.Unlock()
	var at int64
	if exp != nil {
		var ok bool
		if at, ok = expireAt(c, f, exp, tx.Now(), name); !ok {
			return
		}
	}
	old := tx.Lookup(key)
	if f&setGet != 0 {
		switch {
		case old == nil:
			c.WriteNull()
		case old.Kind() != store.KindString:
			c.WriteError(errWrongType)
			return
		default:
			c.WriteBulk(old.Str())
		}
	}
	if (f&setNX != 0 && old != nil) || (f&setXX != 0 && old == nil) {
		if f&setGet == 0 {
			c.WriteNull()
		}
		return
	}
	if f&setKeepTTL != 0 && old != nil {
		at = old.ExpireAt()
	}
	tx.SetString(key, val, at)
	if tx.Journaling() {
		if at != 0 {
			tx.Emit(cmdNameSET, key, val, argPXAT, tx.Int(at))
		} else {
			tx.Emit(cmdNameSET, key, val)
		}
	}
	if f&setGet == 0 {
		c.WriteOK()
	}
}

func cmdAppend(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdDecr(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdDecrby(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdGetdel(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdGetex(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdGetrange(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdGetset(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdIncr(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdIncrby(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdIncrbyfloat(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdLcs(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdMget(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdMset(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdMsetnx(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdPsetex(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdSetex(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdSetnx(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdSetrange(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdStrlen(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }

func cmdSubstr(c *Client, args [][]byte) { c.WriteError("ERR not implemented") }
