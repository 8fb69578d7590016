# TCP forwarding with the stock client: ssh -L to an HTTP server in the
# "guest", ssh -D with curl's SOCKS5, ssh -W with half-close and 64 MiB
# checksummed both ways, ssh -R with a fixed and an allocated port, and
# -O forward / -O cancel through a ControlMaster.  The listeners and
# connections belong to the session user, not to root.
. "$(dirname "$0")/../lib.sh"
PEER="/usr/bin/python3 $VS_SRC/tests/integration/fwdpeer.py"
command -v curl >/dev/null || skip "curl missing (run scripts/deps)"
write_config "LogLevel VERBOSE"
start_server

# The guest's services: an HTTP server and an echo server on loopback.
mkdir "$T/www"
head -c 3000000 /dev/urandom >"$T/www/file.bin"
$PEER http "$T/www" "$T/http.port" "$T/" &
$PEER echo "$T/echo.port" "$T/" &
wait_for "[ -s '$T/http.port' ] && [ -s '$T/echo.port' ]" || fail "peers did not start"
HP=$(cat "$T/http.port")
EP=$(cat "$T/echo.port")
want=$(sha256sum <"$T/www/file.bin")

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() { $PEER free-port; }
# Background ssh with forwards (ssh itself, not the vssh function, so that
# $! is ssh); waits for the local port $1 to listen.
fwd_ssh() { # port ssh-args...
    local p=$1
    shift
    ssh -F "$T/ssh_config" -N -o ExitOnForwardFailure=yes "$@" &
    wait_for "port_open $p" 100 || fail "forward on port $p did not come up"
}
# uid owning the TCP listener on port $1 (from /proc/net/tcp{,6}).
listener_uid() {
    awk -v p="$(printf ':%04X' "$1")" '$4 == "0A" && index($2, p) { print $8; exit }' \
        /proc/net/tcp /proc/net/tcp6
}

for m in $MODES; do
    log "mode $m: ssh -L to the guest's HTTP server, by address and by name"
    LP=$(free_port)
    fwd_ssh "$LP" -L "$LP:127.0.0.1:$HP" -L "$((LP + 1)):localhost:$HP" $m
    pid=$!
    got=$(curl -sf "http://127.0.0.1:$LP/file.bin" | sha256sum)
    expect_eq "$m: -L fetch" "$want" "$got"
    if port_open $((LP + 1)); then
        got=$(curl -sf "http://127.0.0.1:$((LP + 1))/file.bin" | sha256sum)
        expect_eq "$m: -L fetch via localhost" "$want" "$got"
    fi
    kill $pid
    wait $pid 2>/dev/null || true

    log "mode $m: ssh -D with curl --socks5-hostname"
    DP=$(free_port)
    fwd_ssh "$DP" -D "127.0.0.1:$DP" $m
    pid=$!
    got=$(curl -sf --socks5-hostname "127.0.0.1:$DP" "http://localhost:$HP/file.bin" | sha256sum)
    expect_eq "$m: -D fetch" "$want" "$got"
    kill $pid
    wait $pid 2>/dev/null || true

    log "mode $m: ssh -W: EOF passes on, the reply comes back, exit 0"
    out=$(printf 'ping\n' | vssh -W "127.0.0.1:$EP" $m)
    expect_eq "$m: -W echo" "ping" "$out"
done

