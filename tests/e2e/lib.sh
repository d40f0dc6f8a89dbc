# shellcheck shell=bash
# Shared by the end-to-end scripts (sourced, never run): a CI-style step log, cfs-cli calls with a
# deadline, bounded waits, and the steps of CubeFS's own CI flow (docker/script/run_test.sh).
#
# Environment:
#   CFS_CLI              the cfs-cli binary (default: build/tools/cfs-cli, else cfs-cli on PATH)
#   CFS_MASTER_ADDR      the masters, read by cfs-cli itself (else ~/.cfs-cli.json)
#   CFS_E2E_METANODES    meta nodes that must be writable and active (default 4)
#   CFS_E2E_DATANODES    data nodes that must be writable and active (default 4)
#   CFS_E2E_WAIT         deadline of each wait, in seconds (default 300, as in CubeFS's CI)
#   CFS_E2E_CMD_TIMEOUT  deadline of one cfs-cli call, in seconds (default 60)
#   CFS_E2E_VOL          the volume and its owner (default ltptest)

e2e_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
e2e_name="$(basename "$0" .sh)"
e2e_metanodes="${CFS_E2E_METANODES:-4}"
e2e_datanodes="${CFS_E2E_DATANODES:-4}"
e2e_wait="${CFS_E2E_WAIT:-300}"
e2e_cmd_timeout="${CFS_E2E_CMD_TIMEOUT:-60}"
e2e_vol="${CFS_E2E_VOL:-ltptest}"
e2e_user="$e2e_vol"
# The keys CubeFS's run_test.sh gives its ltptest user.
e2e_ak="39bEF4RrAQgMj6RV"
e2e_sk="TRL6o3JL16YOqvZGIohBDFTHZDEcFsyd"

e2e_step_no=0
e2e_step_name="setup"
e2e_started=$SECONDS
e2e_scratch="$(mktemp -d "${TMPDIR:-/tmp}/cfs-e2e-$e2e_name.XXXXXX")"
# Output of the last cli / cli_quiet call, and its exit status.
out=""
err=""
cli_rc=0
# What the last wait condition saw, for the failure message.
e2e_last=""

e2e_on_exit() {
    local rc=$?
    rm -rf "$e2e_scratch"
    if [ "$rc" -eq 0 ]; then
        e2e_log "PASS: $e2e_name ($e2e_step_no steps in $((SECONDS - e2e_started)) s)"
    fi
    return "$rc"
}
trap e2e_on_exit EXIT

e2e_log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*"; }

# step NAME: starts the next numbered step of the log.
step() {
    e2e_step_no=$((e2e_step_no + 1))
    e2e_step_name="$*"
    e2e_log "==> step $e2e_step_no: $*"
}

ok() { e2e_log "    ok: $*"; }

# fail REASON: names the failing step on stderr, prints what the cluster looks like, exits 1.
fail() {
    printf '[%s] FAIL: %s: step %d (%s): %s\n' "$(date +%H:%M:%S)" "$e2e_name" "$e2e_step_no" \
        "$e2e_step_name" "$*" >&2
    e2e_diagnose >&2
    exit 1
}

e2e_diagnose() {
    local what e2e_cmd_timeout=10
    [ -x "$CFS_CLI" ] || return 0
    echo "--- cluster state at the failure"
    for what in "cluster info" "metanode list" "datanode list"; do
        # shellcheck disable=SC2086 # the words of the subcommand
        if cli_quiet $what; then
            printf '%s\n' "$out"
        else
            echo "cfs-cli $what: ${err:-exit $cli_rc}"
        fi
    done
    echo "---"
}

if [ -z "${CFS_CLI:-}" ]; then
    CFS_CLI="$e2e_root/build/tools/cfs-cli"
    if [ ! -x "$CFS_CLI" ] && command -v cfs-cli >/dev/null 2>&1; then
        CFS_CLI="$(command -v cfs-cli)"
    fi
fi
if [ ! -x "$CFS_CLI" ]; then
    fail "cfs-cli not found at $CFS_CLI (build it, or set CFS_CLI)"
fi

