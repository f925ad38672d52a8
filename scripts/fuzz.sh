#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan + leak checks) and runs each for
# MARKBRIDGE_FUZZ_SECONDS (default 30), as many at a time as there are cores, seeded with the
# fixtures. Fails on any crash or leak.
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
  "build-fuzz/tests/fuzz/$target" -max_total_time="$seconds" -detect_leaks=1 -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 "$corpus" "$@" 2>&1 | tail -n 6
  test "${PIPESTATUS[0]}" -eq 0
}
# As many targets at a time as there are cores (each is one process), each one's last lines
# printed when it ends; any that crashed or leaked fails the whole.
targets=("fuzz_csv tests/fixtures/sims_csv tests/fixtures/sims_grid tests/fixtures/classcharts"
  "fuzz_ctf tests/fixtures/ctf" "fuzz_census tests/fixtures/census"
  "fuzz_mis_page tests/fixtures/mis_rest" "fuzz_sims_reporter tests/fixtures/sims_reporter")
at_once=$(nproc 2>/dev/null || echo 2)
failed=0
running=()
finish() {
  local pid=$1 name=$2
  wait "$pid" || { echo "fuzz: $name FAILED"; failed=1; }
  echo "fuzz: $name for ${seconds}s"
  cat "build-fuzz/$name.log"
}
for spec in "${targets[@]}"; do
  name=${spec%% *}
  # shellcheck disable=SC2086  # the target and its seed folders, one word each
  run $spec >"build-fuzz/$name.log" 2>&1 &
  running+=("$! $name")
  if [ "${#running[@]}" -ge "$at_once" ]; then
    finish ${running[0]}
    running=("${running[@]:1}")
  fi
done
for job in "${running[@]}"; do finish $job; done
exit "$failed"
