# The daemon's command line and life cycle: -V, -t, -T, -o, errors naming
# file and line, SIGHUP reload, background mode with PidFile, inetd mode,
# host key generation.
. "$(dirname "$0")/../lib.sh"

expect_match "-V" '^vsock-sshd [0-9]' "$("$VS_SSHD" -V 2>&1)"

config_fails() { # what regex config-line
    local rc=0 out
    printf 'LogLevel INFO\n%s\n' "$3" > "$T/bad_config"
    out=$("$VS_SSHD" -t -f "$T/bad_config" 2>&1) || rc=$?
    expect_eq "$1: -t status" 1 "$rc"
    expect_match "$1: message" "$T/bad_config line 2: .*$2" "$out"
}
config_fails "unknown keyword" 'Frobnicate' 'Frobnicate yes'
config_fails "bad number" 'MaxSessions' 'MaxSessions many'
config_fails "negative sessions" 'MaxSessions' 'MaxSessions -1'
config_fails "bad yes/no" 'PermitRootLogin' 'PermitRootLogin perhaps'
config_fails "bad listen" 'Listen' 'Listen tcp:22'
config_fails "relative unix path" 'Listen' 'Listen unix:relative/sock'
config_fails "bad peer" 'AllowPeers' 'AllowPeers neighbour'
config_fails "bad log level" 'LogLevel' 'LogLevel LOUD'
config_fails "missing value" 'HostKey' 'HostKey'
rc=0; out=$("$VS_SSHD" -t -f "$T/does-not-exist" 2>&1) || rc=$?
expect_eq "missing -f file status" 1 "$rc"
expect_match "missing -f file message" "does-not-exist" "$out"
rc=0; out=$("$VS_SSHD" -t -o 'NoSuchOption 1' -f /dev/null 2>&1) || rc=$?
expect_eq "bad -o status" 1 "$rc"
expect_match "bad -o message" 'NoSuchOption' "$out"
rc=0; "$VS_SSHD" -t -l tcp:1 -f /dev/null 2>/dev/null || rc=$?
expect_eq "bad -l status" 1 "$rc"
rc=0; "$VS_SSHD" -Q 2>/dev/null || rc=$?
[ $rc -ne 0 ] || fail "unknown flag accepted"

# Command-line errors name the option and its count, not a "line".
rc=0; out=$("$VS_SSHD" -t -f /dev/null -o 'MaxSessions 3' -o 'Nope 1' -l tcp:1 2>&1) || rc=$?
expect_eq "bad options status" 1 "$rc"
expect_match "-o option N" "^vsock-sshd: -o option 2: unknown keyword 'Nope'" "$out"
expect_match "-l option N" "vsock-sshd: -l option 1: Listen: 'tcp:1'" "$out"
case $out in *"command line line"*) fail "old wording: $out" ;; esac
# Every error in a file is reported, not only the first.
printf 'Bogus 1\nLogLevel INFO\nMaxSessions many\nAlsoBogus 2\n' > "$T/bad_config"
rc=0; out=$("$VS_SSHD" -t -f "$T/bad_config" 2>&1) || rc=$?
expect_eq "several errors: status" 1 "$rc"
expect_eq "several errors: all reported" 3 "$(printf '%s\n' "$out" | grep -c "bad_config line [134]:")"
# sshd's key and password keywords: accepted with a warning that says why.
printf 'PasswordAuthentication no\nPubkeyAuthentication yes\n' > "$T/sshd_keywords"
rc=0; out=$("$VS_SSHD" -t -f "$T/sshd_keywords" -h "$T/key" 2>&1) || rc=$?
expect_eq "sshd auth keywords: -t passes" 0 "$rc"
expect_match "sshd auth keywords: hint" "warning: .*line 1: PasswordAuthentication has no meaning with null authentication" "$out"
expect_match "sshd auth keywords: both" "line 2: PubkeyAuthentication" "$out"
# Usage on request, to stdout, status 0.
rc=0; out=$("$VS_SSHD" --help 2>/dev/null) || rc=$?
expect_eq "--help status" 0 "$rc"
expect_match "--help text" "^usage: vsock-sshd" "$out"
rc=0; out=$("$VS_PROXY" --help 2>/dev/null) || rc=$?
expect_eq "vsock-proxy --help status" 0 "$rc"
expect_match "vsock-proxy --help text" "^usage: vsock-proxy" "$out"
# Both spellings of a Unix socket, in both programs.
expect_match "-l unix/PATH" '^listen unix:/tmp/x$' "$("$VS_SSHD" -T -f /dev/null -l unix/tmp/x | grep ^listen)"

