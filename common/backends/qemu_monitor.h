/*
 * qemu_monitor.h - where a QEMU process's QMP monitor listens, as its
 * command line says.
 *
 * A monitor kvmmem may ask is a unix socket QEMU listens on itself:
 * "-qmp unix:PATH,server=on" (or -qmp-pretty), or "-chardev
 * socket,id=X,path=PATH,server=on" with "-mon chardev=X,mode=control"
 * (Proxmox VE's <qemu-server run>/<vmid>.qmp is such a chardev).  TCP
 * monitors, client sockets (Proxmox's qmeventd), file descriptors and
 * relative paths are never used.  Also the balloon device's QOM id, so
 * its guest-stats can be read by path.  See QEMU's qemu-options.hx.
 *
 * Pure: no I/O.
 */
#ifndef KVMMEM_QEMU_MONITOR_H
#define KVMMEM_QEMU_MONITOR_H

#include <stdbool.h>
#include <stddef.h>

#include "backends/qemu_opts.h"

#define QEMU_DEVID_MAX 64

struct qemu_monitor {
	char path[QOPT_VAL_MAX];         /* the socket, "" when none fits */
	bool balloon;                    /* a virtio-balloon device is configured */
	char balloon_id[QEMU_DEVID_MAX]; /* its id, "" without (then under peripheral-anon) */
};

/* Reads a NUL-joined argv into out (zeroed first).  0, or -ENOENT when it
 * names no usable monitor (out->balloon is still set). */
int qemu_monitor_find(const char *cmd, size_t len, struct qemu_monitor *out);

#endif
