/*
 * fuzz_pidfile.c - <libvirt_run>/<name>.pid text (libvirt_pid_parse_pidfile).
 *
 * An accepted pid is positive, fits pid_t, and is the number in the text;
 * a refused one leaves the output alone.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "util/buf.h"
#include "fuzz.h"
#include "backends/libvirt_pid.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pid_t pid = -77;
	int r = libvirt_pid_parse_pidfile((const char *)data, size, &pid);
	FUZZ_CHECK(r == 0 || r == -EINVAL);
	if (r != 0) {
		FUZZ_CHECK(pid == -77);
		return 0;
	}
	FUZZ_CHECK(pid > 0);
	struct buf b;
	buf_init(&b, 32);
	buf_put_u64(&b, (uint64_t)pid);
	FUZZ_CHECK(b.len <= size && memmem(data, size, b.data, b.len) != NULL);
	buf_free(&b);
	return 0;
}
