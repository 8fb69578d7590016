# The shipped ssh_config drop-in, as OpenSSH reads it: unix/PATH (with
# upper-case letters, which %h would lowercase) and
# unix%PATH host names (and the vsock/ forms' parsing, up to the tests'
# AF_VSOCK filter) work with plain "ssh NAME", fd passing included.
. "$(dirname "$0")/../lib.sh"
start_server
cp "${VS_DROPIN:?set by ctest}" "$T/50-vsock-ssh.conf"
cat > "$T/user_config" <<CONF
Host *
	User $LOGIN
	BatchMode yes
	IdentitiesOnly yes
	IdentityFile none
Include $T/50-vsock-ssh.conf
CONF
ssh -G -F "$T/user_config" vsock/3 > "$T/G"
grep -qx 'proxyusefdpass yes' "$T/G" || fail "ssh -G: fd passing not enabled"
grep -qx 'stricthostkeychecking false' "$T/G" || fail "ssh -G: host key checking not off"
grep -qx "proxycommand $VS_PROXY --fdpass %n %p" "$T/G" || fail "ssh -G: $(grep proxycommand "$T/G")"
# WarnWeakCrypto: set for these names exactly where this ssh knows the
# keyword (OpenSSH 10.1+); elsewhere a comment, since older clients refuse
# an unknown keyword for every host.  Either way, other hosts still parse.
if ssh -G -F /dev/null -o WarnWeakCrypto=no-pq-kex probe >/dev/null 2>&1; then
    grep -qx 'warnweakcrypto no' "$T/G" || fail "ssh -G: WarnWeakCrypto not off for vsock/3"
    grep -qx 'warnweakcrypto yes' <(ssh -G -F "$T/user_config" example.org) ||
        fail "ssh -G: WarnWeakCrypto changed for other hosts"
else
    grep -Eq '^#[[:space:]]*WarnWeakCrypto no-pq-kex' "$T/50-vsock-ssh.conf" ||
        fail "WarnWeakCrypto not commented out for an ssh that does not know it"
fi
ssh -G -F "$T/user_config" example.org >/dev/null || fail "the drop-in breaks other hosts"
ln -s "$SOCK" "$T/Mixed.Case.sock"
for h in "unix$SOCK" "unix%${SOCK#/}" "unix$T/Mixed.Case.sock"; do
    expect_eq "ssh $h" "ok 3" "$(printf abc | ssh -F "$T/user_config" "$h" 'echo ok $(wc -c)' 2>/dev/null)"
done
# Host keys for Unix-socket names: the drop-in checks none (vsock CIDs are
# reused from VM to VM), but a socket path is stable and another local user
# who can create it could impersonate the guest.  docs/security.md shows how
# to turn checking on for these names in ~/.ssh/config; it must work as
# shown: the first connection records the key, a changed key is refused.
cat > "$T/checking_config" <<CONF
Host unix/* unix%* vsock-mux/* vsock-mux%*
	StrictHostKeyChecking accept-new
	UserKnownHostsFile $T/known_hosts
Host *
	User $LOGIN
	BatchMode yes
	IdentitiesOnly yes
	IdentityFile none
	LogLevel ERROR
Include $T/50-vsock-ssh.conf
CONF
expect_eq "checking on: first connection" ok "$(ssh -F "$T/checking_config" "unix$SOCK" echo ok </dev/null)"
# (ssh records the name lowercased)
grep -qi "^unix$SOCK " "$T/known_hosts" || fail "the key was not recorded under the socket's name: $(cut -c1-60 "$T/known_hosts" 2>&1)"
expect_eq "checking on: same key" ok "$(ssh -F "$T/checking_config" "unix$SOCK" echo ok </dev/null)"
stop_server
ssh-keygen -q -t ed25519 -N '' -f "$T/other_key"
write_config
sed -i "s#^HostKey .*#HostKey $T/other_key#" "$T/sshd_config"
start_server
rc=0; err=$(ssh -F "$T/checking_config" "unix$SOCK" echo ok 2>&1 </dev/null) || rc=$?
expect_eq "checking on: another key refused" 255 "$rc"
expect_match "checking on: the reason" "(REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed)" "$err"

rc=0; err=$(ssh -F "$T/user_config" vsock/3 true 2>&1 </dev/null) || rc=$?
expect_eq "vsock/3 under the filter" 255 "$rc"
expect_match "vsock/3 under the filter" 'CID 3 port 22: this kernel has no vsock support' "$err"
rc=0; err=$(ssh -F "$T/user_config" -p 2222 vsock%3 true 2>&1 </dev/null) || rc=$?
expect_match "vsock%3 under the filter" 'CID 3 port 2222: this kernel has no vsock support' "$err"
log pass
