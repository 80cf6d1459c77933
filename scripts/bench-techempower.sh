#!/bin/bash
# Races the Benchmarks example (TechEmpower test types) against the anchors' peers, by the
# anchors' method (../shared/anchors/RESULTS.md): server and PostgreSQL pinned to CPU 1,
# `wrk -t1` pinned to CPU 0, a warm-up, RUNS runs per cell, median req/s and p99, peak RSS
# (VmHWM) of the server's process tree; ratios are taken within the same script run.
#
#   scripts/bench-techempower.sh
#   RUNS=1 DUR=5s PEERS="tomcat-sync" ENDPOINTS="plaintext db" scripts/bench-techempower.sh
#
# Environment:
#   RUNS (3), DUR (10s), WARM (3s)           runs per cell, their length, the warm-up's
#   PEERS ("hummingbird tomcat-sync tomcat-async")  any of the anchors' peers, or ""
#   ENDPOINTS ("plaintext json db queries fortunes updates")  plaintext also runs at c=256
#   ANCHORS (/tmp/anchors)                   a writable copy of ../shared/anchors on which
#                                            ./setup.sh has run (copied here when missing;
#                                            setup.sh is run then too, ~10 minutes)
#   BRIGADE_PORT (8090), BRIGADE_PGPORT (55433)  Brigade's HTTP port and its PostgreSQL's
#   RES (/tmp/bench-techempower/<time>)      raw wrk outputs, logs, cells.tsv, table.md
#   SKIP_BUILD=1                             use the existing release binary
#
# Brigade gets its own PostgreSQL cluster (same version and settings as the anchors'
# db/pg-up.sh: fsync off, synchronous_commit off, shared_buffers 256MB, TCP on 127.0.0.1)
# with the schema and data of Migrations/V10__…, V11__…; the peers use the anchors' cluster.
set -u
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
RUNS="${RUNS:-3}"; DUR="${DUR:-10s}"; WARM="${WARM:-3s}"
PEERS="${PEERS-hummingbird tomcat-sync tomcat-async}"
ENDPOINTS="${ENDPOINTS:-plaintext json db queries fortunes updates}"
ANCHORS="${ANCHORS:-/tmp/anchors}"
BRIGADE_PORT="${BRIGADE_PORT:-8090}"
BRIGADE_PGPORT="${BRIGADE_PGPORT:-55433}"
BRIGADE_PGDATA="${BRIGADE_PGDATA:-/tmp/bench-techempower-pg}"
RES="${RES:-/tmp/bench-techempower/$(date +%Y%m%d-%H%M%S)}"
export RUNS DUR WARM RES
B="http://127.0.0.1"

# --- prerequisites: the anchors (wrk, peers' builds) ----------------------------------------
if [ -n "$PEERS" ] || ! command -v wrk >/dev/null; then
  if [ ! -d "$ANCHORS" ]; then
    cp -r "$ROOT/../shared/anchors" "$ANCHORS"
    (cd "$ANCHORS" && ./setup.sh) || { echo "anchors setup failed"; exit 1; }
  fi
fi
HERE="$ANCHORS"
# shellcheck source=/dev/null
source "$ANCHORS/lib.sh"      # start_server, stop_server, peak_rss_kb, parse_wrk, drain
mkdir -p "$RES/raw" "$RES/logs"
: > "$RES/cells.tsv"; : > "$RES/rss.tsv"; : > "$RES/cost.tsv"
trap '[ -n "$SRV_PID" ] && kill "$SRV_PID" 2>/dev/null' EXIT

# --- build ----------------------------------------------------------------------------------
if [ -z "${SKIP_BUILD:-}" ]; then
  (cd "$ROOT" && swift build -c release --product benchmarks) || exit 1
fi
BIN="$(cd "$ROOT" && swift build -c release --show-bin-path)/benchmarks"

