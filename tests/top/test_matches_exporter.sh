#!/bin/sh
# test_matches_exporter.sh - on every fixture host, kvmmem-top --json reports what kvmmem_exporter --dump
# does: the same domains, and for each its maximum, balloon current, RSS, KSM merged (merging pages x page
# size), KSM profit and host cost, and the host's memory and KSM totals; absent in one is absent in the
# other.
set -u
. "${KVMMEM_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/common.sh"
KTOP=$BUILD/kvmmem-top
require_exporter
require_tools python3
[ -x "$KTOP" ] || { echo "FAIL: $KTOP is not built"; exit 1; }
tmpdir_with_cleanup

cat >"$T/compare.py" <<'EOF_PY'
import json, re, sys

prom, doc = sys.argv[1], json.loads(open(sys.argv[2]).readline())
series = {}
sample = re.compile(r'^([a-z_]+)(?:\{(.*)\})? (\S+)$')
label = re.compile(r'([a-z_]+)="((?:[^"\\]|\\.)*)"')
for line in open(prom):
    m = sample.match(line.rstrip('\n'))
    if not m:
        continue
    labels = {k: re.sub(r'\\(.)', lambda e: '\n' if e.group(1) == 'n' else e.group(1), v)
              for k, v in label.findall(m.group(2) or '')}
    series[(m.group(1), labels.get('domain'))] = float(m.group(3))

def prom_value(name, dom=None):
    return series.get(('kvmmem_' + name, dom))

bad = []
def same(what, top, exp):
    if (top is None) != (exp is None) or (top is not None and float(top) != exp):
        bad.append('%s: kvmmem-top %r, exporter %r' % (what, top, exp))

host = doc['host']
page = prom_value('host_page_size_bytes')
same('memory total', host['memory_total_bytes'], prom_value('host_memory_total_bytes'))
same('memory available', host['memory_available_bytes'], prom_value('host_memory_available_bytes'))
sharing = prom_value('ksm_pages_sharing')
same('KSM saved', host['ksm_saved_bytes'], sharing * page if sharing is not None and page else None)
same('KSM profit', host['ksm_general_profit_bytes'], prom_value('ksm_general_profit_bytes'))
exp_doms = sorted(d for (n, d) in series if n == 'kvmmem_domain_state_code')
same('domains', None, None) if sorted(d['name'] for d in doc['domains']) == exp_doms else \
    bad.append('domains: kvmmem-top %r, exporter %r' % (sorted(d['name'] for d in doc['domains']), exp_doms))
for d in doc['domains']:
    n = d['name']
    same(n + ' maximum', d['maximum_bytes'], prom_value('domain_memory_maximum_bytes', n))
    same(n + ' current', d['current_bytes'], prom_value('domain_balloon_current_bytes', n))
    same(n + ' rss', d['rss_bytes'], prom_value('domain_rss_bytes', n))
    merging = prom_value('domain_ksm_merging_pages', n)
    same(n + ' KSM merged', d['ksm_merged_bytes'], merging * page if merging is not None and page else None)
    same(n + ' KSM profit', d['ksm_profit_bytes'], prom_value('domain_ksm_profit_bytes', n))
    if ('kvmmem_domain_host_memory_bytes', n) in series or d['host_memory_bytes'] is not None:
        same(n + ' host cost', d['host_memory_bytes'], prom_value('domain_host_memory_bytes', n))
print('\n'.join(bad) if bad else 'same')
EOF_PY

"$KTOP" --help >"$T/help"
for dir in "$TOP"/tests/fixtures/hosts/*/; do
	host=$(basename "$dir")
	h=$dir
	set -- --path.sysfs="$h/sys" --path.procfs="$h/proc" --path.libvirt-run="$h/run"
	grep -q -- '--path.cgroupfs=' "$T/help" && set -- "$@" --path.cgroupfs="$h/sys/fs/cgroup"
	grep -q -- '--path.qemu-server-run=' "$T/help" && set -- "$@" --path.qemu-server-run="$h/qemu-server"
	if [ -f "$h/libvirt.xml" ]; then
		set -- "$@" --libvirt.uri="test://$h/libvirt.xml"
	elif [ -f "$h/libvirt-down" ]; then
		set -- "$@" --libvirt.uri="qemu+unix:///system?socket=$h/run/libvirt-sock-ro"
	else
		set -- "$@" --no-collector.libvirt
	fi
	"$BIN" --dump "$@" >"$T/$host.prom" 2>/dev/null
	"$KTOP" --json -n 1 "$@" >"$T/$host.json" 2>/dev/null
	expect "$host: kvmmem-top --json = kvmmem_exporter --dump" same \
		"$(python3 "$T/compare.py" "$T/$host.prom" "$T/$host.json")"
done
finish
