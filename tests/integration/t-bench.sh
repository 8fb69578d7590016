# bench/run end to end, tiny: every measurement on both transports is
# reported for both servers with non-zero whole-tree CPU and memory, and the
# targets are judged.  Its numbers are not checked (performance lives in the
# benchmark, never in timed tests); what breaks the benchmark is.
. "$(dirname "$0")/../lib.sh"
require_root
command -v socat >/dev/null || skip "socat missing (bench/run's relay transport)"
[ -x /usr/sbin/sshd ] || skip "OpenSSH's sshd missing (bench/run compares with it)"
id vsock-ssh-test >/dev/null 2>&1 || skip "no vsock-ssh-test account (scripts/deps test)"
build=$(dirname "$VS_SSHD")
[ -x "$build/vs-reap" ] || skip "no $build/vs-reap (built with the tests)"

out=$T/report.md
rc=0
# Its files in a directory of this test's, so that what it leaves behind
# can be told from another bench/run's on the same machine.
mkdir -p "$T/shm"
VS_BENCH_DIR=$T/shm /usr/bin/python3 "$VS_SRC/bench/run" --build "$build" --size-mb 4 --reps 1 --conns 3 \
    --out "$out" >"$T/bench.out" 2>"$T/bench.err" || rc=$?
[ "$rc" -eq 0 ] || fail "bench/run failed ($rc): $(tail -5 "$T/bench.err")"

# | name | ours | peer | ratio | range | better |
cell() { awk -F'|' -v c="$2" '{ gsub(/ /, "", $c); print $c }' <<<"$1"; }
positive() { awk -v v="$1" 'BEGIN { exit !(v + 0 > 0) }'; }

for tr in unix relay; do
    for what in "cat download" "cat upload" "scp upload" "scp download" "scp -O upload" \
                "scp -O download" "sftp upload" "sftp download"; do
        for m in " (MB/s)" ": CPU s/GiB"; do
            name="$tr: $what$m"
            r=$(grep -F "| $name |" "$out") || fail "no row '$name'"
            r=${r/$name/x} # the name may hold spaces; cells by position
            for c in 3 4; do
                positive "$(cell "$r" $c)" || fail "$name: not positive: $r"
            done
        done
    done
done
# With issue 27's rows: per-connection CPU and 20 at once.
for m in "connection setup (ms)" "interactive round trip (ms)" \
         "memory per idle connection, PSS (KiB)" \
         "memory per connection of 10 more, ours as a daemon, PSS (KiB)" \
         "server CPU per \`ssh true\`, whole tree (ms)" "20 concurrent \`ssh true\`, wall (ms)"; do
    r=$(grep -F "| $m |" "$out") || fail "no row '$m'"
    r=${r/$m/x}
    for c in 3 4; do
        positive "$(cell "$r" $c)" || fail "$m: not positive: $r"
    done
done
if command -v dropbear >/dev/null; then
    grep -qF '[ours@db / dropbear] |' "$out" || fail "dropbear is installed but not paired"
    # Both as daemons: CPU from each listener's reaped children.
    m="server CPU per \`ssh true\`, as daemons (ms) [ours-daemon@db / dropbear-daemon]"
    r=$(grep -F "| $m |" "$out") || fail "no row '$m'"
    r=${r/$m/x}
    for c in 3 4; do
        positive "$(cell "$r" $c)" || fail "$m: not positive: $r"
    done
fi
t27=$(grep -cE '^\| #27 .*\| (met|not met|not measured)' "$out" || true)
[ "$t27" -ge 6 ] || fail "issue 27's targets: $t27 judged, expected at least 6"
targets=$(grep -cE '^\| (upload CPU|every throughput|interactive round trip at most|PSS per idle|connection setup at most).*\| (met|not met)' "$out" || true)
expect_eq "targets judged" 5 "$targets"
grep -q 'plumbing: socat 8 KiB relay' "$out" || fail "no plumbing floor in the report"
# Nothing of the benchmark's is left running.
sleep 0.5
left=$(pgrep -f "$T/shm/vsbench\\." || true)
[ -z "$left" ] || fail "bench/run left processes: $(ps -o pid,args -p "$(echo $left | tr ' ' ,)")"
log pass
