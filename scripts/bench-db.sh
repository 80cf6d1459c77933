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

source scripts/throwaway-postgres.sh
PGPORT="${PGPORT:-54391}"
PGDIR="$(mktemp -d /tmp/bench-db-XXXXXX)"
CLIENT_PIN=()
if [ "${PIN:-0}" = 1 ]; then PG_CPU=0; CLIENT_PIN=(taskset -c 1); fi

trap 'pg_throwaway_remove "$PGDIR"' EXIT

echo "building pg-benchmark (release)…" >&2
swift build -c release --product pg-benchmark >&2

pg_throwaway_start "$PGDIR" "$PGPORT" "-c max_connections=100"
URL="$PG_URL"

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
