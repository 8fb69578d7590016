# Refused users: the client ends with "Permission denied" (exit 255) at once,
# and the server logs why.  A server not running as root serves only its own
# account.
. "$(dirname "$0")/../lib.sh"
require_test_user
write_config "DenyUsers baduser* $TEST_USER" "PermitRootLogin no"
start_server

refused() { # mode user why-regex
    local rc=0 err
    err=$( { timeout 30 ssh -F "$T/ssh_config" -l "$2" $1 true </dev/null; } 2>&1) || rc=$?
    expect_eq "$1: $2 refused with 255" 255 "$rc"
    expect_match "$1: $2 message" 'Permission denied' "$err"
    grep -Eq "refused user $2: $3" "$LOG" || fail "$1: no log line for $2 ($3)"
}
for m in $MODES; do
    refused $m no-such-user 'no such user'
    refused $m root 'root login refused by PermitRootLogin'
    refused $m "$TEST_USER" 'user listed in DenyUsers'
    refused $m nobody "user's shell is not listed" # /usr/sbin/nologin is not in /etc/shells
done

# AllowUsers: only the listed ones.
stop_server
write_config "AllowUsers $TEST_USER"
start_server
for m in $MODES; do
    refused $m root 'user not listed in AllowUsers'
    expect_eq "$m: allowed user" "$TEST_USER" "$(vssh -l "$TEST_USER" $m 'id -un' </dev/null)"
done

# A non-root server: its own account only.
stop_server
write_config
chown "$TEST_USER" "$T" "$T/key" "$T/sshd_config"
touch "$LOG" && chown "$TEST_USER" "$LOG"
rm -f "$SOCK"
setpriv --reuid="$TEST_USER" --regid="$TEST_USER" --init-groups \
    "$VS_SSHD" -D -e -f "$T/sshd_config" 2>>"$LOG" &
SERVER_PID=$!
wait_for "[ -S '$SOCK' ]" 100 || fail "unprivileged server did not start"
expect_eq "socket mode" "600" "$(stat -c %a "$SOCK")"
for m in $MODES; do
    expect_eq "$m: own account" "$TEST_USER" "$(vssh -l "$TEST_USER" $m 'id -un' </dev/null)"
    refused $m root 'server is not running as root'
done
log pass
