# vsock-proxy: target syntax, its error cases (one clear line, non-zero exit),
# hybrid vsock against a fake muxer (success, refusal, early close, garbage,
# timeout), in relay and fd-passing modes.
. "$(dirname "$0")/../lib.sh"
start_server

proxy_fails() { # what expected-message-regex proxy-args...
    local what=$1 re=$2 rc=0 err
    shift 2
    err=$(timeout 20 "$VS_PROXY" "$@" </dev/null 2>&1 >/dev/null) || rc=$?
    [ $rc -ne 0 ] && [ $rc -ne 124 ] || fail "$what: exit status $rc"
    expect_eq "$what: one line" 1 "$(printf '%s\n' "$err" | wc -l)"
    expect_match "$what" "$re" "$err"
}

# Syntax errors are found before any socket exists (so also without the
# tests' AF_VSOCK filter they would not reach the kernel).
usage_fails() { # what args...: usage on stderr, exit 2
    local what=$1 rc=0 err
    shift
    err=$("$VS_PROXY" "$@" </dev/null 2>&1 >/dev/null) || rc=$?
    expect_eq "$what: exit status" 2 "$rc"
    expect_match "$what: usage" 'usage: vsock-proxy' "$err"
}
usage_fails "no target"
usage_fails "bad option" --bogus 3
usage_fails "too many arguments" 3 22 33
proxy_fails "bad CID" "vsock-proxy: 'vsock/abc': expected CID" vsock/abc
proxy_fails "bad port" 'vsock-proxy: .*port' 3 notaport
proxy_fails "port out of range" 'vsock-proxy: .*port' vsock/3 4294967296
proxy_fails "unknown scheme" 'vsock-proxy: .*expected CID' tcp/1.2.3.4
proxy_fails "empty unix path" 'empty socket path' unix/
proxy_fails "overlong unix path" 'socket path too long' "unix/$(head -c 200 /dev/zero | tr '\0' a)"
proxy_fails "bad timeout" 'vsock-proxy: .*timeout' --timeout -1 unix"$SOCK"
expect_match "--help" 'vsock-mux' "$("$VS_PROXY" --help)"
expect_match "--version" '^vsock-proxy [0-9]' "$("$VS_PROXY" --version)"

# What a kernel without vsock gives (here the tests' filter, tests/lib.sh):
# the target named, and what to load.
proxy_fails "no AF_VSOCK" 'cannot connect to CID 3 port 22: this kernel has no vsock support \(on a host load vhost_vsock' vsock/3 22

# Unix targets that do not answer.
proxy_fails "no such socket" 'no such socket' unix/nonexistent/sock
python3 -c "import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])" "$T/dead"
proxy_fails "nothing listening" 'nothing is listening on' unix"$T/dead"
: > "$T/plain"
proxy_fails "not a socket" 'is not a socket' unix"$T/plain"

# Hybrid vsock.
mux() { # mode -> starts a fake muxer at $T/mux.<mode>
    python3 "$VS_SRC/tests/integration/fakemux.py" "$1" "$T/mux.$1" "$SOCK" &
    wait_for "[ -S '$T/mux.$1' ]" 100 || fail "fake muxer $1 did not start"
}
for mode in ok refuse garbage silent early escape; do mux $mode; done
cat >> "$T/ssh_config" <<CONF
Host mux-relay
	ProxyCommand $VS_PROXY vsock-mux$T/mux.ok 2222
Host mux-fdpass
	ProxyCommand $VS_PROXY --fdpass vsock-mux%%$T/mux.ok 2222
	ProxyUseFdpass yes
CONF
for h in mux-relay mux-fdpass; do
    expect_eq "$h: command" "hello 5" "$(echo hello | vssh $h 'echo "$(cat) $(($(echo 2)+3))"')"
    head -c 3000000 /dev/urandom > "$T/d"
    expect_eq "$h: data" "$(sha256sum < "$T/d")" "$(vssh $h sha256sum < "$T/d")"
