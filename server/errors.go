package server

import (
	"bytes"
	"errors"
	"math"
	"strconv"
	"strings"

	"github.com/embercache/ember/store"
)

// Every error reply ember sends, byte for byte as Redis sends it (without the
// leading '-'). Clients match on these strings and their first word, so they
// live here, once, and nowhere else. Errors that embed a value are built by
// the functions below.
const (
	errSyntax          = "ERR syntax error"
	errNotInteger      = "ERR value is not an integer or out of range"
	errNotFloat        = "ERR value is not a valid float"
	errWrongType       = "WRONGTYPE Operation against a key holding the wrong kind of value"
	errOverflow        = "ERR increment or decrement would overflow"
	errNaNOrInf        = "ERR increment would produce NaN or Infinity"
	errNoSuchKey       = "ERR no such key"
	errDBIndex         = "ERR DB index is out of range"
	errInvalidDBIndex  = "ERR invalid DB index"
	errSameObject      = "ERR source and destination objects are the same"
	errNoAuth          = "NOAUTH Authentication required."
	errWrongPass       = "WRONGPASS invalid username-password pair or user is disabled."
	errAuthNoPass      = "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?"
	errStringTooBig    = "ERR string exceeds maximum allowed size (proto-max-bulk-len)"
	errOffsetRange     = "ERR offset is out of range"
	errNXXXGTLT        = "ERR NX and XX, GT or LT options at the same time are not compatible"
	errGTLTNX          = "ERR GT, LT, and/or NX options at the same time are not compatible"
	errInvalidCursor   = "ERR invalid cursor"
	errTimeout         = "ERR timeout is not an integer or out of range"
	errTimeoutNotFloat = "ERR timeout is not a float or out of range"
	errTimeoutNegative = "ERR timeout is negative"
	errPauseMode       = "ERR CLIENT PAUSE mode must be WRITE or ALL"
	errClientName      = "ERR Client names cannot contain spaces, newlines or special characters."
	errNoSuchClient    = "ERR No such client"
	errProtoVersion    = "NOPROTO unsupported protocol version"
	errUnknownType     = "ERR unknown type name"
	errCountPositive   = "ERR COUNT must be > 0"
	errLCSBothLen      = "ERR If you want both the length and indexes, please just use IDX."
	errLCSTypes        = "ERR The specified keys must contain string values"
	errOOM             = "OOM command not allowed when used memory > 'maxmemory'."
	errValueRange      = "ERR value is out of range, must be positive"
	errMaxClients      = "ERR max number of clients reached"
	errTooManyShutdown = "ERR Errors trying to SHUTDOWN. Check logs."
	errLoading         = "LOADING Redis is loading the dataset in memory"
	errDecrOverflow    = "ERR decrement would overflow"
	errLCSTooLong      = "ERR String too long for LCS"
	errLCSMemory       = "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len"
	errLCSAlloc        = "ERR Insufficient memory, failed allocating transient memory for LCS"
)

// Errors of the operations commands (SLOWLOG, LATENCY, MONITOR).
const (
	errSlowlogCount    = "ERR count should be greater than or equal to -1"
	errMonitorKeyspace = "ERR Replica can't interact with the keyspace"
)

// errNoLatencySamples is LATENCY GRAPH's reply for an event with no samples.
func errNoLatencySamples(event []byte) string {
	return "ERR No samples available for event '" + string(event) + "'"
}

// errSubcommandSyntax is the reply of a subcommand given arguments it does
// not take (Redis's addReplySubcommandSyntaxError): args[1] as sent, the
// container upper-cased.
func errSubcommandSyntax(args [][]byte) string {
	return string(appendTrunc([]byte("ERR unknown subcommand or wrong number of arguments for '"), args[1], 128)) +
		"'. Try " + strings.ToUpper(string(args[0])) + " HELP."
}

// errSubscribedContext is the reply to a command other than (P|S)SUBSCRIBE,
// (P|S)UNSUBSCRIBE, PING, QUIT and RESET on a RESP2 connection with
// subscriptions; name is the command's full name ("client|list").
func errSubscribedContext(name string) string {
	return "ERR Can't execute '" + name + "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"
}

// errWrongArity is the reply for a wrong argument count; name is the
// command's full lower-case name ("get", "client|setname").
func errWrongArity(name string) string {
	return "ERR wrong number of arguments for '" + name + "' command"
}

