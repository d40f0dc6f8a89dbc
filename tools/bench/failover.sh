#!/usr/bin/env bash
# Failover time: kill -9 of the leader to the first successful write, on 3 cfs-master (default
# Raft timing) and on 3-member etcd 3.4 (default timing), in the same run.
#
#   tools/bench/failover.sh [ROUNDS]        (default 10; CFS_BIN=build dir, default build/)
#
# The write is /vol/update (a description change) for cfs and a put through the gRPC gateway
# (POST /v3/kv/put) for etcd, sent to the surviving members in turn by cfs-bench, which also does
# the kill, so both are timed the same way. Each killed member is restarted and caught up before
# the next round. Prints every round and the median, minimum and maximum.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

rounds="${1:-10}"
need curl "apt-get install curl"
need etcd "apt-get install etcd-server"
[ -x "$bin/tools/cfs-bench" ] || die "build first: $bin/tools/cfs-bench is missing"
trap 'cfs_stop; etcd_stop' EXIT
echo "work folder: $work"

cfs_round() { # round -> ms
    local l pid i urls=()
    l=$(cfs_leader)
    pid=$(cat "$work/master$l.pid")
    for i in 1 2 3; do
        [ "$i" = "$l" ] && continue
        urls+=("http://127.0.0.1:$(cfs_port "$i")/vol/update?name=benchvol&authKey=$auth_key&description=r$1")
    done
    "$bin/tools/cfs-bench" failover --kill "$pid" --expect '"code":0' "${urls[@]}"
    cfs_start_master "$l"
    wait_for cfs_caught_up "$l" || die "master $l did not catch up"
}

etcd_round() {
    local l pid i urls=()
    l=$(etcd_leader)
    pid=$(cat "$work/etcd$l.pid")
    for i in 1 2 3; do
        [ "$i" = "$l" ] && continue
        urls+=("http://127.0.0.1:$(etcd_client_port "$i")/v3/kv/put")
    done
    "$bin/tools/cfs-bench" failover --kill "$pid" --expect '"revision"' \
        --data '{"key":"YmVuY2g=","value":"YmFy"}' "${urls[@]}"
    etcd_start_member "$l" existing
    wait_for etcd_healthy || die "etcd member $l did not come back"
    wait_for etcd_leader >/dev/null || die "etcd has no leader"
}

cfs_start
cfs_ok "/admin/createVol?name=benchvol&owner=$owner&capacity=10&mpCount=1&dpCount=1" ||
    die "createVol failed"
etcd_start

: >"$work/cfs.ms"
: >"$work/etcd.ms"
for r in $(seq 1 "$rounds"); do
    cfs_round "$r" | tee -a "$work/cfs.ms" | sed "s/^/cfs  round $r: /;s/$/ ms/"
    etcd_round "$r" | tee -a "$work/etcd.ms" | sed "s/^/etcd round $r: /;s/$/ ms/"
done
for s in cfs etcd; do
    printf '%-4s failover over %s rounds: median %s ms, min %s ms, max %s ms\n' "$s" "$rounds" \
        "$(median <"$work/$s.ms")" "$(sort -n "$work/$s.ms" | head -1)" \
        "$(sort -n "$work/$s.ms" | tail -1)"
done
