# novsock (tests/helpers/novsock.c), the seccomp filter every test runs
# under so that nothing on this machine reaches AF_VSOCK: its logic seen
# working on a harmless family (AF_UNIX) before AF_VSOCK is asked about; the
# filter kept by whatever a test starts (env -i, a static binary, a program
# with a file capability, which still gets it); and what the binaries say
# under it, which is what a user on a kernel without vsock reads.
# By hand: bash tests/unit/test_novsock.sh (the build in $VS_BUILD, build/).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
b=${VS_BUILD:-build}
case $b in /*) ;; *) b=$top/$b ;; esac
N=${VS_NOVSOCK:-$b/tests/novsock}
VS_SSHD=${VS_SSHD:-$b/vsock-sshd} VS_PROXY=${VS_PROXY:-$b/vsock-proxy}
[ -x "$N" ] || { echo "$N is not built: run scripts/test unit/novsock" >&2; exit 2; }
# Never a step without the filter (CTest starts this under it already).
"$N" --check || exec "$N" bash "$0" "$@"

T=$(mktemp -d /tmp/vst.XXXXXX)
trap 'rm -rf "$T"' EXIT
bad=0
expect() { # what expected actual
    if [ "$2" = "$3" ]; then echo "ok: $1"; else echo "FAIL: $1: expected '$2', got '$3'" >&2; bad=1; fi
}
# What socket() and socketpair() give for each family named: "open" or
# the errno's name; "io_uring" tries io_uring_setup.
try() { # family-number|io_uring...
    python3 - "$@" <<'PY'
import ctypes, errno, socket, sys
def err(e): return errno.errorcode.get(e, str(e))
out = []
for a in sys.argv[1:]:
    if a == "io_uring":
        libc = ctypes.CDLL(None, use_errno=True)
        params = ctypes.create_string_buffer(120)
        fd = libc.syscall(425, 1, params)  # io_uring_setup (x86_64, aarch64, riscv64)
        out.append("open" if fd >= 0 else err(ctypes.get_errno()))
        continue
    f = int(a)
    for make in (lambda: [socket.socket(f, socket.SOCK_STREAM)],
                 lambda: list(socket.socketpair(f, socket.SOCK_STREAM))):
        try:
            for s in make():
                s.close()
            out.append("open")
        except OSError as e:
            out.append(err(e.errno))
print(" ".join(out))
PY
}

expect "the filter is here (CTest's, or the one above)" 0 "$("$N" --check; echo $?)"
expect "an empty environment keeps it" 0 "$(env -i "$N" --check; echo $?)"

# The logic first, on AF_UNIX (1), which is harmless to open: open without
# --also-family, refused with it; AF_INET (2) stays as it was (no socketpair).
expect "AF_UNIX, AF_INET without --also-family" "open open open ENOTSUP" "$(try 1 2)"
got=$("$N" --also-family 1 bash -c "$(declare -f try); try 1 2")
expect "AF_UNIX refused with --also-family, AF_INET open" \
    "EAFNOSUPPORT EAFNOSUPPORT open ENOTSUP" "$got"
if [ "$got" != "EAFNOSUPPORT EAFNOSUPPORT open ENOTSUP" ]; then
    echo "FAIL: the filter's logic does not hold: AF_VSOCK not asked about" >&2
    exit 1
fi
# Now AF_VSOCK (40): as on a kernel without vsock, for socket and socketpair;
# io_uring (whose socket requests bypass the system call) as if absent.
expect "AF_VSOCK refused" "EAFNOSUPPORT EAFNOSUPPORT" "$(try 40)"
expect "io_uring absent" "ENOSYS" "$(try io_uring)"

# Kept across execve of a static binary (the kernel's, not the C library's).
if command -v busybox >/dev/null && ! ldd "$(command -v busybox)" >/dev/null 2>&1; then
    expect "a static binary runs filtered" "Seccomp: 2" \
        "$(busybox cat /proc/self/status | busybox tr -s '\t' ' ' | busybox grep '^Seccomp:')"
fi

# A file capability still applies under the filter when root installed it
# (no no_new_privs): what group vsock-ssh's vsock-proxy copy needs.
nnp=$(awk '/^NoNewPrivs:/ { print $2 }' /proc/self/status)
if [ "$(id -u)" -eq 0 ] && [ "$nnp" = 0 ] && getent passwd vsock-ssh-test >/dev/null &&
   command -v setcap >/dev/null && command -v busybox >/dev/null &&
   mkdir "$T/cap" && cp "$(command -v busybox)" "$T/cap/busybox" && chmod 755 "$T" "$T/cap" &&
   setcap cap_net_bind_service=ep "$T/cap/busybox" 2>/dev/null; then
    got=$(setpriv --reuid=vsock-ssh-test --regid="$(id -g vsock-ssh-test)" --init-groups \
        "$T/cap/busybox" cat /proc/self/status | awk '/^(CapEff|Seccomp):/ { printf "%s %s ", $1, $2 }')
    expect "a file capability applies under the filter" "CapEff: 0000000000000400 Seccomp: 2 " "$got"
elif [ "$nnp" = 1 ]; then
    echo "# no_new_privs is set (not root): file capabilities do not apply under it"
else
    echo "# file capabilities not checked here (needs root, setcap, busybox, vsock-ssh-test)"
fi

# What the binaries say, as on a kernel without vsock.
if [ -x "$VS_SSHD" ] && [ -x "$VS_PROXY" ]; then
    ssh-keygen -q -t ed25519 -N '' -f "$T/key"
    printf 'HostKey %s\nListen vsock:2222\nUsePAM no\n' "$T/key" > "$T/cfg"
    rc=0
    err=$(timeout 20 "$VS_SSHD" -D -e -f "$T/cfg" 2>&1 </dev/null) || rc=$?
    expect "vsock-sshd without AF_VSOCK: exit 1" 1 "$rc"
    if grep -Eq 'Cannot listen on vsock:[^ ]*2222: this kernel has no vsock support \(a guest needs a vsock device and its transport: modprobe vmw_vsock_virtio_transport\)' <<<"$err"; then
        echo "ok: vsock-sshd's message"
    else
        echo "FAIL: vsock-sshd's message: $err" >&2
        bad=1
    fi
    rc=0
    err=$(timeout 20 "$VS_PROXY" 3 22 2>&1 </dev/null) || rc=$?
    expect "vsock-proxy without AF_VSOCK" "1: vsock-proxy: cannot connect to CID 3 port 22: this kernel has no vsock support (on a host load vhost_vsock, in a guest the virtio vsock transport)" "$rc: $err"
fi
exit $bad
