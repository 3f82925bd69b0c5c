/*
 * fuzz_cgroup.c - /proc/<pid>/cgroup text (cgroup_find_scope).
 *
 * On success the scope is an absolute path that ends in ".scope", holds no
 * "." or ".." component, fits its buffer and is a prefix of a path of the
 * input; on failure the output is untouched.
 */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "sources/cgroup.h"

static int bad_component(const char *p, size_t n)
{
	return (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cgroup_ref ref, before;

	memset(&ref, 0x5a, sizeof(ref));
	before = ref;
	int r = cgroup_find_scope((const char *)data, size, &ref);
	FUZZ_CHECK(r == 0 || r == -ENOENT || r == -ENODATA || r == -EINVAL || r == -ENAMETOOLONG);
	if (r != 0) {
		FUZZ_CHECK(memcmp(&ref, &before, sizeof(ref)) == 0);
		return 0;
	}
	FUZZ_CHECK(ref.version == CGROUP_V1 || ref.version == CGROUP_V2);
	FUZZ_CHECK(ref.len < sizeof(ref.path) && ref.path[ref.len] == '\0' && strlen(ref.path) == ref.len);
	FUZZ_CHECK(ref.len > 6 && ref.path[0] == '/' && memcmp(ref.path + ref.len - 6, ".scope", 6) == 0);
	FUZZ_CHECK(memchr(ref.path, '\n', ref.len) == NULL);
	for (const char *p = ref.path + 1; p <= ref.path + ref.len;) {
		const char *slash = strchr(p, '/');
		size_t n = slash != NULL ? (size_t)(slash - p) : strlen(p);
		FUZZ_CHECK(!bad_component(p, n));
		if (slash == NULL)
			break;
		p = slash + 1;
	}
	/* The scope is where it was found: after a ':' of the input. */
	int found = 0;
	for (size_t i = 0; i + ref.len <= size && !found; i++)
		found = (i > 0 && data[i - 1] == ':' && memcmp(data + i, ref.path, ref.len) == 0);
	FUZZ_CHECK(found);
	return 0;
}
