#!/usr/bin/env bash
# Three Bookstore instances behind nginx on one throwaway PostgreSQL, and three scenarios:
#
#   1. fan-out: long polls wait on every instance (10 opened directly on each, 10 through
#      nginx); one book added through nginx must answer all of them within 3 s (PostgreSQL
#      LISTEN/NOTIFY completes the polls of every instance).
#   2. rolling restart under load: `overload` sends a steady mix through nginx (GET by id,
#      pages, some POST /books, some long polls) while each instance in turn gets SIGTERM,
#      is taken out of nginx once its /ready says DOWN, exits (status 0 required), starts
#      again and is put back once /ready is UP. Every request must get a 2xx: no 5xx, no
#      connection error, no lost long poll (overload --fail-on-error).
#   3. PostgreSQL restart: long polls wait on every instance; PostgreSQL restarts (fast
#      shutdown) and, as soon as it accepts connections, a book is inserted with psql — its
#      NOTIFY may come while the instances' listeners are still reconnecting. Every poll
#      must answer with that book (not `[]`) within 6 s of the insert, well before the
#      long-poll timeout; then every instance's /ready must be UP again.
#
# Prints progress, overload's report, a Markdown summary; exits non-zero if any scenario
# failed. Loopback only; every wait is bounded (the scenarios take about a minute after the
# build). Everything it starts is stopped by PID at exit, whatever the exit; the logs stay
# in WORK (the database is removed).
#
# Open-source nginx has no active health checks: this script plays the health checker. It
# reads each instance's /ready on the management port and rewrites the upstream (`down`)
# and reloads nginx, as an orchestrator would do with a readiness probe.
#
# Env: BASE_PORT (18400: nginx there; instances on BASE_PORT+10, +20, +30, their management
#      ports one above; PostgreSQL's socket is named after BASE_PORT+5), RATE (200 req/s),
#      LOAD_SECONDS (45), SHUTDOWN_DELAY (3s), LONG_POLL_SECONDS (10), WORK (a new
#      /tmp/brigade-cluster-XXXXXX), SKIP_BUILD=1 (use the existing release binaries),
#      SCENARIOS ("1 2 3").
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BRIGADE_CLUSTER_DEPS=1 source scripts/ensure-deps.sh   # libpq, PostgreSQL, nginx, curl
source scripts/throwaway-postgres.sh

BASE_PORT="${BASE_PORT:-18400}"
RATE="${RATE:-200}"
LOAD_SECONDS="${LOAD_SECONDS:-45}"
SHUTDOWN_DELAY="${SHUTDOWN_DELAY:-3s}"
LONG_POLL_SECONDS="${LONG_POLL_SECONDS:-10}"
SCENARIOS="${SCENARIOS:-1 2 3}"
WORK="${WORK:-$(mktemp -d /tmp/brigade-cluster-XXXXXX)}"
NGINX="$(command -v nginx || echo /usr/sbin/nginx)"
NGINX_PORT=$BASE_PORT
INSTANCES=(1 2 3)
declare -A PORT MPORT PID STATE
for i in "${INSTANCES[@]}"; do
  PORT[$i]=$((BASE_PORT + 10 * i)); MPORT[$i]=$((PORT[$i] + 1)); PID[$i]=""; STATE[$i]=up
done
mkdir -p "$WORK/logs" "$WORK/polls" "$WORK/nginx/tmp"
chmod 755 "$WORK"
ulimit -n "$(ulimit -Hn)"

