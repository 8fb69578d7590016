# Logins into containers inside the guest (docs/containers.md), with real
# runtimes, over real vsock.  Runs only as the command of
#   scripts/qemu-run --systemd -- ... bash tests/vm/guest-containers.sh
# where this machine's systemd is PID 1 of a TCG guest, with machined,
# Podman (rootful, systemd cgroup manager) and LXC from this machine.
#
# One container root (busybox, rsync, its own os-release, passwd, group and
# shadow), run in turn as "penguin" by systemd-nspawn (registered with
# systemd-machined), Podman and LXC, the last two under their AppArmor
# profiles and all three under their seccomp filters.  For each, stock ssh,
# scp, sftp and rsync as USER+penguin through vsock-proxy over vsock
# loopback (CID 1): the seed's pipe examples, exit status, stdout and
# stderr apart, a PTY, hang-up, the container's accounts and groups, -W and
# -L to a server listening only in the container's network namespace, agent
# forwarding; the session's cgroup, namespaces, capabilities, seccomp
# filters, no_new_privs and AppArmor label those of the container's leader
# (and of "podman exec"); refusals of an unknown name, a stopped container, a
# locked account and a Match rule.
if ! grep -qw vsock_ssh_systemd=1 /proc/cmdline 2>/dev/null || [ "$(cat /proc/1/comm)" != systemd ]; then
    echo "guest-containers.sh: refusing to run: not PID 1 systemd in the test VM (scripts/qemu-run --systemd)" >&2
    exit 1
fi
. "$VS_SRC/tests/lib.sh" # no novsock filter in the guest: real vsock here, and only here
PATH=$PATH:/usr/sbin:/sbin
t0=$(date +%s)
step() { log "[$(($(date +%s) - t0)) s] $*"; }
PORT=2222
C=penguin

if [ -d /run/vmio ]; then
    ( while :; do echo >> /run/vmio/heartbeat; sleep 5; done ) </dev/null >/dev/null 2>&1 &
fi

for tool in systemd-nspawn machinectl podman lxc-start rsync busybox apparmor_parser; do
    command -v $tool >/dev/null ||
        skip "$tool is not installed (systemd-container, podman, lxc, rsync, busybox-static, apparmor: scripts/deps test)"
done
[ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ] || fail "the guest's cgroup hierarchy is not v2"

# ---- the container's root -------------------------------------------------------
step "making the container root"
R=$T/rootfs
mkdir -p "$R"/{bin,etc,root,home/pat,home/locked,home/alice,tmp,proc,sys,dev,run,usr/bin,var}
chmod 1777 "$R/tmp"
cp /bin/busybox "$R/bin/busybox"
chroot "$R" /bin/busybox --install -s /bin
cp /usr/bin/rsync "$R/usr/bin/rsync"
for lib in $(ldd /usr/bin/rsync | grep -o '/[^ ]*'); do
    mkdir -p "$R$(dirname "$lib")"
    cp -L "$lib" "$R$lib"
done
cat > "$R/etc/os-release" <<'EOF'
NAME="penguin test container"
ID=penguin-test
EOF
cat > "$R/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
pat:x:1000:1000:Pat:/home/pat:/bin/sh
locked:x:1001:1001::/home/locked:/bin/sh
alice:x:1002:1002::/home/alice:/bin/sh
EOF
cat > "$R/etc/group" <<'EOF'
root:x:0:
pat:x:1000:
locked:x:1001:
alice:x:1002:
crew:x:2000:pat
EOF
cat > "$R/etc/shadow" <<'EOF'
root:*:19000:0:99999:7:::
pat:*:19000:0:99999:7:::
locked:!:19000:0:99999:7:::
alice:*:19000:0:99999:7:::
EOF
chmod 600 "$R/etc/shadow"
echo /bin/sh > "$R/etc/shells"
echo penguin > "$R/etc/hostname"
chown 1000:1000 "$R/home/pat"
chown 1001:1001 "$R/home/locked"
chown 1002:1002 "$R/home/alice"
# Nothing of this name may be in the guest: what a session sees of it is
# the container's.
echo "in the container" > "$R/etc/only-in-container"
# A file from the host for the seed's examples (binary, every byte value).
head -c 300000 /dev/urandom > "$T/foo"

