#!/usr/bin/env bash
# A throwaway PostgreSQL + PostGIS server for the tests (tests/layers/store/conftest_db.py runs it).
#
#   bash scripts/postgis.sh start [DIR]   # prints the URL, e.g. postgresql://postgres@127.0.0.1:54321/ibasho
#   bash scripts/postgis.sh stop DIR      # stops the server and deletes DIR
#
# start: installs PostgreSQL and PostGIS from Debian if they are missing (root only), creates a
# cluster in DIR (a new temporary folder when omitted) with initdb, starts it on a free port of
# 127.0.0.1 with pg_ctl (trust auth, fsync off: data is thrown away), creates the database
# "ibasho" with `CREATE EXTENSION postgis`, and prints its URL as the only line on stdout.
# Everything else goes to stderr. Exit 3: the binaries are missing and cannot be installed.
set -euo pipefail

command=${1:-}
data_dir=${2:-}
database=ibasho

log() { echo "postgis.sh: $*" >&2; }

# The newest PostgreSQL whose server binaries and PostGIS extension are both installed.
find_bin_dir() {
  local dir version
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    version=$(basename "$(dirname "$dir")")
    if [[ -x $dir/initdb && -f /usr/share/postgresql/$version/extension/postgis.control ]]; then
      echo "$dir"
      return 0
    fi
  done
  return 1
}

install_packages() {
  if [[ $(id -u) -ne 0 ]]; then
    log "PostgreSQL/PostGIS are not installed and this is not root, so they cannot be."
    log "Install them with: sudo apt-get install postgresql postgresql-postgis"
    exit 3
  fi
  log "installing PostgreSQL and PostGIS from Debian"
  apt-get update -qq >&2
  # postgresql-postgis: Debian's metapackage for the PostGIS of its default PostgreSQL
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    postgresql postgresql-postgis >/dev/null
}

# Run a command as the cluster's owner: "postgres" when we are root (initdb refuses root).
as_owner() {
  if [[ $(id -u) -eq 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start() {
  local bin_dir port attempt
  bin_dir=$(find_bin_dir) || { install_packages; bin_dir=$(find_bin_dir); } || {
    log "PostgreSQL with PostGIS is still missing after installing."
    exit 3
  }
  if [[ -z $data_dir ]]; then
    data_dir=$(mktemp -d "${TMPDIR:-/tmp}/ibasho-pg-XXXXXX")
  fi
  mkdir -p "$data_dir"
  if [[ $(id -u) -eq 0 ]]; then
    chown postgres: "$data_dir"
  fi
  chmod 700 "$data_dir"
  as_owner "$bin_dir/initdb" -D "$data_dir/data" -U postgres --auth=trust -E UTF8 \
    --locale=C.UTF-8 >"$data_dir/initdb.log" 2>&1 || {
    cat "$data_dir/initdb.log" >&2
    exit 1
  }
  for attempt in 1 2 3; do  # another process may take the free port before we bind it
    port=$(free_port)
    if as_owner "$bin_dir/pg_ctl" -D "$data_dir/data" -l "$data_dir/server.log" -w -t 60 \
      -o "-p $port -k $data_dir -c listen_addresses=127.0.0.1 -c fsync=off \
          -c synchronous_commit=off -c full_page_writes=off" start >&2; then
      break
    fi
    log "could not start on port $port (attempt $attempt); see $data_dir/server.log"
    [[ $attempt -eq 3 ]] && { tail -n 20 "$data_dir/server.log" >&2; exit 1; }
  done
  echo "$port" >"$data_dir/port"
  as_owner "$bin_dir/psql" -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 \
    -c "CREATE DATABASE $database" >&2
  as_owner "$bin_dir/psql" -q -h 127.0.0.1 -p "$port" -U postgres -d "$database" -v ON_ERROR_STOP=1 \
    -c "CREATE EXTENSION postgis" >&2
  log "PostgreSQL $(basename "$(dirname "$bin_dir")") with PostGIS in $data_dir, port $port"
  log "stop it with: bash $0 stop $data_dir"
  echo "postgresql://postgres@127.0.0.1:$port/$database"
}

stop() {
  local bin_dir
  if [[ -z $data_dir || ! -d $data_dir ]]; then
    log "usage: $0 stop DIR (DIR is the folder given to or printed by start)"
    exit 2
  fi
  if [[ -f $data_dir/data/postmaster.pid ]]; then
    bin_dir=$(find_bin_dir)
    as_owner "$bin_dir/pg_ctl" -D "$data_dir/data" -m fast -w stop >&2 || true
  fi
  if [[ ! -f $data_dir/initdb.log ]]; then  # never delete a folder that start did not make
    log "$data_dir was not made by '$0 start'; left as it is"
    exit 2
  fi
  rm -rf "$data_dir"
}

case $command in
  start) start ;;
  stop) stop ;;
  *)
    log "usage: $0 start [DIR] | $0 stop DIR"
    exit 2
    ;;
esac
