#!/usr/bin/env bash
# Bring the compose cluster up, run the end-to-end suite in it, and tear it down; exits with the
# suite's status. Needs a Docker engine (CI runs the same suite against tools/cfs-cluster.sh).
set -euo pipefail
cd "$(dirname "$0")"
compose="docker-compose -f docker-compose.yml"
trap '$compose --profile test down -v >/dev/null 2>&1 || true' EXIT
$compose build
$compose up -d
$compose --profile test run --rm e2e
