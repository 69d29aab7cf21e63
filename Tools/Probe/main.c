/*
 * sluice-probe: a small real client for Sluice's kernel tests and benchmarks.
 *
 *   sluice-probe [--join CGROUP_DIR] [--hold] OP ADDR PORT [OP ADDR PORT ...]
 *
 * --join moves this process into CGROUP_DIR first (so the programs attached there decide its
 * calls). Each OP prints one line "OP ADDR PORT RESULT" where RESULT is "ok" or an errno name:
 *   connect-tcp   TCP connect (a listener must exist for "ok")
 *   connect-udp   UDP connect (no listener needed)
 *   sendto-udp    UDP sendto on an unconnected socket
 *   socket-raw    create a raw ICMP socket of ADDR's family (PORT is ignored; needs CAP_NET_RAW)
 *   socket-ping   create a ping socket (SOCK_DGRAM, ICMP) of ADDR's family (ping_group_range)
 *   connect-ping  connect a ping socket to ADDR
 *   bench-udp-connect ADDR PORT N   N connect() calls on one UDP socket; prints ns per call
 *   bench-tcp-connect ADDR PORT N   N socket+connect+accept+close to its own listener on ADDR
 *                                    (PORT 0: any); prints ns per connection
 *   bench-udp-sendto ADDR PORT N    N sendto() calls on one unconnected UDP socket
 *   until-udp-ok ADDR PORT MS       UDP connect() every 200 us until one succeeds; prints
 *                                    "refused" at the first refusal, then the CLOCK_MONOTONIC
 *                                    time in ns of the first success
 *   resolve-tcp SERVER NAME PORT   look NAME up at SERVER:53 (resolve.c), then TCP connect to the
 *                                    first address: prints "resolve-tcp NAME PORT ADDR RESULT"
 *   resolve-race SERVER PORT N     N times: look up dI.denied.bench.test and UDP connect to its
 *                                    address, then aI.allowed.bench.test and connect: prints how
 *                                    many of each ended ok or EPERM (a connect decided before its
 *                                    own lookup's answer was read would show up as a wrong result)
 *   resolve-unconnected SERVER NAME N   sendto an A query for NAME to SERVER:53 from an
 *                                    unconnected UDP socket and receive up to N datagrams from
 *                                    anyone: prints "resolve-unconnected SERVER NAME received=K"
 *   forge-dns SERVER FORGED        as nobody in a user and network namespace of its own, answer
 *                                    its own lookup of forged.sluice.test at SERVER:53 with the
 *                                    address FORGED (forge.c): prints "forge-dns SERVER FORGED
 *                                    RESULT", ok once the lookup received the forged answer
 *   transfer-tcp ADDR PORT BYTES   connect, write BYTES, shut down writing and read until the peer
 *                                    closes (transfer.c): prints "transfer-tcp ADDR PORT RESULT
 *                                    sent=N received=M"
 *   transfer-udp ADDR PORT COUNT SIZE   connected UDP: COUNT datagrams of SIZE bytes, each
 *                                    waiting for its echo; prints like transfer-tcp
 *   transfer-sendto ADDR PORT COUNT SIZE PORT2   unconnected UDP, one socket: COUNT datagrams
 *                                    to ADDR:PORT with sendto, then COUNT to ADDR:PORT2, each
 *                                    waiting for its echo; prints like transfer-tcp
 *   ask-origin ADDR PORT SOCKET    a redirect target: listen on ADDR:PORT (0: any; prints
 *                                    "listening PORT"), accept one connection and pass it to the
 *                                    agent's origin socket SOCKET (origin.c): prints "ask-origin
 *                                    ADDR PORT RESULT ANSWER", ANSWER the agent's JSON line
 *   hold-tcp ADDR PORT / hold-udp ADDR PORT   connect and keep the socket open; after the last
 *                                    op, wait until each held socket fails (Sluice ended it) and
 *                                    print "closed OP ADDR PORT ERRNO" for it, or until stdin
 *                                    closes ("released"), or 60 s pass ("closed ... ETIMEDOUT")
 * --create-in CGROUP_DIR has each op's socket created by a child process in CGROUP_DIR and
 * passed to this one over SCM_RIGHTS (a socket made outside the cgroup that uses it).
 * --hold waits until stdin closes before exiting (a long-lived process for the tests).
 * --fork runs the ops in a forked child that does not exec (the parent waits; same exit status).
 * --as-nobody drops to nobody (uid and gid 65534, no groups) after --join.
 * --as-nobody-in-userns drops to nobody and unshares a user namespace after --join.
 * --spoof-exe PATH points mm->exe_file at PATH before the single connect-tcp op that must follow
 * (spoof.c; the exit status is the result there, nothing is printed).
 * --pause prints "pid=N" and waits for a line on stdin before the first op (so a test can
 * learn the process before it connects).
 * An address with ':' uses an AF_INET6 socket (so ::ffff:a.b.c.d is a mapped destination).
 * Exit status: 0 when every op printed "ok", 1 otherwise, 2 on bad usage.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "probe.h"

static const char *errno_name(int code)
{
	switch (code) {
	case 0: return "ok";
	case EPERM: return "EPERM";
	case EACCES: return "EACCES";
	case ECONNREFUSED: return "ECONNREFUSED";
	case ENETUNREACH: return "ENETUNREACH";
	case EINVAL: return "EINVAL";
	case EAFNOSUPPORT: return "EAFNOSUPPORT";
	case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
	default: return strerrorname_np(code) ? strerrorname_np(code) : "EUNKNOWN";
	}
}


static int parse_target(const char *text, const char *port_text, struct probe_target *t)
{
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&t->addr;
	struct sockaddr_in *a4 = (struct sockaddr_in *)&t->addr;
	void *address;
	char *end;
	long port = strtol(port_text, &end, 10);

	if (*end != '\0' || port < 0 || port > 65535)
		return -1;
	memset(t, 0, sizeof(*t));
	t->family = strchr(text, ':') ? AF_INET6 : AF_INET;
	if (t->family == AF_INET6) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((unsigned short)port);
		address = &a6->sin6_addr;
		t->len = sizeof(*a6);
	} else {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((unsigned short)port);
		address = &a4->sin_addr;
		t->len = sizeof(*a4);
	}
	return inet_pton(t->family, text, address) == 1 ? 0 : -1;
}

static int join_cgroup(const char *dir)
{
	char path[4096];
	char pid[32];
	int fd, n;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -1;
	n = snprintf(pid, sizeof(pid), "%d\n", getpid());
	if (write(fd, pid, (size_t)n) != n) {
		close(fd);
		return -1;
	}
	return close(fd);
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* With --create-in: where sockets are made. */
static const char *create_in;

