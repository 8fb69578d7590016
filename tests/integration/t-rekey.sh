# Key re-exchange in the middle of heavy traffic.  OpenSSH's client rekeys
# after about 1 GiB by default; RekeyLimit makes it happen every few hundred
# KiB here.  While a re-exchange runs libssh takes no channel data: output
# must wait, not be lost (it once was: the command got SIGPIPE at 1 GiB).
. "$(dirname "$0")/../lib.sh"
write_config
start_server
G=$T/guest
mkdir -p "$G"
chown "$LOGIN" "$G"
head -c 8388608 /dev/urandom > "$T/data"
want=$(sha256sum < "$T/data" | cut -d' ' -f1)
cp "$T/data" "$G/data"
chmod 644 "$G/data"
rk() { ssh -F "$T/ssh_config" -o RekeyLimit=128K "$@"; }

for m in $MODES; do
    # Download on stdout and stderr at once, then the exit status.
    rc=0
    rk $m "cat $G/data; cat $G/data >&2; exit 7" </dev/null >"$T/out" 2>"$T/err" || rc=$?
    expect_eq "$m: exit status after rekeys" 7 "$rc"
    expect_eq "$m: stdout through rekeys" "$want" "$(sha256sum < "$T/out" | cut -d' ' -f1)"
    expect_eq "$m: stderr through rekeys" "$want" "$(sha256sum < "$T/err" | cut -d' ' -f1)"
    # Upload.
    got=$(rk $m 'sha256sum' < "$T/data" | cut -d' ' -f1)
    expect_eq "$m: upload through rekeys" "$want" "$got"
done
# SFTP both ways (the built-in server's replies and data).
scp -q -F "$T/ssh_config" -o RekeyLimit=128K "$T/data" "relay:$G/up"
expect_eq "scp upload through rekeys" "$want" "$(sha256sum < "$G/up" | cut -d' ' -f1)"
scp -q -F "$T/ssh_config" -o RekeyLimit=128K "relay:$G/up" "$T/down"
expect_eq "scp download through rekeys" "$want" "$(sha256sum < "$T/down" | cut -d' ' -f1)"
log pass
