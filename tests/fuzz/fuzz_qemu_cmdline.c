/*
 * fuzz_qemu_cmdline.c - a QEMU command line (qemu_cmdline_parse) and the
 * name reader libvirt's pid lookup shares (qemu_cmdline_name).
 *
 * The input is the cmdline itself, copied into a buffer of exactly its
 * size so a read past the end shows up under ASan.  The contract: every
 * string out is terminated inside its array, a UUID is valid or empty, a
 * VMID is digits, the balloon model is set.
 */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "backends/qemu_cmdline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *cmd = malloc(size ? size : 1);
	if (cmd == NULL)
		return 0;
	memcpy(cmd, data, size);
	struct qemu_cmdline *out = malloc(sizeof(*out));
	if (out == NULL) {
		free(cmd);
		return 0;
	}
	int rc = qemu_cmdline_parse(cmd, size, out);
	if (rc == 0) {
		FUZZ_CHECK(memchr(out->name, '\0', sizeof(out->name)) != NULL);
		FUZZ_CHECK(!out->has_name || out->name[0] != '\0');
		FUZZ_CHECK(memchr(out->pidfile, '\0', sizeof(out->pidfile)) != NULL);
		FUZZ_CHECK(memchr(out->mem_path, '\0', sizeof(out->mem_path)) != NULL);
		FUZZ_CHECK(out->uuid[0] == '\0' || qemu_uuid_valid(out->uuid, strlen(out->uuid)));
		FUZZ_CHECK(strspn(out->vmid, "0123456789") == strlen(out->vmid));
		FUZZ_CHECK(out->config.present && out->config.balloon != NULL);
	} else {
		FUZZ_CHECK(rc == -EINVAL || rc == -ENOMEM);
	}
	struct buf b;
	bool has_uuid;
	buf_init(&b, 1 << 16);
	rc = qemu_cmdline_name(cmd, size, &b, &has_uuid);
	FUZZ_CHECK(rc == 0 || rc == -ENOENT || rc == -ENOMEM || rc == -E2BIG);
	FUZZ_CHECK(b.len == 0 || memchr(b.data, '\0', b.len) == NULL);
	buf_free(&b);
	free(out);
	free(cmd);
	return 0;
}