# -T: the effective configuration, -o in both spellings beating the file.
write_config "MaxSessions 5" "AllowUsers alice bob"
out=$("$VS_SSHD" -T -f "$T/sshd_config" -o MaxSessions=7 -o 'LoginGraceTime 30' -l unix:/tmp/x)
expect_match "-T maxsessions" '^maxsessions 7$' "$(echo "$out" | grep ^maxsessions)"
expect_match "-T logingracetime" '^logingracetime 30$' "$(echo "$out" | grep ^logingracetime)"
expect_match "-T allowusers" '^allowusers alice bob$' "$(echo "$out" | grep ^allowusers)"
expect_match "-T listen from -l" 'unix:/tmp/x' "$(echo "$out" | grep ^listen)"
# A keyword accepted for compatibility says it has no effect.
expect_match "-T streamlocal" "^# allowstreamlocalforwarding has no effect" "$(echo "$out" | grep "^# allowstreamlocal")"
# The key exchange: post-quantum first where libssh has it, else said so.
expect_match "-T kex" '^(kexalgorithms (mlkem768x25519-sha256|sntrup761x25519-sha512),.*curve25519-sha256.*|# kexalgorithms: libssh [0-9.]+.s defaults \(it has no post-quantum method\))$' \
    "$(echo "$out" | grep kexalgorithms)"
"$VS_SSHD" -t -f "$VS_SRC/config/vsock-sshd_config" -h "$T/key" ||
    fail "the shipped default configuration does not pass -t"

# SIGHUP: new connections get the new configuration; a broken file keeps
# the old one.
write_config
start_server
expect_eq "before reload" ok "$(vssh relay 'echo ok' </dev/null)"
write_config "DenyUsers $LOGIN"
kill -HUP "$SERVER_PID"
wait_for "grep -q 'configuration reloaded' '$LOG'" 100 || fail "reload not logged"
rc=0; vssh relay true </dev/null 2>/dev/null || rc=$?
expect_eq "after reload: refused" 255 "$rc"
echo "Bogus line" >> "$T/sshd_config"
kill -HUP "$SERVER_PID"
wait_for "grep -q 'line 4: unknown keyword .Bogus.' '$LOG'" 100 || fail "bad configuration on reload not reported"
wait_for "grep -q 'keeping the previous configuration' '$LOG'" 100 || fail "failed reload not said"
rc=0; vssh relay true </dev/null 2>/dev/null || rc=$?
expect_eq "after a failed reload the old configuration stays" 255 "$rc"
kill -0 "$SERVER_PID" || fail "server died on a bad reload"
stop_server

# Background mode with PidFile.
write_config "PidFile $T/pid"
"$VS_SSHD" -e -f "$T/sshd_config" 2>>"$LOG"
wait_for "[ -s '$T/pid' ] && [ -S '$SOCK' ]" 100 || fail "daemon did not write its PidFile"
SERVER_PID=$(cat "$T/pid")
kill -0 "$SERVER_PID" || fail "PidFile names no live process"
expect_eq "daemon serves" ok "$(vssh fdpass 'echo ok' </dev/null)"
kill -TERM "$SERVER_PID"
wait_for "! kill -0 $SERVER_PID 2>/dev/null" 100 || fail "daemon did not stop on SIGTERM"
SERVER_PID=
[ ! -e "$T/pid" ] || fail "PidFile left behind"

# A PidFile path that is a symbolic link is not followed (the daemon runs as
# root: a planted link would truncate its target).
echo precious > "$T/victim"
ln -s "$T/victim" "$T/pid"
start_server
wait_for "grep -q 'Cannot write PidFile $T/pid: it is a symbolic link' '$LOG'" 100 ||
    fail "a symlinked PidFile was not refused"
