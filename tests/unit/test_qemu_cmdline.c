/* test_qemu_cmdline.c - QEMU command lines as a case table: Proxmox VE
 * (qemu-server's shapes), libvirt and KubeVirt, plain QEMU, no name, and
 * hostile inputs; sizes; the name reader libvirt's pid lookup uses. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "backends/qemu_cmdline.h"

#define ARGV(s) s, sizeof(s) - 1 /* a literal with embedded NULs and its length */
#define MiB (1024ULL * 1024)

struct want {
	int rc;
	const char *name; /* NULL: no name */
	bool guest_key;
	bool has_uuid_opt;
	const char *uuid;
	const char *vmid;
	const char *pidfile;
	uint64_t memory; /* 0: absent */
	const char *balloon;
	bool hugepages_path; /* mem_path set */
	bool memfd_huge;
	bool nosharepages, locked, fpr, dod;
};

static const struct {
	const char *what;
	const char *cmd;
	size_t len;
	struct want w;
} cases[] = {
    {"proxmox, simple-balloon-free-page-reporting",
     ARGV("/usr/bin/kvm\0-id\0"
          "8006\0-name\0simple,debug-threads=on\0-no-shutdown\0"
          "-chardev\0socket,id=qmp,path=/var/run/qemu-server/8006.qmp,server=on,wait=off\0"
          "-mon\0chardev=qmp,mode=control\0-pidfile\0/var/run/qemu-server/8006.pid\0-daemonize\0"
          "-smbios\0type=1,uuid=7b10d7af-b932-4c66-b2c3-3996152ec465\0-smp\0"
          "3,sockets=1,cores=3,maxcpus=3\0"
          "-nodefaults\0-m\0"
          "768\0-device\0virtio-balloon-pci,id=balloon0,bus=pci.0,addr=0x3,free-page-reporting=on\0"
          "-machine\0type=pc-i440fx-6.2+pve0\0"),
     {0, "simple", false, false, "7b10d7af-b932-4c66-b2c3-3996152ec465", "8006", "/var/run/qemu-server/8006.pid",
      768 * MiB, "virtio", false, false, false, false, true, false}},
    {"proxmox, hugepages 2M, two NUMA nodes",
     ARGV("/usr/bin/kvm\0-id\0"
          "8006\0-name\0simple\0-m\0"
          "8192\0"
          "-object\0memory-backend-file,id=ram-node0,size=4096M,mem-path=/run/hugepages/kvm/2048kB,share=on\0"
          "-numa\0node,nodeid=0,cpus=0-1,memdev=ram-node0\0"
          "-object\0memory-backend-file,id=ram-node1,size=4096M,mem-path=/run/hugepages/kvm/2048kB,share=on\0"
          "-device\0virtio-balloon-pci,id=balloon0,bus=pci.0,addr=0x3\0-machine\0hpet=off,type=pc+pve0\0"),
     {0, "simple", false, false, "", "8006", "", 8192 * MiB, "virtio", true, false, false, false, false, false}},
    {"proxmox, memory hotplug: size plus DIMMs, maxmem ignored, allow-ksm 0",
     ARGV("/usr/bin/kvm\0-id\0"
          "105\0-name\0db\0-m\0size=1024,slots=255,maxmem=524288M\0"
          "-object\0memory-backend-ram,id=ram-node0,size=512M\0-numa\0node,nodeid=0,memdev=ram-node0\0"
          "-object\0memory-backend-ram,id=mem-dimm0,size=512M\0-device\0pc-dimm,id=dimm0,memdev=mem-dimm0,node=0\0"
          "-object\0memory-backend-ram,id=mem-dimm1,size=512M\0-device\0pc-dimm,id=dimm1,memdev=mem-dimm1,node=0\0"
          "-machine\0type=pc-q35-9.2+pve1,mem-merge=off\0"),
     {0, "db", false, false, "", "105", "", 2048 * MiB, "none", false, false, true, false, false, false}},
    {"libvirt 9 with JSON devices and objects",
     ARGV("/usr/bin/qemu-system-x86_64\0-name\0guest=web-01,debug-threads=on\0-S\0"
          "-object\0{\"qom-type\":\"secret\",\"id\":\"masterKey0\",\"format\":\"raw\",\"file\":\"/x\"}\0"
          "-machine\0pc-i440fx-7.2,usb=off,dump-guest-core=off,memory-backend=pc.ram\0-m\0"
          "1024\0"
          "-object\0{\"qom-type\":\"memory-backend-ram\",\"id\":\"pc.ram\",\"size\":1073741824}\0"
          "-overcommit\0mem-lock=off\0-uuid\0"
          "4d2c6a10-8e3b-4f5a-9c1d-000000004101\0"
          "-device\0{\"driver\":\"virtio-balloon-pci\",\"id\":\"balloon0\",\"bus\":\"pci.0\",\"addr\":\"0x4\","
          "\"deflate-on-oom\":true,\"free-page-reporting\":true}\0"),
     {0, "web-01", true, true, "4d2c6a10-8e3b-4f5a-9c1d-000000004101", "", "", 1024 * MiB, "virtio", false, false,
      false, false, true, true}},
    {"kubevirt: namespace_vmi, qemu-kvm, memfd hugepages, locked",
     ARGV("/usr/libexec/qemu-kvm\0-name\0guest=default_vmi-fedora,debug-threads=on\0"
          "-machine\0pc-q35-rhel9.2.0,usb=off,dump-guest-core=off,memory-backend=pc.ram\0-m\0size=2097152k\0"
          "-object\0{\"qom-type\":\"memory-backend-memfd\",\"id\":\"pc.ram\",\"hugetlb\":true,"
          "\"hugetlbsize\":2097152,\"size\":2147483648}\0"
          "-overcommit\0mem-lock=on\0-uuid\0"
          "5a9fc181-957e-5c32-9e5a-2de5e9673531\0"
          "-device\0{\"driver\":\"virtio-balloon-pci-non-transitional\",\"id\":\"balloon0\","
          "\"free-page-reporting\":true,\"bus\":\"pci.5\",\"addr\":\"0x0\"}\0"),
     {0, "default_vmi-fedora", true, true, "5a9fc181-957e-5c32-9e5a-2de5e9673531", "", "", 2048 * MiB,
      "virtio-non-transitional", false, true, false, true, true, false}},
    {"libvirt with virtio-mem: boot memory plus the device's backend",
     ARGV("/usr/bin/qemu-system-x86_64\0-name\0guest=vmem\0-uuid\0x\0-m\0size=1048576k,slots=16,maxmem=8388608k\0"
          "-object\0{\"qom-type\":\"memory-backend-ram\",\"id\":\"memvirtiomem0\",\"size\":2147483648}\0"
          "-device\0{\"driver\":\"virtio-mem-pci\",\"node\":0,\"block-size\":2097152,\"requested-size\":1073741824,"
          "\"memdev\":\"memvirtiomem0\",\"id\":\"virtiomem0\"}\0"),
     {0, "vmem", true, true, "", "", "", 3072 * MiB, "none", false, false, false, false, false, false}},
    {"plain QEMU as DESIGN section 6 starts it",
     ARGV("qemu-system-x86_64\0-machine\0q35\0-S\0-m\0"
          "1024\0-nodefaults\0-display\0none\0"
          "-device\0virtio-balloon-pci,id=balloon0\0-qmp\0unix:/tmp/q.sock,server=on,wait=off\0"
          "-pidfile\0/tmp/q.pid\0-daemonize\0-name\0plain\0-uuid\0"
          "00000000-0000-0000-0000-000000000042\0"),
     {0, "plain", false, true, "00000000-0000-0000-0000-000000000042", "", "/tmp/q.pid", 1024 * MiB, "virtio", false,
      false, false, false, false, false}},
    {"no name, no -m: QEMU's 128 MiB, -mem-path, -realtime mlock",
     ARGV("/usr/bin/qemu-system-aarch64\0-M\0virt\0-mem-path\0/dev/hugepages\0-realtime\0mlock=on\0"),
     {0, NULL, false, false, "", "", "", 128 * MiB, "none", true, false, false, true, false, false}},
    {"double-dash options, sizes with suffixes",
     ARGV("/usr/bin/qemu-system-x86_64\0--name\0a,,b\0--m\0"
          "1.5G\0--device\0virtio-balloon-ccw,deflate-on-oom=yes\0"),
     {0, "a,b", false, false, "", "", "", 1536 * MiB, "virtio", false, false, false, false, false, true}},
    {"repeated options: the first -name, -m, -id and balloon win; -machine adds up",
     ARGV("qemu-system-x86_64\0-name\0one\0-name\0two\0-m\0"
          "512\0-m\0"
          "4096\0-id\0"
          "101\0-id\0"
          "102\0"
          "-device\0virtio-balloon-pci,free-page-reporting=off\0-device\0virtio-balloon-pci,free-page-reporting=on\0"
          "-machine\0q35\0-machine\0mem-merge=off\0"),
     {0, "one", false, false, "", "101", "", 512 * MiB, "virtio", false, false, true, false, false, false}},
    {"a value that looks like an option is not one",
     ARGV("qemu-system-x86_64\0-append\0-name\0-name\0real\0-kernel\0-m\0-m\0"
          "64\0"),
     {0, "real", false, false, "", "", "", 64 * MiB, "none", false, false, false, false, false, false}},
    {"-m that overflows: no maximum",
     ARGV("qemu-system-x86_64\0-name\0big\0-m\0"
          "99999999999999999999\0"),
     {0, "big", false, false, "", "", "", 0, "none", false, false, false, false, false, false}},
    {"-m 16E overflows too; a DIMM that overflows the sum drops the maximum",
     ARGV("qemu-system-x86_64\0-m\0size=8E\0-object\0memory-backend-ram,id=d,size=8E\0"
          "-device\0pc-dimm,memdev=d\0"),
     {0, NULL, false, false, "", "", "", 0, "none", false, false, false, false, false, false}},
    {"bad UUIDs, a bad VMID, smbios of another type",
     ARGV("qemu-system-x86_64\0-uuid\0not-a-uuid\0-smbios\0type=2,uuid=7b10d7af-b932-4c66-b2c3-3996152ec465\0"
          "-id\0"
          "007\0-name\0guest=\0"),
     {0, NULL, false, true, "", "", "", 128 * MiB, "none", false, false, false, false, false, false}},
    {"malformed JSON costs only that option",
     ARGV("qemu-system-x86_64\0-name\0j\0-device\0{\"driver\":\"virtio-balloon-pci\",\"id\":\0"
          "-device\0{\"driver\":\"virtio-balloon-pci\",\"x\":{\"nested\":[1,{\"a\":\"}\"}]},"
          "\"deflate-on-oom\":\"on\"}\0"),
     {0, "j", false, false, "", "", "", 128 * MiB, "virtio", false, false, false, false, false, true}},
    {"invalid UTF-8 and quotes pass through as bytes",
     ARGV("qemu-system-x86_64\0-name\0guest=\xff\xfe\"q\\,debug-threads=on\0-uuid\0x\0"),
     {0, "\xff\xfe\"q\\", true, true, "", "", "", 128 * MiB, "none", false, false, false, false, false, false}},
    {"a trailing option without its value",
     ARGV("qemu-system-x86_64\0-name\0"),
     {0, NULL, false, false, "", "", "", 128 * MiB, "none", false, false, false, false, false, false}},
    {"not QEMU", ARGV("/usr/bin/bash\0-name\0x\0"), {-EINVAL}},
    {"kvm is only kvm", ARGV("/usr/bin/kvmtop\0"), {-EINVAL}},
    {"NUL only", ARGV("\0\0\0\0"), {-EINVAL}},
    {"empty", "", 0, {-EINVAL}},
};

