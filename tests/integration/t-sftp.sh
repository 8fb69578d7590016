# The built-in SFTP server (the default Subsystem) with OpenSSH's sftp in
# batch mode: every command of the client, each result checked on the
# server's filesystem; resumed transfers; permissions enforced by the kernel
# for an ordinary user.
. "$(dirname "$0")/../lib.sh"
write_config # no Subsystem line: sftp is the built-in server
start_server

G=$T/guest # the session user's directory, as the guest would have it
L=$T/local
mkdir -p "$G" "$L/tree/sub/deeper"
chown "$LOGIN" "$G"
head -c 3000000 /dev/urandom > "$L/f"
printf 'one\n' > "$L/tree/one"
head -c 100000 /dev/urandom > "$L/tree/sub/two"
: > "$L/tree/sub/deeper/empty"
chmod 751 "$L/tree/sub"
chmod 604 "$L/tree/one"
touch -d '2001-02-03 04:05:06' "$L/f" "$L/tree/one"
sum() { sha256sum < "$1" | cut -d' ' -f1; }
tgid=$(getent group vsock-ssh-tgrp | cut -d: -f3 || true)
uid=$(id -u "$LOGIN")

run_batch() { # name: runs the batch on stdin, output in $T/name.out
    local rc=0
    sftp -b - -F "$T/ssh_config" relay >"$T/$1.out" 2>&1 || rc=$?
    [ $rc -eq 0 ] || { cat "$T/$1.out" >&2; fail "$1: sftp exited $rc"; }
}

run_batch basic <<CMDS
cd $G
pwd
mkdir d
put -p $L/f d/f
put $L/f d/plain
put -r $L/tree d/tree
put -rp $L/tree d/ptree
ls -l d
ls -la d/tree
get -p d/f $L/got
get -r d/tree $L/gottree
rename d/plain d/renamed
ln d/renamed d/hard
ln -s renamed d/soft
chmod 640 d/renamed
mkdir d/empty
mkdir d/gone
rmdir d/gone
put $L/f d/deleted
rm d/deleted
put -f $L/f d/synced
cp d/synced d/copied
df $G
df -h $G
CMDS

# What the client showed.
expect_match "pwd" "Remote working directory: $G" "$(cat "$T/basic.out")"
expect_match "ls -l" "-rw-r--r-- +[?0-9]+ +$LOGIN +[^ ]+ +3000000 .* d/f" "$(cat "$T/basic.out")"
expect_match "df" "Size +Used +Avail" "$(cat "$T/basic.out")"

# What the server's filesystem holds.
want=$(sum "$L/f")
expect_eq "put" "$want" "$(sum "$G/d/f")"
expect_eq "put -p keeps mtime" "$(stat -c %Y "$L/f")" "$(stat -c %Y "$G/d/f")"
expect_eq "put -p keeps mode" "$(stat -c %a "$L/f")" "$(stat -c %a "$G/d/f")"
expect_eq "owner" "$LOGIN" "$(stat -c %U "$G/d/f")"
diff -r "$L/tree" "$G/d/tree" || fail "put -r: trees differ"
expect_eq "put -rp keeps modes" "751 604" \
    "$(stat -c %a "$G/d/ptree/sub") $(stat -c %a "$G/d/ptree/one")"
expect_eq "put -rp keeps times" "$(stat -c %Y "$L/tree/one")" "$(stat -c %Y "$G/d/ptree/one")"
expect_eq "get" "$want" "$(sum "$L/got")"
expect_eq "get -p keeps mtime" "$(stat -c %Y "$G/d/f")" "$(stat -c %Y "$L/got")"
diff -r "$L/tree" "$L/gottree" || fail "get -r: trees differ"
[ ! -e "$G/d/plain" ] && [ -f "$G/d/renamed" ] || fail "rename"
expect_eq "ln (hard)" "2 $(stat -c %i "$G/d/renamed")" "$(stat -c '%h %i' "$G/d/hard")"
expect_eq "ln -s" "renamed" "$(readlink "$G/d/soft")"
expect_eq "chmod" "640" "$(stat -c %a "$G/d/renamed")"
expect_eq "put -f (fsync@openssh.com)" "$want" "$(sum "$G/d/synced")"
expect_eq "cp (copy-data)" "$want" "$(sum "$G/d/copied")"
[ -d "$G/d/empty" ] && [ ! -e "$G/d/gone" ] && [ ! -e "$G/d/deleted" ] ||
    fail "mkdir/rmdir/rm"

