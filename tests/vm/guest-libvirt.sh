# VM names through a real libvirtd: "ssh vm/NAME" and libvirt's own forms
# reach libvirt's VMs for an ordinary user.  Runs only as the command of
#   scripts/qemu-run --systemd --nested -- ... bash tests/vm/guest-libvirt.sh
# where this machine's systemd is PID 1 of a TCG guest ("L1") that runs KVM
# guests of its own, with this machine's libvirt (libvirt-daemon-system and
# libvirt-daemon-driver-qemu, which scripts/deps installs; their sockets are
# enabled, so L1's systemd activates libvirtd on the first connection).
#
# In L1: the product installed as cmake --install installs it, the ordinary
# test account in groups libvirt, kvm and vsock-ssh.  qemu:///system gets
# three domains: "vsshtest" (vsock CID 3), "vsshauto" (a CID assigned at
# start) and "vsshplain" (no vsock device).  Stopped, each gets its own
# message, and a lookup starts no session daemon; running, "vsshtest" (a KVM
# guest, "L2", booted from the kernel and initramfs the test guests use,
# running the installed vsock-sshd with the default policy) is reached by
# the account through the installed drop-in as vm/NAME, qemu/NAME,
# qemu:system/NAME, by UUID and by ID, from a reserved port (the privileged
# copy of vsock-proxy).  Then a session VM of the account's own
# (qemu:///session, CID 4), which it defines and starts with virsh and
# reaches as vm/NAME and qemu:session/NAME.
#
# One L2 at a time (the two are the same guest, so the second boot costs
# what the first did).  Where L1's KVM does not work, the rest skips with
# the reason (exit 77) after the stopped domains' checks, which need none.
if ! grep -qw vsock_ssh_systemd=1 /proc/cmdline 2>/dev/null || [ "$(cat /proc/1/comm)" != systemd ]; then
    echo "guest-libvirt.sh: refusing to run: not PID 1 systemd in the test VM (scripts/qemu-run --systemd)" >&2
    exit 1
fi
. "$VS_SRC/tests/lib.sh"
PATH=$PATH:/usr/sbin:/sbin
: "${VS_BUILD:?the build directory}" "${VS_VM_CACHE:?the test guests kernel cache}"
require_test_user
t0=$(date +%s)
step() { log "[$(($(date +%s) - t0)) s] $*"; }

# Proof of life for qemu-run's watchdog, and the sections whose hazard is
# the emulation's (guest-systemd.sh says why).
if [ -d /run/vmio ]; then
    ( while :; do echo >> /run/vmio/heartbeat; sleep 5; done ) </dev/null >/dev/null 2>&1 &
fi
fragile() { [ ! -d /run/vmio ] || echo "$*" > /run/vmio/fragile; }
unfragile() { rm -f /run/vmio/fragile; }

if ! command -v virsh >/dev/null || [ ! -x /usr/sbin/libvirtd ]; then
    skip "libvirt's daemon is not installed (libvirt-daemon-system, libvirt-daemon-driver-qemu: scripts/deps test)"
fi
if [ ! -e /dev/kvm ] || [ ! -e /dev/vhost-vsock ]; then
    skip "no /dev/kvm or /dev/vhost-vsock in the outer guest (kvm_amd or vhost_vsock did not load)"
fi

step "installing (cmake --install); the account in groups libvirt, kvm, vsock-ssh"
cmake --install "$VS_BUILD" >/dev/null || fail "cmake --install"
for g in libvirt kvm vsock-ssh; do
    getent group $g >/dev/null || fail "no group $g (libvirt-daemon-system and cmake --install make them)"
    adduser "$TEST_USER" $g >/dev/null
done
# The owner and mode Debian's udev rules (50-udev-default.rules) give the
# device nodes, by which the account's QEMU and session libvirtd open them:
# L1 runs no udev where this machine has none (CI's).
chgrp kvm /dev/kvm /dev/vhost-vsock
chmod 0660 /dev/kvm /dev/vhost-vsock
uid=$(id -u "$TEST_USER")
home=$(getent passwd "$TEST_USER" | cut -d: -f6)
# The account as it logs in: its groups, home and name (no logind session,
# so no XDG_RUNTIME_DIR: libvirt's session sockets are in ~/.cache/libvirt).
as_user() {
    setpriv --reuid="$uid" --regid="$(id -g "$TEST_USER")" --init-groups \
        env -u XDG_RUNTIME_DIR HOME="$home" USER="$TEST_USER" LOGNAME="$TEST_USER" "$@"
}
ssh_opts=(-o LogLevel=ERROR -o BatchMode=yes -o ConnectTimeout=60)
ussh() { as_user ssh "${ssh_opts[@]}" "$@" </dev/null; }
# The account's session libvirtd, which virsh starts and a lookup never
# does (vsock-proxy sets LIBVIRT_AUTOSTART=0, in its privileged copy too).
session_daemons() { pgrep -u "$uid" -x libvirtd || true; }

