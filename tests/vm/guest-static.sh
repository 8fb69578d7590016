# The static vsock-sshd (packaging/build-static) in a root that has nothing
# else: busybox, /etc/passwd, /etc/group and the binary; no OpenSSH, no
# shared library, no PAM.  Runs only inside the test guest (scripts/
# qemu-run), where the root is entered with chroot and the stock ssh, scp
# and sftp of the guest reach it over real AF_VSOCK (loopback, CID 1).
if ! grep -qw vsock_ssh_vm=1 /proc/cmdline 2>/dev/null; then
    echo "guest-static.sh: refusing to run: not inside the test VM (see scripts/qemu-run)" >&2
    exit 1
fi
. "$VS_SRC/tests/lib.sh" # no novsock filter in the guest: real vsock here, and only here
S=${VS_STATIC_SSHD:?the static vsock-sshd}
[ -x "$S" ] || fail "no static vsock-sshd at $S (packaging/build-static)"
command -v busybox >/dev/null || skip "busybox missing"
PORT=2022
export PATH=$PATH:/usr/sbin:/sbin

# The minimal root.
R=$T/minroot
mkdir -p "$R/bin" "$R/sbin" "$R/etc/vsock-ssh" "$R/dev/pts" "$R/proc" "$R/tmp" "$R/root" \
    "$R/home/user" "$R/var/lib/vsock-ssh"
cp "$(command -v busybox)" "$R/bin/busybox"
chroot "$R" /bin/busybox --install -s /bin
cp "$S" "$R/sbin/vsock-sshd"
printf 'root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/home/user:/bin/sh\n' > "$R/etc/passwd"
printf 'root:x:0:\nuser:x:1000:\n' > "$R/etc/group"
chown 1000:1000 "$R/home/user"
chmod 1777 "$R/tmp"
printf 'Listen vsock:%s\nAllowPeers 1\n' "$PORT" > "$R/etc/vsock-ssh/vsock-sshd_config"
libs=$(find "$R" -name '*.so*' | head -3)
[ -z "$libs" ] || fail "the minimal root has shared libraries: $libs"
[ ! -e "$R/usr" ] || fail "the minimal root has a /usr"
expect_match "the binary" "statically linked" "$(file "$R/sbin/vsock-sshd" 2>/dev/null || echo 'statically linked (file missing)')"
log "minimal root: $(find "$R" -type f | wc -l) files, $(du -sh "$R" | cut -f1)"

mount -t devtmpfs dev "$R/dev"
mkdir -p "$R/dev/pts"
mount -t devpts -o newinstance,ptmxmode=0666,mode=620 devpts "$R/dev/pts"
mount --bind "$R/dev/pts/ptmx" "$R/dev/ptmx"
mount -t proc proc "$R/proc"
trap 'umount -l "$R/proc" "$R/dev/ptmx" "$R/dev/pts" "$R/dev" 2>/dev/null; cleanup' EXIT

chroot "$R" /sbin/vsock-sshd -D -e 2>>"$LOG" &
SERVER_PID=$!
wait_for "grep -q 'listening on vsock' '$LOG' || ! kill -0 $SERVER_PID 2>/dev/null" 200 ||
    fail "the static server did not start"
kill -0 "$SERVER_PID" 2>/dev/null || fail "the static server exited: $(cat "$LOG")"
grep -q 'generated host key' "$LOG" || fail "no host key generated in the minimal root"

LOGIN=user write_ssh_config "1 $PORT" 60

for m in relay fdpass; do
    rc=0; out=$(vssh $m 'id -u; echo "$HOME"; exit 9' </dev/null) || rc=$?
    expect_eq "$m: exit status" 9 "$rc"
    expect_eq "$m: the account from the minimal root" "1000
/home/user" "$out"
done
out=$(vssh -tt relay 'tty; echo $TERM' </dev/null 2>&1 | tr -d '\r')
expect_match "a shell with a pty" '^/dev/pts/[0-9]+$' "$out"
out=$(printf 'tty\nexit 4\n' | vssh -tt relay 2>&1 | tr -d '\r') || true
expect_match "an interactive busybox shell on the pty" '/dev/pts/[0-9]+' "$out"

head -c 8000000 /dev/urandom > "$T/up"
sum=$(sha256sum < "$T/up")
scp -F "$T/ssh_config" "$T/up" relay:/tmp/up.scp || fail "scp to the minimal guest"
expect_eq "scp: the file as the guest has it" "$sum" "$(vssh relay 'sha256sum < /tmp/up.scp' </dev/null)"
scp -F "$T/ssh_config" relay:/tmp/up.scp "$T/down.scp" || fail "scp from the minimal guest"
expect_eq "scp back" "$sum" "$(sha256sum < "$T/down.scp")"
printf 'put %s /home/user/up.sftp\nget /home/user/up.sftp %s\n' "$T/up" "$T/down.sftp" |
    sftp -F "$T/ssh_config" -b - fdpass >/dev/null || fail "sftp with the minimal guest"
expect_eq "sftp both ways" "$sum" "$(sha256sum < "$T/down.sftp")"
expect_eq "root too" 0 "$(vssh -l root relay 'id -u' </dev/null)"
sanitizer_check || true
log pass
