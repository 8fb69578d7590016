# ssh -tt: a real tty with TERM and the client's size, resize, Ctrl-C
# interrupting the command, SSH_TTY, and an interactive login shell.
. "$(dirname "$0")/../lib.sh"
start_server
drive() { python3 "$VS_SRC/tests/integration/ptydrive.py" "$@"; }

for m in $MODES; do
    log "mode $m"
    out=$(TERM=xterm-256color drive 33 101 'expect:READY' -- \
        ssh -F "$T/ssh_config" -tt $m \
        'tty; echo "term=$TERM"; stty size; test -t 0 && test -t 1 && test -t 2 && echo alltty;
         echo "sshtty=$SSH_TTY"; echo READY')
    expect_match "$m: tty" '/dev/pts/[0-9]+' "$out"
    expect_match "$m: TERM" 'term=xterm-256color' "$out"
    expect_match "$m: size" '33 101' "$out"
    expect_match "$m: stdin/out/err are the tty" 'alltty' "$out"
    expect_match "$m: SSH_TTY" 'sshtty=/dev/pts/[0-9]+' "$out"

    # Resize while the command runs.
    out=$(drive 24 80 'expect:first 24 80;;resize:50,132;;send:\n;;expect:second 50 132' -- \
        ssh -F "$T/ssh_config" -tt $m 'echo first $(stty size); read x; echo second $(stty size)')
    expect_match "$m: window-change" 'second 50 132' "$out"

    # Ctrl-C reaches the command through the remote terminal: it dies of
    # SIGINT (exit-signal, which OpenSSH's client reports as 255).
    # (A duration no other process on the machine has: the check below must
    # see only this test's command.)
    nap=60.$$
    rc=0
    out=$(drive 24 80 'expect:sleeping;;send:\x03' -- \
        ssh -F "$T/ssh_config" -tt $m "echo sleeping; exec sleep $nap") || rc=$?
    expect_eq "$m: Ctrl-C status" 255 "$rc"
    grep -q "exec 'echo sleeping; exec sleep $nap': signal INT" "$LOG" ||
        fail "$m: Ctrl-C did not end the command with SIGINT"
    wait_for "! pgrep -f '^sleep $nap\$' >/dev/null" 50 || fail "$m: sleep still running after Ctrl-C"

    # Exit status and output from a PTY session.
    rc=0; drive 24 80 '' -- ssh -F "$T/ssh_config" -tt $m 'echo bye; exit 9' >/dev/null || rc=$?
    expect_eq "$m: exit status through a pty" 9 "$rc"

    # Interactive login shell: starts in the home directory.
    rc=0
    out=$(drive 24 80 'expect:\$ |# ;;send:echo "zero=$0 pwd=$PWD"\n;;expect:zero=;;send:exit 4\n' -- \
        env PS1='$ ' ssh -F "$T/ssh_config" -tt $m) || rc=$?
    expect_eq "$m: login shell exit status" 4 "$rc"
    expect_match "$m: login shell argv0" 'zero=-[a-z]*sh' "$out"
    expect_match "$m: login shell home" "pwd=$(getent passwd "$LOGIN" | cut -d: -f6)" "$out"
done
grep -Eq "user $LOGIN shell: exit 4" "$LOG" || fail "no shell session log line"
log pass
