# Uploads: 32 MiB into a file, through cat, and into a slow reader, each
# byte-exact, in both proxy modes; and the connection process's memory
# stays bounded while the reader is slow (the client's data waits in the
# channel window, not in our memory).  Built against libssh 0.11, which runs
# data callbacks from inside channel reads and writes, the old pump
# corrupted these uploads and overflowed its buffer (Debian 13 stage).
. "$(dirname "$0")/../lib.sh"
start_server
head -c 33554432 /dev/urandom > "$T/data"
chmod 644 "$T/data"
mkdir -p "$T/dst" && chown "$LOGIN" "$T/dst"
want=$(sha256sum < "$T/data" | cut -d' ' -f1)
sum() { sha256sum < "$1" | cut -d' ' -f1; }

# Reads 128 KiB every 5 ms: about 1.3 s for 32 MiB, the pipe full all along.
cat > "$T/slowread.py" <<'PY'
import sys, time
out = open(sys.argv[1], "wb")
while True:
    b = sys.stdin.buffer.read1(131072)
    if not b:
        break
    out.write(b)
    time.sleep(0.005)
PY
chmod 644 "$T/slowread.py"

for m in $MODES; do
    log "mode $m"
    vssh $m "cat > '$T/dst/file-$m'" < "$T/data" || fail "$m: cat > file"
    expect_eq "$m: into a file" "$want" "$(sum "$T/dst/file-$m")"
    got=$(vssh $m cat < "$T/data" | sha256sum | cut -d' ' -f1)
    expect_eq "$m: through cat" "$want" "$got"
    vssh $m "python3 '$T/slowread.py' '$T/dst/slow-$m'" < "$T/data" &
    up=$!
    peak=$(peak_conn_rss $up)
    wait $up || fail "$m: slow reader upload"
    expect_eq "$m: into a slow reader" "$want" "$(sum "$T/dst/slow-$m")"
    log "$m: connection process peak RSS ${peak} kB with a slow reader"
    # A sanitizer build keeps shadow memory and quarantine: no bound there.
    if ! sanitized; then
        [ "$peak" -lt 24576 ] || fail "$m: connection process grew to $peak kB with a slow reader"
    fi
done
log pass
