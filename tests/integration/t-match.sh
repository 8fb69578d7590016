# Match blocks: per-user and per-peer restrictions with OpenSSH's keywords
# (ForceCommand with SSH_ORIGINAL_COMMAND and internal-sftp, PermitTTY,
# AllowTcpForwarding, PermitOpen, ChrootDirectory with OpenSSH's ownership
# rules), -T -C, and the errors a block can have.
. "$(dirname "$0")/../lib.sh"
require_test_user
start_echo() { /usr/bin/python3 "$VS_SRC/tests/integration/fwdpeer.py" echo "$T/echo.port" & }

# ForceCommand for one user; the command asked for is in SSH_ORIGINAL_COMMAND.
write_config "Match User $TEST_USER" 'ForceCommand echo "forced, asked for: $SSH_ORIGINAL_COMMAND"'
start_server
expect_eq "ForceCommand" "forced, asked for: id -u" "$(vssh relay id -u </dev/null)"
expect_eq "ForceCommand for a shell too" "forced, asked for: " "$(vssh relay </dev/null 2>/dev/null)"
# -T -C shows it for that user, and not for another.
out=$("$VS_SSHD" -T -f "$T/sshd_config" -C "user=$TEST_USER,peer=unix:0")
expect_match "-T -C: the match" '^forcecommand echo "forced' "$(echo "$out" | grep ^forcecommand)"
expect_eq "-T -C: another user" "forcecommand none" "$("$VS_SSHD" -T -f "$T/sshd_config" -C user=root,peer=2 | grep ^forcecommand)"
stop_server

# ForceCommand internal-sftp: sftp works, a command does not run.
write_config "Match User $TEST_USER" "ForceCommand internal-sftp"
start_server
mkdir -p "$T/files" && echo payload > "$T/files/f" && chmod -R a+rX "$T/files"
printf 'get %s %s\n' "$T/files/f" "$T/got" | sftp -F "$T/ssh_config" -b - relay >/dev/null ||
    fail "sftp under ForceCommand internal-sftp"
expect_eq "internal-sftp" payload "$(cat "$T/got")"
out=$(vssh relay "echo ran-a-command" </dev/null 2>/dev/null || true)
case $out in *ran-a-command*) fail "a command ran under ForceCommand internal-sftp" ;; esac
stop_server

# PermitTTY no for a Group; forwarding restrictions for a Peer.
write_config "Match Group vsock-ssh-tgrp" "PermitTTY no" "Match Peer unix:0" \
    "AllowTcpForwarding no"
start_server
rc=0; err=$(vssh -tt relay true 2>&1 </dev/null) || rc=$?
expect_match "PermitTTY no" "PTY allocation request failed" "$err"
grep -q 'refused a pty: PermitTTY is no' "$LOG" || fail "the pty refusal is not logged"
start_echo
wait_for "[ -s '$T/echo.port' ]" 100 || fail "echo server"
rc=0; printf 'x' | vssh -W "127.0.0.1:$(cat "$T/echo.port")" relay >/dev/null 2>&1 || rc=$?
[ "$rc" -ne 0 ] || fail "forwarding allowed despite Match Peer unix:0 AllowTcpForwarding no"
stop_server
write_config "Match Peer unix:1234" "AllowTcpForwarding no"
start_server
expect_eq "another peer may forward" x "$(printf 'x' | vssh -W "127.0.0.1:$(cat "$T/echo.port")" relay 2>/dev/null)"
stop_server

# The first block that sets a list keyword wins, as for every other
# keyword: Match All's "PermitOpen any" does not widen the user's block.
write_config "Match User $TEST_USER" "PermitOpen 127.0.0.1:1" "Match All" "PermitOpen any"
start_server
rc=0; printf 'x' | vssh -W "127.0.0.1:$(cat "$T/echo.port")" relay >/dev/null 2>&1 || rc=$?
[ "$rc" -ne 0 ] || fail "PermitOpen of a later Match block added to the user's block"
grep -q "refused direct-tcpip to 127.0.0.1 port $(cat "$T/echo.port"): not in PermitOpen" "$LOG" ||
    fail "the refused forward is not logged: $(tail -3 "$LOG")"
expect_eq "-T -C: the user's PermitOpen only" "permitopen 127.0.0.1:1" \
    "$("$VS_SSHD" -T -f "$T/sshd_config" -C "user=$TEST_USER,peer=unix:0" | grep ^permitopen)"
stop_server

