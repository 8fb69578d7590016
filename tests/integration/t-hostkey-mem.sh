# The built-in SFTP server holds no copy of the host private key (review
# finding 9).  It runs in a process forked from the connection process,
# without exec (ChrootDirectory + ForceCommand internal-sftp leaves nothing
# to exec), and parses every request of the user: the host key must be gone
# from its memory before it reads anything.  As root, the memory of the
# SFTP process (/proc/PID/maps and /proc/PID/mem) is searched for the
# ed25519 key's 32-byte seed and for the lines of the key file that encode
# it, freed memory included; as a control, the connection process, which
# needs the key for re-keying, must show the seed, proving that the search
# finds it.  Three servers: a key file given with HostKey, a key generated
# at first start, and a ChrootDirectory jail.  What libssh frees without
# clearing is found reliably by the sanitizer build, whose allocator keeps
# freed memory aside (quarantine) rather than reusing it.
. "$(dirname "$0")/../lib.sh"
require_test_user
command -v python3 >/dev/null || skip "python3 missing"

# The patterns of a key file (openssh-key-v1, unencrypted ed25519) into
# $T/patterns, as hex, one a line: its seed, raw, then each base64 line of
# the file that encodes part of it.
cat > "$T/patterns.py" <<'PY'
import base64, struct, sys
lines = [l for l in open(sys.argv[1]).read().split("\n") if l and not l.startswith("-----")]
body = "".join(lines)
blob = base64.b64decode(body)
magic = b"openssh-key-v1\0"
assert blob.startswith(magic), "not an openssh-key-v1 file"
class Reader:
    """SSH wire data of buf read from pos on: uint32s and (offset, bytes) strings."""
    def __init__(self, buf, pos):
        self.buf, self.pos = buf, pos
    def u32(self):
        (n,) = struct.unpack(">I", self.buf[self.pos:self.pos + 4])
        self.pos += 4
        return n
    def string(self):
        n = self.u32()
        start = self.pos
        self.pos += n
        return start, self.buf[start:self.pos]
r = Reader(blob, len(magic))
assert r.string()[1] == b"none", "encrypted key"
r.string(); r.string()  # kdfname, kdfoptions
for _ in range(r.u32()):
    r.string()  # public keys
priv_at, priv = r.string()
assert priv[0:4] == priv[4:8], "bad check bytes"
p = Reader(priv, 8)
assert p.string()[1] == b"ssh-ed25519", "not an ed25519 key"
p.string()  # public key
start, sk = p.string()  # seed || public key
assert len(sk) == 64
seed = sk[:32]
print(seed.hex())
# Where the seed is in the file's base64 text, and the lines holding it.
seed_at = priv_at + start  # in the decoded blob
first, last = seed_at * 4 // 3, ((seed_at + 32) * 4 + 2) // 3
at = 0
for l in lines:
    if at <= last and at + len(l) > first:
        print(l.encode().hex())
    at += len(l)