# ---- the server and the client ---------------------------------------------------
start_vsock_server() {
    stop_server
    : > "$LOG"
    { echo "HostKey $T/key"; echo "Listen vsock:${LISTEN_PORT:-$PORT}"; echo "AllowPeers 1"
      for l in "$@"; do echo "$l"; done; } > "$T/sshd_config"
    "$VS_SSHD" -D -e -o LogLevel=VERBOSE -f "$T/sshd_config" 2>>"$LOG" &
    SERVER_PID=$!
    wait_for "grep -q 'listening on vsock' '$LOG' || ! kill -0 $SERVER_PID 2>/dev/null" 200 ||
        fail "server did not start"
    kill -0 "$SERVER_PID" 2>/dev/null || fail "server exited at start"
}
write_ssh_config "1 $PORT" 60
csh() { ssh -F "$T/ssh_config" "$@"; }
# The refusal's banner line is at LogLevel INFO.
refused() { # LOGIN EXPECTED-REGEX
    local rc=0 err
    err=$(ssh -F "$T/ssh_config" -o LogLevel=INFO -l "$1" relay true 2>&1 </dev/null) || rc=$?
    expect_eq "$1: refused" 255 "$rc"
    expect_match "$1: told why" "$2" "$err"
}

# ---- the runtimes ----------------------------------------------------------------
mkdir -p /etc/containers
cat > /etc/containers/storage.conf <<'EOF'
[storage]
driver = "vfs"
runroot = "/run/containers/storage"
graphroot = "/var/lib/containers/storage"
EOF
# This guest boots without apparmor.service (scripts/qemu-init): LXC's
# profile is loaded here; Podman loads its own.
apparmor_parser -r /etc/apparmor.d/lxc-containers || fail "loading LXC's AppArmor profile"

start_nspawn() {
    systemd-nspawn -q -D "$R" -M "$C" --private-network --resolv-conf=off --timezone=off \
        --link-journal=no --console=passive /bin/busybox sleep 100000 </dev/null >"$T/nspawn.log" 2>&1 &
    wait_for "[ -e /run/systemd/machines/$C ]" 300 || fail "nspawn: not registered: $(cat "$T/nspawn.log")"
    # Registered before the payload runs: until then a login is refused as
    # still starting (the leader has neither its capabilities nor its
    # seccomp filters yet).
    local l; l=$(sed -n 's/^LEADER=//p' "/run/systemd/machines/$C")
    wait_for "[ \"\$(cat /proc/$l/comm)\" = busybox ]" 300 || fail "nspawn: the payload did not start"
}
stop_nspawn() { machinectl terminate "$C"; wait_for "[ ! -e /run/systemd/machines/$C ]" 300; }
# The same with a user namespace of its own (-U: a range picked, a copy of
# the root chowned to it): the guest's root is not mapped in it.
start_nspawnu() {
    [ -d "$T/rootfs-u" ] || cp -a "$R" "$T/rootfs-u"
    systemd-nspawn -q -U -D "$T/rootfs-u" -M "$C" --private-network --resolv-conf=off --timezone=off \
        --link-journal=no --console=passive /bin/busybox sleep 100000 </dev/null >"$T/nspawn.log" 2>&1 &
    wait_for "[ -e /run/systemd/machines/$C ]" 300 || fail "nspawn -U: not registered: $(cat "$T/nspawn.log")"
    local l; l=$(sed -n 's/^LEADER=//p' "/run/systemd/machines/$C")
    wait_for "[ \"\$(cat /proc/$l/comm)\" = busybox ]" 300 || fail "nspawn -U: the payload did not start"
    [ "$(awk '{print $2}' "/proc/$l/uid_map")" != 0 ] || fail "nspawn -U: no user namespace of its own"
}
stop_nspawnu() { stop_nspawn; }
start_podman() {
    if ! podman image exists penguin-img; then
        tar -C "$R" -cf "$T/rootfs.tar" . && podman import -q "$T/rootfs.tar" penguin-img >/dev/null ||
            fail "podman import"
    fi
    if podman container exists "$C"; then
        podman start "$C" >/dev/null 2>"$T/podman.log" || fail "podman start: $(cat "$T/podman.log")"
    else
        podman run -d --name "$C" --hostname "$C" --network none penguin-img /bin/busybox sleep 100000 \
            >/dev/null 2>"$T/podman.log" || fail "podman run: $(cat "$T/podman.log")"
    fi
}
stop_podman() { podman stop -t 0 "$C" >/dev/null; }
start_lxc() {
    mkdir -p "/var/lib/lxc/$C"
    cat > "/var/lib/lxc/$C/config" <<EOF
lxc.include = /usr/share/lxc/config/common.conf
lxc.rootfs.path = dir:$R
lxc.uts.name = $C
lxc.net.0.type = empty
lxc.apparmor.profile = lxc-container-default-cgns
lxc.init.cmd = /bin/busybox sleep 100000
EOF
    lxc-start -n "$C" -d -l ERROR -o "$T/lxc.log" || fail "lxc-start: $(cat "$T/lxc.log")"
    wait_for "lxc-info -n $C -s -H | grep -q RUNNING" 300 || fail "lxc: not running"
    # Its init is no init: the loopback it would bring up, as nspawn and
    # Podman do themselves.
    lxc-attach -n "$C" -- /bin/ip link set lo up || fail "lxc: lo up"
}
stop_lxc() { lxc-stop -n "$C" -k; }
# Until something listens on TCP port $2 (IPv4 or IPv6: busybox's nc binds
# "::" where it can) in the network namespace of process $1 (nc started through a session: its login
# takes seconds under TCG).
wait_listen() {
    local hex; hex=$(printf '%04X' "$2")
    wait_for "cat /proc/$1/net/tcp /proc/$1/net/tcp6 2>/dev/null | grep -q ':$hex [0-9A-F]*:0000 0A'" 300 ||
        fail "nothing listens on port $2 in the container"
}
leader_of() {
    case $1 in
        nspawn*) sed -n 's/^LEADER=//p' "/run/systemd/machines/$C" ;;
        podman) podman container inspect --format '{{.State.Pid}}' "$C" ;;
        lxc) lxc-info -n "$C" -p -H ;;
    esac
}

