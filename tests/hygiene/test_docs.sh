#!/bin/sh
# Documentation that cannot drift from the code:
#  1. the man pages render without a groff warning;
#  2. kvmmem_exporter(1) documents exactly the flags of --help;
#  3. every kvmmem_* metric named in README.md, HACKING.md, docs/ and man/ is
#     in the catalogue, and
#     every recording rule named there is in dashboards/prometheus;
#  4. the log lines quoted in docs/troubleshooting.md are what the exporter
#     really logs in those situations (fixture hosts, run as nobody);
#  5. the Prometheus configuration in docs/deploying.md passes promtool and
#     its relabelling makes instance the hypervisor's short name and fills in the platform.
set -eu
. "${KVMMEM_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/common.sh"
O=$BUILD
cd "$TOP"

require_exporter
[ -x "$O/tests/bin/test_catalogue" ] || { echo "FAIL: no $O/tests/bin/test_catalogue: run make unit first"; exit 1; }
command -v man >/dev/null || skip "man not installed (apt-get install man-db groff-base)"
tmpdir_with_cleanup

# 1. Rendering.
for page in man/*.[1-8]; do
	MANWIDTH=80 man --warnings -l "$page" >/dev/null 2>"$T/warn" || true
	if [ -s "$T/warn" ]; then
		fail "$page renders with warnings:"
		cat "$T/warn"
	fi
done
echo "1. man pages render cleanly: $(echo man/*.[1-8])"

# 2. Flags: --help's set against the man page's set.  --[no-]collector.X in
# the help is both forms; the man page may also name the generic forms.
flags() { grep -o -- '--[a-zA-Z<>[][a-zA-Z0-9._<>[-]*' | sed 's/[.,]*$//'; }
"$BIN" --help | sed 's/--\[no-\]\([a-z0-9._-]*\)/--\1 --no-\1/g' | flags | LC_ALL=C sort -u >"$T/help"
printf '%s\n' '--collector.<name>' '--no-collector.<name>' >>"$T/help"
LC_ALL=C sort -u -o "$T/help" "$T/help"
MANWIDTH=1000 man -l man/kvmmem_exporter.1 2>/dev/null | flags | LC_ALL=C sort -u >"$T/man"
if ! diff -u "$T/help" "$T/man"; then
	fail "kvmmem_exporter.1 and --help disagree on flags (- only in --help, + only in the man page)"
fi
echo "2. flags: $(wc -l <"$T/help") in --help, all in kvmmem_exporter(1) and no others"

# 3. Metric and rule names.
"$O/tests/bin/test_catalogue" --readme-table | sed -n 's/^| `\(kvmmem_[a-z0-9_]*\)` .*/\1/p' >"$T/families"
[ -s "$T/families" ] || { echo "FAIL: test_catalogue --readme-table printed no families"; exit 1; }
sed -n 's/^ *- record: *\([a-z_:0-9]*\) *$/\1/p' dashboards/prometheus/*.yml >"$T/records" 2>/dev/null || true
DOCS="README.md HACKING.md $(ls docs/*.md) $(ls man/*.[1-8])"
for f in $DOCS; do
	# Recording rules (level:metric:operations) first, then remove them.
	grep -o '[a-z_]*:kvmmem_[a-z0-9_]*:[a-z0-9_]*' "$f" | while read -r r; do
		grep -qxF "$r" "$T/records" || echo "$f: recording rule $r is not in dashboards/prometheus"
	done
	sed 's/[a-z_]*:kvmmem_[a-z0-9_]*:[a-z0-9_]*//g' "$f" | grep -o 'kvmmem_[a-z0-9_]*' | LC_ALL=C sort -u |
		while read -r m; do
			case $m in
			# The program; InfluxDB measurements that collectd names <plugin>_<value>.
			kvmmem_exporter | kvmmem_value | kvmmem_seconds) continue ;;
			*_) grep -q "^$m" "$T/families" || echo "$f: no family starts with $m" ;;
			*) grep -qxF "$m" "$T/families" || echo "$f: $m is not in the catalogue" ;;
			esac
		done
