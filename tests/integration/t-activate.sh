# Socket activation (vsock-sshd.socket with Accept=no starting
# vsock-sshd.service): the daemon serves the listening sockets systemd
# passes (LISTEN_PID, LISTEN_FDS, descriptors from 3), not its Listen
# lines, and leaves their files to systemd; variables meant for another
# process are not taken; anything but a listening stream socket of its
# families refuses the start with the reason.  A small launcher does what
# systemd does (no systemd here), over Unix sockets only.
. "$(dirname "$0")/../lib.sh"

# activate.py KIND PIDMODE PATH CMD...: on descriptor 3 a socket at PATH
# (KIND: "listen", "bound" and not listening, "dgram"), a listening TCP
# socket on 127.0.0.1 ("inet") or a file ("file"),
# LISTEN_FDS=1 ("1x" for KIND "badcount", listening) and LISTEN_PID naming
# the process (PIDMODE "self") or another one ("other"), then exec CMD.
cat > "$T/activate.py" <<'PY'
import os, socket, sys
kind, pidmode, path, argv = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
if kind == "file":
    fd = os.open(path + ".file", os.O_CREAT | os.O_RDWR, 0o600)
elif kind == "inet":
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    fd = s.detach()
else:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM if kind == "dgram" else socket.SOCK_STREAM)
    s.bind(path)
    if kind in ("listen", "badcount"):
        s.listen(16)
    fd = s.detach()
if fd != 3:
    os.dup2(fd, 3)
    os.close(fd)
os.set_inheritable(3, True)
env = dict(os.environ, LISTEN_FDS="1x" if kind == "badcount" else "1", LISTEN_FDNAMES="x",
           LISTEN_PID=str(os.getpid() if pidmode == "self" else os.getpid() + 100000))
os.execve(argv[0], argv, env)
PY
activated() { # KIND PIDMODE: the server, started as systemd would (within
    # $VS_ACT_TIMEOUT seconds if set: a server that should refuse to start)
    rm -f "$SOCK"
    exec ${VS_ACT_TIMEOUT:+timeout "$VS_ACT_TIMEOUT"} /usr/bin/python3 "$T/activate.py" "$1" "$2" "$SOCK" "$VS_SSHD" -D -e -f "$T/sshd_config"
}
write_ssh_config
# The configuration names another socket: the passed one must win.
write_config
sed -i "s|^Listen .*|Listen unix:$T/configured.sock|" "$T/sshd_config"

# Activated: served, and the socket's file is systemd's.
(activated listen self) 2>>"$LOG" &
SERVER_PID=$!
wait_for "grep -q 'listening on' '$LOG' || ! kill -0 $SERVER_PID 2>/dev/null" 100 ||
    fail "the activated server did not start"
grep -q "listening on unix:$SOCK (from systemd)" "$LOG" ||
    fail "the passed socket is not the one served: $(tail -3 "$LOG")"
for mode in $MODES; do
    expect_eq "$mode: a command through the passed socket" "$(id -u "$LOGIN")" \
        "$(vssh "$mode" id -u </dev/null)"
done
[ ! -e "$T/configured.sock" ] || fail "the configuration's Listen was opened as well"
stop_server
[ -S "$SOCK" ] || fail "the daemon removed the socket file systemd owns"

# Variables for another process (inherited): the configuration's Listen.
(activated listen other) 2>>"$LOG" &
SERVER_PID=$!
wait_for "[ -S '$T/configured.sock' ] || ! kill -0 $SERVER_PID 2>/dev/null" 100 ||
    fail "the server did not start"
[ -S "$T/configured.sock" ] || fail "LISTEN_PID of another process was taken as ours: $(tail -3 "$LOG")"
stop_server
[ ! -e "$T/configured.sock" ] || fail "the configuration's socket file was left behind"

# Not what a daemon can serve: refused at start, with the reason.
refused() { # KIND WHAT-THE-LOG-SAYS
    local rc=0 n
    n=$(wc -l < "$LOG")
    (VS_ACT_TIMEOUT=20 activated "$1" self) 2>>"$LOG" </dev/null || rc=$?
    expect_eq "$1: the exit status" 1 "$rc"
    tail -n +"$((n + 1))" "$LOG" | grep -qF "$2" || fail "$1: no '$2' in: $(tail -n +"$((n + 1))" "$LOG")"
    [ ! -e "$T/configured.sock" ] || fail "$1: it fell back to the configuration's Listen"
}
refused file "descriptor 3 is not a socket"
refused dgram "descriptor 3 is not a stream socket"
refused bound "descriptor 3 is not listening (the socket unit must have Accept=no"
refused inet "descriptor 3 is neither a vsock nor a Unix socket"
refused badcount "LISTEN_FDS is not a number"
log pass
