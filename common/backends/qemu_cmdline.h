/*
 * qemu_cmdline.h - what a QEMU process's command line says about it.
 *
 * /proc/<pid>/cmdline is argv joined by NULs.  QEMU options take either
 * QemuOpts/keyval text ("virtio-balloon-pci,id=balloon0,deflate-on-oom=on",
 * a first bare item being the option's implied key, ",," an escaped comma)
 * or, for -device and -object, a JSON object (libvirt 7.x and later:
 * {"driver":"virtio-balloon-pci","id":"balloon0"}).  Both read the same
 * here.  See QEMU's docs/system/invocation and qemu-options.hx.
 *
 * Pure functions: no I/O, no logging.  A command line that is garbage
 * costs only its own fields.
 */
#ifndef KVMMEM_QEMU_CMDLINE_H
#define KVMMEM_QEMU_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backends/qemu_opts.h"
#include "model/snapshot.h"
#include "util/buf.h"

#define QEMU_NAME_MAX 1024 /* longer names are not read: the domain is named by pid */
#define QEMU_VMID_MAX 12   /* Proxmox VMIDs are 100 to 999999999 */
#define QEMU_PATH_MAX QOPT_VAL_MAX

struct qemu_cmdline {
	bool has_name;                    /* -name gave a usable name */
	char name[QEMU_NAME_MAX];         /* decoded (",," is ','), "" without */
	bool guest_key;                   /* -name guest=...: libvirt's form */
	bool has_uuid_opt;                /* -uuid was given (libvirt, plain QEMU) */
	char uuid[UUID_STRING_LEN];       /* -uuid, else -smbios type=1,uuid=; "" when none is valid */
	char vmid[QEMU_VMID_MAX];         /* Proxmox -id, "" without */
	char pidfile[QEMU_PATH_MAX];      /* -pidfile, "" without or too long */
	struct mval memory_bytes;         /* -m size plus pc-dimm, nvdimm and virtio-mem backends */
	struct mval virtio_mem_size;      /* the virtio-mem devices' backends, summed */
	struct mval virtio_mem_requested; /* their requested-size at start, summed */
	struct domain_config config;      /* config.present always set */
	char mem_path[QEMU_PATH_MAX];     /* first -mem-path or memory-backend-file mem-path; "" none */
	bool hugetlb_memfd;               /* memory-backend-memfd,hugetlb=on */
};

/* The next element of a NUL-joined argv at *pos, its length in *alen;
 * *pos moves past it.  NULL at the end. */
const char *qemu_cmdline_next_arg(const char *cmd, size_t len, size_t *pos, size_t *alen);

/* Is argv[0] QEMU: a basename qemu-system-*, qemu-kvm or kvm (Proxmox's
 * /usr/bin/kvm)? */
bool qemu_cmdline_is_qemu(const char *cmd, size_t len);

/*
 * The name after the first -name, decoded, appended to out; *has_uuid
 * tells whether -uuid appears.  0, -ENOENT without -name, or the buffer's
 * error.  Cheaper than qemu_cmdline_parse: libvirt's pid lookups use it.
 */
int qemu_cmdline_name(const char *cmd, size_t len, struct buf *out, bool *has_uuid);
/* The same, and *guest_key: the name was written "guest=<name>" (libvirt's
 * form, with *has_uuid the sign of a QEMU libvirt started). */
int qemu_cmdline_identity(const char *cmd, size_t len, struct buf *out, bool *guest_key, bool *has_uuid);

/*
 * Parses a QEMU command line into out (zeroed first).  Options QEMU would
 * refuse are read as far as they make sense; repeated options: the first
 * -name, -uuid, -id, -pidfile, -m and balloon win, -machine options add
 * up.  0, -EINVAL when argv[0] is not QEMU, -ENOMEM.
 */
int qemu_cmdline_parse(const char *cmd, size_t len, struct qemu_cmdline *out);

#endif
