#!/bin/sh
# test_dashboards_live.sh - every panel and variable query of the dashboards
# returns data from a real Prometheus scraping the real exporter.
#
# One Prometheus (127.0.0.1, private tsdb, 1 s scrapes, kvmmem-rules.yml
# loaded) scrapes six exporters, five on the fixture hosts:
#   job kvmmem-host:  k6.18, and a QEMU 9.2 VM   -> host and domain dashboards
#   job kvmmem-fleet: k6.18, k6.1, k5.19, proxmox -> fleet dashboard
# The fleet job is configured as docs/deploying.md's fleet section says:
# file_sd files per cluster with site, cluster and platform labels, a
# platform defaulted for targets without one, a retired cluster's file
# dropped by relabelling (its target, the host job's exporter, must not be
# scraped twice).  Its targets are named by a __host label (loopback
# addresses have no host names).  The fleet dashboard's queries must return
# data from every libvirt host, each asked alone (dashcheck
# --every-instance), and from the Proxmox host all but exactly the panels
# built on balloon figures; the labels must be exactly the relabelled ones,
# and the docs' federation match[] must give every host's recorded series.
# The host job's second exporter has the qmp collector on, and a procfs
# holding one fake QEMU 9.2 monitor alone (tests/qmp/fake_qmp.py v92grow:
# Debian's QEMU 7.2 has no guest OOM kill, stall, scan or reclaim counters),
# whose counters grow each in its own step: the guest pressure panels have
# exactly that VM's series, each target its own family's step (so no panel
# shows the wrong counter), and on k6.18 alone "no data", never a failed
# query.  Every recording rule must return data too.  A domain that does not exist
# must make the checker fail, so the live check can fail.  Finally the host
# and domain dashboards are run against each fleet host alone and the queries
# without data are listed (information, not failure: older kernels lack some
# KSM files).
set -u

. "${KVMMEM_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/common.sh"
CHECK="$TOP/tests/dashboards/dashcheck.py"
HOSTS="$TOP/tests/fixtures/hosts"
DASH="$TOP/dashboards/grafana"
RULES="$TOP/dashboards/prometheus/kvmmem-rules.yml"

require_exporter
require_tools prometheus python3 curl od
for h in k6.18 k6.1 k5.19; do
	[ -f "$HOSTS/$h/libvirt.xml" ] || skip "fixture host $h is missing"
done
tmpdir_with_cleanup

# exporter N HOST [FLAGS...]: an exporter on fixture host HOST (its port in PORT), its log in $T/exporter-N.log.
exporter() {
	EXPORTER_LOG=$T/exporter-$1.log
	_host=$2
	shift 2
	start_exporter "$HOSTS/$_host" "$@"
}
exporter 1 k6.18 && E1=$PORT
exporter 2 k6.18 && E2=$PORT
exporter 3 k6.1 && E3=$PORT
exporter 4 k5.19 && E4=$PORT
# A Proxmox VE host: no libvirt, its guests found as QEMU processes.
exporter 5 proxmox --no-collector.libvirt --path.qemu-server-run="$HOSTS/proxmox/qemu-server" && E5=$PORT
# A VM without libvirt on QEMU 9.2, read over QMP; nothing else of this machine.
V92=dash$$-v92
start_fake_qmp_vm v92grow "$V92"
EXPORTER_LOG=$T/exporter-6.log
start_exporter "$T/qmp-host" --path.procfs="$T/qmp-proc" --path.qemu-server-run="$T/qmp-host/qemu-server" \
	--no-collector.libvirt --no-collector.ksm --no-collector.meminfo --no-collector.domain_ksm \
	--no-collector.cgroup --collector.qmp && E6=$PORT
PROM_PORT=$(free_port)

mkdir -p "$T/file_sd"
cat >"$T/file_sd/kvmmem-compute-a.yml" <<EOF
- targets: ['127.0.0.1:$E2']
  labels: {__host: kvm-a1, site: dc1, cluster: compute-a, platform: libvirt}
- targets: ['127.0.0.1:$E3']
  labels: {__host: kvm-a2, site: dc1, cluster: compute-a}
EOF
cat >"$T/file_sd/kvmmem-compute-b.yml" <<EOF
- targets: ['127.0.0.1:$E4']
  labels: {__host: kvm-b1, site: dc2, cluster: compute-b, platform: libvirt}
