# The Debian packages: dpkg-buildpackage builds vsock-sshd (guest) and
# vsock-proxy (host); their files, conffiles and maintainer scripts are the
# expected ones; lintian reports nothing (the one override is explained in
# packaging/debian); unpacked into a scratch root, the binaries run.
# Installed (as root) into a throw-away overlay of this machine's root
# (scratchroot.sh), vsock-proxy sets up its privileged copy: the group
# vsock-ssh, root:vsock-ssh 0750 through dpkg-statoverride, and
# cap_net_bind_service=ep; it survives a reinstall, warns without failing
# when setcap cannot work, and its removal drops the statoverride.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/scratchroot.sh"
for t in dpkg-buildpackage dh lintian; do
    command -v $t >/dev/null || skip "$t missing (run scripts/deps)"
done
"$VS_SRC/packaging/build-deb" "$T/out" >/dev/null
sshd_deb=$(ls "$T"/out/vsock-sshd_*.deb)
proxy_deb=$(ls "$T"/out/vsock-proxy_*.deb)

files() { dpkg-deb -c "$1" | awk '{print $6}' | grep -v '/$' | sort | tr '\n' ' '; }
expect_eq "vsock-sshd files" "./etc/pam.d/vsock-sshd ./etc/vsock-ssh/vsock-sshd_config ./lib/systemd/system/vsock-sshd.service ./lib/systemd/system/vsock-sshd.socket ./lib/systemd/system/vsock-sshd@.service ./usr/sbin/vsock-sshd ./usr/share/doc/vsock-sshd/changelog.gz ./usr/share/doc/vsock-sshd/copyright ./usr/share/lintian/overrides/vsock-sshd ./usr/share/man/man5/vsock-sshd_config.5.gz ./usr/share/man/man8/vsock-sshd.8.gz " "$(files "$sshd_deb")"
expect_eq "vsock-proxy files" "./etc/ssh/ssh_config.d/50-vsock-ssh.conf ./etc/vsock-ssh/hosts ./usr/bin/vsock-proxy ./usr/libexec/vsock-ssh/vsock-proxy ./usr/share/doc/vsock-proxy/README.Debian ./usr/share/doc/vsock-proxy/changelog.gz ./usr/share/doc/vsock-proxy/copyright ./usr/share/man/man1/vsock-proxy.1.gz " "$(files "$proxy_deb")"
# Both copies are the same program (the privileged one built to know its path).
[ "$(dpkg-deb --fsys-tarfile "$proxy_deb" | tar -xOf - ./usr/bin/vsock-proxy | sha256sum)" = \
  "$(dpkg-deb --fsys-tarfile "$proxy_deb" | tar -xOf - ./usr/libexec/vsock-ssh/vsock-proxy | sha256sum)" ] ||
    fail "the two vsock-proxy copies differ"

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
# The privileged copy's set-up: adduser's addgroup and libcap2-bin's setcap.
grep -q '^Depends:.*libcap2-bin' "$T/ctl-proxy/control" || fail "vsock-proxy does not depend on libcap2-bin"
grep -q '^Depends:.*adduser' "$T/ctl-proxy/control" || fail "vsock-proxy does not depend on adduser"
priv=/usr/libexec/vsock-ssh/vsock-proxy
grep -q 'addgroup --system.* vsock-ssh' "$T/ctl-proxy/postinst" || fail "postinst does not create the group"
grep -q "^priv=$priv\$" "$T/ctl-proxy/postinst" || fail "postinst: not about $priv"
grep -q "dpkg-statoverride --update --add root vsock-ssh 0750 \"\$priv\"" "$T/ctl-proxy/postinst" ||
    fail "postinst: no statoverride for $priv"
grep -q 'setcap cap_net_bind_service=ep' "$T/ctl-proxy/postinst" || fail "postinst does not setcap"
grep -q 'dpkg-statoverride --remove' "$T/ctl-proxy/postrm" || fail "postrm keeps the statoverride"

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
rc=0; out=$(VSOCK_SSH_HOSTS=$T/root/etc/vsock-ssh/hosts LIBVIRT_DEFAULT_URI=test:///default \
    "$T/root/usr/bin/vsock-proxy" web 2>&1 </dev/null) || rc=$?
expect_match "packaged names file" "unknown VM name 'web'" "$out"
grep -q 'ProxyCommand /usr/bin/vsock-proxy --fdpass %n %p' "$T/root/etc/ssh/ssh_config.d/50-vsock-ssh.conf" ||
    fail "drop-in does not name /usr/bin/vsock-proxy"