static void check_case(size_t i)
{
	const struct want *w = &cases[i].w;
	struct qemu_cmdline got;
	int rc = qemu_cmdline_parse(cases[i].cmd, cases[i].len, &got);
	if (rc != w->rc)
		fail_msg("%s: rc %d, want %d", cases[i].what, rc, w->rc);
	if (rc != 0)
		return;
	if (got.has_name != (w->name != NULL) || (w->name && strcmp(got.name, w->name) != 0))
		fail_msg("%s: name '%s' (%d)", cases[i].what, got.name, got.has_name);
	if (got.guest_key != w->guest_key || got.has_uuid_opt != w->has_uuid_opt)
		fail_msg("%s: guest_key %d has_uuid_opt %d", cases[i].what, got.guest_key, got.has_uuid_opt);
	if (strcmp(got.uuid, w->uuid) != 0 || strcmp(got.vmid, w->vmid) != 0 || strcmp(got.pidfile, w->pidfile) != 0)
		fail_msg("%s: uuid '%s' vmid '%s' pidfile '%s'", cases[i].what, got.uuid, got.vmid, got.pidfile);
	if (got.memory_bytes.present != (w->memory != 0) || (w->memory && got.memory_bytes.v.u != w->memory))
		fail_msg("%s: memory %d %llu", cases[i].what, got.memory_bytes.present,
		         (unsigned long long)got.memory_bytes.v.u);
	const struct domain_config *c = &got.config;
	if (!c->present || strcmp(c->balloon, w->balloon) != 0 || (got.mem_path[0] != '\0') != w->hugepages_path ||
	    got.hugetlb_memfd != w->memfd_huge || c->nosharepages != w->nosharepages || c->locked != w->locked ||
	    c->free_page_reporting != w->fpr || c->deflate_on_oom != w->dod)
		fail_msg("%s: balloon %s mem_path '%s' memfd %d noshare %d locked %d fpr %d dod %d", cases[i].what,
		         c->balloon, got.mem_path, got.hugetlb_memfd, c->nosharepages, c->locked,
		         c->free_page_reporting, c->deflate_on_oom);
}