/* A socket made by a child that joined create_in, received over SCM_RIGHTS; -1 with errno. */
static int passed_socket(int family, int type)
{
	int pair[2], status;
	pid_t child;
	char byte = 0;
	char control[CMSG_SPACE(sizeof(int))];
	struct iovec io = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr message = { .msg_iov = &io, .msg_iovlen = 1, .msg_control = control,
				  .msg_controllen = sizeof(control) };
	struct cmsghdr *header;
	int fd = -1;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0)
		return -1;
	child = fork();
	if (child == 0) {
		int made;

		if (join_cgroup(create_in) < 0)
			_exit(3);
		made = socket(family, type | SOCK_CLOEXEC, 0);
		if (made < 0)
			_exit(4);
		memset(control, 0, sizeof(control));
		header = CMSG_FIRSTHDR(&message);
		header->cmsg_level = SOL_SOCKET;
		header->cmsg_type = SCM_RIGHTS;
		header->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(header), &made, sizeof(int));
		_exit(sendmsg(pair[1], &message, 0) == 1 ? 0 : 5);
	}
	close(pair[1]);
	if (child > 0 && recvmsg(pair[0], &message, 0) == 1) {
		header = CMSG_FIRSTHDR(&message);
		if (header && header->cmsg_type == SCM_RIGHTS)
			memcpy(&fd, CMSG_DATA(header), sizeof(int));
	}
	close(pair[0]);
	if (child > 0)
		waitpid(child, &status, 0);
	if (fd < 0)
		errno = ECHILD;
	return fd;
}