# cli_quiet ARGS...: runs cfs-cli under the per-call deadline; the output lands in $out and $err
# (the first line of stderr, or the deadline) and the status in $cli_rc, which is also returned.
cli_quiet() {
    cli_rc=0
    timeout -k 5 "$e2e_cmd_timeout" "$CFS_CLI" "$@" >"$e2e_scratch/out" 2>"$e2e_scratch/err" ||
        cli_rc=$?
    out="$(cat "$e2e_scratch/out")"
    err="$(head -n 1 "$e2e_scratch/err")"
    if [ "$cli_rc" -eq 124 ] || [ "$cli_rc" -eq 137 ]; then
        err="no answer within ${e2e_cmd_timeout} s (killed)"
    fi
    return "$cli_rc"
}

# cli ARGS...: the same, echoing the command and its output into the log.
cli() {
    e2e_log "    \$ cfs-cli $*"
    cli_quiet "$@" || true
    if [ -n "$out" ]; then
        printf '%s\n' "$out" | sed 's/^/      /'
    fi
    if [ "$cli_rc" -ne 0 ]; then
        sed 's/^/      (stderr) /' "$e2e_scratch/err"
        e2e_log "    exit status $cli_rc"
    fi
    return "$cli_rc"
}

# cli_must ARGS...: cli, failing the step when cfs-cli does.
cli_must() {
    cli "$@" || fail "cfs-cli $* exited with $cli_rc: ${err:-no message}"
}

# wait_for DESCRIPTION CHECK [ARGS...]: runs CHECK until it succeeds, at most $e2e_wait seconds,
# twice a second. CHECK sets e2e_last to what it saw; the failure message quotes it.
wait_for() {
    local what="$1" start=$SECONDS deadline=$((SECONDS + e2e_wait)) tries=0
    shift
    e2e_last=""
    e2e_log "    waiting (up to ${e2e_wait} s) for $what"
    while :; do
        tries=$((tries + 1))
        if "$@"; then
            ok "$what (after $tries tries, $((SECONDS - start)) s)"
            return 0
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            fail "no $what within ${e2e_wait} s (last seen: ${e2e_last:-nothing})"
        fi
        sleep 0.5
    done
}

# ---- reading cfs-cli's text output (CubeFS's formats) ----------------------------------------

# The address on the "Master leader : addr" line of `cluster info` in $out.
leader_of_out() {
    printf '%s\n' "$out" | sed -n 's/^ *Master leader *: *\([^ ]*\).*$/\1/p' | head -n 1
}

# The value of a "Key : value" line of `volume info` in $out.
field_of_out() {
    printf '%s\n' "$out" | sed -n "s/^ *$1 *: *//p" | head -n 1
}

# ---- the steps of CubeFS's CI flow ----------------------------------------------------------

# leader_named_by ARGS...: `cfs-cli ARGS` (a cluster info) names a leader, kept in e2e_leader.
leader_named_by() {
    if ! cli_quiet "$@"; then
        e2e_last="$err"
        return 1
    fi
    e2e_leader="$(leader_of_out)"
    e2e_last="cluster info printed no Master leader line"
    [ -n "$e2e_leader" ]
}

check_leader() { leader_named_by cluster info; }

flow_wait_leader() {
    step "cluster info until a master leads"
    wait_for "a Master leader line" check_leader
    cli_must cluster info
    ok "leader is $e2e_leader"
}

flow_user() {
    step "user $e2e_user"
    if cli user info "$e2e_user"; then
        ok "user $e2e_user exists"
    else
        case "$err" in
        *"user not exists"*) ;;
        *) fail "user info $e2e_user: ${err:-exit $cli_rc}" ;;
        esac
        cli_must user create "$e2e_user" --access-key="$e2e_ak" --secret-key="$e2e_sk" -y
        cli_must user info "$e2e_user"
        [ "$(field_of_out 'Access Key')" = "$e2e_ak" ] ||
            fail "user info $e2e_user does not show access key $e2e_ak"
        ok "user $e2e_user created"
    fi
}

# check_nodes KIND WANT: `KIND list` shows at least WANT rows both writable ("Yes") and "Active".
check_nodes() {
    local kind="$1" want="$2" good
    if ! cli_quiet "$kind" list; then
        e2e_last="$err"
        return 1
    fi
    good="$(printf '%s\n' "$out" | awk '$3 == "Yes" && $4 == "Active"' | wc -l)"
    e2e_last="$good of $want ${kind}s writable and active"
    [ "$good" -ge "$want" ]
}

