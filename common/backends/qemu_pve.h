/*
 * qemu_pve.h - which Proxmox VE guest a QEMU process is.
 *
 * qemu-server starts a guest as /usr/bin/kvm -id <vmid> ... -pidfile
 * <run>/<vmid>.pid (src/PVE/QemuServer.pm; <run> is /var/run/qemu-server).
 * A VMID on a command line is only a claim: it is trusted while that
 * pidfile names the process, so a copy of a guest's command line started
 * by hand, or a process left from an earlier start, never takes a guest's
 * VMID.  Nothing is read from /etc/pve (pmxcfs, a FUSE file system that
 * can hang).  Used by one collection at a time.
 */
#ifndef KVMMEM_QEMU_PVE_H
#define KVMMEM_QEMU_PVE_H

#include <stdbool.h>
#include <sys/types.h>

#include "model/snapshot.h"
#include "util/complain.h"

struct qemu_pve {
	const char *run;                  /* the qemu-server run directory; borrowed */
	const struct kvm_log *log;        /* borrowed */
	struct complaint_set *complaints; /* borrowed: keyed by pidfile path */
	int run_state;                    /* 0 not asked in this collection, 1 there, -1 not */
};

/* A new collection: whether the run directory exists is asked again. */
void qemu_pve_begin(struct qemu_pve *p);

/* The VMID of a -pidfile <run>/<digits>.pid into vmid, else "". */
void qemu_pve_vmid_from_pidfile(const struct qemu_pve *p, const char *pidfile, char vmid[DOM_VMID_MAX]);

/* Does <run>/<vmid>.pid name pid?  Logs once per pidfile why not (a guest
 * then loses its VMID), except on a host without the run directory, which
 * is no Proxmox VE host: there a VMID proves nothing (debug only). */
bool qemu_pve_pidfile_names(struct qemu_pve *p, const char *vmid, pid_t pid);

#endif
