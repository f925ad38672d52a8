#!/usr/bin/env bash
# Installs the Debian 12 packages Markbridge needs to build, test and run its demo.
# Idempotent: installs only what is missing, and runs `apt-get update` at most once.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config
  libpoco-dev libpugixml-dev libspdlog-dev libfmt-dev nlohmann-json3-dev
  libgtest-dev libssl-dev libsqlite3-dev libxxhash-dev openssl clang-format
  clang libclang-rt-14-dev
  clang-tidy-14  # scripts/tidy.sh (run-clang-tidy-14 comes with it)
  nginx  # the integration tests put a real nginx (mutual TLS) in front of the sandbox
  systemd  # systemd-analyze: the test suite verifies scripts/systemd/markbridge.service
  libpq-dev  # the PostgreSQL store's client library (libpq)
  postgresql  # the server the tests start a throwaway cluster of (scripts/pg-test-cluster.sh)
  chromium  # the console's browser test drives it headless (tests/console, puppeteer-core)
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
# Node.js and npm run the npm OAuth2 server the tests talk to (tests/peers). Any node >= 18 will
# do; one installed some other way (e.g. nodesource, which bundles npm) is left alone.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  missing+=(nodejs npm)
fi

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages (and node, npm) already installed"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