# --- PostgreSQL: Brigade's cluster, and the anchors' one for the peers, both on CPU 1 -------
PGBIN="$(dirname "$(command -v pg_ctl || ls -d /usr/lib/postgresql/*/bin/pg_ctl | tail -1)")"
if [ ! -f "$BRIGADE_PGDATA/PG_VERSION" ]; then
  mkdir -p "$BRIGADE_PGDATA" && chown postgres "$BRIGADE_PGDATA"
  runuser -u postgres -- "$PGBIN/initdb" -D "$BRIGADE_PGDATA" -A trust -U postgres -E UTF8 --locale=C >/dev/null
  cat >> "$BRIGADE_PGDATA/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
max_connections = 300
shared_buffers = 256MB
synchronous_commit = off
fsync = off
full_page_writes = off
CONF
fi
if ! runuser -u postgres -- "$PGBIN/pg_ctl" -D "$BRIGADE_PGDATA" status >/dev/null 2>&1; then
  taskset -c 1 runuser -u postgres -- "$PGBIN/pg_ctl" -D "$BRIGADE_PGDATA" -o "-p $BRIGADE_PGPORT -k /tmp" \
    -l "$BRIGADE_PGDATA.log" -w start >/dev/null || { echo "Brigade's PostgreSQL did not start"; exit 1; }
fi
psql -h 127.0.0.1 -p "$BRIGADE_PGPORT" -U postgres -tAc "select 1 from pg_database where datname='techempower'" | grep -q 1 \
  || psql -h 127.0.0.1 -p "$BRIGADE_PGPORT" -U postgres -qc "CREATE DATABASE techempower"
if [ -n "$PEERS" ]; then
  taskset -c 1 "$ANCHORS/db/pg-up.sh" >/dev/null 2>&1 || true
  pg_isready -q -h 127.0.0.1 -p 55432 || { echo "the anchors' PostgreSQL (127.0.0.1:55432) is not up: see ${TMPDIR:-/tmp}/anch-pg.log"; exit 1; }
fi
# pin_postgres DATADIR: a cluster started earlier without taskset (setup.sh starts the anchors'
# one) is moved to CPU 1 with all its processes; new backends inherit the postmaster's mask
pin_postgres() {
  local pid; pid=$(head -1 "$1/postmaster.pid" 2>/dev/null) || return 0
  for p in $pid $(pgrep -P "$pid"); do taskset -a -cp 1 "$p" >/dev/null 2>&1; done
}
pin_postgres "$BRIGADE_PGDATA"
[ -n "$PEERS" ] && pin_postgres "${TMPDIR:-/tmp}/anch-pg"

# --- helpers --------------------------------------------------------------------------------
# cpu_ticks PID: user+system clock ticks of the whole process (dead threads included)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
# switches PID: voluntary+nonvoluntary context switches summed over the process's threads
switches() { cat /proc/"$1"/task/*/status 2>/dev/null | awk '/^(voluntary|nonvoluntary)_ctxt_switches/ {s += $2} END {print s + 0}'; }

# cell PEER ENDPOINT CONNS URL: warm-up, then RUNS recorded runs; for every peer the process's
# CPU time and context switches over the recorded runs are kept (cost.tsv)
cell() {
  local peer=$1 ep=$2 c=$3 url=$4 requests=0
  taskset -c 0 wrk -t1 -c"$c" -d"$WARM" "$url" > /dev/null 2>&1
  drain "$url"
  local t0 s0; t0=$(cpu_ticks "$SRV_PID"); s0=$(switches "$SRV_PID")
  for r in $(seq 1 "$RUNS"); do
    local f="$RES/raw/${peer}_${ep}_c${c}_r${r}.txt"
    taskset -c 0 wrk -t1 -c"$c" -d"$DUR" --latency "$url" > "$f" 2>&1
    local line; line=$(parse_wrk "$f")
    printf 'te\t%s\t%s\t%s\t%s\t%s\n' "$peer" "$ep" "$c" "$r" "$line" >> "$RES/cells.tsv"
    echo "  $peer $ep c=$c run$r: $line"
    requests=$((requests + $(awk '/requests in/ {print $1}' "$f")))
    drain "$url"
  done
  local t1 s1; t1=$(cpu_ticks "$SRV_PID"); s1=$(switches "$SRV_PID")
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$peer" "$ep" "$c" "$requests" "$((t1 - t0))" "$((s1 - s0))" >> "$RES/cost.tsv"
}

