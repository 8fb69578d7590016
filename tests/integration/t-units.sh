# The systemd units: systemd-analyze verify accepts them (any warning, an
# unknown key say, fails the test), and they say what the product needs.
# The socket unit's per-connection "vsock-sshd -i" is exercised over a Unix
# socket by t-daemon (inetd.py stands in for Accept=yes).
. "$(dirname "$0")/../lib.sh"
command -v systemd-analyze >/dev/null || skip "systemd-analyze missing"
U=$T/units
mkdir -p "$U"
sbindir=$(dirname "$VS_SSHD")
for u in vsock-sshd.socket vsock-sshd@.service vsock-sshd.service; do
    sed "s#@VS_SBINDIR@#$sbindir#" "$VS_SRC/config/systemd/$u.in" > "$U/$u"
done
rc=0
out=$(cd "$U" && SYSTEMD_LOG_LEVEL=notice systemd-analyze verify --man=no \
      ./vsock-sshd.socket ./vsock-sshd@.service ./vsock-sshd.service 2>&1) || rc=$?
expect_eq "systemd-analyze verify: exit (output: $out)" 0 "$rc"
[ -z "$out" ] || fail "systemd-analyze verify complained: $out"

grep -qx 'ListenStream=vsock::22' "$U/vsock-sshd.socket" || fail "socket: not vsock port 22"
grep -qx 'Accept=yes' "$U/vsock-sshd.socket" || fail "socket: not Accept=yes"
# A connection flood from inside the guest must not trip the trigger limit
# that would put the socket out of service (systemd-analyze verify checks
# the keyword is known).
grep -qx 'TriggerLimitIntervalSec=0' "$U/vsock-sshd.socket" || fail "socket: trigger limit still on"
grep -qx "ExecStart=-$sbindir/vsock-sshd -i" "$U/vsock-sshd@.service" || fail "service@: not -i"
grep -qx 'StandardInput=socket' "$U/vsock-sshd@.service" || fail "service@: stdin not the socket"
for u in vsock-sshd.socket vsock-sshd.service; do
    grep -qx 'ConditionPathExists=/dev/vsock' "$U/$u" || fail "$u: no /dev/vsock condition"
    grep -qx "ExecStartPre=$sbindir/vsock-sshd -t" "$U/$u" || fail "$u: no -t check"
done
# The check they run works on a fresh image: no host key yet is not an error.
cat > "$T/fresh.conf" <<CONF
Listen unix:$T/never.sock
CONF
out=$("$VS_SSHD" -t -f "$T/fresh.conf" 2>&1) || fail "vsock-sshd -t on a fresh image: $out"
log pass
