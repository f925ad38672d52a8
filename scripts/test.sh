#!/usr/bin/env bash
# Installs what is missing, builds with warnings as errors, checks formatting and runs the whole
# test suite; runs clang-tidy over what changed since scripts/tidy-baseline (MARKBRIDGE_TIDY,
# below); builds the threaded tests with ThreadSanitizer and runs them (scripts/tsan.sh); builds
# again with AddressSanitizer and UndefinedBehaviorSanitizer and runs the suite once more. Last, each parser's libFuzzer target
# runs for 30 s (scripts/fuzz.sh). MARKBRIDGE_TSAN=0, MARKBRIDGE_SANITIZERS=0 and
# MARKBRIDGE_FUZZ=0 skip those passes (quicker while developing).
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
source scripts/ccache.sh
# CI's builds treat compiler warnings as errors (a developer's own scripts/build.sh only warns).
export MARKBRIDGE_WERROR=ON
bash scripts/build.sh
# The npm servers the integration tests run (tests/peers), installed exactly from the lockfile
# when missing or when the lockfile changed.
if [ ! -f tests/peers/node_modules/.package-lock.json ] ||
  [ tests/peers/package-lock.json -nt tests/peers/node_modules/.package-lock.json ]; then
  npm ci --prefix tests/peers --no-audit --no-fund
fi
build=${BUILD_DIR:-build}
jobs=$(nproc 2>/dev/null || echo 2)
cmake --build "$build" --target format-check
echo "build finished in $(( $(date +%s) - start )) s"
# A throwaway PostgreSQL for the PostgreSQL store's tests (MARKBRIDGE_TEST_POSTGRES), stopped and
# deleted when this script ends, however it ends. Without it those tests are skipped, saying so.
# The sanitizer passes below run their store tests on it too.
cluster=$(bash scripts/pg-test-cluster.sh start)
eval "$cluster"
trap 'bash scripts/pg-test-cluster.sh stop "$MARKBRIDGE_TEST_POSTGRES_DIR"' EXIT
(cd "$build" && ctest -j "$jobs" --output-on-failure --timeout 300)
echo "build and tests finished in $(( $(date +%s) - start )) s"

# clang-tidy: changed (the default, what CI runs) = what changed since the clean commit
# recorded in scripts/tidy-baseline, all = every source (about 20 minutes of CPU), 0 = none.
case "${MARKBRIDGE_TIDY:-changed}" in
  0) ;;
  all) BUILD_DIR="$build" bash scripts/tidy.sh ;;
  *) BUILD_DIR="$build" bash scripts/tidy.sh --changed ;;
esac
echo "clang-tidy finished in $(( $(date +%s) - start )) s"

if [ "${MARKBRIDGE_TSAN:-1}" != "0" ]; then
  bash scripts/tsan.sh
  echo "thread sanitizer build and tests finished in $(( $(date +%s) - start )) s"
fi

if [ "${MARKBRIDGE_SANITIZERS:-1}" != "0" ]; then
  sanitized=${build}-sanitizers
  # Every UndefinedBehaviorSanitizer check but two: a pointer's alignment and nullness
  # (-fno-sanitize=alignment,null), checked at every memory access, each check with static data
  # that AddressSanitizer pads and registers at every start. They made the test binary's data
  # 310 MB and each of the 800 tests' processes start in 0.85 s (0.29 s without: the sanitized
  # tests took 471 s instead of 958 s on two cores). A null pointer read still stops a test
  # (AddressSanitizer reports the SEGV with its stack), and x86-64 reads misaligned data as any
  # other; every other check (overflow, shifts, bounds, enums, vptr...) stays.
  flags="-fsanitize=address,undefined -fno-sanitize=alignment,null -fno-omit-frame-pointer \
-fno-sanitize-recover=undefined"
  # Line tables (-g1) name every frame of a sanitizer's report, for less compile time than -g.
  # Linked at a fixed address (-no-pie): the sanitized test binary's 11 million relocations
  # (UndefinedBehaviorSanitizer's data for each check) were applied at every start, 2.6 s of
  # each of the 800 tests' own process; without them a start takes under 1 s.
  cmake -S . -B "$sanitized" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS="$flags" \
    -DCMAKE_CXX_FLAGS_DEBUG=-g1 \
    -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined -no-pie" -DMARKBRIDGE_WERROR=ON >/dev/null
  cmake --build "$sanitized" -j "$jobs"
  (cd "$sanitized" && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest -j "$jobs" --output-on-failure --timeout 300)
  echo "sanitizer build and tests finished in $(( $(date +%s) - start )) s"
fi

if [ "${MARKBRIDGE_FUZZ:-1}" != "0" ]; then
  bash scripts/fuzz.sh
  echo "fuzzing finished in $(( $(date +%s) - start )) s"
fi

# Small benchmarks prove the benchmarks still run (their figures are not a test).
"$build/bench/markbridge-bench" ingest --pupils 200 --sessions 38
"$build/bench/markbridge-bench" rules --pupils 200 --sessions 38
"$build/bench/markbridge-bench" delivery --events 200
"$build/bench/markbridge-bench" trust --schools 3 --pupils-per-school 50 --sessions 48 \
  --workers 1,2 --postgres "$MARKBRIDGE_TEST_POSTGRES"
