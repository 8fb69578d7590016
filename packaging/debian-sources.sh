# Sourced by packaging/build-static and packaging/build-libssh: the Debian
# source packages of libssh and mbedTLS they build, fetched with apt from
# this machine's Debian mirror into a private apt state under $cache (the
# machine's sources are not touched) and checked against the SHA-256 sums
# pinned here.  The caller sets `cache` and defines die().  A mirror that
# cannot be reached exits 77 (the tests that build from these skip then); a
# pinned version the mirror no longer has, or a checksum that does not
# match, is an error that names what the mirror has instead.
#
# libssh 0.12.2 (post-quantum key exchange, the 0.12.1 and 0.12.2 security
# fixes) is Debian sid's; mbedTLS 3.6.7 is sid's too (3.6.7 fixes CVEs in
# the ECDH, ChaCha20 and ECC code libssh uses; trixie has 3.6.6).  To move
# on: pick the version apt-cache showsrc lists, put it and the sha256 of
# each file of its .dsc here.

LIBSSH=libssh=0.12.2-1
LIBSSH_SUITE=sid
MBEDTLS=mbedtls=3.6.7-3
MBEDTLS_SUITE=sid
# The .dsc files (the pins' versions, without epoch).
LIBSSH_DSC=libssh_0.12.2-1.dsc
MBEDTLS_DSC=mbedtls_3.6.7-3.dsc
# sha256 of every file of the two source packages.
SUMS="9e2dcf910eeeadf882c76cf1fedf737a9b3033c87aa92618d0898b9f4f640286  libssh_0.12.2-1.debian.tar.xz
57db3db1488323403fd2dde3620328a9779551505f22101ae2049ee73cb7ef5e  libssh_0.12.2-1.dsc
49560f677d96e3706a904ac2de1116e25f3680937d51e5c92198fcba4a1c1e9f  libssh_0.12.2.orig.tar.xz
f9f3708372d86771bd0b1db96d0e3adfb2b51075cd14b849e3747f3ac406c713  libssh_0.12.2.orig.tar.xz.asc
87d9007e48fdbc49e207da375b7811b13d23312cd7c412952cc9dc7a19d4c833  mbedtls_3.6.7-3.debian.tar.xz
a468f939a098d45c5a6f64ac91a5bb41ff188d5562edbcb37aaed59f767df25f  mbedtls_3.6.7-3.dsc
a7e8bcbec0e6f761b4af24f25677626b35f762f68eef79c08677a363212d11f6  mbedtls_3.6.7.orig.tar.bz2"

# The Debian mirror this machine's apt uses (deb822 or one-line sources).
mirror() {
    local m
    m=$(grep -rhoE '^(URIs:|deb) *(\[[^]]*\] *)?https?://[^ ]+/debian/?( |$)' \
            /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null |
        grep -oE 'https?://[^ ]+' | head -1)
    echo "${m:-http://deb.debian.org/debian}"
}

# The source lines for a suite: a stable one with its updates and security
# suites, sid alone.
suite_sources() { # mirror suite
    printf 'deb-src %s %s main\n' "$1" "$2"
    case $2 in
        sid | unstable | experimental) ;;
        *) printf 'deb-src %s %s-updates main\ndeb-src %s-security %s-security main\n' \
               "$1" "$2" "$1" "$2" ;;
    esac
}

fetch() {
    local dl=$cache/src apt=$cache/apt m pin name have missing=
    mkdir -p "$dl" "$apt/lists/partial"
    if (cd "$dl" && echo "$SUMS" | sha256sum --quiet -c - >/dev/null 2>&1); then
        return
    fi
    m=$(mirror)
    m=${m%/}
    { suite_sources "$m" "$LIBSSH_SUITE"
      [ "$MBEDTLS_SUITE" = "$LIBSSH_SUITE" ] || suite_sources "$m" "$MBEDTLS_SUITE"; } \
        > "$apt/sources.list"
    local A=(-o "Dir::Etc::SourceList=$apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
             -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache" -o APT::Sandbox::User=root)
    echo "${0##*/}: fetching $LIBSSH ($LIBSSH_SUITE) and $MBEDTLS ($MBEDTLS_SUITE) from $m" >&2
    apt-get "${A[@]}" update -qq >/dev/null ||
        { echo "${0##*/}: cannot fetch: apt-get update ($m, $LIBSSH_SUITE and $MBEDTLS_SUITE sources) failed" >&2; exit 77; }
    # The mirror answers: a pinned version it does not list has left it (sid
    # moves on).  An error, not a skip, naming what is there now.
    for pin in "$LIBSSH" "$MBEDTLS"; do
        name=${pin%%=*}
        have=$(apt-cache "${A[@]}" showsrc "$name" 2>/dev/null |
            awk '/^Version:/ { print $2 }' | sort -u | paste -sd' ')
        case " $have " in
            *" ${pin#*=} "*) ;;
            *) missing="$missing $pin is no longer on $m (it has $name ${have:-none});" ;;
        esac
    done
    [ -z "$missing" ] ||
        die "${missing# } pin the new version and its sha256 sums in packaging/debian-sources.sh"
    (cd "$dl" && apt-get "${A[@]}" source --download-only -qq "$LIBSSH" "$MBEDTLS" >/dev/null) ||
        { echo "${0##*/}: cannot fetch: apt-get source $LIBSSH $MBEDTLS failed" >&2; exit 77; }
    (cd "$dl" && echo "$SUMS" | sha256sum --quiet -c -) ||
        die "checksums of $LIBSSH and $MBEDTLS do not match the ones pinned in packaging/debian-sources.sh"
}
