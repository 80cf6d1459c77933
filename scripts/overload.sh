#!/usr/bin/env bash
# The overload run: Examples/SlowCalls with small pools (THREADS front and back threads,
# queues of QUEUE), so that capacity is known — THREADS / MS ms = 160 req/s by default — under
# an open-loop load of 3× capacity for OVER seconds, then at once half of capacity for AFTER
# seconds (its first second reported apart: the queue the overload left drains there).
# Server on CPU 0, the `overload` generator on CPU 1, loopback only, bounded in time.
# Prints the generator's lines, a Markdown table and the server's RSS (sampled VmRSS and
# VmHWM); then stops the server with SIGTERM. Exits non-zero if any request got no answer,
# if the recovery phase got anything but 2xx or a p99 above 3 × MS, or if the server did
# not exit 0.
# Env: MODES ("callable sync"), MS (100), THREADS (16), QUEUE (64), OVER (20), AFTER (10),
#      PORT (18095), OUT (results)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure-deps.sh
MODES="${MODES:-callable sync}"; MS="${MS:-100}"; THREADS="${THREADS:-16}"; QUEUE="${QUEUE:-64}"
OVER="${OVER:-20}"; AFTER="${AFTER:-10}"; PORT="${PORT:-18095}"
OUT="${OUT:-results}"; mkdir -p "$OUT"
ulimit -n "$(ulimit -Hn)"
swift build -c release --product slowcalls >/dev/null
swift build -c release --product overload >/dev/null

capacity=$((THREADS * 1000 / MS))
high=$((3 * capacity)); low=$((capacity / 2))
server=""; sampler=""
cleanup() {
  [ -n "$sampler" ] && kill "$sampler" 2>/dev/null || true
  [ -n "$server" ] && kill -KILL "$server" 2>/dev/null || true
}
trap cleanup EXIT
rss_mib() { awk -v k="$1" '$1 == k":" {printf "%.1f", $2 / 1024}' "/proc/$server/status"; }

failed=0
table="| mode | phase | load | sent | 2xx | 503 | other | no answer | p50 ms | p99 ms | max ms |
|---|---|---|---|---|---|---|---|---|---|---|"
memory=""
for mode in $MODES; do
  echo "== $mode: capacity $capacity req/s ($THREADS threads × ${MS} ms); ${high} req/s for ${OVER} s, then ${low} req/s for ${AFTER} s" >&2
  SERVER_PORT=$PORT SERVER_HOST=127.0.0.1 SERVER_EVENT_LOOPS=1 SERVER_IDLE_TIMEOUT=60s SERVER_SHUTDOWN_GRACE=5s \
  FRONT_MAX_THREADS=$THREADS FRONT_MIN_SPARE_THREADS=$THREADS FRONT_ACCEPT_QUEUE=$QUEUE \
  BACK_CORE_THREADS=$THREADS BACK_MAX_THREADS=$THREADS BACK_QUEUE=$QUEUE ASYNC_TIMEOUT=10s LOG_LEVEL=error \
    taskset -c 0 .build/release/slowcalls > "$OUT/overload-server-$mode.log" 2>&1 &
  server=$!
  for _ in $(seq 1 100); do curl -sf -o /dev/null "http://127.0.0.1:$PORT/slow/sync?ms=0" && break; sleep 0.1; done
  idle=$(rss_mib VmRSS)
  ( while [ -r "/proc/$server/status" ]; do awk '$1 == "VmRSS:" {print $2}' "/proc/$server/status"; sleep 0.2; done ) \
    > "$OUT/overload-rss-$mode.txt" 2>/dev/null &
  sampler=$!

  rc=0
  taskset -c 1 .build/release/overload --port "$PORT" --path "/slow/$mode?ms=$MS" --deadline 10 \
    --phase "$high:$OVER" --phase "$low:1" --phase "$low:$((AFTER - 1))" > "$OUT/overload-$mode.txt" || rc=$?
  cat "$OUT/overload-$mode.txt"
  [ "$rc" = 0 ] || { echo "FAIL: $mode: requests without an answer (generator exit $rc)" >&2; failed=1; }

  after=$(rss_mib VmRSS); hwm=$(rss_mib VmHWM)
  kill "$sampler" 2>/dev/null || true; wait "$sampler" 2>/dev/null || true; sampler=""
  peak=$(sort -n "$OUT/overload-rss-$mode.txt" | tail -1 | awk '{printf "%.1f", $1 / 1024}')
  kill -TERM "$server"
  for _ in $(seq 1 600); do   # at most 60 s; a zombie (State Z) has exited
    state=$(awk '$1 == "State:" {print $2}' "/proc/$server/status" 2>/dev/null || true)
    { [ -z "$state" ] || [ "$state" = Z ]; } && break
    sleep 0.1
  done
  [ "${state:-}" = Z ] || [ -z "${state:-}" ] || { echo "FAIL: $mode: the server did not exit within 60 s of SIGTERM" >&2; kill -KILL "$server"; }
  status=0; wait "$server" || status=$?; server=""
  [ "$status" = 0 ] || { echo "FAIL: $mode: the server exited $status on SIGTERM" >&2; failed=1; }
  echo "$mode: RSS idle $idle MiB, peak $peak MiB (sampled every 0.2 s; VmHWM $hwm MiB), after the run $after MiB; exit on SIGTERM: $status"
  memory="$memory| $mode | $idle | $peak | $hwm | $after | $status |
"

  # The recovery phase (the third): only 2xx, p99 within 3 × MS.
  awk -v mode="$mode" -v ms="$MS" '
    /^phase 3 / && (!/ 503: 0,/ || !/ other: 0,/) { print "FAIL: " mode ": the recovery phase got other answers than 2xx"; bad = 1 }
    /^phase 3 / { if (match($0, /p99 [0-9.]+/) && substr($0, RSTART + 4, RLENGTH - 4) + 0 > 3 * ms) { print "FAIL: " mode ": recovery p99 above " 3 * ms " ms"; bad = 1 } }
    END { exit bad }' "$OUT/overload-$mode.txt" >&2 || failed=1

  rows=$(awk -v mode="$mode" '
    /^phase / {   # phase N (R req/s for S s): sent …, 2xx: …, 503: …, other: …, no answer: …, latency p50 … ms, p99 … ms, max … ms
      n = $2 + 0; load = substr($3, 2) " req/s, " (n == 1 ? "" : n == 2 ? "first " : "next ") $6 " s"
      line = $0; gsub(/,/, "", line); count = split(line, f, " ")
      for (i = 1; i < count; i++) v[f[i]] = f[i + 1]
      printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", mode, (n == 1 ? "overload" : n == 2 ? "drain" : "recovered"),
        load, v["sent"], v["2xx:"], v["503:"], v["other:"], v["answer:"], v["p50"], v["p99"], v["max"]
    }' "$OUT/overload-$mode.txt")
  table="$table
$rows"
done

echo
echo "$table"
echo
echo "| mode | RSS idle MiB | peak RSS MiB (sampled) | VmHWM MiB | RSS after MiB | exit on SIGTERM |"
echo "|---|---|---|---|---|---|"
printf '%s' "$memory"
exit "$failed"