static void test_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_case(i);
}

/* A 100 kB command line of one repeated option, and one name of 100 kB:
 * bounded, no crash, the name too long to be one. */
static void test_huge(void **state)
{
	(void)state;
	size_t n = 100 * 1024;
	char *cmd = malloc(n);
	assert_non_null(cmd);
	memset(cmd, 'a', n);
	memcpy(cmd, "qemu-system-x86_64\0-name\0", 25);
	struct qemu_cmdline got;
	assert_int_equal(qemu_cmdline_parse(cmd, n, &got), 0);
	assert_false(got.has_name);
	size_t pos = 19;
	while (pos + 30 < n) {
		memcpy(cmd + pos, "-device\0pc-dimm,memdev=x\0-m\0-1\0", 31);
		pos += 31;
	}
	assert_int_equal(qemu_cmdline_parse(cmd, n, &got), 0);
	assert_false(got.memory_bytes.present);
	free(cmd);
}

/* virtio-mem: the device's backend is its size, requested-size what the
 * host asked at start; two devices add up; a DIMM is neither. */
static void test_virtio_mem(void **state)
{
	(void)state;
	static const char cmd[] =
	    "qemu-system-x86_64\0-m\0size=1G,slots=4,maxmem=16G\0"
	    "-object\0{\"qom-type\":\"memory-backend-ram\",\"id\":\"vm0\",\"size\":2147483648}\0"
	    "-device\0{\"driver\":\"virtio-mem-pci\",\"memdev\":\"vm0\",\"requested-size\":1073741824}\0"
	    "-object\0memory-backend-ram,id=vm1,size=1G\0"
	    "-device\0virtio-mem-pci,memdev=vm1,requested-size=256M,id=virtiomem1\0"
	    "-object\0memory-backend-ram,id=d0,size=512M\0-device\0pc-dimm,memdev=d0\0";
	struct qemu_cmdline got;
	assert_int_equal(qemu_cmdline_parse(cmd, sizeof(cmd) - 1, &got), 0);
	assert_int_equal(got.memory_bytes.v.u, (1ULL << 30) + (3ULL << 30) + (512ULL << 20));
	assert_true(got.virtio_mem_size.present);
	assert_int_equal(got.virtio_mem_size.v.u, 3ULL << 30);
	assert_true(got.virtio_mem_requested.present);
	assert_int_equal(got.virtio_mem_requested.v.u, (1ULL << 30) + (256ULL << 20));
	static const char plain[] = "qemu-system-x86_64\0-m\0"
	                            "512\0";
	assert_int_equal(qemu_cmdline_parse(plain, sizeof(plain) - 1, &got), 0);
	assert_false(got.virtio_mem_size.present);
	assert_false(got.virtio_mem_requested.present);
}

