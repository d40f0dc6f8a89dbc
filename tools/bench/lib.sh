# Shared by the benchmark scripts: a 3-master cfs cluster (with 3 meta and 3 data nodes) and a
# 3-member etcd cluster on 127.0.0.1, each under one folder, started and stopped here.
# Masters use the default Raft timing (no timing keys in their configs); etcd its defaults too.
# shellcheck shell=bash

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bin="${CFS_BIN:-$root/build}"
work="${BENCH_DIR:-$(mktemp -d /tmp/cfs-bench.XXXXXX)}"
owner="benchowner"
auth_key="$(printf '%s' "$owner" | md5sum | cut -d' ' -f1)"

cfs_port() { echo $((18010 + $1 - 1)); }         # master HTTP; Raft is +10000
etcd_client_port() { echo $((23790 + $1)); }
etcd_peer_port() { echo $((23800 + $1)); }

die() {
    echo "bench: $*" >&2
    exit 1
}

need() {
    command -v "$1" >/dev/null || die "$1 is missing ($2)"
}

# Poll "$@" every 100 ms until it succeeds or $deadline_s seconds pass.
wait_for() {
    local deadline=$((SECONDS + ${deadline_s:-60}))
    until "$@"; do
        [ $SECONDS -lt $deadline ] || return 1
        sleep 0.1
    done
}

launch() { # name command...
    local name="$1"
    shift
    nohup "$@" >>"$work/$name.log" 2>&1 &
    disown $!
    echo $! >"$work/$name.pid"
}

stop_pidfile() {
    local f="$work/$1.pid"
    [ -f "$f" ] && kill -TERM "$(cat "$f")" 2>/dev/null
    rm -f "$f"
}

# --- cfs ------------------------------------------------------------------------------------

cfs_write_configs() {
    local i peers="" masters=""
    for i in 1 2 3; do
        peers="$peers${peers:+,}$i:127.0.0.1:$(cfs_port $i)"
        masters="$masters${masters:+,}\"127.0.0.1:$(cfs_port $i)\""
    done
    for i in 1 2 3; do
        mkdir -p "$work/master$i" "$work/metanode$i/meta" "$work/datanode$i/disk"
        cat >"$work/master$i.json" <<EOF
{"clusterName":"bench","id":"$i","ip":"127.0.0.1","listen":"$(cfs_port $i)","peers":"$peers",
 "dataDir":"$work/master$i","logDir":"$work/master$i"}
EOF
        cat >"$work/metanode$i.json" <<EOF
{"listen":"$((18210 + i))","localIP":"127.0.0.1","masterAddr":[$masters],
 "logDir":"$work/metanode$i","totalMem":"8589934592","metadataDir":"$work/metanode$i/meta"}
EOF
        cat >"$work/datanode$i.json" <<EOF
{"listen":"$((18310 + i))","localIP":"127.0.0.1","masterAddr":[$masters],
 "logDir":"$work/datanode$i","disks":["$work/datanode$i/disk:0"]}
EOF
    done
}

cfs_start_master() {
    launch "master$1" "$bin/master/cfs-master" -c "$work/master$1.json"
}

# Index (1-3) of the ready leader.
cfs_leader() {
    local i
    for i in 1 2 3; do
        if curl -sf --max-time 1 "http://127.0.0.1:$(cfs_port "$i")/raftNode/status" |
            grep -q '"Ready":true'; then
            echo "$i"
            return 0
        fi
    done
    return 1
}

# Master $1 follows a leader and has applied as much as the leader.
cfs_caught_up() {
    local mine theirs leader
    leader=$(cfs_leader) || return 1
    mine=$(curl -sf --max-time 1 "http://127.0.0.1:$(cfs_port "$1")/raftNode/status") || return 1
    theirs=$(curl -sf --max-time 1 "http://127.0.0.1:$(cfs_port "$leader")/raftNode/status") ||
        return 1
    [ "$(grep -o '"StoreApplied":[0-9]*' <<<"$mine")" = \
        "$(grep -o '"StoreApplied":[0-9]*' <<<"$theirs")" ] &&
        ! grep -q '"LeaderID":0,' <<<"$mine"
}