static int make_socket(int family, int type)
{
	return create_in ? passed_socket(family, type) : socket(family, type | SOCK_CLOEXEC, 0);
}

/* Sockets of hold-tcp and hold-udp, waited on after the last op. */
#define MAX_HELD 16
static struct {
	int fd;
	const char *op, *addr, *port;
} held[MAX_HELD];
static int held_count;

static int hold_socket(const char *op, struct probe_target *t, const char *addr, const char *port)
{
	int type = strcmp(op, "hold-tcp") == 0 || strcmp(op, "peer-tcp") == 0 ? SOCK_STREAM : SOCK_DGRAM;
	int fd = make_socket(t->family, type);

	if (fd < 0)
		return errno;
	if (held_count == MAX_HELD || connect(fd, (struct sockaddr *)&t->addr, t->len) < 0) {
		int code = held_count == MAX_HELD ? E2BIG : errno;

		close(fd);
		return code;
	}
	held[held_count].fd = fd;
	held[held_count].op = op;
	held[held_count].addr = addr;
	held[held_count].port = port;
	held_count++;
	return 0;
}

/* "ADDR:PORT" (IPv6 in brackets) of a socket address. */
static void format_address(const struct sockaddr_storage *address, char *out, size_t size)
{
	char text[INET6_ADDRSTRLEN] = "?";

	if (address->ss_family == AF_INET) {
		const struct sockaddr_in *a4 = (const struct sockaddr_in *)address;

		inet_ntop(AF_INET, &a4->sin_addr, text, sizeof(text));
		snprintf(out, size, "%s:%u", text, ntohs(a4->sin_port));
	} else {
		const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)address;

		inet_ntop(AF_INET6, &a6->sin6_addr, text, sizeof(text));
		snprintf(out, size, "[%s]:%u", text, ntohs(a6->sin6_port));
	}
}

/* The last held socket's peer and local address as the application sees them (a UDP socket
 * first sends one datagram, so that its peer hears from it). */
static int print_peer(const char *op, const char *addr, const char *port)
{
	struct sockaddr_storage peer = {}, local = {};
	socklen_t peer_len = sizeof(peer), local_len = sizeof(local);
	char peer_text[80], local_text[80];
	int fd = held[held_count - 1].fd;

	if (strcmp(op, "peer-udp") == 0 && send(fd, "sluice", 6, 0) < 0)
		return errno;
	if (getpeername(fd, (struct sockaddr *)&peer, &peer_len) < 0 ||
	    getsockname(fd, (struct sockaddr *)&local, &local_len) < 0)
		return errno;
	format_address(&peer, peer_text, sizeof(peer_text));
	format_address(&local, local_text, sizeof(local_text));
	printf("%s %s %s ok peer=%s local=%s\n", op, addr, port, peer_text, local_text);
	return 0;
}

/* Waits until every held socket reports an error, or stdin closes. */
static void wait_held(void)
{
	int open_count = held_count;
	double deadline = now_ns() + 60e9;

	while (open_count > 0) {
		struct pollfd fds[MAX_HELD + 1];
		int left = (int)((deadline - now_ns()) / 1e6);

		for (int k = 0; k < held_count; k++) {
			fds[k].fd = held[k].fd;
			fds[k].events = POLLIN;
			fds[k].revents = 0;
		}
		fds[held_count].fd = 0;
		fds[held_count].events = POLLIN;
		fds[held_count].revents = 0;
		if (left <= 0 || poll(fds, (nfds_t)held_count + 1, left) == 0) {
			for (int k = 0; k < held_count; k++)
				if (held[k].fd >= 0)
					printf("closed %s %s %s ETIMEDOUT\n", held[k].op, held[k].addr, held[k].port);
			return;
		}
		if (fds[held_count].revents) {
			char buffer[64];

			if (read(0, buffer, sizeof(buffer)) <= 0) {
				printf("released\n");
				return;
			}
		}
		for (int k = 0; k < held_count; k++) {
			char buffer[64];
			ssize_t got;

			if (held[k].fd < 0 || !fds[k].revents)
				continue;
			got = recv(held[k].fd, buffer, sizeof(buffer), MSG_DONTWAIT);
			if (got > 0)
				continue; /* data from the peer: not an end */
			printf("closed %s %s %s %s\n", held[k].op, held[k].addr, held[k].port,
			       got == 0 ? "EOF" : errno_name(errno));
			close(held[k].fd);
			held[k].fd = -1;
			open_count--;
		}
	}
}