port_of()   { case $1 in brigade) echo "$BRIGADE_PORT";; nginx) echo 8085;; hummingbird) echo 8080;; vapor) echo 8081;; tomcat-*) echo 8082;; fastapi-*) echo 8083;; flask) echo 8084;; esac; }
prefix_of() { case $1 in tomcat-async) echo /async;; fastapi-sync) echo /sync;; *) echo "";; esac; }
# path PEER ENDPOINT: the peer's URL path for a test type, empty when it does not serve it
path_of() {
  local peer=$1 ep=$2
  case "$peer:$ep" in
    *:plaintext) echo /plaintext;;
    *:json) echo /json;;
    brigade:db) echo /db;;
    brigade:queries) echo "/queries?queries=20";;
    brigade:fortunes) echo /fortunes;;
    brigade:updates) echo "/updates?queries=20";;
    hummingbird:db) echo /dbp;;                       # postgres-nio prepared statement (the anchors' main row)
    hummingbird:queries) echo "/queriesp?queries=20";;
    nginx:*|vapor:*) echo "";;
    *:db) echo /db;;
    *:queries) echo "/queries?queries=20";;
    *) echo "";;
  esac
}

start_peer() {
  local peer=$1
  local JCP="$ANCHORS/tomcat/classes:$(cat "$ANCHORS/tomcat/classes/classpath.txt" 2>/dev/null)"
  local NGX_PREFIX="${TMPDIR:-/tmp}/anch-nginx"; mkdir -p "$NGX_PREFIX"
  case $peer in
    brigade)       start_server brigade "$BRIGADE_PORT" /plaintext env \
                      DATABASE_URL="postgresql://postgres@127.0.0.1:$BRIGADE_PGPORT/techempower" \
                      MIGRATIONS_LOCATIONS="$ROOT/Migrations" LOG_LEVEL=warning SERVER_PORT="$BRIGADE_PORT" \
                      SERVER_HOST=127.0.0.1 "$BIN" ;;   # the framework's defaults
    nginx)         start_server "$peer" 8085 /plaintext nginx -p "$NGX_PREFIX/" -c "$ANCHORS/nginx/nginx.conf" -g 'daemon off;' ;;
    hummingbird)   start_server "$peer" 8080 /plaintext "$ANCHORS/hb-app/.build/release/HBBench" ;;
    vapor)         start_server "$peer" 8081 /plaintext "$ANCHORS/hb-app/.build/release/VaporBench" ;;
    tomcat-sync|tomcat-async) start_server "$peer" 8082 /plaintext java -cp "$JCP" anchors.Main ;;
    fastapi-async|fastapi-sync) start_server "$peer" 8083 /plaintext .venv/bin/uvicorn --app-dir python fastapi_app:app \
                      --host 127.0.0.1 --port 8083 --workers 1 --loop uvloop --http httptools --backlog 4096 --no-access-log --log-level warning ;;
    flask)         start_server "$peer" 8084 /plaintext .venv/bin/gunicorn --chdir python -w 5 -k sync -b 127.0.0.1:8084 \
                      --backlog 4096 --log-level warning flask_app:app ;;
    *) echo "unknown peer $peer"; return 1;;
  esac
}

