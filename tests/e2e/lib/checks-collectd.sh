# checks-collectd.sh - the assertions against build/kvmmem.so in a real
# collectd (1 s interval, csv writer).  Sourced by run.sh, which calls
# each cd_* check right after the exporter's check of the same event.
#
# csv layout: $CD_CSV/e2e/kvmmem[-<domain>]/<type>-<type instance>-<date>,
# rows "epoch,value"; the type and instance come from
# collectd-plugin/mapping.c (type instance = family name without kvmmem_,
# domain_ and the unit).

CD_MAP="
memory-balloon_current balloon.current 1024
memory-memory_maximum balloon.maximum 1024
swap_io-guest_swap_in balloon.swap_in 1024
swap_io-guest_swap_out balloon.swap_out 1024
derive-guest_major_faults balloon.major_fault 1
derive-guest_minor_faults balloon.minor_fault 1
memory-guest_unused balloon.unused 1024
memory-guest_available balloon.available 1024
memory-guest_usable balloon.usable 1024
timestamp-guest_stats_updated balloon.last-update 1
memory-guest_disk_caches balloon.disk_caches 1024
derive-guest_hugetlb_allocations balloon.hugetlb_pgalloc 1
derive-guest_hugetlb_failures balloon.hugetlb_pgfail 1
"

# cd_rows DOMAIN TYPE-TI: every "epoch value" row, value as an integer;
# DOMAIN "" for host values.
cd_rows() {
	local dir="$E2E_TMP/collectd/csv/e2e/kvmmem${1:+-$1}"
	cat "$dir/$2"-[0-9]* 2>/dev/null | awk -F, '$1 ~ /^[0-9]/ { printf "%s %.0f\n", $1, $2 }'
}
# cd_last DOMAIN TYPE-TI [SINCE]: the newest value, written at or after
# epoch SINCE; 1 when there is none.
cd_last() {
	cd_rows "$1" "$2" | awk -v s="${3:-0}" '$1 >= s { v = $2; f = 1 } END { if (f) print v; exit !f }'
}

cd_up_once() {
	local t v
	t=$(awk -v n="$(now)" 'BEGIN { printf "%.3f", n - 3 }')
	v=$(cd_last "" gauge-libvirt_up "$t")
	WHY="libvirt_up ${v:-no fresh value}; ksm_pages_sharing $(cd_last "" vmpage_number-ksm_pages_sharing "$t" || echo 'no fresh value')"
	[ "$v" = 1 ] && cd_last "" vmpage_number-ksm_pages_sharing "$t" >/dev/null
}
cd_up() { poll 10 cd_up_once; }

cd_fields_once() {
	local name=$1 d="$E2E_TMP/cd-domstats.$1" ti key mul want got bad="" missing=""
	virsh_u domstats --balloon "$name" >"$d" 2>&1 || { WHY="virsh domstats failed"; return 1; }
	while read -r ti key mul; do
		[ -n "$ti" ] || continue
		want=$(domstat "$d" "$key") || { missing="$missing $key(libvirt)"; continue; }
		got=$(cd_last "$name" "$ti") || { missing="$missing $ti"; continue; }
		[ "$got" = $((want * mul)) ] || bad="$bad $ti=$got(libvirt $key=$want)"
	done <<<"$CD_MAP"
	cd_last "$name" memory-rss >/dev/null || missing="$missing memory-rss"
	WHY="last-update $(domstat "$d" balloon.last-update); missing:${missing:- none}; differ:${bad:- none}"
	[ -z "$missing" ] && [ -z "$bad" ]
}
cd_fields() {
	poll 30 cd_fields_once "$1"
	WHY="$WHY (after ${POLL_SECS}s)"
	[ "$POLL_SECS" != ">30" ]
}

cd_bulk_path() {
	local calls logged
	calls=$(sort "$E2E_TMP/logs/memstats-collectd.log" 2>/dev/null | uniq -c | tr -s ' \n' ' ')
	logged=$(grep -c 'memory stats' "$E2E_TMP/logs/collectd.log")
	WHY="virDomainMemoryStats calls: ${calls:-none}; 'memory stats' log lines: $logged"
	[ -z "$calls" ] && [ "$logged" = 0 ]
}

