# A throw-away copy of this machine's root file system for installing
# things as root without touching the real system: an overlay whose lower
# layer is / (read-only to it) and whose upper layer is a tmpfs, in a
# private mount namespace that ends with the command.  Groups created,
# packages installed, files written and capabilities set there vanish with
# it.  Sourced by t-deb and t-install after lib.sh.
#
#   scratch_root_check            0 when usable here (root, unshare,
#                                 overlayfs), else prints why and returns 1
#   scratch_root SCRIPT [ARG]...  runs the sh SCRIPT (set -eu) with ARGs as
#                                 $1... chrooted into a fresh copy, with
#                                 /dev, /proc and $T (the real one, at the
#                                 same path) bound in; each directory in
#                                 SCRATCH_BINDS too, unless the overlay
#                                 already shows it (it is on the root file
#                                 system: then writes to it stay in the copy)

SCRATCH_BINDS=${SCRATCH_BINDS:-}

scratch_root() {
    local d=$T/scratch.$$.$RANDOM
    mkdir "$d"
    # shellcheck disable=SC2016
    unshare --mount --propagation private --fork -- sh -c '
        d=$1; t=$2; binds=$3; script=$4; shift 4
        mount -t tmpfs -o mode=0755 vs-scratch "$d" &&
        mkdir "$d/upper" "$d/work" "$d/root" &&
        mount -t overlay vs-scratch -o "lowerdir=/,upperdir=$d/upper,workdir=$d/work" "$d/root" &&
        mount --rbind /dev "$d/root/dev" &&
        mount -t proc proc "$d/root/proc" || { echo "scratch root: mount failed" >&2; exit 125; }
        for b in $binds; do
            [ "$b" = "$t" ] || [ "$(stat -c %d "$b")" != "$(stat -c %d /)" ] || continue
            mkdir -p "$d/root$b" && mount --bind "$b" "$d/root$b" ||
                { echo "scratch root: cannot bind $b" >&2; exit 125; }
        done
        exec chroot "$d/root" /usr/bin/env -i LC_ALL=C HOME=/root T="$t" \
            PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
            /bin/sh -euc "$script" scratch-root "$@"
    ' scratch-root "$d" "$T" "$T $SCRATCH_BINDS" "$@"
}

scratch_root_check() {
    [ "$(id -u)" -eq 0 ] || { echo "needs root"; return 1; }
    command -v unshare >/dev/null || { echo "no unshare"; return 1; }
    local out
    out=$(scratch_root 'touch /etc/vs-scratch-probe' 2>&1) ||
        { echo "no overlay root here: $out"; return 1; }
    [ ! -e /etc/vs-scratch-probe ] || { rm -f /etc/vs-scratch-probe; echo "the overlay wrote through"; return 1; }
}
