#!/usr/bin/env bash
# Installs vipcore from a build tree into a temporary prefix, then builds and
# runs small consumers against it: with find_package (shared and static) and
# with pkg-config (C). Also checks that the shared library exports nothing but
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

# Only vipcore_* (C API) and vipcore:: (C++ API) symbols are exported.
foreign=$(nm -D --defined-only -C "$lib" | cut -d' ' -f3- |
  grep -vE '^(vipcore_|vipcore::|typeinfo for vipcore::|typeinfo name for vipcore::|vtable for vipcore::)' || true)
if [ -n "$foreign" ]; then
  echo "libvipcore.so exports symbols that are not vipcore's:"
  echo "$foreign" | head -20
  exit 1
fi
echo "exported symbols: $(nm -D --defined-only "$lib" | grep -c ' vipcore_') C, $(nm -D --defined-only -C "$lib" | grep -c 'vipcore::') C++"

# find_package
cmake -S "$consumer" -B "$work/consumer" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$work/consumer" -j2 >/dev/null
"$work/consumer/consumer_cpp"
"$work/consumer/consumer_static"
"$work/consumer/consumer_c"

# pkg-config
export PKG_CONFIG_PATH
PKG_CONFIG_PATH=$(dirname "$(find "$prefix" -name vipcore.pc)")
flags=$(pkg-config --cflags --libs vipcore)
cc -std=c99 -Wall -Wextra -Wpedantic -Werror "$consumer/consumer.c" -o "$work/consumer_pc" $flags
LD_LIBRARY_PATH=$(dirname "$lib") "$work/consumer_pc"
echo "install and consume: ok"
