# scripts/vm's checks: a bad CID is refused, and on a machine without KVM or
# vhost-vsock (this one and CI's) it names what is missing instead of
# booting.  It never opens AF_VSOCK itself before those checks pass.
. "$(dirname "$0")/../lib.sh"
rc=0; err=$("$VS_SRC/scripts/vm" --cid 2 --check 2>&1) || rc=$?
expect_eq "reserved CID refused" 1 "$rc"
expect_match "reserved CID message" "3 or more" "$err"
rc=0; err=$("$VS_SRC/scripts/vm" --cid x 2>&1) || rc=$?
expect_eq "non-numeric CID refused" 1 "$rc"
if [ ! -e /dev/kvm ] || [ ! -e /dev/vhost-vsock ]; then
    rc=0; err=$("$VS_SRC/scripts/vm" --check 2>&1) || rc=$?
    expect_eq "no KVM or vhost-vsock: refused" 1 "$rc"
    [ -e /dev/kvm ] || expect_match "names /dev/kvm" "/dev/kvm" "$err"
    [ -e /dev/vhost-vsock ] || expect_match "names vhost_vsock" "modprobe vhost_vsock" "$err"
    expect_match "points to the demo" "scripts/demo" "$err"
else
    "$VS_SRC/scripts/vm" --check >/dev/null || fail "--check failed with KVM and vhost-vsock present"
fi

# The test guest's accelerator: forced either way, refused when misspelt,
# and on auto never KVM where the CPU shows no vmx/svm (a /dev/kvm that
# QEMU opens but cannot use, as on some machines of CI's kind).
qr=$VS_SRC/scripts/qemu-run
# The users' command and its runner stand on their own: nothing of tests/
# runs when scripts/vm does.
if out=$(grep -nE '\$\{?top\}?/tests/' "$VS_SRC/scripts/vm" "$qr" "$VS_SRC/scripts/lib.sh"); then
    fail "scripts/vm reaches into tests/: $out"
fi
command -v qemu-system-x86_64 >/dev/null || { log "no QEMU here: accelerator choice not checked"; log pass; exit 0; }
accel() { rc=0; out=$(env "$@" "$qr" --cache "$T/vm" --print-accel 2>&1) || rc=$?; }
accel VS_VM_ACCEL=tcg
expect_eq "forced tcg" "qemu-run: accel tcg: VS_VM_ACCEL=tcg" "$out"
accel VS_VM_ACCEL=kvm
expect_eq "forced kvm" "qemu-run: accel kvm: VS_VM_ACCEL=kvm" "$out"
accel VS_VM_ACCEL=fast
expect_eq "bad VS_VM_ACCEL: status" 1 "$rc"
expect_match "bad VS_VM_ACCEL: message" "auto, kvm or tcg" "$out"
accel VS_VM_ACCEL=auto
expect_eq "auto: status" 0 "$rc"
if [ ! -e /dev/kvm ]; then
    expect_eq "auto without /dev/kvm" "qemu-run: accel tcg: no /dev/kvm" "$out"
elif ! grep -Eqw 'vmx|svm' /proc/cpuinfo; then
    expect_match "auto with an unusable /dev/kvm" "accel tcg: .*no vmx/svm" "$out"
else
    expect_match "auto with a CPU that can: probed" "accel (kvm: the probe boot|tcg: .*probe boot)" "$out"
fi
log pass
