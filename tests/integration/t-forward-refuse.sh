# Forwarding refused the way OpenSSH users expect: by AllowTcpForwarding
# (no, local, remote), PermitOpen, PermitListen, a closed port, the
# MaxForwards and MaxForwardChannels limits, and Unix-socket forwards
# (which libssh does not parse).  Each refusal is a clear error on the
# client and a log line on the server, and the connection goes on working.
. "$(dirname "$0")/../lib.sh"
PEER="/usr/bin/python3 $VS_SRC/tests/integration/fwdpeer.py"
$PEER echo "$T/echo.port" "$T/" &
wait_for "[ -s '$T/echo.port' ]" || fail "echo server did not start"
EP=$(cat "$T/echo.port")

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() { $PEER free-port; }
restart() { stop_server; write_config "$@"; start_server; }
# -W must fail ("stdio forwarding failed"), exit 255.
expect_w_refused() { # what destination
    local rc=0
    echo x | vssh -W "$2" fdpass >/dev/null 2>"$T/err" || rc=$?
    expect_eq "$1: exit status" 255 "$rc"
    expect_match "$1: client message" "stdio forwarding failed" "$(cat "$T/err")"
}
expect_w_works() { # what destination
    expect_eq "$1" "x" "$(echo x | vssh -W "$2" fdpass)"
}
# ssh -R with ExitOnForwardFailure must fail (exit 255).
expect_r_refused() { # what spec
    local rc=0
    timeout 20 ssh -F "$T/ssh_config" -N -o ExitOnForwardFailure=yes -R "$2" fdpass 2>"$T/err" ||
        rc=$?
    expect_eq "$1: exit status" 255 "$rc"
    expect_match "$1: client message" "remote port forwarding failed" "$(cat "$T/err")"
}

log "AllowTcpForwarding no"
restart "AllowTcpForwarding no"
expect_w_refused "no: -W" "127.0.0.1:$EP"
expect_r_refused "no: -R" "0:127.0.0.1:$EP"
grep -q "refused direct-tcpip to 127.0.0.1 port $EP: AllowTcpForwarding forbids it" "$LOG" ||
    fail "no log line for the -W refusal"
grep -q "refused tcpip-forward on localhost port 0: AllowTcpForwarding forbids it" "$LOG" ||
    fail "no log line for the -R refusal"
expect_eq "no: sessions still work" "ok" "$(vssh fdpass echo ok </dev/null)"

log "AllowTcpForwarding local / remote"
restart "AllowTcpForwarding local"
expect_w_works "local: -W" "127.0.0.1:$EP"
expect_r_refused "local: -R" "0:127.0.0.1:$EP"
restart "AllowTcpForwarding remote"
expect_w_refused "remote: -W" "127.0.0.1:$EP"

log "PermitOpen compares the destination as the client wrote it"
restart "PermitOpen 127.0.0.1:$EP"
expect_w_works "PermitOpen: listed" "127.0.0.1:$EP"
expect_w_refused "PermitOpen: by another name" "localhost:$EP"
grep -q "refused direct-tcpip to localhost port $EP: not in PermitOpen" "$LOG" ||
    fail "no PermitOpen log line"

log "PermitListen"
RP=$(free_port)
restart "PermitListen $RP"
expect_r_refused "PermitListen: other port" "$((RP + 1)):127.0.0.1:$EP"
timeout 20 ssh -F "$T/ssh_config" -N -o ExitOnForwardFailure=yes -R "$RP:127.0.0.1:$EP" fdpass &
pid=$!
wait_for "port_open $RP" 100 || fail "PermitListen: the listed port was refused"
kill $pid
wait $pid 2>/dev/null || true

