#!/usr/bin/env bash
# Runs an example (default: hello) after installing what is missing.
# Usage: scripts/run.sh [hello|slowcalls] [--server-port 8080 ...]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure-deps.sh
example="${1:-hello}"
[ $# -gt 0 ] && shift
swift build -c release --product "$example"
exec ".build/release/$example" "$@"
