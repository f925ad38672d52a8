#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests (the PostgreSQL store's contract tests).
#
#   eval "$(scripts/pg-test-cluster.sh start)"   # prints the two export lines below
#   ... MARKBRIDGE_TEST_POSTGRES=postgresql://markbridge:...@127.0.0.1:PORT/postgres ...
#   scripts/pg-test-cluster.sh stop "$MARKBRIDGE_TEST_POSTGRES_DIR"
#   scripts/pg-test-cluster.sh restart DIR       # the same cluster stopped and started again
#   scripts/pg-test-cluster.sh pause DIR         # its server stopped, the cluster kept (restart)
#
# `start` runs initdb in a new temporary directory (a random password, scram-sha-256), starts
# postgres bound to 127.0.0.1 on a free port with its unix socket in that directory, waits until
# it accepts connections and prints MARKBRIDGE_TEST_POSTGRES (the URI the tests connect to) and
# MARKBRIDGE_TEST_POSTGRES_DIR. `stop DIR` stops that cluster and deletes the directory.
# PostgreSQL refuses to run as root: as root (CI) the cluster runs as the `postgres` user the
# Debian package creates (runuser). Durability is off (fsync, full_page_writes): it is thrown away.
# Needs Debian's postgresql (server) package: scripts/install-deps.sh installs it.
set -euo pipefail

find_bin() {
  local name=$1
  if command -v "$name" >/dev/null 2>&1; then
    command -v "$name"
    return
  fi
  local found
  found=$(ls -d /usr/lib/postgresql/*/bin/"$name" 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -z "$found" ]; then
    echo "pg-test-cluster: $name not found: install Debian's postgresql package" \
      "(scripts/install-deps.sh)" >&2
    exit 1
  fi
  echo "$found"
}

# Runs a command as the cluster's owner: ourselves, or `postgres` when we are root.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start() {
  local initdb pg_ctl dir port password
  initdb=$(find_bin initdb)
  pg_ctl=$(find_bin pg_ctl)
  dir=$(mktemp -d "${TMPDIR:-/tmp}/markbridge-pg.XXXXXX")
  chmod 700 "$dir"
  if [ "$(id -u)" -eq 0 ]; then
    if ! id postgres >/dev/null 2>&1; then
      echo "pg-test-cluster: running as root needs the postgres user (Debian's postgresql" \
        "package creates it)" >&2
      exit 1
    fi
    chown postgres: "$dir"
  fi
  password=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
  printf '%s\n' "$password" >"$dir/pwfile"
  [ "$(id -u)" -eq 0 ] && chown postgres: "$dir/pwfile"
  as_owner "$initdb" -D "$dir/data" -U markbridge --pwfile="$dir/pwfile" -A scram-sha-256 \
    -E UTF8 --no-locale --no-sync >"$dir/initdb.log" 2>&1 || {
    cat "$dir/initdb.log" >&2
    exit 1
  }
  rm -f "$dir/pwfile"
  # A port found free can be taken before postgres binds it: try a few.
  for _ in 1 2 3 4 5; do
    port=$(free_port)
    if as_owner "$pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 start \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c full_page_writes=off \
-c synchronous_commit=off -c max_connections=100" >/dev/null; then
      echo "export MARKBRIDGE_TEST_POSTGRES=postgresql://markbridge:$password@127.0.0.1:$port/postgres"
      echo "export MARKBRIDGE_TEST_POSTGRES_DIR=$dir"
      echo "pg-test-cluster: PostgreSQL on 127.0.0.1:$port, in $dir" >&2
      return
    fi
  done
  echo "pg-test-cluster: postgres did not start; its log:" >&2
  cat "$dir/postgres.log" >&2
  exit 1
}

# Refuses anything but a directory `start` made (stop deletes it).
cluster_dir() {
  case "${2:-}" in
    "${TMPDIR:-/tmp}"/markbridge-pg.*) ;;
    *)
      echo "pg-test-cluster: $1 needs the directory start printed (MARKBRIDGE_TEST_POSTGRES_DIR)" >&2
      exit 2
      ;;
  esac
}

stop() {
  local dir=${1:-}
  cluster_dir stop "$dir"
  [ -d "$dir" ] || return 0
  if [ -f "$dir/data/postmaster.pid" ]; then
    as_owner "$(find_bin pg_ctl)" -D "$dir/data" -m fast -w stop >/dev/null || true
  fi
  rm -rf "$dir"
  echo "pg-test-cluster: stopped and removed $dir" >&2
}

# Stops the cluster in DIR and starts it again, on the same port with the same settings (a test
# that shows what a server restart does to running workers).
restart() {
  local dir=${1:-}
  cluster_dir restart "$dir"
  as_owner "$(find_bin pg_ctl)" -D "$dir/data" -l "$dir/postgres.log" -m fast -w -t 60 \
    restart >/dev/null
}

# Stops the server of the cluster in DIR and keeps the cluster (a test of workers started while
# the database is down); `restart DIR` starts it again.
pause() {
  local dir=${1:-}
  cluster_dir pause "$dir"
  as_owner "$(find_bin pg_ctl)" -D "$dir/data" -m fast -w stop >/dev/null
}

case "${1:-}" in
  start) start ;;
  stop) stop "${2:-}" ;;
  restart) restart "${2:-}" ;;
  pause) pause "${2:-}" ;;
  *)
    echo "usage: $0 start | stop DIR | restart DIR | pause DIR" >&2
    exit 2
    ;;
esac
