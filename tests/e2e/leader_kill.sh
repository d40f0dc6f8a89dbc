#!/usr/bin/env bash
# The ltp_flow steps with the master leader killed (kill -9) after the volume is created: cfs-cli
# has to find the new leader, which must still have the volume and must serve add-dp, volume
# info, a data partition decommission and the deletion. At the end the killed master is started
# again and must answer through the group.
#
# As in CubeFS, a new leader knows the nodes only from its records until their first heartbeats
# come back, so the flow's own "every node writable and active" wait runs again after the
# election, before add-dp.
#
#   CFS_E2E_CLUSTER_DIR=DIR tests/e2e/leader_kill.sh
#
# DIR is the folder of a cluster started by tools/cfs-cluster.sh (its pid files say which process
# to kill); the masters come from CFS_MASTER_ADDR or ~/.cfs-cli.json as for ltp_flow.sh.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

cluster_dir="${CFS_E2E_CLUSTER_DIR:-}"
launcher="$e2e_root/tools/cfs-cluster.sh"
if [ -z "$cluster_dir" ] || [ ! -f "$cluster_dir/layout" ]; then
    fail "CFS_E2E_CLUSTER_DIR must name the folder of a tools/cfs-cluster.sh cluster"
fi

now_ms() { echo $(($(date +%s%N) / 1000000)); }

check_new_leader() {
    check_leader || return 1
    e2e_last="the leader is still $old_addr"
    [ "$e2e_leader" != "$old_addr" ]
}

check_dead() {
    e2e_last="pid $old_pid still running"
    ! kill -0 "$old_pid" 2>/dev/null || grep -qs '^[0-9]* ([^)]*) Z' "/proc/$old_pid/stat"
}

flow_wait_leader
flow_user
flow_wait_nodes
flow_vol_create

step "kill -9 the master leader"
cli_must cluster info
cli_leader="$(leader_of_out)"
read -r old_index old_addr old_pid < <("$launcher" leader --dir "$cluster_dir") ||
    fail "tools/cfs-cluster.sh leader found no leader"
[ "$old_addr" = "$cli_leader" ] ||
    fail "cfs-cluster.sh says master$old_index ($old_addr) leads, cfs-cli says $cli_leader"
[ "$old_pid" != "-" ] || fail "master$old_index ($old_addr) leads but its process is not running"
ok "master$old_index ($old_addr) leads, pid $old_pid"
kill -9 "$old_pid"
killed_at="$(now_ms)"
wait_for "pid $old_pid to exit" check_dead

step "cluster info until another master leads"
wait_for "a Master leader other than $old_addr" check_new_leader
ok "new leader $e2e_leader, $(($(now_ms) - killed_at)) ms after the kill"
cli_must cluster info
cli_must volume info "$e2e_vol"
[ "$(field_of_out Name)" = "$e2e_vol" ] || fail "the new leader has no volume $e2e_vol"

flow_wait_nodes
flow_add_dp
flow_vol_info
flow_dp_decommission
flow_vol_delete

step "restart master$old_index"
CFS_BIN="${CFS_BIN:-$e2e_root/build}" "$launcher" start --dir "$cluster_dir" ||
    fail "tools/cfs-cluster.sh start could not bring master$old_index back"
# Until it hears from the leader, a restarted master answers "no leader".
wait_for "master$old_index ($old_addr) to answer with a Master leader" \
    leader_named_by --addr "$old_addr" cluster info
cli_must --addr "$old_addr" cluster info
ok "master$old_index answers again; the leader is $e2e_leader"
