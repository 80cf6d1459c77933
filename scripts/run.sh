#!/usr/bin/env bash
# Runs an example (default: bookstore) after installing what is missing.
# Usage: scripts/run.sh [bookstore|hello|slowcalls|benchmarks] [--server-port 8080 ...]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure-deps.sh
example="${1:-bookstore}"
[ $# -gt 0 ] && shift
swift build -c release --product "$example"
exec ".build/release/$example" "$@"
