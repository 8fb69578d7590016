# A real login (login.h): PAM's account and session stacks with the PAM
# service vsock-ssh ships (pam_nologin, expiry, pam_loginuid, pam_limits,
# pam_env), PAM's credentials (pam_env and pam_group at pam_setcred),
# utmp/wtmp for PTY sessions, the root monitor and the user's connection
# process, locked accounts refused with and without PAM, and the same
# account rules without PAM.
#
# The server runs in a mount namespace of its own (private.sh), where /etc
# is an overlay holding this test's files (the shipped PAM service, a
# nologin file, a limits.d entry, a shadow file with the test account
# expired or locked) and /run, wtmp and lastlog are scratch copies: nothing
# of the machine's changes, and the parallel tests see none of it.  A root
# session runs the administrator's tools (usermod, passwd) in there.
. "$(dirname "$0")/../lib.sh"
require_test_user
. "$(dirname "$0")/private.sh"
uid=$(id -u "$TEST_USER")

mkdir -p "$UP/pam.d" "$UP/security/limits.d"
cp "$VS_SRC/config/pam/vsock-sshd" "$UP/pam.d/vsock-sshd"
echo "$TEST_USER - nofile 1234" > "$UP/security/limits.d/vsock-ssh-test.conf"
echo "VS_PAM_PROBE=from-pam-env" > "$UP/environment"
# Credentials: pam_env and pam_group in an auth stack act in pam_setcred
# (null authentication never calls pam_authenticate), so this variable and
# this supplementary group come from pam_setcred alone.
cat >> "$UP/pam.d/vsock-sshd" <<'PAM'
auth optional pam_env.so readenv=1 envfile=/etc/vs-setcred-env conffile=/etc/vs-setcred-env.conf
auth optional pam_group.so
PAM
echo "VS_SETCRED_PROBE=from-setcred" > "$UP/vs-setcred-env"
: > "$UP/vs-setcred-env.conf"
echo "vsock-sshd;*;$TEST_USER;Al0000-2400;games" > "$UP/security/group.conf"

# shadow_with FIELD VALUE: the test account's shadow field changed (2 the
# password, 8 the expiry day), in the overlay.
shadow_with() {
    awk -F: -v OFS=: -v u="$TEST_USER" -v f="$1" -v v="$2" '$1 == u { $f = v } 1' \
        /etc/shadow > "$UP/shadow"
    chown root:shadow "$UP/shadow"; chmod 640 "$UP/shadow"
}
no_overrides() { rm -f "$UP/shadow" "$UP/nologin"; }
# as_root CMD: runs CMD in a root session, in the server's namespace.
as_root() { vssh relay -l root "$*" </dev/null || fail "as root: $*"; }
# What a refusal for a locked password adds (grep -E).
LOCK_FIX="for an account without a password use '\\*': usermod -p '\\*' $TEST_USER\\)"

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
    out=$(vssh relay 'echo "setcred=$VS_SETCRED_PROBE"; id -Gn' </dev/null)
    expect_match "what pam_setcred adds to the PAM environment reaches the session" \
        '^setcred=from-setcred$' "$out"
    expect_match "pam_setcred's supplementary groups survive initgroups" '(^| )games( |$)' "$out"
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

    # A locked password, with PAM: null authentication runs no auth stack,
    # where pam_unix would see the lock, and its account stack does not
    # look, so it is checked as without PAM.  Locked and expired by the
    # administrator's tools; unlocked as the refusal says.
    no_overrides
    start_private
    for lock in 'usermod -L' 'passwd -l'; do
        as_root "$lock $TEST_USER >/dev/null"
        refused "$lock (PAM)" "the account is locked \\(its password field starts with '!'; $LOCK_FIX"
        as_root "usermod -p '*' $TEST_USER"
        expect_eq "$lock (PAM): unlocked as told" ok "$(vssh relay 'echo ok' </dev/null)"
    done
    as_root "usermod -p '*LK*' $TEST_USER"
    refused "*LK* (PAM)" "the account is locked \\(its password field starts with '\\*LK\\*'; $LOCK_FIX"
    as_root "usermod -p '*' $TEST_USER && usermod -e 1 $TEST_USER"
    refused "usermod -e 1 (PAM)" "account has expired"
    as_root "usermod -e '' $TEST_USER"
    expect_eq "usermod -e '': admitted again" ok "$(vssh relay 'echo ok' </dev/null)"

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
refused "locked (no PAM)" "the account is locked \\(its password field starts with '!'; $LOCK_FIX"
no_overrides; shadow_with 2 '*LK*'
start_private 'UsePAM no'
refused "locked *LK* (no PAM)" "the account is locked \\(its password field starts with '\\*LK\\*'; $LOCK_FIX"
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
