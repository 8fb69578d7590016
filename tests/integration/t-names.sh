# VM names in vsock-proxy and the ssh_config drop-in: the names file, what
# a name not in it gets without libvirt, and which host-name forms reach
# vsock-proxy through which clients (t-libvirt asks libvirt itself).
# AF_VSOCK stays out of reach (novsock, tests/lib.sh): the proxy's error
# names the CID a name resolved to.
. "$(dirname "$0")/../lib.sh"
cat > "$T/hosts" <<'HOSTS'
# test VMs
web   42
build 43   # a comment
HOSTS
export VSOCK_PROXY_HOSTS=$T/hosts
# Names not in the file go to libvirt, where installed: its test driver
# with no domains, so that no machine's libvirt takes part.
printf '<node/>\n' > "$T/none.xml"
export LIBVIRT_DEFAULT_URI=test://$T/none.xml

proxy() { rc=0; out=$("$VS_PROXY" "$@" </dev/null 2>&1) || rc=$?; }
proxy web
expect_match "names file" "cannot connect to CID 42 port 22: this kernel has no vsock support" "$out"
proxy vm/build 2222
expect_match "vm/NAME and a port" "CID 43 port 2222" "$out"
proxy nosuch
expect_eq "unknown name: exit" 2 "$rc"
expect_match "unknown name" "unknown VM name 'nosuch'" "$out"
proxy vm/bad/name
expect_eq "malformed name: exit" 2 "$rc"
echo "web forty-two" > "$T/hosts"
proxy web
expect_eq "malformed names file: exit" 2 "$rc"
expect_match "malformed names file" "hosts line 1: 'forty-two' is a name" "$out"
printf 'web 42\n' > "$T/hosts"

# An entry with its own port: it replaces ssh's default 22; another port wins.
printf 'web 42 2200\nfc vsock-mux/run/fc.sock 2222\n' > "$T/hosts"
proxy web 22
expect_match "names-file port" "CID 42 port 2200" "$out"
proxy web 2022
expect_match "an explicit port wins" "CID 42 port 2022" "$out"
proxy vm%fc 22
expect_eq "hybrid entry: exit" 1 "$rc"
expect_match "hybrid entry" "/run/fc.sock: no such socket" "$out"
printf 'web 42\n' > "$T/hosts"

# Through ssh and the drop-in: "ssh vm/web" reaches the proxy with the name.
cp "${VS_DROPIN:?set by ctest}" "$T/dropin.conf"
rc=0; err=$(ssh -F "$T/dropin.conf" -o BatchMode=yes vm/web true 2>&1 </dev/null) || rc=$?
expect_eq "ssh vm/web: exit" 255 "$rc"
expect_match "ssh vm/web" "CID 42 port 22" "$err"

# Without libvirt: the names file still works, and a name not in it says
# that libvirt is not installed.  Where it is installed, root hides it in
# a mount namespace of this test's own.
without_libvirt() { # proxy ARG...
    rc=0
    if [ -z "$libvirt_lib" ]; then
        out=$("$VS_PROXY" "$@" </dev/null 2>&1) || rc=$?
    else
        # shellcheck disable=SC2016 # (the inner shell's $0 and $@)
        out=$(unshare --mount --propagation "$propagation" sh -c \
            'mount --bind /dev/null "$0" && exec "$@"' "$libvirt_lib" "$VS_PROXY" "$@" \
            </dev/null 2>&1) || rc=$?
    fi
}
libvirt_lib=$( (/sbin/ldconfig -p || ldconfig -p) 2>/dev/null |
    awk '$1 == "libvirt.so.0" && !f { print $NF; f = 1 }')
propagation=
if [ -n "$libvirt_lib" ] && [ "$(id -u)" -eq 0 ] && command -v unshare >/dev/null; then
    libvirt_lib=$(readlink -f "$libvirt_lib")
    propagation=$(private_propagation 2>/dev/null) || propagation=
fi
if [ -n "$libvirt_lib" ] && [ -z "$propagation" ]; then
    log "libvirt installed, and no private mount namespace to hide it in: its absence not tried"
