#!/usr/bin/env bash
# Installs vipcore from a build tree into a temporary prefix, then builds and
# runs small consumers against it: with find_package (vipcore::vipcore with
# BUILD_SHARED_LIBS on and off, and vipcore::vipcore_static) and with
# pkg-config (C), among them a storage backend that runs the installed
# conformance suite. Also checks that the shared library exports nothing but
# vipcore's own symbols.
#
#   check_install.sh <build dir> <source dir of the consumer project>
set -euo pipefail
build=$1
consumer=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix

cmake --install "$build" --prefix "$prefix" >/dev/null
lib=$(find "$prefix" -name 'libvipcore.so.*.*.*' | head -n 1)
[ -n "$lib" ] || { echo "no libvipcore.so installed"; exit 1; }
[ -f "$(dirname "$lib")/libvipcore.a" ] || { echo "no libvipcore.a installed"; exit 1; }
readelf -d "$lib" | grep -q 'SONAME.*libvipcore\.so\.[0-9]' || { echo "no SONAME with the major version"; exit 1; }

# The Lua modules built go into their Lua's C module directory under the
# prefix, load from there, and export nothing but luaopen_vipcore.
for v in 5.1 5.4; do
  [ -f "$build/lua/$v/vipcore.so" ] || continue
  mod=$(find "$prefix" -path "*/lua/$v/vipcore.so" | head -n 1)
  [ -n "$mod" ] || { echo "the Lua $v module was not installed under lib/.../lua/$v"; exit 1; }
  if command -v "lua$v" >/dev/null; then
    LUA_CPATH="$(dirname "$mod")/?.so" "lua$v" -e 'assert(require("vipcore").version)' ||
      { echo "the installed Lua $v module does not load"; exit 1; }
  fi
  exports=$(nm -D --defined-only "$mod" | awk '$2 ~ /^[TDB]$/ {print $3}' | grep -v '^luaopen_vipcore$' || true)
  [ -z "$exports" ] || { echo "the Lua $v module exports more than luaopen_vipcore:"; echo "$exports" | head; exit 1; }
done

# Only vipcore_* (C API) and vipcore:: (C++ API) symbols are exported.
foreign=$(nm -D --defined-only -C "$lib" | cut -d' ' -f3- |
  grep -vE '^(vipcore_|vipcore::|typeinfo for vipcore::|typeinfo name for vipcore::|vtable for vipcore::)' || true)
if [ -n "$foreign" ]; then
  echo "libvipcore.so exports symbols that are not vipcore's:"
  echo "$foreign" | head -20
  exit 1
fi
echo "exported symbols: $(nm -D --defined-only "$lib" | grep -c ' vipcore_') C, $(nm -D --defined-only -C "$lib" | grep -c 'vipcore::') C++"

# vipcore::vipcore is the shared library when BUILD_SHARED_LIBS is on and the
# static one when it is off: in vipcore's build tree (whose programs link it)
# and once installed, in a project that finds the package.
links_shared() { readelf -d "$1" | grep -q 'NEEDED.*libvipcore\.so'; }
expect_library() {  # expect_library <program> <ON|OFF> <where>
  if [ "$2" = ON ] && ! links_shared "$1"; then
    echo "$3: BUILD_SHARED_LIBS=ON, but $(basename "$1") did not link vipcore's shared library"; exit 1
  fi
  if [ "$2" = OFF ] && links_shared "$1"; then
    echo "$3: BUILD_SHARED_LIBS=OFF, but $(basename "$1") links vipcore's shared library"; exit 1
  fi
}
tree_shared=OFF
if grep -qiE '^BUILD_SHARED_LIBS:BOOL=(ON|TRUE|YES|1)$' "$build/CMakeCache.txt"; then tree_shared=ON; fi
expect_library "$build/tests/vipcore_tests" "$tree_shared" "build tree"

# find_package, with BUILD_SHARED_LIBS on and off
for shared in ON OFF; do
  cmake -S "$consumer" -B "$work/consumer-$shared" -DCMAKE_PREFIX_PATH="$prefix" -DBUILD_SHARED_LIBS=$shared >/dev/null
  cmake --build "$work/consumer-$shared" -j2 >/dev/null
  "$work/consumer-$shared/consumer_cpp"
  "$work/consumer-$shared/consumer_static"
  "$work/consumer-$shared/consumer_c"
  "$work/consumer-$shared/consumer_backend"  # the storage conformance suite, out of tree
  expect_library "$work/consumer-$shared/consumer_cpp" $shared "installed"
  expect_library "$work/consumer-$shared/consumer_c" $shared "installed"
  expect_library "$work/consumer-$shared/consumer_static" OFF "installed (vipcore::vipcore_static)"
done

# pkg-config
export PKG_CONFIG_PATH
PKG_CONFIG_PATH=$(dirname "$(find "$prefix" -name vipcore.pc)")
flags=$(pkg-config --cflags --libs vipcore)
cc -std=c99 -Wall -Wextra -Wpedantic -Werror "$consumer/consumer.c" -o "$work/consumer_pc" $flags
LD_LIBRARY_PATH=$(dirname "$lib") "$work/consumer_pc"
echo "install and consume: ok"
