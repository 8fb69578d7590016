# 32 MiB of random binary data both ways, checksummed, in both proxy modes;
# stdout and stderr at the same time stay apart.
. "$(dirname "$0")/../lib.sh"
start_server
head -c 33554432 /dev/urandom > "$T/data"
want=$(sha256sum < "$T/data" | cut -d' ' -f1)

for m in $MODES; do
    log "mode $m"
    got=$(vssh $m 'sha256sum' < "$T/data" | cut -d' ' -f1)
    expect_eq "$m: upload checksum" "$want" "$got"
    vssh $m "cat '$T/data'" </dev/null > "$T/down"
    expect_eq "$m: download checksum" "$want" "$(sha256sum < "$T/down" | cut -d' ' -f1)"
    # Round trip through the command: upload and download at once.
    got=$(vssh $m 'cat' < "$T/data" | sha256sum | cut -d' ' -f1)
    expect_eq "$m: round trip checksum" "$want" "$got"
    # Both streams full of binary at the same time.
    vssh $m "cat '$T/data'; cat '$T/data' >&2" </dev/null >"$T/o" 2>"$T/e"
    expect_eq "$m: stdout under load" "$want" "$(sha256sum < "$T/o" | cut -d' ' -f1)"
    expect_eq "$m: stderr under load" "$want" "$(sha256sum < "$T/e" | cut -d' ' -f1)"
done
grep -q "exec 'sha256sum': exit 0, in 33554432 out" "$LOG" || fail "byte counts not logged"
log pass