flow_wait_nodes() {
    step "metanode list and datanode list until every node is writable and active"
    wait_for "$e2e_metanodes writable active meta nodes" check_nodes metanode "$e2e_metanodes"
    cli_must metanode list
    wait_for "$e2e_datanodes writable active data nodes" check_nodes datanode "$e2e_datanodes"
    cli_must datanode list
}

flow_vol_create() {
    step "volume create $e2e_vol"
    cli_must volume create "$e2e_vol" "$e2e_user" --capacity=30 -y
    cli_must volume info "$e2e_vol"
    e2e_dp_before="$(field_of_out DpCnt)"
    ok "volume $e2e_vol has ${e2e_dp_before:-?} data partitions"
}

check_dp_count() {
    local want="$1" n
    if ! cli_quiet volume info "$e2e_vol"; then
        e2e_last="$err"
        return 1
    fi
    n="$(field_of_out DpCnt)"
    e2e_last="DpCnt ${n:-missing}, want $want"
    [ -n "$n" ] && [ "$n" -ge "$want" ]
}

flow_add_dp() {
    step "vol add-dp $e2e_vol 20"
    cli_must vol add-dp "$e2e_vol" 20
    wait_for "20 more data partitions" check_dp_count "$((${e2e_dp_before:-0} + 20))"
}

flow_vol_info() {
    step "volume info $e2e_vol"
    cli_must volume info "$e2e_vol"
    [ "$(field_of_out Name)" = "$e2e_vol" ] || fail "volume info shows no Name $e2e_vol"
    [ "$(field_of_out Owner)" = "$e2e_user" ] || fail "volume info shows no Owner $e2e_user"
    [ "$(field_of_out Capacity)" = "30 GB" ] || fail "volume info shows no Capacity 30 GB"
    [ "$(field_of_out Status)" = "Normal" ] || fail "volume $e2e_vol is not Normal"
    cli_must volume info "$e2e_vol" -m -d
    cli_must user info "$e2e_user"
}

# Hosts of a data partition from `datapartition info` in $out: the line after "Hosts :".
dp_hosts_of_out() {
    printf '%s\n' "$out" | awk 'found { gsub(/[][]/, ""); print; exit } /^Hosts *:/ { found = 1 }'
}

check_dp_moved() {
    local id="$1" from="$2" hosts
    if ! cli_quiet datapartition info "$id"; then
        e2e_last="$err"
        return 1
    fi
    hosts="$(dp_hosts_of_out)"
    e2e_last="hosts of data partition $id: ${hosts:-none}"
    # shellcheck disable=SC2086 # one word per host
    set -- $hosts
    [ "$#" -eq 3 ] && case " $hosts " in *" $from "*) false ;; *) true ;; esac
}

flow_dp_decommission() {
    # --wait follows the job for up to $e2e_wait seconds; the call gets that much more time.
    local row id host e2e_cmd_timeout=$((e2e_cmd_timeout + e2e_wait))
    step "datapartition decommission --wait"
    cli_must volume info "$e2e_vol" -d
    # "ID REPLICAS STATUS ISRECOVER MEDIA [LEADER] MEMBERS": the first healthy partition, and the
    # first of its members.
    row="$(printf '%s\n' "$out" | awk '/^Data partitions/ { on = 1; next }
        on && $1 ~ /^[0-9]+$/ && $3 == "ReadWrite" && $NF ~ /:/ { print $1, $NF; exit }')"
    [ -n "$row" ] || fail "volume info -d lists no ReadWrite data partition"
    id="${row%% *}"
    host="${row#* }"
    host="${host%%,*}"
    ok "decommissioning data partition $id from $host"
    cli_must datapartition decommission "$host" "$id" --wait --timeout "$e2e_wait" -y
    wait_for "data partition $id on 3 hosts without $host" check_dp_moved "$id" "$host"
    cli_must datapartition info "$id"
}

check_vol_gone() {
    if cli_quiet volume info "$e2e_vol"; then
        e2e_last="volume $e2e_vol status: $(field_of_out Status)"
        [ "$(field_of_out Status)" = "Marked delete" ]
        return
    fi
    e2e_last="$err"
    case "$err" in *"vol not exists"*) return 0 ;; esac
    return 1
}

flow_vol_delete() {
    step "volume delete $e2e_vol"
    cli_must volume delete "$e2e_vol" -y
    wait_for "volume $e2e_vol marked deleted or gone" check_vol_gone
}
