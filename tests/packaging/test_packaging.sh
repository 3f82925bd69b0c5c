#!/bin/sh
# dpkg-buildpackage -b -us -uc from a clean clone of HEAD: both packages
# build with the unit tests run, carry exactly the expected files, the
# exporter package creates its user before systemd starts the unit, the
# packaged binary reports the version of VERSION and debian/changelog, and
# lintian finds no error.  Slow (a full build): KVMMEM_SKIP_SLOW=1 skips it.
set -eu
. "${KVMMEM_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/common.sh"

[ "${KVMMEM_SKIP_SLOW:-0}" != 1 ] || skip "KVMMEM_SKIP_SLOW=1 (this test builds the Debian packages from a clean clone)"
require_tools dpkg-buildpackage dh lintian git
tmpdir_with_cleanup
git clone -q "$TOP" "$T/src"
SRC="$T/src"
rev=$(git -C "$SRC" rev-parse --short=12 HEAD)
version=$(cat "$SRC/VERSION")
echo "building HEAD $rev (uncommitted changes are not in a clean clone)"

# The package version is the project's version.
pkgversion=$(cd "$SRC" && dpkg-parsechangelog -S Version)
[ "$pkgversion" = "$version" ] || { echo "FAIL: debian/changelog $pkgversion != VERSION $version"; exit 1; }

start=$(date +%s)
if ! (cd "$SRC" && dpkg-buildpackage -b -us -uc -j2) >"$T/build.log" 2>&1; then
	tail -n 60 "$T/build.log"
	echo "FAIL: dpkg-buildpackage failed"
	exit 1
fi
echo "dpkg-buildpackage: $(($(date +%s) - start)) s"
# The unit tests ran inside the build, and all passed.
grep -E '^== [0-9]+ passed, 0 failed' "$T/build.log" || { echo "FAIL: unit tests did not run in the build"; exit 1; }

deb_exp="$T/kvmmem-exporter_${version}_$(dpkg --print-architecture).deb"
deb_plug="$T/collectd-kvmmem_${version}_$(dpkg --print-architecture).deb"
# dh_compress gzips documents by size, so .gz is cut there.
files() {
	dpkg-deb -c "$1" | awk '$1 !~ /^d/ { print substr($1, 2, 9), $6 }' | sed '/\/usr\/share\/doc\//s/\.gz$//' |
		LC_ALL=C sort -k2
}

{
	echo "rw-r--r-- ./etc/default/kvmmem_exporter"
	echo "rw-r--r-- ./lib/systemd/system/kvmmem_exporter.service"
	echo "rwxr-xr-x ./usr/bin/kvmmem-top"
	echo "rwxr-xr-x ./usr/bin/kvmmem_exporter"
	for f in README.md changelog changelog.Debian copyright deploying.md troubleshooting.md; do
		echo "rw-r--r-- ./usr/share/doc/kvmmem-exporter/$f"
	done
	for f in "$SRC"/dashboards/grafana/*.json; do
		[ -f "$f" ] && echo "rw-r--r-- ./usr/share/kvmmem/grafana/$(basename "$f")"
	done
	for f in "$SRC"/dashboards/prometheus/*.yml; do
		case $f in *.test.yml) continue ;; esac
		[ -f "$f" ] && echo "rw-r--r-- ./usr/share/kvmmem/prometheus/$(basename "$f")"
	done
	echo "rw-r--r-- ./usr/share/man/man1/kvmmem-top.1.gz"
	echo "rw-r--r-- ./usr/share/man/man1/kvmmem_exporter.1.gz"
} | LC_ALL=C sort -k2 >"$T/want"
files "$deb_exp" >"$T/got"
diff -u "$T/want" "$T/got" || { echo "FAIL: kvmmem-exporter: files differ"; exit 1; }

printf '%s\n' "rw-r--r-- ./usr/lib/collectd/kvmmem.so" "rw-r--r-- ./usr/share/doc/collectd-kvmmem/changelog" \
	"rw-r--r-- ./usr/share/doc/collectd-kvmmem/changelog.Debian" \
	"rw-r--r-- ./usr/share/doc/collectd-kvmmem/copyright" "rw-r--r-- ./usr/share/man/man5/collectd-kvmmem.5.gz" \
	| LC_ALL=C sort -k2 >"$T/want"
files "$deb_plug" >"$T/got"
diff -u "$T/want" "$T/got" || { echo "FAIL: collectd-kvmmem: files differ"; exit 1; }

# Dependencies: the plugin needs collectd; the postinst needs adduser.
has_dep() { dpkg-deb -f "$1" Depends | tr ',' '\n' | sed 's/^ *//; s/ .*//' | grep -qx "$2" || { echo "$1 lacks Depends $2"; exit 1; }; }
has_dep "$deb_plug" collectd-core
has_dep "$deb_exp" adduser

dpkg-deb -e "$deb_exp" "$T/ctl"
echo /etc/default/kvmmem_exporter | diff -u - "$T/ctl/conffiles"
# The user exists before the unit is started: adduser comes first.
user_line=$(grep -n 'adduser --quiet --system --group --no-create-home --home /nonexistent kvmmem$' "$T/ctl/postinst" | cut -d: -f1)
start_line=$(grep -n "deb-systemd-invoke .*'kvmmem_exporter.service'" "$T/ctl/postinst" | cut -d: -f1)
[ -n "$user_line" ] && [ -n "$start_line" ] && [ "$user_line" -lt "$start_line" ] ||
	{ cat "$T/ctl/postinst"; echo "FAIL: postinst must create the user kvmmem before starting the unit"; exit 1; }

# The packaged unit and binary: Debian paths, the version of this clone.
dpkg-deb -x "$deb_exp" "$T/root"
grep -x 'ExecStart=/usr/bin/kvmmem_exporter $ARGS' "$T/root/lib/systemd/system/kvmmem_exporter.service"
"$T/root/usr/bin/kvmmem_exporter" --version | head -n1 >"$T/got"
echo "kvmmem_exporter, version $version (revision: $rev)" | diff -u - "$T/got"

# lintian: no errors (warnings are printed for the reader).
lintian --fail-on error "$T"/kvmmem_"${version}"_*.changes 2>&1 | grep -v 'running with root privileges' || true
lintian --fail-on error "$T"/kvmmem_"${version}"_*.changes >/dev/null 2>&1 || { echo "FAIL: lintian reports errors"; exit 1; }
ok "packages built and checked"
finish
