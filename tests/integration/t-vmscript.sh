# scripts/vm's checks: a bad CID is refused, and on a machine without KVM or
# vhost-vsock (this one and CI's) it names what is missing instead of
# booting.  It never opens AF_VSOCK itself before those checks pass.
. "$(dirname "$0")/lib.sh"
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
log pass
