#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan + leak checks) and runs each for
# MARKBRIDGE_FUZZ_SECONDS (default 30), seeded with the fixtures. Fails on any crash or leak.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${MARKBRIDGE_FUZZ_SECONDS:-30}"
source scripts/ccache.sh
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DMARKBRIDGE_FUZZ=ON -DMARKBRIDGE_TESTS=OFF -DMARKBRIDGE_WERROR="${MARKBRIDGE_WERROR:-OFF}" \
  >/dev/null
cmake --build build-fuzz --target fuzz_csv fuzz_ctf fuzz_census fuzz_mis_page fuzz_sims_reporter
# Every seed input once (the `fuzz` label), then each target fuzzed for $seconds.
(cd build-fuzz && ctest -L fuzz --output-on-failure)
run() {
  local target=$1; shift
  local corpus="build-fuzz/corpus/$target"
  mkdir -p "$corpus"
  echo "fuzz: $target for ${seconds}s"
  "build-fuzz/tests/fuzz/$target" -max_total_time="$seconds" -detect_leaks=1 -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 "$corpus" "$@" 2>&1 | tail -n 6
  test "${PIPESTATUS[0]}" -eq 0
}
run fuzz_csv tests/fixtures/sims_csv tests/fixtures/sims_grid tests/fixtures/classcharts
run fuzz_ctf tests/fixtures/ctf
run fuzz_census tests/fixtures/census
run fuzz_mis_page tests/fixtures/mis_rest
run fuzz_sims_reporter tests/fixtures/sims_reporter
