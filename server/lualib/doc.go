// Package lualib provides, for the gopher-lua VM, the Lua libraries Redis
// 7.0 gives every script: cjson (Lua CJSON 2.1.0), cmsgpack (lua-cmsgpack
// 0.4.0), bit (LuaBitOp 1.0.2) and struct (Roberto Ierusalimschy's struct).
//
// Scripts written for Redis depend on these libraries' exact bytes: a
// cjson.encode result is compared or stored, a cmsgpack.pack result is
// decoded by a client's msgpack library, a struct.pack layout is read by
// another program. So each function here reproduces its C original as built
// into redis-server 7.0 on x86-64, including the corners: C's "%.14g"
// number text, lua-cjson's strtod-based and lenient number parsing and its
// error messages with character positions, cmsgpack's choice between
// integer, float32 and float64 encodings, LuaBitOp's conversion of numbers
// through the bits of a double, the C integer conversions struct applies to
// out-of-range numbers, and the argument-error text of Lua 5.1's auxiliary
// library. testdata/scripts.txt holds the answers redis-server gave, and the
// tests hold this package to them.
//
// What cannot match: C Lua names a function in "bad argument" errors after
// its call site (a local alias shows the alias); here a Lua caller always
// sees the library's name for it (and a direct pcall "?", as in C Lua). cjson.encode and cmsgpack.pack write a table's
// non-array keys in the VM's iteration order, which for gopher-lua is
// insertion order and for C Lua is hash order. The package imports only
// gopher-lua and the standard library.
package lualib