# What a process's confinement is, from outside (the guest's /proc): its
# namespaces, cgroup (the unified hierarchy: nspawn adds a named one without
# controllers, for a payload that is not systemd), capabilities, seccomp,
# no_new_privs, AppArmor label.
confinement() { # PID
    local n
    for n in user mnt pid net ipc uts cgroup; do echo "$n $(readlink "/proc/$1/ns/$n")"; done
    grep '^0::' "/proc/$1/cgroup"
    grep -E '^(CapBnd|CapEff|CapPrm|CapAmb|NoNewPrivs|Seccomp|Seccomp_filters):' "/proc/$1/status"
    echo "label $(cat "/proc/$1/attr/current" 2>/dev/null)"
}

# ---- the suite, for one runtime ----------------------------------------------
suite() {
    local rt=$1 leader rc out
    step "$rt: starting $C"
    start_$rt
    leader=$(leader_of "$rt")
    [ -n "$leader" ] && [ -d "/proc/$leader" ] || fail "$rt: no leader"
    step "$rt: leader $leader, $(grep -E '^Seccomp_filters' "/proc/$leader/status" | tr '\t' ' '), label $(cat "/proc/$leader/attr/current" 2>/dev/null)"

    # The seed's examples: a file piped in and out, then scp, sftp, rsync.
    csh -l root+$C relay 'cat > /bar' < "$T/foo" || fail "$rt: cat > /bar"
    cmp "$T/foo" "/proc/$leader/root/bar" || fail "$rt: /bar in the container differs"
    [ ! -e /bar ] || fail "$rt: /bar was written in the guest"
    csh -l root+$C relay cat /bar > "$T/bar" || fail "$rt: cat /bar"
    cmp "$T/foo" "$T/bar" || fail "$rt: cat /bar differs"
    for m in relay fdpass; do
        rm -f "$T/back"
        scp -q -F "$T/ssh_config" "$T/foo" "root+$C@$m:/scp-$m" || fail "$rt: scp to ($m)"
        cmp "$T/foo" "/proc/$leader/root/scp-$m" || fail "$rt: scp to ($m): differs"
        scp -q -F "$T/ssh_config" "root+$C@$m:/scp-$m" "$T/back" || fail "$rt: scp from ($m)"
        cmp "$T/foo" "$T/back" || fail "$rt: scp from ($m): differs"
    done
    printf 'put %s /home/pat/sftp\nget /home/pat/sftp %s\n' "$T/foo" "$T/sftp-back" > "$T/batch"
    sftp -q -F "$T/ssh_config" -b "$T/batch" "pat+$C@relay" >/dev/null || fail "$rt: sftp"
    cmp "$T/foo" "/proc/$leader/root/home/pat/sftp" || fail "$rt: sftp put: differs"
    cmp "$T/foo" "$T/sftp-back" || fail "$rt: sftp get: differs"
    rsync -e "ssh -F $T/ssh_config" "$T/foo" "root+$C@relay:/rsync" || fail "$rt: rsync to"
    cmp "$T/foo" "/proc/$leader/root/rsync" || fail "$rt: rsync to: differs"
    rsync -e "ssh -F $T/ssh_config" "root+$C@relay:/rsync" "$T/rsync-back" || fail "$rt: rsync from"
    cmp "$T/foo" "$T/rsync-back" || fail "$rt: rsync from: differs"

    # Its own files, processes, name and accounts.
    out=$(csh -l root+$C relay 'cat /etc/only-in-container; . /etc/os-release; echo $ID; hostname; cat /proc/1/cmdline | tr "\0" " "; echo; ls /proc | grep -c "^[0-9]"' </dev/null)
    expect_match "$rt: the container's files" "in the container" "$out"
    expect_match "$rt: the container's os-release" "penguin-test" "$out"
    expect_match "$rt: the container's PID 1" "busybox sleep 100000|sleep 100000" "$out"
    nprocs=$(echo "$out" | tail -1)
    [ "$nprocs" -lt 20 ] || fail "$rt: the session sees $nprocs processes: the guest's?"
    out=$(csh -l pat+$C relay 'id -u; id -G; pwd; echo $HOME $USER $SHELL' </dev/null)
    expect_eq "$rt: pat's account" "1000
1000 2000
/home/pat
/home/pat pat /bin/sh" "$out"

    # Exit status, stdout and stderr apart, stdin's end.
    rc=0; out=$(csh -l root+$C relay 'echo out; echo err >&2; exit 7' 2>"$T/err" </dev/null) || rc=$?
    expect_eq "$rt: exit status" 7 "$rc"
    expect_eq "$rt: stdout" out "$out"
    expect_eq "$rt: stderr" err "$(cat "$T/err")"
    out=$(printf 'a\nb\n' | csh -l root+$C relay 'wc -l')
    expect_eq "$rt: stdin reaches the end" 2 "$(echo $out)"
    # The environment AcceptEnv allows (LANG, LC_*), and no other.
    out=$(LANG=C.UTF-8 VS_NOT_ACCEPTED=x csh -o SendEnv=LANG -o SendEnv=VS_NOT_ACCEPTED \
          -l pat+$C relay 'echo "$LANG/${VS_NOT_ACCEPTED-unset}"' </dev/null)
    expect_eq "$rt: AcceptEnv" "C.UTF-8/unset" "$out"

    # A PTY: the container's terminal, TERM, a window size.
    out=$(TERM=vt220 python3 "$VS_SRC/tests/integration/ptydrive.py" 33 101 \
          'expect:ready;;resize:40,120;;send:\n;;expect:40 120' -- \
          ssh -F "$T/ssh_config" -tt -l root+$C relay 'tty; echo $TERM; stty size; echo ready; read x; stty size' 2>&1 </dev/null) ||
        fail "$rt: the PTY session: $out"
    expect_match "$rt: a PTY" "/dev/pts/[0-9]+" "$out"
    expect_match "$rt: TERM" "vt220" "$out"
    expect_match "$rt: window size" "33 101" "$out"
    expect_match "$rt: resized" "40 120" "$out"

    # The session's confinement is the leader's: compare from outside.
    csh -l root+$C relay 'exec sleep 1234' </dev/null &
    local client=$! sp=
    wait_for "pgrep -f '^sleep 1234' >/dev/null" 100 || fail "$rt: no session"
    sp=$(pgrep -f '^sleep 1234' | head -1)
    confinement "$leader" > "$T/conf.leader"
    confinement "$sp" > "$T/conf.session"
    diff "$T/conf.leader" "$T/conf.session" >&2 ||
        fail "$rt: the session's confinement is not the leader's"
    # Inheritable capabilities: none (nspawn gives its payload all of its
    # bounding set; an exec from it as root gets no more without them).
    grep -q '^CapInh:[[:space:]]*0000000000000000$' "/proc/$sp/status" ||
        fail "$rt: the session has inheritable capabilities: $(grep CapInh "/proc/$sp/status")"
    case $rt in nspawn*) ;; *)
        ! grep -q "^label unconfined" "$T/conf.session" || fail "$rt: the session is unconfined" ;;
    esac
    # Its ids as the guest sees them: the container's, mapped.
    expect_eq "$rt: the session's uid, seen from the guest" \
        "$(awk '$1 == 0 {print $2}' "/proc/$leader/uid_map")" \
        "$(awk '/^Uid:/ {print $2}' "/proc/$sp/status")"
    # The connection's own process (the session's parent, which never
    # execs: the exec's recomputing of capabilities hides nothing there):
    # the container's root with exactly its bounding set, nothing
    # inheritable or ambient, the guest's view of uid 0 in it.
    local cp; cp=$(awk '/^PPid:/ {print $2}' "/proc/$sp/status")
    expect_eq "$rt: the connection's capabilities" \
        "$(awk '/^CapBnd:/ {b=$2} END {print "CapInh:0000000000000000 CapPrm:" b " CapEff:" b " CapAmb:0000000000000000"}' "/proc/$leader/status")" \
        "$(awk '/^Cap(Inh|Prm|Eff|Amb):/ {printf "%s%s%s", (n++ ? " " : ""), $1, $2}' "/proc/$cp/status")"
    kill "$sp"; wait "$client" 2>/dev/null || true
    csh -l pat+$C relay 'exec sleep 1236' </dev/null &
    client=$!
    wait_for "pgrep -f '^sleep 1236' >/dev/null" 100 || fail "$rt: no session of pat"
    sp=$(pgrep -f '^sleep 1236' | head -1)
    cp=$(awk '/^PPid:/ {print $2}' "/proc/$sp/status")
    expect_eq "$rt: pat's connection: no capabilities, the mapped uid 1000" \
        "CapInh:0000000000000000 CapPrm:0000000000000000 CapEff:0000000000000000 CapAmb:0000000000000000 Uid:$(awk '$1 == 0 {print $2 + 1000}' "/proc/$leader/uid_map")" \
        "$(awk '/^Cap(Inh|Prm|Eff|Amb):/ {printf "%s%s ", $1, $2} /^Uid:/ {u=$2} END {print "Uid:" u}' "/proc/$cp/status")"
    kill "$sp"; wait "$client" 2>/dev/null || true
    if [ "$rt" = podman ]; then
        # And it is what "podman exec" gives.
        podman exec "$C" sleep 1235 &
        local pe=$!
        wait_for "pgrep -f '^sleep 1235' >/dev/null" 100 || fail "podman exec did not start"
        confinement "$(pgrep -f '^sleep 1235' | head -1)" > "$T/conf.exec"
        kill "$(pgrep -f '^sleep 1235')"; wait $pe 2>/dev/null || true
        diff <(grep -v '^0::' "$T/conf.exec") <(grep -v '^0::' "$T/conf.session") >&2 ||
            fail "podman: the session's confinement is not podman exec's"
    fi
    # A non-root session has no capabilities.
    out=$(csh -l pat+$C relay 'grep -E "^Cap(Eff|Prm):" /proc/self/status' </dev/null)
    expect_eq "$rt: pat has no capabilities" "CapPrm:	0000000000000000
