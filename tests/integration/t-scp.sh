# scp through the built-in SFTP server (the default protocol since OpenSSH
# 9), in both proxy modes: a tree with -r -p both ways (contents, modes,
# times), "~" paths (expand-path@openssh.com), a large file checked by
# checksum, remote-to-remote copies, and legacy scp -O (a plain exec of the
# guest's scp binary).
. "$(dirname "$0")/../lib.sh"
write_config
start_server

G=$T/guest
L=$T/local
mkdir -p "$G" "$L/tree/a/b" "$L/tree/empty"
chown "$LOGIN" "$G"
printf 'hello\n' > "$L/tree/hello"
head -c 200000 /dev/urandom > "$L/tree/a/blob"
printf '#!/bin/sh\n' > "$L/tree/a/b/script"
chmod 755 "$L/tree/a/b/script"
chmod 600 "$L/tree/hello"
chmod 750 "$L/tree/a"
touch -d '2010-01-02 03:04:05' "$L/tree/hello" "$L/tree/a/blob" "$L/tree/a/b/script"
home=$(getent passwd "$LOGIN" | cut -d: -f6)
sum() { sha256sum < "$1" | cut -d' ' -f1; }
vscp() { scp -q -F "$T/ssh_config" "$@"; }

# Same names, modes and mtimes (of files) in two trees.
same_tree() { # what dir1 dir2
    diff -r "$2" "$3" >/dev/null || fail "$1: contents differ"
    local a b
    a=$(cd "$2" && find . -printf '%p %m %y\n' | sort)
    b=$(cd "$3" && find . -printf '%p %m %y\n' | sort)
    expect_eq "$1: names and modes" "$a" "$b"
    a=$(cd "$2" && find . -type f -printf '%p %T@\n' | sort)
    b=$(cd "$3" && find . -type f -printf '%p %T@\n' | sort)
    expect_eq "$1: file times" "$a" "$b"
}

for m in $MODES; do
    vscp -r -p "$L/tree" "$m:$G/up.$m"
    same_tree "$m: scp -r -p upload" "$L/tree" "$G/up.$m"
    expect_eq "$m: owner" "$LOGIN" "$(stat -c %U "$G/up.$m/a/blob")"
    vscp -r -p "$m:$G/up.$m" "$L/down.$m"
    same_tree "$m: scp -r -p download" "$L/tree" "$L/down.$m"

    # "~" is the user's home on the server side.
    vscp "$L/tree/hello" "$m:~/vsock-ssh-scp-test.$m"
    expect_eq "$m: ~ upload" "hello" "$(cat "$home/vsock-ssh-scp-test.$m")"
    vscp "$m:~/vsock-ssh-scp-test.$m" "$L/tilde.$m"
    expect_eq "$m: ~ download" "hello" "$(cat "$L/tilde.$m")"
    rm -f "$home/vsock-ssh-scp-test.$m"

    # A copy between two remote paths goes through the client (-3).
    vscp -3 "$m:$G/up.$m/a/blob" "$m:$G/copy.$m"
    expect_eq "$m: scp -3" "$(sum "$L/tree/a/blob")" "$(sum "$G/copy.$m")"
done

# Errors: a missing source and a directory without -r fail with status 1.
rc=0; err=$(vscp "relay:$G/nosuch" "$L/x" 2>&1) || rc=$?
expect_eq "missing remote file" 1 "$rc"
expect_match "missing remote file message" "No such file" "$err"
rc=0; vscp "$L/tree" "relay:$G/notree" 2>/dev/null || rc=$?
expect_eq "directory without -r" 1 "$rc"

# A large file both ways, checked by checksum.  256 MiB by default;
# VS_SCP_BIG_MB=1100 proves more than 1 GiB where disk and time allow.
mb=${VS_SCP_BIG_MB:-256}
head -c $((mb * 1024 * 1024)) /dev/urandom > "$L/big"
want=$(sum "$L/big")
vscp "$L/big" "relay:$G/big"
expect_eq "${mb} MiB upload" "$want" "$(sum "$G/big")"
rm "$L/big"
vscp "fdpass:$G/big" "$L/big"
expect_eq "${mb} MiB download" "$want" "$(sum "$L/big")"
rm -f "$L/big" "$G/big"

# Legacy scp protocol: the guest's own scp binary, a plain exec.
if command -v scp >/dev/null; then
    vscp -O -r -p "$L/tree" "relay:$G/legacy"
    same_tree "scp -O -r -p upload" "$L/tree" "$G/legacy"
    vscp -O -r -p "fdpass:$G/legacy" "$L/legacy"
    same_tree "scp -O -r -p download" "$L/tree" "$L/legacy"
    rc=0; vscp -O "relay:$G/nosuch" "$L/x" 2>/dev/null || rc=$?
    expect_eq "scp -O: missing remote file" 1 "$rc"
fi
log pass
