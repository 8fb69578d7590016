# Match blocks: per-user and per-peer restrictions with OpenSSH's keywords
# (ForceCommand with SSH_ORIGINAL_COMMAND and internal-sftp, PermitTTY,
# AllowTcpForwarding, PermitOpen, ChrootDirectory with OpenSSH's ownership
# rules), -T -C, and the errors a block can have.
. "$(dirname "$0")/lib.sh"
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
