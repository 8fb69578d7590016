# VM names through libvirt's API: vm/NAME after the names file, and libvirt's
# own forms qemu/NAME, qemu:system/NAME, qemu:session/NAME, by name, UUID or
# ID, as root and as an ordinary user.  No daemon: libvirt's test driver
# (test:///FILE, built into libvirt0) serves the lookups through
# LIBVIRT_DEFAULT_URI; qemu:///system and qemu:///session, the defaults, have
# nothing listening here (or, on a machine with libvirtd, no such domains).
# AF_VSOCK stays out of reach (novsock, tests/lib.sh): the proxy's error
# names the CID a name resolved to.
. "$(dirname "$0")/../lib.sh"

libvirt_lib=$( (/sbin/ldconfig -p || ldconfig -p) 2>/dev/null |
    awk '$1 == "libvirt.so.0" && !f { print $NF; f = 1 }')
[ -n "$libvirt_lib" ] || skip "libvirt0 is not installed (no libvirt.so.0; scripts/deps installs it)"

# Running unless test:runstate says 5 (shut off); the test driver numbers
# the running ones from 1 in this order (web 1, db 2, ...).
cat > "$T/domains.xml" <<'XML'
<node xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>
  <domain type='test'>
    <name>web</name><memory>8192</memory><os><type>hvm</type></os>
    <devices><vsock model='virtio'><cid auto='no' address='5'/></vsock></devices>
  </domain>
  <domain type='test'>
    <name>db</name><uuid>2b0e5a8c-6d6e-4c43-9d0b-3c6c2f0e7a11</uuid>
    <memory>8192</memory><os><type>hvm</type></os>
    <devices><vsock model='virtio'><cid auto='no' address='9'/></vsock></devices>
  </domain>
  <domain type='test'>
    <name>off</name><memory>8192</memory><os><type>hvm</type></os>
    <devices><vsock model='virtio'><cid auto='no' address='6'/></vsock></devices>
    <test:runstate>5</test:runstate>
  </domain>
  <domain type='test'>
    <name>dyn</name><memory>8192</memory><os><type>hvm</type></os>
    <devices><vsock model='virtio'><cid auto='yes'/></vsock></devices>
    <test:runstate>5</test:runstate>
  </domain>
  <domain type='test'>
    <name>plain</name><memory>8192</memory><os><type>hvm</type></os>
  </domain>
  <domain type='test'>
    <name>dynrun</name><memory>8192</memory><os><type>hvm</type></os>
    <devices><vsock model='virtio'><cid auto='yes'/></vsock></devices>
  </domain>
</node>
XML
printf 'web 42\n' > "$T/hosts"
chmod 644 "$T/domains.xml" "$T/hosts"
URI=test://$T/domains.xml
export VSOCK_PROXY_HOSTS=$T/hosts LIBVIRT_DEFAULT_URI=$URI
unset LIBVIRT_AUTOSTART XDG_RUNTIME_DIR

proxy() { rc=0; out=$("$VS_PROXY" "$@" </dev/null 2>&1) || rc=$?; }

# The names file first; libvirt's forms ask libvirt alone.
proxy vm/web
expect_match "names file before libvirt" "cannot connect to CID 42 port 22: this kernel has no vsock support" "$out"
proxy qemu/web
expect_match "qemu/NAME: libvirt only" "cannot connect to CID 5 port 22: this kernel has no vsock support" "$out"
proxy vm%db
expect_match "vm%NAME from libvirt" "CID 9 port 22" "$out"
proxy vm/db 2222
expect_match "vm/NAME from libvirt, a port" "CID 9 port 2222" "$out"
proxy db
expect_match "a bare name from libvirt" "CID 9 port 22" "$out"
# By UUID and by ID, as libvirt's own proxy looks names up.
proxy vm/2b0e5a8c-6d6e-4c43-9d0b-3c6c2f0e7a11
expect_match "by UUID" "CID 9 port 22" "$out"
proxy qemu/2
expect_match "by ID" "CID 9 port 22" "$out"

# Known VMs without a CID to connect to: each says why, exit 1 (the target
# cannot be reached), not "unknown" (2).
proxy vm/off
expect_eq "stopped VM: exit" 1 "$rc"
expect_match "stopped VM" "^vsock-proxy: VM 'off' \(test://$T/domains.xml\) is not running: start it first \(virsh -c test://$T/domains.xml start off\)$" "$out"
proxy qemu/dyn
expect_eq "auto CID, stopped: exit" 1 "$rc"
expect_match "auto CID, stopped" "VM 'dyn' .* is not running, and libvirt gives it a vsock CID when it starts: start it first" "$out"
proxy vm/plain
expect_eq "no vsock device: exit" 1 "$rc"
expect_match "no vsock device" "VM 'plain' .* has no vsock device: add <vsock model='virtio'><cid auto='yes'/></vsock>" "$out"
proxy vm/dynrun
expect_eq "running without a CID: exit" 1 "$rc"
expect_match "running without a CID" "VM 'dynrun' .* runs, but libvirt gives no guest CID" "$out"
proxy vm/nosuch
expect_eq "unknown name: exit" 2 "$rc"
expect_eq "unknown name" "vsock-proxy: unknown VM name 'nosuch': not in $T/hosts; not under libvirt's $URI" "$out"
proxy qemu/nosuch
expect_eq "unknown name, qemu/: exit" 2 "$rc"
expect_eq "unknown name, qemu/" "vsock-proxy: unknown VM name 'nosuch': not under libvirt's $URI" "$out"

