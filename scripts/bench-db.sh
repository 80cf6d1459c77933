#!/usr/bin/env bash
# Database benchmark: PostgresPool from N back threads vs pgbench -M prepared running the same
# single-row SELECT with the same number of connections on the same throwaway server, plus a
# 20-query batch with and without pipeline mode. Prints Markdown tables.
#
# usage: scripts/bench-db.sh [threads (default 4)] [seconds (default 10)]
# env:   PIN=1 pins the server to CPU 0 and the clients to CPU 1 with taskset.
set -euo pipefail
THREADS="${1:-4}"
SECONDS_PER_RUN="${2:-10}"
cd "$(dirname "$0")/.."

PGBIN="${PGBIN:-$(pg_config --bindir 2>/dev/null || ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)}"
PGPORT="${PGPORT:-54391}"
PGDIR="$(mktemp -d /tmp/bench-db-XXXXXX)"
chmod 755 "$PGDIR"
if [ "$(id -u)" = 0 ]; then AS=(runuser -u postgres --); chown postgres:postgres "$PGDIR"; else AS=(); fi
SERVER_PIN=(); CLIENT_PIN=()
if [ "${PIN:-0}" = 1 ]; then SERVER_PIN=(taskset -c 0); CLIENT_PIN=(taskset -c 1); fi

cleanup() {
  if [ -f "$PGDIR/data/postmaster.pid" ]; then "${AS[@]}" "$PGBIN/pg_ctl" -D "$PGDIR/data" -m immediate -w stop >/dev/null 2>&1 || true; fi
  rm -rf "$PGDIR"
}
trap cleanup EXIT

echo "building pg-benchmark (release)…" >&2
swift build -c release --product pg-benchmark >&2

"${AS[@]}" "$PGBIN/initdb" -D "$PGDIR/data" -U postgres -A trust -E UTF8 --locale=C --no-sync >"$PGDIR/initdb.log" 2>&1
mkdir -p "$PGDIR/sock"
if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$PGDIR/sock"; fi
"${AS[@]}" "${SERVER_PIN[@]}" "$PGBIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/server.log" -w -t 30 -o \
  "-p $PGPORT -k $PGDIR/sock -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c max_connections=100" start >/dev/null
URL="postgresql://postgres@/postgres?host=$PGDIR/sock&port=$PGPORT"

psql -q -h "$PGDIR/sock" -p "$PGPORT" -U postgres postgres <<'SQL'
CREATE TABLE IF NOT EXISTS world (id integer PRIMARY KEY, randomnumber integer NOT NULL);
INSERT INTO world SELECT i, (random() * 10000)::int + 1 FROM generate_series(1, 10000) i ON CONFLICT DO NOTHING;
ANALYZE world;
SQL

cat >"$PGDIR/select.sql" <<'SQL'
\set id random(1, 10000)
SELECT id, randomnumber FROM world WHERE id = :id;
SQL
chmod 644 "$PGDIR/select.sql"
echo "pgbench -M prepared -c $THREADS -j $THREADS -T $SECONDS_PER_RUN…" >&2
"${CLIENT_PIN[@]}" pgbench -n -M prepared -c "$THREADS" -j "$THREADS" -T 1 -f "$PGDIR/select.sql" \
  -h "$PGDIR/sock" -p "$PGPORT" -U postgres postgres >/dev/null 2>&1  # warm-up
TPS="$("${CLIENT_PIN[@]}" pgbench -n -M prepared -c "$THREADS" -j "$THREADS" -T "$SECONDS_PER_RUN" -f "$PGDIR/select.sql" \
  -h "$PGDIR/sock" -p "$PGPORT" -U postgres postgres 2>/dev/null | sed -n 's/^tps = \([0-9.]*\).*/\1/p' | tail -1)"

echo "pg-benchmark --threads $THREADS --seconds $SECONDS_PER_RUN…" >&2
"${CLIENT_PIN[@]}" .build/release/pg-benchmark --url "$URL" --threads "$THREADS" --seconds "$SECONDS_PER_RUN" --pgbench-tps "$TPS" ${BENCH_ARGS:-}
