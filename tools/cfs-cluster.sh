#!/usr/bin/env bash
# A local CubeFS-compatible cluster on 127.0.0.1: masters, meta nodes and data nodes with
# generated configs and all data under one folder.
#
#   tools/cfs-cluster.sh start [-m MASTERS] [-n METANODES] [-d DATANODES] [--dir DIR]
#   tools/cfs-cluster.sh status|stop|clean [--dir DIR]
#
# start waits until a leader is elected and every node is active, then prints the addresses.
# Defaults: 3 masters (HTTP 17010..), 3 meta nodes, 3 data nodes, folder ./.cluster.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="${CFS_BIN:-$root/build}"
dir="$root/.cluster"
masters=3
metanodes=3
datanodes=3
cmd="${1:-start}"
[ $# -gt 0 ] && shift

usage() {
    sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
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

master_port() { echo $((17010 + $1 - 1)); }
meta_port() { echo $((17210 + $1 - 1)); }
data_port() { echo $((17310 + $1 - 1)); }

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
    echo "$masters $metanodes $datanodes" >"$dir/layout"
}

launch() { # name binary
    local name="$1" binary="$2"
    if [ -f "$dir/$name.pid" ] && kill -0 "$(cat "$dir/$name.pid")" 2>/dev/null; then
        return
    fi
    nohup "$binary" -c "$dir/$name.json" >>"$dir/$name.out" 2>&1 &
    echo $! >"$dir/$name.pid"
}

running() { [ -f "$dir/$1.pid" ] && kill -0 "$(cat "$dir/$1.pid")" 2>/dev/null; }

leader() { # prints the HTTP address of the ready leader, if any
    local i addr
    for i in $(seq 1 "$masters"); do
        addr="127.0.0.1:$(master_port "$i")"
        if curl -sf --max-time 2 "http://$addr/admin/getCluster" | grep -q '"code":0'; then
            echo "$addr"
            return 0
        fi
    done
    return 1
}

active_count() { # route -> number of nodes reporting Status true
    curl -sfL --max-time 3 "http://$1$2" | grep -o '"Status":true' | wc -l
}

wait_ready() {
    local deadline=$((SECONDS + 60)) addr="" dn mn
    while [ $SECONDS -lt $deadline ]; do
        if addr=$(leader); then
            dn=$(active_count "$addr" /admin/cluster/getAllDataNodes || echo 0)
            mn=$(active_count "$addr" /admin/cluster/getAllMetaNodes || echo 0)
            if [ "$dn" -ge "$datanodes" ] && [ "$mn" -ge "$metanodes" ]; then
                echo "$addr"
                return 0
            fi
        fi
        sleep 0.5
    done
    return 1
}

load_layout() {
    if [ -f "$dir/layout" ]; then
        read -r masters metanodes datanodes <"$dir/layout"
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
            kill -0 "$pid" 2>/dev/null || break
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
*)
    usage >&2
    exit 2
    ;;
esac
