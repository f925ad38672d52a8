#!/usr/bin/env bash
# ThreadSanitizer pass over the threaded tests (ctest label `threaded`: the service and its admin
# API, the import writer thread and the evaluation batches of a large sync, the delivery worker
# against the threaded TLS sandbox, the HTTPS client's deadline). Builds only the test binary and
# what it runs (the markbridge binary, the development certificates) in build-tsan, then runs
# those tests; any data race fails the run. Called by scripts/test.sh (MARKBRIDGE_TSAN=0 skips).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ccache.sh
start=$(date +%s)
build=${TSAN_BUILD_DIR:-build-tsan}
jobs=$(nproc 2>/dev/null || echo 2)
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DMARKBRIDGE_WERROR="${MARKBRIDGE_WERROR:-OFF}" -DMARKBRIDGE_THREADED_TESTS_ONLY=ON \
  -DCMAKE_CXX_FLAGS="-fsanitize=thread -fno-omit-frame-pointer" \
  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=thread" >/dev/null
cmake --build "$build" -j "$jobs" --target markbridge_tests
echo "tsan: build finished in $(( $(date +%s) - start )) s"
# halt_on_error: the first race fails the test it happened in (the child markbridge process
# exits 66, which the black-box tests see as a wrong exit code). second_deadlock_stack for
# lock-order reports. The suppressions file names only races inside libraries we do not build.
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 history_size=4 suppressions=$(pwd)/scripts/tsan.supp"
(cd "$build" && ctest -j "$jobs" -L threaded --output-on-failure --timeout 600)
echo "tsan: build and threaded tests finished in $(( $(date +%s) - start )) s"
