/* A redirect target that is not root (sluice-probe ask-origin): it accepts one connection and
 * learns where the client meant to go by passing the accepted socket to the agent's origin
 * socket, as README "Redirects" tells a proxy to. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "probe.h"

/* Sends `fd` over a new connection to the Unix socket at `path`; reads the one-line answer. */
static int ask_agent(const char *path, int fd, char *answer, size_t size)
{
	struct sockaddr_un address = { .sun_family = AF_UNIX };
	char byte = 0;
	char control[CMSG_SPACE(sizeof(int))] = {};
	struct iovec io = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr message = { .msg_iov = &io, .msg_iovlen = 1, .msg_control = control,
				  .msg_controllen = sizeof(control) };
	struct cmsghdr *header = CMSG_FIRSTHDR(&message);
	size_t have = 0;
	int agent, code = 0;

	if (strlen(path) >= sizeof(address.sun_path))
		return ENAMETOOLONG;
	strcpy(address.sun_path, path);
	agent = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (agent < 0)
		return errno;
	if (connect(agent, (struct sockaddr *)&address, sizeof(address)) < 0) {
		code = errno;
		close(agent);
		return code;
	}
	header->cmsg_level = SOL_SOCKET;
	header->cmsg_type = SCM_RIGHTS;
	header->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(header), &fd, sizeof(int));
	if (sendmsg(agent, &message, 0) != 1)
		code = errno;
	/* The agent writes one line and closes. */
	while (code == 0 && have + 1 < size) {
		ssize_t n = read(agent, answer + have, size - have - 1);

		if (n > 0)
			have += (size_t)n;
		else if (n == 0)
			break;
		else if (errno != EINTR)
			code = errno;
	}
	answer[have] = '\0';
	answer[strcspn(answer, "\n")] = '\0';
	close(agent);
	return code;
}

int ask_origin(const struct probe_target *t, const char *path, char *answer, size_t size)
{
	struct sockaddr_storage bound;
	socklen_t length = sizeof(bound);
	struct pollfd ready;
	int listener = socket(t->family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1, connection, code;

	answer[0] = '\0';
	if (listener < 0)
		return errno;
	setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(listener, (const struct sockaddr *)&t->addr, t->len) < 0 || listen(listener, 1) < 0 ||
	    getsockname(listener, (struct sockaddr *)&bound, &length) < 0) {
		code = errno;
		close(listener);
		return code;
	}
	/* Both families keep the port at the same offset. */
	printf("listening %u\n", ntohs(((struct sockaddr_in *)&bound)->sin_port));
	ready = (struct pollfd){ .fd = listener, .events = POLLIN };
	if (poll(&ready, 1, 30000) != 1) {
		close(listener);
		return ETIMEDOUT;
	}
	connection = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
	code = connection < 0 ? errno : ask_agent(path, connection, answer, size);
	if (connection >= 0)
		close(connection);
	close(listener);
	return code;
}
