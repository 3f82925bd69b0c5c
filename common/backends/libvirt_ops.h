/*
 * libvirt_ops.h - the libvirt calls the libvirt backend makes, as a table.
 *
 * Each member has exactly the signature of the libvirt function it is
 * named after, so libvirt_ops.c fills the table with the real functions
 * and a unit test can put canned answers (errors, a call that never
 * returns) in their place without a daemon.  Handles (virConnectPtr,
 * virDomainPtr) are opaque to the backend: a fake may use any non-NULL pointer.
 */
#ifndef KVMMEM_LIBVIRT_OPS_H
#define KVMMEM_LIBVIRT_OPS_H

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

struct libvirt_ops {
	/* Connection. */
	virConnectPtr (*connect_open_read_only)(const char *name);
	int (*connect_close)(virConnectPtr conn);
	int (*connect_is_alive)(virConnectPtr conn);

	/* Statistics. */
	int (*connect_get_all_domain_stats)(virConnectPtr conn, unsigned int stats, virDomainStatsRecordPtr **ret,
	                                    unsigned int flags);
	void (*domain_stats_record_list_free)(virDomainStatsRecordPtr *stats);
	int (*domain_memory_stats)(virDomainPtr dom, virDomainMemoryStatPtr stats, unsigned int nr_stats,
	                           unsigned int flags);

	/* Per domain. */
	char *(*domain_get_xml_desc)(virDomainPtr dom, unsigned int flags);
	/* VIR_UUID_BUFLEN raw bytes.  Each call formats the UUID for libvirt's
	 * debug line even with debug off, so virt.c asks it only along with
	 * the XML; virDomainGetName does not, and is the cache key. */
	int (*domain_get_uuid)(virDomainPtr dom, unsigned char *uuid);
	const char *(*domain_get_name)(virDomainPtr dom);

	/* Events: the default loop, run by the worker, and lifecycle events. */
	int (*event_register_default_impl)(void);
	int (*event_run_default_impl)(void);
	int (*event_add_timeout)(int frequency, virEventTimeoutCallback cb, void *opaque, virFreeCallback ff);
	int (*event_remove_timeout)(int timer);
	int (*connect_domain_event_register_any)(virConnectPtr conn, virDomainPtr dom, int event_id,
	                                         virConnectDomainEventGenericCallback cb, void *opaque,
	                                         virFreeCallback freecb);
	int (*connect_domain_event_deregister_any)(virConnectPtr conn, int callback_id);

	/* The library's version, libvirt's own number (major * 1000000 +
	 * minor * 1000 + micro). */
	int (*get_version)(unsigned long *lib_ver, const char *type, unsigned long *type_ver);

	/* Errors: the calling thread's last error, NULL when there is none. */
	virErrorPtr (*get_last_error)(void);
	/* The process-wide handler libvirt calls on every error; by default
	 * it prints to stderr. */
	void (*set_error_func)(void *userdata, virErrorFunc handler);
	/* The same for errors of one connection; it wins over the
	 * process-wide one, which another libvirt user may replace. */
	void (*conn_set_error_func)(virConnectPtr conn, void *userdata, virErrorFunc handler);
};

/* The table of the real libvirt functions (virt_libvirt.c). */
const struct libvirt_ops *libvirt_ops_real(void);

#endif
