#!/usr/bin/env bash
# clang-tidy (the checks in .clang-tidy) over the Markbridge sources (core, mapping, connectors,
# schedules, bench; the tests are left out: gtest's macros make names of their own) using the
# compile database of ./build (or $BUILD_DIR), $TIDY_JOBS at a time (default: every core).
#
#   scripts/tidy.sh            every source (about 20 minutes of CPU on this machine)
#   scripts/tidy.sh --changed  only the sources changed since the commit in
#                              scripts/tidy-baseline (the last one every source was clean at),
#                              and every source including a changed header: what CI runs
#
# Fails on any finding. A whole run with no finding at all prints the line that records the
# new baseline. Needs a configured build (scripts/build.sh); clang-tidy-14 comes from
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
dirs=(core mapping connectors schedules bench)
files="^$root/(core|mapping|connectors|schedules|bench)/.*\.cpp$"
whole=1
if [ "${1:-}" = "--changed" ]; then
  baseline=$(grep -v '^#' scripts/tidy-baseline | tail -1)
  if ! git rev-parse -q --verify "$baseline^{commit}" >/dev/null 2>&1; then
    echo "tidy: the baseline $baseline is not in this clone's history: every source is tidied"
  elif ! git diff --quiet "$baseline" -- .clang-tidy; then
    echo "tidy: .clang-tidy changed since the baseline $baseline: every source is tidied"
  else
    whole=0
    changed=$( (git diff --name-only "$baseline" -- "${dirs[@]}"
      git ls-files --others --exclude-standard -- "${dirs[@]}") | sort -u)
    sources=$(printf '%s\n' "$changed" | grep -E '\.cpp$' || true)
    # A changed header: every source that includes it, directly or through other headers.
    headers=$(printf '%s\n' "$changed" | grep -E '\.h$' || true)
    seen=""
    while [ -n "$headers" ]; do
      next=""
      for h in $headers; do
        case " $seen " in *" $h "*) continue ;; esac
        seen="$seen $h"
        includers=$(grep -rlF "#include \"$h\"" "${dirs[@]}" 2>/dev/null || true)
        sources="$sources"$'\n'"$(printf '%s\n' "$includers" | grep -E '\.cpp$' || true)"
        next="$next $(printf '%s\n' "$includers" | grep -E '\.h$' || true)"
      done
      headers=$(printf '%s\n' $next | grep -v '^$' || true)
    done
    sources=$(printf '%s\n' "$sources" | grep -E '\.cpp$' | sort -u | while read -r f; do
      [ -f "$f" ] && echo "$f"; done || true)
    if [ -z "$sources" ]; then
      echo "tidy: no source changed since the baseline $baseline"
      exit 0
    fi
    echo "tidy: $(printf '%s\n' "$sources" | wc -l) source(s) changed since the baseline $baseline (or include a changed header)"
    files="^$root/($(printf '%s\n' "$sources" | sed 's/[.]/\\./g' | paste -sd'|'))$"
  fi
fi
# run-clang-tidy exits non-zero when there are findings: the findings decide here, not that.
"$runner" -clang-tidy-binary "$tidy" -p "$build" -j "$jobs" -quiet "$files" >"$out" 2>&1 || true
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
echo "tidy: finished in $(( $(date +%s) - start )) s"
failing=$(printf '%s\n' "$findings" | grep -v '^$' || true)
if [ -n "$failing" ]; then
  echo "tidy: $(printf '%s\n' "$failing" | wc -l) finding(s):"
  printf '%s\n' "$failing"
  exit 1
fi
echo "tidy: no findings"
if [ "$whole" = 1 ] && git diff --quiet HEAD -- "${dirs[@]}" .clang-tidy 2>/dev/null; then
  echo "tidy: every source is clean at $(git rev-parse HEAD); to make it the baseline:"
  echo "  sed -i '\$d' scripts/tidy-baseline && git rev-parse HEAD >> scripts/tidy-baseline"
fi
