/*
 * hung_libvirtd.c - a unix socket that accepts libvirt clients and never
 * answers them (mode hang), or closes each one after some seconds without a
 * word (mode slow).
 *
 * It is a fake because a real libvirtd cannot be made to hang on demand:
 * stopping it with SIGSTOP also stops its accept(), so clients see a full
 * backlog rather than a daemon that took the connection and went silent,
 * and no setting makes it answer a minute late.  This program is that
 * daemon and nothing more; it never speaks the libvirt protocol.
 *
 * usage: hung_libvirtd hang|slow SOCKET [SECONDS]
 *
 * It prints "listening" once the socket accepts, then "accepted N" for
 * every connection (N counts them) and "closed N" when slow mode drops one,
 * each line flushed, so a test can count connection attempts.  SIGTERM or
 * SIGINT removes the socket and exits 0.  At most MAX_CONNS connections are
 * held; beyond that the oldest is closed, so the fake itself stays bounded.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 64

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Whole seconds, 1 to 3600; -1 when s is not one. */
static int parse_seconds(const char *s)
{
	int v = 0;
	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > 3600)
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v >= 1 && v <= 3600 ? v : -1;
}

int main(int argc, char **argv)
{
	if (argc < 3 || (strcmp(argv[1], "hang") != 0 && strcmp(argv[1], "slow") != 0)) {
		fprintf(stderr, "usage: %s hang|slow SOCKET [SECONDS]\n", argv[0]);
		return 2;
	}
	int slow = strcmp(argv[1], "slow") == 0;
	int delay = argc > 3 ? parse_seconds(argv[3]) : 60;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (delay < 0 || strlen(argv[2]) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "%s: bad SECONDS or SOCKET too long\n", argv[0]);
		return 2;
	}
	memcpy(sa.sun_path, argv[2], strlen(argv[2]) + 1);

	struct sigaction act = {.sa_handler = on_signal};
	sigaction(SIGTERM, &act, NULL);
	sigaction(SIGINT, &act, NULL);
	signal(SIGPIPE, SIG_IGN);

	int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 16) < 0) {
		perror(argv[2]);
		return 1;
	}
	printf("listening\n");
	fflush(stdout);

	struct {
		int fd;
		double close_at; /* 0: never */
		unsigned long n;
	} conns[MAX_CONNS];
	int nconns = 0;
	unsigned long accepted = 0;

	while (!stop) {
		struct pollfd pfd[MAX_CONNS + 1];
		pfd[0] = (struct pollfd){.fd = lfd, .events = POLLIN};
		/* Connections are polled only to notice clients that leave:
		 * nothing they send is ever read or answered. */
		for (int i = 0; i < nconns; i++)
			pfd[i + 1] = (struct pollfd){.fd = conns[i].fd, .events = 0};
		int r = poll(pfd, (nfds_t)nconns + 1, 100);
		if (r < 0 && errno != EINTR)
			break;
		double t = now_s();
		int j = 0;
		for (int i = 0; i < nconns; i++) {
			int gone = pfd[i + 1].revents & (POLLHUP | POLLERR);
			int due = conns[i].close_at > 0 && t >= conns[i].close_at;
			if (gone || due) {
				close(conns[i].fd);
				printf("closed %lu%s\n", conns[i].n, gone ? " by the client" : "");
				fflush(stdout);
				continue;
			}
			conns[j++] = conns[i];
		}
		nconns = j;
		if (r > 0 && (pfd[0].revents & POLLIN)) {
			int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
			if (fd < 0)
				continue;
			if (nconns == MAX_CONNS) {
				close(conns[0].fd);
				memmove(&conns[0], &conns[1], sizeof(conns[0]) * (MAX_CONNS - 1));
				nconns--;
			}
			conns[nconns].fd = fd;
			conns[nconns].close_at = slow ? t + delay : 0;
			conns[nconns].n = ++accepted;
			nconns++;
			printf("accepted %lu\n", accepted);
			fflush(stdout);
		}
	}
	for (int i = 0; i < nconns; i++)
		close(conns[i].fd);
	close(lfd);
	unlink(sa.sun_path);
	return 0;
}
