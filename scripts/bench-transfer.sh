#!/usr/bin/env bash
# Bulk data through the Bookstore, against psql, in one run on one throwaway PostgreSQL:
#   upload   POST /books/import (text/csv streamed into COPY … FROM STDIN)   vs  psql \copy … FROM
#   download GET /books/export.csv (COPY … TO STDOUT streamed to the client) vs  psql \copy … TO
# with the server's resident memory (VmRSS when idle, VmHWM after each transfer).
# The server runs pinned to CPU 1, PostgreSQL, curl and psql to CPU 0.
#
# Usage: scripts/bench-transfer.sh            (ROWS=10000000: about 1 GB of CSV)
# Env: ROWS, PORT (18500), SKIP_BUILD=1, RUNS (1: transfers per side; the median is reported)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure-deps.sh
source scripts/throwaway-postgres.sh

ROWS="${ROWS:-10000000}"
PORT="${PORT:-18500}"
RUNS="${RUNS:-1}"
WORK="$(mktemp -d /tmp/brigade-transfer-XXXXXX)"
chmod 755 "$WORK"
SERVER_PID=""
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null || true
  pg_throwaway_remove "$WORK/pg"
  rm -rf "$WORK"
}
trap cleanup EXIT

[ "${SKIP_BUILD:-}" = 1 ] || swift build -c release --product bookstore
PG_CPU=0 pg_throwaway_start "$WORK/pg" $((PORT + 5))
psql_() { taskset -c 0 psql -X -q -v ON_ERROR_STOP=1 "${PG_PSQL[@]}" "$@"; }

# The Bookstore applies the migrations at start.
taskset -c 1 .build/release/bookstore --server-port "$PORT" --database-url "$PG_URL" --log-level warning \
  > "$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 300); do
  curl -fsS -m 2 "localhost:$((PORT + 1))/ready" >/dev/null 2>&1 && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log"; exit 1; }
  sleep 0.1
done
AUTHOR=$(curl -fsS -m 5 "localhost:$PORT/authors" -H 'content-type: application/json' -d '{"name":"Bulk"}' | sed 's/.*"id":\([0-9]*\).*/\1/')

echo "generating $ROWS rows of CSV…"
CSV="$WORK/books.csv"
awk -v rows="$ROWS" -v author="$AUTHOR" 'BEGIN {
  print "title,isbn,authorId,publishedYear,price"
  pad = "a title long enough to make a row of about one hundred bytes"
  for (i = 1; i <= rows; i++) printf "Book %09d, %s,978%010d,%d,%d,%d.%02d\n", i, pad, i, author, 1900 + i % 120, i % 100, i % 100
}' | sed 's/^\(Book [0-9]*\), /"\1, /; s/bytes,978/bytes",978/' > "$CSV"
SIZE=$(stat -c %s "$CSV")
MIB=$(awk -v b="$SIZE" 'BEGIN { printf "%.0f", b / 1048576 }')
echo "CSV: $MIB MiB"

kb() { awk -v f="$1" '$1 == f":" { print $2 }' "/proc/$SERVER_PID/status"; }
rate() { awk -v b="$SIZE" -v t="$1" 'BEGIN { printf "%.1f", b / 1048576 / t }'; }
seconds() { local start=$1; awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.2f", e - s }'; }

IDLE_KB=$(kb VmRSS)
results=()
for run in $(seq 1 "$RUNS"); do
  psql_ -c "TRUNCATE books CASCADE"
  start=$(date +%s.%N)
  answer=$(taskset -c 0 curl -sS -m 1200 -X POST -T "$CSV" -H 'content-type: text/csv' "localhost:$PORT/books/import")
  up=$(seconds "$start")
  echo "$answer" | grep -q "\"imported\":$ROWS" || { echo "import failed: $answer"; exit 1; }
  up_hwm=$(kb VmHWM)
  start=$(date +%s.%N)
  down_bytes=$(taskset -c 0 curl -sS -m 1200 -o /dev/null -w '%{size_download}' "localhost:$PORT/books/export.csv")
  down=$(seconds "$start")
  down_hwm=$(kb VmHWM)
  psql_ -c "TRUNCATE books CASCADE"
  start=$(date +%s.%N)
  psql_ -c "\\copy books (title, isbn, author_id, published_year, price) FROM '$CSV' WITH (FORMAT csv, HEADER)"
  psql_up=$(seconds "$start")
  start=$(date +%s.%N)
  psql_ -c "\\copy (SELECT title, isbn, author_id AS \"authorId\", published_year AS \"publishedYear\", price FROM books ORDER BY id) TO '/dev/null' WITH (FORMAT csv, HEADER)"
  psql_down=$(seconds "$start")
  results+=("$up $down $psql_up $psql_down $up_hwm $down_hwm $down_bytes")
  echo "run $run: import ${up}s (psql ${psql_up}s), export ${down}s (psql ${psql_down}s), ${down_bytes} bytes exported"
done
# The median run by import time.
median=$(printf '%s\n' "${results[@]}" | sort -n -k1 | sed -n "$(( (RUNS + 1) / 2 ))p")
read -r up down psql_up psql_down up_hwm down_hwm down_bytes <<< "$median"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b / a }'; }
growth() { awk -v a="$IDLE_KB" -v b="$1" 'BEGIN { printf "%.1f", (b - a) / 1024 }'; }
cat <<TABLE

| $MIB MiB of CSV, $ROWS rows | seconds | MiB/s | vs psql \\copy | server peak RSS over idle ($((IDLE_KB / 1024)) MiB) |
|---|---:|---:|---:|---:|
| upload: POST /books/import → COPY FROM STDIN | $up | $(rate "$up") | $(ratio "$up" "$psql_up")× | $(growth "$up_hwm") MiB |
| psql \\copy … FROM file | $psql_up | $(rate "$psql_up") | 1.00× | – |
| download: GET /books/export.csv ← COPY TO STDOUT | $down | $(rate "$down") | $(ratio "$down" "$psql_down")× | $(growth "$down_hwm") MiB |
| psql \\copy (SELECT …) TO file | $psql_down | $(rate "$psql_down") | 1.00× | – |
TABLE