- targets: ['127.0.0.1:$E5']
  labels: {__host: pve-b2, site: dc2, cluster: compute-b, platform: proxmox}
EOF
cat >"$T/file_sd/kvmmem-retired-c.yml" <<EOF
- targets: ['127.0.0.1:$E1']
  labels: {__host: kvm-c1, site: dc2, cluster: retired-c, platform: libvirt}
EOF
FLEET="kvm-a1 kvm-a2 kvm-b1 pve-b2"
LIBVIRT_FLEET="kvm-a1 kvm-a2 kvm-b1"

cat >"$T/prometheus.yml" <<EOF
global: {scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s}
rule_files: ['$RULES']
scrape_configs:
  - job_name: kvmmem-host
    static_configs: [{targets: ['127.0.0.1:$E1', '127.0.0.1:$E6']}]
  - job_name: kvmmem-fleet
    file_sd_configs:
      - files: ['$T/file_sd/kvmmem-*.yml']
    relabel_configs:
      # As docs/deploying.md: a target without a platform is a libvirt host,
      - source_labels: [platform]
        regex: ''
        target_label: platform
        replacement: libvirt
      # and a retired cluster's hosts stay in the inventory but are not scraped.
      - source_labels: [cluster]
        regex: 'retired-.*'
        action: drop
      # Here only: the instance from the __host label, where the docs take the host name.
      - source_labels: [__host]
        target_label: instance
EOF
prometheus --config.file="$T/prometheus.yml" --storage.tsdb.path="$T/tsdb" \
	--web.listen-address="127.0.0.1:$PROM_PORT" --log.level=warn >"$T/prometheus.log" 2>&1 &
track_pid $!
PROM="http://127.0.0.1:$PROM_PORT"

