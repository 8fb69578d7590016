# A server in a mount namespace of its own, for the tests whose login
# changes the machine (t-login, t-monitor): /etc is an overlay whose upper
# layer is $UP (the test's own files: PAM service, shadow, nologin, ...),
# /run a tmpfs with an empty utmp, and wtmp and lastlog scratch copies.
# Nothing of the machine's changes, and the parallel tests see none of it.
# Sourced after lib.sh; a root session of that server (vssh -l root) runs
# inside the namespace, with the overlay's /etc and the private utmp.
require_root
command -v unshare >/dev/null || skip "unshare missing"
PROP=$(private_propagation) || exit $?

# The overlay's upper layer, prepared by the test and copied onto a tmpfs
# in the namespace (an overlay's upper layer cannot be on every file system).
UP=$T/up
mkdir -p "$UP"
: > "$T/wtmp"; : > "$T/lastlog"

# exec_private CMD...: becomes CMD where /etc, /run, wtmp and lastlog are ours.
exec_private() {
    exec unshare --mount --propagation "$PROP" /bin/sh -c '
        set -e
        T=$1; shift
        mkdir -p "$T/ovl"
        mount -t tmpfs -o mode=755 tmpfs "$T/ovl"
        mkdir -p "$T/ovl/up" "$T/ovl/work"
        cp -a "$T/up/." "$T/ovl/up/"
        mount -t overlay overlay -o "lowerdir=/etc,upperdir=$T/ovl/up,workdir=$T/ovl/work" /etc
        mount -t tmpfs -o mode=755 tmpfs /run
        install -m 664 -g utmp /dev/null /run/utmp
        [ ! -e /var/log/wtmp ] || mount --bind "$T/wtmp" /var/log/wtmp
        [ ! -e /var/log/lastlog ] || mount --bind "$T/lastlog" /var/log/lastlog
        exec "$@"
    ' sh "$T" "$@"
}
in_private() { (exec_private "$@"); }

start_private() { # [config line]...
    stop_server
    write_config "$@"
    rm -f "$SOCK"
    exec_private "$VS_SSHD" -D -e -f "$T/sshd_config" 2>>"$LOG" &
    SERVER_PID=$!
    wait_for "[ -S '$SOCK' ] || ! kill -0 $SERVER_PID 2>/dev/null" 100 ||
        fail "server did not start"
    [ -S "$SOCK" ] || fail "server exited at start: $(tail -3 "$LOG")"
}

# The USER_PROCESS records in utmp, as "user line (host)" lines, read by a
# session itself: `who` on Debian 13 lists logind's sessions instead (its
# coreutils is built with systemd), which a chroot without logind lacks.
cat > "$T/utmp.py" <<'PY'
import struct
d = open("/run/utmp", "rb").read()
for i in range(0, len(d) - 383, 384):  # struct utmp, x86_64
    kind, = struct.unpack_from("h", d, i)
    line, user, host = (struct.unpack_from(f, d, i + o)[0].split(b"\0")[0].decode()
                        for f, o in (("32s", 8), ("32s", 44), ("256s", 76)))
    if kind == 7:  # USER_PROCESS
        print(user, line, "(" + host + ")")
PY
chmod 644 "$T/utmp.py"