# ---- the guest: the test guests' kernel and initramfs ---------------------------
# Copied where the QEMU of either daemon (libvirt-qemu's, the account's)
# may read them: a checkout may live where neither can.
mkdir -p "$T/img"
cp "$VS_VM_CACHE/vmlinux" "$VS_VM_CACHE/initramfs.gz" "$T/img/"
chmod 0644 "$T/img/"*
# domain_xml NAME IO-DIR [VSOCK-ELEMENT]: the test guest as a libvirt
# domain.  Its root is L1's, read-only over 9p as QEMU's user reads it; the
# command on the "vmio" share (qemu-init runs it, writing its output there)
# is the installed vsock-sshd with the default configuration, without PAM
# (/etc/shadow is not QEMU's user's to read).
domain_xml() {
    cat <<XML
<domain type='kvm'>
  <name>$1</name>
  <memory unit='MiB'>768</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <loader type='rom'>/usr/share/qemu/qboot.rom</loader>
    <kernel>$T/img/vmlinux</kernel>
    <initrd>$T/img/initramfs.gz</initrd>
    <cmdline>console=ttyS0 panic=-1 quiet vsock_ssh_vm=1</cmdline>
  </os>
  <features><acpi/></features>
  <cpu mode='custom' match='exact' check='none'><model fallback='forbid'>qemu64</model></cpu>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>destroy</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <filesystem type='mount' accessmode='squash' multidevs='remap'>
      <source dir='/'/><target dir='hostroot'/><readonly/>
    </filesystem>
    <filesystem type='mount' accessmode='squash' multidevs='remap'>
      <source dir='$2'/><target dir='vmio'/>
    </filesystem>
    <serial type='file'><source path='$2/console.log'/></serial>
    <controller type='usb' model='none'/>
    <memballoon model='none'/>
    <rng model='virtio'><backend model='random'>/dev/urandom</backend></rng>
    ${3:-}
  </devices>
</domain>
XML
}
new_io() { # DIR OWNER
    mkdir -p "$1"
    printf '%s\n' "exec /usr/local/sbin/vsock-sshd -D -e -l vsock:22 -o 'UsePAM no'" > "$1/cmd"
    chown -R "$2" "$1"
    chmod 0777 "$1"
}

