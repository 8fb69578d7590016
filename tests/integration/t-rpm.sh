# The RPM spec parses (rpmspec -P) and rpmlint finds nothing beyond the
# filtered, explained findings.  rpmbuild builds it here too, with stand-ins
# for the Fedora macros Debian's rpm lacks (%cmake and friends, systemd's
# scriptlets), so that the packages' metadata can be checked: the
# privileged copy of vsock-proxy is root:vsock-ssh 0750 with
# cap_net_bind_service=ep, and %pre creates the group.  Installed with rpm
# into a throw-away overlay of this machine's root (scratchroot.sh), that
# is what the file system gets.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/scratchroot.sh"
command -v rpmspec >/dev/null || skip "rpmspec missing"
command -v rpmlint >/dev/null || skip "rpmlint missing"
spec=$VS_SRC/packaging/rpm/vsock-ssh.spec
out=$(rpmspec -P "$spec" 2>&1) || fail "rpmspec -P: $out"
expect_match "both packages" "%files -n vsock-sshd" "$out"
expect_match "units" "vsock-sshd@.service" "$out"
expect_match "PAM service" "pam.d/vsock-sshd" "$out"
[ -f "$VS_SRC/packaging/rpm/vsock-sshd.pam" ] || fail "packaging/rpm/vsock-sshd.pam missing"
out=$(rpmlint -r "$VS_SRC/packaging/rpm/vsock-ssh.rpmlintrc" "$spec" 2>&1) || fail "rpmlint: $out"
expect_match "rpmlint" " 0 errors, 0 warnings" "$out"
# The spec's version is the project's.
v=$(sed -n 's/^project(vsock-ssh VERSION \([0-9.]*\).*/\1/p' "$VS_SRC/CMakeLists.txt")
grep -q "^Version: *$v\$" "$spec" || fail "spec version is not $v"
grep -q "^vsock-ssh ($v)" "$VS_SRC/packaging/debian/changelog" || fail "debian/changelog version is not $v"

# The privileged copy, in the spec: the group first, then the file.
priv=/usr/libexec/vsock-ssh/vsock-proxy
out=$(rpmspec -P "$spec" 2>&1)
expect_match "privileged copy in %files" \
    "^%attr\\(0750,root,vsock-ssh\\) %caps\\(cap_net_bind_service=ep\\) $priv\$" "$out"
pre=$(sed -n '/^%pre -n vsock-proxy$/,/^%/{/^%/d;p}' <<<"$out")
expect_match "%pre -n vsock-proxy creates the group" \
    '^getent group vsock-ssh >/dev/null \|\| groupadd -r vsock-ssh$' "$pre"
out=$(rpmspec -q --requires "$spec" 2>&1)
expect_match "Requires(pre): shadow-utils" '^shadow-utils$' "$out"

command -v rpmbuild >/dev/null || { log "rpmbuild missing: not building"; log pass; exit 0; }
mkdir -p "$T/rpm/src" "$T/rpm/top"
tar -C "$VS_SRC" --exclude=./.git --exclude='./build*' --transform "s,^\\.,vsock-ssh-$v," \
    -czf "$T/rpm/src/vsock-ssh-$v.tar.gz" .
rc=0
rpmbuild -bb --nodeps --define "_topdir $T/rpm/top" --define "_sourcedir $T/rpm/src" \
    --define "_tmppath $T/rpm" --define 'debug_package %{nil}' \
    --define '_sharedstatedir /var/lib' --define '_unitdir /usr/lib/systemd/system' \
    --define 'cmake cmake -S . -B rpmbuild -DCMAKE_INSTALL_PREFIX=%{_prefix} -DCMAKE_INSTALL_LIBEXECDIR=%{_libexecdir}' \
    --define 'cmake_build cmake --build rpmbuild -j2' \
    --define 'cmake_install DESTDIR=%{buildroot} cmake --install rpmbuild' \
    --define 'systemd_post() :' --define 'systemd_preun() :' \
    --define 'systemd_postun_with_restart() :' \
    "$spec" >"$T/rpmbuild.log" 2>&1 || rc=$?
[ $rc -eq 0 ] || fail "rpmbuild: $(tail -30 "$T/rpmbuild.log")"
rpm=$(ls "$T"/rpm/top/RPMS/*/vsock-proxy-"$v"-*.rpm)
out=$(rpm -qp --qf '[%{FILEMODES:perms} %{FILEUSERNAME} %{FILEGROUPNAME} <%{FILECAPS}> %{FILENAMES}\n]' "$rpm")
expect_match "built: the privileged copy" "^-rwxr-x--- root vsock-ssh <cap_net_bind_service=ep> $priv\$" "$out"
expect_match "built: the plain copy" '^-rwxr-xr-x root root <> /usr/bin/vsock-proxy$' "$out"
expect_match "built: %pre" 'groupadd -r vsock-ssh' "$(rpm -qp --scripts "$rpm")"

# Installed (as root) into a scratch root without the group.
if ! why=$(scratch_root_check); then
    log "not installing the package: $why"
    log pass
    exit 0
fi
# shellcheck disable=SC2016
out=$(scratch_root '
priv=/usr/libexec/vsock-ssh/vsock-proxy
rpm -e --nodeps vsock-proxy >/dev/null 2>&1 || true
if getent group vsock-ssh >/dev/null; then groupdel vsock-ssh; fi
rpm -i --nodeps "$1" >"$T/rpm-i.log" 2>&1 || { cat "$T/rpm-i.log"; exit 1; }
echo "group: $(getent group vsock-ssh | cut -d: -f1)"
echo "priv: $(stat -c "%a %U %G" "$priv") [$(getcap "$priv")]"
echo "plain: $(stat -c "%a %U %G" /usr/bin/vsock-proxy) [$(getcap /usr/bin/vsock-proxy)]"
' "$rpm" 2>&1) || fail "installing the vsock-proxy RPM in a scratch root: $out"
line() { sed -n "s/^$1: //p" <<<"$out"; }
expect_eq "installed: group vsock-ssh" "vsock-ssh" "$(line group)"
expect_eq "installed: privileged copy" "750 root vsock-ssh [$priv cap_net_bind_service=ep]" "$(line priv)"
expect_eq "installed: plain copy" "755 root root []" "$(line plain)"
log pass
