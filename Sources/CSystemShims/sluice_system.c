#define _GNU_SOURCE
#include "sluice_system.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/membarrier.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int sluice_wait_rcu_grace_period(void)
{
	long result = syscall(SYS_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0);

	return result < 0 ? -errno : 0;
}

int sluice_open_cgroup_by_id(int mount_fd, uint64_t cgroup_id)
{
	struct {
		struct file_handle handle;
		uint64_t id;
	} request;
	int fd;

	memset(&request, 0, sizeof(request));
	request.handle.handle_bytes = sizeof(uint64_t);
	request.handle.handle_type = 0xfe; /* FILEID_KERNFS */
	request.id = cgroup_id;
	fd = open_by_handle_at(mount_fd, &request.handle, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int sluice_open_path(const char *path)
{
	int fd = open(path, O_PATH | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int sluice_open_address_events(void)
{
	struct sockaddr_nl local;
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);

	if (fd < 0)
		return -errno;
	memset(&local, 0, sizeof(local));
	local.nl_family = AF_NETLINK;
	local.nl_groups = RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR;
	if (bind(fd, (struct sockaddr *)&local, sizeof(local)) < 0) {
		int code = errno;

		close(fd);
		return -code;
	}
	return fd;
}
