# A real login (login.h): PAM's account and session stacks with the PAM
# service vsock-ssh ships (pam_nologin, expiry, pam_loginuid, pam_limits,
# pam_env), utmp/wtmp for PTY sessions, the root monitor and the user's
# connection process, and the same account rules without PAM.
#
# The server runs in a mount namespace of its own, where /etc is an overlay
# holding this test's files (the shipped PAM service, a nologin file, a
# limits.d entry, a shadow file with the test account expired or locked)
# and /run, wtmp and lastlog are scratch copies: nothing of the machine's
# changes, and the parallel tests see none of it.
. "$(dirname "$0")/lib.sh"
require_root
require_test_user
command -v unshare >/dev/null || skip "unshare missing"
PROP=$(private_propagation) || exit $?
uid=$(id -u "$TEST_USER")

# The overlay's upper layer, prepared here and copied onto a tmpfs in the
# namespace (an overlay's upper layer cannot be on every file system).
UP=$T/up
mkdir -p "$UP/pam.d" "$UP/security/limits.d"
cp "$VS_SRC/config/pam/vsock-sshd" "$UP/pam.d/vsock-sshd"
echo "$TEST_USER - nofile 1234" > "$UP/security/limits.d/vsock-ssh-test.conf"
echo "VS_PAM_PROBE=from-pam-env" > "$UP/environment"
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

# shadow_with FIELD VALUE: the test account's shadow field changed (2 the
# password, 8 the expiry day), in the overlay.
shadow_with() {
    awk -F: -v OFS=: -v u="$TEST_USER" -v f="$1" -v v="$2" '$1 == u { $f = v } 1' \
        /etc/shadow > "$UP/shadow"
    chown root:shadow "$UP/shadow"; chmod 640 "$UP/shadow"
}
no_overrides() { rm -f "$UP/shadow" "$UP/nologin"; }

# refused WHAT TEXT [user]: the login is refused, the client is told TEXT
# (the banner) and the log says why.
refused() {
    local rc=0 out
    out=$(vssh -o LogLevel=INFO relay -l "${3:-$TEST_USER}" true 2>&1 </dev/null) || rc=$?
    expect_eq "$1: refused" 255 "$rc"
    expect_match "$1: the client is told" "$2" "$out"
    wait_for "grep -q 'refused user ${3:-$TEST_USER}:' '$LOG'" 50 || fail "$1: refusal not logged"
    : > "$LOG"
}

# The USER_PROCESS records in utmp, as "user line (host)" lines, read by the
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
who_uses_utmp() { ! ldd "$(command -v who)" 2>/dev/null | grep -q libsystemd; }
# pty_login: a PTY session printing its limits, loginuid, PAM variable, tty,
# the utmp records and who (\r removed).
pty_login() {
    local out
    out=$(vssh -tt relay "ulimit -n; cat /proc/self/loginuid; echo; echo \"probe=\$VS_PAM_PROBE\"; tty; /usr/bin/python3 $T/utmp.py; who" </dev/null 2>&1)
    printf '%s' "$out" | tr -d '\r'
}