# --- small helpers ------------------------------------------------------------------------------
T0=$(date +%s.%N)
now() { date +%s.%N; }
# seconds B - A, to the millisecond
since() { awk -v a="$1" -v b="${2:-$(now)}" 'BEGIN { printf "%.3f", b - a }'; }
say() { printf '[%6.1f s] %s\n' "$(since "$T0")" "$*"; }
# the HTTP status of a GET (000: no answer within 2 s)
status_of() { curl -s -o /dev/null -m 2 -w '%{http_code}' "$1" 2>/dev/null || true; }
# wait_until SECONDS COMMAND…: runs COMMAND every 0.1 s until it succeeds; fails after SECONDS
wait_until() {
  local deadline; deadline=$(awk -v t="$(now)" -v s="$1" 'BEGIN { printf "%.3f", t + s }'); shift
  until "$@"; do
    awk -v t="$(now)" -v d="$deadline" 'BEGIN { exit !(t > d) }' && return 1
    sleep 0.1
  done
}
psql_q() { psql -X -q -tA "${PG_PSQL[@]}" -c "$1"; }
max_book_id() { psql_q "SELECT coalesce(max(id), 0) FROM books"; }
# isbn13 N: a valid ISBN-13, 978 and N as nine digits and the check digit (as overload's {isbn})
isbn13() {
  local digits k sum=0
  digits=$(printf '978%09d' "$1")
  for ((k = 0; k < 12; k++)); do sum=$((sum + ${digits:k:1} * (k % 2 ? 3 : 1))); done
  echo "$digits$(((10 - sum % 10) % 10))"
}

declare -A RESULT DETAIL   # per scenario: PASS/FAIL and the summary's figures
fail() { RESULT[$1]=FAIL; say "FAIL (scenario $1): $2"; }

