# Faults: a full disk under sftp, scp and "cat >"; the connection process
# short of file descriptors; a connection process killed mid-transfer; the
# listener killed and restarted while sessions run; a reload while they
# run; clients that vanish during the banner, the key exchange,
# authentication and a transfer.  Each time: a clear error for the client,
# no crash, and the daemon goes on serving.
. "$(dirname "$0")/../lib.sh"
require_root
start_server
alive() { expect_eq "$1: still serving" ok "$(vssh relay echo ok </dev/null)"; }

# ---- a full disk --------------------------------------------------------
mkdir -p "$T/small"
mount -t tmpfs -o size=1m,mode=0755 tmpfs "$T/small" || skip "cannot mount a tmpfs"
trap 'rc=$?; umount -l "$T/small" 2>/dev/null || true; set +e; (exit $rc); cleanup' EXIT
chown "$LOGIN" "$T/small"
head -c 4194304 /dev/urandom > "$T/big"
chmod 644 "$T/big"
rc=0; err=$(vssh relay "cat > '$T/small/cat'" < "$T/big" 2>&1) || rc=$?
[ "$rc" -ne 0 ] || fail "cat > a full disk reported success"
expect_match "cat > a full disk: the reason" "No space left" "$err"
rc=0; err=$(printf 'put %s %s\n' "$T/big" "$T/small/sftp" | sftp -F "$T/ssh_config" -b - relay 2>&1) || rc=$?
[ "$rc" -ne 0 ] || fail "sftp put to a full disk reported success"
expect_match "sftp put to a full disk: the reason" "(No space left|[Ff]ailure)" "$err"
rc=0; err=$(scp -F "$T/ssh_config" "$T/big" "relay:$T/small/scp" 2>&1) || rc=$?
[ "$rc" -ne 0 ] || fail "scp to a full disk reported success"
alive "after a full disk"
umount "$T/small"

# ---- the connection process short of file descriptors --------------------
# One connection (a ControlMaster) opening sessions until its process runs
# out of descriptors: those it cannot start are refused, the rest run, and
# the connection survives.
stop_server
(ulimit -n 20 && exec "$VS_SSHD" -D -e -f "$T/sshd_config" 2>>"$LOG") &
SERVER_PID=$!
wait_for "[ -S '$SOCK' ]" 100 || fail "server with 20 descriptors did not start"
ctl=(-o ControlMaster=auto -o "ControlPath=$T/ctl" -o ControlPersist=30)
vssh "${ctl[@]}" relay true </dev/null || fail "ControlMaster"
pids=()
for i in 1 2 3 4 5 6 7 8; do
    vssh "${ctl[@]}" relay 'sleep 2; echo ok' </dev/null > "$T/lowfd.$i" 2>&1 &
    pids+=($!)
done
wait "${pids[@]}" || true
ok=$(cat "$T"/lowfd.* | grep -cx ok || true)
log "with 20 descriptors: $ok of 8 sessions on one connection ran"
[ "$ok" -ge 1 ] || fail "no session ran with 20 descriptors"
[ "$ok" -lt 8 ] || fail "20 descriptors were enough for 8 sessions: the limit was not reached"
grep -Eq 'Too many open files|cannot start' "$LOG" || fail "running out of descriptors is not logged"
expect_eq "the connection survives" ok "$(vssh "${ctl[@]}" relay echo ok </dev/null)"
vssh "${ctl[@]}" -O exit relay 2>/dev/null || true
stop_server
start_server

# ---- a connection process killed mid-transfer -----------------------------
# The client gets an error; the command gets SIGHUP (PR_SET_PDEATHSIG).
# The watcher handles SIGHUP itself (a shell's trap would wait for its
# foreground child first), reading its input to the end meanwhile.
cat > "$T/hupwatch.py" <<PY
import signal, sys, time
def hup(*_):
    open("$T/hup", "w").write("hup")
    sys.exit(0)
signal.signal(signal.SIGHUP, hup)
open("$T/hupready", "w").write("ready")
while sys.stdin.buffer.read(65536):
    pass
time.sleep(10)
PY
chmod 644 "$T/hupwatch.py"; chmod 777 "$T"
( head -c 1073741824 /dev/zero | vssh relay "exec /usr/bin/python3 $T/hupwatch.py" ) 2>"$T/killed.err" >/dev/null &
xfer=$!
# Killed only once the watcher handles SIGHUP: before that (Python starting
# up, slow under a loaded machine) SIGHUP's default action would end it.
wait_for "[ -s '$T/hupready' ]" 300 || fail "the transfer's session did not start"
sleep 0.5
# The process tree as it was, for the message if SIGHUP does not come (a
# rare failure in CI that no run here reproduced: the watcher alive,
# reparented, its handler installed, nothing pending).
ps -eo pid,ppid,pgid,uid,stat,comm --forest > "$T/before-kill" 2>&1 || true
kill -9 $(conn_pids)
rc=0; wait $xfer || rc=$?
[ "$rc" -ne 0 ] || fail "the client saw no error when its connection process was killed"
if ! wait_for "[ -s '$T/hup' ]" 50; then
    for p in $(pgrep -f "$T/hupwatch.py" || true); do
        echo "# watcher $p:" $(grep -E '^(State|PPid|Sig|ShdPnd)' /proc/$p/status 2>&1) >&2
    done
    sed 's/^/# before the kill: /' "$T/before-kill" >&2
    fail "the command did not get SIGHUP when its connection died"
