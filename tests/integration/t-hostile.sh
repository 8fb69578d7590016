# Findings of the security review, each driven the way it was shown, with
# stock clients: a Unix-socket peer that asks for another account, a client
# string that tried to forge a log line, a silent client's LoginGraceTime.
. "$(dirname "$0")/../lib.sh"
require_test_user
uid=$(id -u "$TEST_USER")
write_config "LogLevel VERBOSE"
start_server
# As with systemd's default SocketMode=0666: anybody on the guest can connect.
chmod 666 "$SOCK"
chmod 644 "$T/ssh_config"
as_test_user() { runuser -u "$TEST_USER" -- env HOME=/tmp ssh -F "$T/ssh_config" "$@" </dev/null; }

# A Unix-socket peer may become its own account...
expect_eq "own account over a Unix socket" "$TEST_USER" "$(as_test_user relay id -un)"
# ...but not root's or anybody else's (uid $uid logged in as root before).
rc=0; out=$(as_test_user -l root relay id -u 2>&1) || rc=$?
expect_eq "another account over a Unix socket: refused" 255 "$rc"
case $out in *uid=0*|0) fail "a uid-$uid peer became root" ;; esac
grep -q "refused user root: a Unix-socket peer may log in only as its own account" "$LOG" ||
    fail "the refusal is not logged with its reason"
# Root may become anybody, as before.
expect_eq "root over a Unix socket" "$TEST_USER" "$(vssh relay id -un </dev/null)"
# AllowPeers unix:UID lets that uid log in as others.
stop_server
write_config "LogLevel VERBOSE" "AllowPeers unix:$uid"
start_server
chmod 666 "$SOCK"
expect_eq "AllowPeers unix:$uid" 0 "$(as_test_user -l root relay id -u)"

# Log injection: a subsystem name with a newline forged a line
# "accepted user root (FORGED)"; every client string is escaped in the log.
rc=0; vssh -s relay "$(printf 'nosuch\naccepted user root (FORGED)')" </dev/null 2>/dev/null || rc=$?
[ "$rc" -ne 0 ] || fail "an unknown subsystem was accepted"
grep -q 'refused unknown subsystem nosuch\\naccepted user root (FORGED)' "$LOG" ||
    fail "the refused subsystem is not logged, escaped"
if grep -q '^accepted user root (FORGED)' "$LOG"; then fail "a client forged a log line"; fi
# Control characters (an escape sequence for the terminal showing the log).
vssh -s relay "$(printf 'x\033[2Jy')" </dev/null 2>/dev/null || true
grep -q 'refused unknown subsystem x\\x1b\[2Jy' "$LOG" || fail "ESC not escaped in the log"
if grep -q "$(printf '\033')" "$LOG"; then fail "a raw control character reached the log"; fi

# A client that ignores the channel window: libssh 0.10 would keep what it
# sends beyond the window (a connection process grew from 6.6 MB to 269 MB
# in 7.5 s); the server drops it once libssh holds more than the window
# allows.  libssh 0.11 discards data beyond the window itself ("Window
# exceeded"), so there the client stays connected and only memory is
# checked.
if /usr/bin/python3 -c 'import paramiko' 2>/dev/null; then
    stop_server
    write_config
    start_server
    /usr/bin/python3 "$VS_SRC/tests/integration/windowflood.py" "$SOCK" "$LOGIN" 256 > "$T/flood.out" 2>&1 &
    flood=$!
    peak=$(peak_conn_rss $flood)
    wait $flood || true
    out=$(cat "$T/flood.out")
    if "$VS_SSHD" -V | grep 'libssh 0\.10' >/dev/null; then
        expect_match "a client ignoring the window is dropped" "^dropped after" "$out"
        grep -q 'more than the channel window allows' "$LOG" ||
            fail "the dropped window flood is not logged"
    fi
    log "window flood: $out; connection process peak RSS $peak kB"
    if ! sanitized; then
        [ "$peak" -lt 32768 ] || fail "the connection process grew to $peak kB under a window flood"
    fi
    # The same bound for a forwarded channel (ssh -L, -W), whose far end
    # never reads: the tunnel shares the session's channel pump.
    cat > "$T/sink.py" <<'PY'
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(4)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
c, _ = s.accept(); time.sleep(30)
PY
    /usr/bin/python3 "$T/sink.py" "$T/sink.port" &
    sink=$!
    wait_for "[ -s '$T/sink.port' ]" 100 || fail "sink server"
    /usr/bin/python3 "$VS_SRC/tests/integration/windowflood.py" "$SOCK" "$LOGIN" 256 \
        "$(cat "$T/sink.port")" > "$T/flood.out" 2>&1 &
    flood=$!
    peak=$(peak_conn_rss $flood)
    wait $flood || true
    kill $sink 2>/dev/null || true
    out=$(cat "$T/flood.out")
    if "$VS_SSHD" -V | grep 'libssh 0\.10' >/dev/null; then
        expect_match "a tunnel client ignoring the window is dropped" "^dropped after" "$out"
    fi
    log "tunnel window flood: $out; connection process peak RSS $peak kB"
    if ! sanitized; then
        [ "$peak" -gt 0 ] && [ "$peak" -lt 32768 ] ||
            fail "the connection process reached $peak kB under a tunnel window flood"
    fi

    # A burst of requests (200,000 "env" requests written at once): libssh
    # queues each; the server answered 64 a round and the queue grew (a
    # connection process of 72 MB).  Now every round answers its whole
    # queue, and a round with more than 4096 is a flood that is dropped.
    /usr/bin/python3 "$VS_SRC/tests/integration/reqflood.py" "$SOCK" "$LOGIN" 200000 > "$T/reqflood.out" 2>&1 &
    flood=$!
    peak=$(peak_conn_rss $flood)
    wait $flood || true
    log "request flood: $(cat "$T/reqflood.out"); connection process peak RSS $peak kB"
    if ! sanitized; then
        [ "$peak" -gt 0 ] && [ "$peak" -lt 32768 ] ||
            fail "the connection process reached $peak kB under a request flood"
    fi
    alive_after_flood=$(vssh relay echo ok </dev/null)
    expect_eq "serving after a request flood" ok "$alive_after_flood"
else
    log "no python3-paramiko: the window and request floods are not tried (run scripts/deps)"
fi

# A client that connects and says nothing: LoginGraceTime ends it, and the
# log says so at INFO, not as a crash ("died of signal 14").
stop_server
write_config "LoginGraceTime 1"
start_server
python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); time.sleep(2.5)' "$SOCK"
wait_for "grep -q 'LoginGraceTime exceeded' '$LOG'" 50 || fail "LoginGraceTime expiry not logged"
if grep -q 'died of signal' "$LOG"; then fail "LoginGraceTime expiry logged as a crash"; fi
log pass
