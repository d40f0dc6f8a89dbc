#!/usr/bin/env bash
# What a wrapper script sees when cfs-cli fails: a non-zero exit status, nothing on stdout, and
# one line on stderr, "Error: <reason>" (usage errors may add cobra's "Run 'cfs-cli ... --help'
# for usage." hint, as CubeFS's cfs-cli does). Cases: unknown volume, user and partition; bad
# flags, missing or extra arguments, bad numbers, unknown commands; errors the master returns;
# no master reachable (the message names every master tried); bad addresses in --addr,
# CFS_MASTER_ADDR and ~/.cfs-cli.json; a broken config file; a non-master at the address.
#
#   CFS_MASTER_ADDR=host:port,... tests/e2e/errors.sh      (a running cluster with data nodes)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

cases=0
start_addr="${CFS_MASTER_ADDR-}"
start_home="${HOME-}"

# expect_error STATUS PATTERN... -- ARGS...: cfs-cli ARGS must exit with STATUS (any non-zero
# status for "nz"), print nothing on stdout, and print one "Error: " line containing every
# PATTERN (fixed strings) on stderr, optionally followed by the usage hint.
expect_error() {
    local want="$1" patterns=() first rest p env=""
    shift
    while [ "$1" != "--" ]; do
        patterns+=("$1")
        shift
    done
    shift
    cases=$((cases + 1))
    [ "${CFS_MASTER_ADDR-}" = "$start_addr" ] || env="CFS_MASTER_ADDR=${CFS_MASTER_ADDR-} "
    [ "${HOME-}" = "$start_home" ] || env="${env}HOME=$HOME "
    e2e_log "    case $cases: ${env}cfs-cli $*"
    cli_quiet "$@" || true
    first="$(head -n 1 "$e2e_scratch/err")"
    rest="$(tail -n +2 "$e2e_scratch/err")"
    e2e_log "      exit $cli_rc, stderr: $first${rest:+ / $rest}"
    if [ "$cli_rc" -eq 0 ]; then
        fail "cfs-cli $* succeeded"
    fi
    if [ "$want" != nz ] && [ "$cli_rc" -ne "$want" ]; then
        fail "cfs-cli $* exited with $cli_rc, want $want"
    fi
    [ -z "$out" ] || fail "cfs-cli $* printed on stdout: $(head -n 1 <<<"$out")"
    case "$first" in
    "Error: "?*) ;;
    *) fail "cfs-cli $*: stderr does not start with an \"Error: \" line: $first" ;;
    esac
    case "$rest" in
    "" | "Run 'cfs-cli"*"--help' for usage.") ;;
    *) fail "cfs-cli $*: more than one line of reason on stderr: $rest" ;;
    esac
    for p in "${patterns[@]}"; do
        case "$first" in
        *"$p"*) ;;
        *) fail "cfs-cli $*: the reason does not say \"$p\": $first" ;;
        esac
    done
}

# closed_ports N: N ports on 127.0.0.1 that refuse connections right now, from 1 up.
closed_ports() {
    local n="$1" port=1 found=()
    while [ "${#found[@]}" -lt "$n" ] && [ "$port" -lt 1024 ]; do
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            found+=("$port")
        fi
        port=$((port + 1))
    done
    echo "${found[*]}"
}

flow_wait_leader
flow_wait_nodes
node="$(printf '%s\n' "$out" | awk '$2 ~ /:[0-9]+$/ { print $2; exit }')"
[ -n "$node" ] || fail "datanode list shows no address"

step "objects that do not exist"
expect_error 1 "vol not exists" -- volume info nosuchvol
expect_error 1 "vol not exists" -- volume delete nosuchvol -y
expect_error 1 "vol not exists" -- vol add-dp nosuchvol 1
expect_error 1 "user not exists" -- user info nosuchuser
expect_error 1 "not exists" -- datapartition info 999999
expect_error 1 "not exists" -- datapartition decommission "$node" 999999 -y

