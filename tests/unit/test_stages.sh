# scripts/stages.sh: how scripts/test names each stage's outcome, and what a
# test's name given to it means.  A stage
# whose command failed is reported failed whatever its output says (a CI
# run once reported a failed stage as "skipped" because a failing test's
# output held ctest's "No tests were found").
set -u
cd "$(dirname "$0")/../.."
logdir=$(mktemp -d)
trap 'rm -rf "$logdir"' EXIT
CTEST_ARGS=()
. scripts/stages.sh
bad=0
check() { # index expected-outcome expected-detail-regex
    local line=${summary[$1]}
    if ! grep -Eq "^[^ ]+ +$2 +$3" <<<"$line"; then
        echo "FAIL: expected '$2 $3', got '$line'" >&2
        bad=1
    fi
}
run_stage failing bash -c 'echo "No tests were found!!!"; echo "50% tests passed, 1 tests failed out of 2"; exit 8' >/dev/null
check 0 failed '50% tests passed, 1 tests failed out of 2 \(log: '
run_stage crashed bash -c 'exit 3' >/dev/null
check 1 failed 'exit 3 \(log: '
run_stage unavailable bash -c 'echo "stage: no chroot here" >&2; exit 77' >/dev/null
check 2 skipped 'stage: no chroot here$'
run_stage empty bash -c 'echo "No tests were found!!!"; exit 0' >/dev/null
check 3 skipped "no test matched"
run_stage fine bash -c 'echo "100% tests passed, 0 tests failed out of 3"; echo "  2/3 Test  #2: x ...***Skipped"' >/dev/null
check 4 passed '100% tests passed, 0 tests failed out of 3, 1 skipped$'
# A stage's preparation (packaging/build-libssh, packaging/build-static):
# nothing recorded when it works, its last line when it does not.
prepare ready ready bash -c 'echo building; exit 0' >/dev/null ||
    { echo "FAIL: a preparation that succeeded returned non-zero" >&2; bad=1; }
[ ${#summary[@]} -eq 5 ] || { echo "FAIL: a preparation that succeeded recorded something" >&2; bad=1; }
! prepare offline offline bash -c 'echo "build-libssh: cannot fetch: the mirror is down" >&2; exit 77' >/dev/null 2>&1 ||
    { echo "FAIL: a preparation that skipped returned 0" >&2; bad=1; }
check 5 skipped 'build-libssh: cannot fetch: the mirror is down$'
! prepare pinned pinned bash -c 'echo "build-static: libssh=0.12.2-1 is no longer on M (it has libssh 0.12.3-1)"; exit 1' >/dev/null ||
    { echo "FAIL: a preparation that failed returned 0" >&2; bad=1; }
check 6 failed 'build-static: libssh=0.12.2-1 is no longer on M \(it has libssh 0.12.3-1\) \(log: '
[ "$n_pass $n_fail $n_skip" = "1 3 3" ] || { echo "FAIL: counts $n_pass $n_fail $n_skip" >&2; bad=1; }
# Named tests (scripts/test t-NAME): the CTest regular expression for each
# form a name takes, and what gets built for them.
names=0
regex() { # name expected
    names=$((names + 1))
    local got
    got=$(test_regex "$1")
    [ "$got" = "$2" ] || { echo "FAIL: test_regex '$1': expected '$2', got '$got'" >&2; bad=1; }
}
regex t-exec '^integration/exec$'
regex t-forward-refuse.sh '^integration/forward-refuse$'
regex tests/integration/t-exec.sh '^integration/exec$'
regex unit/config '^unit/config$'
regex vm/vsock '^vm/vsock$'
regex fuzz/sftp_decode '^fuzz/sftp_decode$'
regex test_names '^unit/names$'
regex tests/unit/test_sftp_codec.c '^unit/sftp_codec$'
regex tests/unit/test_stages.sh '^unit/stages$'
regex 'integration/(scp|sftp)' 'integration/(scp|sftp)'
regex sftp sftp
targets=$(test_targets unit/config unit/stages integration/exec fuzz/proxy unit/config | tr '\n' ' ')
[ "$targets" = "fuzz_proxy novsock test-programs test_config " ] ||
    { echo "FAIL: test_targets: got '$targets'" >&2; bad=1; }
[ $bad -eq 0 ] && echo "ok: 5 outcomes, 3 preparations, $names test names, their targets"
exit $bad
