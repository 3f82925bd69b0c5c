/*
 * fuzz_cmdline.c - /proc/<pid>/cmdline against a domain name
 * (libvirt_pid_cmdline_matches).
 *
 * The first byte gives the length of the domain name taken from the input
 * (a name is a C string, so it stops at a NUL); the rest is the cmdline.
 * The cmdline is copied into a buffer of exactly its size, so a read past
 * the end shows up under ASan.
 */
#include <string.h>

#include "fuzz.h"
#include "backends/libvirt_pid.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t nl = data[0];
	if (nl > size - 1)
		nl = size - 1;
	char *name = malloc(nl + 1);
	char *cmd = malloc(size - 1 - nl + 1);
	if (name == NULL || cmd == NULL) {
		free(name);
		free(cmd);
		return 0;
	}
	memcpy(name, data + 1, nl);
	name[nl] = '\0';
	size_t cl = size - 1 - nl;
	memcpy(cmd, data + 1 + nl, cl);
	bool m = libvirt_pid_cmdline_matches(cmd, cl, name);
	/* No domain has an empty name, so nothing matches one. */
	if (m)
		FUZZ_CHECK(strlen(name) > 0);
	free(name);
	free(cmd);
	return 0;
}
