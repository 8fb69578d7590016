# "signal" channel requests reach the command's process group (HUP, INT,
# QUIT, TERM, KILL...), and a death by signal is reported as exit-signal with
# the signal's name.  OpenSSH's ssh does not send signal requests, so a
# small libssh client does.
. "$(dirname "$0")/../lib.sh"
: "${VS_SIGCLIENT:?set by ctest}"
start_server
sig() { "$VS_SIGCLIENT" "$SOCK" "$LOGIN" "$@"; }

for s in HUP INT QUIT TERM USR1; do
    # The shell traps it; its foreground child, in the same process group,
    # gets it too.
    out=$(sig $s "trap 'echo trapped $s; exit 7' $s; echo ready; while :; do sleep 0.1; done")
    expect_eq "$s trapped" "trapped $s
status 7" "$out"
done
# A duration no other process on the machine has, so that the check below
# sees only this test's commands.
nap=1000.$$
for s in TERM KILL HUP; do
    out=$(sig $s "echo ready; exec sleep $nap")
    expect_eq "$s kills" "signal $s core 0" "$out"
done
# Unknown signal names are refused; the command runs on.
out=$(sig NOSUCH 'echo ready; sleep 1; echo done; exit 3')
expect_eq "unknown signal ignored" "done
status 3" "$out"
pgrep -f "^sleep $nap\$" >/dev/null && fail "a signalled command survived"
log pass
