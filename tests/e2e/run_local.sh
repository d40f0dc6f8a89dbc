#!/usr/bin/env bash
# Runs one end-to-end script against a fresh local cluster laid out like CubeFS's docker setup
# (3 masters, 4 meta nodes, 4 data nodes on 127.0.0.1), started by tools/cfs-cluster.sh in a
# temporary folder. The processes are stopped at the end and the folder is removed when the
# script passed and no process left a sanitizer report on its stderr; otherwise the folder
# (configs, logs) is kept and printed.
#
#   tests/e2e/run_local.sh [--via-config] SCRIPT [ARGS...]
#
# The script gets CFS_MASTER_ADDR, or with --via-config only a ~/.cfs-cli.json (HOME is a folder
# of the run either way), plus CFS_CLI, CFS_E2E_CLUSTER_DIR, CFS_E2E_METANODES and
# CFS_E2E_DATANODES.
# Environment: CFS_BIN (build folder, default <tree>/build), CFS_CLUSTER_PORT_BASE (default
# 20000: masters 20010.., Raft 30010.., meta nodes 20210.., data nodes 20310..), CFS_E2E_WAIT
# (default 60 s per wait), CFS_E2E_KEEP=1 (keep the folder after a pass too).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
launcher="$root/tools/cfs-cluster.sh"
masters=3
metanodes=4
datanodes=4

via_config=false
if [ "${1:-}" = "--via-config" ]; then
    via_config=true
    shift
fi
if [ $# -lt 1 ]; then
    sed -n '7p' "$0" | sed 's/^# \{0,1\}/usage: /' >&2
    exit 2
fi
script="$1"
shift
name="$(basename "$script" .sh)"

export CFS_BIN="${CFS_BIN:-$root/build}"
export CFS_CLUSTER_PORT_BASE="${CFS_CLUSTER_PORT_BASE:-20000}"
export CFS_E2E_WAIT="${CFS_E2E_WAIT:-60}"
base="$CFS_CLUSTER_PORT_BASE"

say() { printf '[%s] run_local: %s\n' "$(date +%H:%M:%S)" "$*"; }

for b in master/cfs-master metanode_proto/cfs-metanode datanode_proto/cfs-datanode tools/cfs-cli; do
    if [ ! -x "$CFS_BIN/$b" ]; then
        echo "run_local: $CFS_BIN/$b is missing; build first (or set CFS_BIN)" >&2
        exit 1
    fi
done

# A run killed from outside (ctest's timeout sends SIGKILL) leaves its cluster behind; the next
# run on the same ports stops it through its pid files before starting.
last="${TMPDIR:-/tmp}/cfs-e2e-ports-$base.last"
if [ -f "$last" ]; then
    stale="$(cat "$last")"
    if [ -f "$stale/layout" ]; then
        say "stopping the cluster a killed run left in $stale"
        "$launcher" stop --dir "$stale" >/dev/null 2>&1 || true
    fi
    rm -f "$last"
fi

ports=()
for i in $(seq 0 $((masters - 1))); do ports+=($((base + 10 + i)) $((base + 10010 + i))); done
for i in $(seq 0 $((metanodes - 1))); do ports+=($((base + 210 + i))); done
for i in $(seq 0 $((datanodes - 1))); do ports+=($((base + 310 + i))); done
for port in "${ports[@]}"; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        echo "run_local: port $port on 127.0.0.1 is taken (another cluster?); pick other ports" \
            "with CFS_CLUSTER_PORT_BASE (now $base)" >&2
        exit 1
    fi
done

dir="$(mktemp -d "${TMPDIR:-/tmp}/cfs-e2e-$name.XXXXXX")"
echo "$dir" >"$last"

finish() {
    local rc=$? f
    trap - EXIT INT TERM
    "$launcher" stop --dir "$dir" >/dev/null 2>&1 || true
    rm -f "$last"
    # Sanitizer builds report on the processes' stderr, which the launcher keeps in <name>.out.
    for f in "$dir"/*.out; do
        if grep -qsE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$f"; then
            say "$f has a sanitizer report"
            [ "$rc" -ne 0 ] || rc=1
        fi
    done
    if [ "$rc" -eq 0 ] && [ -z "${CFS_E2E_KEEP:-}" ]; then
        "$launcher" clean --dir "$dir" >/dev/null 2>&1 || true
        exit 0
    fi
    if [ "$rc" -eq 0 ]; then
        say "$name passed; the cluster's folder is kept in $dir"
        exit 0
    fi
    say "$name failed (exit $rc); configs and logs are kept in $dir"
    for f in "$dir"/master*/master.log; do
        [ -f "$f" ] || continue
        echo "--- last lines of $f"
        tail -n 15 "$f"
    done
    for f in "$dir"/*.out; do
        if [ -s "$f" ]; then
            echo "--- $f"
            tail -n 30 "$f"
        fi
    done
    exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say "starting $masters masters, $metanodes meta nodes, $datanodes data nodes in $dir (ports $base+)"
"$launcher" start -m "$masters" -n "$metanodes" -d "$datanodes" --dir "$dir"

addrs=""
for i in $(seq 0 $((masters - 1))); do addrs="$addrs${addrs:+,}127.0.0.1:$((base + 10 + i))"; done
export HOME="$dir/home"
mkdir -p "$HOME"
printf '{"masterAddr":["%s"],"timeout":20}\n' "${addrs//,/\",\"}" >"$HOME/.cfs-cli.json"
if $via_config; then
    unset CFS_MASTER_ADDR
    say "cfs-cli reads the masters from $HOME/.cfs-cli.json"
else
    export CFS_MASTER_ADDR="$addrs"
    say "CFS_MASTER_ADDR=$addrs"
fi
export CFS_CLI="$CFS_BIN/tools/cfs-cli"
export CFS_E2E_CLUSTER_DIR="$dir"
export CFS_E2E_METANODES="$metanodes"
export CFS_E2E_DATANODES="$datanodes"

say "running $script"
"$script" "$@"
