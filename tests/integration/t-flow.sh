# Flow control: a fast producer and a client that does not read keep the
# server's memory at a small fixed bound; the same for a client that sends
# faster than the command reads.  Nothing is lost once the reader catches up.
# An idle server uses no CPU.
. "$(dirname "$0")/../lib.sh"
start_server

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
# Besides not growing, a connection stays small in absolute terms (sanitizer
# builds carry shadow memory, so only the normal build is held to that).
# ASan keeps freed memory in quarantine, so there RSS also grows with what
# was allocated and freed: a looser bound, still far below the 256 MiB sent.
limit_kb=32768 growth_kb=8192
if sanitized; then limit_kb=1048576 growth_kb=65536; fi
check_rss() { # what base stalled
    [ $(($3 - $2)) -lt $growth_kb ] || fail "$1: server memory grew by $(($3 - $2)) kB while stalled"
    [ "$3" -lt $limit_kb ] || fail "$1: connection process uses $3 kB"
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# Idle listener: no CPU over two seconds.
t0=$(cpu_ticks "$SERVER_PID"); sleep 2; t1=$(cpu_ticks "$SERVER_PID")
[ $((t1 - t0)) -le 1 ] || fail "idle listener used $((t1 - t0)) ticks of CPU"

for m in $MODES; do
    # Download of 256 MiB into a pipe nobody reads for a while.
    fifo=$T/fifo.$m; mkfifo "$fifo"
    ssh -F "$T/ssh_config" $m 'head -c 268435456 /dev/zero' </dev/null >"$fifo" &
    client=$!
    exec 5<"$fifo"   # opened, not read: the client stalls, then the server
    wait_for '[ -n "$(conn_pids)" ]' 100 || fail "$m: no connection process"
    conn=$(conn_pids | head -1)
    sleep 1; base=$(rss_kb "$conn"); sleep 3; stalled=$(rss_kb "$conn")
    log "$m: download stalled, connection RSS ${base} -> ${stalled} kB"
    check_rss "$m: download" "$base" "$stalled"
    # The producer is blocked, not finished.
    pgrep -f '^head -c 268435456 /dev/zero$' >/dev/null || fail "$m: producer not blocked"
    n=$(wc -c <&5); exec 5<&-
    wait $client
    expect_eq "$m: all bytes after the stall" 268435456 "$n"
    wait_for '[ -z "$(conn_pids)" ]' 100 || true

    # Upload of 256 MiB into a command that reads nothing for 4 seconds.
    head -c 268435456 /dev/zero | ssh -F "$T/ssh_config" $m 'sleep 4; wc -c' >"$T/up.$m" &
    client=$!
    wait_for '[ -n "$(conn_pids)" ]' 100 || fail "$m: no connection process"
    conn=$(conn_pids | head -1)
    sleep 1; base=$(rss_kb "$conn"); sleep 2; stalled=$(rss_kb "$conn")
    log "$m: upload stalled, connection RSS ${base} -> ${stalled} kB"
    check_rss "$m: upload" "$base" "$stalled"
    wait $client
    expect_eq "$m: all bytes uploaded" 268435456 "$(cat "$T/up.$m")"
    wait_for '[ -z "$(conn_pids)" ]' 100 || true
done

log pass