PY
patterns() {
    python3 "$T/patterns.py" "$1" > "$T/patterns" || fail "cannot read the key $1"
    local seed
    seed=$(head -1 "$T/patterns")
    [ ${#seed} -eq 64 ] || fail "no seed extracted from $1"
}

cat > "$T/memscan.py" <<'PY'
# memscan.py PID PATTERNS-FILE: prints how many times each pattern (hex, one
# a line) is in the readable memory of PID, then where (for the log).
import sys
pid, pats = sys.argv[1], [bytes.fromhex(l) for l in open(sys.argv[2]).read().split()]
counts, where = [0] * len(pats), []
with open("/proc/%s/maps" % pid) as maps, open("/proc/%s/mem" % pid, "rb", 0) as mem:
    for line in maps:
        f = line.split()
        lo, hi = (int(x, 16) for x in f[0].split("-"))
        # Unreadable mappings, the kernel's, and the sanitizer's shadow
        # (terabytes, never the program's data) are skipped.
        if f[1][0] != "r" or (len(f) > 5 and f[5] in ("[vvar]", "[vsyscall]")) or hi - lo > 1 << 32:
            continue
        data, step = bytearray(), 1 << 24
        for a in range(lo, hi, step):
            try:
                mem.seek(a)
                data += mem.read(min(step, hi - a))
            except OSError:
                data += bytes(min(step, hi - a))
        for i, p in enumerate(pats):
            at = data.find(p)
            while at >= 0:
                counts[i] += 1
                where.append("pattern %d at %#x in %s" % (i, lo + at, f[5] if len(f) > 5 else "[anon]"))
                at = data.find(p, at + 1)
print(" ".join(map(str, counts)))
for w in where:
    print(w)
PY

# scan_proc WHAT PID: "SEED LINES" occurrences; details in $T/scan-WHAT.
scan_proc() {
    python3 "$T/memscan.py" "$2" "$T/patterns" > "$T/scan-$1" || fail "$1: cannot read the memory of $2"
    local counts seedn lines=0 n
    read -r -a counts < "$T/scan-$1"
    seedn=${counts[0]}
    for n in "${counts[@]:1}"; do lines=$((lines + n)); done
    echo "$seedn $lines"
}

# check_sftp NAME KEYFILE: with an SFTP session open, the SFTP process has
# no copy of the key, the connection process has.
check_sftp() {
    local name=$1 conn sftpd c_seed c_lines s_seed s_lines
    patterns "$2"
    rm -f "$T/in"
    mkfifo "$T/in"
    sftp -b "$T/in" -F "$T/ssh_config" relay > "$T/$name.out" 2>&1 &
    local client=$!
    exec 7> "$T/in" # the batch stays open while we look
    echo "pwd" >&7
    echo "ls /" >&7
    wait_for "grep -q 'Remote working directory' '$T/$name.out'" 200 ||
        fail "$name: no SFTP session: $(cat "$T/$name.out")"
    conn=$(conn_pids)
    [ -n "$conn" ] || fail "$name: no connection process"
    sftpd=$(pgrep -P "$conn" || true)
    [ "$(wc -w <<<"$sftpd")" -eq 1 ] || fail "$name: want one SFTP process under $conn, got '$sftpd'"
    expect_eq "$name: the SFTP process is the user's" "$(id -u "$TEST_USER")" \
        "$(awk '/^Uid:/ { print $2 }' "/proc/$sftpd/status")"
    expect_eq "$name: the SFTP process did not exec" "$(readlink "/proc/$conn/exe")" \
        "$(readlink "/proc/$sftpd/exe")"

    read -r c_seed c_lines <<<"$(scan_proc "$name-conn" "$conn")"
    read -r s_seed s_lines <<<"$(scan_proc "$name-sftp" "$sftpd")"
    log "$name: connection process $conn: seed $c_seed, key file lines $c_lines;" \
        "SFTP process $sftpd: seed $s_seed, key file lines $s_lines"
    [ "$c_seed" -gt 0 ] || fail "$name: control: the seed is not found in the connection process"
    if [ "$s_seed" -ne 0 ] || [ "$s_lines" -ne 0 ]; then
        sed 's/^/#   /' "$T/scan-$name-sftp" >&2
        fail "$name: the SFTP process $sftpd holds the host key"
    fi

    echo "quit" >&7
    exec 7>&-
    wait_for "! kill -0 $client 2>/dev/null" 100 || fail "$name: sftp did not end"
    wait "$client" || fail "$name: sftp exited $?: $(cat "$T/$name.out")"
}

write_config # the built-in SFTP server by default
start_server
check_sftp subsystem "$T/key"
stop_server

# A key the server generates at first start (the default HostKey), in a
# private mount namespace so that the machine's /var/lib is untouched.
prop=$(private_propagation 2>/dev/null) || prop=
if [ -n "$prop" ]; then
    printf 'Listen unix:%s\n' "$SOCK" > "$T/gen_config"
    rm -f "$SOCK"
    # shellcheck disable=SC2016 # expanded by that shell
    unshare --mount --propagation "$prop" sh -c \
        'mount -t tmpfs -o mode=755 tmpfs /var/lib && exec "$0" -D -e -f "$1"' \
        "$VS_SSHD" "$T/gen_config" 2>>"$LOG" &
    SERVER_PID=$!
    wait_for "[ -S '$SOCK' ] || ! kill -0 $SERVER_PID 2>/dev/null" 100 || fail "server did not start"
    [ -S "$SOCK" ] || fail "server exited at start"
    check_sftp generated "/proc/$SERVER_PID/root/var/lib/vsock-ssh/ssh_host_ed25519_key"
    stop_server
else
    log "generated key: not tested (no private mount namespace here)"
fi

# ChrootDirectory + ForceCommand internal-sftp: the case where re-exec is
# impossible, as in t-match.
jail=$(mktemp -d /var/lib/vsock-ssh-jail.XXXXXX)
chmod 755 "$jail"
trap 'rm -rf "$jail"; cleanup' EXIT
write_config "Match User $TEST_USER" "ChrootDirectory $jail" "ForceCommand internal-sftp"
start_server
check_sftp chroot "$T/key"
log "ok"
