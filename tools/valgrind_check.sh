#!/usr/bin/env bash
# Every binary of the product under valgrind memcheck, with real peers: a one-master cluster from
# the launcher, whose master, one data node and one meta node are restarted under valgrind; then
# cfs-cli (under valgrind too) and curl drive volumes, updates and partitions, and everything is
# stopped with SIGTERM so that leaks are counted at a clean exit. Prints each process's error
# summary; exits non-zero when any reported an error or a definite/indirect leak.
#   tools/valgrind_check.sh          (CFS_BIN: build folder, default build/; needs valgrind)
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="${CFS_BIN:-$root/build}"
dir="$(mktemp -d /tmp/cfs-valgrind.XXXXXX)"
export CFS_CLUSTER_PORT_BASE="${CFS_CLUSTER_PORT_BASE:-19100}"
master="127.0.0.1:$((CFS_CLUSTER_PORT_BASE + 10))"
auth="7b2f1bf38b87d32470c4557c7ff02e75" # md5("cfs")
vg=(valgrind --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=9)
pids=()

command -v valgrind >/dev/null || { echo "valgrind is missing (apt-get install valgrind)" >&2; exit 1; }
launcher() { CFS_BIN="$bin" "$root/tools/cfs-cluster.sh" "$@" --dir "$dir/cluster"; }
trap 'launcher clean >/dev/null 2>&1' EXIT
launcher start -m 1 -n 3 -d 3 >/dev/null || { echo "the cluster did not start" >&2; exit 1; }

# Restart the first process of a kind (master, datanode, metanode) under valgrind.
under_valgrind() {
    local kind="$1" binary="$2" cfg name
    cfg=$(ls "$dir/cluster/$kind"*.json | head -1)
    name=$(basename "$cfg" .json)
    kill -TERM "$(cat "$dir/cluster/$name.pid")"
    while kill -0 "$(cat "$dir/cluster/$name.pid")" 2>/dev/null; do sleep 0.1; done
    "${vg[@]}" --log-file="$dir/$kind.vg" "$bin/$binary" -c "$cfg" >"$dir/$kind.out" 2>&1 &
    pids+=($!)
}
under_valgrind master master/cfs-master
under_valgrind datanode datanode_proto/cfs-datanode
under_valgrind metanode metanode_proto/cfs-metanode

cli() { # name args...
    local name="$1"
    shift
    "${vg[@]}" --log-file="$dir/cli-$name.vg" "$bin/tools/cfs-cli" --addr "$master" "$@" >/dev/null
}
for _ in $(seq 1 120); do
    cli wait cluster info 2>/dev/null && break
    sleep 1
done
sleep 10 # the restarted nodes heartbeat back and turn active
cli info cluster info
cli create volume create vgvol cfs --capacity=10 -y
cli list datanode list
curl -s "http://$master/vol/update?name=vgvol&authKey=$auth&description=checked" >/dev/null
curl -s "http://$master/dataPartition/create?name=vgvol&count=2" >/dev/null
curl -s "http://$master/client/partitions?name=vgvol" >/dev/null
curl -s "http://$master/vol/update?name=nosuchvol&authKey=x" >/dev/null
curl -s "http://$master/metrics" >/dev/null
cli vol-info volume info vgvol
sleep 5 # a heartbeat round with the new partitions

status=0
for pid in "${pids[@]}"; do
    kill -TERM "$pid"
    wait "$pid" || status=1
done
for log in "$dir"/*.vg; do
    printf '%-16s %s\n' "$(basename "$log" .vg)" "$(grep -o 'ERROR SUMMARY: [0-9]* errors' "$log")"
    grep -q 'ERROR SUMMARY: 0 errors' "$log" || status=1
done
launcher clean >/dev/null 2>&1
if [ "$status" -eq 0 ]; then
    echo "valgrind: clean"
    rm -rf "$dir"
else
    echo "valgrind: errors; logs in $dir" >&2
fi
exit "$status"