expect_eq "the link's target untouched" precious "$(cat "$T/victim")"
stop_server
rm -f "$T/pid"

# Host keys others can read (or own) are refused, as OpenSSH does.
cp "$T/key" "$T/open_key" && chmod 644 "$T/open_key"
rc=0; out=$("$VS_SSHD" -t -f /dev/null -h "$T/open_key" 2>&1) || rc=$?
expect_eq "host key mode 0644: -t" 1 "$rc"
expect_match "host key mode 0644: message" "UNPROTECTED PRIVATE KEY FILE: host key $T/open_key has mode 0644 and owner uid" "$out"
if [ "$(id -u)" -eq 0 ]; then
    cp "$T/key" "$T/their_key" && chmod 600 "$T/their_key" && chown "$TEST_USER" "$T/their_key"
    rc=0; out=$("$VS_SSHD" -t -f /dev/null -h "$T/their_key" 2>&1) || rc=$?
    expect_eq "host key owned by another user: -t" 1 "$rc"
    expect_match "host key owned by another user: message" "owner uid $(id -u "$TEST_USER")" "$out"
fi
"$VS_SSHD" -t -f /dev/null -h "$T/key" || fail "a 0600 host key was refused"

# inetd mode: one connection on stdin/stdout, as systemd Accept=yes gives.
write_config
python3 "$VS_SRC/tests/integration/inetd.py" "$T/inetd.sock" \
    "$VS_SSHD" -i -e -f "$T/sshd_config" 2>>"$LOG" &
wait_for "[ -S '$T/inetd.sock' ]" 100 || fail "inetd helper did not start"
write_ssh_config "unix$T/inetd.sock"
for m in $MODES; do
    expect_eq "inetd $m" "ok 3" "$(printf abc | vssh $m 'echo ok $(wc -c)')"
done
rc=0; "$VS_SSHD" -i -e -f "$T/sshd_config" </dev/null 2>"$T/inetd.err" || rc=$?
expect_eq "inetd without a socket" 1 "$rc"
expect_match "inetd without a socket message" 'not a (vsock or Unix )?socket' "$(cat "$T/inetd.err")"
# The peer comes first, before the host key: a refused connection costs no
# key loading (or generation) as root.
rc=0; "$VS_SSHD" -i -e -f /dev/null -h "$T/no-such-key" </dev/null 2>"$T/inetd.err" || rc=$?
expect_eq "inetd: refused before the host key" 1 "$rc"
if grep -q 'host key' "$T/inetd.err"; then fail "inetd loaded the host key before admitting the peer"; fi
write_ssh_config

# Host key generation at the default path, in a private mount namespace so
# that the machine's /var/lib is untouched.
if [ "$(id -u)" -eq 0 ] && unshare -m true 2>/dev/null; then
    printf 'Listen unix:%s\n' "$SOCK" > "$T/gen_config"
    unshare -m sh -ec '
        mount -t tmpfs tmpfs /var/lib
        "$0" -D -e -f "$1" 2>>"$2" & pid=$!
        i=0; while [ ! -S "$3" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
        ssh -F "$4" relay "echo generated" </dev/null
        kill $pid; wait $pid || true
        stat -c "%a %U" /var/lib/vsock-ssh/ssh_host_ed25519_key
        ssh-keygen -lf /var/lib/vsock-ssh/ssh_host_ed25519_key > /var/lib/fp1
        "$0" -D -e -f "$1" 2>>"$2" & pid=$!
        i=0; while [ ! -S "$3" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
        ssh -F "$4" fdpass "echo kept" </dev/null
        kill $pid; wait $pid || true
        ssh-keygen -lf /var/lib/vsock-ssh/ssh_host_ed25519_key | cmp -s - /var/lib/fp1 && echo same
    ' "$VS_SSHD" "$T/gen_config" "$LOG" "$SOCK" "$T/ssh_config" > "$T/gen.out" 2>&1 || true
    expect_eq "host key generation" "generated
600 root
kept
same" "$(cat "$T/gen.out")"
else
    log "host key generation not tested: needs root and unshare -m"
fi
log pass
