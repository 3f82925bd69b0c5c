/*
 * libvirt_pid.h - which QEMU process runs a libvirt domain.
 *
 * libvirt's public API gives no pid.  The QEMU driver writes
 * <libvirt_run>/<name>.pid (no trailing newline); a pid read there is only
 * trusted after <procfs>/<pid>/cmdline shows "-name guest=<name>,..."
 * (QEMU doubles commas inside the name), so a recycled pid is never
 * attributed to the wrong domain.  When there is no pidfile, one scan of
 * <procfs>/<pid>/cmdline per collection finds QEMU processes by name.
 * Results are cached while the pidfile and the process stay the same.
 */
#ifndef KVMMEM_LIBVIRT_PID_H
#define KVMMEM_LIBVIRT_PID_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "model/env.h"

struct libvirt_pid;

struct libvirt_pid *libvirt_pid_new(const struct kvm_env *env);
void libvirt_pid_free(struct libvirt_pid *v);

/* Marks the start of a collection: lookups after this may trigger at most
 * one /proc scan, and entries not looked up since the previous begin are
 * dropped. */
void libvirt_pid_begin(struct libvirt_pid *v);

/* 0 and *pid; -ENOENT when no process runs the domain; -ESTALE when a
 * pidfile names a process that is not this domain's (logged once). */
int libvirt_pid_lookup(struct libvirt_pid *v, const char *name, pid_t *pid);

/* Pure: does this cmdline (argv joined by NULs) start QEMU for name? */
bool libvirt_pid_cmdline_matches(const char *cmdline, size_t len, const char *name);

/* Pure: parse a pidfile's text ("1234", optional newline).  0 or -EINVAL. */
int libvirt_pid_parse_pidfile(const char *text, size_t len, pid_t *pid);

#endif
