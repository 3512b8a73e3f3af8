package server

import (
	lua "github.com/yuin/gopher-lua"

	"github.com/embercache/ember/server/lualib"
)

// openLuaLibs opens the libraries Redis ships beside Lua's own (cjson,
// cmsgpack, bit, struct).
func openLuaLibs(L *lua.LState) { lualib.Open(L) }
