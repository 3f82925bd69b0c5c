#!/bin/sh
# test_collectd.sh - build/kvmmem.so inside a real collectd 5.12.
#
# collectd -T (parse, init, one read) accepts good <Plugin kvmmem> blocks
# and rejects bad ones with an error line naming the option; then a few
# seconds of `collectd -f` on the fixture host k6.18 (sysfs/procfs tree and
# libvirt's test driver) must write, through the csv plugin, exactly the
# value lists of tests/unit/test_plugin_k618.h: same identifiers, same
# values, nothing more.
set -u
. "${KVMMEM_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/common.sh"
HOSTDIR="$TOP/tests/fixtures/hosts/k6.18"
EXPECTED_H="$TOP/tests/unit/test_plugin_k618.h"

require_collectd_plugin
tmpdir_with_cleanup

# conf FILE INTERVAL BLOCK: a private collectd.conf (see collectd_conf), csv into $T/csv.
conf() {
	collectd_conf "$1" testhost "$2" "$3" "LoadPlugin csv
<Plugin csv>
  DataDir \"$T/csv\"
  StoreRates false
</Plugin>"
}

FIXTURE=$(kvmmem_fixture_block "$HOSTDIR")

# --- collectd -T: good configurations --------------------------------------
n=0
for block in "$FIXTURE" \
	"$FIXTURE
  PluginInstanceFormat name uuid
  Domain \"web-01\"
  Domain \"/^q.*slash\$/\"
  IgnoreSelected true
  ReportHost false
  ReportDomains true
  ReportDomainKSM false
  Timeout 0.5" \
	"$FIXTURE
  PluginInstanceFormat uuid
  reportdomainksm \"yes\""; do
	n=$((n + 1))
	conf "$T/good$n.conf" 1 "$block"
	collectd -T -C "$T/good$n.conf" >"$T/good$n.out" 2>&1
	rc=$?
	errors=$(grep '^\[error\]' "$T/good$n.out")
	if [ $rc -ne 0 ] || [ -n "$errors" ]; then
		fail "good config $n: collectd -T rc $rc"
		cat "$T/good$n.out"
	else
		ok "good config $n accepted"
	fi
done

# --- collectd -T: bad configurations, each with its exact error line --------
check_bad() {
	name=$1 block=$2 want=$3
	conf "$T/bad-$name.conf" 1 "$FIXTURE
$block"
	collectd -T -C "$T/bad-$name.conf" >"$T/bad-$name.out" 2>&1
	rc=$?
	if [ $rc -eq 0 ]; then
		fail "bad config $name accepted"
		cat "$T/bad-$name.out"
	elif ! grep -qFx "$want" "$T/bad-$name.out"; then
		fail "bad config $name: no line: $want"
		cat "$T/bad-$name.out"
	else
		ok "bad config $name rejected (rc $rc): $want"
	fi
}
check_bad unknown '  Bogus 1' '[error] kvmmem plugin: unknown option Bogus'
check_bad quoted-format '  PluginInstanceFormat "name uuid"' \
	'[error] kvmmem plugin: option PluginInstanceFormat: unknown field "name uuid" (known: name uuid)'
check_bad bool '  ReportHost 1' \
	'[error] kvmmem plugin: option ReportHost needs exactly one boolean argument (true or false)'
check_bad regex '  Domain "/a(/"' \
	'[error] kvmmem plugin: option Domain: bad regular expression /a(/: Unmatched ( or \('
check_bad path '  SysfsPath ""' '[error] kvmmem plugin: option SysfsPath must not be empty'
check_bad timeout '  Timeout 1' \
	'[error] kvmmem plugin: option Timeout (1 s) must be below the read interval (1 s)'

# --- collectd -f: the values of k6.18 ----------------------------------------
# The expected lines, unescaped from the C string literals of the unit test.
sed -n 's/^[^"]*"\(.*\)\\n";\{0,1\}$/\1/p' "$EXPECTED_H" | awk '{
	out = ""
	for (i = 1; i <= length($0); i++) {
		c = substr($0, i, 1)
		if (c == "\\") { i++; c = substr($0, i, 1) }
		out = out c
	}
	print out
}' >"$T/expected"
nexp=$(wc -l <"$T/expected")
if [ "$nexp" -le 200 ]; then
	echo "FAIL: only $nexp expected lines read from $EXPECTED_H"
	exit 1
fi

# collectd -T above wrote csv files too.
rm -rf "$T/csv"
conf "$T/run.conf" 1 "$FIXTURE"
start_collectd "$T/run.conf" "$T/run.out"

# csv writes one file per identifier and day: <host>/<plugin>[-<instance>]/<type>-<type instance>-<date>.
csvfile() {
	dir="$T/csv/testhost/kvmmem${2:+-$2}"
	for f in "$dir/$3-$4-"*; do
		[ -f "$f" ] && echo "$f" && return 0
	done
	return 1
}
# Every expected identifier has at least two data rows (two reads).
ready() {
	while IFS='|' read -r p inst type ti val; do
		f=$(csvfile "$p" "$inst" "$type" "$ti") || return 1
		[ "$(wc -l <"$f")" -ge 3 ] || return 1
	done <"$T/expected"
	return 0
}
wait_until -p "$CPID" 15 ready || fail "collectd -f did not write every expected value within 15 s"
# A daemon that ignores SIGTERM must not hang the suite: stop_pid kills it after 10 s.
stop_pid "$CPID" 10 || fail "collectd -f did not exit within 10 s of SIGTERM"
[ "$STATUS" -eq 0 ] || fail "collectd -f exited with $STATUS after SIGTERM"
if grep '^\[error\]' "$T/run.out"; then
	fail "collectd -f logged errors"
fi

# The last row of every file has the expected value (csv prints gauges
# with six decimals, DERIVE as integers).
bad=0
while IFS='|' read -r p inst type ti val; do
	f=$(csvfile "$p" "$inst" "$type" "$ti") || { echo "missing: $p|$inst|$type|$ti"; bad=$((bad + 1)); continue; }
	got=$(tail -n 1 "$f" | cut -d, -f2)
	if ! awk -v a="$got" -v b="$val" 'BEGIN { d = a - b; if (d < 0) d = -d; m = b < 0 ? -b : b; exit !(d <= 1e-6 * (m > 1 ? m : 1)) }'; then
		echo "differs: $p|$inst|$type|$ti: csv $got, want $val"
		bad=$((bad + 1))
	fi
done <"$T/expected"
[ $bad -eq 0 ] || fail "$bad values differ from $EXPECTED_H"
nfiles=$(find "$T/csv/testhost" -type f | wc -l)
[ "$nfiles" -eq "$nexp" ] || fail "csv has $nfiles value files, expected $nexp"
[ $bad -eq 0 ] && [ "$nfiles" -eq "$nexp" ] && ok "collectd -f wrote the $nexp expected values of k6.18"

finish
