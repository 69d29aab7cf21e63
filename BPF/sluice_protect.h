/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Protect mode (`sluice agent --protect`), included at the end of sluice.bpf.c. BPF LSM programs
 * that refuse, to every process but the running agent:
 *   - file descriptors to Sluice's links (no BPF_LINK_DETACH, no BPF_LINK_UPDATE) and writable
 *     ones to its maps (no map update or delete), looked up by id in sluice_protected;
 *   - any access to the pin folder (no BPF_OBJ_GET of a pin, no unlink, no listing), renaming it,
 *     and unmounting the bpffs it lives on;
 *   - signals to the agent (but signal 0) and ptrace of it (which also guards /proc/PID/fd,
 *     /proc/PID/mem and pidfd_getfd).
 * Their links are never pinned: protection ends when the agent exits, which only it decides
 * (`sluice stop` with the admin's token). User space leaves these programs out of the load
 * (autoload off) without --protect, so kernels without BPF LSM load the rest as before.
 * Every hook bails out after one array lookup (inlined) when protection is off, and after one
 * compare for objects that are not Sluice's.
 */
#ifndef SLUICE_PROTECT_H
#define SLUICE_PROTECT_H

#ifndef EPERM
#define EPERM 1
#endif

/* struct dentry (with d_inode) is declared in sluice.bpf.c. */
struct vfsmount {
	struct super_block *mnt_sb;
} __attribute__((preserve_access_index));

struct kernel_siginfo;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sluice_protect_config);
} sluice_protect SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, struct sluice_protected_key);
	__type(value, __u8);
} sluice_protected SEC(".maps");

/* Operations refused so far (shared, atomically added: refusals are rare). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} sluice_protect_refused SEC(".maps");

static __always_inline struct sluice_protect_config *sluice_protect_on(void)
{
	__u32 zero = 0;
	struct sluice_protect_config *config = bpf_map_lookup_elem(&sluice_protect, &zero);

	return config && config->agent_tgid ? config : 0;
}

/* The agent is its thread group with its start time: a reused pid is not the agent. */
static __always_inline int sluice_protect_is_agent(const struct sluice_protect_config *config,
						   struct task_struct *task)
{
	if ((__u32)task->tgid != config->agent_tgid || config->ns_per_tick == 0)
		return 0;
	return task->group_leader->start_boottime / config->ns_per_tick == config->agent_start_ticks;
}

static __always_inline int sluice_protect_is_folder(const struct sluice_protect_config *config,
						    struct inode *inode)
{
	if (!inode || inode->i_ino != config->folder_ino)
		return 0;
	return inode->i_sb->s_dev == config->folder_dev;
}

/* The verdict for an operation on something protected: allowed to the agent, refused (and
 * counted) to everyone else. */
static __always_inline int sluice_protect_refuse(const struct sluice_protect_config *config)
{
	__u32 zero = 0;
	__u64 *refused;

	if (sluice_protect_is_agent(config, bpf_get_current_task_btf()))
		return 0;
	refused = bpf_map_lookup_elem(&sluice_protect_refused, &zero);
	if (refused)
		__sync_fetch_and_add(refused, 1);
	return -EPERM;
}

SEC("lsm/bpf")
int BPF_PROG(sluice_protect_bpf, int cmd, union bpf_attr *attr, unsigned int size)
{
	struct sluice_protect_config *config = sluice_protect_on();
	struct sluice_protected_key key = {};

	if (!config)
		return 0;
	if (cmd == BPF_MAP_GET_FD_BY_ID) {
		if (attr->open_flags & BPF_F_RDONLY)
			return 0; /* reading (bpftool map dump, sluice status) stays possible */
		key.kind = SLUICE_PROTECTED_MAP;
		key.id = attr->map_id;
	} else if (cmd == BPF_LINK_GET_FD_BY_ID) {
		key.kind = SLUICE_PROTECTED_LINK;
		key.id = attr->link_id;
	} else {
		return 0;
	}
	if (!bpf_map_lookup_elem(&sluice_protected, &key))
		return 0;
	return sluice_protect_refuse(config);
}

/* Every path through the pin folder checks it (MAY_EXEC to look a pin up, MAY_WRITE to add or
 * remove one, MAY_READ to list it): BPF_OBJ_GET, unlink and rm -r all stop here. */
SEC("lsm/inode_permission")
int BPF_PROG(sluice_protect_inode, struct inode *inode, int mask)
{
	struct sluice_protect_config *config = sluice_protect_on();

	if (!config || !sluice_protect_is_folder(config, inode))
		return 0;
	return sluice_protect_refuse(config);
}

/* Renaming the folder needs no permission on the folder itself, only on its parent. */
SEC("lsm/inode_rename")
int BPF_PROG(sluice_protect_rename, struct inode *old_dir, struct dentry *old_dentry,
	     struct inode *new_dir, struct dentry *new_dentry, unsigned int flags)
{
	struct sluice_protect_config *config = sluice_protect_on();

	if (!config)
		return 0;
	if (!sluice_protect_is_folder(config, old_dentry->d_inode) &&
	    !sluice_protect_is_folder(config, new_dentry->d_inode))
		return 0;
	return sluice_protect_refuse(config);
}

/* Unmounting the bpffs would release every pin at once. */
SEC("lsm/sb_umount")
int BPF_PROG(sluice_protect_umount, struct vfsmount *mnt, int flags)
{
	struct sluice_protect_config *config = sluice_protect_on();

	if (!config || mnt->mnt_sb->s_dev != config->folder_dev)
		return 0;
	return sluice_protect_refuse(config);
}

SEC("lsm/task_kill")
int BPF_PROG(sluice_protect_kill, struct task_struct *target, struct kernel_siginfo *info, int sig,
	     const struct cred *cred)
{
	struct sluice_protect_config *config = sluice_protect_on();

	if (!config || sig == 0 || !sluice_protect_is_agent(config, target))
		return 0;
	return sluice_protect_refuse(config);
}

SEC("lsm/ptrace_access_check")
int BPF_PROG(sluice_protect_ptrace, struct task_struct *child, unsigned int mode)
{
	struct sluice_protect_config *config = sluice_protect_on();

	if (!config || !sluice_protect_is_agent(config, child))
		return 0;
	return sluice_protect_refuse(config);
}

#endif /* SLUICE_PROTECT_H */
