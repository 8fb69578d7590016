# The Debian packages: dpkg-buildpackage builds vsock-sshd (guest) and
# vsock-proxy (host); their files, conffiles and maintainer scripts are the
# expected ones; lintian reports nothing (the one override is explained in
# packaging/debian); unpacked into a scratch root, the binaries run.
. "$(dirname "$0")/lib.sh"
for t in dpkg-buildpackage dh lintian; do
    command -v $t >/dev/null || skip "$t missing (run scripts/deps)"
done
"$VS_SRC/packaging/build-deb" "$T/out" >/dev/null
sshd_deb=$(ls "$T"/out/vsock-sshd_*.deb)
proxy_deb=$(ls "$T"/out/vsock-proxy_*.deb)

files() { dpkg-deb -c "$1" | awk '{print $6}' | grep -v '/$' | sort | tr '\n' ' '; }
expect_eq "vsock-sshd files" "./etc/pam.d/vsock-sshd ./etc/vsock-ssh/vsock-sshd_config ./lib/systemd/system/vsock-sshd.service ./lib/systemd/system/vsock-sshd.socket ./lib/systemd/system/vsock-sshd@.service ./usr/sbin/vsock-sshd ./usr/share/doc/vsock-sshd/changelog.gz ./usr/share/doc/vsock-sshd/copyright ./usr/share/lintian/overrides/vsock-sshd ./usr/share/man/man5/vsock-sshd_config.5.gz ./usr/share/man/man8/vsock-sshd.8.gz " "$(files "$sshd_deb")"
expect_eq "vsock-proxy files" "./etc/ssh/ssh_config.d/50-vsock-ssh.conf ./etc/vsock-ssh/hosts ./usr/bin/vsock-proxy ./usr/share/doc/vsock-proxy/changelog.gz ./usr/share/doc/vsock-proxy/copyright ./usr/share/man/man1/vsock-proxy.1.gz " "$(files "$proxy_deb")"

mkdir "$T/ctl-sshd" "$T/ctl-proxy"
dpkg-deb -e "$sshd_deb" "$T/ctl-sshd"
dpkg-deb -e "$proxy_deb" "$T/ctl-proxy"
expect_eq "vsock-sshd conffiles" "/etc/pam.d/vsock-sshd
/etc/vsock-ssh/vsock-sshd_config" "$(cat "$T/ctl-sshd/conffiles")"
dpkg-deb --fsys-tarfile "$sshd_deb" | tar -xOf - ./etc/pam.d/vsock-sshd | cmp -s - "$VS_SRC/config/pam/vsock-sshd" ||
    fail "the packaged PAM service is not config/pam/vsock-sshd"
grep -q '^Depends:.*libpam-runtime' "$T/ctl-sshd/control" || fail "vsock-sshd does not depend on libpam-runtime"
grep -q '^Depends:.*libpam0g' "$T/ctl-sshd/control" || fail "vsock-sshd is not linked with libpam"
expect_eq "vsock-proxy conffiles" "/etc/ssh/ssh_config.d/50-vsock-ssh.conf
/etc/vsock-ssh/hosts" "$(cat "$T/ctl-proxy/conffiles")"
# The socket is enabled and started on install, the plain service not.
grep -q 'deb-systemd-helper.*enable.*vsock-sshd.socket\|vsock-sshd.socket' "$T/ctl-sshd/postinst" ||
    fail "postinst does not enable vsock-sshd.socket"
grep -A3 "vsock-sshd.service" "$T/ctl-sshd/postinst" | grep "was-enabled\|update-state" >/dev/null ||
    fail "postinst: vsock-sshd.service handling missing"
grep -q 'rm -rf /var/lib/vsock-ssh' "$T/ctl-sshd/postrm" || fail "postrm does not purge the host key"
grep -q '^Depends:.*libssh' "$T/ctl-sshd/control" || fail "vsock-sshd does not depend on libssh"

out=$(lintian --fail-on error,warning,info "$sshd_deb" "$proxy_deb" 2>&1) ||
    fail "lintian: $out"

# Unpacked, not installed: the programs run from there.
mkdir "$T/root"
dpkg -x "$sshd_deb" "$T/root"
dpkg -x "$proxy_deb" "$T/root"
cat > "$T/pkg.conf" <<CONF
HostKey $T/key
Listen unix:$T/pkg.sock
CONF
"$T/root/usr/sbin/vsock-sshd" -t -f "$T/pkg.conf" || fail "packaged vsock-sshd -t failed"
"$T/root/usr/sbin/vsock-sshd" -t -f "$T/root/etc/vsock-ssh/vsock-sshd_config" -o "HostKey $T/key" ||
    fail "packaged vsock-sshd -t with the packaged configuration failed"
"$T/root/usr/bin/vsock-proxy" --help | grep '^usage: ' >/dev/null || fail "packaged vsock-proxy --help"
# The shipped names file parses (all comments): a name is simply unknown.
rc=0; out=$(VSOCK_SSH_HOSTS=$T/root/etc/vsock-ssh/hosts VSOCK_SSH_LIBVIRT_DIRS=$T/none \
    "$T/root/usr/bin/vsock-proxy" web 2>&1 </dev/null) || rc=$?
expect_match "packaged names file" "unknown VM name 'web'" "$out"
grep -q 'ProxyCommand /usr/bin/vsock-proxy --fdpass %n %p' "$T/root/etc/ssh/ssh_config.d/50-vsock-ssh.conf" ||
    fail "drop-in does not name /usr/bin/vsock-proxy"
MANWIDTH=80 man -l "$T/root/usr/share/man/man5/vsock-sshd_config.5.gz" 2>&1 | grep "AllowPeers" >/dev/null ||
    fail "vsock-sshd_config(5) does not render"
log pass
