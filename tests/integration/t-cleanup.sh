# No orphans, and the listener survives whatever a connection does: killed
# clients, commands that ignore SIGHUP, garbage instead of SSH, a crashed
# connection process, SIGTERM.
. "$(dirname "$0")/../lib.sh"
write_config "LogLevel VERBOSE"
start_server

# Patterns are anchored so that they match the guest-side command only, not
# the ssh client whose command line contains it.
gone() { ! pgrep -f "^$1\$" >/dev/null; }
running() { pgrep -f "^$1\$" >/dev/null; }
# Kills an ssh client, and in relay mode its vsock-proxy, without a goodbye.
kill_client() {
    kill -KILL "$1"
    wait "$1" 2>/dev/null || true
    pkill -KILL -f "vsock-proxy.*$SOCK" || true
}
n=0
for m in $MODES; do
    n=$((n + 1))
    # A killed client: the command's process group gets SIGHUP.
    tag="sleep 300$n"
    ssh -F "$T/ssh_config" $m "exec $tag" </dev/null &
    client=$!
    wait_for "running '$tag'" 100 || fail "$m: command did not start"
    kill_client $client
    wait_for "gone '$tag'" 100 || fail "$m: command survived its killed client"

    # A command that ignores SIGHUP gets SIGKILL after the grace period,
    # and so does its background child in the same process group.
    tag="sleep 301$n"
    ssh -F "$T/ssh_config" $m "trap '' HUP; $tag & $tag" </dev/null &
    client=$!
    wait_for "[ \$(pgrep -fc '^$tag\$') -ge 2 ]" 100 || fail "$m: command did not start"
    kill_client $client
    wait_for "gone '$tag'" 100 || fail "$m: HUP-ignoring command survived"
    wait_for '[ -z "$(conn_pids)" ]' 100 || fail "$m: connection processes left: $(conn_pids)"
done

# Garbage instead of an SSH stream: the connection ends, the listener lives.
head -c 100000 /dev/urandom | timeout 20 "$VS_PROXY" unix"$SOCK" >/dev/null 2>&1 || true
printf 'SSH-2.0-x\r\n%s' "$(head -c 5000 /dev/zero | tr '\0' 'A')" |
    timeout 20 "$VS_PROXY" unix"$SOCK" >/dev/null 2>&1 || true
expect_eq "listener alive after garbage" ok "$(vssh relay 'echo ok' </dev/null)"

grep -q 'still running after SIGHUP, sending SIGKILL' "$LOG" || fail "SIGKILL escalation not logged"

# A connection process that dies hard costs only that connection, and its
# commands still get SIGHUP.
ssh -F "$T/ssh_config" relay 'exec sleep 3003' </dev/null >/dev/null 2>&1 &
client=$!
wait_for "running 'sleep 3003'" 100 || fail "session did not start"
kill -KILL "$(conn_pids | head -1)"
wait $client 2>/dev/null || true
wait_for "grep -q 'died of signal' '$LOG'" 100 || fail "crash of a connection not logged"
wait_for "gone 'sleep 3003'" 100 || fail "command survived its crashed connection process"
expect_eq "listener alive after a crash" ok "$(vssh fdpass 'echo ok' </dev/null)"

# SIGTERM to a connection process with a session running: the command is
# hung up, the client told, and nothing is freed twice (ASan would report).
ssh -F "$T/ssh_config" fdpass 'exec sleep 3004' </dev/null >/dev/null 2>&1 &
client=$!
wait_for "running 'sleep 3004'" 100 || fail "session did not start"
kill -TERM "$(conn_pids | head -1)"
wait_for "gone 'sleep 3004'" 100 || fail "command survived its connection's SIGTERM"
rc=0; wait $client || rc=$?
expect_eq "client of a terminated connection" 255 "$rc"
wait_for '[ -z "$(conn_pids)" ]' 100 || fail "terminated connection process did not exit"
sanitizer_check || fail "sanitizer report after SIGTERM to a connection"

# SIGTERM: clean exit, socket removed.
kill -TERM "$SERVER_PID"
rc=0; wait "$SERVER_PID" || rc=$?
SERVER_PID=
expect_eq "exit status after SIGTERM" 0 "$rc"
[ ! -e "$SOCK" ] || fail "socket left behind after SIGTERM"
log pass
