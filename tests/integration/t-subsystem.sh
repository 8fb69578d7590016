# Subsystems: sftp and scp (SFTP protocol, and -O legacy scp) through an
# external sftp-server configured with Subsystem; unknown subsystems refused.
# (t-sftp, t-scp, t-rsync and t-sshfs cover the built-in SFTP server.)
. "$(dirname "$0")/../lib.sh"
SFTP_SERVER=/usr/lib/openssh/sftp-server
[ -x "$SFTP_SERVER" ] || skip "$SFTP_SERVER missing (run scripts/deps)"
write_config "Subsystem sftp $SFTP_SERVER"
start_server
home=$(getent passwd "$LOGIN" | cut -d: -f6)
head -c 5000000 /dev/urandom > "$T/f"
want=$(sha256sum < "$T/f" | cut -d' ' -f1)
work=$(vssh relay 'd=$(mktemp -d); echo $d' </dev/null)

for m in $MODES; do
    scp -q -F "$T/ssh_config" "$T/f" "$m:$work/scp.$m"
    expect_eq "$m: scp upload" "$want" "$(vssh $m "sha256sum < $work/scp.$m" </dev/null | cut -d' ' -f1)"
    scp -q -F "$T/ssh_config" "$m:$work/scp.$m" "$T/back.$m"
    expect_eq "$m: scp download" "$want" "$(sha256sum < "$T/back.$m" | cut -d' ' -f1)"

    scp -O -q -F "$T/ssh_config" "$T/f" "$m:$work/scpO.$m"
    expect_eq "$m: legacy scp upload" "$want" "$(vssh $m "sha256sum < $work/scpO.$m" </dev/null | cut -d' ' -f1)"

    sftp -q -b - -F "$T/ssh_config" $m >"$T/sftp.out" <<CMDS
mkdir $work/dir.$m
put $T/f $work/dir.$m/f
ls -l $work/dir.$m
get $work/dir.$m/f $T/sftp.$m
rename $work/dir.$m/f $work/dir.$m/g
rm $work/dir.$m/g
rmdir $work/dir.$m
CMDS
    expect_eq "$m: sftp round trip" "$want" "$(sha256sum < "$T/sftp.$m" | cut -d' ' -f1)"
    rc=0; vssh $m "test -e $work/dir.$m" </dev/null || rc=$?
    expect_eq "$m: sftp removed the directory" 1 "$rc"
    # Files are created as the session user.
    expect_eq "$m: owner" "$LOGIN" "$(vssh $m "stat -c %U $work/scp.$m" </dev/null)"
done

# Unknown subsystem: refused, the client says so.
rc=0; err=$(vssh -s relay nosuchsubsystem </dev/null 2>&1) || rc=$?
[ $rc -ne 0 ] || fail "unknown subsystem accepted"
grep -q 'refused unknown subsystem nosuchsubsystem' "$LOG" || fail "unknown subsystem not logged"
vssh relay "rm -rf $work" </dev/null
log pass