# Match Group sees every group of the account, however big (a 6 KB
# /etc/group line of 600 members) and however many (302, the matching one
# last), and a negated group excludes whichever of the account's groups it
# is.  The server runs where /etc/group is this test's copy.
command -v unshare >/dev/null || skip "unshare missing"
PROP=$(private_propagation) || exit $?
cp /etc/group "$T/group"
members=$(for i in $(seq 1 599); do printf 'vsmember%03d,' "$i"; done)
echo "vsbig:x:61000:${members}$TEST_USER" >> "$T/group"
for i in $(seq 1 301); do echo "vsg$i:x:$((61000 + i)):$TEST_USER"; done >> "$T/group"
echo "vslast:x:61400:$TEST_USER" >> "$T/group"
[ "$(grep '^vsbig:' "$T/group" | wc -c)" -gt 6000 ] || fail "the big group's line is short"
# exec_groups CMD...: becomes CMD with this test's /etc/group (an exec all
# the way down, so that a server started with "&" is $! itself: a shell
# left in between made stop_server signal the shell after the server).
exec_groups() {
    exec unshare --mount --propagation "$PROP" /bin/sh -c 'mount --bind "$1" /etc/group; shift; exec "$@"' \
        sh "$T/group" "$@"
}
in_groups() { (exec_groups "$@"); }
start_groups_server() {
    stop_server
    write_config "$@"
    rm -f "$SOCK"
    exec_groups "$VS_SSHD" -D -e -f "$T/sshd_config" 2>>"$LOG" &
    SERVER_PID=$!
    wait_for "[ -S '$SOCK' ] || ! kill -0 $SERVER_PID 2>/dev/null" 100 || fail "server did not start"
    [ -S "$SOCK" ] || fail "server exited at start: $(tail -3 "$LOG")"
}
[ "$(in_groups id -G "$TEST_USER" | wc -w)" -ge 303 ] || fail "the test groups are not in effect"
for g in vsbig vslast; do
    start_groups_server "Match Group $g" "ForceCommand echo forced by $g"
    expect_eq "Match Group $g" "forced by $g" "$(vssh relay id -u </dev/null)"
    expect_eq "-T -C: Match Group $g" "forcecommand echo forced by $g" \
        "$(in_groups "$VS_SSHD" -T -f "$T/sshd_config" -C "user=$TEST_USER,peer=unix:0" | grep ^forcecommand)"
done
start_groups_server "Match Group *,!vsg150" "ForceCommand echo forced"
expect_eq "Match Group with a negated group of the user's" "$(id -u "$TEST_USER")" \
    "$(vssh relay id -u </dev/null)"
stop_server

# ChrootDirectory: every component root-owned and writable by nobody else.
jail=$(mktemp -d /var/lib/vsock-ssh-jail.XXXXXX)
chmod 755 "$jail"
mkdir "$jail/upload" && chown "$TEST_USER" "$jail/upload"
trap 'rm -rf "$jail"; cleanup' EXIT
write_config "Match User $TEST_USER" "ChrootDirectory $jail" "ForceCommand internal-sftp"
start_server
out=$(printf 'ls /\nput %s /upload/in\nget /etc/hostname %s/leak\n' "$T/files/f" "$T" |
      sftp -F "$T/ssh_config" -b - relay 2>&1 || true)
expect_match "chroot: / is the jail" "upload" "$out"
expect_eq "chroot: put lands in the jail" payload "$(cat "$jail/upload/in")"
[ ! -e "$T/leak" ] || fail "a file outside the jail was read"
stop_server
chmod 775 "$jail"
start_server
rc=0; vssh relay true </dev/null 2>/dev/null || rc=$?
expect_eq "a group-writable jail is refused" 255 "$rc"
grep -q "bad ownership or modes for chroot directory component $jail" "$LOG" ||
    fail "the bad jail is not logged"
stop_server

# Errors: unknown criteria, keywords a block may not set, -o Match.
printf 'Match Host x\n' > "$T/bad1"
rc=0; out=$("$VS_SSHD" -t -f "$T/bad1" -h "$T/key" 2>&1) || rc=$?
expect_eq "Match Host: -t" 1 "$rc"
expect_match "Match Host: message" "unknown criterion 'Host'" "$out"
printf 'Match User x\nListen unix:/tmp/y\n' > "$T/bad2"
rc=0; out=$("$VS_SSHD" -t -f "$T/bad2" -h "$T/key" 2>&1) || rc=$?
expect_match "Listen in a block" "line 2: Listen is not allowed in a Match block" "$out"
printf 'Match User x\nPermitTTY perhaps\n' > "$T/bad3"
rc=0; out=$("$VS_SSHD" -t -f "$T/bad3" -h "$T/key" 2>&1) || rc=$?
expect_match "a bad value in a block" "bad3 line 2: PermitTTY: 'perhaps'" "$out"
log pass
