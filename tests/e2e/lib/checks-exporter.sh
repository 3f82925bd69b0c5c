# checks-exporter.sh - the assertions against build/kvmmem_exporter over
# HTTP.  Sourced by run.sh, which runs them in an order where
# each fault is undone before the next one is injected.

S="" # the scrape file, set by run.sh once the sandbox exists

# exporter family <- virsh domstats key, multiplier to the exporter's unit.
# balloon.rss is left out of the exact comparison: libvirt reads it from
# /proc at query time, so two queries never agree; it is compared loosely.
BALLOON_MAP="
kvmmem_domain_balloon_current_bytes balloon.current 1024
kvmmem_domain_memory_maximum_bytes balloon.maximum 1024
kvmmem_domain_guest_swap_in_bytes_total balloon.swap_in 1024
kvmmem_domain_guest_swap_out_bytes_total balloon.swap_out 1024
kvmmem_domain_guest_major_faults_total balloon.major_fault 1
kvmmem_domain_guest_minor_faults_total balloon.minor_fault 1
kvmmem_domain_guest_unused_bytes balloon.unused 1024
kvmmem_domain_guest_available_bytes balloon.available 1024
kvmmem_domain_guest_usable_bytes balloon.usable 1024
kvmmem_domain_guest_stats_updated_timestamp_seconds balloon.last-update 1
kvmmem_domain_guest_disk_caches_bytes balloon.disk_caches 1024
kvmmem_domain_guest_hugetlb_allocations_total balloon.hugetlb_pgalloc 1
kvmmem_domain_guest_hugetlb_failures_total balloon.hugetlb_pgfail 1
"

# domstat FILE KEY: a value from `virsh domstats --balloon` output.
domstat() { awk -F= -v k="$2" '{ sub(/^ +/, "", $1) } $1 == k { print $2; f = 1 } END { exit !f }' "$1"; }

# --- individual checks (each sets WHY) ---------------------------------------------

# foreign_qemus: pids of QEMU processes on this host that another user than
# the e2e's runs (other tests, a hypervisor's own guests).  The qemu backend
# lists them too, and the e2e's user may not read their ksm_stat.
foreign_qemus() {
	ps -eo pid=,uid=,args= | awk -v me="$E2E_UID" '$2 != me {
		n = split($3, p, "/"); b = p[n]
		if (b ~ /^qemu-system-/ || b == "qemu-kvm" || b == "kvm") printf "%s ", $1 }'
}