// errUnknownCommand is Redis's reply for a command not in the table: the
// name and up to 128 bytes of arguments, each quoted and followed by a
// space.
func errUnknownCommand(args [][]byte) string {
	var b []byte
	b = append(b, "ERR unknown command '"...)
	b = appendTrunc(b, args[0], 128)
	b = append(b, "', with args beginning with: "...)
	n := 0
	for _, a := range args[1:] {
		if n >= 128 {
			break
		}
		start := len(b)
		b = append(b, '\'')
		b = appendTrunc(b, a, 128-n)
		b = append(b, '\'', ' ')
		n += len(b) - start
	}
	return string(b)
}

// errUnknownSubcommand is the reply for a container command (CLIENT, CONFIG,
// OBJECT, ...) given a subcommand it does not have.
func errUnknownSubcommand(sub []byte, container string) string {
	var b []byte
	b = append(b, "ERR unknown subcommand '"...)
	b = appendTrunc(b, sub, 128)
	b = append(b, "'. Try "...)
	b = append(b, container...)
	b = append(b, " HELP."...)
	return string(b)
}

// appendTrunc appends at most n bytes of s, stopping at a NUL byte as C's
// "%.*s" does.
func appendTrunc(b, s []byte, n int) []byte {
	if n < 0 {
		n = 0
	}
	if i := bytes.IndexByte(s, 0); i >= 0 {
		s = s[:i]
	}
	if len(s) > n {
		s = s[:n]
	}
	return append(b, s...)
}

// storeError maps a typed store error to its Redis reply text.
func storeError(err error) string {
	switch {
	case errors.Is(err, store.ErrWrongType):
		return errWrongType
	case errors.Is(err, store.ErrNotInteger):
		return errNotInteger
	case errors.Is(err, store.ErrNotFloat):
		return errNotFloat
	case errors.Is(err, store.ErrOverflow):
		return errOverflow
	case errors.Is(err, store.ErrNaNOrInf):
		return errNaNOrInf
	case errors.Is(err, store.ErrTooBig):
		return errStringTooBig
	case errors.Is(err, store.ErrNoSuchKey):
		return errNoSuchKey
	case errors.Is(err, store.ErrHashNotInteger):
		return errHashNotInteger
	case errors.Is(err, store.ErrHashNotFloat):
		return errHashNotFloat
	case errors.Is(err, store.ErrIncrNaNOrInf):
		return errIncrNaNOrInf
	case errors.Is(err, store.ErrNotHLL):
		return errNotHLL
	case errors.Is(err, store.ErrCorruptHLL):
		return errCorruptHLL
	}
	return "ERR " + err.Error()
}

// errInvalidExpireIn is the reply for a TTL argument out of range.
func errInvalidExpireIn(name string) string {
	return "ERR invalid expire time in '" + name + "' command"
}

// Errors of the connection and server commands (HELLO, AUTH, CLIENT,
// CONFIG, COMMAND, SWAPDB, SHUTDOWN).
const (
	errProtoNotInt      = "ERR Protocol version is not an integer or out of range"
	errHelloNoAuth      = "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time"
	errInvalidClientID  = "ERR Invalid client ID"
	errClientIDPositive = "ERR client-id should be greater than 0"
	errMaxAgeNotInt     = "ERR maxage is not an integer or out of range"
	errMaxAgePositive   = "ERR maxage should be greater than 0"
	errInvalidFirstDB   = "ERR invalid first DB index"
	errInvalidSecondDB  = "ERR invalid second DB index"
	errNoShutdown       = "ERR No shutdown in progress."
	errNoConfigFile     = "ERR The server is running without a config file"
	errInvalidCommand   = "ERR Invalid command specified"
	errInvalidNumArgs   = "ERR Invalid number of arguments specified for command"
	errNoKeyArgs        = "ERR The command has no key arguments"
	errInvalidKeyArgs   = "ERR Invalid arguments specified for command"
)

// errHelloOption is HELLO's reply for an option it does not know.
func errHelloOption(opt []byte) string {
	return "ERR Syntax error in HELLO option '" + string(opt) + "'"
}

// errUnknownClientType is the reply for a bad CLIENT LIST/KILL TYPE.
func errUnknownClientType(name []byte) string {
	return "ERR Unknown client type '" + string(name) + "'"
}

// errNoSuchUser is CLIENT KILL USER's reply for an unknown user.
func errNoSuchUser(name []byte) string { return "ERR No such user '" + string(name) + "'" }

// errSetinfoOption is CLIENT SETINFO's reply for an attribute it does not
// know.
func errSetinfoOption(attr []byte) string {
	return "ERR Unrecognized option '" + string(attr) + "'"
}

