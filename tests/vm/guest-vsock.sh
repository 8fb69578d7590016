# The integration suite's core over real AF_VSOCK.  Runs only inside the test
# guest that scripts/qemu-run boots (vsock_loopback: CID 1 loops back), never
# on the machine itself, whose vsock peer is not ours.
#   scripts/qemu-run -- env VS_SSHD=... VS_PROXY=... VS_SRC=... bash tests/vm/guest-vsock.sh
if ! grep -qw vsock_ssh_vm=1 /proc/cmdline 2>/dev/null; then
    echo "guest-vsock.sh: refusing to run: not inside the test VM (see scripts/qemu-run)" >&2
    exit 1
fi
. "$VS_SRC/tests/lib.sh" # no novsock filter in the guest: real vsock here, and only here
PATH=$PATH:/usr/sbin:/sbin # setcap, getcap
PORT=2222

# The server on vsock:PORT with the given extra configuration.
start_vsock_server() {
    stop_server
    : > "$LOG"
    { echo "HostKey $T/key"; echo "Listen vsock:$PORT"; for l in "$@"; do echo "$l"; done; } \
        > "$T/sshd_config"
    "$VS_SSHD" -D -e -f "$T/sshd_config" 2>>"$LOG" &
    SERVER_PID=$!
    wait_for "grep -q 'listening on vsock' '$LOG' || ! kill -0 $SERVER_PID 2>/dev/null" 200 ||
        fail "server did not start"
    kill -0 "$SERVER_PID" 2>/dev/null || fail "server exited at start"
}

# ssh_config: the two proxy modes by CID, and the installed drop-in's
# "vsock/CID" names pointing at this build's proxy.
cp "${VS_DROPIN:?set by ctest}" "$T/dropin.conf"
write_ssh_config "1 $PORT" 60
echo "Include $T/dropin.conf" >> "$T/ssh_config"

# 1. The default AllowPeers admits only the host (CID 2): a connection from
#    inside the guest (CID 1) is refused before any SSH, and logged.
start_vsock_server
rc=0; err=$(vssh relay true 2>&1 </dev/null) || rc=$?
expect_eq "default AllowPeers: guest-local peer refused" 255 "$rc"
wait_for "grep -q 'refused connection from vsock:1:' '$LOG'" 50 ||
    fail "refusal of CID 1 not logged: $(cat "$LOG")"

# 2. AllowPeers 1: accepted.
start_vsock_server "AllowPeers 1"
for m in relay fdpass; do
    rc=0; vssh $m 'exit 42' </dev/null || rc=$?
    expect_eq "$m: exit status over vsock" 42 "$rc"
    out=$(vssh $m 'echo out; echo err >&2' 2>"$T/err" </dev/null)
    expect_eq "$m: stdout" out "$out"
    expect_eq "$m: stderr" err "$(cat "$T/err")"
done
# The vsock peer in SSH_CONNECTION (CID and port where OpenSSH puts IP
# addresses) and in the log.  We are root: vsock-proxy connects from a
# reserved port (a privileged process), in both modes.
for m in relay fdpass; do
    conn=$(vssh $m 'echo $SSH_CONNECTION' </dev/null)
    expect_match "$m: SSH_CONNECTION" "^1 [0-9]+ 1 $PORT$" "$conn"
    peer_port=$(echo "$conn" | cut -d' ' -f2)
    [ "$peer_port" -le 1023 ] || fail "$m: root's vsock-proxy connected from port $peer_port, not a reserved one"
    grep -q "vsock:1:$peer_port" "$LOG" || fail "peer vsock:1:$peer_port not in the log"
done

# 2b. Who on the peer's side: a CID listed without :any admits only its
#     privileged processes.  An ordinary user's vsock-proxy connects from an
#     ordinary port and is refused with one line saying why; the same user
#     with a copy given cap_net_bind_service gets in from a reserved port,
#     and that copy holds no capability while it relays.
as_user() { setpriv --reuid="$TEST_USER" --regid="$(id -g "$TEST_USER")" --init-groups env HOME=/nonexistent "$@"; }
require_test_user
chmod 644 "$T/ssh_config" "$T/dropin.conf"
rc=0; err=$(as_user ssh -F "$T/ssh_config" -o LogLevel=INFO relay true </dev/null 2>&1) || rc=$?
expect_eq "an ordinary user's proxy: refused" 255 "$rc"
expect_match "an ordinary user's proxy: told why" "admits this peer only from a privileged process" "$err"
expect_match "an ordinary user's proxy: told what to do" "CID:any in AllowPeers" "$err"
wait_for "grep -q 'refused user $TEST_USER: this server admits' '$LOG'" 50 ||
    fail "the refusal of an unprivileged port is not logged: $(tail -5 "$LOG")"
port=$(grep "refused user $TEST_USER: this server admits" "$LOG" | sed -n 's/.*vsock:1:\([0-9]*\).*/\1/p' | head -1)
[ "${port:-0}" -gt 1023 ] || fail "the refusal's log line does not name the peer's CID and port: $(grep 'refused user' "$LOG")"
cp "$VS_PROXY" "$T/capproxy"
chmod 755 "$T/capproxy"
setcap cap_net_bind_service=ep "$T/capproxy" || fail "setcap on the guest's tmpfs"
sed "s|$VS_PROXY|$T/capproxy|" "$T/ssh_config" > "$T/cap_config"
chmod 644 "$T/cap_config"
for m in relay fdpass; do
    conn=$(as_user ssh -F "$T/cap_config" $m 'echo $SSH_CONNECTION' </dev/null) ||
        fail "$m: the capability copy was refused: $(tail -3 "$LOG")"
    port=$(echo "$conn" | cut -d' ' -f2)
    [ "$port" -le 1023 ] || fail "$m: the capability copy connected from port $port"