# Ownership: chown to ourselves and chgrp to a group we are in succeed.
cmds="cd $G/d
chown $uid renamed"
[ -n "$tgid" ] && [ "$LOGIN" = vsock-ssh-test ] && cmds="$cmds
chgrp $tgid renamed"
printf '%s\n' "$cmds" | run_batch own
expect_eq "chown" "$uid" "$(stat -c %u "$G/d/renamed")"
[ -n "$tgid" ] && [ "$LOGIN" = vsock-ssh-test ] &&
    expect_eq "chgrp" "$tgid" "$(stat -c %g "$G/d/renamed")"

# Resumed transfers: reput completes a partial upload, reget a download.
head -c 1000000 "$L/f" > "$G/d/part"
chown "$LOGIN" "$G/d/part"
head -c 1234567 "$L/f" > "$L/part"
run_batch resume <<CMDS
cd $G/d
reput $L/f part
reget f $L/part
CMDS
expect_eq "reput" "$want" "$(sum "$G/d/part")"
expect_eq "reget" "$want" "$(sum "$L/part")"

# rename onto an existing file: OpenSSH's client uses posix-rename, which
# replaces; the server must not lose either file's data on failure.
run_batch rename2 <<CMDS
cd $G/d
rename part f
CMDS
[ ! -e "$G/d/part" ] && expect_eq "posix-rename replaces" "$want" "$(sum "$G/d/f")"

# Errors: the right status for each (OpenSSH's client prints its own text
# for a status, not the server's message), and nothing changed.
run_batch errors <<CMDS
cd $G/d
-get nosuch $L/nosuch
-rmdir tree
-mkdir empty
-rm nosuch
CMDS
out=$(cat "$T/errors.out")
expect_match "missing file" "nosuch.*(No such file|not found)" "$out"
expect_match "rmdir of a non-empty directory" 'rmdir ".*/tree": Failure' "$out"
expect_match "mkdir of an existing directory" 'mkdir ".*/empty": Failure' "$out"
expect_match "rm of a missing file" 'nosuch: No such file' "$out"
[ -d "$G/d/tree" ] || fail "rmdir removed a non-empty directory"

# Permissions: an ordinary user cannot read root's secrets or write root's
# directories; the server runs as that user, so the kernel refuses.
if [ "$(id -u "$LOGIN")" -ne 0 ]; then
    run_batch perms <<CMDS
-get /etc/shadow $L/shadow
-put $L/f /etc/vsock-ssh-test-forbidden
-mkdir /root/vsock-ssh-test-forbidden
-chown 0 $G/d/f
-rm /etc/hostname
CMDS
    out=$(cat "$T/perms.out")
    n=$(grep -c 'Permission denied' "$T/perms.out" || true)
    [ "$n" -ge 5 ] || fail "expected 5 permission errors, got $n: $out"
    [ ! -e "$L/shadow" ] || [ ! -s "$L/shadow" ] || fail "read /etc/shadow"
    [ ! -e /etc/vsock-ssh-test-forbidden ] || fail "wrote into /etc"
    [ ! -e /root/vsock-ssh-test-forbidden ] || fail "created a directory in /root"
    [ -e /etc/hostname ] || fail "removed /etc/hostname"
    expect_eq "chown to root refused" "$LOGIN" "$(stat -c %U "$G/d/f")"
fi

# The session ended cleanly: the subsystem's exit was logged as status 0.
wait_for "grep -q \"subsystem 'sftp': exit 0\" '$LOG'" 50 || fail "no clean sftp exit in the log"
log pass
