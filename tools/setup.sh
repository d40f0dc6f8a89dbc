#!/usr/bin/env bash
# One entry point for a fresh Debian 12 machine.
#
#   tools/setup.sh run     install what is missing, build, start a local cluster (3 masters, 3 meta
#                          nodes, 3 data nodes on 127.0.0.1; tools/cfs-cluster.sh stop|status|clean)
#   tools/setup.sh test    install what is missing, build (gcc, clang, ASan+UBSan), run every test
#                          (unit, integration, system, e2e) and validate the compose file
#   tools/setup.sh deps    only install the Debian packages that are missing
#   tools/setup.sh build   install, then build with gcc into build/
#
# Installing is idempotent: packages already present are skipped and `apt-get update` only runs
# when something is missing.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

jobs="$(nproc 2>/dev/null || echo 2)"

packages=(
    build-essential cmake pkg-config clang clang-format
    libh2o-dev libuv1-dev libraft-dev liblmdb-dev libjansson-dev libcurl4-openssl-dev
    libcunit1-dev
    # libh2o-dev's headers include <openssl/ssl.h> and <zlib.h> without depending on them.
    libssl-dev zlib1g-dev
    curl
    # The test command validates docker/docker-compose.yml (no Docker engine needed).
    docker-compose
)

say() { printf '==> %s\n' "$*"; }

install_deps() {
    local missing=() pkg
    for pkg in "${packages[@]}"; do
        if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
            missing+=("$pkg")
        fi
    done
    if [ "${#missing[@]}" -eq 0 ]; then
        say "all ${#packages[@]} Debian packages already installed"
        return
    fi
    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        if ! command -v sudo >/dev/null; then
            echo "setup: need root (or sudo) to install: ${missing[*]}" >&2
            exit 1
        fi
        sudo=(sudo)
    fi
    say "installing: ${missing[*]}"
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
        "${missing[@]}"
}

# build DIR COMPILER [extra cmake args...]
build() {
    local dir="$1" cc="$2"
    shift 2
    say "building in $dir with $cc $*"
    CC="$cc" cmake -S "$root" -B "$root/$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
    cmake --build "$root/$dir" -j "$jobs"
}

check_compose() {
    say "validating docker/docker-compose.yml"
    docker-compose -f "$root/docker/docker-compose.yml" config -q
}

run_tests() {
    local dir="$1"
    say "testing $dir"
    (cd "$root/$dir" && ctest --output-on-failure --verbose -j1)
}

check_format() {
    say "checking formatting (clang-format, .clang-format)"
    local files
    files=$(find common storage admin_task datanode_proto metanode_proto master tools tests \
        -name '*.[ch]' -not -path '*/data/*' | sort)
    # shellcheck disable=SC2086
    clang-format --dry-run --Werror $files
}

cmd="${1:-test}"
case "$cmd" in
deps)
    install_deps
    ;;
build)
    install_deps
    build build gcc
    ;;
run)
    install_deps
    build build gcc
    shift
    exec "$root/tools/cfs-cluster.sh" start "$@"
    ;;
test)
    install_deps
    check_format
    check_compose
    build build-clang clang
    build build gcc
    run_tests build
    build build-asan gcc -DCFS_SANITIZE=ON
    ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 run_tests build-asan
    ;;
*)
    echo "usage: tools/setup.sh [run|test|deps|build]" >&2
    exit 2
    ;;
esac
