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
TOP=${KVMMEM_TOP:?run through tests/run.sh}
O=${KVMMEM_BUILD:?run through tests/run.sh}
SO="$O/kvmmem.so"
HOSTDIR="$TOP/tests/fixtures/hosts/k6.18"
EXPECTED_H="$TOP/tests/unit/test_plugin_k618.h"

[ -f "$SO" ] || { echo "SKIP: $SO not built (collectd-dev headers missing)"; exit 77; }
command -v collectd >/dev/null || { echo "SKIP: collectd not installed (collectd-core)"; exit 77; }
# An AddressSanitizer build needs the ASan runtime loaded first, which the
# stock collectd executable does not do: dlopen would abort.
if nm -D "$SO" | grep -q '__asan_init'; then
	echo "SKIP: $SO is built with SANITIZE=address and cannot load into the non-sanitized collectd"
	exit 77
fi

TMP=$(mktemp -d)
CPID=
cleanup() {
	[ -n "$CPID" ] && kill -TERM "$CPID" 2>/dev/null && wait "$CPID" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
fails=0
fail() {
	echo "FAIL: $*"
	fails=$((fails + 1))
}

# conf FILE INTERVAL BLOCK: a private collectd.conf with logfile on stderr
# (no timestamps, so error lines compare exactly), the plugin from the
# build directory, csv into $TMP/csv.
conf() {
	cat >"$1" <<EOC
Hostname "testhost"
FQDNLookup false
BaseDir "$TMP"
PIDFile "$TMP/collectd.pid"
TypesDB "/usr/share/collectd/types.db"
Interval $2
PluginDir "/usr/lib/collectd"
LoadPlugin logfile
<Plugin logfile>
  LogLevel info
  File STDERR
  Timestamp false
  PrintSeverity true
</Plugin>
PluginDir "$O"
LoadPlugin kvmmem
PluginDir "/usr/lib/collectd"
<Plugin kvmmem>
$3
</Plugin>
LoadPlugin csv
<Plugin csv>
  DataDir "$TMP/csv"
  StoreRates false
</Plugin>
EOC
}

FIXTURE="  Connection \"test://$HOSTDIR/libvirt.xml\"
  SysfsPath \"$HOSTDIR/sys\"
  ProcfsPath \"$HOSTDIR/proc\"
  LibvirtRunPath \"$HOSTDIR/run\""

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
	conf "$TMP/good$n.conf" 1 "$block"
	collectd -T -C "$TMP/good$n.conf" >"$TMP/good$n.out" 2>&1
	rc=$?
	errors=$(grep '^\[error\]' "$TMP/good$n.out")
	if [ $rc -ne 0 ] || [ -n "$errors" ]; then
		fail "good config $n: collectd -T rc $rc"
		cat "$TMP/good$n.out"
	else
		echo "ok good config $n accepted"
	fi
done

# --- collectd -T: bad configurations, each with its exact error line --------
check_bad() {
	name=$1 block=$2 want=$3
	conf "$TMP/bad-$name.conf" 1 "$FIXTURE
$block"
	collectd -T -C "$TMP/bad-$name.conf" >"$TMP/bad-$name.out" 2>&1
	rc=$?
	if [ $rc -eq 0 ]; then
		fail "bad config $name accepted"
		cat "$TMP/bad-$name.out"
	elif ! grep -qFx "$want" "$TMP/bad-$name.out"; then
		fail "bad config $name: no line: $want"
		cat "$TMP/bad-$name.out"
	else
		echo "ok bad config $name rejected (rc $rc): $want"
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
}' >"$TMP/expected"
nexp=$(wc -l <"$TMP/expected")
if [ "$nexp" -le 200 ]; then
	echo "FAIL: only $nexp expected lines read from $EXPECTED_H"
	exit 1
fi

# collectd -T above wrote csv files too.
rm -rf "$TMP/csv"
conf "$TMP/run.conf" 1 "$FIXTURE"
collectd -f -C "$TMP/run.conf" >"$TMP/run.out" 2>&1 &
CPID=$!

# csv writes one file per identifier and day: <host>/<plugin>[-<instance>]/<type>-<type instance>-<date>.
csvfile() {
	dir="$TMP/csv/testhost/kvmmem${2:+-$2}"
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
	done <"$TMP/expected"
	return 0
}
i=0
until ready; do
	i=$((i + 1))
	if [ $i -gt 150 ] || ! kill -0 "$CPID" 2>/dev/null; then
		fail "collectd -f did not write every expected value within 15 s"
		break
	fi
	sleep 0.1
done
kill -TERM "$CPID"
# A daemon that ignores SIGTERM must not hang the suite.
i=0
while kill -0 "$CPID" 2>/dev/null && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
if kill -0 "$CPID" 2>/dev/null; then
	fail "collectd -f did not exit within 10 s of SIGTERM"
	kill -KILL "$CPID"
fi
wait "$CPID"
rc=$?
CPID=
[ $rc -eq 0 ] || fail "collectd -f exited with $rc after SIGTERM"
if grep '^\[error\]' "$TMP/run.out"; then
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
done <"$TMP/expected"
[ $bad -eq 0 ] || fail "$bad values differ from $EXPECTED_H"
nfiles=$(find "$TMP/csv/testhost" -type f | wc -l)
[ "$nfiles" -eq "$nexp" ] || fail "csv has $nfiles value files, expected $nexp"
[ $bad -eq 0 ] && [ "$nfiles" -eq "$nexp" ] && echo "ok collectd -f wrote the $nexp expected values of k6.18"

[ $fails -eq 0 ] || { echo "$fails failures"; exit 1; }
echo "PASS"