c_up() {
	local c v bad="" foreign
	scrape "$S" || { WHY="scrape failed"; return 1; }
	v=$(mval "$S" kvmmem_libvirt_up)
	for c in ksm meminfo libvirt domain_ksm; do
		[ "$(mval "$S" "kvmmem_scrape_collector_success{collector=\"$c\"}")" = 1 ] && continue
		foreign=$(foreign_qemus)
		# A refused foreign process fails the collector, rightly; this
		# e2e's own guests are checked one by one below.
		if [ "$c" = domain_ksm ] && [ -n "$foreign" ]; then
			# shellcheck disable=SC2086 # one word a pid
			set -- $foreign
			result SKIP "exporter: domain_ksm succeeds" \
				"$# QEMU processes of other users run here (pids $(echo "$foreign" | cut -d' ' -f1-8)${9:+ ...})"
			continue
		fi
		bad="$bad $c"
	done
	WHY="kvmmem_libvirt_up=${v:-absent}; collectors failing:${bad:- none}"
	[ "$v" = 1 ] && [ -z "$bad" ]
}

# Every guest-reported field of NAME equals libvirt's bulk record of the same
# guest report (same balloon.last-update), unit-converted.
c_fields_once() {
	local name=$1 d="$E2E_TMP/domstats.$1" fam key mul want got lu bad="" missing="" rss vrss
	scrape "$S" || { WHY="scrape failed"; return 1; }
	virsh_u domstats --balloon "$name" >"$d" 2>&1 || { WHY="virsh domstats failed: $(head -c 200 "$d")"; return 1; }
	lu=$(domstat "$d" balloon.last-update) || { WHY="libvirt has no guest stats yet"; return 1; }
	# A guest report between the scrape and virsh: try again.
	[ "$(mdom "$S" kvmmem_domain_guest_stats_updated_timestamp_seconds "$name")" = "$lu" ] ||
		{ WHY="exporter last update $(mdom "$S" kvmmem_domain_guest_stats_updated_timestamp_seconds "$name") vs libvirt $lu"; return 1; }
	while read -r fam key mul; do
		[ -n "$fam" ] || continue
		want=$(domstat "$d" "$key") || { missing="$missing $key(libvirt)"; continue; }
		got=$(mdom "$S" "$fam" "$name") || { missing="$missing $fam"; continue; }
		[ "$got" = $((want * mul)) ] || bad="$bad $fam=$got(libvirt $key=$want)"
	done <<<"$BALLOON_MAP"
	rss=$(mdom "$S" kvmmem_domain_rss_bytes "$name") || missing="$missing kvmmem_domain_rss_bytes"
	vrss=$(($(domstat "$d" balloon.rss) * 1024))
	[ -n "$rss" ] && ! within "$rss" "$vrss" $((vrss / 5)) && bad="$bad rss=$rss(libvirt ${vrss})"
	WHY="last-update $lu; missing:${missing:- none}; differ:${bad:- none}"
	[ -z "$missing" ] && [ -z "$bad" ]
}
c_fields() {
	poll 30 c_fields_once "$1"
	WHY="$WHY (after ${POLL_SECS}s)"
	[ "$POLL_SECS" != ">30" ]
}

# The per-domain virDomainMemoryStats is meant only for drivers whose bulk
# records lack balloon fields; the exporter logs nothing when it uses it,
# so the spy (memstats-spy.c, proven by spy_control) counts the calls.
# A failed fallback would log "memory stats: ..."; none may appear either.
c_bulk_path() {
	local calls logged
	calls=$(sort "$E2E_TMP/logs/memstats-exporter.log" 2>/dev/null | uniq -c | tr -s ' \n' ' ')
	logged=$(grep -c 'memory stats' "$E2E_TMP/logs/exporter.log")
	WHY="virDomainMemoryStats calls: ${calls:-none}; 'memory stats' log lines: $logged"
	[ -z "$calls" ] && [ "$logged" = 0 ]
}

# A period-0 guest still sends the one report its driver makes when it
# loads, and then never again: its guest values exist but go stale, which
# is why the period metric must say so.
c_period() {
	local g v bad="" cur
	scrape "$S" || { WHY="scrape failed"; return 1; }
	for g in $STATS_GUESTS; do
		v=$(mdom "$S" kvmmem_domain_balloon_stats_period_seconds "$g")
		[ "$v" = 2 ] || bad="$bad $g=${v:-absent}"
	done
	v=$(mdom "$S" kvmmem_domain_balloon_stats_period_seconds e2e-p0)
	cur=$(mdom "$S" kvmmem_domain_balloon_current_bytes e2e-p0)
	P0_LU=$(mdom "$S" kvmmem_domain_guest_stats_updated_timestamp_seconds e2e-p0)
	A_LU=$(mdom "$S" kvmmem_domain_guest_stats_updated_timestamp_seconds e2e-a)
	WHY="e2e-p0 period=${v:-absent} current=${cur:-absent} last update=${P0_LU:-absent}; period 2 wrong:${bad:- none}"
	[ "$v" = 0 ] && [ "$cur" = $((E2E_GUEST_MIB * MiB)) ] && [ -z "$bad" ]
}
# After c_period: once e2e-a's report moved on, e2e-p0's still has not.
c_period_stale_once() {
	scrape "$S" || return 1
	P0_NOW=$(mdom "$S" kvmmem_domain_guest_stats_updated_timestamp_seconds e2e-p0)
	A_NOW=$(mdom "$S" kvmmem_domain_guest_stats_updated_timestamp_seconds e2e-a)
	[ "${A_NOW:-0}" -gt "${A_LU:-0}" ]
}
c_period_stale() {
	poll 10 c_period_stale_once
	WHY="e2e-p0 last update ${P0_LU:-absent} -> ${P0_NOW:-absent}; e2e-a ${A_LU:-absent} -> ${A_NOW:-absent} (${POLL_SECS}s)"
	[ "$POLL_SECS" != ">10" ] && [ -n "$P0_LU" ] && [ "$P0_NOW" = "$P0_LU" ]
}

c_ksm_merging_once() {
	local g m k bad=""
	scrape "$S" || { WHY="scrape failed"; return 1; }
	WHY=""
	for g in $MERGE_GUESTS; do
		m=$(mdom "$S" kvmmem_domain_ksm_merging_pages "$g")
		k=$(mdom "$S" kvmmem_domain_ksm_mergeable "$g")
		WHY="$WHY $g merging=${m:-absent} mergeable=${k:-absent};"
		[ "${m:-0}" -gt 0 ] && [ "$k" = 1 ] || bad=1
	done
	[ -z "$bad" ]
}
c_ksm_merging() {
	poll 60 c_ksm_merging_once
	WHY="$WHY after ${POLL_SECS}s"
	[ "$POLL_SECS" != ">60" ]
}

c_ksm_nosharepages() {
	local m k
	scrape "$S" || { WHY="scrape failed"; return 1; }
	m=$(mdom "$S" kvmmem_domain_ksm_merging_pages e2e-nsp)
	k=$(mdom "$S" kvmmem_domain_ksm_mergeable e2e-nsp)
	WHY="e2e-nsp merging=${m:-absent} mergeable=${k:-absent} (/proc: $(cat "/proc/$(guest_pid e2e-nsp)/ksm_merging_pages"))"
	[ "$m" = 0 ] && [ "$k" = 0 ]
}

# Host pages_shared + pages_sharing equals the sum of every process's
# ksm_merging_pages.  Our guests come from the exporter; any other process
# on the host (another test's KSM program) is read from /proc directly.
# Both sides are updated lazily by ksmd, hence the tolerance.
c_ksm_sum_once() {
	local shared sharing ours=0 others=0 g m f pid mine tol
	scrape "$S" || { WHY="scrape failed"; return 1; }
	shared=$(mval "$S" kvmmem_ksm_pages_shared) && sharing=$(mval "$S" kvmmem_ksm_pages_sharing) ||
		{ WHY="host KSM series absent"; return 1; }
	mine=" "
	for g in $ALL_GUESTS; do
		m=$(mdom "$S" kvmmem_domain_ksm_merging_pages "$g") || { WHY="$g merging absent"; return 1; }
		ours=$((ours + m))
		mine="$mine$(guest_pid "$g") "
	done
	for f in /proc/[0-9]*/ksm_merging_pages; do
		pid=${f#/proc/}
		pid=${pid%/ksm_merging_pages}
		case $mine in *" $pid "*) continue ;; esac
		m=$(cat "$f" 2>/dev/null) || continue
		others=$((others + ${m:-0}))
	done
	tol=$(((shared + sharing) / 50))
	[ $tol -ge 64 ] || tol=64
	WHY="guests $ours + other processes $others vs host shared $shared + sharing $sharing = $((shared + sharing)) (tolerance $tol)"
	[ $ours -gt 0 ] && within $((ours + others)) $((shared + sharing)) $tol
}
c_ksm_sum() {
	poll 30 c_ksm_sum_once
	WHY="$WHY after ${POLL_SECS}s"
	[ "$POLL_SECS" != ">30" ]
}

# The exporter's per-domain value is the QEMU process's own counter.
c_ksm_per_pid_once() {
	local g m p bad=""
	scrape "$S" || { WHY="scrape failed"; return 1; }
	WHY=""
	for g in $MERGE_GUESTS; do
		m=$(mdom "$S" kvmmem_domain_ksm_merging_pages "$g")
		p=$(cat "/proc/$(guest_pid "$g")/ksm_merging_pages")
		WHY="$WHY $g exporter=${m:-absent} proc=$p;"
		[ -n "$m" ] && within "$m" "$p" $((p / 20 + 16)) || bad=1
	done
	[ -z "$bad" ]
}
c_ksm_per_pid() {
	poll 20 c_ksm_per_pid_once
	[ "$POLL_SECS" != ">20" ]
}

SETMEM_MIB=128
c_setmem_current_once() {
	scrape "$S" && [ "$(mdom "$S" kvmmem_domain_balloon_current_bytes e2e-a)" = $((SETMEM_MIB * MiB)) ]
}
c_setmem_available_once() {
	local v
	scrape "$S" && v=$(mdom "$S" kvmmem_domain_guest_available_bytes e2e-a) || return 1
	AVAIL_AFTER=$v
	[ "$v" -le $((SETMEM_MIB * MiB)) ] && [ "$v" -le $((AVAIL_BEFORE - 64 * MiB)) ]
}
c_setmem() {
	local t
	scrape "$S"
	AVAIL_BEFORE=$(mdom "$S" kvmmem_domain_guest_available_bytes e2e-a) || { WHY="no available before"; return 1; }
	virsh_u setmem e2e-a $((SETMEM_MIB * 1024)) --live || { WHY="virsh setmem failed"; return 1; }
	poll 15 c_setmem_current_once
	t=$POLL_SECS
	WHY="balloon current reached ${SETMEM_MIB} MiB after ${t}s (now $(mdom "$S" kvmmem_domain_balloon_current_bytes e2e-a))"
	[ "$t" != ">15" ] || return 1
	poll 20 c_setmem_available_once
	WHY="$WHY; available $AVAIL_BEFORE -> ${AVAIL_AFTER:-?} after another ${POLL_SECS}s"
	[ "$POLL_SECS" != ">20" ]
}

c_destroyed_gone() {
	DESTROYED_AT=$(now)
	guest_destroy e2e-p0 || { WHY="virsh destroy failed"; return 1; }
	DESTROY_DONE_AT=$(now)
	scrape "$S" || { WHY="scrape failed"; return 1; }
	WHY="series left: $(grep -c 'domain="e2e-p0"' "$S")"
	! mhas_domain "$S" e2e-p0
}

c_started_appears() {
	local cur
	CREATED_AT=$(now)
	guest_create e2e-late 2 share || { WHY="virsh create failed"; return 1; }
	scrape "$S" || { WHY="scrape failed"; return 1; }
	cur=$(mdom "$S" kvmmem_domain_balloon_current_bytes e2e-late)
	WHY="next scrape: balloon current ${cur:-absent}, $(grep -c 'domain="e2e-late"' "$S") series"
	[ "$cur" = $((E2E_GUEST_MIB * MiB)) ]
}
c_late_complete_once() {
	scrape "$S" && mdom "$S" kvmmem_domain_guest_usable_bytes e2e-late >/dev/null &&
		mdom "$S" kvmmem_domain_ksm_mergeable e2e-late >/dev/null
}
c_late_complete() {
	poll 30 c_late_complete_once
	WHY="guest usable and KSM mergeable after ${POLL_SECS}s"
	[ "$POLL_SECS" != ">30" ]
}

# While e2e-b's QEMU is stopped, every scrape must still finish within the
# scrape timeout (+1 s for HTTP) with libvirt up, the other guests' values,
# and e2e-b marked as skipped (the first scrape too: it meets the stuck
# monitor itself and hands over to a fresh connection).
c_sigstop() {
	local pid i ok=1 lim=$((E2E_SCRAPE_TIMEOUT + 1)) g missing up sb sa
	pid=$(guest_pid e2e-b)
	STOP_LU=$(scrape "$S" && mdom "$S" kvmmem_domain_guest_stats_updated_timestamp_seconds e2e-b)
	kill -STOP "$pid"
	WHY="e2e-b qemu $pid stopped;"
	for i in 1 2 3 4; do
		if ! scrape "$S" $((lim + 10)); then
			WHY="$WHY scrape $i failed after ${SCRAPE_SECS}s;"
			ok=0
			continue
		fi
		missing=""
		for g in e2e-a e2e-nsp; do
			mdom "$S" kvmmem_domain_guest_usable_bytes "$g" >/dev/null || missing="$missing $g"
		done
		# e2e-late is still booting (no guest report yet): its balloon
		# current is there and it is not marked.
		mdom "$S" kvmmem_domain_balloon_current_bytes e2e-late >/dev/null || missing="$missing e2e-late(current)"
		[ "$(mdom "$S" kvmmem_domain_balloon_stats_skipped e2e-late)" = 0 ] || missing="$missing e2e-late(skipped)"
		up=$(mval "$S" kvmmem_libvirt_up)
		sb=$(mdom "$S" kvmmem_domain_balloon_stats_skipped e2e-b || echo absent)
		sa=$(mdom "$S" kvmmem_domain_balloon_stats_skipped e2e-a || echo absent)
		WHY="$WHY scrape $i ${SCRAPE_SECS}s libvirt_up=$up"
		WHY="$WHY e2e-b current=$(mdom "$S" kvmmem_domain_balloon_current_bytes e2e-b || echo absent) skipped=$sb"
		WHY="$WHY e2e-a skipped=$sa others missing:${missing:- none};"
		awk -v t="$SCRAPE_SECS" -v l=$lim 'BEGIN { exit !(t <= l) }' || ok=0
		[ -z "$missing" ] && [ "$up" = 1 ] && [ "$sb" = 1 ] && [ "$sa" = 0 ] || ok=0
	done
	[ $ok = 1 ]
}
c_sigcont_once() {
	local lu
	scrape "$S" && lu=$(mdom "$S" kvmmem_domain_guest_stats_updated_timestamp_seconds e2e-b) &&
		[ "$lu" -gt "${STOP_LU:-0}" ] && [ "$(mval "$S" kvmmem_libvirt_up)" = 1 ] &&
		[ "$(mdom "$S" kvmmem_domain_balloon_stats_skipped e2e-b)" = 0 ] &&
		mdom "$S" kvmmem_domain_guest_usable_bytes e2e-a >/dev/null
}
c_sigcont() {
	kill -CONT "$(guest_pid e2e-b)"
	poll 30 c_sigcont_once
	WHY="e2e-b fresh guest stats (last update > ${STOP_LU:-?}), skipped=$(mdom "$S" kvmmem_domain_balloon_stats_skipped e2e-b || echo absent) after ${POLL_SECS}s"
	[ "$POLL_SECS" != ">30" ]
}

c_libvirtd_down_once() {
	scrape "$S" && [ "$(mval "$S" kvmmem_libvirt_up)" = 0 ] &&
		[ "$(mval "$S" 'kvmmem_scrape_collector_success{collector="ksm"}')" = 1 ] &&
		mval "$S" kvmmem_ksm_pages_sharing >/dev/null && mval "$S" kvmmem_ksm_pages_shared >/dev/null
}
c_libvirtd_down() {
	# What libvirt said of every domain, for the checks while it is down and after it returns.
	scrape "$S" && cp "$S" "$E2E_TMP/before-kill.prom"
	KILLED_AT=$(now)
	libvirtd_kill KILL || { WHY="no libvirtd to kill"; return 1; }
	poll 15 c_libvirtd_down_once
	WHY="libvirt_up=$(mval "$S" kvmmem_libvirt_up) ksm success=$(mval "$S" 'kvmmem_scrape_collector_success{collector="ksm"}') pages_sharing=$(mval "$S" kvmmem_ksm_pages_sharing) after ${POLL_SECS}s (scrape ${SCRAPE_SECS}s)"
	[ "$POLL_SECS" != ">15" ] || return 1
	# Clients must not have spawned a daemon of their own meanwhile.
	sleep 2
	scrape "$S"
	WHY="$WHY; 2 s later libvirt_up=$(mval "$S" kvmmem_libvirt_up)"
	[ "$(mval "$S" kvmmem_libvirt_up)" = 0 ]
}
# While libvirtd is down the qemu collector finds the running guests' QEMU processes by their -name guest=:
# each keeps its kvmmem_domain_info line exactly (domain, UUID, source="libvirt", no VMID) and its
# per-domain KSM; the shut-off domains, which only libvirt knew, are gone.
E2E_RUNNING_LATE="e2e-a e2e-b e2e-nsp e2e-late"
c_libvirtd_down_labels_once() {
	local g a b
	scrape "$S" && [ "$(mval "$S" kvmmem_libvirt_up)" = 0 ] || return 1
	for g in $E2E_RUNNING_LATE; do
		a=$(grep "^kvmmem_domain_info{domain=\"$g\"," "$E2E_TMP/before-kill.prom")
		b=$(grep "^kvmmem_domain_info{domain=\"$g\"," "$S")
		[ -n "$a" ] && [ "$a" = "$b" ] || { WHY="$g: before the kill '$a', now '$b'"; return 1; }
		mdom "$S" kvmmem_domain_ksm_merging_pages "$g" >/dev/null || { WHY="$g: no per-domain KSM"; return 1; }
		case $a in *'source="libvirt",vmid=""}'*) ;; *) WHY="$g: $a"; return 1 ;; esac
	done
}
c_libvirtd_down_labels() {
	WHY=""
	poll 10 c_libvirtd_down_labels_once
	WHY="${WHY:-every running guest as before} after ${POLL_SECS}s; $(grep -c '^kvmmem_domain_info{' "$S") domains listed"
	[ "$POLL_SECS" != ">10" ]
}
# Back with libvirt: every e2e domain's info line as before the kill, each once (no #pid twin).  Only the
# e2e domains: /proc is the machine's, and other QEMU processes may come and go.
e2e_info() { grep '^kvmmem_domain_info{domain="e2e-' "$1"; }
c_libvirtd_back_once_listed_once() {
	scrape "$S" && [ "$(mval "$S" kvmmem_libvirt_up)" = 1 ] &&
		[ "$(e2e_info "$S")" = "$(e2e_info "$E2E_TMP/before-kill.prom")" ]
}
c_libvirtd_back_once_listed() {
	poll 10 c_libvirtd_back_once_listed_once
	WHY="e2e domain info lines $(e2e_info "$S" | wc -l) now, $(e2e_info "$E2E_TMP/before-kill.prom" | wc -l) before the kill, $(e2e_info "$S" | grep -c '#') suffixed, after ${POLL_SECS}s"
	[ "$POLL_SECS" != ">10" ]
}

c_libvirtd_back_once() {
	local g
	scrape "$S" && [ "$(mval "$S" kvmmem_libvirt_up)" = 1 ] || return 1
	for g in e2e-a e2e-b e2e-nsp e2e-late; do
		mdom "$S" kvmmem_domain_guest_usable_bytes "$g" >/dev/null &&
			mdom "$S" kvmmem_domain_ksm_merging_pages "$g" >/dev/null || return 1
	done
}
c_libvirtd_back() {
	local pid
	pid=$(pid_of exporter)
	RESTARTED_AT=$(now)
	libvirtd_start || { WHY="libvirtd did not restart"; return 1; }
	poll 30 c_libvirtd_back_once
	WHY="libvirt_up 1 and every guest's balloon and KSM series back after ${POLL_SECS}s; exporter pid $pid still the same process"
	[ "$POLL_SECS" != ">30" ] && kill -0 "$pid" 2>/dev/null
}
