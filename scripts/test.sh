#!/usr/bin/env bash
# The test command: installs what is missing, builds, and runs every test suite.
# Tests that need PostgreSQL start their own throwaway server (EmbeddedPostgres).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure-deps.sh
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
swift build --build-tests
swift test --skip-build --disable-xctest "$@"