static void test_sizes(void **state)
{
	(void)state;
	static const struct {
		const char *s;
		unsigned shift;
		int rc;
		uint64_t v;
	} sz[] = {
	    {"1024", 20, 0, 1024 * MiB},
	    {"512M", 20, 0, 512 * MiB},
	    {"2g", 20, 0, 2048 * MiB},
	    {"1.5G", 20, 0, 1536 * MiB},
	    {"2097152k", 20, 0, 2048 * MiB},
	    {"1073741824", 0, 0, 1073741824},
	    {"4096B", 20, 0, 4096},
	    {"0x40000000", 0, 0, 1073741824},
	    {"15E", 0, 0, 15ULL << 60},
	    {"16E", 0, -ERANGE, 0},
	    {"18446744073709551615", 0, 0, UINT64_MAX},
	    {"18446744073709551616", 0, -ERANGE, 0},
	    {"17592186044416", 20, -ERANGE, 0},
	    {"1.5", 0, -EINVAL, 0},
	    {"", 20, -EINVAL, 0},
	    {"M", 20, -EINVAL, 0},
	    {"12Q", 20, -EINVAL, 0},
	    {"12MB", 20, -EINVAL, 0},
	    {"-1", 20, -EINVAL, 0},
	    {" 1", 20, -EINVAL, 0},
	};
	for (size_t i = 0; i < sizeof(sz) / sizeof(sz[0]); i++) {
		uint64_t v = 7;
		int rc = qemu_parse_size(sz[i].s, strlen(sz[i].s), sz[i].shift, &v);
		if (rc != sz[i].rc || (rc == 0 && v != sz[i].v) || (rc != 0 && v != 7))
			fail_msg("size '%s': rc %d v %llu", sz[i].s, rc, (unsigned long long)v);
	}
}

static void test_is_qemu(void **state)
{
	(void)state;
	assert_true(qemu_cmdline_is_qemu(ARGV("/usr/bin/kvm\0")));
	assert_true(qemu_cmdline_is_qemu(ARGV("kvm")));
	assert_true(qemu_cmdline_is_qemu(ARGV("/usr/libexec/qemu-kvm\0-name\0x\0")));
	assert_true(qemu_cmdline_is_qemu(ARGV("/usr/bin/qemu-system-x86_64\0")));
	assert_false(qemu_cmdline_is_qemu(ARGV("/usr/bin/qemu-system-\0")));
	assert_false(qemu_cmdline_is_qemu(ARGV("/usr/bin/qemu-img\0")));
	assert_false(qemu_cmdline_is_qemu(ARGV("/usr/bin/\0")));
	assert_false(qemu_cmdline_is_qemu(ARGV("\0kvm\0")));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cases),      cmocka_unit_test(test_huge),    cmocka_unit_test(test_sizes),
	    cmocka_unit_test(test_virtio_mem), cmocka_unit_test(test_is_qemu),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
