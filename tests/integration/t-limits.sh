# Many channels per connection (ControlMaster), many connections at once,
# bursts, and clean refusals beyond MaxSessions and MaxStartups.
. "$(dirname "$0")/../lib.sh"
declare -a pids
start_server

# ControlMaster: one connection, 10 concurrent channels.
vssh -o ControlMaster=yes -o ControlPath="$T/cm" -o ControlPersist=120 -f -N fdpass
for i in $(seq 1 10); do
    vssh -o ControlPath="$T/cm" fdpass "sleep 1; echo ch$i; echo err$i >&2; exit $i" \
        </dev/null >"$T/cm.$i.out" 2>"$T/cm.$i.err" &
    pids[$i]=$!
done
for i in $(seq 1 10); do
    rc=0; wait ${pids[$i]} || rc=$?
    expect_eq "channel $i status" "$i" "$rc"
done
for i in $(seq 1 10); do
    expect_eq "channel $i stdout" "ch$i" "$(cat "$T/cm.$i.out")"
    expect_eq "channel $i stderr" "err$i" "$(cat "$T/cm.$i.err")"
done
vssh -o ControlPath="$T/cm" -O exit fdpass 2>/dev/null
expect_eq "one connection for 10 channels" 1 "$(grep -c 'accepted user' "$LOG")"
wait_for "grep -q 'connection closed: user $LOGIN, 10 sessions' '$LOG'" 100 ||
    fail "master connection did not end with 10 sessions"

log "ControlMaster: 10 channels ok"
# 50 connections arriving together (default MaxStartups admits them), half
# through each proxy mode.
for i in $(seq 1 50); do
    if [ $((i % 2)) -eq 0 ]; then m=relay; else m=fdpass; fi
    vssh $m "echo c$i" </dev/null >"$T/c.$i" 2>&1 &
    pids[$i]=$!
done
for i in $(seq 1 50); do
    rc=0; wait ${pids[$i]} || rc=$?
    expect_eq "burst connection $i status" 0 "$rc"
    expect_eq "burst connection $i output" "c$i" "$(cat "$T/c.$i")"
done
# The listener reaped them all.
wait_for '[ -z "$(conn_pids)" ]' 100 || fail "connection processes left: $(conn_pids)"

log "burst of 50 ok"
# 20 long-lived connections at once, all busy together.
for i in $(seq 1 20); do
    vssh relay "sleep 2; head -c 100000 /dev/zero" </dev/null | wc -c >"$T/l.$i" &
    pids[$i]=$!
done
for i in $(seq 1 20); do wait ${pids[$i]}; done
for i in $(seq 1 20); do expect_eq "concurrent connection $i" 100000 "$(cat "$T/l.$i")"; done

log "20 concurrent ok"
# MaxSessions: the third concurrent channel is refused, the others work.
stop_server
write_config "MaxSessions 2" "MaxStartups 2"
start_server
vssh -o ControlMaster=yes -o ControlPath="$T/cm2" -o ControlPersist=120 -f -N fdpass
vssh -o ControlPath="$T/cm2" fdpass 'sleep 3; echo a' </dev/null >"$T/s1" &
pids[1]=$!
vssh -o ControlPath="$T/cm2" fdpass 'sleep 3; echo b' </dev/null >"$T/s2" &
pids[2]=$!
sleep 1
# (OpenSSH's mux client then falls back to a connection of its own.)
err=$(vssh -o ControlPath="$T/cm2" -o LogLevel=info fdpass 'echo c' </dev/null 2>&1 >/dev/null) || true
expect_match "third session refused" 'Session open refused by peer' "$err"
wait ${pids[1]} ${pids[2]}
expect_eq "sessions within the limit" "a b" "$(cat "$T/s1") $(cat "$T/s2")"
grep -q 'MaxSessions (2) reached' "$LOG" || fail "MaxSessions refusal not logged"
vssh -o ControlPath="$T/cm2" -O exit fdpass 2>/dev/null

log "MaxSessions ok"
# MaxStartups: two connections that never log in fill it; the next is
# refused at once, and admitted again when they go.
nap=37.$$ # unique on the machine, for the pkill below
exec 7> >(sleep $nap | "$VS_PROXY" unix"$SOCK" >/dev/null 2>&1)
exec 8> >(sleep $nap | "$VS_PROXY" unix"$SOCK" >/dev/null 2>&1)
wait_for "[ \$(conn_pids | wc -l) -ge 2 ]" 100 || fail "idle connections not accepted"
sleep 0.5
rc=0; vssh relay true </dev/null 2>/dev/null || rc=$?
expect_eq "connection beyond MaxStartups refused" 255 "$rc"
grep -q 'MaxStartups (2) unauthenticated' "$LOG" || fail "MaxStartups refusal not logged"
pkill -f "^sleep $nap\$" || true
exec 7>&- 8>&-
wait_for '[ -z "$(conn_pids)" ]' 100 || fail "idle connections not reaped"
expect_eq "admitted again" ok "$(vssh relay 'echo ok' </dev/null)"
log pass
