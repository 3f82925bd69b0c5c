/* qemu_pve.c - a QEMU process's Proxmox VMID, trusted only by its pidfile. */
#include "backends/qemu_pve.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>

#include "backends/libvirt_pid.h"
#include "util/parse.h"
#include "util/paths.h"

void qemu_pve_begin(struct qemu_pve *p)
{
	p->run_state = 0;
}

void qemu_pve_vmid_from_pidfile(const struct qemu_pve *p, const char *pidfile, char vmid[DOM_VMID_MAX])
{
	size_t rl = strlen(p->run);
	while (rl > 1 && p->run[rl - 1] == '/')
		rl--;
	vmid[0] = '\0';
	if (strncmp(pidfile, p->run, rl) != 0 || pidfile[rl] != '/')
		return;
	const char *base = pidfile + rl + 1;
	size_t d = strspn(base, "0123456789");
	if (d == 0 || d >= DOM_VMID_MAX - 2 || base[0] == '0' || strcmp(base + d, ".pid") != 0)
		return;
	memcpy(vmid, base, d);
	vmid[d] = '\0';
}

/* Is there a run directory?  Asked once per collection. */
static bool run_exists(struct qemu_pve *p)
{
	if (p->run_state == 0) {
		struct stat st;
		p->run_state = stat(p->run, &st) == 0 && S_ISDIR(st.st_mode) ? 1 : -1;
	}
	return p->run_state > 0;
}

bool qemu_pve_pidfile_names(struct qemu_pve *p, const char *vmid, pid_t pid)
{
	char path[PATH_MAX], text[64];
	size_t len;
	pid_t named;
	int n = path_join3(path, sizeof(path) - 4, p->run, "/", vmid);
	if (n < 0)
		return false;
	memcpy(path + n, ".pid", 5);
	/* One read: a pidfile is a line, and one is read per guest per scan. */
	int rc = read_file_at_once(AT_FDCWD, path, text, sizeof(text), &len);
	if (rc == 0 && libvirt_pid_parse_pidfile(text, len, &named) == 0 && named == pid) {
		complain_key_release(p->log, p->complaints, path, "pid %d is VMID %s again", (int)pid, vmid);
		return true;
	}
	if (rc == -ENOENT && !run_exists(p)) {
		log_debug(p->log, "%s: no such directory; QEMU pid %d with VMID %s is reported without it", p->run,
		          (int)pid, vmid);
		return false;
	}
	if (rc < 0)
		complain_key(p->log, p->complaints, path,
		             "QEMU pid %d has VMID %s but its pidfile cannot be read (%s); reported without VMID",
		             (int)pid, vmid, strerrordesc_np(-rc));
	else
		complain_key(p->log, p->complaints, path,
		             "QEMU pid %d has VMID %s but the pidfile names another process; reported without VMID",
		             (int)pid, vmid);
	return false;
}