# boot URI NAME IO-DIR [AS-USER]: starts the domain and waits for its
# server.  Fragile from here until gone() says no QEMU of it is left.
boot() {
    local uri=$1 name=$2 io=$3 virsh=(virsh -q -c "$1")
    [ -z "${4:-}" ] || virsh=(as_user virsh -q -c "$1")
    local qlog_of=/var/log/libvirt/qemu/$name.log
    [ -z "${4:-}" ] || qlog_of=$home/.cache/libvirt/qemu/log/$name.log
    fragile "a KVM guest under libvirt ($uri $name) inside this TCG-emulated one; everything before it passed"
    local try
    for try in 1 2; do
        "${virsh[@]}" start "$name" >/dev/null 2>"$T/start.err" ||
            fail "virsh -c $uri start $name: $(cat "$T/start.err")"
        wait_for "grep -q 'listening on' '$io/output' 2>/dev/null ||
                  [ \"\$(${virsh[*]} domstate $name 2>/dev/null)\" != running ]" 3000 || true
        grep -q 'listening on' "$io/output" 2>/dev/null && break
        # Gone before its kernel wrote a line (CI saw it once, a rerun
        # passed): the nested KVM under emulation, not the guest's code,
        # which would have written to its console or output.  Once more;
        # a second time is the machine's, and said so.
        if [ -s "$io/console.log" ] || [ -s "$io/output" ] ||
           [ "$("${virsh[@]}" domstate "$name" 2>/dev/null)" = running ]; then
            break
        fi
        log "$uri $name: died before its kernel wrote anything ($("${virsh[@]}" domstate --reason "$name" 2>&1)); starting it again"
        [ "$try" = 1 ] ||
            skip "$uri $name: twice the KVM guest died before its kernel wrote a line (nested KVM under TCG): $(tail -5 "$qlog_of" 2>/dev/null)"
    done
    if ! grep -q 'listening on' "$io/output" 2>/dev/null; then
        # Is it L1's KVM (skip) or the guest (fail)?  qemu-run's probe boot says.
        local accel
        accel=$(VS_VM_PROBE_TIMEOUT=240 VS_VM_KVM_CPU=qemu64 \
            "$VS_SRC/scripts/qemu-run" --cache "$VS_VM_CACHE" --print-accel 2>&1 | tail -1)
        case $accel in
            *"accel kvm"*) ;;
            *) skip "KVM does not work in the outer guest: ${accel#qemu-run: accel tcg: }" ;;
        esac
        # What libvirt saw of its QEMU (the session daemon's log is the
        # account's), for the one reading this failure.
        fail "$uri $name: its vsock-sshd did not start ($("${virsh[@]}" domstate --reason "$name" 2>&1));" \
            "its output: $(tail -5 "$io/output" 2>/dev/null); console: $(tail -20 "$io/console.log" 2>/dev/null);" \
            "libvirt's log of its QEMU: $(tail -15 "$qlog_of" 2>/dev/null)"
    fi
}
# gone URI NAME IO-DIR [AS-USER]: destroys the domain and waits until its
# QEMU is gone: CI saw L1 freeze while a KVM guest's QEMU was torn down.
gone() {
    local uri=$1 name=$2 virsh=(virsh -q -c "$1")
    [ -z "${4:-}" ] || virsh=(as_user virsh -q -c "$1")
    "${virsh[@]}" destroy "$name" >/dev/null 2>&1 || true
    wait_for "! pgrep -f 'guest=$name,' >/dev/null" 3000 ||
        skip "$uri $name: its QEMU outlived virsh destroy by 300 s (nested KVM under TCG)"
    unfragile
}

# ---- qemu:///system: three domains, stopped --------------------------------------
step "qemu:///system: libvirtd (socket-activated), three domains defined"
expect_eq "libvirtd.socket, enabled by the package" active "$(systemctl is-active libvirtd.socket)"
new_io "$T/sys" root
domain_xml vsshtest "$T/sys" "<vsock model='virtio'><cid auto='no' address='3'/></vsock>" > "$T/vsshtest.xml"
domain_xml vsshauto "$T/sys" "<vsock model='virtio'><cid auto='yes'/></vsock>" > "$T/vsshauto.xml"
domain_xml vsshplain "$T/sys" > "$T/vsshplain.xml"
for d in vsshtest vsshauto vsshplain; do
    virsh -q -c qemu:///system define "$T/$d.xml" >/dev/null 2>"$T/define.err" ||
        fail "virsh define $d: $(cat "$T/define.err"); $(systemctl status libvirtd 2>&1 | tail -5)"
done
step "libvirtd answers: $(virsh -c qemu:///system version --daemon |
    sed -n 's/^Running against daemon: /libvirtd /p; s/^Running hypervisor: //p' | paste -sd ' ')"

# Each known domain without a CID to reach says why; ssh gives up (255)
# before any connection, the proxy's message on its stderr.
user_fails() { # WHAT REGEX HOST
    local rc=0 err
    err=$(ussh "$3" true 2>&1) || rc=$?
    expect_eq "$1: ssh's exit status" 255 "$rc"
    expect_match "$1" "$2" "$err"
}
S=qemu:///system
user_fails "a stopped VM" \
    "^vsock-proxy: VM 'vsshtest' \($S\) is not running: start it first \(virsh -c $S start vsshtest\)$" vm/vsshtest
user_fails "a stopped VM whose CID libvirt assigns at start" \
    "^vsock-proxy: VM 'vsshauto' \($S\) is not running, and libvirt gives it a vsock CID when it starts" qemu/vsshauto
user_fails "a VM without a vsock device" \
    "^vsock-proxy: VM 'vsshplain' \($S\) has no vsock device: add <vsock model='virtio'><cid auto='yes'/></vsock> to its <devices> \(virsh -c $S edit vsshplain\)$" \
    qemu:system/vsshplain
user_fails "an unknown name" \
    "^vsock-proxy: unknown VM name 'vsshnosuch': not in /etc/vsock-ssh/hosts; not under libvirt's $S; cannot ask qemu:///session \(.*\)$" \
    vm/vsshnosuch
