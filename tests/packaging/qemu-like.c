/*
 * qemu-like.c - stands in for a QEMU process in tests/packaging/test_systemd.sh:
 * a process whose command line names a domain the way libvirt starts QEMU
 * ("-name guest=NAME,..." and "-uuid"), which writes its pid to the file
 * after "-pidfile" (no newline, as QEMU does) and holds "-m" MiB of identical
 * anonymous pages marked MADV_MERGEABLE, so that KSM merges them and the
 * process's /proc/<pid>/ksm_stat (mode 0400, owned by the user it runs as)
 * has something to report.  Every other argument is ignored.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	const char *pidfile = NULL;
	unsigned long mib = 32;

	for (int i = 1; i + 1 < argc; i++) {
		if (strcmp(argv[i], "-pidfile") == 0)
			pidfile = argv[++i];
		else if (strcmp(argv[i], "-m") == 0)
			mib = strtoul(argv[++i], NULL, 10);
	}
	if (mib == 0 || mib > 1024) {
		fprintf(stderr, "qemu-like: -m takes 1 to 1024 (MiB)\n");
		return 2;
	}
	size_t len = mib << 20;
	char *mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		perror("qemu-like: mmap");
		return 1;
	}
	if (madvise(mem, len, MADV_MERGEABLE) != 0) {
		perror("qemu-like: madvise(MADV_MERGEABLE)");
		return 1;
	}
	/* KSM scans only pages that are present: touch every one, all alike. */
	memset(mem, 0x5a, len);
	if (pidfile) {
		char buf[32];
		int n = snprintf(buf, sizeof(buf), "%ld", (long)getpid());
		int fd = open(pidfile, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0 || write(fd, buf, (size_t)n) != n || close(fd) != 0) {
			fprintf(stderr, "qemu-like: %s: %s\n", pidfile, strerror(errno));
			return 1;
		}
	}
	for (;;)
		pause();
}