pam=$("$VS_SSHD" -T -f /dev/null -h "$T/key" | sed -n 's/^usepam //p')
if [ "$pam" = yes ]; then
    # --- With PAM: a session is a login. ---
    no_overrides
    start_private
    out=$(pty_login)
    expect_match "pam_limits: limits.d applies" '^1234$' "$out"
    expect_match "pam_loginuid: the user's uid" "^$uid\$" "$out"
    expect_match "the PAM environment reaches the session" '^probe=from-pam-env$' "$out"
    tty=$(printf '%s\n' "$out" | sed -n 's|^/dev/\(pts/[0-9]*\)$|\1|p')
    [ -n "$tty" ] || fail "no tty in: $out"
    expect_match "utmp has the PTY session while it runs" "^$TEST_USER $tty \(unix:0\)\$" "$out"
    ! who_uses_utmp || expect_match "who lists it" "^$TEST_USER +$tty .*\(unix:0\)" "$out"
    wait_for "! vssh relay '/usr/bin/python3 $T/utmp.py' </dev/null | grep -q ' $tty '" 50 ||
        fail "utmp still lists $tty after the session ended"
    if [ -e /var/log/wtmp ] && command -v last >/dev/null; then
        out=$(vssh relay "last -w -f /var/log/wtmp $TEST_USER" </dev/null)
        expect_match "last shows the login with its peer" "^$TEST_USER +$tty +unix:0 " "$out"
        case $out in *"still logged in"*) fail "last: no logout record: $out" ;; esac
    fi

    # The process tree: a root monitor, the connection as the user, never root again.
    vssh relay 'exec sleep 3011' </dev/null &
    client=$!
    wait_for "pgrep -f '^sleep 3011\$' >/dev/null" 100 || fail "session did not start"
    ppid_of() { awk '{ print $4 }' "/proc/$1/stat"; }
    conn=$(ppid_of "$(pgrep -f '^sleep 3011$')")
    mon=$(ppid_of "$conn")
    expect_eq "the monitor is the listener's child" "$SERVER_PID" "$(ppid_of "$mon")"
    expect_eq "the monitor is root" "0 0 0 0" "$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "/proc/$mon/status")"
    expect_eq "the connection is the user's" "$uid $uid $uid $uid" \
        "$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "/proc/$conn/status")"
    expect_eq "the connection's capabilities" "0000000000000000" \
        "$(awk '/^CapPrm:/ { print $2 }' "/proc/$conn/status")"
    # The monitor gone, the login ends: the command is hung up.
    kill -KILL "$mon"
    wait_for "! pgrep -f '^sleep 3011\$' >/dev/null" 100 || fail "the login outlived its monitor"
    wait $client 2>/dev/null || true

    # pam_nologin: everyone but root is refused, with the file's text.
    echo "maintenance until noon" > "$UP/nologin"
    start_private
    refused "nologin" "maintenance until noon"
    expect_eq "nologin: root is admitted" ok "$(vssh relay -l root 'echo ok' </dev/null)"

    # pam_unix's account check: an expired account.
    no_overrides; shadow_with 8 0
    start_private
    refused "expired (PAM)" "account has expired"
    expect_eq "expired: another account is admitted" ok "$(vssh relay -l root 'echo ok' </dev/null)"

    # No PAM service: a startup error, not PAM's "other" service.
    no_overrides
    rm -f "$UP/pam.d/vsock-sshd"; mknod "$UP/pam.d/vsock-sshd" c 0 0
    rc=0; out=$(in_private "$VS_SSHD" -t -f /dev/null -h "$T/key" 2>&1) || rc=$?
    [ "$rc" -ne 0 ] || fail "-t passed without the PAM service"
    expect_match "missing PAM service" "no PAM service 'vsock-sshd'" "$out"
    rc=0; out=$(in_private "$VS_SSHD" -t -f /dev/null -h "$T/key" -o 'UsePAM no' 2>&1) || rc=$?
    expect_eq "UsePAM no needs no PAM service" 0 "$rc"
    rm -f "$UP/pam.d/vsock-sshd"
    cp "$VS_SRC/config/pam/vsock-sshd" "$UP/pam.d/vsock-sshd"
else
    log "built without PAM: the PAM cases are left out"
    rc=0; out=$("$VS_SSHD" -t -f /dev/null -h "$T/key" -o 'UsePAM yes' 2>&1) || rc=$?
    expect_match "UsePAM yes without PAM" "built without PAM" "$out"
fi

# --- Without PAM: OpenSSH's rules, and utmp still. ---
no_overrides; shadow_with 8 0
start_private 'UsePAM no'
refused "expired (no PAM)" "the account has expired"
no_overrides; shadow_with 2 '!'
start_private 'UsePAM no'
refused "locked (no PAM)" "the account is locked"
no_overrides; shadow_with 2 '*LK*'
start_private 'UsePAM no'
refused "locked *LK* (no PAM)" "the account is locked"
no_overrides; echo "back soon" > "$UP/nologin"
start_private 'UsePAM no'
refused "nologin (no PAM)" "logins are disabled"
expect_eq "nologin (no PAM): root is admitted" ok "$(vssh relay -l root 'echo ok' </dev/null)"
no_overrides
start_private 'UsePAM no'
out=$(pty_login)
tty=$(printf '%s\n' "$out" | sed -n 's|^/dev/\(pts/[0-9]*\)$|\1|p')
expect_match "no PAM: utmp has the PTY session" "^$TEST_USER $tty \(unix:0\)\$" "$out"
! who_uses_utmp || expect_match "no PAM: who lists it" "^$TEST_USER +$tty .*\(unix:0\)" "$out"
[ "$(printf '%s\n' "$out" | head -1)" != 1234 ] || fail "no PAM, yet pam_limits applied: $out"
sanitizer_check || fail "sanitizer report"
log pass
