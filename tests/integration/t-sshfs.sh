# sshfs (FUSE over the built-in SFTP server) mounting a guest directory:
# create, write, append, read, rename, chmod, link, delete through the
# mount, each checked on the server's side.
. "$(dirname "$0")/../lib.sh"
command -v sshfs >/dev/null || skip "sshfs missing (run scripts/deps)"
[ -c /dev/fuse ] || skip "no /dev/fuse"
command -v fusermount3 >/dev/null || skip "fusermount3 missing"
write_config
start_server
G=$T/guest
M=$T/mnt
mkdir -p "$G/dir" "$M"
printf 'from the guest\n' > "$G/dir/existing"
chown -R "$LOGIN" "$G"
sum() { sha256sum < "$1" | cut -d' ' -f1; }

# -f keeps sshfs in the foreground as our child; wait for the mount.
sshfs -f -o ssh_command="ssh -F $T/ssh_config" relay:"$G" "$M" \
    2>"$T/sshfs.err" &
SSHFS_PID=$!
wait_for "grep -q ' $M fuse' /proc/mounts || ! kill -0 $SSHFS_PID 2>/dev/null" 100 ||
    fail "sshfs did not mount"
grep -q " $M fuse" /proc/mounts || fail "sshfs exited: $(cat "$T/sshfs.err")"

expect_eq "read through the mount" "from the guest" "$(cat "$M/dir/existing")"
printf 'one\n' > "$M/new"
printf 'two\n' >> "$M/new"
expect_eq "create and append" "$(printf 'one\ntwo')" "$(cat "$G/new")"
expect_eq "created as the session user" "$LOGIN" "$(stat -c %U "$G/new")"
head -c 5000000 /dev/urandom > "$T/blob"
cp "$T/blob" "$M/dir/blob"
expect_eq "large write" "$(sum "$T/blob")" "$(sum "$G/dir/blob")"
expect_eq "large read" "$(sum "$T/blob")" "$(sum "$M/dir/blob")"
mv "$M/new" "$M/dir/renamed"
[ ! -e "$G/new" ] && [ -f "$G/dir/renamed" ] || fail "rename through the mount"
chmod 600 "$M/dir/renamed"
expect_eq "chmod through the mount" 600 "$(stat -c %a "$G/dir/renamed")"
ln -s renamed "$M/dir/link"
expect_eq "symlink through the mount" renamed "$(readlink "$G/dir/link")"
truncate -s 3 "$M/dir/renamed"
expect_eq "truncate through the mount" one "$(cat "$G/dir/renamed")"
mkdir "$M/sub"
[ -d "$G/sub" ] || fail "mkdir through the mount"
expect_eq "listing" "blob existing link renamed" "$(ls "$M/dir" | tr '\n' ' ' | sed 's/ $//')"
rm "$M/dir/renamed" "$M/dir/link" "$M/dir/blob"
rmdir "$M/sub"
[ ! -e "$G/dir/renamed" ] && [ ! -e "$G/dir/blob" ] && [ ! -e "$G/sub" ] ||
    fail "delete through the mount"
# df asks statvfs@openssh.com.
df "$M" >/dev/null || fail "df on the mount"

fusermount3 -u "$M"
wait "$SSHFS_PID" || fail "sshfs exited with an error: $(cat "$T/sshfs.err")"
wait_for "grep -q \"subsystem 'sftp': exit 0\" '$LOG'" 50 || fail "no clean sftp exit in the log"
log pass
