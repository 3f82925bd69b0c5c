/*
 * env.h - where the core looks for things.
 *
 * Every OS path the core reads is built from these roots so tests can point
 * a collection at a fixture tree.  The strings are borrowed: they must
 * outlive every object created with the env.
 */
#ifndef KVMMEM_ENV_H
#define KVMMEM_ENV_H

#include "util/log.h"

struct kvm_env {
	const char *sysfs;       /* default "/sys" */
	const char *procfs;      /* default "/proc" */
	const char *libvirt_run; /* default "/run/libvirt/qemu": <name>.pid files */
	const char *cgroupfs;    /* default "/sys/fs/cgroup"; v1's memory controller under memory/ */
	const struct kvm_log *log;
	/* After log, so positional initialisers of the fields above stay
	 * right: default "/var/run/qemu-server", Proxmox's <vmid>.pid files. */
	const char *qemu_server_run;
};

#define KVM_DEFAULT_SYSFS "/sys"
#define KVM_DEFAULT_PROCFS "/proc"
#define KVM_DEFAULT_LIBVIRT_RUN "/run/libvirt/qemu"
#define KVM_DEFAULT_QEMU_SERVER_RUN "/var/run/qemu-server"
#define KVM_DEFAULT_CGROUPFS "/sys/fs/cgroup"
#define KVM_DEFAULT_LIBVIRT_URI "qemu:///system"

#endif
