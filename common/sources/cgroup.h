/*
 * cgroup.h - what a domain costs the host, from its QEMU process's memory
 * cgroup: memory charged, anonymous, file and shared memory, swap,
 * pressure and OOM kills, plus the process's own VmSwap.
 *
 * The group is found from <procfs>/<pid>/cgroup: the memory controller's
 * line when a v1 hierarchy holds it (also on hybrid hosts, where the
 * unified "0::" line then has no memory controller), else the "0::" line
 * of cgroup v2.  The domain's group is the first "*.scope" component of
 * that path: libvirt moves QEMU's threads into child groups (libvirt/,
 * emulator/, vcpuN/) of machine-qemu\x2d<id>\x2d<name>.scope, Proxmox runs
 * each VM in qemu.slice/<vmid>.scope, KubeVirt in the pod's container
 * scope, and the scope counts them all (its files are hierarchical).
 * Files are read under <cgroupfs> (v2) or <cgroupfs>/memory (v1), see
 * Documentation/admin-guide/cgroup-v2.rst and cgroup-v1/memory.rst.
 */
#ifndef KVMMEM_CGROUP_H
#define KVMMEM_CGROUP_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

#include "model/env.h"
#include "model/snapshot.h"

enum cgroup_version { CGROUP_V1 = 1, CGROUP_V2 = 2 };

/* A domain's memory cgroup: its hierarchy and the path of its scope
 * below the hierarchy's mount point ("/machine.slice/x.scope"). */
struct cgroup_ref {
	enum cgroup_version version;
	char path[PATH_MAX];
	size_t len;
};

/*
 * Finds the scope in the text of /proc/<pid>/cgroup.  Returns 0 with out
 * filled; -ENOENT when no line names the memory controller; -ENODATA when
 * the group has no "*.scope" component (the root group, a plain slice);
 * -EINVAL when the path is not absolute or holds "." or ".." (a path
 * seen from another cgroup namespace escapes the mount point);
 * -ENAMETOOLONG when the scope's path does not fit.  out is untouched on
 * failure.
 */
int cgroup_find_scope(const char *text, size_t len, struct cgroup_ref *out);

/*
 * Parsers of one file each; they fill only their own DF_HOST_* fields of
 * d, ignore unknown keys and take keys in any order.  A known key whose
 * value is malformed, or a last line without its newline (the kernel
 * prints whole lines, so it was cut), costs that field and makes the
 * result -EINVAL; the others are still filled.
 *
 * memory.stat of either version: v2 anon, file, shmem, kernel,
 * swapcached; v1 total_rss, total_cache, total_shmem, total_swap,
 * total_swapcached (the hierarchical totals: the scope with its child
 * groups).
 */
int cgroup_memory_stat_parse(enum cgroup_version v, const char *text, size_t len, struct dom_snap *d);
/* v2 memory.events (high, max, oom_kill) or v1 memory.oom_control
 * (oom_kill). */
int cgroup_events_parse(enum cgroup_version v, const char *text, size_t len, struct dom_snap *d);
/* v2 memory.pressure: the total= of the "some" and "full" lines,
 * microseconds, into seconds. */
int cgroup_pressure_parse(const char *text, size_t len, struct dom_snap *d);
/* VmSwap of /proc/<pid>/status (kB, into bytes); a status without VmSwap
 * (a kernel thread) is 0 with nothing filled. */
int proc_status_swap_parse(const char *text, size_t len, struct dom_snap *d);

struct cgroup_src;

/* Returns a new source reading under env's roots (borrowed), or NULL when
 * out of memory. */
struct cgroup_src *cgroup_src_new(const struct kvm_env *env);
/* Frees p; NULL is fine. */
void cgroup_src_free(struct cgroup_src *p);

/*
 * Fills the DF_HOST_* fields and DF_PROCESS_SWAP_BYTES of d for process
 * pid, every field absent first.  Returns 0; -ESRCH when the process is
 * gone (quietly, d untouched); -ENOENT when there is nothing to read
 * (no cgroup file, no memory controller, no scope, a group that
 * vanished: logged at debug); another negative errno when a file could
 * not be read or parsed (logged once per file), with what could be read
 * still filled.
 */
int cgroup_collect(struct cgroup_src *p, pid_t pid, struct dom_snap *d);

#endif