# --- measure ---------------------------------------------------------------------------------
cd "$ANCHORS"   # the peers' commands use paths relative to it
for peer in brigade $PEERS; do
  port=$(port_of "$peer"); pre=$(prefix_of "$peer")
  start_peer "$peer" || continue
  urls=""
  for ep in $ENDPOINTS; do p=$(path_of "$peer" "$ep"); [ -n "$p" ] && urls="$urls $B:$port$pre$p"; done
  prime $urls
  for ep in $ENDPOINTS; do
    p=$(path_of "$peer" "$ep"); [ -z "$p" ] && continue
    case $ep in
      plaintext) cell "$peer" plaintext 64 "$B:$port$pre$p"
                 cell "$peer" plaintext 256 "$B:$port$pre$p" ;;
      queries|updates) cell "$peer" "${ep}20" 64 "$B:$port$pre$p" ;;
      *) cell "$peer" "$ep" 64 "$B:$port$pre$p" ;;
    esac
  done
  stop_server "$peer" te
done

# --- table ------------------------------------------------------------------------------------
python3 - "$RES" "$PEERS" > "$RES/table.md" <<'PY'
import sys, statistics, collections, os
res, peers = sys.argv[1], sys.argv[2].split()
cells = collections.defaultdict(list)
for line in open(os.path.join(res, "cells.tsv")):
    _, peer, ep, c, r, rps, p99, err, to, n2 = line.rstrip("\n").split("\t")
    cells[(peer, ep, int(c))].append((float(rps), float(p99), int(err) + int(to) + int(n2)))
rss = {}
for line in open(os.path.join(res, "rss.tsv")):
    _, peer, kb, nproc = line.rstrip("\n").split("\t"); rss[peer] = int(kb)
cost = {}
for line in open(os.path.join(res, "cost.tsv")):
    peer, ep, c, requests, ticks, switches = line.rstrip("\n").split("\t")
    requests = max(int(requests), 1)
    cost[(peer, ep, int(c))] = (int(ticks) * 1e6 / os.sysconf("SC_CLK_TCK") / requests, int(switches) / requests)
order = [("plaintext", 64), ("plaintext", 256), ("json", 64), ("db", 64), ("queries20", 64), ("fortunes", 64), ("updates20", 64)]
def med(peer, key):
    runs = cells.get((peer,) + key)
    if not runs: return None
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs), max(r[2] for r in runs)
head = "| test | Brigade req/s | Brigade p99 | errors | CPU µs/req | switches/req |" + "".join(f" vs {p} |" for p in peers)
print(head); print("|" + "---|" * (head.count("|") - 1))
for key in order:
    b = med("brigade", key)
    if b is None: continue
    name = f"{key[0]} c={key[1]}"
    cpu, sw = cost.get(("brigade",) + key, (float("nan"), float("nan")))
    row = f"| {name} | {b[0]:,.0f} | {b[1]:.2f} ms | {b[2]} | {cpu:.1f} | {sw:.2f} |"
    for p in peers:
        m = med(p, key)
        if m and m[2] > 0:
            row += f" errors ({m[2]:,} failed answers) |"  # a peer's failures are not throughput
        else:
            row += f" {b[0] / m[0]:.2f}× ({m[0]:,.0f}/s, p99 {m[1]:.1f} ms) |" if m and m[0] > 0 else " – |"
    print(row)
row = "| peak RSS | " + (f"{rss['brigade'] / 1024:.0f} MiB" if "brigade" in rss else "–") + " | | | | |"
for p in peers: row += (f" {rss[p] / 1024:.0f} MiB |" if p in rss else " – |")
print(row)
print()
print("Peers' cost per request (server process only; PostgreSQL not counted):")
print()
print("| peer | test | CPU µs/req | switches/req |"); print("|---|---|---|---|")
for (peer, ep, c), (cpu, sw) in sorted(cost.items()):
    print(f"| {peer} | {ep} c={c} | {cpu:.1f} | {sw:.2f} |")
PY
echo
echo "RUNS=$RUNS DUR=$DUR WARM=$WARM PEERS=\"$PEERS\" ENDPOINTS=\"$ENDPOINTS\" (results in $RES)"
echo
cat "$RES/table.md"
