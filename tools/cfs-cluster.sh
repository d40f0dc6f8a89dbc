#!/usr/bin/env bash
# A local CubeFS-compatible cluster on 127.0.0.1: masters, meta nodes and data nodes with
# generated configs and all data under one folder.
#
#   tools/cfs-cluster.sh start [-m MASTERS] [-n METANODES] [-d DATANODES] [--dir DIR]
#   tools/cfs-cluster.sh status|stop|clean|leader [--dir DIR]
#
# start waits until a leader is elected and every node is active, then prints the addresses;
# leader prints "INDEX ADDRESS PID" of the master that leads (exit 1 when none does).
# Defaults: 3 masters, 3 meta nodes, 3 data nodes, folder ./.cluster. Ports come from
# CFS_CLUSTER_PORT_BASE (default 17000): masters BASE+10.. (Raft +10000), meta nodes BASE+210..,
# data nodes BASE+310..; the folder remembers them, so later commands need no variable.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="${CFS_BIN:-$root/build}"
dir="$root/.cluster"
port_base="${CFS_CLUSTER_PORT_BASE:-17000}"
masters=3
metanodes=3
datanodes=3
cmd="${1:-start}"
[ $# -gt 0 ] && shift

usage() {
    sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
}

while [ $# -gt 0 ]; do
    case "$1" in
    -m) masters="$2"; shift 2 ;;
    -n) metanodes="$2"; shift 2 ;;
    -d) datanodes="$2"; shift 2 ;;
    --dir) dir="$2"; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "cfs-cluster: unknown argument $1" >&2; usage >&2; exit 2 ;;
    esac
done
for n in "$masters" "$metanodes" "$datanodes"; do
    case "$n" in
    '' | *[!0-9]*) echo "cfs-cluster: counts must be numbers" >&2; exit 2 ;;
    esac
done
if [ "$masters" -lt 1 ] || [ "$masters" -gt 5 ]; then
    echo "cfs-cluster: 1 to 5 masters" >&2
    exit 2
fi
check_port_base() {
    case "$port_base" in
    '' | *[!0-9]*) ;;
    *) [ "$port_base" -ge 1024 ] && [ "$port_base" -le 55000 ] && return 0 ;;
    esac
    echo "cfs-cluster: CFS_CLUSTER_PORT_BASE must be a number from 1024 to 55000" >&2
    exit 2
}
check_port_base

master_port() { echo $((port_base + 10 + $1 - 1)); }
meta_port() { echo $((port_base + 210 + $1 - 1)); }
data_port() { echo $((port_base + 310 + $1 - 1)); }

master_list() {
    local i list=""
    for i in $(seq 1 "$masters"); do
        list="$list${list:+,}\"127.0.0.1:$(master_port "$i")\""
    done
    echo "$list"
}

write_configs() {
    local i peers=""
    for i in $(seq 1 "$masters"); do
        peers="$peers${peers:+,}$i:127.0.0.1:$(master_port "$i")"
    done
    for i in $(seq 1 "$masters"); do
        mkdir -p "$dir/master$i"
        cat >"$dir/master$i.json" <<EOF
{"clusterName":"cfs-local","id":"$i","ip":"127.0.0.1","listen":"$(master_port "$i")",
 "peers":"$peers","dataDir":"$dir/master$i","logDir":"$dir/master$i","logLevel":"info",
 "tickInterval":"50","electionTick":"10","heartbeatIntervalMs":"2000","nodeTimeoutMs":"6000",
 "partitionCheckIntervalMs":"2000","autoCreateDelayMs":"10000"}
EOF
    done
    for i in $(seq 1 "$metanodes"); do
        mkdir -p "$dir/metanode$i/meta"
        cat >"$dir/metanode$i.json" <<EOF
{"listen":"$(meta_port "$i")","localIP":"127.0.0.1","masterAddr":[$(master_list)],
 "logDir":"$dir/metanode$i","zoneName":"default","totalMem":"8589934592",
 "metadataDir":"$dir/metanode$i/meta"}
EOF
    done
    for i in $(seq 1 "$datanodes"); do
        mkdir -p "$dir/datanode$i/disk"
        cat >"$dir/datanode$i.json" <<EOF
{"listen":"$(data_port "$i")","localIP":"127.0.0.1","masterAddr":[$(master_list)],
 "logDir":"$dir/datanode$i","zoneName":"default","disks":["$dir/datanode$i/disk:0"]}
EOF
    done
    echo "$masters $metanodes $datanodes $port_base" >"$dir/layout"
}

launch() { # name binary
    local name="$1" binary="$2"
    if running "$name"; then
        return
    fi
    nohup "$binary" -c "$dir/$name.json" >>"$dir/$name.out" 2>&1 &
    echo $! >"$dir/$name.pid"
}

alive() { # pid: exists and is not a zombie waiting for its reaper
    kill -0 "$1" 2>/dev/null || return 1
    ! grep -qs '^[0-9]* ([^)]*) Z' "/proc/$1/stat"
}

