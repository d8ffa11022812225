#!/usr/bin/env bash
# vipcore's one entry point for set-up, build, demo and tests.
#
#   ./dev.sh demo [demo options]   install what is missing, build, run the demo
#   ./dev.sh test                  install what is missing, build, run every test
#                                  (plain, then under AddressSanitizer+UBSan,
#                                  then under ThreadSanitizer, then short
#                                  fuzzing runs when clang is installed)
#   ./dev.sh bench [options]       build optimized and run the benchmark
#   ./dev.sh bench --postgres [options]
#                                  the same, PostgreSQL figures only, on a
#                                  throwaway PostgreSQL 15 server started for
#                                  the run (temporary directory, Unix socket
#                                  only) and stopped after it, even on failure
#
# Missing Debian packages are installed with apt-get (through sudo when not
# root); when everything is present nothing is installed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

PACKAGES=(g++ gcc make cmake pkg-config git sqlite3 libsqlite3-dev libsodium-dev libfmt-dev doctest-dev
          libhowardhinnant-date-dev tzdata libcli11-dev nlohmann-json3-dev libcsv-dev
          libphonenumber-dev libprotobuf-dev
          postgresql libpq-dev
          lua5.1 liblua5.1-0-dev lua5.4 liblua5.4-dev luajit lua-busted kamailio kamailio-lua-modules sip-tester python3 valgrind
          libmicrohttpd-dev libjs-chart.js chromium curl openssl)
JOBS=$(nproc 2>/dev/null || echo 2)

install_missing() {
  local missing=() p
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  ((${#missing[@]} == 0)) && return 0
  echo "==> installing missing Debian packages: ${missing[*]}"
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then sudo=(sudo); fi
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# build <dir> [cmake options...]
build() {
  local dir=$1
  shift
  echo "==> building in $dir"
  cmake -S . -B "$dir" -DVIPCORE_WERROR=ON "$@" >/dev/null
  cmake --build "$dir" -j"$JOBS"
}

# A throwaway PostgreSQL server, as the tests start one (tests/postgres_server.cpp):
# initdb + postgres in a temporary directory, Unix socket only, durability off
# (a benchmark's data is thrown away), run as the `postgres` user when root.
PG_BIN=${VIPCORE_PG_BIN:-/usr/lib/postgresql/15/bin}
PG_DIR=
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
pg_start() {
  PG_DIR=$(mktemp -d /tmp/vipcore-pgbench-XXXXXX)
  if [ "$(id -u)" -eq 0 ]; then chown postgres: "$PG_DIR"; fi
  echo "==> starting a throwaway PostgreSQL server in $PG_DIR"
  as_pg "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres -A trust -E UTF8 --locale=C --no-sync --no-instructions \
    >"$PG_DIR/initdb.log" 2>&1 || { cat "$PG_DIR/initdb.log" >&2; return 1; }
  as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/postgres.log" -w -t 60 \
    -o "-k $PG_DIR -p 5432 -c listen_addresses= -F -c full_page_writes=off -c synchronous_commit=off \
        -c shared_buffers=1GB -c max_wal_size=8GB -c max_connections=100" start >/dev/null
}
pg_stop() {
  [ -n "$PG_DIR" ] || return 0
  as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$PG_DIR"
  PG_DIR=
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case "$cmd" in
  demo)
    install_missing
    build build -DCMAKE_BUILD_TYPE=RelWithDebInfo
    ./build/examples/vipcore_demo "$@"
    ;;
  test)
    install_missing
    build build -DCMAKE_BUILD_TYPE=RelWithDebInfo
    ctest --test-dir build --output-on-failure -j"$JOBS"
    build build-asan -DCMAKE_BUILD_TYPE=Debug -DVIPCORE_SANITIZE=address,undefined -DVIPCORE_BUILD_BENCH=OFF
    ASAN_OPTIONS=detect_leaks=1 ctest --test-dir build-asan --output-on-failure -j"$JOBS"
    build build-tsan -DCMAKE_BUILD_TYPE=Debug -DVIPCORE_SANITIZE=thread -DVIPCORE_BUILD_BENCH=OFF \
      -DVIPCORE_BUILD_EXAMPLES=OFF
    TSAN_OPTIONS=halt_on_error=1 ctest --test-dir build-tsan --output-on-failure -j"$JOBS"
    if command -v clang++ >/dev/null 2>&1; then  # short libFuzzer runs of tests/fuzz (without clang: replayed above)
      CC=clang CXX=clang++ build build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVIPCORE_FUZZ=ON \
        -DVIPCORE_SANITIZE=address,undefined -DVIPCORE_BUILD_TESTS=OFF -DVIPCORE_BUILD_TOOLS=OFF \
        -DVIPCORE_BUILD_EXAMPLES=OFF -DVIPCORE_BUILD_BENCH=OFF -DVIPCORE_BUILD_LUA=OFF
      ctest --test-dir build-fuzz --output-on-failure -j"$JOBS"
    fi
    echo "==> all tests passed"
    ;;
  bench)
    install_missing
    build build-release -DCMAKE_BUILD_TYPE=Release -DVIPCORE_BUILD_TESTS=OFF
    if [ "${1:-}" = --postgres ]; then
      shift
      trap pg_stop EXIT
      pg_start
      ./build-release/bench/vipcore_bench --postgres "host=$PG_DIR port=5432 dbname=postgres user=postgres" "$@"
    else
      ./build-release/bench/vipcore_bench "$@"
    fi
    ;;
  *)
    echo "usage: ./dev.sh demo|test|bench [options]" >&2
    exit 2
    ;;
esac