// errSetinfoValue is CLIENT SETINFO's reply for a value with characters
// that would break CLIENT LIST's format; attr is spelled as the client sent
// it.
func errSetinfoValue(attr []byte) string {
	return "ERR " + string(attr) + " cannot contain spaces, newlines or special characters."
}

// errConfigUnknown is CONFIG SET's reply for a parameter it does not know.
func errConfigUnknown(name []byte) string {
	return "ERR Unknown option or number of arguments for CONFIG SET - '" + string(name) + "'"
}

// errConfigSet is CONFIG SET's reply for a value it rejects; name is the
// parameter as Redis reports it and reason the text after " - ".
func errConfigSet(name, reason string) string {
	return "ERR CONFIG SET failed (possibly related to argument '" + name + "') - " + reason
}

// errConfigRewrite is CONFIG REWRITE's reply when writing the file failed.
func errConfigRewrite(reason string) string { return "ERR Rewriting config file: " + reason }

// Errors of the keyspace commands (EXPIRE options, OBJECT under the wrong
// maxmemory policy, int-ranged arguments such as COPY's DB).
const (
	errGTAndLT     = "ERR GT and LT options at the same time are not compatible"
	errIntRange    = "ERR value is out of range, value must between -2147483648 and 2147483647"
	errLFUNotInUse = "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."
	errLFUInUse    = "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."
)

// Errors of the set commands (SINTERCARD's arguments, SRANDMEMBER's count).
const (
	errNumkeysPositive = "ERR numkeys should be greater than 0"
	errNumkeysTooMany  = "ERR Number of keys can't be greater than number of args"
	errLimitNegative   = "ERR LIMIT can't be negative"
	errCountRange      = "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
)

// Errors of the bitmap and HyperLogLog commands.
const (
	errBitOffset        = "ERR bit offset is not an integer or out of range"
	errBitValue         = "ERR bit is not an integer or out of range"
	errBitposBit        = "ERR The bit argument must be 1 or 0."
	errBitopNot         = "ERR BITOP NOT must be called with a single source key."
	errBitfieldType     = "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is."
	errBitfieldOverflow = "ERR Invalid OVERFLOW type specified"
	errBitfieldRO       = "ERR BITFIELD_RO only supports the GET subcommand"
	errNotHLL           = "WRONGTYPE Key is not a valid HyperLogLog string value."
	errCorruptHLL       = "INVALIDOBJ Corrupted HLL object detected"
)

// errUnsupportedOption is EXPIRE's reply for an option it does not know.
func errUnsupportedOption(opt []byte) string {
	return string(appendTrunc([]byte("ERR Unsupported option "), opt, len(opt)))
}

// Errors of the hash commands.
const (
	errHashNotInteger = "ERR hash value is not an integer"
	errHashNotFloat   = "ERR hash value is not a float"
	errIncrNaNOrInf   = "ERR value is NaN or Infinity"
	errOutOfRange     = "ERR value is out of range"
)

// Errors of the list commands and CLIENT UNBLOCK.
const (
	errIndexOutOfRange   = "ERR index out of range"
	errLposRankZero      = "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list"
	errLposCountNeg      = "ERR COUNT can't be negative"
	errLposMaxlenNeg     = "ERR MAXLEN can't be negative"
	errCountGreater0     = "ERR count should be greater than 0"
	errUnblockReason     = "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR"
	errUnblockedByClient = "UNBLOCKED client unblocked via CLIENT UNBLOCK"
)

// Errors of the sorted set commands.
const (
	errZaddXXNX        = "ERR XX and NX options at the same time are not compatible"
	errZaddIncrPair    = "ERR INCR option supports a single increment-element pair"
	errZsetNaN         = "ERR resulting score is not a number (NaN)"
	errMinMaxNotFloat  = "ERR min or max is not a float"
	errMinMaxNotLex    = "ERR min or max not valid string range item"
	errZrangeLimit     = "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"
	errZrangeLexScores = "ERR syntax error, WITHSCORES not supported in combination with BYLEX"
	errWeightNotFloat  = "ERR weight value is not a float"
)

// errAtLeastOneKey is the reply of ZUNION and its relatives for a numkeys
// below 1; name is the command's lower-case name.
func errAtLeastOneKey(name string) string {
	return "ERR at least 1 input key is needed for '" + name + "' command"
}

