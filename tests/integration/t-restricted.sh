# Accounts with restricted shells (rbash, git-shell) cannot escape them
# through the built-in SFTP server, which runs without the shell: for them
# the sftp subsystem runs through the shell, as OpenSSH's sftp-server does,
# and the shell refuses.  Before, such an account could read /etc and put a
# .bash_profile that made its next login a full shell.
. "$(dirname "$0")/../lib.sh"
require_root
start_server
mkdir -p "$T/pub" && echo secret > "$T/pub/file" && chmod -R a+rX "$T/pub"
for user in vsock-ssh-rsh vsock-ssh-git; do
    getent passwd "$user" >/dev/null || skip "account $user missing (run scripts/deps)"
    shell=$(getent passwd "$user" | cut -d: -f7)
    grep -qx "$shell" /etc/shells || skip "$shell not in /etc/shells (run scripts/deps)"
    home=$(getent passwd "$user" | cut -d: -f6)
    rm -f "$T/got" "$home/.bash_profile" # what a run of an unfixed server leaves
    printf 'get %s %s\nput %s .bash_profile\n' "$T/pub/file" "$T/got" "$T/pub/file" > "$T/batch"
    rc=0; out=$(sftp -F "$T/ssh_config" -o "User=$user" -b "$T/batch" relay 2>&1) || rc=$?
    [ "$rc" -ne 0 ] || fail "$user: sftp succeeded through the built-in server: $out"
    [ ! -e "$T/got" ] || fail "$user: a file was read over sftp"
    [ ! -e "$home/.bash_profile" ] || fail "$user: a .bash_profile was put"
    grep -q "$user has the restricted shell $shell: the SFTP subsystem runs through it" "$LOG" ||
        fail "$user: not logged"
done
# An ordinary account still gets the built-in server.
printf 'get %s %s\n' "$T/pub/file" "$T/got" > "$T/batch"
sftp -F "$T/ssh_config" -b "$T/batch" relay >/dev/null || fail "sftp for $LOGIN"
expect_eq "sftp for $LOGIN" secret "$(cat "$T/got")"
log pass