CapEff:	0000000000000000" "$out"

    # Hang-up: the client (and its proxy, which waits for the server's half
    # of the connection) dies; the container's command is hung up.
    csh -l root+$C relay 'exec sleep 4321' </dev/null &
    client=$!
    wait_for "pgrep -f '^sleep 4321' >/dev/null" 200 || fail "$rt: hang-up session did not start"
    kill -KILL "$client"; wait "$client" 2>/dev/null || true
    pkill -KILL -f "^$VS_PROXY 1 $PORT" || true
    wait_for "! pgrep -f '^sleep 4321' >/dev/null" 100 || fail "$rt: the session was not hung up"
    wait_for "grep -q \"exec 'exec sleep 4321': signal HUP\" '$LOG'" 50 ||
        fail "$rt: the command did not die of SIGHUP: $(grep 'sleep 4321' "$LOG" | tail -2)"

    # Forwarding from the container's network namespace: a server listening
    # there only (the guest's 127.0.0.1:7000 has nothing).
    csh -l root+$C relay 'nc -l -p 7000 -e echo from-the-container' </dev/null &
    local srv=$!
    wait_listen "$leader" 7000
    out=$(csh -l root+$C -W 127.0.0.1:7000 relay </dev/null 2>&1 || true)
    expect_match "$rt: ssh -W in the container's network" "from-the-container" "$out"
    wait "$srv" 2>/dev/null || true
    csh -l root+$C relay 'nc -l -p 7000 -e echo via-L' </dev/null &
    srv=$!
    wait_listen "$leader" 7000
    csh -l root+$C -f -N -o ExitOnForwardFailure=yes -L 17000:127.0.0.1:7000 relay </dev/null ||
        fail "$rt: ssh -L"
    out=$(busybox nc 127.0.0.1 17000 </dev/null || true)
    expect_match "$rt: ssh -L" "via-L" "$out"
    pkill -f -- "-L 17000:127.0.0.1:7000" || true
    wait "$srv" 2>/dev/null || true

    # Agent forwarding: the socket is in the container, not the guest.
    out=$(csh -A -o ForwardAgent=yes -l pat+$C relay 'echo $SSH_AUTH_SOCK; test -S "$SSH_AUTH_SOCK" && echo socket' </dev/null)
    sock=$(echo "$out" | head -1)
    expect_match "$rt: agent socket" "socket" "$out"

    # The log names the container.
    grep -q "accepted user root in container $C (${rt%u}, leader $leader)" "$LOG" ||
        fail "$rt: the log does not name the container: $(grep accepted "$LOG" | tail -2)"
    # Refusals: a locked account, a Match rule (below), then stopped.
    refused "locked+$C" "locked"
    step "$rt: stopping $C"
    stop_$rt
    refused "root+$C" "container $C .*is not running|no such container $C"
}

