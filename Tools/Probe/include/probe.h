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

#endif
