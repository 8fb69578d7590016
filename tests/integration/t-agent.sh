# ssh -A: the guest's ssh-add lists the host's key through a per-session
# socket that only the user can use and that is gone after logout;
# AllowAgentForwarding no refuses it.  Keepalives: the client's
# ServerAliveInterval gets answers, and ClientAliveInterval drops a client
# that stopped answering.
. "$(dirname "$0")/../lib.sh"
write_config "LogLevel VERBOSE"
start_server

eval "$(ssh-agent -s -a "$T/agent.sock")" >/dev/null
AGENT_PID=$SSH_AGENT_PID
ssh-add -q "$T/key" 2>/dev/null
want=$(ssh-add -l)

for m in $MODES; do
    log "mode $m: ssh -A"
    vssh -A $m 'ssh-add -l; echo "sock=$SSH_AUTH_SOCK";
        stat -c "%U %a" "$SSH_AUTH_SOCK" "$(dirname "$SSH_AUTH_SOCK")"' </dev/null >"$T/out" 2>&1 ||
        fail "$m: ssh -A session failed: $(cat "$T/out")"
    expect_eq "$m: ssh-add -l in the guest" "$want" "$(grep -v '^sock=\|^'"$LOGIN"' ' "$T/out")"
    sock=$(sed -n 's/^sock=//p' "$T/out")
    expect_match "$m: socket path" '^/tmp/ssh-[A-Za-z0-9]+/agent\.[0-9]+$' "$sock"
    expect_eq "$m: socket and directory owner and modes" "$LOGIN 600
$LOGIN 700" "$(grep "^$LOGIN " "$T/out")"
    wait_for "[ ! -e '$sock' ] && [ ! -e '$(dirname "$sock")' ]" 50 ||
        fail "$m: agent socket left after logout"
done

log "without -A there is no agent"
expect_eq "no -A" "none" "$(vssh fdpass 'echo ${SSH_AUTH_SOCK:-none}' </dev/null)"

log "the agent socket lives as long as its session, not the connection"
vssh -A -o ControlMaster=yes -o ControlPath="$T/ctl" -N -f fdpass
sock=$(vssh -A -o ControlPath="$T/ctl" fdpass 'echo $SSH_AUTH_SOCK' </dev/null)
wait_for "[ ! -e '$sock' ]" 50 || fail "agent socket outlived its session on a shared connection"
vssh -o ControlPath="$T/ctl" -O exit fdpass 2>/dev/null

log "AllowAgentForwarding no"
stop_server
write_config "LogLevel VERBOSE" "AllowAgentForwarding no"
start_server
expect_eq "refused -A" "none" "$(vssh -A fdpass 'echo ${SSH_AUTH_SOCK:-none}' </dev/null)"
grep -q "refused agent forwarding: AllowAgentForwarding is no" "$LOG" || fail "no refusal log line"
kill "$AGENT_PID"

log "ServerAliveInterval: the server answers the client's keepalives"
out=$(vssh -o ServerAliveInterval=1 -o ServerAliveCountMax=1 fdpass 'sleep 3.4; echo alive' \
    </dev/null)
expect_eq "client keepalives answered" "alive" "$out"

log "ClientAliveInterval: a client that stops answering is dropped"
stop_server
write_config "ClientAliveInterval 1" "ClientAliveCountMax 2"
start_server
ssh -F "$T/ssh_config" fdpass 'sleep 61.7' </dev/null &
pid=$!
wait_for "pgrep -u '$LOGIN' -f 'sleep 61.7' >/dev/null" 100 || fail "session did not start"
kill -STOP $pid
wait_for "grep -q 'client not responding (ClientAliveCountMax 2), disconnecting' '$LOG'" 150 ||
    fail "unresponsive client not dropped"
wait_for "! pgrep -u '$LOGIN' -f 'sleep 61.7' >/dev/null" 50 || fail "its session outlived it"
kill -KILL $pid
wait $pid 2>/dev/null || true
log pass
