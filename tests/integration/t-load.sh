# Load, for correctness (the numbers are bench/soak's): concurrent and
# sequential connections against one daemon are all served, and afterwards
# the listener's descriptors, memory and children are back where they were;
# at MaxStartups a connection is refused at once, with a log line, never
# left hanging.
. "$(dirname "$0")/../lib.sh"
CONCURRENT=${VS_LOAD_CONCURRENT:-40} SEQUENTIAL=${VS_LOAD_SEQUENTIAL:-100}
write_config "MaxStartups 200"
start_server
fds() { ls "/proc/$SERVER_PID/fd" | wc -l; }
rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$SERVER_PID/status"; }
vssh relay true </dev/null # the first connection's one-time costs
fds0=$(fds) rss0=$(rss)

pids=()
for i in $(seq "$CONCURRENT"); do
    vssh fdpass "echo c$i" </dev/null > "$T/c.$i" 2>&1 &
    pids+=($!)
done
wait "${pids[@]}" || true
served=0
for i in $(seq "$CONCURRENT"); do grep -qx "c$i" "$T/c.$i" && served=$((served + 1)); done
expect_eq "$CONCURRENT concurrent connections served" "$CONCURRENT" "$served"
for i in $(seq "$SEQUENTIAL"); do
    vssh relay true </dev/null || fail "sequential connection $i"
done
wait_for "[ -z \"\$(conn_pids)\" ]" 100 || fail "connection processes left: $(conn_pids)"
expect_eq "listener descriptors back" "$fds0" "$(fds)"
rss1=$(rss)
[ "$rss1" -le $((rss0 + 1024)) ] || fail "listener RSS grew from $rss0 to $rss1 kB"
log "after $CONCURRENT concurrent and $SEQUENTIAL sequential: $(fds) fds (was $fds0), RSS $rss1 kB (was $rss0)"

# MaxStartups: connections that have not logged in.  Hold 3 open (they
# send nothing), then the 4th is refused at once and logged.
stop_server
write_config "MaxStartups 3" "LoginGraceTime 30"
start_server
python3 - "$SOCK" <<'PY' &
import socket, sys, time
held = []
for _ in range(3):
    s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); held.append(s)
time.sleep(8)
PY
holder=$!
wait_for "[ \$(conn_pids | wc -l) -ge 3 ]" 100 || fail "3 held connections not seen"
start=$(date +%s%N)
rc=0; vssh relay true </dev/null 2>/dev/null || rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
expect_eq "beyond MaxStartups: refused" 255 "$rc"
grep -q 'MaxStartups (3)' "$LOG" || fail "the MaxStartups refusal is not logged"
[ "$ms" -lt 5000 ] || fail "the refusal took $ms ms (left hanging)"
log "refused beyond MaxStartups in $ms ms"
kill $holder 2>/dev/null || true
wait $holder 2>/dev/null || true
wait_for "[ -z \"\$(conn_pids)\" ]" 100 || fail "held connections not ended"
expect_eq "served again below MaxStartups" ok "$(vssh relay echo ok </dev/null)"
log pass
