# README's first command, scripts/demo, as a user runs it: a one-shot
# command, then every ssh/scp/sftp command it prints, exactly as printed,
# while the demo runs.  It builds into this test's own directory
# (VSOCK_SSH_BUILD) and keeps to the Unix-socket demo (VSOCK_SSH_DEMO=unix).
. "$(dirname "$0")/../lib.sh"
export VSOCK_SSH_BUILD=$T/build VSOCK_SSH_DEMO=unix XDG_RUNTIME_DIR=$T/xdg
mkdir -p "$XDG_RUNTIME_DIR"

out=$("$VS_SRC/scripts/demo" echo one-shot 2>"$T/demo.err") || {
    cat "$T/demo.err" >&2; fail "scripts/demo echo one-shot"; }
expect_eq "demo one-shot command" one-shot "$out"
"$VS_SRC/scripts/demo" true 2>/dev/null || fail "scripts/demo true"
# A fresh machine has no vsock-sshd PAM service (scripts/deps run installs
# none): the demo still runs, as root too.  /etc/pam.d hidden here.
if [ "$(id -u)" -eq 0 ] && command -v unshare >/dev/null; then
    prop=$(private_propagation) || exit $?
    out=$(unshare --mount --propagation "$prop" sh -c \
        'mount -t tmpfs tmpfs /etc/pam.d && exec "$0" echo without-pam' "$VS_SRC/scripts/demo" \
        2>"$T/demo-nopam.err") || { cat "$T/demo-nopam.err" >&2; fail "scripts/demo without a PAM service"; }
    expect_eq "demo without a PAM service" without-pam "$out"
fi
rc=0; "$VS_SRC/scripts/demo" false 2>/dev/null || rc=$?
expect_eq "demo passes the exit status on" 1 "$rc"

# The printed commands work while the demo is up.
# A file of its own: the background job truncates its stderr file only once
# it runs, and must not be mistaken for the first run's.
"$VS_SRC/scripts/demo" sleep 60 2>"$T/demo-bg.err" &
demo=$!
wait_for "grep -q 'drop-in' '$T/demo-bg.err' 2>/dev/null" 600 ||
    { cat "$T/demo-bg.err" >&2; fail "demo did not print its commands"; }
n=0
while IFS= read -r line; do
    cmd=$(printf '%s\n' "$line" | sed -e 's/^ *//' -e 's/  *(.*$//')
    case $cmd in
    "ssh "*)
        out=$(eval "$cmd echo printed-ok" </dev/null) || fail "printed command failed: $cmd"
        expect_eq "printed: $cmd" printed-ok "$out"
        n=$((n + 1)) ;;
    "scp "*)
        echo data > "$T/FILE"
        (cd "$T" && eval "$cmd") </dev/null || fail "printed command failed: $cmd"
        expect_eq "printed: $cmd" data "$(cat /tmp/FILE)"
        rm -f /tmp/FILE
        n=$((n + 1)) ;;
    "sftp "*)
        out=$(echo pwd | eval "$cmd" 2>&1) || fail "printed command failed: $cmd"
        expect_match "printed: $cmd" "Remote working directory" "$out"
        n=$((n + 1)) ;;
    esac
done < <(grep -E '^  (ssh|scp|sftp) ' "$T/demo-bg.err")
expect_eq "printed commands tried" 4 "$n"
# bash runs its trap only after the foreground ssh: end that first.
pkill -TERM -P "$demo" 2>/dev/null || true
kill "$demo" 2>/dev/null || true
wait "$demo" 2>/dev/null || true

# As an ordinary user, as printed: the same build (handed over, so that
# cmake may refresh its cache), the user's own runtime directory.
if [ "$(id -u)" -eq 0 ] && getent passwd "$TEST_USER" >/dev/null; then
    chown -R "$TEST_USER" "$T/build"
    mkdir -p "$T/uxdg" && chown "$TEST_USER" "$T/uxdg"
    out=$(setpriv --reuid="$TEST_USER" --regid="$(id -g "$TEST_USER")" --init-groups \
        env XDG_RUNTIME_DIR="$T/uxdg" "$VS_SRC/scripts/demo" 'id -un' 2>"$T/demo-user.err") ||
        { cat "$T/demo-user.err" >&2; fail "scripts/demo as an ordinary user"; }
    expect_eq "scripts/demo as an ordinary user" "$TEST_USER" "$out"
fi
log pass
