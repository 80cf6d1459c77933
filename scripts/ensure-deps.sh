#!/usr/bin/env bash
# Installs the system packages Brigade needs when they are missing (Debian/Ubuntu):
# libpq (headers + pkg-config file) for CBrigadeLibPQ, the PostgreSQL server binaries for
# EmbeddedPostgres, and pkg-config; with BRIGADE_TEST_DEPS=1 (test.sh) also Chromium's
# headless shell, in which the dashboard and EventSource tests run, and curl, the independent
# client the streaming tests read chunked bodies with; with BRIGADE_CLUSTER_DEPS=1 (cluster.sh)
# nginx, the load balancer in front of the instances, and curl. Sourced by run.sh, test.sh and
# the benchmark scripts; safe to run repeatedly.
set -euo pipefail

brigade_missing_packages() {
  local missing=()
  pkg-config --exists libpq 2>/dev/null || missing+=(libpq-dev)
  command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
  if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null 2>&1; then
    missing+=(postgresql)
  fi
  if [ "${BRIGADE_TEST_DEPS:-0}" = 1 ] && ! command -v chromium-headless-shell >/dev/null 2>&1; then
    missing+=(chromium-headless-shell)
  fi
  if { [ "${BRIGADE_TEST_DEPS:-0}" = 1 ] || [ "${BRIGADE_CLUSTER_DEPS:-0}" = 1 ]; } && ! command -v curl >/dev/null 2>&1; then
    missing+=(curl)
  fi
  if [ "${BRIGADE_CLUSTER_DEPS:-0}" = 1 ] && ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
    missing+=(nginx)   # the binary itself (nginx-light only adds modules to it)
  fi
  echo "${missing[@]:-}"
}

brigade_ensure_deps() {
  local missing
  missing=$(brigade_missing_packages)
  [ -z "$missing" ] && return 0
  echo "brigade: installing system packages: $missing" >&2
  local sudo=()
  [ "$(id -u)" != 0 ] && sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

brigade_ensure_deps