# Ready when all six targets have at least three samples in the last 10 s,
# enough for rate() over 10 s.  The first scrape comes after about 6 s.
query_value() {
	curl -sf "$PROM/api/v1/query" --data-urlencode "query=$1" |
		python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "")'
}
six_targets() {
	[ "$(query_value 'count(count_over_time(kvmmem_exporter_build_info[10s]) >= 3)' 2>/dev/null)" = 6 ]
}
if ! wait_until 30 six_targets; then
	echo "FAIL: Prometheus has no data from the six exporters after 30 s"
	tail -n 20 "$T"/*.log
	curl -s "$PROM/api/v1/targets" | head -c 2000
	exit 1
fi
echo "data after $((WAITED / 10)).$((WAITED % 10)) s"

run_check() { # expected-rc args...
	want=$1
	shift
	rc=0
	python3 "$CHECK" --prometheus "$PROM" --rate-interval 10s "$@" >"$T/check.out" || rc=$?
	cat "$T/check.out"
	[ $rc -eq "$want" ] || fail "dashcheck $* exited $rc, want $want"
}

# series LABELS EXPR: "label=value,..." of each series of EXPR (the value as label "value"), sorted.
series() {
	curl -sf "$PROM/api/v1/query" --data-urlencode "query=$2" | python3 -c '
import json, sys
names = sys.argv[1].split(",")
for s in json.load(sys.stdin)["data"]["result"]:
    m = dict(s["metric"], value=s["value"][1])
    print(",".join("%s=%s" % (n, m.get(n, "")) for n in names))' "$1" | sort
}
echo "== host and domain dashboards, k6.18 (job kvmmem-host), recording rules"
run_check 0 --var job=kvmmem-host --catalogue "$TOP/common/model/catalogue.c" --rules "$RULES" --live-records "$DASH/kvmmem-host.json" "$DASH/kvmmem-domain.json"
echo "== guest pressure panels: the QEMU 9.2 VM's series, one each; on k6.18 alone no data, no error"
python3 "$CHECK" --prometheus "$PROM" --rate-interval 10s --var job=kvmmem-host -v "$DASH/kvmmem-domain.json" \
	"$DASH/kvmmem-host.json" | grep -E "^kvmmem-(domain.json: panel 2[1-4]|host.json: panel 2[89]) " >"$T/pressure.out"
expect "guest pressure panels: one series each" \
	"kvmmem-domain.json: panel 21 'Guest OOM kills' target A: 1 series
kvmmem-domain.json: panel 22 'Guest allocation stalls' target A: 1 series
kvmmem-domain.json: panel 23 'Guest reclaim, direct and kswapd' target A: 1 series
kvmmem-domain.json: panel 23 'Guest reclaim, direct and kswapd' target B: 1 series
kvmmem-domain.json: panel 24 'Guest scans, direct and kswapd' target A: 1 series
kvmmem-domain.json: panel 24 'Guest scans, direct and kswapd' target B: 1 series
kvmmem-host.json: panel 28 'Guests reclaiming directly' target A: 1 series
kvmmem-host.json: panel 29 'Guest OOM kills' target A: 1 series" "$(cat "$T/pressure.out")"
# Each target of those panels divided by the rate of the guest's OOM kills,
# which grow by 1 a collection: the step of the family it shows (an increase
# over the 10 s window is 10 times its rate).
python3 - "$PROM" "$V92" "$DASH/kvmmem-domain.json" "$DASH/kvmmem-host.json" >"$T/steps.out" <<'EOP'
import json, os, re, sys, urllib.parse, urllib.request
prom, vm = sys.argv[1], sys.argv[2]
sel = '{job="kvmmem-host",domain="%s"}' % vm
per = "rate(kvmmem_domain_guest_oom_kills_total%s[10s])" % sel
for path in sys.argv[3:]:
    for p in json.load(open(path))["panels"]:
        pressure = r"kvmmem_domain_guest_(oom_kills|allocation_stalls|(direct|async)_(scan|reclaim))"
        if not any(re.search(pressure, t.get("expr", "")) for t in p.get("targets", [])):
            continue
        for t in p["targets"]:
            expr = t["expr"].replace("$__rate_interval", "10s").replace('=~"$job"', '="kvmmem-host"')
            expr = expr.replace('instance=~"$instance",', "").replace('domain=~"$domain"', 'domain="%s"' % vm)
            q = "(%s) / on (job, instance, domain) %s" % (expr, per)
            r = json.load(urllib.request.urlopen(prom + "/api/v1/query?" + urllib.parse.urlencode({"query": q})))
            vals = [round(float(x["value"][1])) for x in r["data"]["result"]]
            print("%s: panel %d %r %s %r: %s" % (os.path.basename(path), p["id"], p["title"], t["refId"],
                                                t["legendFormat"].replace("{{domain}}", "D"), vals))
EOP
expect "guest pressure panels: each target its family's step" \
	"kvmmem-domain.json: panel 21 'Guest OOM kills' A 'D': [10]
kvmmem-domain.json: panel 22 'Guest allocation stalls' A 'D': [3]
kvmmem-domain.json: panel 23 'Guest reclaim, direct and kswapd' A 'D direct': [1048576]
kvmmem-domain.json: panel 23 'Guest reclaim, direct and kswapd' B 'D kswapd': [4194304]
kvmmem-domain.json: panel 24 'Guest scans, direct and kswapd' A 'D direct': [2097152]
kvmmem-domain.json: panel 24 'Guest scans, direct and kswapd' B 'D kswapd': [5242880]
kvmmem-host.json: panel 28 'Guests reclaiming directly' A 'D': [1048576]
kvmmem-host.json: panel 29 'Guest OOM kills' A 'D': [10]" "$(cat "$T/steps.out")"
python3 "$CHECK" --prometheus "$PROM" --rate-interval 10s --var job=kvmmem-host --var "instance=127.0.0.1:$E1" \
	"$DASH/kvmmem-domain.json" "$DASH/kvmmem-host.json" | grep -E "^kvmmem-(domain.json: panel 2[1-4]|host.json: panel 2[89]) " |
	sed 's/: no data: .*/: no data/' >"$T/pressure-none.out"
expect "guest pressure panels on a libvirt host: no data, no failed query" \
	"kvmmem-domain.json: panel 21 'Guest OOM kills' target A: no data