// Errors of the GEO commands.
const (
	errGeoUnit        = "ERR unsupported unit provided. please use M, KM, FT, MI"
	errGeoRadius      = "ERR need numeric radius"
	errGeoWidth       = "ERR need numeric width"
	errGeoHeight      = "ERR need numeric height"
	errGeoRadiusNeg   = "ERR radius cannot be negative"
	errGeoBoxNeg      = "ERR height or width cannot be negative"
	errGeoMember      = "ERR could not decode requested zset member"
	errGeoAnyNoCount  = "ERR the ANY argument requires COUNT argument"
	errGeoStoreSearch = "ERR GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options"
	errGeoStoreRadius = "ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD options"
)

// errGeoPair is GEOADD's and the searches' out-of-range position error
// (C's "%f,%f").
func errGeoPair(lon, lat float64) string {
	return "ERR invalid longitude,latitude pair " + cFloat6(lon) + "," + cFloat6(lat)
}

// cFloat6 formats f as C's printf "%f".
func cFloat6(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	return strconv.FormatFloat(f, 'f', 6, 64)
}

// errGeoFrom and errGeoBy are GEOSEARCH's missing-option errors; name is
// the command as the client spelled it.
func errGeoFrom(name []byte) string {
	return "ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for " + string(name)
}

func errGeoBy(name []byte) string {
	return "ERR exactly one of BYRADIUS and BYBOX can be specified for " + string(name)
}

// Errors of scripting (EVAL, SCRIPT, FUNCTION, FCALL and redis.call).
const (
	errNumkeysNegative   = "ERR Number of keys can't be negative"
	errNoScript          = "NOSCRIPT No matching script. Please use EVAL."
	errScriptWriteFlagRO = "ERR Can not execute a script with write flag using *_ro command."
	errScriptOOMFlag     = "OOM allow-oom flag is not set on the script, can not run it when used memory > 'maxmemory'"
	errScriptDebugArg    = "ERR Use SCRIPT DEBUG YES/SYNC/NO"
	// errScriptDebugUnsupported is ember's own: it has no Lua debugger.
	errScriptDebugUnsupported = "ERR SCRIPT DEBUG YES and SYNC are not supported: ember has no Lua debugger"
	errScriptFlushMode        = "ERR SCRIPT FLUSH only support SYNC|ASYNC option"
	errBusyScript             = "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
	errBusyFunction           = "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."
	errNotBusy                = "NOTBUSY No scripts in execution right now."
	errUnkillable             = "UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command."
	errLuaStackLimit          = "ERR reached lua stack limit"
	errFunctionNotFound       = "ERR Function not found"
	errBadNumkeys             = "ERR Bad number of keys provided"
	errLibraryNotFound        = "ERR Library not found"
	errFunctionFlushMode      = "ERR FUNCTION FLUSH only supports SYNC|ASYNC option"
	errDumpPayload            = "ERR DUMP payload version or checksum are wrong"
	// redis.call's errors, as raised into the script (without "-").
	errLuaNoRun          = "ERR redis.call() called outside a running script"
	errLuaNoArgs         = "ERR Please specify at least one argument for this redis lib call"
	errLuaArgType        = "ERR Lua redis lib command arguments must be strings or integers"
	errLuaUnknownCommand = "ERR Unknown Redis command called from script"
	errLuaWrongArgs      = "ERR Wrong number of args calling Redis command from script"
	errLuaNoScript       = "ERR This Redis command is not allowed from script"
	errLuaReadOnly       = "ERR Write commands are not allowed from read-only scripts."
)

// Transactions (cmd_multi.go).
const (
	errNoMulti        = "ERR Command not allowed inside a transaction"
	errMultiNested    = "ERR MULTI calls can not be nested"
	errWatchInMulti   = "ERR WATCH inside MULTI is not allowed"
	errExecNoMulti    = "ERR EXEC without MULTI"
	errDiscardNoMulti = "ERR DISCARD without MULTI"
	errExecAbort      = "EXECABORT Transaction discarded because of previous errors."
)

// errExecAbortBecause is the reply to an EXEC refused with msg.
func errExecAbortBecause(msg string) string {
	return "EXECABORT Transaction discarded because of: " + strings.TrimPrefix(msg, "ERR ")
}

