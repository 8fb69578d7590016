# One-shot commands: exit statuses, signals, stdout/stderr apart and exact,
# stdin EOF, zero-byte input; in relay and fd-passing modes.
. "$(dirname "$0")/../lib.sh"
start_server

for m in $MODES; do
    log "mode $m"
    for st in 0 1 2 42 127 255; do
        rc=0; vssh $m "exit $st" </dev/null || rc=$?
        expect_eq "$m: exit status $st" "$st" "$rc"
    done
    rc=0; vssh $m 'no-such-command-xyz' </dev/null 2>"$T/err" || rc=$?
    expect_eq "$m: missing command" 127 "$rc"
    expect_match "$m: missing command message" 'not found' "$(cat "$T/err")"

    # Death by signal: OpenSSH reports it as 255 (exit-signal, no exit-status).
    rc=0; vssh $m 'kill -TERM $$' </dev/null 2>/dev/null || rc=$?
    expect_eq "$m: killed by SIGTERM" 255 "$rc"

    # stdout and stderr byte-exact and kept apart, even interleaved and
    # without trailing newlines.
    vssh $m 'printf "out1\n"; printf "err1\n" >&2; printf "out2"; printf "err2" >&2; exit 3' \
        </dev/null >"$T/out" 2>"$T/err" || rc=$?
    expect_eq "$m: stdout" "$(printf 'out1\nout2' | od -An -tx1)" "$(od -An -tx1 <"$T/out")"
    expect_eq "$m: stderr" "$(printf 'err1\nerr2' | od -An -tx1)" "$(od -An -tx1 <"$T/err")"

    # Every byte arrives before the exit status, also right at exit.
    n=$(vssh $m 'head -c 1000000 /dev/zero; exit 7' </dev/null | wc -c) || true
    expect_eq "$m: output before exit" 1000000 "$n"

    # stdin EOF reaches the command.
    expect_eq "$m: stdin EOF" 3 "$(printf abc | vssh $m 'wc -c')"
    expect_eq "$m: zero-byte input" 0 "$(vssh $m 'wc -c' </dev/null)"
    expect_eq "$m: cat echoes" "hello" "$(echo hello | vssh $m cat)"

    # A background job keeping stdout open: like OpenSSH's sshd, the session
    # ends when the command exits and its output pipe is closed.
    start=$(date +%s)
    out=$(vssh $m 'echo fg; (sleep 2; echo late) & exit 0' </dev/null)
    expect_eq "$m: background writer output" "fg
late" "$out"
    # ...and a detached one (output redirected) does not hold the session.
    start=$(date +%s%N)
    vssh $m 'sleep 30 >/dev/null 2>&1 </dev/null & echo started' </dev/null >/dev/null
    el=$((($(date +%s%N) - start) / 1000000))
    [ $el -lt 20000 ] || fail "$m: detached background job held the session (${el} ms)"
done

grep -q "exec 'exit 42': exit 42" "$LOG" || fail "no session log line with the exit status"
grep -Eq "connection closed: user $LOGIN, 1 sessions, in [0-9]+ out [0-9]+ bytes" "$LOG" ||
    fail "no connection log line"
log pass
