# Login environment and credentials, for root and an ordinary account;
# AcceptEnv honoured, other variables refused.
. "$(dirname "$0")/../lib.sh"
require_test_user
write_config "AcceptEnv LANG LC_* VS_OK_*" "LogLevel VERBOSE"
start_server

check_login() { # mode user
    local m=$1 u=$2 home shell out
    home=$(getent passwd "$u" | cut -d: -f6)
    shell=$(getent passwd "$u" | cut -d: -f7)
    out=$(vssh -l "$u" $m 'echo "HOME=$HOME"; echo "USER=$USER"; echo "LOGNAME=$LOGNAME";
        echo "SHELL=$SHELL"; echo "PATH=$PATH"; echo "SSH_CONNECTION=$SSH_CONNECTION";
        echo "SSH_CLIENT=$SSH_CLIENT"; echo "SSH_TTY=${SSH_TTY-unset}"; echo "PWD=$PWD";
        echo "ID=$(id -u):$(id -g):$(id -G | tr " " "\n" | sort -n | tr "\n" " ")";
        echo "SID=$(ps -o sid= -p $$ | tr -d " ") PID=$$";
        ls -l /proc/self/fd | grep -c -- "->" ' </dev/null)
    expect_match "$m/$u: HOME" "^HOME=$home\$" "$(echo "$out" | grep ^HOME=)"
    expect_eq "$m/$u: USER" "USER=$u" "$(echo "$out" | grep ^USER=)"
    expect_eq "$m/$u: LOGNAME" "LOGNAME=$u" "$(echo "$out" | grep ^LOGNAME=)"
    expect_eq "$m/$u: SHELL" "SHELL=$shell" "$(echo "$out" | grep ^SHELL=)"
    expect_match "$m/$u: PATH" '^PATH=.*/usr/bin' "$(echo "$out" | grep ^PATH=)"
    expect_eq "$m/$u: SSH_CONNECTION" "SSH_CONNECTION=UNKNOWN 65535 UNKNOWN 65535" \
        "$(echo "$out" | grep ^SSH_CONNECTION=)"
    expect_eq "$m/$u: SSH_CLIENT" "SSH_CLIENT=UNKNOWN 65535 65535" "$(echo "$out" | grep ^SSH_CLIENT=)"
    expect_eq "$m/$u: no SSH_TTY without a pty" "SSH_TTY=unset" "$(echo "$out" | grep ^SSH_TTY=)"
    expect_eq "$m/$u: working directory" "PWD=$home" "$(echo "$out" | grep ^PWD=)"
    local want_groups
    want_groups="$(id -G "$u" | tr ' ' '\n' | sort -n | tr '\n' ' ')"
    expect_eq "$m/$u: uid:gid:groups" "ID=$(id -u "$u"):$(id -g "$u"):$want_groups" \
        "$(echo "$out" | grep ^ID=)"
    # A new session: the shell leads it.
    local sid pid
    sid=$(echo "$out" | grep ^SID= | sed 's/SID=\([0-9]*\) .*/\1/')
    pid=$(echo "$out" | grep ^SID= | sed 's/.*PID=//')
    expect_eq "$m/$u: own session" "$pid" "$sid"
    # Only stdin, stdout, stderr (and ls's own directory fd) are open.
    expect_eq "$m/$u: open fds" 4 "$(echo "$out" | tail -1)"
}

for m in $MODES; do
    check_login $m root
    check_login $m "$TEST_USER"
    # The ordinary user really cannot do root things.
    rc=0; vssh -l "$TEST_USER" $m 'cat /etc/shadow' </dev/null 2>/dev/null || rc=$?
    [ $rc -ne 0 ] || fail "$m: $TEST_USER could read /etc/shadow"

    out=$(LANG=C.UTF-8 LC_FOO=foo VS_OK_X=x VS_BAD=bad \
        vssh -o SendEnv='LANG LC_FOO VS_OK_X VS_BAD' -o SetEnv='LC_BAR=bar VS_BAD2=no' $m \
        'echo "LANG=$LANG LC_FOO=$LC_FOO LC_BAR=$LC_BAR VS_OK_X=$VS_OK_X VS_BAD=${VS_BAD-unset} VS_BAD2=${VS_BAD2-unset}"' </dev/null)
    expect_eq "$m: AcceptEnv" "LANG=C.UTF-8 LC_FOO=foo LC_BAR=bar VS_OK_X=x VS_BAD=unset VS_BAD2=unset" "$out"
    # A client cannot override what the login sets.
    out=$(vssh -o SetEnv='VS_OK_PATH=1 PATH=/evil' $m 'echo "$PATH"' </dev/null)
    [ "$out" != /evil ] || fail "$m: client overrode PATH"
done
grep -q "refused environment variable VS_BAD" "$LOG" || fail "refused variables are not logged"
log pass
