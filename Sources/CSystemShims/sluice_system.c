#define _GNU_SOURCE
#include "sluice_system.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/membarrier.h>
#include <malloc.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
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

void sluice_return_freed_memory(void)
{
	malloc_trim(0);
}

int sluice_file_facts(int dirfd, const char *path, struct sluice_file_facts *out)
{
	struct statx stx;
	struct statfs fs;
	int fd = path[0] ? openat(dirfd, path, O_PATH | O_CLOEXEC) : dirfd;
	int result = 0;

	if (fd < 0)
		return -errno;
	memset(out, 0, sizeof(*out));
	if (statx(fd, "", AT_EMPTY_PATH, STATX_TYPE | STATX_INO | STATX_MNT_ID, &stx) != 0 || fstatfs(fd, &fs) != 0) {
		result = -errno;
	} else {
		out->inode = stx.stx_ino;
		out->mount_id = (stx.stx_mask & STATX_MNT_ID) ? stx.stx_mnt_id : 0;
		out->fs_magic = (uint64_t)fs.f_type;
		out->stat_major = stx.stx_dev_major;
		out->stat_minor = stx.stx_dev_minor;
		out->mode = stx.stx_mode;
	}
	if (path[0])
		close(fd);
	return result;
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

int sluice_receive_descriptor(int connection)
{
	char byte;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	union {
		char buffer[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control;
	struct msghdr message = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = control.buffer,
		.msg_controllen = sizeof(control.buffer),
	};
	struct cmsghdr *header;
	ssize_t got;
	int fd;

	do
		got = recvmsg(connection, &message, MSG_CMSG_CLOEXEC);
	while (got < 0 && errno == EINTR);
	if (got < 0)
		return -errno;
	if (got == 0)
		return -ECONNRESET;
	header = CMSG_FIRSTHDR(&message);
	if (!header || header->cmsg_level != SOL_SOCKET || header->cmsg_type != SCM_RIGHTS ||
	    header->cmsg_len != CMSG_LEN(sizeof(int)))
		return -EBADMSG;
	memcpy(&fd, CMSG_DATA(header), sizeof(fd));
	return fd;
}