done
as_user ssh -F "$T/cap_config" relay 'sleep 5' </dev/null &
client=$!
wait_for "pgrep -f '^$T/capproxy' >/dev/null" 100 || fail "the capability copy did not start"
wait_for "grep -q 'accepted user $TEST_USER' '$LOG'" 100
pid=$(pgrep -f "^$T/capproxy" | head -1)
expect_eq "the capability copy: no capability left once connected" \
    "$(printf 'CapInh:\t0000000000000000\nCapPrm:\t0000000000000000\nCapEff:\t0000000000000000\nCapAmb:\t0000000000000000')" \
    "$(grep -E '^Cap(Prm|Eff|Inh|Amb):' "/proc/$pid/status")"
wait $client || fail "the capability copy's session failed"
# CID:any admits every port; Match Peer CID:unprivileged restricts those.
start_vsock_server "AllowPeers 1:any" "Match Peer 1:unprivileged" "PermitRootLogin no"
conn=$(as_user ssh -F "$T/ssh_config" relay 'echo $SSH_CONNECTION' </dev/null) ||
    fail "AllowPeers 1:any: an ordinary user's proxy refused: $(tail -3 "$LOG")"
port=$(echo "$conn" | cut -d' ' -f2)
[ "$port" -gt 1023 ] || fail "an ordinary user's proxy connected from port $port"
rc=0; as_user ssh -F "$T/ssh_config" -l root relay true </dev/null 2>/dev/null || rc=$?
expect_eq "Match Peer 1:unprivileged, PermitRootLogin no: root refused" 255 "$rc"
expect_eq "a privileged peer still logs in as root" root "$(vssh -l root relay 'id -un' </dev/null)"
start_vsock_server "AllowPeers 1"

# The drop-in's host-name forms.
expect_eq "ssh vsock/1" ok "$(vssh -p $PORT vsock/1 'echo ok' </dev/null)"
expect_eq "ssh vsock%1" ok "$(vssh -p $PORT vsock%1 'echo ok' </dev/null)"
# A VM name from the names file, over real vsock.
echo "self 1" > "$T/hosts"
expect_eq "ssh vm/self" ok "$(VSOCK_SSH_HOSTS=$T/hosts vssh -p $PORT vm/self 'echo ok' </dev/null)"

# Binary data both ways, checksummed, in both proxy modes.
head -c 8388608 /dev/urandom > "$T/data"
want=$(sha256sum < "$T/data" | cut -d' ' -f1)
for m in relay fdpass; do
    expect_eq "$m: upload" "$want" "$(vssh $m sha256sum < "$T/data" | cut -d' ' -f1)"
    vssh $m "cat $T/data" </dev/null > "$T/down"
    expect_eq "$m: download" "$want" "$(sha256sum < "$T/down" | cut -d' ' -f1)"
done

# A PTY session.
out=$(python3 "$VS_SRC/tests/integration/ptydrive.py" 33 101 'expect:/dev/pts/[0-9]+;;expect:33 101' \
      -- ssh -F "$T/ssh_config" -tt relay 'tty; stty size' 2>&1) || fail "pty session: $out"

# scp (built-in SFTP server) and sftp.
G=$T/guest
mkdir -p "$G"
chown "$LOGIN" "$G"
scp -q -F "$T/ssh_config" "$T/data" "relay:$G/up"
expect_eq "scp upload" "$want" "$(sha256sum < "$G/up" | cut -d' ' -f1)"
scp -q -F "$T/ssh_config" "fdpass:$G/up" "$T/back"
expect_eq "scp download" "$want" "$(sha256sum < "$T/back" | cut -d' ' -f1)"
out=$(echo "ls -l $G" | sftp -q -b - -F "$T/ssh_config" relay 2>&1)
expect_match "sftp ls" "8388608 .* $G/up" "$out"

# Concurrent connections.
pids=
for i in 1 2 3 4; do
    vssh relay "echo conn$i" </dev/null > "$T/c$i" &
    pids="$pids $!"
done
for p in $pids; do wait "$p" || fail "a concurrent connection failed"; done
for i in 1 2 3 4; do expect_eq "concurrent $i" "conn$i" "$(cat "$T/c$i")"; done

# Forwarding over real vsock: ssh -W to an echo server in the guest, 4 MiB
# both ways by checksum, EOF passed on.
/usr/bin/python3 "$VS_SRC/tests/integration/fwdpeer.py" echo "$T/echo.port" &
wait_for "[ -s '$T/echo.port' ]" || fail "echo server did not start"
head -c $((4 << 20)) /dev/urandom >"$T/fw"
got=$(vssh -W "127.0.0.1:$(cat "$T/echo.port")" fdpass <"$T/fw" | sha256sum)
expect_eq "ssh -W over vsock" "$(sha256sum <"$T/fw")" "$got"

# 3. vsock-proxy's errors that need a real vsock.
rc=0; err=$("$VS_PROXY" 1 2999 </dev/null 2>&1) || rc=$?
[ $rc -ne 0 ] || fail "proxy to a closed port succeeded"
expect_match "closed port" "nothing is listening on port 2999 of CID 1" "$err"
rc=0; err=$("$VS_PROXY" 3 22 </dev/null 2>&1) || rc=$?
[ $rc -ne 0 ] || fail "proxy to a missing CID succeeded"
expect_match "missing CID" "no such CID 3" "$err"
log pass
