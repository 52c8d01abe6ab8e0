# Sourced by the Redis benchmarks (redis-script-cost.sh, line-memory.sh): a private redis-server on
# $PORT that keeps nothing and stops with the script, and the Lua scripts as the engine sends them.
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LUA="$HERE/server/src/main/resources/lua"
redis-server --port "$PORT" --bind 127.0.0.1 --daemonize yes --save "" --appendonly no --logfile /dev/null
trap 'redis-cli -p "$PORT" shutdown nosave >/dev/null 2>&1 || true' EXIT
sleep 0.5
# As infra/LuaScript sends a script: lib/prelude.lua first, each "--#include NAME" replaced by lib/NAME.lua.
expand() {
  { echo "--#include prelude"; cat "$LUA/$1.lua"; } |
    awk -v lib="$LUA/lib" '/^--#include [a-z_]+$/ { f = lib "/" $2 ".lua"; while ((getline l < f) > 0) print l; close(f); next } { print }'
}
