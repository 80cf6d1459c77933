#!/usr/bin/env bash
# The SlowCalls comparison: each mode × 200/1000/5000 connections, 100 ms waits.
# Server pinned to CPU 1, wrk to CPU 0 (the anchors' method); median of RUNS runs.
# Prints a Markdown table and draws results/slowcalls.png (gnuplot).
# Runs the framework's defaults (what a user runs): only the port, the address and the log level
# are set. TUNED=1 runs the old hand-tuned variant instead (one event loop, FRONT front threads
# all pre-started, queues of 20,000) — label its figures as tuned.
# Env: RUNS (3), DUR (10s), CONNS ("200 1000 5000"), MODES, PORT (18090), TUNED (0),
#      FRONT (200 default, 20 tuned) and BACK (64): the pool sizes the ideal is computed from.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure-deps.sh
command -v wrk >/dev/null && command -v gnuplot >/dev/null || {
  sudo=(); [ "$(id -u)" != 0 ] && sudo=(sudo)
  "${sudo[@]}" apt-get install -y -qq wrk gnuplot-nox >/dev/null
}
RUNS="${RUNS:-3}"; DUR="${DUR:-10s}"; TUNED="${TUNED:-0}"; BACK="${BACK:-64}"; PORT="${PORT:-18090}"
if [ "$TUNED" = 1 ]; then FRONT="${FRONT:-20}"; else FRONT="${FRONT:-200}"; fi
settings=(SERVER_PORT=$PORT SERVER_HOST=127.0.0.1 LOG_LEVEL=warning)
if [ "$TUNED" = 1 ]; then
  settings+=(SERVER_BACKLOG=8192 SERVER_EVENT_LOOPS=1 FRONT_MAX_THREADS=$FRONT FRONT_MIN_SPARE_THREADS=$FRONT
             FRONT_ACCEPT_QUEUE=20000 BACK_CORE_THREADS=$BACK BACK_MAX_THREADS=$BACK BACK_QUEUE=20000 ASYNC_TIMEOUT=60s)
  echo "TUNED variant: ${settings[*]}" >&2
fi
CONNS="${CONNS:-200 1000 5000}"; MODES="${MODES:-sync callable deferred async run}"
OUT="${OUT:-results}"; mkdir -p "$OUT"
ulimit -n "$(ulimit -Hn)"
swift build -c release --product slowcalls >/dev/null