# --- stopping everything at exit ----------------------------------------------------------------
# Every process started here is a background job of this shell (the instances, nginx, overload,
# the polls' curl), except PostgreSQL, which pg_ctl runs and stops. At exit the jobs still
# running get SIGTERM (by PID), then SIGKILL after 20 s (an instance drains after its shutdown
# delay).
cleanup() {
  local status=$? pids pid
  trap - EXIT INT TERM
  set +e
  pids=$(jobs -p)
  if [ -n "$pids" ]; then
    for pid in $pids; do kill -TERM "$pid" 2>/dev/null || true; done
    for _ in $(seq 1 200); do
      pids=$(for pid in $pids; do kill -0 "$pid" 2>/dev/null && echo "$pid"; done)
      [ -z "$pids" ] && break
      sleep 0.1
    done
    for pid in $pids; do kill -KILL "$pid" 2>/dev/null || true; done
  fi
  pg_throwaway_stop "$WORK/pg"
  rm -rf "$WORK/pg/data"
  echo "logs: $WORK/logs" >&2
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- building -------------------------------------------------------------------------------------
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  say "building bookstore and overload (release)…"
  swift build -c release --product bookstore >"$WORK/logs/build.log" 2>&1 || { tail -30 "$WORK/logs/build.log"; exit 1; }
  swift build -c release --product overload >>"$WORK/logs/build.log" 2>&1 || { tail -30 "$WORK/logs/build.log"; exit 1; }
fi
BOOKSTORE="$ROOT/.build/release/bookstore"
OVERLOAD="$ROOT/.build/release/overload"

# --- PostgreSQL -----------------------------------------------------------------------------------
# Three instances × database.max-size 10, their listeners, psql: 100 connections is plenty.
pg_throwaway_start "$WORK/pg" $((BASE_PORT + 5)) "-c max_connections=100"
say "PostgreSQL: $PG_URL"

# --- the instances --------------------------------------------------------------------------------
# start_instance I: starts instance I in the background (its log: logs/bookstore-I.log, appended
# across restarts); START[I] is when.
declare -A START
start_instance() {
  local i=$1
  echo "----- start $(date -Is)" >>"$WORK/logs/bookstore-$i.log"
  START[$i]=$(now)
  env SERVER_HOST=127.0.0.1 SERVER_PORT="${PORT[$i]}" MANAGEMENT_HOST=127.0.0.1 MANAGEMENT_PORT="${MPORT[$i]}" \
    DATABASE_URL="$PG_URL" INSTANCES=3 DATABASE_MAX_SIZE=10 MIGRATIONS_LOCATIONS="$ROOT/Migrations" \
    SERVER_SHUTDOWN_DELAY="$SHUTDOWN_DELAY" SERVER_SHUTDOWN_GRACE=15s \
    BOOKSTORE_LONG_POLL_TIMEOUT="${LONG_POLL_SECONDS}s" LOG_LEVEL=info \
    "$BOOKSTORE" >>"$WORK/logs/bookstore-$i.log" 2>&1 &
  PID[$i]=$!
}
ready_status() { status_of "http://127.0.0.1:${MPORT[$1]}/ready"; }
is_ready() { [ "$(ready_status "$1")" = 200 ]; }
is_not_ready() { [ "$(ready_status "$1")" != 200 ]; }
alive() { kill -0 "${PID[$1]}" 2>/dev/null && [ "$(awk '$1 == "State:" {print $2}' "/proc/${PID[$1]}/status" 2>/dev/null)" != Z ]; }
exited() { ! alive "$1"; }
# wait_ready I SECONDS: until /ready answers 200; fails if the process ends first
wait_ready() {
  wait_until "$2" is_ready_or_dead "$1" && alive "$1" && is_ready "$1"
}
is_ready_or_dead() { is_ready "$1" || exited "$1"; }
# health_polls I: the long polls waiting on instance I (the Bookstore's GET /health)
health_polls() { curl -s -m 2 "http://127.0.0.1:${PORT[$1]}/health" | sed -n 's/.*"waitingPolls":\([0-9]*\).*/\1/p'; }

# --- nginx ----------------------------------------------------------------------------------------
NGINX_ARGS=(-p "$WORK/nginx/" -c "$WORK/nginx/nginx.conf" -e "$WORK/logs/nginx-error.log")
# write_nginx_conf: the configuration, with STATE[i] = down for the instances taken out.
write_nginx_conf() {
  local i mark servers=""
  for i in "${INSTANCES[@]}"; do
    if [ "${STATE[$i]}" = down ]; then mark=" down"; else mark=""; fi
    servers+="    server 127.0.0.1:${PORT[$i]} max_fails=1 fail_timeout=2s$mark;
"
  done
  cat >"$WORK/nginx/nginx.conf" <<CONF
# Written by scripts/cluster.sh.
daemon off;
worker_processes 1;
pid $WORK/nginx/nginx.pid;
error_log $WORK/logs/nginx-error.log notice;
worker_shutdown_timeout $((LONG_POLL_SECONDS + 10))s;
events { worker_connections 4096; }
http {
    log_format upstreams '\$msec \$status \$request_method "\$request_uri" upstream=\$upstream_addr ustatus=\$upstream_status rt=\$request_time';
    access_log $WORK/logs/nginx-access.log upstreams;
    client_body_temp_path $WORK/nginx/tmp/body;
    proxy_temp_path $WORK/nginx/tmp/proxy;
    fastcgi_temp_path $WORK/nginx/tmp/fastcgi;
    uwsgi_temp_path $WORK/nginx/tmp/uwsgi;
    scgi_temp_path $WORK/nginx/tmp/scgi;

    # A connection per request on the client side too: a reload makes the old worker close
    # its idle keep-alive client connections at once, which races with a request the client
    # is sending on one (the same race as below, between nginx and a client). A load
    # balancer changed through an API instead of reloads would not need this.
    keepalive_timeout 0;

    upstream bookstore {
        # Passive health checks: one failure takes a server out for 2 s. No \`keepalive\`
        # here, so a connection per request: a keep-alive connection closed by a draining
        # instance races with a request nginx sends on it at that moment, and a POST that
        # was sent cannot be retried (nginx rightly never retries a non-idempotent request
        # once sent). A fresh connection to a closed port is refused before anything is sent,
        # which nginx retries on the next server, POSTs included.
$servers    }

    server {
        listen 127.0.0.1:$NGINX_PORT;
        location / {
            proxy_pass http://bookstore;
            proxy_http_version 1.1;
            proxy_set_header Connection close;
            proxy_connect_timeout 1s;
            # Longer than the long poll (${LONG_POLL_SECONDS} s): a waiting poll is not a timeout.
            proxy_read_timeout $((LONG_POLL_SECONDS + 20))s;
            proxy_send_timeout 10s;
            # Retried on the next server: a refused or failed connection, a 502/503/504, a
            # timeout; never a POST that was already sent (nginx's rule for non-idempotent
            # methods), at most 3 servers per request.
            proxy_next_upstream error timeout http_502 http_503 http_504;
            proxy_next_upstream_tries 3;
            proxy_next_upstream_timeout 10s;
            # Streams (server-sent events, long answers) pass through as they come.
            proxy_buffering off;
        }
    }
}
CONF
}
nginx_workers() { ps -o pid= --ppid "$NGINX_PID" 2>/dev/null | tr -d ' ' | sort; }
# nginx_reload: writes the configuration, checks it, reloads, and returns once a new worker runs
# (the old ones finish their requests in flight, long polls included, then exit).
nginx_reload() {
  local before
  write_nginx_conf
  "$NGINX" "${NGINX_ARGS[@]}" -t -q || { say "nginx: the new configuration is invalid"; return 1; }
  before=$(nginx_workers)
  "$NGINX" "${NGINX_ARGS[@]}" -s reload
  wait_until 5 new_nginx_worker "$before"
}
new_nginx_worker() { [ -n "$(comm -13 <(echo "$1") <(nginx_workers))" ]; }
upstream_line() { local i s=""; for i in "${INSTANCES[@]}"; do s+="${PORT[$i]}:${STATE[$i]} "; done; echo "${s% }"; }

# --- long polls opened with curl ------------------------------------------------------------------
# open_poll NAME URL: a long poll in the background; NAME.start (when), NAME.result (status,
# seconds), NAME.body in polls/.
POLL_PIDS=()
open_poll() {
  now >"$WORK/polls/$1.start"
  curl -s -m $((LONG_POLL_SECONDS + 20)) -o "$WORK/polls/$1.body" -w '%{http_code} %{time_total}\n' "$2" \
    >"$WORK/polls/$1.result" 2>/dev/null &
  POLL_PIDS+=($!)
}
wait_polls() {
  local pid
  for pid in "${POLL_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  POLL_PIDS=()
}
# check_polls PREFIX BOOK INSERTED LIMIT: every poll PREFIX-* must have answered 200 with book
# BOOK within LIMIT seconds of INSERTED; prints "ok total slowest-seconds" and the bad ones.
check_polls() {
  local prefix=$1 book=$2 inserted=$3 limit=$4 name code seconds answered late ok=0 total=0 slowest=0
  for result in "$WORK/polls/$prefix"-*.result; do
    name=$(basename "$result" .result)
    total=$((total + 1))
    read -r code seconds <"$result" || true
    answered=$(awk -v s="$(cat "$WORK/polls/$name.start")" -v t="${seconds:-0}" 'BEGIN { printf "%.3f", s + t }')
    late=$(since "$inserted" "$answered")
    if [ "$code" = 200 ] && grep -q "\"id\":$book[,}]" "$WORK/polls/$name.body" 2>/dev/null \
      && awk -v l="$late" -v m="$limit" 'BEGIN { exit !(l <= m) }'; then
      ok=$((ok + 1))
      slowest=$(awk -v a="$slowest" -v b="$late" 'BEGIN { print (b > a ? b : a) }')
    else
      echo "  $name: status $code after ${seconds:-?} s (${late} s after the insert), body: $(head -c 120 "$WORK/polls/$name.body" 2>/dev/null)" >&2
    fi
  done
  echo "$ok $total $slowest"
}

# --- start everything -----------------------------------------------------------------------------
for i in "${INSTANCES[@]}"; do start_instance "$i"; done
for i in "${INSTANCES[@]}"; do
  wait_ready "$i" 60 || { say "instance $i (port ${PORT[$i]}) did not become ready; its log:"; tail -20 "$WORK/logs/bookstore-$i.log"; exit 1; }
  say "instance $i ready on port ${PORT[$i]} (management ${MPORT[$i]}) after $(since "${START[$i]}") s"
done
grep -h "not used by the framework" "$WORK"/logs/bookstore-*.log | sed 's/^.*warning/warning/' | sort -u | sed 's/^/  instance log: /' || true
write_nginx_conf
"$NGINX" "${NGINX_ARGS[@]}" &
NGINX_PID=$!
wait_until 10 curl -s -o /dev/null -m 1 "http://127.0.0.1:$NGINX_PORT/health" \
  || { say "nginx did not start"; cat "$WORK/logs/nginx-error.log"; exit 1; }
say "nginx on 127.0.0.1:$NGINX_PORT in front of $(upstream_line)"

AUTHOR=$(curl -s -m 5 "http://127.0.0.1:$NGINX_PORT/authors" -H 'content-type: application/json' -d '{"name":"Cluster"}' \
  | sed -n 's/.*"id":\([0-9]*\).*/\1/p')
[ -n "$AUTHOR" ] || { say "could not create an author through nginx"; exit 1; }

# --- scenario 1: one insert answers the polls of every instance -----------------------------------
scenario_fanout() {
  local after book inserted i k counts all answer
  RESULT[1]=PASS
  after=$(max_book_id)
  for i in "${INSTANCES[@]}"; do
    for k in $(seq 1 10); do open_poll "s1-i$i-$k" "http://127.0.0.1:${PORT[$i]}/books/changes?after=$after"; done
  done
  for k in $(seq 1 10); do open_poll "s1-nginx-$k" "http://127.0.0.1:$NGINX_PORT/books/changes?after=$after"; done
  all_polls_waiting() {
    local i n sum=0
    for i in "${INSTANCES[@]}"; do n=$(health_polls "$i"); [ "${n:-0}" -ge 10 ] || return 1; sum=$((sum + n)); done
    [ "$sum" -ge 40 ]
  }
  if ! wait_until 10 all_polls_waiting; then fail 1 "the 40 polls were not all waiting after 10 s"; fi
  counts=$(for i in "${INSTANCES[@]}"; do printf '%s ' "instance $i: $(health_polls "$i")"; done)
  say "scenario 1: polls waiting (GET /health) — $counts"
  inserted=$(now)
  answer=$(curl -s -m 5 "http://127.0.0.1:$NGINX_PORT/books" -H 'content-type: application/json' \
    -d "{\"title\":\"Fan-out\",\"isbn\":\"$(isbn13 900000001)\",\"authorId\":$AUTHOR,\"publishedYear\":2024}")
  book=$(echo "$answer" | sed -n 's/.*"id":\([0-9]*\).*/\1/p')
  [ -n "$book" ] || { fail 1 "POST /books through nginx failed: $answer"; book=0; }
  say "scenario 1: book $book added through nginx; waiting for the polls"
  wait_polls
  read -r ok total slowest < <(check_polls s1 "$book" "$inserted" 3)
  [ "$ok" = "$total" ] || fail 1 "$((total - ok)) of $total polls did not answer with book $book within 3 s"
  DETAIL[1]="$ok/$total polls answered with the new book (10 opened on each instance, 10 through nginx); slowest $(awk -v s="$slowest" 'BEGIN { printf "%.0f", s * 1000 }') ms after the insert"
  say "scenario 1: ${RESULT[1]}: ${DETAIL[1]}"
}

# --- scenario 2: rolling restart under load -------------------------------------------------------
# window_stats FROM TO: over the requests due in [FROM, TO] (overload's log): "requests failures
# p99-ms-of-short-requests long-polls long-polls-2xx"; kind $LONG_POLL_KIND is the long poll,
# left out of the p99 (it waits ~${LONG_POLL_SECONDS} s by design).
window_stats() {
  local log="$WORK/logs/overload-requests.log" counts p99
  counts=$(awk -v a="$1" -v b="$2" -v lp="$LONG_POLL_KIND" '
    !/^#/ && $1 >= a && $1 <= b {
      n++; if ($3 < 200 || $3 >= 300) bad++
      if ($2 == lp) { polls++; if ($3 >= 200 && $3 < 300) pollsOK++ }
    }
    END { printf "%d %d %d %d", n, bad, polls, pollsOK }' "$log")
  p99=$(awk -v a="$1" -v b="$2" -v lp="$LONG_POLL_KIND" '!/^#/ && $1 >= a && $1 <= b && $2 != lp && $3 > 0 { print $4 }' "$log" \
    | sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) { print "-"; exit } r = int(0.99 * NR); if (r < 0.99 * NR) r++; printf "%.1f", v[r] }')
  set -- $counts
  echo "$1 $2 $p99 $3 $4"
}
# the failures in [FROM, TO], by kind and status (0: no answer)
window_failures() {
  awk -v a="$1" -v b="$2" '!/^#/ && $1 >= a && $1 <= b && ($3 < 200 || $3 >= 300) { c["kind " $2 " status " $3]++ }
    END { for (k in c) printf "%s%s × %d", (s++ ? ", " : ""), k, c[k] }' "$WORK/logs/overload-requests.log"
}

