/* libvirt_ops.c - the real libvirt behind struct libvirt_ops. */
#include "backends/libvirt_ops.h"

static const struct libvirt_ops libvirt_ops = {
    .connect_open_read_only = virConnectOpenReadOnly,
    .connect_close = virConnectClose,
    .connect_is_alive = virConnectIsAlive,
    .connect_get_all_domain_stats = virConnectGetAllDomainStats,
    .domain_stats_record_list_free = virDomainStatsRecordListFree,
    .domain_memory_stats = virDomainMemoryStats,
    .domain_get_xml_desc = virDomainGetXMLDesc,
    .domain_get_uuid = virDomainGetUUID,
    .domain_get_name = virDomainGetName,
    .event_register_default_impl = virEventRegisterDefaultImpl,
    .event_run_default_impl = virEventRunDefaultImpl,
    .event_add_timeout = virEventAddTimeout,
    .event_remove_timeout = virEventRemoveTimeout,
    .connect_domain_event_register_any = virConnectDomainEventRegisterAny,
    .connect_domain_event_deregister_any = virConnectDomainEventDeregisterAny,
    .get_version = virGetVersion,
    .get_last_error = virGetLastError,
    .set_error_func = virSetErrorFunc,
    .conn_set_error_func = virConnSetErrorFunc,
};

const struct libvirt_ops *libvirt_ops_real(void)
{
	return &libvirt_ops;
}
