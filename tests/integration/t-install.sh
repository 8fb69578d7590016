# "cmake --install" of this build and the privileged copy of vsock-proxy
# (docs/packaging.md, "Who on the host may log in"): installed a second
# time under libexec/vsock-ssh, 0750; a real install as root (no DESTDIR)
# creates the group vsock-ssh and makes the copy root:vsock-ssh 0750 with
# cap_net_bind_service=ep, again on every install; a staged install
# (DESTDIR, as a package build) and a failing setcap leave it to the
# administrator, say so in one line, and do not fail.  Every install runs
# in a throw-away overlay of this machine's root (scratchroot.sh): the real
# system gets no group, no /etc files, nothing.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/scratchroot.sh"
BUILD=$(dirname "$VS_PROXY")
[ -f "$BUILD/cmake_install.cmake" ] && [ -f "$BUILD/CMakeCache.txt" ] ||
    skip "no cmake build directory at $BUILD"
cache() { sed -n "s/^$1:[A-Z]*=//p" "$BUILD/CMakeCache.txt"; }
prefix=$(cache CMAKE_INSTALL_PREFIX)
libexec=$(cache CMAKE_INSTALL_LIBEXECDIR)
case $libexec in /*) ;; *) libexec=$prefix/$libexec ;; esac

# The proxy is built knowing where its privileged copy is installed.
grep -Eqs "VP_PRIVILEGED_PROXY=(\\\\)?\"$libexec/vsock-ssh/vsock-proxy(\\\\)?\"" \
    "$BUILD/CMakeFiles/vsock-proxy.dir/flags.make" "$BUILD/build.ninja" ||
    fail "vsock-proxy is not compiled with VP_PRIVILEGED_PROXY=\"$libexec/vsock-ssh/vsock-proxy\""

if ! why=$(scratch_root_check); then skip "$why"; fi
# Into the scratch root's /opt/vs (the build's own libexec directory when
# it is absolute), from a state without the group.
case $(cache CMAKE_INSTALL_LIBEXECDIR) in /*) priv=$libexec/vsock-ssh/vsock-proxy ;;
                                          *) priv=/opt/vs/$(cache CMAKE_INSTALL_LIBEXECDIR)/vsock-ssh/vsock-proxy ;; esac
case $(cache CMAKE_INSTALL_BINDIR) in /*) plain=$(cache CMAKE_INSTALL_BINDIR)/vsock-proxy ;;
                                      *) plain=/opt/vs/$(cache CMAKE_INSTALL_BINDIR)/vsock-proxy ;; esac
SCRATCH_BINDS="$BUILD $VS_SRC"
# shellcheck disable=SC2016
out=$(scratch_root '
build=$1; priv=$2; plain=$3
if getent group vsock-ssh >/dev/null; then groupdel vsock-ssh; fi
show() { echo "$(stat -c "%a %U %G" "$1") [$(getcap "$1")] $(getent group vsock-ssh | cut -d: -f1)"; }
note() { grep "^vsock-ssh: $2" "$1" | head -1 || true; }
rc=0; DESTDIR=/tmp/stage cmake --install "$build" --prefix /opt/vs >/tmp/i1 2>&1 || rc=$?
echo "staged: rc $rc, $(show "/tmp/stage$priv")"
echo "staged note: $(note /tmp/i1 "a staged")"
rc=0; cmake --install "$build" --prefix /opt/vs >/tmp/i2 2>&1 || rc=$?
echo "real: rc $rc, $(show "$priv")"
echo "real note: $(note /tmp/i2 "vsock-proxy looks")"
echo "real notes: $(grep -c "^vsock-ssh:" /tmp/i2)"
echo "plain: $(stat -c "%a %U %G" "$plain") [$(getcap "$plain")]"
echo "same: $(cmp "$priv" "$plain" && echo yes)"
# Again (the files are up to date): still set up.
rc=0; cmake --install "$build" --prefix /opt/vs >/tmp/i3 2>&1 || rc=$?
echo "again: rc $rc, $(show "$priv")"
# A setcap that fails, as on a file system without extended attributes.
printf "#!/bin/sh\necho \"setcap: Operation not supported\" >&2\nexit 1\n" >/usr/local/sbin/setcap
chmod 755 /usr/local/sbin/setcap
rc=0; cmake --install "$build" --prefix /opt/vs >/tmp/i4 2>&1 || rc=$?
echo "nocap: rc $rc, $(show "$priv")"
echo "nocap note: $(note /tmp/i4 "setcap failed")"
' "$BUILD" "$priv" "$plain" 2>&1) || fail "cmake --install in a scratch root: $out"
line() { sed -n "s/^$1: //p" <<<"$out"; }
expect_eq "staged install" "rc 0, 750 root root [] " "$(line staged)"
expect_match "staged install: what to do" \
    "^vsock-ssh: a staged install .*setcap cap_net_bind_service=ep $priv" "$(line 'staged note')"
expect_eq "install as root" "rc 0, 750 root vsock-ssh [$priv cap_net_bind_service=ep] vsock-ssh" "$(line real)"
expect_eq "the plain copy" "755 root root []" "$(line plain)"
# Installed under another prefix than it was built for: said, not fatal;
# nothing else is.
if [ "$priv" = "$libexec/vsock-ssh/vsock-proxy" ]; then
    expect_eq "install as root: no advice" 0 "$(line 'real notes')"
else
    expect_eq "install as root: no advice but the --prefix one" 1 "$(line 'real notes')"
    expect_match "install with --prefix: the path it looks at" \
        "^vsock-ssh: vsock-proxy looks for its privileged copy at $libexec/vsock-ssh/vsock-proxy, not $priv" \
        "$(line 'real note')"
fi
expect_eq "the same program" "yes" "$(line same)"
expect_eq "installed again" "rc 0, 750 root vsock-ssh [$priv cap_net_bind_service=ep] vsock-ssh" "$(line again)"
expect_eq "setcap failing" "rc 0, 750 root vsock-ssh [] vsock-ssh" "$(line nocap)"
expect_match "setcap failing: what to do" "^vsock-ssh: setcap failed.*setcap cap_net_bind_service=ep $priv" \
    "$(line 'nocap note')"
log pass