log "64 MiB through a forward, both ways, checksummed"
head -c $((64 << 20)) /dev/urandom >"$T/big"
want_big=$(sha256sum <"$T/big")
got=$(vssh -W "127.0.0.1:$EP" fdpass <"$T/big" | sha256sum)
expect_eq "64 MiB -W round trip" "$want_big" "$got"
LP=$(free_port)
fwd_ssh "$LP" -L "$LP:127.0.0.1:$EP" relay
pid=$!
got=$(/usr/bin/python3 -c '
import socket, sys, threading
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
data = open(sys.argv[2], "rb").read()
def send():
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
threading.Thread(target=send).start()
out = bytearray()
while True:
    b = s.recv(1 << 20)
    if not b:
        break
    out += b
sys.stdout.buffer.write(out)
' "$LP" "$T/big" | sha256sum)
expect_eq "64 MiB -L round trip" "$want_big" "$got"
kill $pid
wait $pid 2>/dev/null || true
rm -f "$T/big"

log "ssh -R with a fixed port: the guest reaches the client's echo server"
RP=$(free_port)
ssh -F "$T/ssh_config" -N -o ExitOnForwardFailure=yes -R "$RP:127.0.0.1:$EP" fdpass &
pid=$!
wait_for "port_open $RP" 100 || fail "-R listener did not come up"
out=$(printf 'reverse\n' | /usr/bin/python3 -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(sys.stdin.buffer.read()); s.shutdown(socket.SHUT_WR)
print(s.makefile().read(), end="")' "$RP")
expect_eq "-R fixed port echo" "reverse" "$out"
expect_eq "-R listener belongs to the user" "$(id -u "$LOGIN")" "$(listener_uid "$RP")"
kill $pid
wait $pid 2>/dev/null || true
wait_for "! port_open $RP" 50 || fail "-R listener outlived its connection"

log "ssh -R with port 0: the server allocates one and tells the client"
ssh -F "$T/ssh_config" -N -o ExitOnForwardFailure=yes -o LogLevel=INFO -R "0:127.0.0.1:$EP" fdpass \
    2>"$T/r0.err" &
pid=$!
wait_for "grep -q 'Allocated port' '$T/r0.err'" 100 || fail "no allocated port: $(cat "$T/r0.err")"
AP=$(sed -n 's/.*Allocated port \([0-9]*\) .*/\1/p' "$T/r0.err")
out=$(printf 'zero\n' | /usr/bin/python3 -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(sys.stdin.buffer.read()); s.shutdown(socket.SHUT_WR)
print(s.makefile().read(), end="")' "$AP")
expect_eq "-R port 0 echo" "zero" "$out"
kill $pid
wait $pid 2>/dev/null || true

log "ControlMaster: -O forward and -O cancel on a live connection"
CTL="$T/ctl"
vssh -o ControlMaster=yes -o ControlPath="$CTL" -N -f fdpass
wait_for "[ -S '$CTL' ]" || fail "no control socket"
AP=$(vssh -o ControlPath="$CTL" -O forward -R "0:127.0.0.1:$EP" fdpass)
[ -n "$AP" ] && [ "$AP" -gt 0 ] || fail "-O forward -R 0 printed no port: '$AP'"
wait_for "port_open $AP" 50 || fail "-O forward listener not up"
LP=$(free_port)
vssh -o ControlPath="$CTL" -O forward -L "$LP:127.0.0.1:$HP" fdpass
got=$(curl -sf "http://127.0.0.1:$LP/file.bin" | sha256sum)
expect_eq "-O forward -L fetch" "$want" "$got"
vssh -o ControlPath="$CTL" -O cancel -R "0:127.0.0.1:$EP" fdpass 2>/dev/null ||
    vssh -o ControlPath="$CTL" -O cancel -R "$AP:127.0.0.1:$EP" fdpass
wait_for "! port_open $AP" 50 || fail "-O cancel left the listener open"
grep -q "cancelled the forward on localhost port $AP" "$LOG" || fail "no cancel log line"
vssh -o ControlPath="$CTL" -O exit fdpass 2>/dev/null

grep -q "direct-tcpip to 127.0.0.1 port $HP from .* closed, in [0-9]* out [0-9]* bytes" "$LOG" ||
    fail "no direct-tcpip log line"
grep -Eq "forwarded-tcpip on localhost port $RP from 127.0.0.1 port [0-9]+ open" "$LOG" ||
    fail "no forwarded-tcpip log line"
log pass