cd_period() {
	local g v bad="" cur
	for g in $STATS_GUESTS; do
		v=$(cd_last "$g" duration-balloon_stats_period)
		[ "$v" = 2 ] || bad="$bad $g=${v:-absent}"
	done
	v=$(cd_last e2e-p0 duration-balloon_stats_period)
	cur=$(cd_last e2e-p0 memory-balloon_current)
	WHY="e2e-p0 period=${v:-absent} current=${cur:-absent}; period 2 wrong:${bad:- none}"
	[ "$v" = 0 ] && [ "$cur" = $((E2E_GUEST_MIB * MiB)) ] && [ -z "$bad" ]
}

cd_ksm_once() {
	local g m k bad="" shared sharing ours=0 f pid others=0 mine=" " tol
	WHY=""
	for g in $MERGE_GUESTS; do
		m=$(cd_last "$g" vmpage_number-ksm_merging_pages)
		k=$(cd_last "$g" gauge-ksm_mergeable)
		WHY="$WHY $g merging=${m:-absent} mergeable=${k:-absent};"
		[ "${m:-0}" -gt 0 ] && [ "$k" = 1 ] || bad=1
	done
	m=$(cd_last e2e-nsp vmpage_number-ksm_merging_pages)
	k=$(cd_last e2e-nsp gauge-ksm_mergeable)
	WHY="$WHY e2e-nsp merging=${m:-absent} mergeable=${k:-absent};"
	[ "$m" = 0 ] && [ "$k" = 0 ] || bad=1
	shared=$(cd_last "" vmpage_number-ksm_pages_shared) && sharing=$(cd_last "" vmpage_number-ksm_pages_sharing) || bad=1
	for g in $ALL_GUESTS; do
		m=$(cd_last "$g" vmpage_number-ksm_merging_pages)
		ours=$((ours + ${m:-0}))
		mine="$mine$(guest_pid "$g") "
	done
	for f in /proc/[0-9]*/ksm_merging_pages; do
		pid=${f#/proc/}
		pid=${pid%/ksm_merging_pages}
		case $mine in *" $pid "*) continue ;; esac
		m=$(cat "$f" 2>/dev/null)
		others=$((others + ${m:-0}))
	done
	tol=$(((${shared:-0} + ${sharing:-0}) / 50))
	[ $tol -ge 64 ] || tol=64
	WHY="$WHY guests $ours + others $others vs host ${shared:-?} + ${sharing:-?} (tolerance $tol)"
	[ -z "$bad" ] && within $((ours + others)) $((shared + sharing)) $tol
}
cd_ksm() {
	poll 30 cd_ksm_once
	WHY="$WHY after ${POLL_SECS}s"
	[ "$POLL_SECS" != ">30" ]
}

cd_setmem_once() {
	local cur avail
	cur=$(cd_last e2e-a memory-balloon_current) && avail=$(cd_last e2e-a memory-guest_available) || return 1
	WHY="e2e-a current=$cur available=$avail"
	[ "$cur" = $((SETMEM_MIB * MiB)) ] && [ "$avail" -le $((SETMEM_MIB * MiB)) ]
}
cd_setmem() {
	poll 10 cd_setmem_once
	WHY="$WHY after ${POLL_SECS}s"
	[ "$POLL_SECS" != ">10" ]
}

# DESTROYED_AT and DESTROY_DONE_AT are set by the exporter's check around
# virsh destroy.  Until the destroy returns the domain still exists (a read
# that meets its busy job hands over to a fresh connection and still lists
# it), so rows may land until a read deadline after the destroy returned.
cd_destroyed_gone() {
	local last
	sleep 2.5
	last=$(for f in "$E2E_TMP/collectd/csv/e2e/kvmmem-e2e-p0/"*; do tail -n1 "$f"; done | cut -d, -f1 | sort -n | tail -n1)
	WHY="destroy from $DESTROYED_AT to $DESTROY_DONE_AT, newest e2e-p0 row at ${last:-none}"
	awk -v l="${last:-0}" -v d="$DESTROY_DONE_AT" 'BEGIN { exit !(l <= d + 1.5) }'
}

cd_started_appears_once() { cd_last e2e-late memory-balloon_current "$CREATED_AT" >/dev/null; }
cd_started_appears() {
	poll 5 cd_started_appears_once
	WHY="e2e-late balloon current $(cd_last e2e-late memory-balloon_current || echo absent) after ${POLL_SECS}s"
	[ "$POLL_SECS" != ">5" ]
}