static int icmp_socket(const char *op, struct probe_target *t)
{
	int protocol = t->family == AF_INET6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
	int type = strcmp(op, "socket-raw") == 0 ? SOCK_RAW : SOCK_DGRAM;
	int fd = socket(t->family, type | SOCK_CLOEXEC, protocol);
	int result = 0;

	if (fd < 0)
		return errno;
	if (strcmp(op, "connect-ping") == 0 && connect(fd, (struct sockaddr *)&t->addr, t->len) < 0)
		result = errno;
	close(fd);
	return result;
}

static int single(const char *op, struct probe_target *t)
{
	int type = strcmp(op, "connect-tcp") == 0 ? SOCK_STREAM : SOCK_DGRAM;
	int fd;
	int result;

	if (!strcmp(op, "socket-raw") || !strcmp(op, "socket-ping") || !strcmp(op, "connect-ping"))
		return icmp_socket(op, t);
	fd = make_socket(t->family, type);

	if (fd < 0)
		return errno;
	if (strcmp(op, "sendto-udp") == 0)
		result = sendto(fd, "sluice", 6, 0, (struct sockaddr *)&t->addr, t->len) < 0 ? errno : 0;
	else
		result = connect(fd, (struct sockaddr *)&t->addr, t->len) < 0 ? errno : 0;
	close(fd);
	return result;
}

/* TCP connects to t for `ms` milliseconds, retrying a millisecond after each refusal: what a
 * rate limit admits of a client that keeps trying. Prints the counts by outcome and the time. */
static int flood_tcp(struct probe_target *t, long ms)
{
	double start = now_ns(), deadline = start + (double)ms * 1e6;
	long ok = 0, eagain = 0, other = 0;
	int last_other = 0;

	while (now_ns() < deadline) {
		int result = single("connect-tcp", t);

		if (result == 0)
			ok++;
		else if (result == EAGAIN) {
			eagain++;
			usleep(1000);
		} else {
			other++;
			last_other = result;
		}
	}
	printf("flood-tcp ok=%ld eagain=%ld other=%ld last_other=%s elapsed_ms=%.1f\n", ok, eagain, other,
	       other ? errno_name(last_other) : "-", (now_ns() - start) / 1e6);
	return other ? last_other : 0;
}