cells="$OUT/slowcalls.tsv"; : > "$cells"
for mode in $MODES; do
  for c in $CONNS; do
    for r in $(seq 1 "$RUNS"); do
      env "${settings[@]}" taskset -c 1 .build/release/slowcalls > "$OUT/slowcalls-server.log" 2>&1 &
      pid=$!
      for _ in $(seq 1 100); do curl -sf -o /dev/null "http://127.0.0.1:$PORT/slow/sync?ms=0" && break; sleep 0.1; done
      url="http://127.0.0.1:$PORT/slow/$mode?ms=100"
      taskset -c 0 wrk -t1 -c"$c" -d2s --timeout 10s "$url" >/dev/null 2>&1 || true   # warm-up
      # Let the warm-up's leftovers finish before measuring (as the anchors' drain does).
      for _ in $(seq 1 60); do
        t=$(curl -s -o /dev/null -w '%{time_total}' -m 5 "http://127.0.0.1:$PORT/slow/sync?ms=0" 2>/dev/null || echo 9)
        awk -v t="$t" 'BEGIN {exit !(t < 0.25)}' && break
        sleep 0.5
      done
      maxthreads=0
      ( while kill -0 $pid 2>/dev/null; do awk '/^Threads/ {print $2}' /proc/$pid/status; sleep 0.5; done ) > "$OUT/threads.txt" &
      sampler=$!
      t0=$(awk '{print $14 + $15}' /proc/$pid/stat)
      s0=$(cat /proc/$pid/task/*/status 2>/dev/null | awk '/^(voluntary|nonvoluntary)_ctxt_switches/ {s += $2} END {print s + 0}')
      taskset -c 0 wrk -t1 -c"$c" -d"$DUR" --timeout 10s --latency "$url" > "$OUT/wrk-$mode-$c-$r.txt" 2>&1 || true
      t1=$(awk '{print $14 + $15}' /proc/$pid/stat)
      s1=$(cat /proc/$pid/task/*/status 2>/dev/null | awk '/^(voluntary|nonvoluntary)_ctxt_switches/ {s += $2} END {print s + 0}')
      requests=$(awk '/requests in/ {print $1}' "$OUT/wrk-$mode-$c-$r.txt"); requests=${requests:-0}
      kill $sampler 2>/dev/null || true; wait $sampler 2>/dev/null || true
      maxthreads=$(sort -n "$OUT/threads.txt" | tail -1)
      rss=$(awk '/^VmHWM/ {print $2}' /proc/$pid/status)
      kill $pid; wait $pid 2>/dev/null || true
      line=$(awk '
        function ms(v) { if (v ~ /us$/) return v/1000; if (v ~ /ms$/) return v+0; if (v ~ /s$/) return v*1000; return v }
        /Requests\/sec/ {rps=$2}
        /^ +99%/ {p99=ms($2)}
        /Socket errors/ {gsub(",",""); e=$4+$6+$8+$10}
        /Non-2xx/ {n2=$5}
        END {printf "%s\t%.1f\t%d", rps, p99, e+n2}' "$OUT/wrk-$mode-$c-$r.txt")
      cost=$(awk -v t=$((t1 - t0)) -v s=$((s1 - s0)) -v n="$requests" -v hz="$(getconf CLK_TCK)" \
        'BEGIN {if (n > 0) printf "%.1f\t%.2f", t * 1e6 / hz / n, s / n; else printf "nan\tnan"}')
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$mode" "$c" "$r" "$line" "$rss" "$maxthreads" "$cost" >> "$cells"
      echo "  $mode c=$c run $r: $line rss=${rss}kB threads=$maxthreads cpu-us/req, switches/req: $cost" >&2
    done
  done
done

python3 - "$cells" "$OUT" "$FRONT" "$BACK" "$DUR" <<'PY'
import sys, statistics, collections
cells, out, front, back = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
seconds = float(sys.argv[5].rstrip("s"))
rows = collections.defaultdict(list)
for line in open(cells):
    mode, c, r, rps, p99, err, rss, thr, cpu, sw = line.rstrip("\n").split("\t")
    # Answered with 200 per second: refusals (503 at once when the pool is full) are not throughput.
    ok = max(0.0, float(rps) - int(err) / seconds)
    rows[(mode, int(c))].append((ok, float(p99), int(err), int(rss), int(thr), float(cpu), float(sw)))
modes = list(dict.fromkeys(k[0] for k in rows)); conns = sorted({k[1] for k in rows})
ideal = {"sync": lambda c: min(c, front) / 0.1, "callable": lambda c: min(c, back) / 0.1, "run": lambda c: min(c, back) / 0.1}
print(f"| mode | connections | 200s/s (median) | % of ideal | p99 ms | errors (503s) | peak RSS MiB | threads | CPU µs/req | switches/req |")
print("|---|---|---|---|---|---|---|---|---|---|")
dat = open(f"{out}/slowcalls.dat", "w")
for mode in modes:
    for c in conns:
        runs = rows[(mode, c)]
        if not runs: continue
        rps = statistics.median(r[0] for r in runs); p99 = statistics.median(r[1] for r in runs)
        err = max(r[2] for r in runs); rss = max(r[3] for r in runs) / 1024; thr = max(r[4] for r in runs)
        cpu = statistics.median(r[5] for r in runs); sw = statistics.median(r[6] for r in runs)
        best = ideal.get(mode, lambda c: c / 0.1)(c)
        print(f"| {mode} | {c} | {rps:,.0f} | {100*rps/best:.0f}% | {p99:.1f} | {err} | {rss:.0f} | {thr} | {cpu:.1f} | {sw:.2f} |")
        dat.write(f"{mode} {c} {rps:.0f}\n")
dat.close()
PY
gnuplot <<GP 2>/dev/null || true
set terminal pngcairo size 800,500 noenhanced
set output "$OUT/slowcalls.png"
set title "SlowCalls: 100 ms waits, one core"
set xlabel "connections"; set ylabel "requests/s answered 200"; set logscale x; set key top left; set grid
set xtics ($(echo $CONNS | sed 's/ /,/g'))
plot for [m in "$MODES"] "< grep '^".m." ' $OUT/slowcalls.dat" using 2:3 with linespoints title m
GP
echo "chart: $OUT/slowcalls.png" >&2
