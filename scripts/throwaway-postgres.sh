#!/usr/bin/env bash
# A throwaway PostgreSQL server for scripts: a cluster of its own in a directory of its own,
# reached through a Unix socket in that directory (no TCP), as the postgres user when run as
# root (initdb and postgres refuse root). Sourced (after scripts/ensure-deps.sh, which
# installs the server binaries); defines:
#
#   pg_throwaway_start DIR PORT [OPTIONS]  initdb in DIR/data (trust, UTF8, C locale), start on
#                                          DIR/sock with PORT (it names the socket), fsync and
#                                          synchronous_commit off, plus OPTIONS (more postgres
#                                          flags, e.g. "-c max_connections=100"); waits until it
#                                          accepts connections; sets PG_URL (a libpq URL) and
#                                          PG_PSQL (psql's arguments: host, port, user, database)
#   pg_throwaway_restart DIR               pg_ctl restart -m fast; returns once it accepts
#                                          connections again
#   pg_throwaway_stop DIR                  stops it at once (-m immediate) if it runs; for traps
#   pg_throwaway_remove DIR                stops it and removes DIR
#
# Env: PG_CPU, a CPU list for taskset: the server (and every backend) runs there.
# DIR must not exist or be empty; everything the server writes stays in it (server.log too).

PG_BIN="${PG_BIN:-$(pg_config --bindir 2>/dev/null || ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)}"

# The prefix that runs a command as the postgres user when root (empty otherwise).
PG_AS=()
[ "$(id -u)" = 0 ] && PG_AS=(runuser -u postgres --)

# pg_as COMMAND…: runs COMMAND as the postgres user when root, else as the caller.
pg_as() { "${PG_AS[@]}" "$@"; }

pg_throwaway_start() {
  local dir=$1 port=$2 options=${3:-}
  local pin=()
  [ -n "${PG_CPU:-}" ] && pin=(taskset -c "$PG_CPU")
  mkdir -p "$dir/sock"
  chmod 755 "$dir"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$dir" "$dir/sock"
  pg_as "$PG_BIN/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C --no-sync >"$dir/initdb.log" 2>&1 \
    || { echo "initdb failed (see $dir/initdb.log)" >&2; return 1; }
  "${pin[@]}" "${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 -o \
    "-p $port -k $dir/sock -c listen_addresses='' -c fsync=off -c synchronous_commit=off $options" start >/dev/null \
    || { echo "PostgreSQL did not start (see $dir/server.log)" >&2; return 1; }
  PG_URL="postgresql://postgres@/postgres?host=$dir/sock&port=$port"
  PG_PSQL=(-h "$dir/sock" -p "$port" -U postgres -d postgres)
}

pg_throwaway_restart() {
  local dir=$1
  pg_as "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -m fast -w -t 30 restart >/dev/null \
    || { echo "PostgreSQL did not restart (see $dir/server.log)" >&2; return 1; }
}

pg_throwaway_stop() {
  local dir=$1
  [ -f "$dir/data/postmaster.pid" ] || return 0
  pg_as "$PG_BIN/pg_ctl" -D "$dir/data" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
}

pg_throwaway_remove() {
  pg_throwaway_stop "$1"
  rm -rf "$1"
}
