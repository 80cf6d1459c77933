#!/usr/bin/env bash
# Server-Sent Events fan-out — the anchors' scenario s3 — in one run: Brigade's `ticker`
# against Hummingbird 2, Tomcat (async servlet) and FastAPI. Every peer serves one event per
# second to N subscribers; sse/sse_load (C, epoll, CPU 0) measures each event's delivery
# latency; the server runs on CPU 1. Prints each run's line and the anchors' tables.
# The anchors are copied from ../shared/anchors to $ANCHORS and set up once (apt, pip, the
# peers' builds: ~20 min the first time).
# Env: ANCHORS (/tmp/anchors), RUNS (3), SSE_DUR (10), SSE_CONNS ("5000 15000"), PEERS.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
ANCHORS="${ANCHORS:-/tmp/anchors}"
if [ ! -x "$ANCHORS/run-all.sh" ]; then
  cp -r "$ROOT/../shared/anchors" "$ANCHORS"
  chmod -R u+w "$ANCHORS"
  (cd "$ANCHORS" && ./setup.sh)
fi
swift build -c release --product ticker
cd "$ANCHORS"
RUNS="${RUNS:-3}" SSE_DUR="${SSE_DUR:-10}" SSE_CONNS="${SSE_CONNS:-5000 15000}" SCEN=s3 \
  PEERS="${PEERS:-brigade-ticker hummingbird tomcat-async fastapi-async}" BRIGADE="$ROOT" ./run-all.sh
./db/pg-down.sh >/dev/null 2>&1 || true