cfs_nodes_active() {
    local l
    l=$(cfs_leader) || return 1
    [ "$(curl -sf "http://127.0.0.1:$(cfs_port "$l")/admin/getCluster" |
        grep -o '"Status":true' | wc -l)" -ge 9 ]
}

cfs_start() {
    local i
    cfs_write_configs
    for i in 1 2 3; do
        cfs_start_master "$i"
    done
    wait_for cfs_leader >/dev/null || die "no cfs leader"
    for i in 1 2 3; do
        launch "metanode$i" "$bin/metanode_proto/cfs-metanode" -c "$work/metanode$i.json"
        launch "datanode$i" "$bin/datanode_proto/cfs-datanode" -c "$work/datanode$i.json"
    done
    wait_for cfs_nodes_active || die "cfs nodes did not become active"
}

cfs_stop() {
    local i
    for i in 1 2 3; do
        stop_pidfile "datanode$i"
        stop_pidfile "metanode$i"
        stop_pidfile "master$i"
    done
}

# GET a path on the leader and check the envelope's code is 0.
cfs_ok() {
    local l
    l=$(cfs_leader) || return 1
    curl -sf "http://127.0.0.1:$(cfs_port "$l")$1" | grep -q '"code":0'
}

# --- etcd -----------------------------------------------------------------------------------

etcd_cluster() {
    local i c=""
    for i in 1 2 3; do
        c="$c${c:+,}e$i=http://127.0.0.1:$(etcd_peer_port $i)"
    done
    echo "$c"
}

etcd_start_member() { # index state(new|existing)
    local i="$1"
    launch "etcd$i" etcd --name "e$i" --data-dir "$work/etcd$i" \
        --listen-client-urls "http://127.0.0.1:$(etcd_client_port "$i")" \
        --advertise-client-urls "http://127.0.0.1:$(etcd_client_port "$i")" \
        --listen-peer-urls "http://127.0.0.1:$(etcd_peer_port "$i")" \
        --initial-advertise-peer-urls "http://127.0.0.1:$(etcd_peer_port "$i")" \
        --initial-cluster "$(etcd_cluster)" --initial-cluster-state "$2" \
        --initial-cluster-token bench
}

etcd_status() { # index -> the JSON of /v3/maintenance/status
    curl -sf --max-time 1 -X POST -d '{}' "http://127.0.0.1:$(etcd_client_port "$1")/v3/maintenance/status"
}

# Index (1-3) of the leader.
etcd_leader() {
    local i s me leader
    for i in 1 2 3; do
        s=$(etcd_status "$i") || continue
        me=$(grep -o '"member_id":"[0-9]*"' <<<"$s" | cut -d'"' -f4)
        leader=$(grep -o '"leader":"[0-9]*"' <<<"$s" | cut -d'"' -f4)
        if [ -n "$me" ] && [ "$me" = "$leader" ]; then
            echo "$i"
            return 0
        fi
    done
    return 1
}

etcd_healthy() {
    local i
    for i in 1 2 3; do
        curl -sf --max-time 1 "http://127.0.0.1:$(etcd_client_port "$i")/health" |
            grep -q '"health":"true"' || return 1
    done
}

etcd_start() {
    local i
    for i in 1 2 3; do
        etcd_start_member "$i" new
    done
    wait_for etcd_healthy || die "etcd did not become healthy"
}

etcd_stop() {
    local i
    for i in 1 2 3; do
        stop_pidfile "etcd$i"
    done
}

median() { # numbers on stdin -> median
    sort -n | awk '{a[NR]=$1} END {if (NR % 2) print a[(NR+1)/2]; else printf "%.1f\n", (a[NR/2]+a[NR/2+1])/2}'
}
