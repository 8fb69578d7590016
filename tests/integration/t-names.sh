# VM names in vsock-proxy and the ssh_config drop-in: a names file and
# libvirt domain definitions (fixtures; no libvirtd needed).  AF_VSOCK stays
# closed here: the proxy's refusal names the CID a name resolved to.
. "$(dirname "$0")/lib.sh"
mkdir -p "$T/libvirt/run" "$T/libvirt/etc"
cat > "$T/hosts" <<'HOSTS'
# test VMs
web   42
build 43   # a comment
HOSTS
cat > "$T/libvirt/etc/db.xml" <<'XML'
<!--
WARNING: THIS IS AN AUTO-GENERATED FILE. CHANGES TO IT ARE LIKELY TO BE
OVERWRITTEN AND LOST. Changes to this xml configuration should be made using:
  virsh edit db
-->
<domain type='kvm'>
  <name>db</name>
  <devices>
    <vsock model='virtio'>
      <cid auto='no' address='9'/>
    </vsock>
  </devices>
</domain>
XML
cat > "$T/libvirt/etc/dyn.xml" <<'XML'
<domain type='kvm'>
  <name>dyn</name>
  <devices><vsock model='virtio'><cid auto='yes'/></vsock></devices>
</domain>
XML
export VSOCK_PROXY_HOSTS=$T/hosts
export VSOCK_SSH_LIBVIRT_DIRS=$T/libvirt/run:$T/libvirt/etc

proxy() { rc=0; out=$("$VS_PROXY" "$@" </dev/null 2>&1) || rc=$?; }
proxy web
expect_match "names file" "refusing to open AF_VSOCK to CID 42 port 22" "$out"
proxy vm/build 2222
expect_match "vm/NAME and a port" "CID 43 port 2222" "$out"
proxy vm%db
expect_match "libvirt domain" "CID 9 port 22" "$out"
proxy dyn
expect_eq "auto CID of a stopped domain: exit" 2 "$rc"
expect_match "auto CID of a stopped domain" "start it first" "$out"
# Started, libvirt writes the live state with the assigned CID.
cat > "$T/libvirt/run/dyn.xml" <<'XML'
<domstatus state='running' pid='4242'>
  <domain type='kvm' id='3'>
    <name>dyn</name>
    <devices><vsock model='virtio'><cid auto='yes' address='17'/></vsock></devices>
  </domain>
</domstatus>
XML
proxy dyn
expect_match "running domain's CID" "CID 17 port 22" "$out"
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
log pass
