# Findings of the security review, each driven the way it was shown, with
# stock clients: a Unix-socket peer that asks for another account, a client
# string that tried to forge a log line, a silent client's LoginGraceTime.
. "$(dirname "$0")/lib.sh"
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
