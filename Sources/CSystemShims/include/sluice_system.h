/* System calls the Swift Glibc module does not expose (it cannot import variadic syscall()). */
#ifndef SLUICE_SYSTEM_H
#define SLUICE_SYSTEM_H
#include <stdint.h>

/* Waits for an RCU grace period (membarrier MEMBARRIER_CMD_GLOBAL calls synchronize_rcu()),
 * so every BPF program run that began before the call has finished. 0 on success, -errno. */
int sluice_wait_rcu_grace_period(void);

/* Opens the cgroup with this id (the kernfs file handle is the id) below the cgroup2 mount
 * fd. Returns an fd or -errno. Needs CAP_DAC_READ_SEARCH. */
int sluice_open_cgroup_by_id(int mount_fd, uint64_t cgroup_id);

/* Opens a path with O_PATH (no read access needed, keeps the inode referenced). fd or -errno. */
int sluice_open_path(const char *path);

/* Gives memory malloc has freed back to the system (malloc_trim(0)): glibc's malloc.h is not in
 * Swift's Glibc module. */
void sluice_return_freed_memory(void);

/* What user space can learn of a file that the kernel programs identify it by. */
struct sluice_file_facts {
	uint64_t inode;
	uint64_t mount_id;  /* statx STATX_MNT_ID; 0 when the kernel does not report it */
	uint64_t fs_magic;  /* statfs f_type */
	uint32_t stat_major; /* statx's device: a btrfs subvolume's, an overlay layer's, ... */
	uint32_t stat_minor;
	uint32_t mode;
	uint32_t pad;
};

/* Facts of the file at path (symlinks followed), or of fd itself when path is "" (dirfd is the
 * fd then). Both from one open O_PATH descriptor, so they describe one file. 0 or -errno. */
int sluice_file_facts(int dirfd, const char *path, struct sluice_file_facts *out);

/* Opens a NETLINK_ROUTE socket subscribed to IPv4 and IPv6 address changes (RTMGRP_IPV4_IFADDR,
 * RTMGRP_IPV6_IFADDR), non-blocking and close-on-exec. fd or -errno. */
int sluice_open_address_events(void);

/* Receives one descriptor passed over SCM_RIGHTS on a connected Unix socket, close-on-exec.
 * Descriptors beyond the first are closed by the kernel (the control buffer holds one). fd, or
 * -errno: -EBADMSG when the message carried no descriptor, -ECONNRESET when the peer closed. */
int sluice_receive_descriptor(int connection);

#endif
