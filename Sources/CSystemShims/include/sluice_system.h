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

/* Opens a NETLINK_ROUTE socket subscribed to IPv4 and IPv6 address changes (RTMGRP_IPV4_IFADDR,
 * RTMGRP_IPV6_IFADDR), non-blocking and close-on-exec. fd or -errno. */
int sluice_open_address_events(void);

#endif
