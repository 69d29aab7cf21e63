/* An unprivileged attack on rules by name for sluice-probe: a user that may not bind port 53 on
 * the node makes a user namespace and a network namespace of its own, where it may, and answers
 * its own application's lookup with an address of its choice. The kernel must not believe that
 * answer: the attribution is per application, so the same program outside the namespace would
 * otherwise reach the forged address under the allowed name. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include "probe.h"

/* Brings the namespace's loopback up (it starts down): 127.0.0.0/8 is then local. */
static int loopback_up(void)
{
	struct ifreq request = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), result = 0;

	if (fd < 0)
		return errno;
	strcpy(request.ifr_name, "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &request) < 0) {
		result = errno;
	} else {
		request.ifr_flags |= IFF_UP;
		if (ioctl(fd, SIOCSIFFLAGS, &request) < 0)
			result = errno;
	}
	close(fd);
	return result;
}

/* In the new namespaces: a "server" bound to SERVER:53 answers the client's A query for the
 * question it was asked with FORGED. Returns 0 once the client received the answer. */
static int answer_own_lookup(const char *server, const char *forged)
{
	struct sockaddr_in at = { .sin_family = AF_INET, .sin_port = htons(53) }, peer;
	socklen_t peer_len = sizeof(peer);
	unsigned char message[512], rdata[4];
	struct pollfd ready;
	struct probe_target unused;
	int listener, client, result, length;

	if (inet_pton(AF_INET, server, &at.sin_addr) != 1 || inet_pton(AF_INET, forged, rdata) != 1)
		return EINVAL;
	if ((result = loopback_up()) != 0)
		return result;
	listener = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (listener < 0)
		return errno;
	if (bind(listener, (struct sockaddr *)&at, sizeof(at)) < 0) {
		result = errno;
		close(listener);
		return result;
	}
	client = fork();
	if (client < 0) {
		result = errno;
		close(listener);
		return result;
	}
	if (client == 0) {
		/* The application's own lookup, as a stub resolver makes it. */
		close(listener);
		_exit(resolve_a(server, "forged.sluice.test", 9, &unused) == 0 ? 0 : 1);
	}
	ready.fd = listener;
	ready.events = POLLIN;
	result = ETIMEDOUT;
	if (poll(&ready, 1, 5000) == 1) {
		length = (int)recvfrom(listener, message, sizeof(message) - 16, 0, (struct sockaddr *)&peer, &peer_len);
		if (length >= 12 + 5) {
			/* The query's header and question, answered: one A record pointing at the question. */
			unsigned char record[16] = { 0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4 };

			memcpy(record + 12, rdata, 4);
			message[2] = 0x81;
			message[3] = 0x80;
			message[7] = 1;
			memcpy(message + length, record, sizeof(record));
			if (sendto(listener, message, (size_t)length + sizeof(record), 0, (struct sockaddr *)&peer, peer_len) < 0)
				result = errno;
			else
				result = 0;
		}
	}
	close(listener);
	if (result == 0) {
		int status;

		result = waitpid(client, &status, 0) == client && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : EBADMSG;
	} else {
		kill(client, SIGKILL);
		waitpid(client, NULL, 0);
	}
	return result;
}

int forge_answer_in_namespace(const char *server, const char *forged)
{
	pid_t child = fork();
	int status;

	if (child < 0)
		return errno;
	if (child == 0) {
		if (drop_to_nobody_in_user_namespace() < 0)
			_exit(EPERM);
		if (unshare(CLONE_NEWNET) < 0) {
			fprintf(stderr, "sluice-probe: unshare(CLONE_NEWNET) in the user namespace: %s\n", strerror(errno));
			_exit(EPERM);
		}
		_exit(answer_own_lookup(server, forged));
	}
	if (waitpid(child, &status, 0) != child || !WIFEXITED(status))
		return ECHILD;
	return WEXITSTATUS(status);
}