# An agent for the forwarding checks.
eval "$(ssh-agent -s)" >/dev/null
ssh-keygen -q -t ed25519 -N '' -f "$T/agentkey" && ssh-add -q "$T/agentkey" 2>/dev/null

start_vsock_server
refused "root+nosuch" "no such container nosuch"
refused "root+bad/name" "not a container name"
refused "root+a+b" "at most one"

for rt in nspawn nspawnu podman lxc; do
    suite $rt
done
[ "$(stat -c %s "$T/foo")" = 300000 ] || fail "the source file changed"

# The examples of README.md, vsock-sshd(8) and docs/containers.md as
# printed, with the guest's CID 1 for the host's 3 (port 22), through the
# build's ssh_config drop-in as the packages install it.
step "the documents' examples"
start_podman
LISTEN_PORT=22 start_vsock_server
cp "${VS_DROPIN:?set by ctest}" "$T/dropin.conf"
{ echo "Include $T/dropin.conf"; echo "Host *"; echo "	StrictHostKeyChecking no"
  echo "	UserKnownHostsFile /dev/null"; echo "	LogLevel ERROR"; echo "	BatchMode yes"; } > "$T/ex_config"
cd "$T"
mkdir -p dir && cp foo dir/
cat foo | ssh -F "$T/ex_config" root+penguin@vsock%1 'cat > /bar' || fail "example: cat > /bar"
ssh -F "$T/ex_config" root+penguin@vsock%1 cat /bar > bar || fail "example: cat /bar"
cmp foo bar || fail "example: /bar differs"
scp -F "$T/ex_config" foo root+penguin@vsock%1:/tmp/ || fail "example: scp to /tmp/"
scp -F "$T/ex_config" foo alice+penguin@vsock%1: || fail "example: scp to alice's home"
leader=$(leader_of podman)
cmp foo "/proc/$leader/root/tmp/foo" && cmp foo "/proc/$leader/root/home/alice/foo" ||
    fail "example: scp's copies differ"
