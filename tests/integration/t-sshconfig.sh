# The shipped ssh_config drop-in, as OpenSSH reads it: unix/PATH (with
# upper-case letters, which %h would lowercase) and
# unix%PATH host names (and the vsock/ forms' parsing, up to the AF_VSOCK
# guard) work with plain "ssh NAME", fd passing included.
. "$(dirname "$0")/lib.sh"
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
rc=0; err=$(ssh -F "$T/user_config" vsock/3 true 2>&1 </dev/null) || rc=$?
expect_eq "vsock/3 under the guard" 255 "$rc"
expect_match "vsock/3 under the guard" 'refusing to open AF_VSOCK' "$err"
rc=0; err=$(ssh -F "$T/user_config" -p 2222 vsock%3 true 2>&1 </dev/null) || rc=$?
expect_match "vsock%3 under the guard" 'refusing to open AF_VSOCK' "$err"
log pass
