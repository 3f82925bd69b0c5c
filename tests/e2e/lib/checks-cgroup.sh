# checks-cgroup.sh - the cgroup collector on real guests.  Sourced by run.sh.
#
# The session libvirtd makes no cgroups, so the test makes a private v1
# memory scope of libvirt's shape for each mergeable guest,
# <own memory group>/kvmmem-e2e-<pid>.slice/machine-qemu\x2d<n>\x2d<name>.scope
# with QEMU in its libvirt/ child, and has the guest born there: libvirtd
# sits in that child while it starts the guest (a v1 charge stays with the
# group that made it, so a QEMU moved in later would bring none of its
# memory).  The exporter's values are checked against the scope's own
# files.  The other guests stay where they are (a group without a scope: no
# cgroup values).  Everything is put back and removed by cgroup_cleanup,
# which finish() calls too.

E2E_CG_MEM=/sys/fs/cgroup/memory
E2E_CG_OWN=""
E2E_CG_ROOT=""
E2E_CG_GUESTS=""

# scope_of NAME: the scope directory of guest NAME.
scope_of() {
	local n=0 g
	for g in $E2E_CG_GUESTS; do
		n=$((n + 1))
		[ "$g" = "$1" ] && break
	done
	printf '%s/machine-qemu\\x2d%d\\x2d%s.scope' "$E2E_CG_ROOT" "$n" "$(printf '%s' "$1" | sed 's/-/\\x2d/g')"
}

# cgroup_setup GUESTS...: the scopes of GUESTS.  Returns 1 with WHY set when the host has no v1 memory
# controller to make them with.
cgroup_setup() {
	local g scope
	[ -f "$E2E_CG_MEM/memory.usage_in_bytes" ] || { WHY="no cgroup v1 memory controller at $E2E_CG_MEM"; return 1; }
	E2E_CG_OWN=$(sed -n 's/^[0-9]*:\([^:]*,\)\{0,1\}memory\(,[^:]*\)\{0,1\}:\(.*\)$/\3/p' /proc/self/cgroup)
	[ -n "$E2E_CG_OWN" ] || { WHY="this process is in no v1 memory group"; return 1; }
	E2E_CG_OWN=${E2E_CG_OWN%/}
	E2E_CG_ROOT="$E2E_CG_MEM$E2E_CG_OWN/kvmmem-e2e-$$.slice"
	mkdir "$E2E_CG_ROOT" || { WHY="cannot make $E2E_CG_ROOT"; E2E_CG_ROOT=""; return 1; }
	E2E_CG_GUESTS="$*"
	for g in $E2E_CG_GUESTS; do
		scope=$(scope_of "$g")
		mkdir "$scope" "$scope/libvirt" || { WHY="cannot make $scope"; return 1; }
	done
}

# cgroup_enter [NAME]: libvirtd (with all its threads) into the libvirt/ child of guest NAME's scope, so
# the QEMU it starts next is born there; without NAME, or for a guest without a scope, back into this
# process's own group.
cgroup_enter() {
	local to="$E2E_CG_MEM$E2E_CG_OWN" g
	[ -n "$E2E_CG_ROOT" ] || return 0
	for g in $E2E_CG_GUESTS; do
		[ "$g" = "${1:-}" ] && to="$(scope_of "$g")/libvirt"
	done
	echo "$(pid_of libvirtd)" >"$to/cgroup.procs"
}

# cgroup_cleanup: every process of the scopes back into this process's own group, the scopes removed.
cgroup_cleanup() {
	local d p
	[ -n "$E2E_CG_ROOT" ] && [ -d "$E2E_CG_ROOT" ] || return 0
	for d in $(find "$E2E_CG_ROOT" -depth -type d); do
		for p in $(cat "$d/cgroup.procs" 2>/dev/null); do
			echo "$p" >"$E2E_CG_MEM$E2E_CG_OWN/cgroup.procs" 2>/dev/null
		done
		rmdir "$d" 2>/dev/null || say "cgroup cleanup: cannot remove $d"
	done
	E2E_CG_ROOT=""
}

