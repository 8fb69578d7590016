# Sourced by packaging/build-static and packaging/build-libssh: the Debian 13
# source packages of libssh and mbedTLS they build, fetched with apt from
# this machine's Debian mirror into a private apt state under $cache (the
# machine's sources are not touched) and checked against the SHA-256 sums
# pinned here.  The caller sets `cache` and defines die().  A mirror that
# cannot be reached exits 77 (the tests that build from these skip then); a
# checksum that does not match is an error.

SUITE=trixie
LIBSSH=libssh=0.11.5-0+deb13u1
MBEDTLS=mbedtls=3.6.6-0.1~deb13u1
# sha256 of every file of the two source packages.
SUMS="00576a30d068e87813f96b1b8405d249d7fdaf75b9e61c5af775910dc15022fd  libssh_0.11.5-0+deb13u1.debian.tar.xz
8aeaec786998691f4a2a320ae66943d3fa324882465d2a91f62658a13cd7bcff  libssh_0.11.5-0+deb13u1.dsc
6898ba9dd836d618b71dc7a4bb786a502c173cef5cafbf20fe5e0567ba4ea30c  libssh_0.11.5.orig.tar.xz
210466c522eeebc85cf2f76bd5aef935b4ebac465559cc0a84f9e73a8ed6601c  mbedtls_3.6.6-0.1~deb13u1.debian.tar.xz
eb9ed1adbbddcb0d00276fac6fcee0056c64ce01481c2522a16dca75792eb5eb  mbedtls_3.6.6-0.1~deb13u1.dsc
8fb65fae8dcae5840f793c0a334860a411f884cc537ea290ce1c52bb64ca007a  mbedtls_3.6.6.orig.tar.bz2"

# The Debian mirror this machine's apt uses (deb822 or one-line sources).
mirror() {
    local m
    m=$(grep -rhoE '^(URIs:|deb) *(\[[^]]*\] *)?https?://[^ ]+/debian/?( |$)' \
            /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null |
        grep -oE 'https?://[^ ]+' | head -1)
    echo "${m:-http://deb.debian.org/debian}"
}

fetch() {
    local dl=$cache/src apt=$cache/apt m
    mkdir -p "$dl" "$apt/lists/partial"
    if (cd "$dl" && echo "$SUMS" | sha256sum --quiet -c - >/dev/null 2>&1); then
        return
    fi
    m=$(mirror)
    m=${m%/}
    printf 'deb-src %s %s main\ndeb-src %s %s-updates main\ndeb-src %s-security %s-security main\n' \
        "$m" $SUITE "$m" $SUITE "$m" $SUITE > "$apt/sources.list"
    local A=(-o "Dir::Etc::SourceList=$apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
             -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache" -o APT::Sandbox::User=root)
    echo "${0##*/}: fetching $LIBSSH and $MBEDTLS from $m ($SUITE)" >&2
    apt-get "${A[@]}" update -qq >/dev/null ||
        { echo "${0##*/}: cannot fetch: apt-get update ($m, $SUITE sources) failed" >&2; exit 77; }
    (cd "$dl" && apt-get "${A[@]}" source --download-only -qq "$LIBSSH" "$MBEDTLS" >/dev/null) ||
        { echo "${0##*/}: cannot fetch: apt-get source $LIBSSH $MBEDTLS failed" >&2; exit 77; }
    (cd "$dl" && echo "$SUMS" | sha256sum --quiet -c -) || die "checksums do not match the pinned ones"
}