MANWIDTH=80 man -l "$T/root/usr/share/man/man5/vsock-sshd_config.5.gz" 2>&1 | grep "AllowPeers" >/dev/null ||
    fail "vsock-sshd_config(5) does not render"

# Installed: dpkg -i in a throw-away overlay of this machine's root, from a
# state without the package, its statoverride or the group (whatever the
# real system has).
if ! why=$(scratch_root_check); then
    log "not installing the package: $why"
    log pass
    exit 0
fi
# shellcheck disable=SC2016
pristine='
priv=/usr/libexec/vsock-ssh/vsock-proxy
dpkg --purge --no-triggers vsock-proxy >/dev/null 2>&1 || true
if dpkg-statoverride --list "$priv" >/dev/null; then dpkg-statoverride --remove "$priv"; fi
if getent group vsock-ssh >/dev/null; then groupdel vsock-ssh; fi
useradd --system --no-create-home vs-member
useradd --system --no-create-home vs-other
'
# shellcheck disable=SC2016
report='
echo "group: $(getent group vsock-ssh | cut -d: -f1)"
echo "priv: $(stat -c "%a %U %G" "$priv") [$(getcap "$priv")]"
echo "plain: $(stat -c "%a %U %G" /usr/bin/vsock-proxy) [$(getcap /usr/bin/vsock-proxy)]"
echo "override: $(dpkg-statoverride --list "$priv" || true)"
'
# shellcheck disable=SC2016
out=$(scratch_root "$pristine"'
dpkg -i --no-triggers "$1" >"$T/dpkg1.log" 2>&1 || { cat "$T/dpkg1.log"; exit 1; }
'"$report"'
usermod -a -G vsock-ssh vs-member
# Who may execute it, asked of the kernel (access(2) from a shell without
# root'"'"'s capabilities), not by running it: it would bind a vsock port.
may_exec() { setpriv --reuid="$1" --regid="$1" --init-groups sh -c '"'"'test -x "$0" && echo yes || echo no'"'"' "$priv"; }
echo "member: $(may_exec vs-member)"
echo "other: $(may_exec vs-other)"
# A reinstall unpacks the file again, which drops its capability.
dpkg -i --no-triggers "$1" >"$T/dpkg2.log" 2>&1 || { cat "$T/dpkg2.log"; exit 1; }
echo "again: $(stat -c "%a %U %G" "$priv") [$(getcap "$priv")]"
dpkg -r --no-triggers vsock-proxy >"$T/dpkg3.log" 2>&1 || { cat "$T/dpkg3.log"; exit 1; }
echo "removed: [$(dpkg-statoverride --list "$priv" || true)] $(getent group vsock-ssh | cut -d: -f1)"
' "$proxy_deb" 2>&1) || fail "installing vsock-proxy in a scratch root: $out"
line() { sed -n "s/^$1: //p" <<<"$out"; }
expect_eq "installed: group vsock-ssh" "vsock-ssh" "$(line group)"
expect_eq "installed: privileged copy" "750 root vsock-ssh [$priv cap_net_bind_service=ep]" "$(line priv)"
expect_eq "installed: plain copy" "755 root root []" "$(line plain)"
expect_eq "installed: statoverride" "root vsock-ssh 750 $priv" "$(line override)"
expect_eq "a member of vsock-ssh may run the privileged copy" yes "$(line member)"
expect_eq "a non-member may not run the privileged copy" no "$(line other)"
expect_eq "reinstalled: privileged copy" "750 root vsock-ssh [$priv cap_net_bind_service=ep]" "$(line again)"
expect_eq "removed: no statoverride, the group stays" "[] vsock-ssh" "$(line removed)"

# Where setcap fails (a file system without extended attributes), the
# package still installs, with the group and mode, and says what it means.
# shellcheck disable=SC2016
out=$(scratch_root "$pristine"'
printf "#!/bin/sh\necho \"setcap: Operation not supported\" >&2\nexit 1\n" >/usr/local/sbin/setcap
chmod 755 /usr/local/sbin/setcap
rc=0; dpkg -i --no-triggers "$1" >"$T/dpkg4.log" 2>&1 || rc=$?
echo "rc: $rc"
echo "warning: $(grep "^vsock-proxy: warning" "$T/dpkg4.log" || true)"
'"$report" "$proxy_deb" 2>&1) || fail "installing vsock-proxy without setcap: $out"
expect_eq "without setcap: dpkg -i" 0 "$(line rc)"
expect_match "without setcap: the warning" "unprivileged vsock ports, which the guest refuses by default" "$(line warning)"
expect_eq "without setcap: privileged copy" "750 root vsock-ssh []" "$(line priv)"
log pass