done >"$T/names"
if [ -s "$T/names" ]; then
	fail "names in docs and man pages that are not in the catalogue or the rules:"
	cat "$T/names"
fi
n=$(cat $DOCS | sed 's/[a-z_]*:kvmmem_[a-z0-9_]*:[a-z0-9_]*//g' | grep -o 'kvmmem_[a-z0-9_]*[a-z0-9]' | sort -u | wc -l)
echo "3. metric names: $n distinct names in docs and man pages checked against $(wc -l <"$T/families") families"

# 4. Quoted log lines, produced for real.  Paths are made host-like by
# cutting the temporary prefix.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	H="$T/h"
	cp -r tests/fixtures/hosts/k6.18 "$H"
	chmod -R a+rX "$T"
	# Permission denied: the per-process files 0400 root, read as nobody.
	chmod 0400 "$H"/proc/*/ksm_stat "$H"/proc/*/ksm_merging_pages
	run() { setpriv --reuid=65534 --regid=65534 --clear-groups "$BIN" --dump --log.level=debug "$@" 2>&1 >/dev/null |
		sed -e 's/^ts=[^ ]* //' -e "s|$H||g" -e "s|$T||g"; }
	run --libvirt.uri="test://$H/libvirt.xml" --path.procfs="$H/proc" --path.sysfs="$H/sys" \
		--path.libvirt-run="$H/run" >"$T/log"
	# Kernel without KSM: an empty sysfs.
	mkdir "$T/sys"
	run --path.sysfs="$T/sys" --no-collector.libvirt >>"$T/log"
	# Kernel without per-process files: none for pid 4101.
	chmod 0644 "$H"/proc/*/ksm_stat "$H"/proc/*/ksm_merging_pages
	rm -f "$H/proc/4101/ksm_stat" "$H/proc/4101/ksm_merging_pages"
	run --libvirt.uri="test://$H/libvirt.xml" --path.procfs="$H/proc" --path.sysfs="$H/sys" \
		--path.libvirt-run="$H/run" >>"$T/log"
	# Proxmox VE: a pidfile naming another process; the run directory where Proxmox has it.
	mkdir -p "$T/pve" "$T/var/run"
	cp -r tests/fixtures/hosts/proxmox/proc tests/fixtures/hosts/proxmox/sys "$T/pve/"
	cp -r tests/fixtures/hosts/proxmox/qemu-server "$T/var/run/qemu-server"
	chmod -R a+rX "$T"
	run --no-collector.libvirt --path.procfs="$T/pve/proc" --path.sysfs="$T/pve/sys" \
		--path.qemu-server-run="$T/var/run/qemu-server" >>"$T/log"
	# libvirt's read-only socket refused: a socket nobody may not connect to.
	mkdir -p "$T/var/run/libvirt"
	python3 -c 'import socket,sys,time; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(1); time.sleep(30)' \
		"$T/var/run/libvirt/libvirt-sock-ro" &
	sock_pid=$!
	track_pid $sock_pid
	i=0
	while [ ! -S "$T/var/run/libvirt/libvirt-sock-ro" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	chmod 0700 "$T/var/run/libvirt"
	uri="qemu+unix:///system?socket=$T/var/run/libvirt/libvirt-sock-ro"
	run --libvirt.uri="$uri" --no-collector.ksm | sed "s|qemu+unix:///system?socket=/var/run/libvirt/libvirt-sock-ro|qemu:///system|" >>"$T/log"
	stop_pid $sock_pid 5 || true
	# A QEMU monitor nobody may connect to (root's, 0755, as Proxmox's): one
	# Proxmox guest whose command line names it, the only process of its procfs.
	mkdir -p "$T/qproc/5100"
	cp tests/fixtures/hosts/proxmox/proc/5100/stat "$T/qproc/5100/"
	printf '/usr/bin/kvm\0-id\0100\0-name\0web\0-chardev\0socket,id=qmp,path=%s,server=on,wait=off\0-mon\0chardev=qmp,mode=control\0-device\0virtio-balloon-pci,id=balloon0\0' \
		"$T/var/run/qemu-server/100.qmp" >"$T/qproc/5100/cmdline"
	chmod -R a+rX "$T/qproc"
	python3 -c 'import os,socket,sys,time; os.umask(0o022); s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(1); time.sleep(30)' \
		"$T/var/run/qemu-server/100.qmp" &
	sock_pid=$!
	track_pid $sock_pid
	i=0
	while [ ! -S "$T/var/run/qemu-server/100.qmp" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	run --no-collector.libvirt --no-collector.ksm --collector.qmp --path.procfs="$T/qproc" \
		--path.qemu-server-run="$T/var/run/qemu-server" >>"$T/log"
	stop_pid $sock_pid 5 || true
	# Which QEMU process is refused first varies; the pid is not the point.
	sed -i 's|/proc/[0-9]*/|/proc/PID/|' "$T/log"
	grep -h '^level=' docs/troubleshooting.md | while read -r line; do
		norm=$(echo "$line" | sed 's|/proc/[0-9]*/|/proc/PID/|')
		grep -qxF "$norm" "$T/log" || echo "docs/troubleshooting.md quotes a line the exporter does not log: $line"
	done >"$T/missing"
	if [ -s "$T/missing" ]; then
		fail "docs/troubleshooting.md quotes lines the exporter does not log:"
		cat "$T/missing"
		echo "what it logged:"
		cat "$T/log"
	fi
	echo "4. $(grep -c '^level=' docs/troubleshooting.md) quoted log lines checked, $(wc -l <"$T/missing") not reproduced"
else
	skip_part "4. quoted log lines" "reproducing them needs root (to run as nobody) and setpriv"
fi

# 5. The Prometheus configuration of deploying.md.
if command -v promtool >/dev/null; then
	mkdir -p "$T/prom/file_sd"
	awk -v dir="$T/prom" '
		/^```yaml$/ { n++; inblock = 1; file = dir "/block" n ".yml"; next }
		/^```$/ { inblock = 0; next }
		inblock { print > file }
	' docs/deploying.md
	for b in "$T"/prom/block*.yml; do
		first=$(head -n1 "$b")
		case $first in
		"# /etc/prometheus/file_sd/"*) mv "$b" "$T/prom/file_sd/${first##*/}" ;;
		*)
			sed -i -e "s|/etc/prometheus/file_sd/|$T/prom/file_sd/|g" \
				-e "s|/usr/share/kvmmem/prometheus/|$TOP/dashboards/prometheus/|g" "$b"
			;;
		esac
	done
	for b in "$T"/prom/block*.yml; do
		promtool check config "$b" >"$T/promtool.log" 2>&1 || { cat "$T/promtool.log"; fail "deploying.md: $(head -n1 "$b") fails promtool"; }
	done
	main=$(grep -l '^  - job_name: kvmmem$' "$T"/prom/block*.yml)
	# Each target that is scraped, as "instance platform" after relabelling.
	promtool check service-discovery "$main" kvmmem 2>/dev/null | python3 -c '
import json, sys
for t in json.load(sys.stdin):
    if t.get("labels"):
        print(t["labels"]["instance"], t["labels"].get("platform", ""))' >"$T/instances"
	printf '%s\n' 'kvm-101 libvirt' 'kvm-102 libvirt' 'pve-7 proxmox' | diff -u - "$T/instances" ||
		fail "deploying.md: relabelling does not give instance=<hypervisor> and the platform"
	echo "5. deploying.md: $(ls "$T"/prom/block*.yml | wc -l) Prometheus configurations pass promtool; targets $(paste -sd, "$T/instances")"
else
	skip_part "5. deploying.md's Prometheus configuration" "promtool not installed (apt-get install prometheus)"
fi
finish