// Errors of the stream commands (t_stream.c).
const (
	errInvalidStreamID     = "ERR Invalid stream ID specified as stream command argument"
	errStreamStartInterval = "ERR invalid start ID for the interval"
	errStreamEndInterval   = "ERR invalid end ID for the interval"
	errStreamMaxlenMinid   = "ERR syntax error, MAXLEN and MINID options at the same time are not compatible"
	errStreamMaxlenNeg     = "ERR The MAXLEN argument must be >= 0."
	errStreamLimitNeg      = "ERR The LIMIT argument must be >= 0."
	errStreamLimitNoTrim   = "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy"
	errXtrimNoStrategy     = "ERR syntax error, XTRIM must be called with a trimming strategy"
	errStreamLimitNoApprox = "ERR syntax error, LIMIT cannot be used without the special ~ option"
	errStreamAddZero       = "ERR The ID specified in XADD must be greater than 0-0"
	errStreamExhausted     = "ERR The stream has exhausted the last possible ID, unable to add more items"
	errStreamIDSmall       = "ERR The ID specified in XADD is equal or smaller than the target stream top item"
	errStreamTooLarge      = "ERR Elements are too large to be stored"
	errXreadGroupOption    = "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead."
	errXreadNoackOption    = "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead."
	errXreadgroupNoGroup   = "ERR Missing GROUP option for XREADGROUP"
	errXreadgroupDollar    = "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set."
	errXreadGreater        = "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option."
	errStreamKeyGone       = "UNBLOCKED the stream key no longer exists"
	errStreamGroupGone     = "NOGROUP the consumer group this client was blocked on no longer exists"
	errEntriesReadRange    = "ERR value for ENTRIESREAD must be positive or -1"
	errXgroupNoKey         = "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically."
	errBusyGroup           = "BUSYGROUP Consumer Group name already exists"
	errEntriesAddedNeg     = "ERR entries_added must be positive"
	errXsetidMaxDelArg     = "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id"
	errXsetidSmall         = "ERR The ID specified in XSETID is smaller than the target stream top item"
	errXsetidEntriesAdded  = "ERR The entries_added specified in XSETID is smaller than the target stream length"
	errXclaimMinIdle       = "ERR Invalid min-idle-time argument for XCLAIM"
	errXclaimIdle          = "ERR Invalid IDLE option argument for XCLAIM"
	errXclaimTime          = "ERR Invalid TIME option argument for XCLAIM"
	errXclaimRetry         = "ERR Invalid RETRYCOUNT option argument for XCLAIM"
	errXautoclaimMinIdle   = "ERR Invalid min-idle-time argument for XAUTOCLAIM"
	errXreadUnbalanced     = "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified."
)

// errXreadgroupNoGroupKey is XREADGROUP's reply for a missing key or group.
func errXreadgroupNoGroupKey(key, group []byte) string {
	return "NOGROUP No such key '" + string(key) + "' or consumer group '" + string(group) + "' in XREADGROUP with GROUP option"
}

// errNoGroupKey is XPENDING's, XCLAIM's and XAUTOCLAIM's reply for a
// missing key or group.
func errNoGroupKey(key, group []byte) string {
	return "NOGROUP No such key '" + string(key) + "' or consumer group '" + string(group) + "'"
}

// errNoGroupForKey is XGROUP's and XINFO's reply for a missing group.
func errNoGroupForKey(group, key []byte) string {
	return "NOGROUP No such consumer group '" + string(group) + "' for key name '" + string(key) + "'"
}

// errXclaimOption is XCLAIM's reply for an unknown option.
func errXclaimOption(opt []byte) string {
	return "ERR Unrecognized XCLAIM option '" + string(opt) + "'"
}

// Client-side caching (CLIENT TRACKING, CLIENT CACHING).
const (
	errTrackingOptinOptout = "ERR You can't specify both OPTIN mode and OPTOUT mode"
	errTrackingPrefixBcast = "ERR PREFIX option requires BCAST mode to be enabled"
	errTrackingRedirect    = "ERR The client ID you want redirect to does not exist"
	errTrackingSwitchOpt   = "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode."
	errTrackingSwitchBcast = "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode."
	errCachingMode         = "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled"
	errCachingYes          = "ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode."
	errCachingNo           = "ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode."
)

// errTrackingPrefixOverlap reports two BCAST prefixes of which one is a
// prefix of the other.
func errTrackingPrefixOverlap(p, other string) string {
	return "ERR Prefix '" + p + "' overlaps with another provided prefix '" + other + "'. Prefixes for a single client must not overlap."
}

// errTrackingPrefixExisting reports a BCAST prefix overlapping one the
// client registered before.
func errTrackingPrefixExisting(p, other string) string {
	return "ERR Prefix '" + p + "' overlaps with an existing prefix '" + other + "'. Prefixes for a single client must not overlap."
}
