# The host names as users type them, through the real ssh_config drop-in
# (Include, never a Host alias), with every client that takes a
# "host:path": scp (SFTP and -O), rsync -e ssh, sftp, sshfs, git.  Those clients
# read a '/' before the ':' as a local path, so the names here are the
# ones they accept: vm%NAME (a names-file entry for the Unix socket, read
# from VSOCK_PROXY_HOSTS) and vsock%CID, which on this machine can only be
# followed up to vsock-proxy's error (no AF_VSOCK under the tests' filter).
. "$(dirname "$0")/../lib.sh"
command -v git >/dev/null || skip "git missing (run scripts/deps)"
start_server

cp "${VS_DROPIN:?set by ctest}" "$T/dropin.conf"
cat > "$T/users_config" <<CONF
Include $T/dropin.conf
Host *
	User $LOGIN
	GlobalKnownHostsFile /dev/null
	LogLevel ERROR
	BatchMode yes
	ConnectTimeout 20
	IdentitiesOnly yes
	IdentityFile none
CONF
cat > "$T/hosts" <<HOSTS
guest   unix$SOCK
colon   unix:$SOCK
cid3    3
HOSTS
export VSOCK_PROXY_HOSTS=$T/hosts
F=$T/users_config
mkdir -p "$T/src/sub" "$T/dst"
head -c 3000000 /dev/urandom > "$T/src/blob"
echo hello > "$T/src/sub/note"
chmod -R a+rX "$T/src"
[ "$LOGIN" = "$ME" ] || chown "$LOGIN" "$T/dst"
sum() { sha256sum < "$1" | cut -d' ' -f1; }
want=$(sum "$T/src/blob")

# ssh: every form of the drop-in (slashes are fine for ssh).
for name in vm%guest vm/guest vm%colon "unix$SOCK" "unix%${SOCK#/}"; do
    expect_eq "ssh $name" "$LOGIN" "$(ssh -F "$F" "$name" id -un </dev/null)"
done

# scp in SFTP mode and in legacy mode, both directions.
scp -F "$F" "$T/src/blob" "vm%guest:$T/dst/sftp-up" || fail "scp to vm%guest"
expect_eq "scp upload" "$want" "$(sum "$T/dst/sftp-up")"
scp -F "$F" "vm%guest:$T/dst/sftp-up" "$T/sftp-down" || fail "scp from vm%guest"
expect_eq "scp download" "$want" "$(sum "$T/sftp-down")"
scp -O -F "$F" "$T/src/blob" "vm%colon:$T/dst/legacy-up" || fail "scp -O to vm%colon"
expect_eq "scp -O upload" "$want" "$(sum "$T/dst/legacy-up")"
scp -O -F "$F" -r "vm%guest:$T/src/sub" "$T/legacy-tree" || fail "scp -O -r from vm%guest"
expect_eq "scp -O -r download" hello "$(cat "$T/legacy-tree/note")"

# rsync over ssh.
rsync -a -e "ssh -F $F" "$T/src/" "vm%guest:$T/dst/rsynced/" || fail "rsync to vm%guest"
expect_eq "rsync upload" "$want" "$(sum "$T/dst/rsynced/blob")"
expect_eq "rsync tree" hello "$(cat "$T/dst/rsynced/sub/note")"

# sftp.
printf 'cd %s\nget blob %s/sftp-get\nls sub\n' "$T/src" "$T" > "$T/batch"
out=$(sftp -F "$F" -b "$T/batch" vm%guest 2>&1) || fail "sftp vm%guest: $out"
expect_eq "sftp get" "$want" "$(sum "$T/sftp-get")"
expect_match "sftp ls" "note" "$out"

# git clone and push over ssh.
git init -q --bare --initial-branch=main "$T/dst/repo.git"
[ "$LOGIN" = "$ME" ] || chown -R "$LOGIN" "$T/dst/repo.git"
export GIT_SSH_COMMAND="ssh -F $F"
git init -q --initial-branch=main "$T/work"
git -C "$T/work" -c user.name=t -c user.email=t@t commit -q --allow-empty -m first
git -C "$T/work" push -q "vm%guest:$T/dst/repo.git" HEAD:refs/heads/main || fail "git push to vm%guest"
git clone -q "vm%guest:$T/dst/repo.git" "$T/clone" || fail "git clone from vm%guest"
expect_eq "git clone" first "$(git -C "$T/clone" log -1 --format=%s)"

# sshfs mounts vm%NAME:PATH.
if command -v sshfs >/dev/null && [ -c /dev/fuse ] && command -v fusermount3 >/dev/null; then
    mkdir -p "$T/mnt"
    sshfs -f -o ssh_command="ssh -F $F" "vm%guest:$T/src" "$T/mnt" 2>"$T/sshfs.err" &
    fs=$!
    wait_for "grep -q ' $T/mnt fuse' /proc/mounts || ! kill -0 $fs 2>/dev/null" 100 ||
        fail "sshfs did not mount"
    grep -q " $T/mnt fuse" /proc/mounts || fail "sshfs vm%guest: $(cat "$T/sshfs.err")"
    expect_eq "sshfs read" "$want" "$(sum "$T/mnt/blob")"
    fusermount3 -u "$T/mnt"
    wait "$fs" 2>/dev/null || true
else
    log "sshfs or FUSE missing: sshfs not tried"
fi

# vsock%CID and a names-file CID: accepted by every client and handed to
# vsock-proxy, which cannot open AF_VSOCK under the tests' filter (and says so).
for dest in "vsock%3:/tmp/x" "vm%cid3:/tmp/x"; do
    rc=0; out=$(scp -F "$F" "$T/src/blob" "$dest" 2>&1) || rc=$?
    expect_eq "scp $dest: status" 255 "$rc"
    expect_match "scp $dest reaches the proxy" "cannot connect to CID 3 port 22: this kernel has no vsock support" "$out"
    rc=0; out=$(rsync -e "ssh -F $F" "$T/src/blob" "$dest" 2>&1) || rc=$?
    expect_match "rsync $dest reaches the proxy" "cannot connect to CID 3 port 22: this kernel has no vsock support" "$out"
done
log pass
