# USER+CONTAINER logins refused before any container is entered, with the
# reason told to the client and logged: a malformed name, an unknown
# container, container logins turned off; -T -C on such names.  The logins
# into real containers (nspawn, Podman, LXC) are vm/containers'.
. "$(dirname "$0")/../lib.sh"
# Only machined's records are asked here (none on this machine): no
# runtime's tool runs on the machine the tests run on.
write_config "ContainerRuntimes nspawn" "LogLevel VERBOSE"
start_server

refused() { # LOGIN EXPECTED-REGEX [what the log says]
    local rc=0 err
    err=$(vssh -o LogLevel=INFO -l "$1" relay true 2>&1 </dev/null) || rc=$?
    expect_eq "$1: refused" 255 "$rc"
    expect_match "$1: the client is told why" "vsock-sshd: user .* refused: $2" "$err"
    wait_for "grep -qF 'refused user $(printf %s "$1" | tr -c '[:print:]' '?')' '$LOG'" 50 ||
        fail "$1: the refusal is not logged: $(tail -3 "$LOG")"
}

m=vs-no-such-machine-$$
refused "root+$m" "no such container $m"
refused "$LOGIN+$m" "no such container $m"
refused "root+bad/name" "not a container name"
refused "root+.hidden" "not a container name"
refused "root+a+b" "a login name has at most one '\+'"
refused "+$m" "USER\+CONTAINER needs a user before"
refused "root+" "not a container name"
refused "root+pen guin" "not a container name"
# An image of machined's without a machine is "not running"; that needs
# /var/lib/machines, which this test does not touch: vm/containers has it.

# A guest login is unchanged: an account's name never holds '+'.
out=$(vssh relay 'echo $USER' </dev/null)
expect_eq "a guest login" "$LOGIN" "$out"

# ContainerRuntimes none: container logins off, said so.
stop_server
write_config "ContainerRuntimes none"
start_server
refused "root+$m" "container logins are off"

# -T -C: a USER+CONTAINER name is looked up as a login would be.
rc=0; out=$("$VS_SSHD" -T -f "$T/sshd_config" -C "user=root+$m" 2>&1) || rc=$?
expect_eq "-T -C, unknown container: status" 1 "$rc"
expect_match "-T -C, unknown container" "container logins are off" "$out"
write_config "ContainerRuntimes nspawn" "Match Container penguin" "PermitTTY no"
rc=0; out=$("$VS_SSHD" -T -f "$T/sshd_config" -C "user=root+$m" 2>&1) || rc=$?
expect_match "-T -C, unknown container" "no such container $m" "$out"
rc=0; out=$("$VS_SSHD" -T -f "$T/sshd_config" -C "user=root+a/b" 2>&1) || rc=$?
expect_eq "-T -C, bad name: status" 1 "$rc"
expect_match "-T -C, bad name" "not a container name" "$out"
out=$("$VS_SSHD" -T -f "$T/sshd_config" -C "user=root" 2>&1)
expect_match "-T -C, the guest's root: allowed" "# user: allowed" "$out"
expect_match "-T -C, the guest's root: no Container match" "permittty yes" "$out"
rc=0; "$VS_SSHD" -t -o "ContainerRuntimes docker" -f "$T/sshd_config" 2>"$T/err" || rc=$?
expect_eq "ContainerRuntimes docker: a configuration error" 1 "$rc"
expect_match "ContainerRuntimes docker: says what is expected" "expected nspawn, podman, lxc, or none" "$(cat "$T/err")"