# in_range V A B: V lies between A and B, whichever is larger.
in_range() { [ "$1" -ge "$(($2 < $3 ? $2 : $3))" ] && [ "$1" -le "$(($2 > $3 ? $2 : $3))" ]; }

# Each scoped guest's QEMU is in its scope's libvirt/ child; the exporter's memory and anonymous memory
# lie between the scope's own figures read just before and just after the scrape and hold the guest's
# RAM (more than 16 MiB anonymous), the anonymous part is below the QEMU's RSS (KSM merged the 32 MiB
# of one repeated line in each guest: RSS counts the merged pages, the cgroup does not); its OOM kills
# and VmSwap are the kernel's.
c_cgroup_once() {
	local g scope m0 m1 a0 a1 m a o k s v r grp bad=""
	local -A before_m before_a
	WHY=""
	for g in $E2E_CG_GUESTS; do
		scope=$(scope_of "$g")
		before_m[$g]=$(cat "$scope/memory.usage_in_bytes")
		before_a[$g]=$(sed -n 's/^total_rss //p' "$scope/memory.stat")
	done
	scrape "$S" || { WHY="scrape failed"; return 1; }
	for g in $E2E_CG_GUESTS; do
		scope=$(scope_of "$g")
		m0=${before_m[$g]} a0=${before_a[$g]}
		m1=$(cat "$scope/memory.usage_in_bytes")
		a1=$(sed -n 's/^total_rss //p' "$scope/memory.stat")
		m=$(mdom "$S" kvmmem_domain_host_memory_bytes "$g")
		a=$(mdom "$S" kvmmem_domain_host_anon_bytes "$g")
		o=$(mdom "$S" kvmmem_domain_host_oom_kills_total "$g")
		k=$(sed -n 's/^oom_kill //p' "$scope/memory.oom_control")
		s=$(mdom "$S" kvmmem_domain_process_swap_bytes "$g")
		r=$(mdom "$S" kvmmem_domain_rss_bytes "$g")
		grp=$(sed -n 's/^[0-9]*:\([^:]*,\)\{0,1\}memory\(,[^:]*\)\{0,1\}:\(.*\)$/\3/p' "/proc/$(guest_pid "$g")/cgroup")
		v=$(($(sed -n 's/^VmSwap:[[:space:]]*\([0-9]*\) kB$/\1/p' "/proc/$(guest_pid "$g")/status") * 1024))
		WHY="$WHY $g memory=${m:-absent} kernel=$m0..$m1 anon=${a:-absent} kernel=$a0..$a1 rss=${r:-absent}"
		WHY="$WHY oom=${o:-absent}/$k swap=${s:-absent}/$v;"
		[ "$E2E_CG_MEM$grp" = "$scope/libvirt" ] || { WHY="$WHY $g is in $grp;"; bad=1; }
		[ -n "$m" ] && [ -n "$a" ] && [ -n "$r" ] && in_range "$m" "$m0" "$m1" && in_range "$a" "$a0" "$a1" &&
			[ "$a" -gt $((16 * MiB)) ] && [ "$a" -lt "$r" ] && [ "$o" = "$k" ] && [ "$s" = "$v" ] || bad=1
	done
	[ -z "$bad" ]
}
c_cgroup() {
	poll 20 c_cgroup_once
	[ "$POLL_SECS" != ">20" ]
}

# in_scope NAME: the QEMU of guest NAME is in a *.scope of the memory hierarchy.
in_scope() {
	sed -n 's/^[0-9]*:\([^:]*,\)\{0,1\}memory\(,[^:]*\)\{0,1\}:\(.*\)$/\3/p' "/proc/$(guest_pid "$1")/cgroup" |
		grep -q '\.scope\(/\|$\)'
}

# A guest whose QEMU is in a group without a scope has no cgroup values, only its VmSwap.
c_cgroup_no_scope() {
	local g=$1 m s
	scrape "$S" || { WHY="scrape failed"; return 1; }
	m=$(mdom "$S" kvmmem_domain_host_memory_bytes "$g")
	s=$(mdom "$S" kvmmem_domain_process_swap_bytes "$g")
	WHY="$g: host memory ${m:-absent}, VmSwap ${s:-absent}"
	[ -z "$m" ] && [ -n "$s" ]
}
