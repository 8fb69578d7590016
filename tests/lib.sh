# The tests' shared shell library: sourced by every integration test
# (tests/integration/t-*.sh) and by the VM guests' scripts (tests/vm/
# guest-*.sh).  The scripts' own library, for users' commands, is
# scripts/lib.sh; nothing there is for tests, nothing here for users.
# Each test gets its own directory, host key, vsock-sshd on a Unix socket and
# an ssh_config with two hosts: "relay" (vsock-proxy copies bytes) and
# "fdpass" (vsock-proxy hands the socket to ssh).
#
# AF_VSOCK is never reached on this machine (it may be a VM whose vsock peer
# is not ours): every test runs under tests/helpers/novsock, whose seccomp
# filter makes socket(AF_VSOCK) fail for the test and everything it starts,
# as on a kernel without vsock.  CTest starts each test under it; a test run
# by hand re-executes itself under it here, before anything else runs.  Only
# inside the QEMU test guest (tests/vm), whose kernel is its own, is vsock
# real, and there the binaries must reach it.
set -euo pipefail

# Where the programs are: CTest says (VS_SSHD, VS_PROXY, VS_SIGCLIENT,
# VS_NOVSOCK, VS_SRC, VS_DROPIN); a test run by hand, "bash
# tests/integration/t-exec.sh", takes them from the build in $VS_BUILD
# (default build/ of this checkout; scripts/test t-exec builds what it needs).
VS_SRC=${VS_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
if [ -z "${VS_SSHD:-}" ]; then
    vs_b=${VS_BUILD:-build}
    case $vs_b in /*) ;; *) vs_b=$VS_SRC/$vs_b ;; esac
    VS_SSHD=$vs_b/vsock-sshd VS_PROXY=$vs_b/vsock-proxy VS_SIGCLIENT=$vs_b/tests/sigclient
    VS_NOVSOCK=$vs_b/tests/novsock VS_DROPIN=$vs_b/50-vsock-ssh.build.conf
    for vs_f in "$VS_SSHD" "$VS_PROXY" "$VS_SIGCLIENT" "$VS_NOVSOCK"; do
        [ -x "$vs_f" ] && continue
        vs_t=$(basename "$0" .sh)
        echo "$0: $vs_f is not built; run the test with" >&2
        echo "  ${VS_BUILD:+VS_BUILD=$VS_BUILD }scripts/test $vs_t    (configures and builds what it needs in ${VS_BUILD:-build}/)" >&2
        echo "or build it, then run the test again:" >&2
        echo "  cmake --build ${VS_BUILD:-build} --target test-programs && bash $0" >&2
        exit 2
    done
    export VS_SSHD VS_PROXY VS_SIGCLIENT VS_NOVSOCK VS_DROPIN VS_SRC
fi
# The test guest's kernel command line carries this marker (scripts/qemu-run).
in_test_vm() { grep -qw vsock_ssh_vm=1 /proc/cmdline 2>/dev/null; }
# Under novsock already: its mark and a filter that answers (another
# filter that refuses AF_VSOCK alone is not enough; novsock stacks on it).
if ! in_test_vm && ! { [ "${VS_NOVSOCK_ACTIVE:-}" = 1 ] &&
                       "${VS_NOVSOCK:?the novsock wrapper (set by ctest)}" --check; }; then
    exec "$VS_NOVSOCK" bash "$0" "$@"
fi
export LC_ALL=C
# ssh runs ProxyCommand with $SHELL -c, and bash with a socket on stdin reads
# ~/.bashrc (its rshd heuristic): the machine's dotfiles must not take part.
export SHELL=/bin/sh

T=$(mktemp -d /tmp/vst.XXXXXX)
chmod 755 "$T"
SOCK=$T/sock
LOG=$T/server.log
ME=$(id -un)
TEST_USER=vsock-ssh-test
# Sessions log in as the ordinary test account when we are root (its /bin/sh
# has no dotfiles that could add noise or time), else as ourselves.
LOGIN=$ME
if [ "$(id -u)" -eq 0 ] && getent passwd "$TEST_USER" >/dev/null; then LOGIN=$TEST_USER; fi
MODES="relay fdpass"
SERVER_PID=

log() { echo "# $*"; }
fail() {
    echo "FAIL: $*" >&2
    if [ -s "$LOG" ]; then echo "--- server log (last 30 lines)" >&2; tail -30 "$LOG" >&2; fi
    exit 1
}
skip() { echo "SKIP: $*"; exit 77; }
expect_eq() { # what expected actual
    [ "$2" = "$3" ] || fail "$1: expected '$2', got '$3'"
}
# (A here-string, not a pipe: under pipefail, grep -q leaving at the first
# match can kill the writer with SIGPIPE and fail a matching pipeline.)
expect_match() { # what regex text
    grep -Eq -- "$2" <<<"$3" || fail "$1: '$3' does not match /$2/"
}
require_root() { [ "$(id -u)" -eq 0 ] || skip "needs root"; }
require_test_user() {
    require_root
    getent passwd "$TEST_USER" >/dev/null || skip "account $TEST_USER missing (run scripts/deps)"
}

# Waits up to $2 tenths of a second for the command in $1 to succeed.
wait_for() {
    local i=0
    until eval "$1"; do
        i=$((i + 1))
        [ $i -le "${2:-100}" ] || return 1
        sleep 0.1
    done
}

sanitizer_check() {
    if [ -f "$LOG" ] && grep -Eq 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$LOG"; then
        echo "FAIL: sanitizer report in server log" >&2
        grep -E -A20 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$LOG" | head -60 >&2
        return 1
    fi
}

stop_server() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        # Connections first (they hang up their sessions), then the listener.
        local c
        for c in $(conn_pids); do kill -TERM "$c" 2>/dev/null || true; done
        if ! kill -TERM "$SERVER_PID" 2>/dev/null; then
            # Gone between the two kills: it exited by itself, or $!
            # was a shell around it that ended with it.
            echo "FAIL: the server (process $SERVER_PID) exited before the test stopped it" >&2
            tail -5 "$LOG" >&2
            SERVER_PID=
            return 1
        fi
        wait_for "! kill -0 $SERVER_PID 2>/dev/null" 100 || kill -KILL "$SERVER_PID"
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    SERVER_PID=
}

cleanup() {
    local rc=$?
    trap - EXIT
    # A FUSE mount (t-sshfs) left by a failed test would block the rm below.
    local mnt
    for mnt in $(awk -v t="$T/" 'index($2, t) == 1 { print $2 }' /proc/mounts 2>/dev/null); do
        fusermount3 -u -z "$mnt" 2>/dev/null || umount -l "$mnt" 2>/dev/null || true
    done
    stop_server || rc=1
    sanitizer_check || rc=1
    # Processes the test started (and any session left behind) go too.
    pkill -KILL -f "$T/" 2>/dev/null || true
    if [ $rc -eq 0 ] || [ $rc -eq 77 ]; then rm -rf "$T"; else echo "# kept $T" >&2; fi
    exit $rc
}
trap cleanup EXIT

ssh-keygen -q -t ed25519 -N '' -C vsock-ssh-test -f "$T/key"

# write_config [LINE]...: the server configuration; every test starts from it.
write_config() {
    {
        echo "HostKey $T/key"
        echo "Listen unix:$SOCK"
        for l in "$@"; do echo "$l"; done
    } > "$T/sshd_config"
}

# start_server [vsock-sshd ARG]...: starts it in the foreground with the
# configuration written by write_config (default one if none).
start_server() {
    [ -f "$T/sshd_config" ] || write_config
    rm -f "$SOCK"
    "$VS_SSHD" -D -e -f "$T/sshd_config" "$@" 2>>"$LOG" &
    SERVER_PID=$!
    wait_for "[ -S '$SOCK' ] || ! kill -0 $SERVER_PID 2>/dev/null" 100 ||
        fail "server did not start"
    [ -S "$SOCK" ] || fail "server exited at start"
}

# write_ssh_config [TARGET [CONNECT-TIMEOUT]]: hosts "relay" and "fdpass"
# through vsock-proxy to TARGET (default unix$SOCK; the VM tests give
# "CID PORT"), logging in as $LOGIN; ConnectTimeout 20 s unless given.
write_ssh_config() {
    local s=${1:-unix$SOCK}
    cat > "$T/ssh_config" <<CONF
Host relay
	ProxyCommand $VS_PROXY $s
Host fdpass
	ProxyCommand $VS_PROXY --fdpass $s
	ProxyUseFdpass yes
Host *
	User $LOGIN
	StrictHostKeyChecking no
	UserKnownHostsFile /dev/null
	GlobalKnownHostsFile /dev/null
	LogLevel ERROR
	BatchMode yes
	ConnectTimeout ${2:-20}
	ControlPath none
	ControlMaster no
	IdentitiesOnly yes
	IdentityFile none
CONF
}
write_ssh_config

vssh() { ssh -F "$T/ssh_config" "$@"; }

# Connection processes: for each child of the listener, the connection
# itself, which is that child until authentication and, after it, the
# child's vsock-sshd child (running as the user) under the root monitor that
# holds the login (login.h).  Empty once every connection's processes are gone.
conn_pids() {
    local p c
    for p in $(pgrep -P "$SERVER_PID" || true); do
        c=$(pgrep -P "$p" -x vsock-sshd || true)
        echo "${c:-$p}"
    done
}

# Prints the highest VmRSS (kB) any connection process reached while
# process $1 ran: sampled every 10 ms, and the "peak RSS" each connection
# that ended meanwhile logs (a connection dropped within milliseconds
# escapes the sampling on a busy machine).  0 if neither saw one.
peak_conn_rss() {
    local pid=$1 peak=0 r c lines logged
    lines=$(wc -l < "$LOG" 2>/dev/null || echo 0)
    while kill -0 "$pid" 2>/dev/null; do
        for c in $(conn_pids); do
            r=$(awk '/^VmRSS:/ { print $2 }' "/proc/$c/status" 2>/dev/null || echo 0)
            [ "${r:-0}" -le "$peak" ] || peak=$r
        done
        sleep 0.01
    done
    # The connection's own account, once it has written it.
    for _ in $(seq 50); do
        logged=$(tail -n +"$((lines + 1))" "$LOG" 2>/dev/null |
                 sed -n 's/.*connection closed: .*peak RSS \([0-9]*\) kB.*/\1/p' | sort -n | tail -1)
        [ -z "$logged" ] || break
        sleep 0.1
    done
    [ "${logged:-0}" -le "$peak" ] || peak=$logged
    echo "$peak"
}

# The propagation for "unshare --mount" whose mounts must not reach the
# machine: private.  In a chroot (the Debian 13 stage) / is no mount point
# and cannot be made private; there the mounts must all be private already.
# Skips the test where neither holds.
private_propagation() {
    if unshare --mount --propagation private true 2>/dev/null; then
        echo private
    elif ! grep -q 'shared:' /proc/self/mountinfo; then
        echo unchanged
    else
        echo "SKIP: cannot make a private mount namespace here" >&2
        exit 77
    fi
}

# Whether no_new_privs is set: novsock sets it where it may not install its
# filter otherwise (without CAP_SYS_ADMIN), and then file capabilities and
# set-user-ID do not apply to what the test starts.
no_new_privs() { grep -q '^NoNewPrivs:[[:space:]]*1' /proc/self/status; }

# Whether the server under test is a sanitizer build (no memory bounds then).
sanitized() { ldd "$VS_SSHD" | grep libasan >/dev/null; }
