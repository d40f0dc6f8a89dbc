#!/usr/bin/env bash
# Master API benchmarks on this machine (one master, 3 meta nodes, 3 data nodes on 127.0.0.1):
#   - createVol latency (3 replicas, default counts: 3 meta and 3 data partitions), N runs
#   - /dataPartition/create?count=1 latency, N runs
#   - /client/partitions requests/s with wrk for a volume with 1,000 data partitions
# Prints the numbers; nothing is asserted. Needs curl and wrk (Debian packages).
#   tools/bench/api_latency.sh [RUNS]
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
runs="${1:-10}"
dir="$(mktemp -d /tmp/cfs-bench-XXXXXX)"
launcher=("$root/tools/cfs-cluster.sh")
export CFS_BIN="${CFS_BIN:-$root/build}"

cleanup() { "${launcher[@]}" clean --dir "$dir" >/dev/null 2>&1 || true; }
trap cleanup EXIT

command -v wrk >/dev/null || { echo "bench: wrk is not installed (apt-get install wrk)" >&2; exit 1; }
"${launcher[@]}" start -m 1 -n 3 -d 3 --dir "$dir" >/dev/null
master="127.0.0.1:17010"

# Seconds with millisecond resolution of one call; fails the script on an error envelope.
timed() {
    local out t
    out=$(curl -s -w '\n%{time_total}' "http://$master$1")
    t=${out##*$'\n'}
    out=${out%$'\n'*}
    case "$out" in
    '{"code":0'*) echo "$t" ;;
    *) echo "bench: $1 answered $out" >&2; exit 1 ;;
    esac
}

# Median and min/max of the numbers on stdin, in milliseconds.
summary() {
    sort -n | awk '{v[NR]=$1*1000} END {m=(NR%2)?v[(NR+1)/2]:(v[NR/2]+v[NR/2+1])/2;
        printf "median %.1f ms, min %.1f ms, max %.1f ms (%d runs)\n", m, v[1], v[NR], NR}'
}

echo "== createVol (3 replicas, 3 meta + 3 data partitions)"
for i in $(seq 1 "$runs"); do
    timed "/admin/createVol?name=bench$i&owner=bench&capacity=100&replicaNum=3"
done | summary

echo "== /dataPartition/create?count=1"
for _ in $(seq 1 "$runs"); do
    timed "/dataPartition/create?name=bench1&count=1"
done | summary

echo "== /client/partitions for a volume with 1000 data partitions"
curl -s "http://$master/admin/createVol?name=big&owner=bench&capacity=100000&replicaNum=3" >/dev/null
have=$(curl -s "http://$master/client/partitions?name=big" | grep -o '"PartitionID"' | wc -l)
while [ "$have" -lt 1000 ]; do
    n=$((1000 - have))
    [ "$n" -gt 100 ] && n=100
    timed "/dataPartition/create?name=big&count=$n" >/dev/null
    have=$(curl -s "http://$master/client/partitions?name=big" | grep -o '"PartitionID"' | wc -l)
done
# Let one partition check include the new partitions in the cached view.
sleep 3
echo "partitions in the view: $(curl -s "http://$master/client/partitions?name=big" | grep -o '"PartitionID"' | wc -l)," \
    "envelope $(curl -s "http://$master/client/partitions?name=big" | wc -c) bytes"
for c in 1 16 64; do
    t=$((c < 2 ? 1 : 2)) # wrk needs a connection per thread
    echo "-- wrk -t$t -c$c -d10s"
    wrk -t"$t" -c"$c" -d10s --latency "http://$master/client/partitions?name=big" |
        grep -E "Requests/sec|Transfer/sec|50%|99%"
done
