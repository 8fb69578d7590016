# rsync -e ssh: a plain exec of the guest's rsync, so what it proves is that
# our exec path is binary-clean and passes EOF and exit codes: a tree both
# ways with -a, then a second run that transfers nothing.
. "$(dirname "$0")/../lib.sh"
command -v rsync >/dev/null || skip "rsync missing (run scripts/deps)"
write_config
start_server
G=$T/guest
L=$T/local
mkdir -p "$G" "$L/tree/a/b" "$L/tree/empty"
chown "$LOGIN" "$G"
head -c 3000000 /dev/urandom > "$L/tree/a/blob"
printf 'hello\n' > "$L/tree/hello"
printf '#!/bin/sh\n' > "$L/tree/a/b/script"
chmod 755 "$L/tree/a/b/script"
chmod 640 "$L/tree/hello"
ln -s a/blob "$L/tree/link"
touch -d '2012-03-04 05:06:07' "$L/tree/hello"
vrsync() { rsync -e "ssh -F $T/ssh_config" "$@"; }
listing() { (cd "$1" && find . -printf '%p %m %y %l\n' | sort); }
times_of() { (cd "$1" && find . -type f -printf '%p %T@\n' | sort); }

for m in $MODES; do
    vrsync -a "$L/tree/" "$m:$G/up.$m/"
    diff -r "$L/tree" "$G/up.$m" || fail "$m: rsync upload: contents differ"
    expect_eq "$m: rsync upload: modes and links" "$(listing "$L/tree")" "$(listing "$G/up.$m")"
    expect_eq "$m: rsync upload: times" "$(times_of "$L/tree")" "$(times_of "$G/up.$m")"
    out=$(vrsync -a --itemize-changes "$L/tree/" "$m:$G/up.$m/")
    expect_eq "$m: second upload transfers nothing" "" "$out"

    vrsync -a "$m:$G/up.$m/" "$L/down.$m/"
    diff -r "$L/tree" "$L/down.$m" || fail "$m: rsync download: contents differ"
    expect_eq "$m: rsync download: modes and links" "$(listing "$L/tree")" "$(listing "$L/down.$m")"
    out=$(vrsync -a --itemize-changes "$m:$G/up.$m/" "$L/down.$m/")
    expect_eq "$m: second download transfers nothing" "" "$out"
done

# A change goes across, and only it.
printf 'changed\n' >> "$L/tree/hello"
out=$(vrsync -a --itemize-changes "$L/tree/" "relay:$G/up.relay/")
expect_match "changed file sent" '^<f.*hello$' "$out"
expect_eq "only the changed file" 1 "$(printf '%s\n' "$out" | wc -l)"
diff -r "$L/tree" "$G/up.relay" || fail "rsync update: contents differ"

# rsync's own exit codes come through: 23 for a partial transfer.
rc=0; vrsync -a "relay:$G/nosuch/" "$L/nosuch/" 2>/dev/null || rc=$?
expect_eq "rsync exit code for a missing source" 23 "$rc"
log pass