static int bench_udp(const char *op, struct probe_target *t, long n)
{
	int fd = socket(t->family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int sendto_mode = strcmp(op, "bench-udp-sendto") == 0;
	double start;
	long failures = 0;

	if (fd < 0)
		return errno;
	start = now_ns();
	for (long i = 0; i < n; i++) {
		int r = sendto_mode ? (int)sendto(fd, "x", 1, 0, (struct sockaddr *)&t->addr, t->len)
				    : connect(fd, (struct sockaddr *)&t->addr, t->len);
		if (r < 0)
			failures++;
	}
	printf("%s ns_per_op=%.1f failures=%ld\n", op, (now_ns() - start) / (double)n, failures);
	close(fd);
	return failures ? EPERM : 0;
}

static int until_ok(struct probe_target *t, long timeout_ms)
{
	int fd = socket(t->family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	double deadline = now_ns() + (double)timeout_ms * 1e6;

	if (fd < 0)
		return errno;
	int refused = 0;

	while (now_ns() < deadline) {
		if (connect(fd, (struct sockaddr *)&t->addr, t->len) == 0) {
			printf("until-udp-ok ok_at_ns=%.0f\n", now_ns());
			close(fd);
			return 0;
		}
		/* Tells the caller the loop runs, so it changes the policy only once it does. */
		if (!refused++)
			printf("until-udp-ok refused\n");
		/* Paced: a busy loop of denied connects would flood the agent with events. */
		usleep(200);
	}
	printf("until-udp-ok timeout\n");
	close(fd);
	return ETIMEDOUT;
}

static int bench_tcp(struct probe_target *t, long n)
{
	int listener = socket(t->family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;
	double start;
	long failures = 0;

	if (listener < 0)
		return errno;
	setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(listener, (struct sockaddr *)&t->addr, t->len) < 0 || listen(listener, 128) < 0)
		return errno;
	t->len = sizeof(t->addr);
	getsockname(listener, (struct sockaddr *)&t->addr, &t->len);
	start = now_ns();
	for (long i = 0; i < n; i++) {
		int fd = socket(t->family, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (connect(fd, (struct sockaddr *)&t->addr, t->len) < 0) {
			failures++;
		} else {
			int peer = accept(listener, NULL, NULL);

			if (peer >= 0)
				close(peer);
		}
		close(fd);
	}
	printf("bench-tcp-connect ns_per_op=%.1f failures=%ld\n", (now_ns() - start) / (double)n, failures);
	close(listener);
	return failures ? EPERM : 0;
}

int main(int argc, char **argv)
{
	int i = 1, hold = 0, pause_first = 0, all_ok = 1, nobody = 0, plain_nobody = 0, in_child = 0;
	const char *spoof_exe = NULL;

	sigset_t none;

	/* A parent that blocks signals (test runners do) passes its mask on through posix_spawn. */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
		if (strcmp(argv[i], "--join") == 0 && i + 1 < argc) {
			if (join_cgroup(argv[++i]) < 0) {
				fprintf(stderr, "sluice-probe: cannot join cgroup %s: %s\n", argv[i], strerror(errno));
				return 2;
			}
		} else if (strcmp(argv[i], "--fork") == 0) {
			in_child = 1;
		} else if (strcmp(argv[i], "--as-nobody") == 0) {
			plain_nobody = 1;
		} else if (strcmp(argv[i], "--as-nobody-in-userns") == 0) {
			nobody = 1;
		} else if (strcmp(argv[i], "--spoof-exe") == 0 && i + 1 < argc) {
			spoof_exe = argv[++i];
		} else if (strcmp(argv[i], "--create-in") == 0 && i + 1 < argc) {
			create_in = argv[++i];
		} else if (strcmp(argv[i], "--hold") == 0) {
			hold = 1;
		} else if (strcmp(argv[i], "--pause") == 0) {
			pause_first = 1;
		} else {
			fprintf(stderr, "sluice-probe: unknown option %s\n", argv[i]);
			return 2;
		}
	}
	if (in_child) {
		pid_t child = fork();
		int status;

		if (child < 0)
			return 2;
		if (child > 0)
			return waitpid(child, &status, 0) == child && WIFEXITED(status) ? WEXITSTATUS(status) : 2;
	}
	if (nobody && drop_to_nobody_in_user_namespace() < 0)
		return 2;
	if (plain_nobody && (setgroups(0, NULL) < 0 || setgid(65534) < 0 || setuid(65534) < 0)) {
		fprintf(stderr, "sluice-probe: cannot become nobody: %s\n", strerror(errno));
		return 2;
	}
	if (spoof_exe) {
		struct probe_target t;

		if (i + 3 != argc || strcmp(argv[i], "connect-tcp") != 0 || parse_target(argv[i + 1], argv[i + 2], &t) < 0) {
			fprintf(stderr, "sluice-probe: --spoof-exe takes exactly one connect-tcp ADDR PORT\n");
			return 2;
		}
		return spoof_exe_and_connect(spoof_exe, &t);
	}
	if (pause_first) {
		char line[64];

		printf("pid=%d\n", getpid());
		if (!fgets(line, sizeof(line), stdin))
			return 2;
	}
	while (i + 2 < argc) {
		const char *op = argv[i];
		struct probe_target t;
		int result;

		if (!strcmp(op, "resolve-race")) {
			long n, counts[2][2] = { { 0, 0 }, { 0, 0 } }, failed = 0;

			if (i + 3 >= argc) {
				fprintf(stderr, "sluice-probe: resolve-race needs SERVER PORT N\n");
				return 2;
			}
			n = atol(argv[i + 3]);
			for (long k = 0; k < n; k++) {
				for (int allowed = 0; allowed < 2; allowed++) {
					char name[64];

					snprintf(name, sizeof(name), "%s%ld.%s.bench.test", allowed ? "a" : "d", k, allowed ? "allowed" : "denied");
					result = resolve_a(argv[i + 1], name, atoi(argv[i + 2]), &t);
					if (result == 0)
						result = single("connect-udp", &t);
					if (result == 0 || result == EPERM)
						counts[allowed][result == 0 ? 0 : 1]++;
					else
						failed++;
				}
			}
			printf("resolve-race allowed_ok=%ld allowed_eperm=%ld denied_ok=%ld denied_eperm=%ld other=%ld\n",
			       counts[1][0], counts[1][1], counts[0][0], counts[0][1], failed);
			if (counts[1][1] || counts[0][0] || failed)
				all_ok = 0;
			i += 4;
			continue;
		}
		if (!strcmp(op, "resolve-unconnected")) {
			int received;

			if (i + 3 >= argc) {
				fprintf(stderr, "sluice-probe: resolve-unconnected needs SERVER NAME N\n");
				return 2;
			}
			received = resolve_unconnected(argv[i + 1], argv[i + 2], atoi(argv[i + 3]));
			printf("%s %s %s received=%d\n", op, argv[i + 1], argv[i + 2], received);
			if (received != atoi(argv[i + 3]))
				all_ok = 0;
			i += 4;
			continue;
		}
		if (!strcmp(op, "forge-dns")) {
			result = forge_answer_in_namespace(argv[i + 1], argv[i + 2]);
			printf("%s %s %s %s\n", op, argv[i + 1], argv[i + 2], errno_name(result));
			if (result != 0)
				all_ok = 0;
			i += 3;
			continue;
		}
		if (!strcmp(op, "resolve-tcp")) {
			char text[INET6_ADDRSTRLEN] = "-";

			if (i + 3 >= argc) {
				fprintf(stderr, "sluice-probe: resolve-tcp needs SERVER NAME PORT\n");
				return 2;
			}
			result = resolve_a(argv[i + 1], argv[i + 2], atoi(argv[i + 3]), &t);
			if (result == 0) {
				inet_ntop(AF_INET, &((struct sockaddr_in *)&t.addr)->sin_addr, text, sizeof(text));
				result = single("connect-tcp", &t);
			}
			printf("%s %s %s %s %s\n", op, argv[i + 2], argv[i + 3], text, errno_name(result));
			if (result != 0)
				all_ok = 0;
			i += 4;
			continue;
		}
		if (parse_target(argv[i + 1], argv[i + 2], &t) < 0) {
			fprintf(stderr, "sluice-probe: bad address %s port %s\n", argv[i + 1], argv[i + 2]);
			return 2;
		}
		if (!strcmp(op, "ask-origin")) {
			char answer[512];

			if (i + 3 >= argc) {
				fprintf(stderr, "sluice-probe: ask-origin needs SOCKET\n");
				return 2;
			}
			result = ask_origin(&t, argv[i + 3], answer, sizeof(answer));
			printf("%s %s %s %s %s\n", op, argv[i + 1], argv[i + 2], errno_name(result), answer);
			if (result != 0)
				all_ok = 0;
			i += 4;
			continue;
		}
		if (!strcmp(op, "transfer-sendto")) {
			struct probe_target then;
			long sent, received;

			if (i + 5 >= argc) {
				fprintf(stderr, "sluice-probe: transfer-sendto needs COUNT SIZE PORT2\n");
				return 2;
			}
			if (parse_target(argv[i + 1], argv[i + 5], &then) < 0) {
				fprintf(stderr, "sluice-probe: bad port %s\n", argv[i + 5]);
				return 2;
			}
			result = transfer_sendto(&t, &then, atol(argv[i + 3]), atol(argv[i + 4]), &sent, &received);
			printf("%s %s %s %s sent=%ld received=%ld\n", op, argv[i + 1], argv[i + 2], errno_name(result), sent,
			       received);
			if (result != 0)
				all_ok = 0;
			i += 6;
			continue;
		}
		if (!strcmp(op, "transfer-tcp") || !strcmp(op, "transfer-udp")) {
			int udp = !strcmp(op, "transfer-udp");
			long sent, received;

			if (i + 3 + udp >= argc) {
				fprintf(stderr, "sluice-probe: %s needs %s\n", op, udp ? "COUNT SIZE" : "BYTES");
				return 2;
			}
			result = udp ? transfer_udp(&t, atol(argv[i + 3]), atol(argv[i + 4]), &sent, &received)
				     : transfer_tcp(&t, atol(argv[i + 3]), &sent, &received);
			printf("%s %s %s %s sent=%ld received=%ld\n", op, argv[i + 1], argv[i + 2], errno_name(result), sent,
			       received);
			if (result != 0)
				all_ok = 0;
			i += 4 + udp;
			continue;
		}
		if (!strcmp(op, "flood-tcp")) {
			if (i + 3 >= argc) {
				fprintf(stderr, "sluice-probe: flood-tcp needs MILLISECONDS\n");
				return 2;
			}
			result = flood_tcp(&t, atol(argv[i + 3]));
			if (result != 0)
				all_ok = 0;
			i += 4;
			continue;
		}
		if (strncmp(op, "bench-", 6) == 0 || strcmp(op, "until-udp-ok") == 0) {
			long n;

			if (i + 3 >= argc) {
				fprintf(stderr, "sluice-probe: %s needs a count\n", op);
				return 2;
			}
			n = atol(argv[i + 3]);
			if (strcmp(op, "until-udp-ok") == 0)
				result = until_ok(&t, n);
			else
				result = strcmp(op, "bench-tcp-connect") == 0 ? bench_tcp(&t, n) : bench_udp(op, &t, n);
			i += 4;
		} else if (!strcmp(op, "hold-tcp") || !strcmp(op, "hold-udp")) {
			result = hold_socket(op, &t, argv[i + 1], argv[i + 2]);
			printf("%s %s %s %s\n", op, argv[i + 1], argv[i + 2], errno_name(result));
			i += 3;
		} else if (!strcmp(op, "peer-tcp") || !strcmp(op, "peer-udp")) {
			result = hold_socket(op, &t, argv[i + 1], argv[i + 2]);
			if (result == 0)
				result = print_peer(op, argv[i + 1], argv[i + 2]);
			if (result != 0)
				printf("%s %s %s %s\n", op, argv[i + 1], argv[i + 2], errno_name(result));
			i += 3;
		} else if (!strcmp(op, "connect-tcp") || !strcmp(op, "connect-udp") || !strcmp(op, "sendto-udp") ||
			   !strcmp(op, "socket-raw") || !strcmp(op, "socket-ping") || !strcmp(op, "connect-ping")) {
			result = single(op, &t);
			printf("%s %s %s %s\n", op, argv[i + 1], argv[i + 2], errno_name(result));
			i += 3;
		} else {
			fprintf(stderr, "sluice-probe: unknown op %s\n", op);
			return 2;
		}
		if (result != 0)
			all_ok = 0;
	}
	if (i != argc) {
		fprintf(stderr, "sluice-probe: incomplete op at %s\n", argv[i]);
		return 2;
	}
	if (held_count > 0)
		wait_held();
	if (hold) {
		char buffer[64];

		printf("holding pid=%d\n", getpid());
		while (read(0, buffer, sizeof(buffer)) > 0) {
		}
	}
	return all_ok ? 0 : 1;
}
