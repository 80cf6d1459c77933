#!/usr/bin/env bash
# The test command: installs what is missing, builds, and runs every test suite.
# Tests that need PostgreSQL start their own throwaway server (EmbeddedPostgres).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure-deps.sh
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
swift build --build-tests
if [ $# -gt 0 ]; then exec swift test --skip-build --disable-xctest "$@"; fi
# Load tests first and alone (their CPU burst would delay timing-sensitive tests), then
# everything else; the last summary line counts the main run.
swift test --skip-build --disable-xctest --filter LoadTests
swift test --skip-build --disable-xctest --skip LoadTests
