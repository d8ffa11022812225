#!/usr/bin/env bash
# vipcore's one entry point for set-up, build, demo and tests.
#
#   ./dev.sh demo [demo options]   install what is missing, build, run the demo
#   ./dev.sh test                  install what is missing, build, run every test
#                                  (plain, then under AddressSanitizer+UBSan,
#                                  then under ThreadSanitizer, then short
#                                  fuzzing runs when clang is installed)
#   ./dev.sh bench [options]       build optimized and run the benchmark
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
    ./build-release/bench/vipcore_bench "$@"
    ;;
  *)
    echo "usage: ./dev.sh demo|test|bench [options]" >&2
    exit 2
    ;;
esac