kvmmem-domain.json: panel 22 'Guest allocation stalls' target A: no data
kvmmem-domain.json: panel 23 'Guest reclaim, direct and kswapd' target A: no data
kvmmem-domain.json: panel 23 'Guest reclaim, direct and kswapd' target B: no data
kvmmem-domain.json: panel 24 'Guest scans, direct and kswapd' target A: no data
kvmmem-domain.json: panel 24 'Guest scans, direct and kswapd' target B: no data
kvmmem-host.json: panel 28 'Guests reclaiming directly' target A: no data
kvmmem-host.json: panel 29 'Guest OOM kills' target A: no data" "$(cat "$T/pressure-none.out")"
expect "the fake monitor got the read-only commands only" "qmp_capabilities
qom-get guest-stats
qom-get guest-stats-polling-interval
query-balloon" "$(sed 's/ *$//' "$T/$V92.qmp.log" | sort -u)"

echo "== fleet dashboard, k6.18 + k6.1 + k5.19 + proxmox (job kvmmem-fleet): series from every host"
# shellcheck disable=SC2046,SC2086 # one --every-instance per host, split on purpose
run_check 0 --var job=kvmmem-fleet $(printf -- '--every-instance %s ' $LIBVIRT_FLEET) "$DASH/kvmmem-fleet.json"
# Without the qmp collector a Proxmox VE host has no balloon or guest figures:
# exactly the panels built on them have no data from it, all others do.
run_check 1 --var job=kvmmem-fleet --every-instance pve-b2 "$DASH/kvmmem-fleet.json"
expect "the Proxmox host: only the balloon and guest swap panels lack its data" \
	"kvmmem-fleet.json: panel 7 'Ballooned out' target A: no data from instance pve-b2
kvmmem-fleet.json: panel 14 'Top domains by ballooned-out memory' target A: no data from instance pve-b2
kvmmem-fleet.json: panel 15 'Top domains by swap rate' target A: no data from instance pve-b2
FAIL: 1 dashboards, 16 queries, 0 parsed by promtool, 3 findings" "$(cat "$T/check.out")"

expect "fleet targets: labelled by site, cluster and platform, the retired cluster dropped" \
	"cluster=compute-a,instance=kvm-a1,platform=libvirt,site=dc1
cluster=compute-a,instance=kvm-a2,platform=libvirt,site=dc1
cluster=compute-b,instance=kvm-b1,platform=libvirt,site=dc2
cluster=compute-b,instance=pve-b2,platform=proxmox,site=dc2" \
	"$(series cluster,instance,platform,site 'up{job="kvmmem-fleet"}')"
expect "fleet: exporters by platform" "platform=libvirt,value=3
platform=proxmox,value=1" \
	"$(series platform,value 'count by (platform) (kvmmem_exporter_build_info{job="kvmmem-fleet"})')"

# docs/deploying.md's federation match[], asked of this Prometheus as the
# global one would: every fleet host's recorded and host series are there.
curl -sf -G "$PROM/federate" --data-urlencode 'match[]={__name__=~"instance:kvmmem_.*"}' \
	--data-urlencode 'match[]={__name__=~"kvmmem_(libvirt_up|exporter_build_info|host_memory_.*_bytes)"}' \
	--data-urlencode 'match[]={__name__="ALERTS", alertname=~"Kvmmem.*"}' >"$T/federate" ||
	fail "/federate with the docs' match[] failed"
for h in $FLEET; do
	for m in instance:kvmmem_ksm_saved_bytes:pages_sharing kvmmem_exporter_build_info kvmmem_host_memory_total_bytes; do
		grep -q "^$m{.*instance=\"$h\"" "$T/federate" || fail "/federate has no $m of $h"
	done
done
ok "/federate with the docs' match[]: recorded KSM savings, build info and host memory of every fleet host"
echo "== negative: a domain that does not exist gives no data"
run_check 1 --var job=kvmmem-host --var domain=no-such-domain "$DASH/kvmmem-domain.json"
grep -q "^kvmmem-domain.json: panel 2 'Balloon current and maximum' target A: no data: " "$T/check.out" ||
	fail "the no-data finding for panel 2 is missing"

echo "== information: queries without data on each fleet host alone"
for e in kvm-a1:k6.18 kvm-a2:k6.1 kvm-b1:k5.19 pve-b2:proxmox; do
	echo "-- ${e#*:}"
	python3 "$CHECK" --prometheus "$PROM" --rate-interval 10s --var job=kvmmem-fleet \
		--var "instance=${e%%:*}" "$DASH/kvmmem-host.json" "$DASH/kvmmem-domain.json" | sed 's/^/   /'
done

finish
