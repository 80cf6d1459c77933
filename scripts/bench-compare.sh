#!/usr/bin/env bash
# Compares two builds of Brigade on the same machine, in the same run: Examples/Hello's
# GET /hello (plaintext) at 64 connections, and SlowCalls' GET /slow/deferred?ms=100 at 5,000
# connections (one event loop, 20 front threads, queues of 20,000: the README's SlowCalls
# table's settings). Server pinned to CPU 1, wrk to CPU 0 (the anchors' method); each cell is
# run RUNS times alternating A and B, and the median is reported with the ratio B/A.
# Usage: scripts/bench-compare.sh <checkout A> <checkout B>   (each with release builds of
#        hello and slowcalls: swift build -c release --product hello --product slowcalls)
# Env: RUNS (3), DUR (10s), PORT (18300)
set -euo pipefail
A="$(cd "$1" && pwd)"; B="$(cd "$2" && pwd)"
RUNS="${RUNS:-3}"; DUR="${DUR:-10s}"; PORT="${PORT:-18300}"
command -v wrk >/dev/null || { sudo=(); [ "$(id -u)" != 0 ] && sudo=(sudo); "${sudo[@]}" apt-get install -y -qq wrk >/dev/null; }
ulimit -n "$(ulimit -Hn)"
OUT="$(mktemp -d)"

wait_up() { for _ in $(seq 1 100); do curl -sf -o /dev/null "$1" && return 0; sleep 0.1; done; echo "server did not come up" >&2; return 1; }
parse() {
  awk 'function ms(v) { if (v ~ /us$/) return v/1000; if (v ~ /ms$/) return v+0; if (v ~ /s$/) return v*1000; return v }
       /Requests\/sec/ {rps=$2} /^ +99%/ {p99=ms($2)} /Socket errors/ {gsub(",",""); e=$4+$6+$8+$10} /Non-2xx/ {n2=$5}
       END {printf "%s\t%.2f\t%d", rps, p99, e+n2}' "$1"
}

# run LABEL DIR CELL
run() {
  local label=$1 dir=$2 cell=$3 pid url c
  case $cell in
    hello)
      SERVER_PORT=$PORT SERVER_HOST=127.0.0.1 MANAGEMENT_ENABLED=false LOG_LEVEL=warning taskset -c 1 "$dir/.build/release/hello" >"$OUT/server.log" 2>&1 &
      pid=$!; url="http://127.0.0.1:$PORT/hello"; c=64 ;;
    deferred)
      SERVER_PORT=$PORT SERVER_HOST=127.0.0.1 SERVER_BACKLOG=8192 SERVER_EVENT_LOOPS=1 FRONT_MAX_THREADS=20 \
      FRONT_MIN_SPARE_THREADS=20 FRONT_ACCEPT_QUEUE=20000 BACK_QUEUE=20000 ASYNC_TIMEOUT=60s MANAGEMENT_ENABLED=false \
      LOG_LEVEL=warning taskset -c 1 "$dir/.build/release/slowcalls" >"$OUT/server.log" 2>&1 &
      pid=$!; url="http://127.0.0.1:$PORT/slow/deferred?ms=100"; c=5000 ;;
  esac
  wait_up "$url" || { kill $pid; return 1; }
  taskset -c 0 wrk -t1 -c$c -d3s --timeout 10s "$url" >/dev/null 2>&1 || true
  sleep 1
  taskset -c 0 wrk -t1 -c$c -d"$DUR" --timeout 10s --latency "$url" >"$OUT/wrk.txt" 2>&1 || true
  local rss; rss=$(awk '/^VmHWM/ {print $2}' /proc/$pid/status)
  kill $pid; wait $pid 2>/dev/null || true
  printf '%s\t%s\t%s\t%s\n' "$cell" "$label" "$(parse "$OUT/wrk.txt")" "$rss" | tee -a "$OUT/cells.tsv" >&2
  sleep 1
}

for cell in hello deferred; do
  for r in $(seq 1 "$RUNS"); do
    run A "$A" $cell
    run B "$B" $cell
  done
done

python3 - "$OUT/cells.tsv" "$A" "$B" <<'PY'
import sys, statistics, collections
rows = collections.defaultdict(list)
for line in open(sys.argv[1]):
    cell, label, rps, p99, err, rss = line.rstrip("\n").split("\t")
    rows[(cell, label)].append((float(rps), float(p99), int(err), int(rss)))
print(f"A = {sys.argv[2]}\nB = {sys.argv[3]}\n")
print("| cell | A req/s | A p99 ms | B req/s | B p99 ms | B/A | errors A/B | peak RSS MiB A/B |")
print("|---|---|---|---|---|---|---|---|")
for cell, name in [("hello", "Hello GET /hello, c=64"), ("deferred", "SlowCalls deferred 100 ms, c=5000")]:
    a, b = rows[(cell, "A")], rows[(cell, "B")]
    if not a or not b: continue
    med = lambda runs, i: statistics.median(r[i] for r in runs)
    print(f"| {name} | {med(a,0):,.0f} | {med(a,1):.1f} | {med(b,0):,.0f} | {med(b,1):.1f} | {med(b,0)/med(a,0):.2f} | "
          f"{max(r[2] for r in a)}/{max(r[2] for r in b)} | {max(r[3] for r in a)/1024:.0f}/{max(r[3] for r in b)/1024:.0f} |")
PY
