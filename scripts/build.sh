#!/usr/bin/env bash
# Installs what is missing, then configures and builds Markbridge into ./build (or $BUILD_DIR).
# MARKBRIDGE_WERROR=ON makes compiler warnings errors (scripts/test.sh, so CI, sets it).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
source scripts/ccache.sh
build=${BUILD_DIR:-build}
jobs=$(nproc 2>/dev/null || echo 2)
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=${BUILD_TYPE:-RelWithDebInfo} \
  -DMARKBRIDGE_WERROR="${MARKBRIDGE_WERROR:-OFF}" >/dev/null
cmake --build "$build" -j "$jobs"
