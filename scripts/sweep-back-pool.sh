#!/usr/bin/env bash
# The back-pool sweep: Examples/SlowCalls `/slow/callable?ms=100` under a fixed closed-loop
# load (CONNS wrk connections) at each back.max-threads in SIZES; for each size the req/s
# (median of RUNS) and the size `GET /pools` recommends from that run's measurements. Then a
# run at the size recommended from the default-size run (64), compared with the sweep's best.
# Server pinned to CPU 1, wrk to CPU 0. Prints a Markdown table.
# Env: SIZES ("16 32 64 128 200 256 400"), CONNS (200), RUNS (3), DUR (10), PORT (18190)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure-deps.sh
command -v wrk >/dev/null || {
  sudo=(); [ "$(id -u)" != 0 ] && sudo=(sudo)
  "${sudo[@]}" apt-get install -y -qq wrk >/dev/null
}
SIZES="${SIZES:-16 32 64 128 200 256 400}"; CONNS="${CONNS:-200}"; RUNS="${RUNS:-3}"; DUR="${DUR:-10}"
PORT="${PORT:-18190}"; MPORT=$((PORT + 1)); OUT="${OUT:-results}"; mkdir -p "$OUT"
ulimit -n "$(ulimit -Hn)"
swift build -c release --product slowcalls >/dev/null

# One measured run at back.max-threads $1: prints "<req/s> <recommended size>".
measure() {
  local size=$1 pid rps rec
  SERVER_PORT=$PORT SERVER_HOST=127.0.0.1 SERVER_EVENT_LOOPS=1 MANAGEMENT_PORT=$MPORT \
  MANAGEMENT_ADVICE_WINDOW=$((DUR - 2))s FRONT_MAX_THREADS=200 FRONT_ACCEPT_QUEUE=1000 \
  BACK_CORE_THREADS=$size BACK_MAX_THREADS=$size BACK_QUEUE=5000 LOG_LEVEL=error \
    taskset -c 1 .build/release/slowcalls > "$OUT/sweep-server.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do curl -sf -o /dev/null "http://127.0.0.1:$PORT/slow/sync?ms=0" && break; sleep 0.1; done
  taskset -c 0 wrk -t1 -c"$CONNS" -d2s --timeout 10s "http://127.0.0.1:$PORT/slow/callable?ms=100" >/dev/null 2>&1 || true
  # The advice is read near the end of the measured run, its window covering the run.
  ( sleep $((DUR - 1)); curl -s "http://127.0.0.1:$MPORT/pools" > "$OUT/sweep-pools.json" ) &
  local reader=$!
  rps=$(taskset -c 0 wrk -t1 -c"$CONNS" -d"${DUR}s" --timeout 10s "http://127.0.0.1:$PORT/slow/callable?ms=100" 2>&1 \
    | awk '/Requests\/sec/ {print $2}')
  wait $reader || true
  rec=$(python3 -c '
import json, sys
pools = json.load(open(sys.argv[1]))["pools"]
print(next(p for p in pools if p["name"] == "back").get("recommendedSize") or 0)' "$OUT/sweep-pools.json")
  kill "$pid"; wait "$pid" 2>/dev/null || true
  echo "$rps $rec"
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

table="$OUT/sweep.tsv"; : > "$table"
for size in $SIZES; do
  : > "$OUT/sweep-runs.txt"
  for _ in $(seq 1 "$RUNS"); do measure "$size" >> "$OUT/sweep-runs.txt"; done
  rps=$(awk '{print $1}' "$OUT/sweep-runs.txt" | median)
  rec=$(awk '{print $2}' "$OUT/sweep-runs.txt" | median)
  printf '%s\t%s\t%s\n' "$size" "$rps" "$rec" >> "$table"
  echo "  back.max-threads=$size: $rps req/s, /pools recommends $rec" >&2
done
recommended=$(awk -F'\t' '$1 == 64 {printf "%d", $3}' "$table")
[ -n "$recommended" ] || recommended=$(awk -F'\t' 'NR == 1 {printf "%d", $3}' "$table")
: > "$OUT/sweep-runs.txt"
for _ in $(seq 1 "$RUNS"); do measure "$recommended" >> "$OUT/sweep-runs.txt"; done
at_recommended=$(awk '{print $1}' "$OUT/sweep-runs.txt" | median)

python3 - "$table" "$recommended" "$at_recommended" "$CONNS" <<'PY'
import sys
rows = [line.split("\t") for line in open(sys.argv[1]) if line.strip()]
recommended, at_rec, conns = int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
best = max(rows, key=lambda r: float(r[1]))
print(f"| back.max-threads | req/s (median) | /pools recommends |")
print("|---|---|---|")
for size, rps, rec in rows:
    mark = " (best)" if size == best[0] else ""
    print(f"| {size}{mark} | {float(rps):,.0f} | {float(rec):.0f} |")
print(f"| **{recommended}** (recommended from the run at 64) | **{at_rec:,.0f}** | |")
ratio = at_rec / float(best[1])
print(f"\n{conns} connections, 100 ms callables. The recommended size gives {100*ratio:.1f} % of the best size's throughput"
      f" ({'within' if ratio >= 0.9 else 'NOT within'} 10 %).")
PY
