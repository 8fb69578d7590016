# The stage bookkeeping of scripts/test, sourced by it and by its test
# (tests/unit/test_stages.sh): each stage's outcome from its command's exit
# status and what ctest printed (run_stage and prepare need $logdir and
# the CTEST_ARGS array); and, for named tests (scripts/test t-NAME), which
# CTest tests a name means and what they need built.

summary=()
n_pass=0 n_fail=0 n_skip=0
record() { # stage outcome detail
    summary+=("$(printf '%-13s %-8s %s' "$1" "$2" "$3")")
    case $2 in passed) n_pass=$((n_pass + 1)) ;; failed) n_fail=$((n_fail + 1)) ;; *) n_skip=$((n_skip + 1)) ;; esac
}

# Runs a command that ends in ctest, and records the stage from what
# ctest says (exit 77 from the command: skipped, with its last line).
run_stage() { # stage command...
    local stage=$1; shift
    local log=$logdir/$stage.log rc=0
    "$@" 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    local counts
    counts=$(grep -E '^[0-9]+% tests passed' "$log" | tail -1)
    # A failure is never reported as anything else: "No tests were found"
    # counts only when ctest itself succeeded (a failing test's output may
    # hold any text).
    if [ "$rc" -eq 77 ]; then
        record "$stage" skipped "$(grep -v '^$' "$log" | tail -1)"
    elif [ "$rc" -ne 0 ]; then
        record "$stage" failed "${counts:-exit $rc} (log: $log)"
    elif grep -q '^No tests were found' "$log"; then
        record "$stage" skipped "no test matched '${CTEST_ARGS[*]}'"
    else
        local skipped
        skipped=$(grep -cE '\*\*\*Skipped|Not Run' "$log" || true)
        [ "$skipped" != 0 ] || skipped=
        record "$stage" passed "${counts}${skipped:+, $skipped skipped}"
    fi
}

# Runs what a stage needs before its tests (a library, a binary to build),
# its output also in $logdir/LOG.log.  Returns 0 when that succeeded;
# otherwise records the stage, with the step's last line (which says why),
# as skipped when the step exited 77 (cannot be done here) or as failed,
# and returns 1.
prepare() { # stage log command...
    local stage=$1 log=$logdir/$2.log rc=0 last
    shift 2
    "$@" 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    [ "$rc" -ne 0 ] || return 0
    last=$(grep -v '^$' "$log" | tail -1)
    if [ "$rc" -eq 77 ]; then
        record "$stage" skipped "$last"
    else
        record "$stage" failed "${last:-exit $rc} (log: $log)"
    fi
    return 1
}

# A CTest regular expression for one name as scripts/test's header lists them.
test_regex() { # name
    local n=${1##*/} w='[A-Za-z0-9_-]+'
    if [[ $1 =~ ^(unit|integration|vm|fuzz)/$w$ ]]; then
        echo "^$1\$"
    elif [[ $n =~ ^t-$w(\.sh)?$ ]]; then
        n=${n%.sh}
        echo "^integration/${n#t-}\$"
    elif [[ $n =~ ^test_$w(\.(c|sh))?$ ]]; then
        n=${n%.*}
        echo "^unit/${n#test_}\$"
    else
        echo "$1"
    fi
}

# The build targets a test runs (the wrapper every test runs under always).
test_targets() { # ctest-name...
    local t
    {
        echo novsock
        for t in "$@"; do
            case $t in
            unit/stages | unit/novsock) echo test-programs ;;
            unit/*) echo "test_${t#unit/}" ;;
            fuzz/*) echo "fuzz_${t#fuzz/}" ;;
            *) echo test-programs ;;
            esac
        done
    } | LC_ALL=C sort -u
}