echo 'get foo foo-sftp' | sftp -q -F "$T/ex_config" -b - alice+penguin@vsock%1 >/dev/null ||
    fail "example: sftp"
cmp foo foo-sftp || fail "example: sftp's copy differs"
rsync -a -e "ssh -F $T/ex_config" dir/ alice+penguin@vsock%1:dir/ || fail "example: rsync -a"
cmp foo "/proc/$leader/root/home/alice/dir/foo" || fail "example: rsync's copy differs"
ssh -F "$T/ex_config" root+penguin@vsock%1 'nc -l -p 8080 -e echo via-8080' </dev/null &
srv=$!
wait_listen "$leader" 8080
ssh -F "$T/ex_config" -f -N -o ExitOnForwardFailure=yes -L 8080:127.0.0.1:8080 alice+penguin@vsock%1 \
    </dev/null || fail "example: ssh -L 8080"
out=$(busybox nc 127.0.0.1 8080 </dev/null || true)
expect_match "example: ssh -L 8080" "via-8080" "$out"
pkill -f -- "-L 8080:127.0.0.1:8080" || true
wait "$srv" 2>/dev/null || true
cd /
stop_podman

# Policy: Match Container, DenyUsers by USER+CONTAINER, -T -C.
step "policy"
start_podman
start_vsock_server "Match Container $C User pat+*" "PermitTTY no" "DenyUsers pat+$C"
rc=0; csh -l pat+$C relay true </dev/null 2>/dev/null || rc=$?
expect_eq "DenyUsers pat+$C in Match Container: refused" 255 "$rc"
wait_for "grep -q 'refused user pat+$C: user listed in DenyUsers' '$LOG'" 50 ||
    fail "DenyUsers pat+$C: the refusal is not logged: $(tail -3 "$LOG")"