scenario_rolling() {
  local seed ids overload_pid status i t_term t_down t_out t_exit t_ready t_in down exit_status ttr rc=0 load_end
  RESULT[2]=PASS
  # 100 books to read (ISBNs 979…, apart from overload's 978…).
  seed=$(psql_q "WITH s AS (SELECT i, '979' || lpad(i::text, 9, '0') AS d FROM generate_series(1, 100) i)
    INSERT INTO books (title, isbn, author_id, published_year, price)
    SELECT 'Seed ' || i, d || (10 - (SELECT sum(substr(d, k, 1)::int * (CASE WHEN k % 2 = 1 THEN 1 ELSE 3 END)) FROM generate_series(1, 12) k) % 10) % 10,
           $AUTHOR, 2000, 10 FROM s RETURNING id" | sort -n)
  ids=($(echo "$seed" | awk 'NR % 50 == 1'))   # two of them
  # The mix, round-robin, 20 per cycle: 8 GET by id, 6 pages, 4 POST /books (a unique valid
  # ISBN each), 2 long polls that wait for the timeout (no book has such an id).
  local byid1="GET /books/${ids[0]}" byid2="GET /books/${ids[1]}"
  local page1="GET /books?page=1&size=20" page2="GET /books?page=2&size=10&authorId=$AUTHOR"
  local post="POST /books {\"title\":\"Load {n}\",\"isbn\":\"{isbn}\",\"authorId\":$AUTHOR,\"publishedYear\":2020,\"price\":12.5}"
  local poll="GET /books/changes?after=999999999"
  local mix=(
    "$byid1" "$page1" "$byid2" "$post" "$page2" "$byid1" "$byid2" "$poll" "$page1" "$post"
    "$byid1" "$page2" "$byid2" "$post" "$byid1" "$page1" "$byid2" "$page2" "$post" "$poll"
  )
  # overload numbers the distinct kinds from 1 in the order they first appear
  local -A kind=()
  local m kinds=0
  for m in "${mix[@]}"; do [ -n "${kind[$m]:-}" ] || kind[$m]=$((kinds += 1)); done
  LONG_POLL_KIND=${kind[$poll]}
  local args=()
  for m in "${mix[@]}"; do args+=(--request "$m"); done
  say "scenario 2: overload through nginx, $RATE req/s for $LOAD_SECONDS s (mix of ${#mix[@]}: 8 GET by id, 6 pages, 4 POST /books, 2 long polls)"
  "$OVERLOAD" --port "$NGINX_PORT" "${args[@]}" --phase "$RATE:$LOAD_SECONDS" --deadline $((LONG_POLL_SECONDS + 10)) \
    --fail-on-error --log "$WORK/logs/overload-requests.log" >"$WORK/logs/overload.txt" 2>&1 &
  overload_pid=$!
  load_end=$(awk -v t="$(now)" -v s="$LOAD_SECONDS" 'BEGIN { printf "%.3f", t + s }')
  sleep 5
  say "scenario 2: this script is the health checker (open-source nginx has none): it reads /ready and marks the upstream down or up, then reloads nginx"
  RESTARTS="| instance | /ready after SIGTERM | out of nginx after | exit status | time to ready | requests during | failures | p99 short requests | long polls 2xx |
|---|---|---|---|---|---|---|---|---|"
  for i in "${INSTANCES[@]}"; do
    t_term=$(now)
    kill -TERM "${PID[$i]}"
    say "instance $i: SIGTERM"
    if wait_until 10 is_not_ready "$i"; then
      down=$(ready_status "$i"); t_down=$(now)
      case $down in 503) down="503 DOWN after $(since "$t_term" "$t_down") s";; 000) down="no answer after $(since "$t_term" "$t_down") s";; esac
    else
      down="still 200 after 10 s"; fail 2 "instance $i: /ready did not turn DOWN within 10 s of SIGTERM"
    fi
    STATE[$i]=down
    nginx_reload || fail 2 "nginx reload (taking instance $i out) did not take effect"
    t_out=$(now)
    say "instance $i: /ready $down; out of nginx ($(upstream_line))"
    if wait_until 40 exited "$i"; then
      exit_status=0; wait "${PID[$i]}" || exit_status=$?
    else
      exit_status="none within 40 s (killed)"; kill -KILL "${PID[$i]}" 2>/dev/null || true; wait "${PID[$i]}" 2>/dev/null || true
    fi
    t_exit=$(now)
    [ "$exit_status" = 0 ] || fail 2 "instance $i exited with status $exit_status after SIGTERM"
    say "instance $i: exited ($exit_status) $(since "$t_term" "$t_exit") s after SIGTERM; starting it again"
    start_instance "$i"
    if wait_ready "$i" 60; then ttr="$(since "${START[$i]}") s"; else ttr="not ready in 60 s"; fail 2 "instance $i did not become ready again"; fi
    t_ready=$(now)
    STATE[$i]=up
    nginx_reload || fail 2 "nginx reload (putting instance $i back) did not take effect"
    t_in=$(now)
    say "instance $i: ready after $ttr; back in nginx ($(upstream_line))"
    RESTART_WINDOW[$i]="$t_term $t_in"
    RESTART_ROW[$i]="| $i | $down | $(since "$t_term" "$t_out") s | $exit_status | $ttr"
    sleep 2
  done
  if awk -v t="$(now)" -v e="$load_end" 'BEGIN { exit !(t > e) }'; then
    fail 2 "the load ended before the last instance was back: raise LOAD_SECONDS"
  fi
  say "scenario 2: restarts done; waiting for overload to finish (the load, then its last long polls)"
  if ! wait_until $((LOAD_SECONDS + LONG_POLL_SECONDS + 40)) exited_pid "$overload_pid"; then
    fail 2 "overload did not finish"; kill -TERM "$overload_pid" 2>/dev/null || true
  fi
  wait "$overload_pid" || rc=$?
  cat "$WORK/logs/overload.txt"
  [ "$rc" = 0 ] || fail 2 "overload reported requests without a 2xx (exit $rc)"
  local n bad p99 polls pollsok failures
  for i in "${INSTANCES[@]}"; do
    read -r n bad p99 polls pollsok < <(window_stats ${RESTART_WINDOW[$i]})
    failures=$(window_failures ${RESTART_WINDOW[$i]})
    RESTARTS+="
