#!/usr/bin/env bash
# Throughput of a metadata-only mutation on 3 cfs-master (/vol/update changing a description,
# over 64 volumes) against etcd 3.4 puts through its gRPC gateway (POST /v3/kv/put, over 64
# keys), at 1, 16 and 64 connections, in the same run. wrk sends to the leader of each.
#
#   tools/bench/throughput.sh [SECONDS]      (default 10 per point; CFS_BIN=build dir)
#
# The systems run one after the other (never both at once) on the same 127.0.0.1.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

duration="${1:-10}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
need wrk "apt-get install wrk"
need etcd "apt-get install etcd-server"
trap 'cfs_stop; etcd_stop' EXIT
echo "work folder: $work"

# wrk output -> "req/s p50 p99 non-success"
summarize() {
    awk '/Requests\/sec/ {r=$2} $1=="50%" {p50=$2} $1=="99%" {p99=$2}
         /non-success answers/ {f=$3} END {printf "%s %s %s %s\n", r, p50, p99, f}'
}

run() { # system connections url script args...
    local sys="$1" c="$2" url="$3" script="$4"
    shift 4
    wrk -t1 -c"$c" -d"${duration}s" --latency -s "$script" "$url" -- "$@" >"$work/$sys-$c.txt"
    printf '%-5s c=%-3s %s\n' "$sys" "$c" "$(summarize <"$work/$sys-$c.txt")"
}

echo "system conns req/s p50 p99 non-success"
cfs_start
for v in $(seq 0 63); do
    cfs_ok "/admin/createVol?name=bench$v&owner=$owner&capacity=10&mpCount=1&dpCount=1" ||
        die "createVol bench$v failed"
done
leader="127.0.0.1:$(cfs_port "$(cfs_leader)")"
for c in 1 16 64; do
    run cfs "$c" "http://$leader" "$here/vol_update.lua" "$auth_key" 64
done
cfs_stop

etcd_start
leader="127.0.0.1:$(etcd_client_port "$(wait_for etcd_leader)")"
for c in 1 16 64; do
    run etcd "$c" "http://$leader" "$here/etcd_put.lua" 64
done
