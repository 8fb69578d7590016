# The root monitor (server/monitor.c) against a lying connection process.
# The connection runs as the user: what it tells its monitor is a claim.
# liar.py takes a connection's socket to its monitor (pidfd_getfd, from a
# root session) and sends what a connection process under the user's
# control could:
# - descriptors with every kind of message: the monitor writes only to a
#   Unix stream socket passed with a TTY start, and to nothing else;
# - full pipes: the monitor goes on answering, and exits within a second
#   of its child's death;
# - end records for terminals that became another login's (another owner,
#   or utmp's record another login's), and the same left when it dies:
#   that login's utmp record stays;
# and, past the 64 the monitor's tables once held, with MaxSessions 80: 70
# PTY sessions each in utmp, and 70 session processes each held by a
# pidfd and hung up (PR_SET_PDEATHSIG cleared) when the connection is
# killed.
#
# Runs in a private mount namespace (private.sh): the PTY records go to a
# utmp of its own.
. "$(dirname "$0")/../lib.sh"
require_test_user
. "$(dirname "$0")/private.sh"
[ -x /usr/bin/python3 ] || skip "python3 missing"
LIAR=$VS_SRC/tests/integration/liar.py
uid=$(id -u "$TEST_USER")
ppid_of() { awk '{ print $4 }' "/proc/$1/stat"; }
# gone PID: no such process, or a zombie waiting for its parent.
gone() { ! [ -e "/proc/$1/stat" ] || [ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" = Z ]; }
liar() { vssh relay -l root "/usr/bin/python3 $LIAR $*" </dev/null; }
# Sessions run "sleep 30NN.PID" (this script's PID): unique to this run,
# and gone with it.
trap 'rc=$?; pkill -KILL -f "^sleep 30[0-9][0-9]\.$$\$" 2>/dev/null || true; set +e; (exit $rc); cleanup' EXIT
# session_procs TAG: a session running "sleep TAG.PID" (its client in the
# background): sets PROC (the sleep), CONN (its connection process) and
# MON (that connection's monitor).
session_procs() {
    vssh relay "exec sleep $1.$$" </dev/null >/dev/null 2>&1 &
    wait_for "pgrep -f '^sleep $1.$$\$' >/dev/null" 100 || fail "session 'sleep $1' did not start"
    PROC=$(pgrep -f "^sleep $1.$$\$")
    CONN=$(ppid_of "$PROC")
    MON=$(ppid_of "$CONN")
    expect_eq "the connection is the user's" "$uid" "$(awk '/^Uid:/ { print $2 }' "/proc/$CONN/status")"
}

start_private 'MaxSessions 80'

# ---- descriptors passed with every kind of message ----------------------
session_procs 3051
out=$(liar probe "$CONN")
expect_eq "probe: the monitor answers" 6 "$(grep -c '^kind\|^long' <<<"$out")"
expect_match "a TTY start is answered on a Unix stream socket only" \
    '^kind 1: pipe=0 dgram=0 stream=1$' "$out"
for k in 0 2 3 99; do
    expect_match "kind $k: nothing passed with it is written to" "^kind $k: pipe=0 dgram=0 stream=0\$" "$out"
done
expect_match "a message of the wrong size is not answered" '^long: stream=0$' "$out"

# ---- full pipes: the monitor neither blocks nor outlives its child -------
session_procs 3050
vssh relay -l root "/usr/bin/python3 $LIAR wedge $CONN 6" </dev/null >"$T/wedge.out" 2>&1 &
wedge=$!
wait_for "[ -s '$T/wedge.out' ]" 100 || fail "the liar did not report"
expect_eq "full pipes passed: the monitor still answers" answered "$(cat "$T/wedge.out")"
: > "$LOG"
# Within a second, as a rule; two allowed for a loaded machine (a monitor
# stuck on a pipe stays for as long as the liar holds it, 6 s).
kill -KILL "$CONN"
t0=$(date +%s%N)
wait_for "gone $MON" 20 ||
    fail "the monitor did not exit within 2 s of its child's death: $(ps -o pid,stat,wchan:20,args -p "$MON" 2>&1)"
log "the monitor exited $((($(date +%s%N) - t0) / 1000000)) ms after its child's death"
grep -q "died of signal 9" "$LOG" || fail "the monitor did not log its child's death"
kill "$wedge" 2>/dev/null || true
wait "$wedge" 2>/dev/null || true

# ---- end records for terminals that became another login's ---------------
session_procs 3052
out=$(liar steal "$CONN" "$PROC" "$TEST_USER")
expect_match "an end for a terminal now another user's leaves that login's record" \
    '^end, owner changed: root/[0-9]+$' "$out"
expect_match "an end for a line utmp gives another login leaves that login's record" \
    "^end, another login's: $TEST_USER/[0-9]+\$" "$out"
expect_match "the monitor's last records leave another user's terminal alone" \
    '^exit, owner changed: root/[0-9]+$' "$out"

# ---- more than 64 sessions: records and hang-ups for each ----------------
if ! /usr/bin/python3 -c 'import paramiko' 2>/dev/null; then
    log "no python3-paramiko: more than 64 sessions are not tried (run scripts/deps)"
    sanitizer_check || fail "sanitizer report"
    log pass
    exit 0
fi
# many N pty|pipes COMMAND: one connection with N sessions running COMMAND
# (paramiko: one process, all opened in a second or two), until killed.
cat > "$T/many.py" <<'PY'
import socket, sys, time, paramiko
path, user, n, pty, command = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
s = socket.socket(socket.AF_UNIX)
s.connect(path)
t = paramiko.Transport(s)
t.start_client(timeout=20)
t.auth_none(user)
channels = []
for _ in range(n):
    c = t.open_session(timeout=20)
    if pty == "pty":
        c.get_pty()
    c.exec_command(command)
    channels.append(c)
time.sleep(120)
PY
many() { /usr/bin/python3 "$T/many.py" "$SOCK" "$TEST_USER" "$@" </dev/null >/dev/null 2>&1 & }
count() { pgrep -cf "^sleep $1\$" || true; }

many 70 pty "exec sleep 3053.$$"
client=$!
wait_for "[ \$(count 3053.$$) -eq 70 ]" 200 || fail "70 PTY sessions did not start: $(count 3053.$$)"
n=$(vssh relay "/usr/bin/python3 $T/utmp.py" </dev/null | grep -c "^$TEST_USER pts/" || true)
expect_eq "70 PTY sessions, 70 utmp records" 70 "$n"
kill "$client"
wait_for "[ \$(count 3053.$$) -eq 0 ]" 100 || fail "the PTY sessions did not end with their client"

# setpriv clears PR_SET_PDEATHSIG (as executing a set-ID program does): only
# the monitor's SIGHUP ends these when their connection dies.
command -v setpriv >/dev/null || skip "setpriv missing (the rest passed)"
many 70 pipes "exec setpriv --pdeathsig clear sleep 3054.$$"
client=$!
wait_for "[ \$(count 3054.$$) -eq 70 ]" 200 || fail "70 sessions did not start: $(count 3054.$$)"
CONN=$(ppid_of "$(pgrep -f "^sleep 3054.$$\$" | head -1)")
MON=$(ppid_of "$CONN")
pidfds() {
    local f n=0
    for f in "/proc/$MON/fd/"*; do
        case $(readlink "$f") in *pidfd*) n=$((n + 1)) ;; esac
    done
    echo "$n"
}
wait_for "[ \$(pidfds) -eq 70 ]" 50 || fail "the monitor holds $(pidfds) pidfds for 70 session processes"
kill -KILL "$CONN"
wait_for "[ \$(count 3054.$$) -eq 0 ]" 50 ||
    fail "$(count 3054.$$) of 70 session processes not hung up when their connection died"
kill "$client" 2>/dev/null || true
sanitizer_check || fail "sanitizer report"
log pass
