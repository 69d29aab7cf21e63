/* Shared by sluice-probe's files. */
#ifndef SLUICE_PROBE_H
#define SLUICE_PROBE_H
#include <sys/socket.h>

struct probe_target {
	struct sockaddr_storage addr;
	socklen_t len;
	int family;
};

/* Drops root for nobody and enters a new user namespace (where it holds every capability). */
int drop_to_nobody_in_user_namespace(void);

/* The exe_file spoof (spoof.c): never returns on success; the exit status is the result. */
int spoof_exe_and_connect(const char *as_exe, const struct probe_target *t);

/* Looks NAME up with an A query to SERVER (an IPv4 address) port 53 over a connected UDP socket,
 * as a stub resolver does; fills `t` with the first address of the answer and PORT. Returns 0,
 * an errno of the exchange, or EBADMSG for an answer without an address. */
int resolve_a(const char *server, const char *name, int port, struct probe_target *t);

/* Sends an A query for NAME to SERVER:53 from an unconnected UDP socket (sendto, as some
 * resolvers do) and receives up to ANSWERS datagrams, whoever sends them, waiting up to 5 s for
 * each. Returns how many arrived, or -1 when the query could not be sent. */
int resolve_unconnected(const char *server, const char *name, int answers);

/* As nobody, in a user and a network namespace of its own (forge.c): binds SERVER:53 there and
 * answers its own A query for forged.sluice.test with FORGED. Returns 0 once the lookup received
 * the answer, or the errno that stopped it. */
int forge_answer_in_namespace(const char *server, const char *forged);

/* Connects over TCP, writes SEND_BYTES, shuts its side down and reads until the peer closes.
 * Returns 0 or the errno that stopped it; *sent and *received say how far it got. */
int transfer_tcp(const struct probe_target *t, long send_bytes, long *sent, long *received);

/* Connects a UDP socket and sends COUNT datagrams of SIZE bytes, each after the echo of the one
 * before. Returns 0 or the errno that stopped it. */
int transfer_udp(const struct probe_target *t, long count, long size, long *sent, long *received);

/* Unconnected UDP (sendto): COUNT datagrams to t, then COUNT to `then`, from one socket. */
int transfer_sendto(const struct probe_target *t, const struct probe_target *then, long count, long size,
		    long *sent, long *received);

/* Listens on t (port 0: any; prints "listening PORT"), accepts one TCP connection within 30 s and
 * passes it to the agent's origin socket at PATH; `answer` gets the agent's line. 0 or an errno. */
int ask_origin(const struct probe_target *t, const char *path, char *answer, size_t size);

#endif
