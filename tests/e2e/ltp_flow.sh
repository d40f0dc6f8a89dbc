#!/usr/bin/env bash
# CubeFS's CI flow (docker/script/run_test.sh, minus the FUSE mount and LTP) through cfs-cli
# against a running cluster: wait for a leader, create the ltptest user, wait until every node is
# writable and active, create the volume, add 20 data partitions, show it, move one replica of a
# data partition (decommission --wait), delete the volume.
#
#   CFS_MASTER_ADDR=host:port,... tests/e2e/ltp_flow.sh     (or the masters in ~/.cfs-cli.json)
#
# Every step is logged; the first failure names its step on stderr and exits 1. tests/e2e/lib.sh
# lists the other variables (node counts, deadlines, the cfs-cli binary).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

flow_wait_leader
flow_user
flow_wait_nodes
flow_vol_create
flow_add_dp
flow_vol_info
flow_dp_decommission
flow_vol_delete