log "GatewayPorts: no keeps -R on loopback; clientspecified binds what the client names"
# The IPv4 listener's local address on port $1, as /proc/net/tcp writes it.
listener_addr() {
    awk -v p="$(printf ':%04X' "$1")" '$4 == "0A" && substr($2, 9) == p { print substr($2, 1, 8) }' \
        /proc/net/tcp
}
for gw in no clientspecified; do
    restart "GatewayPorts $gw"
    RP=$(free_port)
    bind=0.0.0.0 want=0100007F
    [ $gw = no ] || bind=127.0.0.2 want=0200007F
    timeout 20 ssh -F "$T/ssh_config" -N -o ExitOnForwardFailure=yes \
        -R "$bind:$RP:127.0.0.1:$EP" fdpass &
    pid=$!
    wait_for "[ -n \"\$(listener_addr $RP)\" ]" 100 || fail "GatewayPorts $gw: no listener"
    expect_eq "GatewayPorts $gw: -R $bind listens on" "$want" "$(listener_addr "$RP")"
    kill $pid
    wait $pid 2>/dev/null || true
done

log "a closed port: prompt refusal, the reason in the log"
restart
CP=$(free_port)
start=$(date +%s%N)
expect_w_refused "closed port" "127.0.0.1:$CP"
el=$((($(date +%s%N) - start) / 1000000))
[ $el -lt 10000 ] || fail "closed port: refusal took ${el} ms"
grep -q "direct-tcpip to 127.0.0.1 port $CP .*: connect failed: Connection refused" "$LOG" ||
    fail "no connect-failed log line"

log "MaxForwards: the listener beyond the limit is refused"
restart "MaxForwards 1"
rc=0
# (Two different forwards: ssh drops a duplicate before asking.)
timeout 20 ssh -F "$T/ssh_config" -N -o ExitOnForwardFailure=yes -R "0:127.0.0.1:$EP" \
    -R "0:127.0.0.2:$EP" fdpass 2>"$T/err" || rc=$?
expect_eq "MaxForwards: exit status" 255 "$rc"
grep -q "MaxForwards (1) reached" "$LOG" || fail "no MaxForwards log line"

log "MaxForwardChannels: a second connection through the forward is refused, the first goes on"
restart "MaxForwardChannels 1"
LP=$(free_port)
ssh -F "$T/ssh_config" -N -o ExitOnForwardFailure=yes -L "$LP:127.0.0.1:$EP" fdpass &
pid=$!
wait_for "port_open $LP" 100 || fail "-L did not come up"
out=$(/usr/bin/python3 -c '
import socket, sys, time
port = int(sys.argv[1])
a = socket.create_connection(("127.0.0.1", port))
a.sendall(b"first"); time.sleep(0.3)
b = socket.create_connection(("127.0.0.1", port))
b.settimeout(10)
second = b.recv(100)  # refused: ssh closes it without data
a.shutdown(socket.SHUT_WR)
print(a.makefile("rb").read().decode(), repr(second))' "$LP")
expect_eq "MaxForwardChannels" "first b''" "$out"
grep -q "MaxForwardChannels (1) reached" "$LOG" || fail "no MaxForwardChannels log line"
kill $pid
wait $pid 2>/dev/null || true

log "Unix-socket forwards: refused clearly (libssh does not parse them)"
$PEER unix-echo "$T/guest.sock" &
wait_for "[ -S '$T/guest.sock' ]" || fail "unix echo server did not start"
ssh -F "$T/ssh_config" -N -L "$T/local.sock:$T/guest.sock" fdpass &
pid=$!
wait_for "[ -S '$T/local.sock' ]" || fail "ssh did not listen on the local socket"
out=$(/usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(10)
try:
    s.sendall(b"x"); data = s.recv(10)
except socket.timeout:
    data = b"(still open)"
except OSError:  # reset or broken pipe: closed as well
    data = b""
print("closed" if data == b"" else repr(data))' "$T/local.sock" 2>&1 || true)
expect_eq "-L unix socket: closed without data" "closed" "$out"
grep -q "refused a channel of a type libssh does not parse: Unix-socket" "$LOG" ||
    fail "no log line for the streamlocal refusal"
kill $pid
wait $pid 2>/dev/null || true
expect_r_refused "-R unix socket" "$T/remote.sock:$T/guest.sock"
[ ! -e "$T/remote.sock" ] || fail "-R unix socket: a socket was created"
expect_eq "after the refusals: sessions work" "ok" "$(vssh relay echo ok </dev/null)"
log pass
