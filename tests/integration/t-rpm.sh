# The RPM spec parses (rpmspec -P) and rpmlint finds nothing beyond the
# filtered, explained findings.  (Building RPMs needs an RPM-based system.)
. "$(dirname "$0")/lib.sh"
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
log pass