running() { [ -f "$dir/$1.pid" ] && alive "$(cat "$dir/$1.pid")"; }

leader_index() { # prints the index of the master that leads and is ready, if any
    local i addr body
    for i in $(seq 1 "$masters"); do
        addr="127.0.0.1:$(master_port "$i")"
        # A follower answers with a 307 to the leader; only the leader names itself.
        body=$(curl -sf --max-time 2 "http://$addr/admin/getCluster") || continue
        if grep -qF "\"LeaderAddr\":\"$addr\"" <<<"$body"; then
            echo "$i"
            return 0
        fi
    done
    return 1
}

leader() { # prints the HTTP address of the ready leader, if any
    local i
    i=$(leader_index) || return 1
    echo "127.0.0.1:$(master_port "$i")"
}

active_count() { # route -> number of nodes reporting Status true
    local body
    body=$(curl -sfL --max-time 3 "http://$1$2") || body=""
    grep -o '"Status":true' <<<"$body" | wc -l || true
}

wait_ready() {
    local deadline=$((SECONDS + 60)) addr="" dn mn
    while [ $SECONDS -lt $deadline ]; do
        if addr=$(leader); then
            dn=$(active_count "$addr" /admin/cluster/getAllDataNodes)
            mn=$(active_count "$addr" /admin/cluster/getAllMetaNodes)
            if [ "$dn" -ge "$datanodes" ] && [ "$mn" -ge "$metanodes" ]; then
                echo "$addr"
                return 0
            fi
        fi
        sleep 0.5
    done
    return 1
}

load_layout() { # a layout written before ports were configurable has three fields
    local base=""
    if [ -f "$dir/layout" ]; then
        read -r masters metanodes datanodes base <"$dir/layout"
        port_base="${base:-17000}"
    fi
}

status() {
    local name kind i
    for kind in master metanode datanode; do
        case $kind in
        master) n=$masters ;;
        metanode) n=$metanodes ;;
        *) n=$datanodes ;;
        esac
        for i in $(seq 1 "$n"); do
            name="$kind$i"
            if running "$name"; then
                printf '%-10s running (pid %s)\n' "$name" "$(cat "$dir/$name.pid")"
            else
                printf '%-10s stopped\n' "$name"
            fi
        done
    done
    if addr=$(leader); then
        echo "leader: $addr"
    else
        echo "leader: none"
    fi
}

stop_all() {
    local f pid
    for f in "$dir"/*.pid; do
        [ -e "$f" ] || continue
        pid=$(cat "$f")
        kill -TERM "$pid" 2>/dev/null || true
    done
    for f in "$dir"/*.pid; do
        [ -e "$f" ] || continue
        pid=$(cat "$f")
        for _ in $(seq 1 50); do
            alive "$pid" || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null || true
        rm -f "$f"
    done
}

case "$cmd" in
start)
    for b in master/cfs-master metanode_proto/cfs-metanode datanode_proto/cfs-datanode; do
        if [ ! -x "$bin/$b" ]; then
            echo "cfs-cluster: $bin/$b is missing; build first (tools/setup.sh build)" >&2
            exit 1
        fi
    done
    mkdir -p "$dir"
    [ -f "$dir/layout" ] || write_configs
    load_layout
    for i in $(seq 1 "$masters"); do launch "master$i" "$bin/master/cfs-master"; done
    for i in $(seq 1 "$metanodes"); do launch "metanode$i" "$bin/metanode_proto/cfs-metanode"; done
    for i in $(seq 1 "$datanodes"); do launch "datanode$i" "$bin/datanode_proto/cfs-datanode"; done
    if ! addr=$(wait_ready); then
        echo "cfs-cluster: the cluster did not come up within 60 s; logs are in $dir" >&2
        status >&2
        exit 1
    fi
    echo "cluster cfs-local is up (data in $dir)"
    echo "  leader:    $addr"
    echo "  masters:   $(master_list | tr -d '"')"
    echo "  metanodes: $(for i in $(seq 1 "$metanodes"); do printf '127.0.0.1:%s ' "$(meta_port "$i")"; done)"
    echo "  datanodes: $(for i in $(seq 1 "$datanodes"); do printf '127.0.0.1:%s ' "$(data_port "$i")"; done)"
    echo "try: curl -L http://$addr/admin/getCluster"
    ;;
status)
    load_layout
    status
    ;;
stop)
    load_layout
    stop_all
    echo "stopped"
    ;;
clean)
    load_layout
    stop_all
    rm -rf "$dir"
    echo "removed $dir"
    ;;
leader)
    if [ ! -f "$dir/layout" ]; then
        echo "cfs-cluster: no cluster in $dir" >&2
        exit 1
    fi
    load_layout
    if ! i=$(leader_index); then
        echo "cfs-cluster: no master leads" >&2
        exit 1
    fi
    pid=""
    running "master$i" && pid=$(cat "$dir/master$i.pid")
    echo "$i 127.0.0.1:$(master_port "$i") ${pid:--}"
    ;;
*)
    usage >&2
    exit 2
    ;;
esac