# With only collectd calling libvirt (the exporter collects on scrape and
# is not scraped meanwhile), e2e-b's QEMU is stopped for 8 s: every read
# meanwhile has libvirt up, writes e2e-a's values all the same, and marks
# e2e-b as skipped.
cd_sigstop() {
	local n want up pid sb
	pid=$(guest_pid e2e-b)
	STOP_LU=$(cd_last e2e-b timestamp-guest_stats_updated)
	kill -STOP "$pid"
	STOP_FROM=$(now)
	sleep 8
	STOP_TO=$(now)
	n=$(cd_rows e2e-a memory-guest_usable | awk -v a="$STOP_FROM" -v b="$STOP_TO" '$1 > a + 2 && $1 < b { c++ } END { print c + 0 }')
	up=$(cd_rows "" gauge-libvirt_up | awk -v a="$STOP_FROM" -v b="$STOP_TO" '$1 > a && $1 < b { printf "%s", $2 }')
	sb=$(cd_rows e2e-b gauge-balloon_stats_skipped | awk -v a="$STOP_FROM" -v b="$STOP_TO" '$1 > a + 2 && $1 < b { printf "%s", $2 }')
	want=$(awk -v a="$STOP_FROM" -v b="$STOP_TO" 'BEGIN { printf "%d", (b - a - 2) / 2 }')
	WHY="e2e-b qemu $pid stopped for 8 s; e2e-a guest_usable rows meanwhile: $n (want >= $want); libvirt_up sequence: ${up:-none}; e2e-b skipped sequence (from 2 s on): ${sb:-none}"
	[ "$n" -ge "$want" ] || return 1
	case $up in "" | *0*) return 1 ;; esac
	case $sb in "" | *0*) return 1 ;; esac
}
cd_sigcont_once() {
	local lu
	lu=$(cd_last e2e-b timestamp-guest_stats_updated) && [ "$lu" -gt "${STOP_LU:-0}" ] &&
		[ "$(cd_last e2e-b gauge-balloon_stats_skipped "$CONT_AT")" = 0 ]
}
cd_sigcont() {
	kill -CONT "$(guest_pid e2e-b)"
	CONT_AT=$(now)
	poll 20 cd_sigcont_once
	WHY="e2e-b guest stats updated $(cd_last e2e-b timestamp-guest_stats_updated) (stopped at ${STOP_LU:-?}), skipped $(cd_last e2e-b gauge-balloon_stats_skipped "$CONT_AT" || echo absent) after ${POLL_SECS}s"
	[ "$POLL_SECS" != ">20" ]
}

cd_libvirtd_down_once() {
	[ "$(cd_last "" gauge-libvirt_up "$KILLED_AT")" = 0 ] &&
		cd_last "" vmpage_number-ksm_pages_sharing "$KILLED_AT" >/dev/null
}
cd_libvirtd_down() {
	poll 10 cd_libvirtd_down_once
	WHY="libvirt_up $(cd_last "" gauge-libvirt_up "$KILLED_AT" || echo none) and host KSM $(cd_last "" vmpage_number-ksm_pages_sharing "$KILLED_AT" || echo none) after the kill, ${POLL_SECS}s"
	[ "$POLL_SECS" != ">10" ]
}
# While libvirtd is down the running guests keep their plugin instance and their per-domain KSM.
cd_libvirtd_down_labels_once() {
	local g
	for g in e2e-a e2e-b e2e-nsp e2e-late; do
		cd_last "$g" vmpage_number-ksm_merging_pages "$KILLED_AT" >/dev/null || return 1
	done
}
cd_libvirtd_down_labels() {
	poll 10 cd_libvirtd_down_labels_once
	WHY="per-domain KSM of every running guest written after the kill: ${POLL_SECS}s"
	[ "$POLL_SECS" != ">10" ]
}
cd_libvirtd_back_once() {
	local g
	[ "$(cd_last "" gauge-libvirt_up "$RESTARTED_AT")" = 1 ] || return 1
	for g in e2e-a e2e-b e2e-nsp e2e-late; do
		cd_last "$g" memory-guest_usable "$RESTARTED_AT" >/dev/null &&
			cd_last "$g" vmpage_number-ksm_merging_pages "$RESTARTED_AT" >/dev/null || return 1
	done
}
cd_libvirtd_back() {
	poll 15 cd_libvirtd_back_once
	WHY="libvirt_up 1 and every guest's values written again after ${POLL_SECS}s; collectd pid $(pid_of collectd) alive"
	[ "$POLL_SECS" != ">15" ] && kill -0 "$(pid_of collectd)" 2>/dev/null
}