fi
# The monitor logs the death, then hangs up; the kernel's PR_SET_PDEATHSIG
# may reach the command first, so the log line may come a moment later.
wait_for "grep -q 'died of signal 9' '$LOG'" 50 || fail "the killed connection process is not logged"
alive "after a killed connection"

# ---- the same, for a command that executed a set-group-ID program ----------
# Executing a set-ID program clears PR_SET_PDEATHSIG; the monitor, which
# outlives the connection process, sends the SIGHUP then.  ssh-agent is
# set-group-ID on Debian 12 and runs until a signal ends it (-D).
if [ -g /usr/bin/ssh-agent ]; then
    ( vssh relay "exec /usr/bin/ssh-agent -D -a $T/agent.sock" ) >/dev/null 2>&1 &
    wait_for "[ -S '$T/agent.sock' ]" 100 || fail "ssh-agent did not start"
    apid=
    for p in $(pgrep -x ssh-agent || true); do
        grep -q "$T/agent.sock" "/proc/$p/cmdline" 2>/dev/null && apid=$p
    done
    [ -n "$apid" ] || fail "no ssh-agent process found"
    kill -9 $(conn_pids)
    wait_for "! kill -0 $apid 2>/dev/null" 50 ||
        fail "a command that executed a set-group-ID program did not get SIGHUP when its connection died"
    alive "after a killed connection with a set-group-ID command"
else
    log "ssh-agent is not set-group-ID here: the monitor's own SIGHUP is not exercised"
fi

# ---- the listener killed (and restarted) while sessions run ----------------
vssh relay 'sleep 2; echo survived' </dev/null > "$T/survivor" 2>&1 &
surv=$!
# Its own session, started (another connection may still be ending).
wait_for "grep -q \"exec 'sleep 2; echo survived' started\" '$LOG'" 100 || fail "the session did not start"
kill -9 "$SERVER_PID"
SERVER_PID=
wait $surv || fail "a running session ended with its listener"
expect_eq "session outlives its listener" survived "$(cat "$T/survivor")"
start_server # replaces the dead listener's socket
alive "after a restart"

# ---- SIGHUP reload while a session runs ---------------------------------
vssh relay 'sleep 1.5; echo through-reload' </dev/null > "$T/reload.out" 2>&1 &
rl=$!
sleep 0.5
kill -HUP "$SERVER_PID"
wait $rl || fail "a session ended with a reload"
expect_eq "session goes on through a reload" through-reload "$(cat "$T/reload.out")"
alive "after a reload"

# ---- clients that vanish --------------------------------------------------
python3 - "$SOCK" <<'PY'
import socket, sys, time
path = sys.argv[1]
def conn():
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    return s
s = conn(); s.close()                                           # before the banner
s = conn(); s.recv(64); s.close()                               # after the server's banner
s = conn(); s.recv(64); s.sendall(b"SSH-2.0-vanish\r\n"); s.close()  # during the key exchange
s = conn(); s.sendall(b"SSH-2.0-vanish\r\n" + b"\x00\x00\x01\x00" + b"\xff" * 64); s.close()  # mid-packet
time.sleep(0.5)
PY
if /usr/bin/python3 -c 'import paramiko' 2>/dev/null; then
    # Keys exchanged, then gone before authentication.  Eight times: with
    # libssh 0.11 a client gone just as the exchange ends left a connection
    # process without a socket, polling nothing until LoginGraceTime (about
    # one connection in three here).
    /usr/bin/python3 - "$SOCK" <<'PY' || fail "paramiko's key exchange with the server failed"
import socket, sys, paramiko
for _ in range(8):
    s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
    t = paramiko.Transport(s); t.start_client(timeout=20)
    # shutdown(): the transport's thread may still be inside recv() on this
    # socket, which keeps it open past a plain close() until that returns.
    s.shutdown(socket.SHUT_RDWR); s.close()
PY
fi
( head -c 1073741824 /dev/zero | vssh relay 'cat > /dev/null' ) >/dev/null 2>&1 &
gone=$!
sleep 0.5
pkill -KILL -f "ssh -F $T/ssh_config relay cat" || true
wait $gone 2>/dev/null || true
if ! wait_for "[ -z \"\$(conn_pids)\" ]" 300; then
    # What the process holds and who holds the other end.
    for p in $(conn_pids); do
        echo "# $p holds: $(ls -l /proc/$p/fd 2>&1 | awk 'NR > 1 { print $NF }' | paste -sd' ')" >&2
        for ino in $(ls -l /proc/$p/fd 2>/dev/null | grep -o 'socket:\[[0-9]*\]' | tr -dc '0-9\n'); do
            ss -xp 2>/dev/null | grep -w "$ino" | sed 's/^/#   /' >&2 || true
        done
    done
    pgrep -af python3 | sed 's/^/# python: /' >&2 || true
    fail "connection processes left after clients vanished: $(ps -o pid,ppid,user,etime,wchan:20,args -p "$(conn_pids | paste -sd,)" 2>&1)"
fi
# The only connection process that died of a signal is the one killed above.
if grep 'died of signal' "$LOG" | grep -v 'signal 9' >/dev/null; then fail "a crash after a client vanished"; fi
alive "after clients vanished"
log pass
