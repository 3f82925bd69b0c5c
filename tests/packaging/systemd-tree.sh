#!/bin/sh
# systemd-tree.sh CACHE PKG... - prints the path of a Debian 12 root tree
# that boots systemd (systemd-sysv, dbus) and holds PKG... installed, built
# with mmdebstrap from the package mirror this machine uses (apt-cache
# policy: its bookworm, bookworm-updates and bookworm-security sources) and
# cached under CACHE.  The tree also holds, downloaded but not installed,
# the .deb files of libvirtd (LIBVIRT_DEBS below, with what they need) in
# /var/cache/kvmmem-libvirt, so a test can install libvirt inside the
# booted tree without a network.
#
# The cache key is the hash of the package lists, the sources and this
# script's format: a tree is built when the key's tree is missing, and
# trees of other keys are removed then.  A lock on CACHE/lock makes two
# runs build one tree, not two.  The tree is only ever read afterwards
# (tests boot it through an overlay).  Progress goes to stderr.
set -eu

CACHE=$1
shift
SUITE=bookworm
LIBVIRT_DEBS="libvirt-daemon-system libvirt-daemon-driver-qemu"
PKGS=$(printf '%s\n' systemd-sysv dbus "$@" | LC_ALL=C sort -u | tr '\n' ' ')

# The mirror the machine uses, as one-line sources; deb.debian.org when apt
# knows no bookworm source (a non-Debian host).
sources=$(apt-cache policy 2>/dev/null |
	awk -v s="$SUITE" '$2 ~ /^[a-z]+:\/\// && $3 ~ ("^" s "(-updates|-security)?/main$") {
		split($3, a, "/"); print "deb " $2 " " a[1] " main" }' | LC_ALL=C sort -u)
if [ -z "$sources" ]; then
	sources="deb http://deb.debian.org/debian $SUITE main
deb http://deb.debian.org/debian $SUITE-updates main
deb http://deb.debian.org/debian-security $SUITE-security main"
fi

describe() {
	echo "format 1"
	echo "suite $SUITE"
	echo "$sources"
	echo "include $PKGS"
	echo "download $LIBVIRT_DEBS"
}
key=$(describe | sha256sum | cut -c1-16)
dir=$CACHE/tree-$key

mkdir -p "$CACHE"
exec 9>"$CACHE/lock"
flock 9
if [ -f "$dir/ok" ]; then
	echo "$dir/root"
	exit 0
fi

echo "systemd-tree: building $dir (cache miss) with mmdebstrap" >&2
for old in "$CACHE"/tree-*; do
	[ -e "$old" ] && rm -rf "$old"
done
mkdir -p "$dir.tmp"
echo "$sources" >"$dir.tmp/sources.list"
start=$(date +%s)
# shellcheck disable=SC2016 # each hook's $1 (the tree) is expanded by mmdebstrap's shell, not here
if ! mmdebstrap --variant=apt --include="$(echo "$PKGS" | sed 's/ *$//; s/ /,/g')" \
	--customize-hook='echo kvmmem-systemd >"$1/etc/hostname"' \
	--customize-hook='mkdir -p "$1/var/cache/kvmmem-libvirt/partial"' \
	--customize-hook="chroot \"\$1\" apt-get install -y -q --no-install-recommends --download-only -o Dir::Cache::archives=/var/cache/kvmmem-libvirt $LIBVIRT_DEBS" \
	--customize-hook='rmdir "$1/var/cache/kvmmem-libvirt/partial"' \
	"$SUITE" "$dir.tmp/root" "$dir.tmp/sources.list" >"$dir.tmp/mmdebstrap.log" 2>&1; then
	tail -n 30 "$dir.tmp/mmdebstrap.log" >&2
	echo "systemd-tree: mmdebstrap failed" >&2
	rm -rf "$dir.tmp"
	exit 1
fi
describe >"$dir.tmp/key"
echo "systemd-tree: built in $(($(date +%s) - start)) s, $(du -sh "$dir.tmp/root" | cut -f1)" >&2
touch "$dir.tmp/ok"
mv "$dir.tmp" "$dir"
echo "$dir/root"
