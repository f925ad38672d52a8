#!/usr/bin/env bash
# Installs what is missing, builds, checks formatting and runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
bash scripts/build.sh
build=${BUILD_DIR:-build}
cmake --build "$build" --target format-check
echo "build finished in $(( $(date +%s) - start )) s"
cd "$build"
ctest -j "$(nproc 2>/dev/null || echo 2)" --output-on-failure --timeout 300
echo "build and tests finished in $(( $(date +%s) - start )) s"
