/*
 * fuzz_vmstat.c - /proc/vmstat text, through ksm_collect().
 *
 * The vmstat parser is not a public function of ksm_sys.c, so each input
 * is written to <tmp>/proc/vmstat of a private fake host (an empty KSM
 * directory: every sysfs file absent) and read the way a scrape reads it.
 * That also covers read_file() on arbitrary bytes.  The counters are
 * unsigned page counts; nothing but them and ksmd's CPU time (no ksmd in
 * this procfs) may be filled.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "sources/ksm.h"
#include "model/snapshot.h"

static char root[] = "/tmp/kvmmem-fuzz-vmstat-XXXXXX";
static char sysfs[PATH_MAX], procfs[PATH_MAX], vmstat[PATH_MAX], ksmdir[PATH_MAX];
static struct kvm_env env;
static struct ksm *ks;

static void cleanup(void)
{
	char p[PATH_MAX];
	unlink(vmstat);
	rmdir(ksmdir);
	snprintf(p, sizeof(p), "%s/kernel/mm", sysfs);
	rmdir(p);
	snprintf(p, sizeof(p), "%s/kernel", sysfs);
	rmdir(p);
	rmdir(sysfs);
	rmdir(procfs);
	rmdir(root);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char p[PATH_MAX];

	(void)argc;
	(void)argv;
	if (mkdtemp(root) == NULL)
		abort();
	snprintf(sysfs, sizeof(sysfs), "%s/sys", root);
	snprintf(procfs, sizeof(procfs), "%s/proc", root);
	snprintf(vmstat, sizeof(vmstat), "%s/vmstat", procfs);
	snprintf(ksmdir, sizeof(ksmdir), "%s/kernel/mm/ksm", sysfs);
	mkdir(sysfs, 0700);
	snprintf(p, sizeof(p), "%s/kernel", sysfs);
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/kernel/mm", sysfs);
	mkdir(p, 0700);
	if (mkdir(ksmdir, 0700) != 0 || mkdir(procfs, 0700) != 0)
		abort();
	atexit(cleanup);
	env.sysfs = sysfs;
	env.procfs = procfs;
	env.libvirt_run = root;
	env.log = NULL; /* discard: the complaint text is not under test here */
	ks = ksm_new(&env);
	if (ks == NULL)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = open(vmstat, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		abort();
	if (size > 0 && write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);

	struct snapshot *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return 0;
	int r = ksm_collect(ks, s);
	FUZZ_CHECK(r == 0 || r == -EINVAL || r == -ERANGE || r == -EFBIG);
	for (int f = 0; f < HF_COUNT; f++) {
		if (f == HF_KSM_COW || f == HF_KSM_SWAPIN_COPIES) {
			FUZZ_CHECK(!s->host[f].present || s->host[f].kind == MV_U64);
			continue;
		}
		FUZZ_CHECK(!s->host[f].present);
	}
	free(s);
	return 0;
}
