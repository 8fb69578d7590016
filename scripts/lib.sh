# Sourced (by bash) by scripts/demo and scripts/vm: install what building and running
# need, and build the two programs.  Sets $build (VSOCK_SSH_BUILD, default
# $top/build).  The tests are built only where cmocka is installed, so that a
# user who only runs the product needs neither cmocka nor the test tools.
vs_build_for_run() {
    "$top/scripts/deps" run
    build=${VSOCK_SSH_BUILD:-$top/build}
    local tests=OFF
    pkg-config --exists cmocka 2>/dev/null && tests=ON
    cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVS_BUILD_TESTS=$tests >/dev/null
    cmake --build "$build" -j "$(nproc 2>/dev/null || echo 2)" --target vsock-sshd vsock-proxy >/dev/null
}

# Logs in with ssh and the given options: runs CMD... if given, else an
# interactive shell on a terminal, else one line saying where it landed.
vs_login() { # ssh-options... -- [CMD...]
    local opts=()
    while [ $# -gt 0 ] && [ "$1" != -- ]; do opts+=("$1"); shift; done
    [ $# -gt 0 ] && shift
    if [ $# -gt 0 ]; then
        ssh "${opts[@]}" "$@"
    elif [ -t 0 ]; then
        ssh "${opts[@]}"
    else
        ssh "${opts[@]}" 'echo "logged in as $(id -un) on $(uname -n) via $SSH_CONNECTION"'
    fi
}
