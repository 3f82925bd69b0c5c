#!/bin/sh
# test_log_flood.sh - one log line per cause, whatever the number of domains:
# with --path.procfs pointing at a file (no /proc to scan) and no libvirt
# pidfiles, the k6.18 host's 13 domains all need the /proc scan that cannot
# run.  0.1.0 logged that failure once per domain per scrape (4800 lines in
# three scrapes at 2000 domains); now the scan fails once per collection and
# its complaint backs off, so four collections (the first at start-up, then
# three scrapes) log each cause once.  The whole log is compared.
set -u

. "${KVMMEM_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/common.sh"
HOST=$TOP/tests/fixtures/hosts/k6.18

require_tools curl sed
require_exporter
tmpdir_with_cleanup

echo "not a directory" >"$T/procfs"
start_exporter "$HOST" --path.procfs="$T/procfs" --path.libvirt-run="$T/no-run" --log.level=warn
for i in 1 2 3; do
	code=$(curl -s -o "$T/metrics" -w '%{http_code}' "http://127.0.0.1:$PORT/metrics")
	expect "scrape $i answers" 200 "$code"
done
stop_pid "$PID" 5

# The libvirt backend's pid lookup and the qemu backend each scan /proc:
# one line each, and one for each kernel file under the missing procfs.
cat >"$T/want" <<LOG
level=warn msg="$T/procfs/vmstat: Not a directory; field skipped"
level=warn msg="$T/procfs/meminfo: Not a directory"
level=warn msg="$T/procfs: cannot scan for QEMU processes: Not a directory"
level=warn msg="$T/procfs: cannot scan for QEMU processes: Not a directory"
LOG
sed 's/^ts=[^ ]* //' "$T/log" | grep -v 'level=info' >"$T/got"
if cmp -s "$T/want" "$T/got"; then
	ok "four collections of 13 domains: each cause logged once ($(wc -l <"$T/got") lines)"
else
	fail "the log is not one line per cause"
	diff -u "$T/want" "$T/got" | head -40
fi
grep -q '^kvmmem_domain_info{domain="web-01"' "$T/metrics" && ok "the domains are still served" ||
	fail "the domains are not served"
finish
