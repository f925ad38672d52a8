#!/usr/bin/env bash
# clang-tidy (the checks in .clang-tidy) over every Markbridge source (core, mapping, connectors,
# schedules, bench; the tests are left out: gtest's macros make names of their own) using the
# compile database of ./build (or $BUILD_DIR), $TIDY_JOBS at a time (default: every core).
# Fails on any finding, except in the paths listed in scripts/tidy-pending.txt, whose findings
# are printed as pending. Needs a configured build (scripts/build.sh); clang-tidy-14 comes from
# scripts/install-deps.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
build=${BUILD_DIR:-build}
jobs=${TIDY_JOBS:-$(nproc 2>/dev/null || echo 2)}
runner=$(command -v run-clang-tidy-14 || command -v run-clang-tidy)
tidy=$(command -v clang-tidy-14 || command -v clang-tidy)
root=$(pwd)
out=$(mktemp)
trap 'rm -f "$out"' EXIT
# run-clang-tidy exits non-zero when there are findings: the findings decide here, not that.
"$runner" -clang-tidy-binary "$tidy" -p "$build" -j "$jobs" -quiet \
  "^$root/(core|mapping|connectors|schedules|bench)/.*\.cpp$" >"$out" 2>&1 || true
sed -i 's/\x1b\[[0-9;]*m//g' "$out"  # run-clang-tidy asks for colour: the escapes go
if grep -q "error: .*\[clang-diagnostic-error\]" "$out"; then
  grep "clang-diagnostic-error" "$out" | sort -u
  echo "tidy: clang could not compile a source (above)"
  exit 1
fi
# One line per finding (a header's finding is reported once, not once per file including it).
# A header is seen through its layer's include folder (build/layers/<target>/core/...: see the
# top CMakeLists.txt): it is named by its path in the repository.
findings=$(grep -E "^$root/.*:[0-9]+:[0-9]+: (warning|error): " "$out" |
  sed -e "s|^$root/||" -e "s|^[^:]*/layers/markbridge_[a-z_]*/||" | sort -u || true)
pending_re=$(grep -v '^#' scripts/tidy-pending.txt | grep -v '^$' | sed 's|^|^|' | paste -sd'|')
failing=$(printf '%s\n' "$findings" | grep -Ev "$pending_re" | grep -v '^$' || true)
pending=$(printf '%s\n' "$findings" | grep -E "$pending_re" || true)
if [ -n "$pending" ]; then
  echo "tidy: $(printf '%s\n' "$pending" | wc -l) finding(s) pending in scripts/tidy-pending.txt paths:"
  printf '%s\n' "$pending"
fi
echo "tidy: finished in $(( $(date +%s) - start )) s"
if [ -n "$failing" ]; then
  echo "tidy: $(printf '%s\n' "$failing" | wc -l) finding(s):"
  printf '%s\n' "$failing"
  exit 1
fi
echo "tidy: no findings"
