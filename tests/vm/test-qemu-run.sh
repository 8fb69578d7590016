# scripts/qemu-run's verdicts on a guest that does not finish: a kernel that dies or
# freezes inside a section the command declared fragile is a skip (77)
# naming it; a failing command stays a failure there; a freeze outside such
# a section is a failure.  Four short guests (about 5 s each under TCG).
set -u
run=("$(dirname "$0")/../../scripts/qemu-run" --cache "${VS_VM_CACHE:?}" --timeout 120 --)
bad=0
case_() { # what expected-status command
    local what=$1 want=$2 rc=0 err
    shift 2
    err=$(VS_VM_STALL=15 "${run[@]}" bash -c "$*" 2>&1 >/dev/null) || rc=$?
    # 77 without "during:" is qemu-run's own skip: no QEMU or kernel here.
    if [ "$rc" -eq 77 ] && ! grep -q 'during: a fragile thing$' <<<"$err"; then
        echo "SKIP: $(tail -1 <<<"$err")"; exit 77
    fi
    if [ "$rc" -ne "$want" ]; then
        echo "FAIL: $what: exit $rc, expected $want; qemu-run said:" >&2
        tail -5 <<<"$err" >&2
        bad=1
    else
        echo "ok: $what: $(tail -1 <<<"$err")"
    fi
}
mark='echo "a fragile thing" > /run/vmio/fragile; echo >> /run/vmio/heartbeat'
case_ "a kernel panic in a fragile section" 77 "$mark; sleep 1; echo c > /proc/sysrq-trigger; sleep 60"
case_ "a freeze in a fragile section" 77 "$mark; sleep 100"
case_ "a failing command in a fragile section" 3 "$mark; exit 3"
case_ "a freeze elsewhere" 1 "echo >> /run/vmio/heartbeat; sleep 100"
exit $bad