# LIBVIRT_DEFAULT_URI: only for vm/ and qemu/; never another machine's.
proxy qemu:system/vsock-ssh-test-nosuch
expect_eq "qemu:system/: exit" 2 "$rc"
expect_match "qemu:system/ asks qemu:///system only" "^vsock-proxy: unknown VM name 'vsock-ssh-test-nosuch': (cannot ask|not under libvirt's) qemu:///system( \(.*\))?$" "$out"
rc=0; out=$(LIBVIRT_DEFAULT_URI=qemu+ssh://root@elsewhere/system "$VS_PROXY" vm/db 2>&1) || rc=$?
expect_eq "remote URI: exit" 2 "$rc"
expect_match "remote URI" "LIBVIRT_DEFAULT_URI=qemu\+ssh://root@elsewhere/system is libvirt on another machine" "$out"
rc=0; out=$(LIBVIRT_DEFAULT_URI=test:///nonexistent.xml "$VS_PROXY" vm/db 2>&1) || rc=$?
expect_eq "URI that cannot be opened: exit" 2 "$rc"
expect_match "URI that cannot be opened" "^vsock-proxy: unknown VM name 'db': not in $T/hosts; cannot ask test:///nonexistent.xml \(.+\)$" "$out"

# The default connections: root asks qemu:///system only (its session has
# no VMs of its own), as libvirt's proxy does.
if [ "$(id -u)" -eq 0 ]; then
    rc=0; out=$(env -u LIBVIRT_DEFAULT_URI "$VS_PROXY" vm/vsock-ssh-test-nosuch 2>&1) || rc=$?
    expect_eq "root, defaults: exit" 2 "$rc"
    expect_match "root asks qemu:///system" "qemu:///system" "$out"
    if grep -q "qemu:///session" <<<"$out"; then fail "root asked qemu:///session: $out"; fi
fi

# Through ssh and the drop-in, with the environment ssh passes on.
cp "${VS_DROPIN:?set by ctest}" "$T/dropin.conf"
for h in qemu/db vm/db; do
    rc=0; err=$(ssh -F "$T/dropin.conf" -o BatchMode=yes "$h" true 2>&1 </dev/null) || rc=$?
    expect_eq "ssh $h: exit" 255 "$rc"
    expect_match "ssh $h" "CID 9 port 22" "$err"
done
rc=0; err=$(ssh -F "$T/dropin.conf" -o BatchMode=yes qemu:session/vsock-ssh-test-nosuch true 2>&1 </dev/null) || rc=$?
expect_match "ssh qemu:session/NAME reaches the proxy" "unknown VM name 'vsock-ssh-test-nosuch': (cannot ask|not under libvirt's) qemu:///session" "$err"

# As an ordinary user (what ssh runs for anyone not root).
if [ "$(id -u)" -eq 0 ] && getent passwd "$TEST_USER" >/dev/null; then
    mkdir -p "$T/home" "$T/daemons"
    chown "$TEST_USER" "$T/home"
    # A stand-in for libvirt's session daemons: libvirt runs it (VIRTD_PATH
    # says where) if it autostarts one; it only leaves a mark.
    for d in virtqemud libvirtd; do
        # shellcheck disable=SC2016 # (the stand-in's own $0, $*, $HOME)
        printf '#!/bin/sh\necho "$0 $*" >> "$HOME/spawned"\n' > "$T/daemons/$d"
        chmod 755 "$T/daemons/$d"
    done
    as_user() {
        rc=0
        out=$(setpriv --reuid "$TEST_USER" --regid "$(id -g "$TEST_USER")" --init-groups \
            env -i PATH=/usr/bin:/bin HOME="$T/home" \
            VSOCK_PROXY_HOSTS="$T/hosts" VIRTD_PATH="$T/daemons" "$@" </dev/null 2>&1) || rc=$?
    }
    as_user LIBVIRT_DEFAULT_URI="$URI" "$VS_PROXY" vm/db
    expect_match "user: vm/NAME from libvirt" "CID 9 port 22" "$out"
    as_user LIBVIRT_DEFAULT_URI="$URI" "$VS_PROXY" qemu/off
    expect_match "user: stopped VM" "VM 'off' .* is not running" "$out"
    as_user "$VS_PROXY" vm/vsock-ssh-test-nosuch
    expect_eq "user, defaults: exit" 2 "$rc"
    expect_match "user asks qemu:///system, then qemu:///session" "qemu:///system.*; .*qemu:///session" "$out"
    [ ! -e "$T/home/spawned" ] || fail "vsock-proxy started a session daemon: $(cat "$T/home/spawned")"
    as_user "$VS_PROXY" qemu:session/vsock-ssh-test-nosuch
    expect_match "user: qemu:session/" "unknown VM name 'vsock-ssh-test-nosuch': cannot ask qemu:///session" "$out"
    [ ! -e "$T/home/spawned" ] || fail "vsock-proxy started a session daemon: $(cat "$T/home/spawned")"
    # The control: the stand-in is what libvirt would start, when asked to.
    as_user LIBVIRT_AUTOSTART=1 "$VS_PROXY" qemu:session/vsock-ssh-test-nosuch
    [ -e "$T/home/spawned" ] || fail "LIBVIRT_AUTOSTART=1 did not run the stand-in daemon: $out"
else
    log "not root or no $TEST_USER: the ordinary user's lookups not tried"
fi
log pass
