#!/bin/sh
# make install / make uninstall into a private DESTDIR: the exact file list,
# modes and paths substituted into the unit; uninstall leaves no file and
# only the shared directory skeleton; an edited defaults file survives.
set -eu
. "${KVMMEM_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/common.sh"
O=$BUILD
require_exporter
tmpdir_with_cleanup
plugin=no
[ -f /usr/include/collectd/core/daemon/plugin.h ] && plugin=yes

mk() { make --no-print-directory -C "$TOP" O="$O" "$@" >"$T/make.log" 2>&1 || { cat "$T/make.log"; exit 1; }; }

# The files install must lay out for PREFIX=/usr, in `find | sort` order.
expect_files() {
	p=$1
	{
		echo "./etc/default/kvmmem_exporter 644"
		echo ".$p/bin/kvmmem-top 755"
		echo ".$p/bin/kvmmem_exporter 755"
		echo ".$p/lib/systemd/system/kvmmem_exporter.service 644"
		echo ".$p/share/man/man1/kvmmem-top.1 644"
		echo ".$p/share/man/man1/kvmmem_exporter.1 644"
		if [ $plugin = yes ]; then
			echo ".$p/lib/collectd/kvmmem.so 644"
			echo ".$p/share/man/man5/collectd-kvmmem.5 644"
		fi
		for f in "$TOP"/dashboards/grafana/*.json; do
			[ -f "$f" ] && echo ".$p/share/kvmmem/grafana/$(basename "$f") 644"
		done
		for f in "$TOP"/dashboards/prometheus/*.yml; do
			case $f in *.test.yml) continue ;; esac
			[ -f "$f" ] && echo ".$p/share/kvmmem/prometheus/$(basename "$f") 644"
		done
	} | LC_ALL=C sort
}
list_files() { (cd "$1" && find . \( -type f -o -type l \) -printf '%p %m\n' | LC_ALL=C sort); }

for prefix in /usr /usr/local; do
	D="$T/root$(echo $prefix | tr / _)"
	mk install DESTDIR="$D" PREFIX="$prefix"
	expect_files "$prefix" >"$T/want"
	list_files "$D" >"$T/got"
	diff -u "$T/want" "$T/got" || { echo "FAIL: install PREFIX=$prefix: file list differs"; exit 1; }

	# The unit starts the installed binary with the flags of the defaults file.
	grep -E '^(ExecStart|EnvironmentFile)=' "$D$prefix/lib/systemd/system/kvmmem_exporter.service" >"$T/got"
	printf '%s\n' "EnvironmentFile=-/etc/default/kvmmem_exporter" "ExecStart=$prefix/bin/kvmmem_exporter \$ARGS" \
		>"$T/want"
	diff -u "$T/want" "$T/got"
	if grep -n '@[A-Z]*@' "$D$prefix/lib/systemd/system/kvmmem_exporter.service"; then
		echo "FAIL: unsubstituted placeholder in the installed unit"
		exit 1
	fi
	cmp "$TOP/packaging/kvmmem_exporter.default" "$D/etc/default/kvmmem_exporter"
	cmp "$O/kvmmem_exporter" "$D$prefix/bin/kvmmem_exporter"

	mk uninstall DESTDIR="$D" PREFIX="$prefix"
	list_files "$D" >"$T/got"
	if [ -s "$T/got" ]; then
		echo "FAIL: uninstall PREFIX=$prefix left files:"
		cat "$T/got"
		exit 1
	fi
	# Only shared directories may stay (empty): removing /usr/bin is not ours to do.
	(cd "$D" && find . -mindepth 1 -type d | LC_ALL=C sort) >"$T/got"
	{
		for d in etc etc/default "${prefix#/}" "${prefix#/}/bin" "${prefix#/}/lib" "${prefix#/}/lib/systemd" \
			"${prefix#/}/lib/systemd/system" "${prefix#/}/share" "${prefix#/}/share/man" "${prefix#/}/share/man/man1"; do
			echo "./$d"
		done
		[ "$prefix" = /usr/local ] && echo ./usr
		if [ $plugin = yes ]; then
			echo "./${prefix#/}/lib/collectd"
			echo "./${prefix#/}/share/man/man5"
		fi
	} | LC_ALL=C sort >"$T/want"
	diff -u "$T/want" "$T/got" || { echo "FAIL: uninstall PREFIX=$prefix: unexpected directories left"; exit 1; }
done

# An operator's flags survive reinstall and uninstall.
D="$T/edited"
mk install DESTDIR="$D" PREFIX=/usr
echo 'ARGS="--log.level=debug"' >"$D/etc/default/kvmmem_exporter"
mk install DESTDIR="$D" PREFIX=/usr
mk uninstall DESTDIR="$D" PREFIX=/usr
list_files "$D" >"$T/got"
echo "./etc/default/kvmmem_exporter 644" >"$T/want"
diff -u "$T/want" "$T/got"
echo 'ARGS="--log.level=debug"' | cmp - "$D/etc/default/kvmmem_exporter"

# Overrides of single directories, as debian/rules uses them.
D="$T/debian"
mk install DESTDIR="$D" PREFIX=/usr UNITDIR=/lib/systemd/system COLLECTD_PLUGINDIR=/usr/lib/collectd
test -f "$D/lib/systemd/system/kvmmem_exporter.service"
test ! -e "$D/usr/lib/systemd"
ok "install and uninstall lay out and remove exactly the expected files"
finish
