#!/usr/bin/env bash
# The test command: installs what is missing, builds, and runs every test suite.
# Tests that need PostgreSQL start their own throwaway server (EmbeddedPostgres).
set -euo pipefail
cd "$(dirname "$0")/.."
BRIGADE_TEST_DEPS=1 source scripts/ensure-deps.sh
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
swift build --build-tests
if [ $# -gt 0 ]; then exec swift test --skip-build --disable-xctest "$@"; fi
# Several runs of the same test binary, so that no group can starve another's timing:
# 1. load tests, alone (their CPU burst would delay timing-sensitive tests);
# 2. clients trickling bytes against timeouts and minimum rates, alone (a test run's start-up
#    burst, with tests blocking Swift's cooperative threads, would delay their clocks);
# 3. the suites that launch executables, alone and one test at a time (concurrent launches
#    beside the other suites' thread and descriptor churn crashed the test process inside
#    libdispatch twice, a crash reported for process spawning on Linux);
# 4. the suites that block threads on a real PostgreSQL;
# 5. everything else (the summary line CI reads last).
database_suites='BrigadePostgresTests|BrigadeMigrationsTests|BookstoreTests|BenchmarksTests'
timing_suites='HostileClientTests|StreamedBodyTimeoutTests'
process_suites='StartupFailureTests|SignalShutdownTests|FrontThreadTests'
swift test --skip-build --disable-xctest --filter LoadTests
swift test --skip-build --disable-xctest --filter "$timing_suites"
swift test --skip-build --disable-xctest --no-parallel --filter "$process_suites"
swift test --skip-build --disable-xctest --filter "$database_suites"
swift test --skip-build --disable-xctest --skip "LoadTests|$timing_suites|$process_suites|$database_suites"