expect_eq "session daemons a lookup started" "" "$(session_daemons)"

# ---- qemu:///system: running ----------------------------------------------------
step "qemu:///system: starting vsshtest (CID 3)"
boot $S vsshtest "$T/sys"
step "vsshtest's vsock-sshd listens"
uuid=$(virsh -q -c $S domuuid vsshtest)
id=$(virsh -q -c $S domid vsshtest)
out=$(ussh vm/vsshtest 'id -un; echo "$SSH_CONNECTION"' 2>&1) || fail "ssh vm/vsshtest: $out"
expect_eq "vm/NAME: logged in as" "$TEST_USER" "$(echo "$out" | head -1)"
expect_match "vm/NAME: host (CID 2) to CID 3, from a reserved port" '^2 ([0-9]|[1-9][0-9]{1,2}|10[01][0-9]|102[0-3]) 3 22$' \
    "$(echo "$out" | sed -n 2p)"
libvirt_dropin=/etc/ssh/ssh_config.d/30-libvirt-ssh-proxy.conf
if [ -e "$libvirt_dropin" ]; then
    # libvirt's own proxy then serves the qemu/ forms (its drop-in sorts
    # first), from an ordinary port; ours are checked through vm/ only.
    log "$libvirt_dropin is installed: qemu/ forms are libvirt-ssh-proxy's, not checked"
else
    for h in qemu/vsshtest qemu:system/vsshtest "qemu/$uuid" "qemu/$id"; do
        out=$(ussh "$h" 'echo "$SSH_CONNECTION"' 2>&1) || fail "ssh $h: $out"
        expect_match "ssh $h" '^2 [0-9]+ 3 22$' "$out"
    done
fi
head -c 100000 /dev/urandom > "$T/up"
chmod 644 "$T/up"
as_user scp "${ssh_opts[@]}" "$T/up" "vm%$id:/tmp/up" </dev/null || fail "scp to vm%$id"
expect_eq "scp to vm%ID: the file" "$(sha256sum < "$T/up")" "$(ussh vm/vsshtest 'sha256sum < /tmp/up')"
expect_eq "session daemons a lookup started" "" "$(session_daemons)"
step "qemu:///system checks done; stopping vsshtest"
gone $S vsshtest "$T/sys"
user_fails "vsshtest stopped again" "^vsock-proxy: VM 'vsshtest' \($S\) is not running" qemu/vsshtest

# ---- qemu:///session: the account's own VM ---------------------------------------
step "qemu:///session: the account defines and starts vsshsess (CID 4)"
new_io "$T/sess" "$TEST_USER"
domain_xml vsshsess "$T/sess" "<vsock model='virtio'><cid auto='no' address='4'/></vsock>" > "$T/sess/vsshsess.xml"
U=qemu:///session
as_user virsh -q -c $U define "$T/sess/vsshsess.xml" >/dev/null 2>"$T/define.err" ||
    fail "virsh -c $U define, as $TEST_USER: $(cat "$T/define.err")"
[ -n "$(session_daemons)" ] || fail "virsh started no session libvirtd for $TEST_USER"
boot $U vsshsess "$T/sess" as_user
step "vsshsess's vsock-sshd listens"
out=$(ussh vm/vsshsess 'id -un; echo "$SSH_CONNECTION"' 2>&1) || fail "ssh vm/vsshsess: $out"
expect_eq "a session VM, vm/NAME: logged in as" "$TEST_USER" "$(echo "$out" | head -1)"
expect_match "a session VM, vm/NAME: CID 4, from a reserved port" '^2 ([0-9]|[1-9][0-9]{1,2}|10[01][0-9]|102[0-3]) 4 22$' \
    "$(echo "$out" | sed -n 2p)"
if [ ! -e "$libvirt_dropin" ]; then
    out=$(ussh qemu:session/vsshsess 'echo "$SSH_CONNECTION"' 2>&1) || fail "ssh qemu:session/vsshsess: $out"
    expect_match "ssh qemu:session/vsshsess" '^2 [0-9]+ 4 22$' "$out"
    user_fails "a session VM asked of qemu:///system" \
        "^vsock-proxy: unknown VM name 'vsshsess': not under libvirt's $S$" qemu:system/vsshsess
fi
step "qemu:///session checks done; stopping vsshsess"
gone $U vsshsess "$T/sess" as_user
step "done"
log pass