step "bad flags, arguments and commands"
expect_error 2 "unknown flag: --no-such-flag" -- volume info ltptest --no-such-flag
expect_error 2 "unknown shorthand flag" -- volume info ltptest -Z
expect_error 2 "requires at least 1 arg(s), only received 0" -- volume info
expect_error 2 "requires at least 2 arg(s), only received 1" -- volume create onlyname -y
expect_error 2 "requires at least 2 arg(s), only received 1" -- vol add-dp ltptest
expect_error 2 "accepts at most 1 arg(s), received 2" -- volume info ltptest extra
expect_error 2 "invalid number" "abc" -- vol add-dp ltptest abc
expect_error 2 "unknown command \"nosuchcmd\"" -- nosuchcmd
expect_error 2 "unknown command \"nosuchsub\"" -- volume nosuchsub

step "errors the master returns"
expect_error 1 "name" -- volume create 'bad!name' ltptest -y
cli_must volume create errvol ltptest --capacity=10 -y
expect_error 1 "duplicate vol" -- volume create errvol ltptest --capacity=10 -y
cli_must volume delete errvol -y

step "no master reachable"
read -r -a ports <<<"$(closed_ports 3)"
[ "${#ports[@]}" -eq 3 ] || fail "found no 3 closed ports on 127.0.0.1 below 1024"
closed="127.0.0.1:${ports[0]},127.0.0.1:${ports[1]},127.0.0.1:${ports[2]}"
started=$SECONDS
CFS_MASTER_ADDR="$closed" expect_error 1 "no master answered" "127.0.0.1:${ports[0]}" \
    "127.0.0.1:${ports[1]}" "127.0.0.1:${ports[2]}" -- cluster info
CFS_MASTER_ADDR="$closed" expect_error 1 "127.0.0.1:${ports[0]}" "127.0.0.1:${ports[1]}" \
    "127.0.0.1:${ports[2]}" -- volume info ltptest
expect_error 1 "no master answered" "127.0.0.1:${ports[0]}" -- --addr "127.0.0.1:${ports[0]}" \
    cluster info
[ $((SECONDS - started)) -le 10 ] || fail "closed ports took $((SECONDS - started)) s to report"
# A data node's packet port accepts the connection but speaks no HTTP.
CFS_MASTER_ADDR="$node" expect_error 1 "no master answered" "$node" -- cluster info

step "bad master addresses"
CFS_MASTER_ADDR="notanaddr" expect_error nz "CFS_MASTER_ADDR" "invalid address \"notanaddr\"" -- \
    cluster info
CFS_MASTER_ADDR="127.0.0.1:99999" expect_error nz "invalid address \"127.0.0.1:99999\"" -- \
    cluster info
CFS_MASTER_ADDR="127.0.0.1:" expect_error nz "invalid address \"127.0.0.1:\"" -- cluster info
CFS_MASTER_ADDR="," expect_error nz "CFS_MASTER_ADDR" -- cluster info
expect_error nz "--addr" "invalid address \"nohost\"" -- --addr nohost cluster info

step "the config file"
home="$e2e_scratch/home"
mkdir -p "$home"
HOME="$home" CFS_MASTER_ADDR="" expect_error 1 "no master address" -- cluster info
printf '{"masterAddr":["127.0.0.1:%s","127.0.0.1:%s"],"timeout":5}\n' "${ports[0]}" \
    "${ports[1]}" >"$home/.cfs-cli.json"
HOME="$home" CFS_MASTER_ADDR="" expect_error 1 "no master answered" "127.0.0.1:${ports[0]}" \
    "127.0.0.1:${ports[1]}" -- cluster info
printf '{"masterAddr":["nohost"]}\n' >"$home/.cfs-cli.json"
HOME="$home" CFS_MASTER_ADDR="" expect_error nz ".cfs-cli.json" "invalid address \"nohost\"" -- \
    cluster info
printf '{"masterAddr": [\n' >"$home/.cfs-cli.json"
HOME="$home" CFS_MASTER_ADDR="" expect_error nz ".cfs-cli.json" "invalid JSON" -- cluster info

ok "$cases error cases"