else
    without_libvirt web
    expect_match "names file, no libvirt" "cannot connect to CID 42 port 22: this kernel has no vsock support" "$out"
    without_libvirt vm/nosuch
    expect_eq "no libvirt: exit" 2 "$rc"
    expect_match "no libvirt" "^vsock-proxy: unknown VM name 'nosuch': not in $T/hosts; libvirt is not installed \(.*libvirt.*\)$" "$out"
    without_libvirt qemu:system/web
    expect_eq "qemu:system/, no libvirt: exit" 2 "$rc"
    expect_match "qemu:system/, no libvirt" "^vsock-proxy: unknown VM name 'web': libvirt is not installed \(" "$out"
fi

# libvirt's forms through the drop-in; where libvirt's own drop-in is
# installed (30-libvirt-ssh-proxy.conf sorts before ours) its ProxyCommand
# is the one ssh uses for them, and ours still for everything else.
for h in qemu/web qemu:system/web qemu:session/web; do
    ssh -G -F "$T/dropin.conf" "$h" | grep -qx "proxycommand .*vsock-proxy --fdpass %n %p" ||
        fail "the drop-in does not send $h to vsock-proxy"
done
mkdir "$T/ssh_config.d"
printf 'Host qemu/* qemu:system/* qemu:session/*\n\tProxyCommand /usr/libexec/libvirt-ssh-proxy %%h %%p\n\tProxyUseFdpass yes\n' \
    > "$T/ssh_config.d/30-libvirt-ssh-proxy.conf"
cp "$T/dropin.conf" "$T/ssh_config.d/50-vsock-ssh.conf"
printf 'Include %s/ssh_config.d/*.conf\n' "$T" > "$T/both.conf"
for h in qemu/web qemu:session/web; do
    ssh -G -F "$T/both.conf" "$h" | grep -qx "proxycommand /usr/libexec/libvirt-ssh-proxy %h %p" ||
        fail "with libvirt's drop-in, $h does not go to libvirt-ssh-proxy"
done
ssh -G -F "$T/both.conf" vm/web | grep -qx "proxycommand .*vsock-proxy --fdpass %n %p" ||
    fail "with libvirt's drop-in, vm/web does not go to vsock-proxy"

# Which forms which clients take: ssh all of them; scp, sftp and rsync
# read qemu:system/NAME as host "qemu" (a stand-in here says so) and scp
# qemu/NAME:PATH as a local path; vm%NAME reaches the proxy from all.
{ cat "$T/dropin.conf"; printf 'Host qemu\n\tProxyCommand sh -c "echo reached host qemu >&2; exit 1"\n'; } \
    > "$T/clients.conf"
mkdir "$T/cwd"
echo data > "$T/file"
rc=0; out=$(ssh -F "$T/clients.conf" -o BatchMode=yes qemu:system/vsock-ssh-test-nosuch true 2>&1 </dev/null) || rc=$?
expect_match "ssh qemu:system/NAME" "unknown VM name 'vsock-ssh-test-nosuch'" "$out"
rc=0; out=$(cd "$T/cwd" && scp -F "$T/clients.conf" "$T/file" qemu:system/web:/tmp/x 2>&1) || rc=$?
expect_match "scp qemu:system/NAME:PATH goes to host qemu" "reached host qemu" "$out"
rc=0; out=$(sftp -F "$T/clients.conf" -b /dev/null qemu:session/web 2>&1 </dev/null) || rc=$?
expect_match "sftp qemu:session/NAME goes to host qemu" "reached host qemu" "$out"
rc=0; out=$(cd "$T/cwd" && scp -F "$T/clients.conf" "$T/file" qemu/web:/tmp/x 2>&1) || rc=$?
expect_match "scp qemu/NAME:PATH is a local path" "cannot create regular file 'qemu/web:/tmp/x'" "$out"
rc=0; out=$(sftp -F "$T/clients.conf" -b /dev/null qemu/web 2>&1 </dev/null) || rc=$?
expect_match "sftp qemu/NAME (no path) reaches the proxy" "unknown VM name 'web'" "$out"
rc=0; out=$(cd "$T/cwd" && scp -F "$T/clients.conf" "$T/file" vm%web:/tmp/x 2>&1) || rc=$?
expect_match "scp vm%NAME:PATH reaches the proxy" "CID 42 port 22" "$out"
log pass