csh -l root+$C relay true </dev/null || fail "root+$C refused under a rule for pat"
out=$("$VS_SSHD" -T -f "$T/sshd_config" -C "user=pat+$C,peer=1" 2>&1)
expect_match "-T -C names the container" "# container: $C \(podman, leader [0-9]+\)" "$out"
expect_match "-T -C says pat is refused" "# user: refused: user listed in DenyUsers" "$out"
expect_match "-T -C: Match Container applied" "permittty no" "$out"
out=$("$VS_SSHD" -T -f "$T/sshd_config" -C "user=root+$C,peer=1" 2>&1)
expect_match "-T -C says root is allowed" "# user: allowed" "$out"
# AllowUsers pat, written for the guest's pat, admits no container's pat.
start_vsock_server "AllowUsers root pat"
rc=0; csh -l pat+$C relay true </dev/null 2>/dev/null || rc=$?
expect_eq "AllowUsers pat: pat+$C refused" 255 "$rc"
wait_for "grep -q 'refused user pat+$C: user not listed in AllowUsers' '$LOG'" 50 ||
    fail "AllowUsers pat: the refusal is not logged: $(tail -3 "$LOG")"
start_vsock_server "AllowUsers root pat+*"
csh -l pat+$C relay true </dev/null || fail "AllowUsers pat+*: pat+$C refused"
# A hostile leader: its seccomp filter (tests/vm/fakedrop.c) makes the
# drop's calls report success without doing them.  In its own user
# namespace the guest's root reads as uid 65534 there, which is nobody's:
# only the monitor's check from outside sees the process is still the
# guest's root, and kills it.
step "a hostile leader"
cp -a "$R" "$T/rootfs-evil"
echo 'nobody:x:65534:65534::/:/bin/sh' >> "$T/rootfs-evil/etc/passwd"
echo 'nogroup:x:65534:' >> "$T/rootfs-evil/etc/group"
gcc -static -O2 -o "$T/rootfs-evil/fakedrop" "$VS_SRC/tests/vm/fakedrop.c" || fail "building fakedrop"
systemd-nspawn -q -U -D "$T/rootfs-evil" -M evil --private-network --resolv-conf=off --timezone=off \
    --link-journal=no --console=passive /fakedrop </dev/null >"$T/evil.log" 2>&1 &
wait_for "[ -e /run/systemd/machines/evil ]" 300 || fail "evil: not registered: $(cat "$T/evil.log")"
el=$(sed -n 's/^LEADER=//p' /run/systemd/machines/evil)
wait_for "grep -q '^Seccomp_filters:.*[1-9]' /proc/$el/status && [ \"\$(cat /proc/$el/comm)\" = fakedrop ]" 300 ||
    fail "evil: the filter is not installed"
start_vsock_server
rc=0; out=$(csh -l nobody+evil relay 'id -u; cat /proc/self/status' </dev/null 2>&1) || rc=$?
expect_eq "a hostile leader: the login fails" 255 "$rc"
wait_for "grep -q 'is not what entering the container must leave: killed' '$LOG'" 50 ||
    fail "a hostile leader: the monitor did not kill the connection: $(tail -5 "$LOG")"
if grep -q "accepted user nobody in container evil" "$LOG"; then
    fail "a hostile leader: the login was accepted"
fi
machinectl terminate evil
start_vsock_server "ContainerRuntimes none"
refused "root+$C" "container logins are off"
stop_podman
ssh-agent -k >/dev/null
step "done"