done
grep -qx 'CONNECT 2222' "$T/mux.ok.log" || fail "muxer did not get 'CONNECT 2222'"
proxy_fails "muxer refuses" 'closed the connection without OK' vsock-mux"$T/mux.refuse" 22
proxy_fails "muxer garbage" 'muxer (answered|refused)' vsock-mux"$T/mux.garbage" 22
proxy_fails "muxer closes early" 'closed|without OK|cannot send' vsock-mux"$T/mux.early" 22
# Whoever serves the muxer's socket writes to the operator's terminal only
# printable text: its escapes are shown as '?'.
rc=0; err=$(timeout 20 "$VS_PROXY" vsock-mux"$T/mux.escape" 22 </dev/null 2>&1 >/dev/null) || rc=$?
expect_eq "muxer escapes: exit status" 1 "$rc"
expect_match "muxer escapes: reported" "the muxer refused: 'NO \?\]0;owned\?\?\[2J\?31m\?'" "$err"
if LC_ALL=C grep -q "$(printf '[\001-\010\016-\037\177-\377]')" <<<"$err"; then
    fail "muxer escapes: a control byte reached stderr: $(od -c <<<"$err" | head -5)"
fi
start=$(date +%s)
proxy_fails "muxer timeout" 'timed out' --timeout 2 vsock-mux"$T/mux.silent" 22
[ $(($(date +%s) - start)) -lt 10 ] || fail "--timeout 2 took too long"

# A copy given cap_net_bind_service (what group vsock-ssh's members run)
# holds no capability once it runs: here, relaying for an ordinary user to
# a Unix target.  (Over real vsock, where it first binds a reserved port,
# tests/vm checks the same.)
# Under no_new_privs (novsock sets it where it cannot install its filter
# without) a file capability never applies, and this would pass for nothing.
if no_new_privs; then
    log "no_new_privs is set (novsock without CAP_SYS_ADMIN): capability drop not checked here"
elif [ "$(id -u)" -eq 0 ] && getent passwd "$TEST_USER" >/dev/null && command -v setcap >/dev/null; then
    cp "$VS_PROXY" "$T/capproxy"
    chmod 755 "$T/capproxy"
    if setcap cap_net_bind_service=ep "$T/capproxy" 2>/dev/null &&
       getcap "$T/capproxy" | grep -q cap_net_bind_service; then
        chmod 777 "$T/sock"
        cat > "$T/cap_config" <<CONF
Host cap
	ProxyCommand $T/capproxy unix$SOCK
	User $TEST_USER
	StrictHostKeyChecking no
	UserKnownHostsFile /dev/null
	LogLevel ERROR
	BatchMode yes
CONF
        chmod 644 "$T/cap_config"
        setpriv --reuid="$TEST_USER" --regid="$(id -g "$TEST_USER")" --init-groups \
            env HOME=/nonexistent ssh -F "$T/cap_config" cap 'sleep 4' </dev/null &
        client=$!
        wait_for "pgrep -f '^$T/capproxy' >/dev/null" 100 || fail "the capability copy did not start"
        sleep 1 # connected and relaying
        pid=$(pgrep -f "^$T/capproxy" | head -1)
        caps=$(grep -E '^Cap(Prm|Eff|Inh|Amb):' "/proc/$pid/status")
        expect_eq "capability copy: runs as the user" "$(id -u "$TEST_USER")" \
            "$(awk '/^Uid:/ { print $2 }' "/proc/$pid/status")"
        expect_eq "capability copy: no capability left while relaying" \
            "$(printf 'CapInh:\t0000000000000000\nCapPrm:\t0000000000000000\nCapEff:\t0000000000000000\nCapAmb:\t0000000000000000')" \
            "$caps"
        wait $client || fail "the capability copy's session failed"
    else
        log "setcap does not work on $T's file system: capability drop not checked here"
    fi
fi

# Relay half-close: EOF from ssh's side reaches the server, the reply still
# comes back (the stdin EOF test in t-exec relies on this too).
expect_eq "relay half-close" 3 "$(printf abc | vssh relay 'wc -c')"
log pass
