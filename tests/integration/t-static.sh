# VS_STATIC_LIBSSH: a vsock-sshd with libssh, libcrypto and zlib linked in
# (for guest images without them) builds, needs none of them at run time,
# and serves a session and the built-in SFTP server.
. "$(dirname "$0")/../lib.sh"
[ -e /usr/lib/x86_64-linux-gnu/libssh.a ] || ls /usr/lib/*/libssh.a >/dev/null 2>&1 ||
    skip "no libssh.a"
if ! cmake -S "$VS_SRC" -B "$T/build" -DVS_STATIC_LIBSSH=ON -DVS_BUILD_TESTS=OFF \
        -DCMAKE_BUILD_TYPE=Release >/dev/null 2>"$T/configure.err"; then
    # Debian's libssh.a from 0.12 on needs libfido2 and so the shared libcrypto.
    ! grep -q libfido2 "$T/configure.err" ||
        skip "this libssh.a needs libfido2 and the shared libcrypto (CMakeLists.txt says so)"
    fail "configuring failed: $(cat "$T/configure.err")"
fi
cmake --build "$T/build" --target vsock-sshd -j 2 >"$T/build.log" 2>&1 ||
    { tail -20 "$T/build.log"; fail "static build failed"; }
deps=$(ldd "$T/build/vsock-sshd")
if grep -Eq 'libssh|libcrypto|libz\.' <<<"$deps"; then
    fail "still linked dynamically: $deps"
fi
VS_SSHD=$T/build/vsock-sshd
write_config
start_server
expect_eq "session" "static ok" "$(vssh relay 'echo static ok' </dev/null)"
printf 'payload\n' > "$T/f"
chmod 644 "$T/f"
mkdir -p "$T/g" && chown "$LOGIN" "$T/g"
scp -q -F "$T/ssh_config" "$T/f" "relay:$T/g/f"
expect_eq "sftp through the static server" payload "$(cat "$T/g/f")"
log pass
