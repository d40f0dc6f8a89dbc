#!/usr/bin/env bash
# Bring the compose cluster up, run the end-to-end flow in it (tests/e2e/ltp_flow.sh in the `e2e`
# service, the same script ctest runs against tools/cfs-cluster.sh as e2e_ltp_flow), and tear it
# down; exits with the flow's status and prints the masters' logs when it fails. Needs a Docker
# engine and docker-compose.
set -euo pipefail
cd "$(dirname "$0")"
compose=(docker-compose -f docker-compose.yml --profile test)

teardown() {
    local rc=$?
    if [ "$rc" -ne 0 ]; then
        echo "run_e2e: failed (exit $rc); the masters' last log lines:" >&2
        "${compose[@]}" logs --no-color --tail=30 master1 master2 master3 >&2 || true
    fi
    "${compose[@]}" down -v >/dev/null 2>&1 || true
    exit "$rc"
}
trap teardown EXIT

"${compose[@]}" build
# Without the service names, `up` would also start the one-shot e2e service of the test profile.
"${compose[@]}" up -d master1 master2 master3 metanode1 metanode2 metanode3 metanode4 \
    datanode1 datanode2 datanode3 datanode4
"${compose[@]}" run --rm e2e