${RESTART_ROW[$i]} | $n | $bad${failures:+ ($failures)} | $p99 ms | $pollsok/$polls |"
  done
  read -r n bad p99 polls pollsok < <(window_stats 0 9999999999)
  local total; total=$(grep '^total:' "$WORK/logs/overload.txt" || echo "total: (no report)")
  local retried fivexx
  retried=$(awk '$5 ~ /,/' "$WORK/logs/nginx-access.log" | wc -l)
  fivexx=$(awk '$2 >= 500' "$WORK/logs/nginx-access.log" | wc -l)
  DETAIL[2]="$RATE req/s for $LOAD_SECONDS s through nginx: $n requests, $bad without a 2xx; p99 of the short requests $p99 ms; long polls $pollsok/$polls 2xx; nginx retried $retried on another instance, answered $fivexx with a 5xx"
  say "scenario 2: ${RESULT[2]}: ${DETAIL[2]}"
  say "scenario 2: overload's $total"
}
exited_pid() { ! kill -0 "$1" 2>/dev/null || [ "$(awk '$1 == "State:" {print $2}' "/proc/$1/status" 2>/dev/null)" = Z ]; }
declare -A RESTART_WINDOW RESTART_ROW
RESTARTS=""

# --- scenario 3: PostgreSQL restarts while polls wait ---------------------------------------------
scenario_postgres() {
  local after i k t_restart t_up inserted book ok total slowest ready_at
  RESULT[3]=PASS
  after=$(max_book_id)
  for i in "${INSTANCES[@]}"; do
    for k in $(seq 1 10); do open_poll "s3-i$i-$k" "http://127.0.0.1:${PORT[$i]}/books/changes?after=$after"; done
  done
  for k in $(seq 1 5); do open_poll "s3-nginx-$k" "http://127.0.0.1:$NGINX_PORT/books/changes?after=$after"; done
  each_holds_10() { local i n; for i in "${INSTANCES[@]}"; do n=$(health_polls "$i"); [ "${n:-0}" -ge 10 ] || return 1; done; }
  wait_until 10 each_holds_10 || fail 3 "the polls were not all waiting after 10 s"
  sleep 0.5   # let each poll's first look at the table end: from now on only a notification answers it
  t_restart=$(now)
  say "scenario 3: 35 polls waiting (10 on each instance, 5 through nginx); pg_ctl restart -m fast"
  pg_throwaway_restart "$WORK/pg" || { fail 3 "PostgreSQL did not restart"; return; }
  t_up=$(now)
  inserted=$t_up   # the polls' delays count from here: psql's connection and the insert included
  book=$(psql_q "INSERT INTO books (title, isbn, author_id, published_year) VALUES ('After the restart', '$(isbn13 900000003)', $AUTHOR, 2025) RETURNING id")
  say "scenario 3: PostgreSQL accepted connections $(since "$t_restart" "$t_up") s after the restart began; book $book inserted with psql"
  wait_polls
  read -r ok total slowest < <(check_polls s3 "$book" "$inserted" 6)
  [ "$ok" = "$total" ] || fail 3 "$((total - ok)) of $total polls did not answer with book $book within 6 s"
  all_ready() { local i; for i in "${INSTANCES[@]}"; do is_ready "$i" || return 1; done; }
  if wait_until 20 all_ready; then ready_at="$(since "$inserted") s after the insert"; else ready_at="not within 20 s"; fail 3 "not every instance's /ready was UP again"; fi
  local reconnects; reconnects=$(grep -c "again after a lost connection" "$WORK"/logs/bookstore-*.log | awk -F: '{s += $2} END {print s + 0}')
  DETAIL[3]="restart took $(since "$t_restart" "$t_up") s; $ok/$total polls answered with the book inserted right after it, slowest $(awk -v s="$slowest" 'BEGIN { printf "%.0f", s * 1000 }') ms after the insert began; listeners reconnected: $reconnects; /ready UP on all three $ready_at"
  say "scenario 3: ${RESULT[3]}: ${DETAIL[3]}"
}

# --- run, then the summary ------------------------------------------------------------------------
for s in $SCENARIOS; do
  case $s in
    1) scenario_fanout ;;
    2) scenario_rolling ;;
    3) scenario_postgres ;;
    *) echo "unknown scenario $s" >&2; exit 2 ;;
  esac
done

echo
echo "| scenario | result | figures |"
echo "|---|---|---|"
names=([1]="1. fan-out across instances" [2]="2. rolling restart under load" [3]="3. PostgreSQL restart")
failed=0
for s in $SCENARIOS; do
  echo "| ${names[$s]} | ${RESULT[$s]} | ${DETAIL[$s]:-} |"
  [ "${RESULT[$s]}" = PASS ] || failed=1
done
if [ -n "$RESTARTS" ]; then
  echo
  echo "Scenario 2, per restart (requests due between SIGTERM and the instance back in nginx; the p99 leaves the long polls out):"
  echo
  echo "$RESTARTS"
fi
exit "$failed"
