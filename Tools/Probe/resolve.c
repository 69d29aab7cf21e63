/* A stub resolver for sluice-probe: one A query, the first address of the answer. It trusts its
 * server (it is the test's own); what matters is that the query and answer pass through the
 * socket hooks and the DNS reader like any application's. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "probe.h"

static int skip_name(const unsigned char *m, int len, int at)
{
	while (at < len) {
		if (m[at] == 0)
			return at + 1;
		if ((m[at] & 0xc0) == 0xc0)
			return at + 2;
		at += m[at] + 1;
	}
	return -1;
}

/* An A query for NAME in QUERY (300 bytes); its length, or -1 for a name that cannot be one. */
static int a_query(const char *name, unsigned char *query)
{
	static const unsigned char header[12] = { 0x51, 0x7e, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0 };
	const char *label = name;
	int at = 12;

	if (strlen(name) > 253)
		return -1;
	memcpy(query, header, sizeof(header));
	while (*label) {
		const char *dot = strchr(label, '.');
		int n = dot ? (int)(dot - label) : (int)strlen(label);

		if (n == 0 || n > 63)
			return -1;
		query[at++] = (unsigned char)n;
		memcpy(query + at, label, n);
		at += n;
		label += n + (dot ? 1 : 0);
	}
	query[at++] = 0;
	query[at++] = 0; query[at++] = 1; /* A */
	query[at++] = 0; query[at++] = 1; /* IN */
	return at;
}

int resolve_unconnected(const char *server, const char *name, int answers)
{
	unsigned char query[300], answer[1500];
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(53) };
	struct pollfd pfd;
	int length = a_query(name, query), fd, received = 0;

	if (inet_pton(AF_INET, server, &to.sin_addr) != 1 || length < 0)
		return -1;
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return -1;
	if (sendto(fd, query, length, 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
		close(fd);
		return -1;
	}
	pfd.fd = fd;
	pfd.events = POLLIN;
	while (received < answers && poll(&pfd, 1, 5000) == 1 && recv(fd, answer, sizeof(answer), 0) >= 0)
		received++;
	close(fd);
	return received;
}

int resolve_a(const char *server, const char *name, int port, struct probe_target *t)
{
	unsigned char query[300];
	unsigned char answer[1500];
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(53) };
	struct pollfd pfd;
	int at, fd, len, count, result = EBADMSG;

	at = a_query(name, query);
	if (inet_pton(AF_INET, server, &to.sin_addr) != 1 || at < 0)
		return EINVAL;

	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return errno;
	if (connect(fd, (struct sockaddr *)&to, sizeof(to)) < 0 || send(fd, query, at, 0) < 0) {
		result = errno;
		goto out;
	}
	pfd.fd = fd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 5000) != 1) {
		result = ETIMEDOUT;
		goto out;
	}
	len = recv(fd, answer, sizeof(answer), 0);
	if (len < 12) {
		result = len < 0 ? errno : EBADMSG;
		goto out;
	}
	count = answer[6] << 8 | answer[7];
	at = skip_name(answer, len, 12);
	if (at < 0)
		goto out;
	at += 4;
	for (int i = 0; i < count && at >= 0 && at < len; i++) {
		int type, rdlength;

		at = skip_name(answer, len, at);
		if (at < 0 || at + 10 > len)
			break;
		type = answer[at] << 8 | answer[at + 1];
		rdlength = answer[at + 8] << 8 | answer[at + 9];
		at += 10;
		if (at + rdlength > len)
			break;
		if (type == 1 && rdlength == 4) {
			struct sockaddr_in *a = (struct sockaddr_in *)&t->addr;

			memset(t, 0, sizeof(*t));
			a->sin_family = AF_INET;
			a->sin_port = htons(port);
			memcpy(&a->sin_addr, answer + at, 4);
			t->len = sizeof(*a);
			t->family = AF_INET;
			result = 0;
			break;
		}
		at += rdlength;
	}
out:
	close(fd);
	return result;
}
