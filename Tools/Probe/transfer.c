/* Transfers for sluice-probe: a known number of bytes each way over one real connection, so
 * the kernel's per-connection counts can be checked against what the application did. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "probe.h"

static char chunk[65536];

int transfer_tcp(const struct probe_target *t, long send_bytes, long *sent, long *received)
{
	int fd = socket(t->family, SOCK_STREAM, 0);
	int code = 0;

	*sent = *received = 0;
	if (fd < 0)
		return errno;
	if (connect(fd, (const struct sockaddr *)&t->addr, t->len) < 0) {
		code = errno;
		close(fd);
		return code;
	}
	while (*sent < send_bytes) {
		long want = send_bytes - *sent < (long)sizeof(chunk) ? send_bytes - *sent : (long)sizeof(chunk);
		ssize_t n = write(fd, chunk, (size_t)want);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			code = errno;
			break;
		}
		*sent += n;
	}
	if (code == 0 && shutdown(fd, SHUT_WR) < 0)
		code = errno;
	while (code == 0) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			code = errno;
		if (n <= 0)
			break;
		*received += n;
	}
	close(fd);
	return code;
}

/* COUNT datagrams of SIZE bytes, each waiting for its echo so that nothing is dropped for want
 * of room; to `to` with sendto when given, else on the connected socket. */
static int echo_datagrams(int fd, const struct probe_target *to, long count, long size, long *sent, long *received)
{
	if (size > (long)sizeof(chunk))
		return EMSGSIZE;
	for (long k = 0; k < count; k++) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n = to ? sendto(fd, chunk, (size_t)size, 0, (const struct sockaddr *)&to->addr, to->len)
			       : send(fd, chunk, (size_t)size, 0);

		if (n < 0)
			return errno;
		*sent += n;
		if (poll(&pfd, 1, 5000) != 1)
			return ETIMEDOUT;
		n = recv(fd, chunk, sizeof(chunk), 0);
		if (n < 0)
			return errno;
		*received += n;
	}
	return 0;
}

int transfer_udp(const struct probe_target *t, long count, long size, long *sent, long *received)
{
	int fd = socket(t->family, SOCK_DGRAM, 0);
	int code;

	*sent = *received = 0;
	if (fd < 0)
		return errno;
	code = connect(fd, (const struct sockaddr *)&t->addr, t->len) < 0 ? errno
									 : echo_datagrams(fd, 0, count, size, sent, received);
	close(fd);
	return code;
}

int transfer_sendto(const struct probe_target *t, const struct probe_target *then, long count, long size,
		    long *sent, long *received)
{
	int fd = socket(t->family, SOCK_DGRAM, 0);
	int code;

	*sent = *received = 0;
	if (fd < 0)
		return errno;
	code = echo_datagrams(fd, t, count, size, sent, received);
	if (code == 0)
		code = echo_datagrams(fd, then, count, size, sent, received);
	close(fd);
	return code;
}
