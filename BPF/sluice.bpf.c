// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Sluice kernel programs: decide every connect4/connect6/sendmsg4/sendmsg6 in the kernel.
 *
 * Each hook is a thin entry point that calls sluice_decide(). The decision reads only maps:
 *   sluice_state     which policy slot is live, event mode, the exempt agent
 *   sluice_config    per slot: the generation, which subject kinds exist, the node default
 *   sluice_subjects  per slot: executable-in-cgroup, executable and cgroup subjects
 *   sluice_rules4/6  per subject: longest-prefix match of the destination -> port table
 *   sluice_ports     port tables, already sorted so the first matching entry wins
 *   sluice_name_rules per subject: the destination's looked-up name (sluice_names.h)
 * User space writes a whole new policy into the idle slot and then flips active_slot, so a
 * decision sees either the old policy or the new one, never a mix.
 */
#include <linux/bpf.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "sluice_abi.h"

/* Allow records wake the reader once per this many allows on a CPU; otherwise it picks them up
 * at its next poll (every 50 ms). A wake-up costs an irq_work and a cross-CPU wake-up, several
 * times the rest of the decision. A power of two. */
#define SLUICE_WAKEUP_EVERY 1024

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* One program for an address hook of one family (sluice_connect4, sluice_getpeername6, ...):
 * the body, shared by both families, takes the family as a constant. */
#define SLUICE_SOCK_ADDR_PROGRAM(hook, body) \
	SEC("cgroup/" #hook) \
	int sluice_##hook(struct bpf_sock_addr *ctx) { return body; }

/* Kernel structs, read with CO-RE: only the fields used, relocated against the kernel's BTF. */
struct super_block {
	__u32 s_dev;
	unsigned long s_magic;
} __attribute__((preserve_access_index));

struct inode {
	unsigned long i_ino;
	struct super_block *i_sb;
} __attribute__((preserve_access_index));

struct qstr {
	__u32 len;
	const unsigned char *name;
} __attribute__((preserve_access_index));

struct dentry {
	struct dentry *d_parent;
	struct qstr d_name;
	struct inode *d_inode;
} __attribute__((preserve_access_index));

struct path {
	struct dentry *dentry;
} __attribute__((preserve_access_index));

struct file {
	struct path f_path;
	struct inode *f_inode;
} __attribute__((preserve_access_index));

/* btrfs numbers inodes per subvolume; the subvolume's anonymous device tells them apart. */
#define SLUICE_BTRFS_SUPER_MAGIC 0x9123683EUL

struct btrfs_root {
	__u32 anon_dev;
} __attribute__((preserve_access_index));

struct btrfs_inode {
	struct btrfs_root *root;
	struct inode vfs_inode;
} __attribute__((preserve_access_index));

struct mm_struct {
	struct file *exe_file;
} __attribute__((preserve_access_index));

struct kernfs_node {
	__u64 id;
} __attribute__((preserve_access_index));

struct cgroup {
	struct kernfs_node *kn;
} __attribute__((preserve_access_index));

struct css_set {
	struct cgroup *dfl_cgrp;
} __attribute__((preserve_access_index));

typedef struct {
	__u32 val;
} kuid_t;

struct cred {
	kuid_t uid;
} __attribute__((preserve_access_index));

/* Fields are read with plain loads rather than helpers (bpf_get_current_comm, _uid_gid,
 * _cgroup_id): on this kind of machine each helper call costs 50-100 ns, most of a decision. */
struct task_struct {
	struct mm_struct *mm;
	struct task_struct *group_leader;
	__u64 start_boottime;
	__s32 tgid;
	char comm[16];
	const struct cred *cred;
	struct css_set *cgroups;
} __attribute__((preserve_access_index));

struct linux_binprm {
	struct file *file;
	const char *filename;
} __attribute__((preserve_access_index));

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sluice_state);
} sluice_state SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct sluice_config);
} sluice_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct sluice_subject_key);
	__type(value, struct sluice_subject);
} sluice_subjects SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 262144);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct sluice_rule_key4);
	__type(value, struct sluice_rule_value);
} sluice_rules4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 262144);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct sluice_rule_key6);
	__type(value, struct sluice_rule_value);
} sluice_rules6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct sluice_port_table);
} sluice_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SLUICE_COUNTER_MAX);
	__type(key, __u32);
	__type(value, __u64);
} sluice_counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20); /* user space resizes before load */
} sluice_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 << 10);
} sluice_execs SEC(".maps");

/* The executable each process is running, recorded when the kernel executed it and copied to
 * children at fork: the identity decisions use (a process cannot change it, unlike
 * mm->exe_file, which prctl(PR_SET_MM_MAP) can repoint from a user namespace). Held by the
 * thread-group leader; threads read their leader's. */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct sluice_file_identity);
} sluice_task_exe SEC(".maps");

/* Paths policies name -> the identity governed there (written by the agent). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct sluice_name_key);
	__type(value, struct sluice_file_identity);
} sluice_governed_names SEC(".maps");

/* The destination and caller of one decision. */
struct sluice_flow {
	__u8 addr[16];
	__u64 exe_ino;
	__u32 exe_dev;
	__u16 port;
	__u8 protocol;
	__u8 family;
	__u8 mapped;
	__u8 has_exe;
	__u8 unverified; /* identity read from mm->exe_file: the process predates the programs */
	__u8 unspecified; /* the caller wrote 0.0.0.0 or ::, which Linux connects to the host */
	__u8 exempt;      /* the agent's own: never decided, never ended */
	__u8 name_count;  /* patterns in name_hash/name_kind */
	__u8 name_kind[SLUICE_DNS_NAMES];
	__u64 name_id;    /* the name the caller looked up for addr, 0: none */
	__u64 name_hash[SLUICE_DNS_NAMES]; /* its patterns the active slot has, most specific first */
	__u32 intel_id;     /* the feed indicator that matched (sluice_intel.h), 0: none */
	__u8 intel_action;  /* its action */
	__u8 intel;         /* enum sluice_event_intel: how it went */
	__u8 pad2[2];
	__u32 names_for;    /* generation + 1 when name_id is set: the tag of what the attribution
			     * keeps for the generation (sluice_dns_decided) */
	__u32 pad3;
};

/* What a decision came to, for the socket it let connect. */
struct sluice_decision {
	struct sluice_verdict verdict;
	__u32 generation;
	__u8 flags; /* enum sluice_event_flags */
	__u8 pad[3];
	__u64 now_ns; /* the decision's event timestamp, 0 when no event was written: the socket's
		       * flow starts then too (perf: the clock reads were a tenth of connect4) */
};

/* A matched port entry with what ranks it against a match from another table. */
struct sluice_match {
	struct sluice_verdict verdict;
	__u16 width;        /* port_hi - port_lo */
	__u8 any_protocol;
	__u8 exact;         /* from a whole-address prefix */
};

/* The caller's cgroup ancestors at the depths the active generation has subjects at, for a
 * decision made outside the caller's context (sluice_close.h); NULL reads the current task's. */
struct sluice_ancestors {
	__u64 exe_cgroup[SLUICE_MAX_CGROUP_LEVELS];
	__u64 cgroup[SLUICE_MAX_CGROUP_LEVELS];
};

/* Counts on this CPU; returns the new count (0 if the map is missing). */
static __always_inline __u64 sluice_count(__u32 index)
{
	__u64 *value = bpf_map_lookup_elem(&sluice_counters, &index);

	if (!value)
		return 0;
	*value += 1; /* per-CPU slot: no other writer */
	return *value;
}

/* ---- Feed layers (item: threat intelligence) ---- */
#include "sluice_intel.h"
/* ---- end ---- */

/* ---- Domain names of destinations (item: names decided in the kernel) ---- */
#include "sluice_names.h"
/* ---- end ---- */


/* The agent's own traffic is never decided: it must reach its server and DNS whatever the
 * policy says. A pid is reused after the agent dies, so the start time must match too. */
static __always_inline int sluice_is_agent(const struct sluice_state *state, struct task_struct *task)
{
	__u64 start;

	if (state->agent_tgid == 0 || (__u32)task->tgid != state->agent_tgid || state->ns_per_tick == 0)
		return 0;
	start = task->group_leader->start_boottime;
	return start / state->ns_per_tick == state->agent_start_ticks;
}

/* The one place the kernel side turns an inode into an identity (sluice_abi.h says what it is;
 * ExecutableIdentity in SluiceCore is the user-space half). */
static __always_inline void sluice_inode_identity(struct inode *inode, __u32 *dev, __u64 *ino)
{
	struct super_block *sb = inode->i_sb;

	*ino = inode->i_ino;
	*dev = sb->s_dev;
	if (bpf_core_type_exists(struct btrfs_inode) && sb->s_magic == SLUICE_BTRFS_SUPER_MAGIC) {
		struct btrfs_inode *bi = (void *)inode - bpf_core_field_offset(struct btrfs_inode, vfs_inode);

		*dev = BPF_CORE_READ(bi, root, anon_dev);
	}
}

/* Identify the caller's executable: what the kernel executed for its thread group (recorded at
 * exec, inherited at fork). A process that predates the programs has no record; only then is
 * mm->exe_file read, and the decision's event says the identity is unverified. */
static __always_inline void sluice_read_exe(struct task_struct *task, struct sluice_flow *flow)
{
	struct sluice_file_identity *recorded;
	struct mm_struct *mm;
	struct file *exe;
	struct inode *inode;

	recorded = bpf_task_storage_get(&sluice_task_exe, task->group_leader, 0, 0);
	if (recorded) {
		flow->exe_ino = recorded->ino;
		flow->exe_dev = recorded->dev;
		flow->has_exe = 1;
		return;
	}
	mm = task->mm;
	if (!mm)
		return;
	exe = mm->exe_file;
	if (!exe)
		return;
	inode = exe->f_inode;
	if (!inode)
		return;
	sluice_inode_identity(inode, &flow->exe_dev, &flow->exe_ino);
	flow->has_exe = 1;
	flow->unverified = 1;
}

/* The compiler sorted every table so that the first matching entry is the most specific. */
static __always_inline int sluice_match_entry(const struct sluice_port_entry *e,
					      const struct sluice_flow *flow,
					      struct sluice_match *out)
{
	if (flow->port < e->port_lo || flow->port > e->port_hi)
		return 0;
	if (e->protocol != 0 && e->protocol != flow->protocol)
		return 0;
	out->verdict.rule_id = e->rule_id;
	out->verdict.action = e->action;
	out->verdict.flags = e->flags;
	out->width = e->port_hi - e->port_lo;
	out->any_protocol = e->protocol == 0;
	out->exact = e->exact;
	return 1;
}

/* The rest of a table, in chunks of sluice_ports. */
static __always_inline int sluice_match_chunks(__u32 chunk, const struct sluice_flow *flow,
					       struct sluice_match *out)
{
	for (int hop = 0; hop < SLUICE_PORT_TABLE_CHAIN && chunk != 0; hop++) {
		struct sluice_port_table *t = bpf_map_lookup_elem(&sluice_ports, &chunk);

		if (!t)
			return 0;
		for (int i = 0; i < SLUICE_PORT_TABLE_ENTRIES; i++) {
			if ((__u32)i >= t->count)
				break;
			if (sluice_match_entry(&t->entries[i], flow, out))
				return 1;
		}
		chunk = t->next;
	}
	return 0;
}

/* A table's first entry matching the flow: inline entries, then chunks.
 * A global function: the verifier walks its chunks once, not once per call site and state of
 * sluice_match_rules. */
__noinline int sluice_match_value(const struct sluice_rule_value *value, const struct sluice_flow *flow,
				  struct sluice_match *out)
{
	if (!value || !flow || !out)
		return 0;
	for (int i = 0; i < SLUICE_ROUTE_INLINE_ENTRIES; i++) {
		if ((__u32)i >= value->count)
			return 0;
		if (sluice_match_entry(&value->entries[i], flow, out))
			return 1;
	}
	return sluice_match_chunks(value->next, flow, out);
}

/* The subject's table for the most specific of the name's patterns it has rules for (that table
 * holds the less specific ones behind its own). */
static __always_inline struct sluice_rule_value *sluice_name_table(__u32 subject_id, const struct sluice_flow *flow)
{
	for (int i = 0; i < SLUICE_DNS_NAMES; i++) {
		struct sluice_name_rule_key key = { .subject_id = subject_id };
		struct sluice_rule_value *value;

		if (i >= flow->name_count)
			return 0;
		key.hash = flow->name_hash[i];
		key.kind = flow->name_kind[i];
		value = bpf_map_lookup_elem(&sluice_name_rules, &key);
		if (value)
			return value;
	}
	return 0;
}

/* Whether the attribution's rules part was found under this generation for this name and
 * address (by whichever subject: sluice_abi.h, sluice_dns_decided). */
static __always_inline int sluice_rules_for_flow(const struct sluice_dns_decided *decided, __u32 seen,
						 const struct sluice_flow *flow)
{
	const __u64 *addr = (const __u64 *)flow->addr;

	return seen == flow->names_for && decided->rules_name_id == flow->name_id &&
	       decided->family == flow->family && decided->addr[0] == addr[0] && decided->addr[1] == addr[1];
}

/* Keeps what the first subject a decision consults has for the name and the address. */
static __always_inline void sluice_rules_keep(struct sluice_dns_decided *decided, __u32 seen, __u32 subject_id,
					      const struct sluice_flow *flow, const struct sluice_rule_value *names,
					      const struct sluice_rule_value *address)
{
	const __u64 *addr = (const __u64 *)flow->addr;

	if (!sluice_decided_claim(&decided->rules_for, seen))
		return;
	decided->subject_id = subject_id;
	decided->rules_name_id = flow->name_id;
	decided->family = flow->family;
	decided->addr[0] = addr[0];
	decided->addr[1] = addr[1];
	decided->has_rules = names != 0;
	if (names)
		__builtin_memcpy(&decided->rules, names, sizeof(decided->rules));
	/* A table's whole-address entries come before all others (RouteTableBuilder: a prefix's own
	 * entries, then its parent's), so the first entry says whether it has any. */
	decided->exact_address = address && address->count > 0 && address->entries[0].exact;
	sluice_barrier();
	SLUICE_WRITE_ONCE(decided->rules_for, flow->names_for);
}

/* Whether a name rule's entry outranks the address rule's (DESIGN.md, precedence): a name is as
 * specific as a whole address and more specific than any shorter prefix; against a whole
 * address, the narrower ports, a specific protocol, the more severe action and enforcement
 * decide, and a full tie goes to the name. */
static __always_inline int sluice_name_outranks(const struct sluice_match *name,
						const struct sluice_match *address)
{
	__u8 name_monitor = name->verdict.flags & SLUICE_VERDICT_MONITOR;
	__u8 address_monitor = address->verdict.flags & SLUICE_VERDICT_MONITOR;

	if (!address->exact)
		return 1;
	if (name->width != address->width)
		return name->width < address->width;
	if (name->any_protocol != address->any_protocol)
		return !name->any_protocol;
	if (name->verdict.action != address->verdict.action)
		return name->verdict.action > address->verdict.action;
	if (name_monitor != address_monitor)
		return !name_monitor;
	return 1;
}

/* The longest prefix of the destination that the subject has rules for, then its ports; and the
 * rules of the name the caller looked up for it, which rank as above.
 * `decided` is the caller's own attribution (sluice_flow_names), or NULL: the first subject a
 * decision consults finds its name table and whether a whole-address rule exists there once per
 * generation; after that, a name decision by it makes no rule lookup, and no address lookup
 * unless a whole-address rule could outrank the name.
 * A global function, unlike the other helpers: the verifier checks it once instead of at each
 * of its call sites (up to 2 * SLUICE_MAX_CGROUP_LEVELS + 2), which would exceed its budget. */
__noinline int sluice_match_rules(__u32 subject_id, const struct sluice_flow *flow, struct sluice_verdict *out,
				  struct sluice_dns_decided *decided)
{
	struct sluice_match by_address = {}, by_name = {};
	struct sluice_rule_value kept_table; /* read once: the attribution may be rewritten */
	const struct sluice_rule_value *table = 0;
	struct sluice_rule_value *value, *names = 0;
	int address_hit = 0, name_hit = 0, kept = 0, exact = 1;
	__u32 seen = 0;

	if (!flow || !out)
		return 0;
	if (decided) {
		seen = SLUICE_READ_ONCE(decided->rules_for);
		if (sluice_rules_for_flow(decided, seen, flow)) {
			if (decided->subject_id == subject_id) {
				__builtin_memcpy(&kept_table, &decided->rules, sizeof(kept_table));
				kept = 1;
				table = decided->has_rules ? &kept_table : 0;
				exact = decided->exact_address;
				sluice_barrier();
				if (SLUICE_READ_ONCE(decided->rules_for) != seen)
					kept = 0, table = 0; /* rewritten while read: look up as without it */
			}
			decided = 0; /* kept already, or the first subject's: not this one's to write */
		}
	}
	if (!kept && flow->name_count)
		table = names = sluice_name_table(subject_id, flow);
	if (table)
		name_hit = sluice_match_value(table, flow, &by_name);
	if (name_hit && kept && !exact) {
		*out = by_name.verdict;
		return 1;
	}
	if (flow->family == 4) {
		struct sluice_rule_key4 key = { .prefixlen = 64, .subject_id = subject_id };

		__builtin_memcpy(key.addr, flow->addr, 4);
		value = bpf_map_lookup_elem(&sluice_rules4, &key);
	} else {
		struct sluice_rule_key6 key = { .prefixlen = 160, .subject_id = subject_id };

		__builtin_memcpy(key.addr, flow->addr, 16);
		value = bpf_map_lookup_elem(&sluice_rules6, &key);
	}
	if (value)
		address_hit = sluice_match_value(value, flow, &by_address);
	if (decided)
		sluice_rules_keep(decided, seen, subject_id, flow, names, value);
	if (name_hit && (!address_hit || sluice_name_outranks(&by_name, &by_address))) {
		*out = by_name.verdict;
		return 1;
	}
	if (address_hit)
		*out = by_address.verdict;
	return address_hit;
}

/* A subject decides when one of its rules matches or when it has a default of its own;
 * otherwise the traffic falls through to the next, less specific subject. */
static __always_inline int sluice_subject_decides(const struct sluice_subject *subject,
						  const struct sluice_flow *flow,
						  struct sluice_dns_decided *decided,
						  struct sluice_verdict *out, __u8 *by_default)
{
	if (sluice_match_rules(subject->subject_id, flow, out, decided))
		return 1;
	if (!subject->has_default)
		return 0;
	*out = subject->fallback;
	*by_default = 1;
	return 1;
}

static __always_inline int sluice_lookup_subject(__u8 slot, __u8 kind, __u64 cgroup_id,
						 const struct sluice_flow *flow,
						 struct sluice_dns_decided *decided,
						 struct sluice_verdict *out, __u8 *by_default)
{
	struct sluice_subject_key key = {
		.cgroup_id = cgroup_id,
		.kind = kind,
		.slot = slot,
	};
	struct sluice_subject *subject;

	if (kind != SLUICE_SUBJECT_CGROUP) {
		key.ino = flow->exe_ino;
		key.dev = flow->exe_dev;
	}
	subject = bpf_map_lookup_elem(&sluice_subjects, &key);
	if (!subject)
		return 0;
	return sluice_subject_decides(subject, flow, decided, out, by_default);
}

/* Subjects at cgroup depths listed deepest first: a deeper cgroup is more specific. */
static __always_inline int sluice_cgroup_subjects(__u8 slot, __u8 kind, const __u8 *levels,
						  __u8 count, const __u64 *ancestors,
						  const struct sluice_flow *flow,
						  struct sluice_dns_decided *decided,
						  struct sluice_verdict *out, __u8 *by_default)
{
	for (int i = 0; i < SLUICE_MAX_CGROUP_LEVELS; i++) {
		__u64 cgroup_id;

		if (i >= count)
			break;
		cgroup_id = ancestors ? ancestors[i] : bpf_get_current_ancestor_cgroup_id(levels[i]);
		if (cgroup_id == 0)
			continue; /* the caller sits above this depth */
		if (sluice_lookup_subject(slot, kind, cgroup_id, flow, decided, out, by_default))
			return 1;
	}
	return 0;
}

/* Precedence (DESIGN.md): executable within cgroup, executable, cgroup, node default. */
static __always_inline void sluice_resolve(const struct sluice_config *config, __u8 slot,
					   const struct sluice_flow *flow,
					   const struct sluice_ancestors *ancestors,
					   struct sluice_dns_decided *decided,
					   struct sluice_verdict *out, __u8 *by_default)
{
	if (flow->has_exe && (config->flags & SLUICE_CONFIG_HAS_EXE_IN_CGROUP) &&
	    sluice_cgroup_subjects(slot, SLUICE_SUBJECT_EXE_IN_CGROUP, config->exe_cgroup_levels,
				   config->exe_cgroup_level_count,
				   ancestors ? ancestors->exe_cgroup : 0, flow, decided, out, by_default))
		return;
	if (flow->has_exe && (config->flags & SLUICE_CONFIG_HAS_EXE) &&
	    sluice_lookup_subject(slot, SLUICE_SUBJECT_EXE, 0, flow, decided, out, by_default))
		return;
	if ((config->flags & SLUICE_CONFIG_HAS_CGROUP) &&
	    sluice_cgroup_subjects(slot, SLUICE_SUBJECT_CGROUP, config->cgroup_levels,
				   config->cgroup_level_count, ancestors ? ancestors->cgroup : 0, flow,
				   decided, out, by_default))
		return;
	sluice_subject_decides(&config->node, flow, decided, out, by_default);
}

static __always_inline void sluice_emit(const struct sluice_state *state,
					const struct sluice_config *config,
					const struct sluice_flow *flow,
					const struct sluice_verdict *verdict, __u8 flags, __u8 hook,
					struct task_struct *task, __u64 verdict_count, __u64 *now)
{
	struct sluice_event *event;

	if (state->event_mode == SLUICE_EVENTS_NONE)
		return;
	if (state->event_mode == SLUICE_EVENTS_DENY_ALERT && verdict->action == SLUICE_ACTION_ALLOW)
		return;
	event = bpf_ringbuf_reserve(&sluice_events, sizeof(*event), 0);
	if (!event) {
		sluice_count(SLUICE_COUNTER_EVENTS_LOST);
		return;
	}
	*now = bpf_ktime_get_boot_ns();
	event->timestamp_ns = *now;
	event->cgroup_id = task->cgroups->dfl_cgrp->kn->id;
	event->exe_ino = flow->exe_ino;
	event->exe_dev = flow->exe_dev;
	event->pid = task->tgid;
	event->uid = task->cred->uid.val;
	event->rule_id = verdict->rule_id;
	event->generation = config->generation;
	event->dst_port = flow->port;
	event->protocol = flow->protocol;
	event->family = flow->family;
	__builtin_memcpy(event->dst_addr, flow->addr, 16);
	event->action = verdict->action;
	event->flags = flags;
	event->hook = hook;
	event->intel = flow->intel;
	event->intel_id = flow->intel_id;
	__builtin_memcpy(event->comm, task->comm, sizeof(event->comm));
	event->dst_name_id = flow->name_id;
	/* Denies and alerts wake an idle reader (the kernel's adaptive default); allows do every
	 * SLUICE_WAKEUP_EVERY-th time only, so a burst never waits longer than that for room. */
	if (verdict->action != SLUICE_ACTION_ALLOW)
		bpf_ringbuf_submit(event, 0);
	else if ((verdict_count & (SLUICE_WAKEUP_EVERY - 1)) == 0)
		bpf_ringbuf_submit(event, BPF_RB_FORCE_WAKEUP);
	else
		bpf_ringbuf_submit(event, BPF_RB_NO_WAKEUP);
}

/* ---- Rate limits (item: verdicts) ---- */
#include "sluice_rate.h"
/* ---- end ---- */

/* Returns 1 to let the call proceed, 0 to fail it (EPERM for a deny, EAGAIN for a rate limit). */
static __always_inline int sluice_decide(struct sluice_flow *flow, __u8 hook, struct sluice_decision *out)
{
	__u32 zero = 0;
	struct sluice_state *state = bpf_map_lookup_elem(&sluice_state, &zero);
	struct sluice_config *config;
	struct sluice_verdict verdict = { .action = SLUICE_ACTION_ALLOW };
	struct task_struct *task = bpf_get_current_task_btf();
	struct sluice_dns_decided *decided;
	__u64 verdict_count, now = 0;
	__u8 by_default = 0;
	__u8 flags = 0;
	__u32 slot;

	if (!state) {
		sluice_count(SLUICE_COUNTER_FAIL_CLOSED);
		return 0;
	}
	if (sluice_is_agent(state, task)) {
		sluice_count(SLUICE_COUNTER_EXEMPT);
		flow->exempt = 1;
		return 1;
	}
	slot = state->active_slot & 1;
	config = bpf_map_lookup_elem(&sluice_config, &slot);
	if (!config) {
		sluice_count(SLUICE_COUNTER_FAIL_CLOSED);
		return 0;
	}
	sluice_read_exe(task, flow);
	decided = sluice_flow_names(bpf_get_current_cgroup_id(), slot, config->generation, flow, 0,
				    state->intel_flags & SLUICE_INTEL_HAS_NAMES);
	if (state->intel_flags & (SLUICE_INTEL_HAS_ADDRESSES4 | SLUICE_INTEL_HAS_ADDRESSES6))
		sluice_intel_address_hit(state, flow);
	sluice_resolve(config, slot, flow, 0, decided, &verdict, &by_default);
	/* An admitted connect is an allow by the rate rule; only a refused one says rate-limit. */
	if (verdict.action == SLUICE_ACTION_RATE_LIMIT &&
	    sluice_rate_admits(config->generation, verdict.rule_id, flow, bpf_get_current_cgroup_id()))
		verdict.action = SLUICE_ACTION_ALLOW;
	/* A windowed quota spent: no new connection until the window turns. */
	if ((verdict.flags & SLUICE_VERDICT_QUOTA) &&
	    (verdict.action == SLUICE_ACTION_ALLOW || verdict.action == SLUICE_ACTION_ALERT) &&
	    !sluice_quota_admits(config->generation, verdict.rule_id, flow, bpf_get_current_cgroup_id()))
		verdict.action = SLUICE_ACTION_QUOTA;
	if (flow->intel_id)
		sluice_intel_apply(flow, &verdict);

	if (by_default)
		flags |= SLUICE_EVENT_DEFAULT;
	if (flow->mapped)
		flags |= SLUICE_EVENT_MAPPED;
	if (!flow->has_exe)
		flags |= SLUICE_EVENT_NO_EXE;
	if (flow->unverified)
		flags |= SLUICE_EVENT_EXE_UNVERIFIED;
	if (flow->unspecified)
		flags |= SLUICE_EVENT_UNSPECIFIED;
	if (!(verdict.flags & SLUICE_VERDICT_MONITOR))
		flags |= SLUICE_EVENT_ENFORCED;

	if (verdict.action == SLUICE_ACTION_DENY)
		verdict_count = sluice_count((flags & SLUICE_EVENT_ENFORCED) ? SLUICE_COUNTER_DENY
									     : SLUICE_COUNTER_MONITOR_DENY);
	else if (verdict.action == SLUICE_ACTION_ALERT)
		verdict_count = sluice_count(SLUICE_COUNTER_ALERT);
	else if (verdict.action == SLUICE_ACTION_RATE_LIMIT)
		verdict_count = sluice_count(SLUICE_COUNTER_RATE_LIMITED);
	else if (verdict.action == SLUICE_ACTION_REDIRECT)
		verdict_count = sluice_count(SLUICE_COUNTER_REDIRECTED);
	else if (verdict.action == SLUICE_ACTION_QUOTA)
		verdict_count = sluice_count(SLUICE_COUNTER_QUOTA);
	else
		verdict_count = sluice_count(SLUICE_COUNTER_ALLOW);

	sluice_emit(state, config, flow, &verdict, flags, hook, task, verdict_count, &now);
	out->now_ns = now;
	out->verdict = verdict;
	out->generation = config->generation;
	out->flags = flags;
	if (!(flags & SLUICE_EVENT_ENFORCED))
		return 1;
	if (verdict.action == SLUICE_ACTION_RATE_LIMIT) {
		/* "Try again later" (EAGAIN, 11), told apart from a policy's EPERM. */
		bpf_set_retval(-11);
		return 0;
	}
	if (verdict.action == SLUICE_ACTION_QUOTA) {
		/* EDQUOT (122): the application's quota for this rule is spent until the window turns. */
		bpf_set_retval(-122);
		return 0;
	}
	return verdict.action == SLUICE_ACTION_DENY ? 0 : 1;
}

/* Whether the connect (or send) goes to the rule's redirect target: an enforced redirect. */
static __always_inline int sluice_redirects_now(const struct sluice_decision *decision)
{
	return decision->verdict.action == SLUICE_ACTION_REDIRECT && (decision->flags & SLUICE_EVENT_ENFORCED);
}

/* Linux connects (and sends to) the unspecified address as the local host: 0.0.0.0 goes to
 * 127.0.0.1 (or the socket's bound address) and :: to ::1. Deciding it as written would let it
 * past a `loopback` deny, so it is decided as the loopback address it reaches. */
#define SLUICE_LOOPBACK4 bpf_htonl(0x7f000001)

static __always_inline void sluice_flow_v4(struct bpf_sock_addr *ctx, struct sluice_flow *flow)
{
	__u32 ip = ctx->user_ip4;

	if (ip == 0) {
		ip = SLUICE_LOOPBACK4;
		flow->unspecified = 1;
	}
	__builtin_memcpy(flow->addr, &ip, 4);
	flow->family = 4;
	flow->port = bpf_ntohs((__u16)ctx->user_port);
	flow->protocol = (__u8)ctx->protocol;
}

/* An IPv4-mapped destination (::ffff:a.b.c.d) obeys the IPv4 rules. */
static __always_inline void sluice_flow_v6(struct bpf_sock_addr *ctx, struct sluice_flow *flow)
{
	__u32 w0 = ctx->user_ip6[0], w1 = ctx->user_ip6[1];
	__u32 w2 = ctx->user_ip6[2], w3 = ctx->user_ip6[3];

	if (w0 == 0 && w1 == 0 && w2 == bpf_htonl(0x0000ffff)) {
		if (w3 == 0) {
			w3 = SLUICE_LOOPBACK4;
			flow->unspecified = 1;
		}
		__builtin_memcpy(flow->addr, &w3, 4);
		flow->family = 4;
		flow->mapped = 1;
	} else {
		if ((w0 | w1 | w2 | w3) == 0) {
			w3 = bpf_htonl(1); /* ::1 */
			flow->unspecified = 1;
		}
		__builtin_memcpy(flow->addr, &w0, 4);
		__builtin_memcpy(flow->addr + 4, &w1, 4);
		__builtin_memcpy(flow->addr + 8, &w2, 4);
		__builtin_memcpy(flow->addr + 12, &w3, 4);
		flow->family = 6;
	}
	flow->port = bpf_ntohs((__u16)ctx->user_port);
	flow->protocol = (__u8)ctx->protocol;
}

/* ---- Ending open connections a new generation denies (item: established connections) ---- */
#include "sluice_close.h"
/* ---- end ---- */

/* ---- Creating raw IP sockets and ping sockets (item: unhooked socket kinds) ---- */
#include "sluice_sock_create.h"
/* ---- end ---- */

/* ---- Reading DNS answers (item: names decided in the kernel) ---- */
#include "sluice_dns.h"
/* ---- end ---- */

/* ---- Redirects (item: verdicts) ---- */
#include "sluice_redirect.h"
/* ---- end ---- */

/* ---- Quotas: cutting a connection at its limit (item: verdicts) ---- */
#include "sluice_quota.h"
/* ---- end ---- */

/* ---- Bytes and packets per connection, flow records (item: bytes) ---- */
#include "sluice_flows.h"
/* ---- end ---- */

/* The flow an address hook is asked about, read from the family's fields. `six` is a constant
 * at each call, so each program keeps only its own family's branch (the verifier refuses the
 * other family's context fields). */
static __always_inline void sluice_flow_of(struct bpf_sock_addr *ctx, struct sluice_flow *flow, int six)
{
	if (six)
		sluice_flow_v6(ctx, flow);
	else
		sluice_flow_v4(ctx, flow);
}

static __always_inline int sluice_redirect_to(struct bpf_sock_addr *ctx, const struct sluice_decision *decision,
					      int six)
{
	return six ? sluice_redirect6(ctx, decision) : sluice_redirect4(ctx, decision);
}

static __always_inline int sluice_connect(struct bpf_sock_addr *ctx, __u8 hook, int six)
{
	struct sluice_flow flow = {};
	struct sluice_decision decision = {};

	sluice_flow_of(ctx, &flow, six);
	if (!sluice_decide(&flow, hook, &decision))
		return 0;
	if (sluice_redirects_now(&decision) && !sluice_redirect_to(ctx, &decision, six))
		return 0;
	sluice_remember_owner(ctx, &flow, &decision);
	return 1;
}

static __always_inline int sluice_sendmsg(struct bpf_sock_addr *ctx, __u8 hook, int six)
{
	struct sluice_flow flow = {};
	struct sluice_decision decision = {};

	sluice_flow_of(ctx, &flow, six);
	if (!sluice_decide(&flow, hook, &decision))
		return 0;
	if (sluice_redirects_now(&decision)) {
		if (!sluice_redirect_to(ctx, &decision, six))
			return 0;
	} else {
		sluice_dns_asked(ctx, &flow);
	}
	/* A redirected datagram is counted toward where it was sent, as a redirected connection is. */
	sluice_remember_sender(ctx, &flow, &decision);
	return 1;
}

SLUICE_SOCK_ADDR_PROGRAM(connect4, sluice_connect(ctx, SLUICE_HOOK_CONNECT4, 0))
SLUICE_SOCK_ADDR_PROGRAM(connect6, sluice_connect(ctx, SLUICE_HOOK_CONNECT6, 1))
SLUICE_SOCK_ADDR_PROGRAM(sendmsg4, sluice_sendmsg(ctx, SLUICE_HOOK_SENDMSG4, 0))
SLUICE_SOCK_ADDR_PROGRAM(sendmsg6, sluice_sendmsg(ctx, SLUICE_HOOK_SENDMSG6, 1))

/* A file executed under a name a policy governs is recorded as the governed identity, whatever
 * file it is: a new file renamed over a governed executable is governed from its first exec,
 * before the agent has seen the rename. */
static __always_inline void sluice_governed_name(struct file *file, struct sluice_file_identity *id)
{
	struct sluice_name_key key = {};
	struct dentry *dentry = file->f_path.dentry;
	struct sluice_file_identity *governed;
	__u32 len = dentry->d_name.len;

	if (len == 0 || len >= SLUICE_NAME_MAX)
		return; /* the agent never registers such a name */
	sluice_inode_identity(dentry->d_parent->d_inode, &key.dir_dev, &key.dir_ino);
	bpf_probe_read_kernel(key.name, len & (SLUICE_NAME_MAX - 1), dentry->d_name.name);
	governed = bpf_map_lookup_elem(&sluice_governed_names, &key);
	if (!governed || (governed->ino == id->ino && governed->dev == id->dev))
		return;
	id->ino = governed->ino;
	id->dev = governed->dev;
	id->flags = SLUICE_IDENTITY_BY_NAME;
}

/* Records what the kernel executed (the identity decisions use), and names executables: one
 * record per exec with that identity and the path given to execve. Runs per exec, never per
 * connection. */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(sluice_exec, struct task_struct *task, int old_pid, struct linux_binprm *bprm)
{
	struct task_struct *current = bpf_get_current_task_btf();
	struct sluice_file_identity id = {};
	struct sluice_file_identity *recorded;
	struct sluice_exec_event *event;

	sluice_inode_identity(bprm->file->f_inode, &id.dev, &id.ino);
	sluice_governed_name(bprm->file, &id);
	/* After exec the task leads its thread group (de_thread). */
	recorded = bpf_task_storage_get(&sluice_task_exe, current, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (recorded)
		*recorded = id;
	else
		sluice_count(SLUICE_COUNTER_IDENTITY_LOST);

	event = bpf_ringbuf_reserve(&sluice_execs, sizeof(*event), 0);
	if (!event)
		return 0; /* naming is best effort: the agent falls back to /proc */
	event->exe_ino = id.ino;
	event->exe_dev = id.dev;
	event->pid = task->tgid;
	bpf_probe_read_kernel_str(event->filename, sizeof(event->filename), bprm->filename);
	bpf_ringbuf_submit(event, 0);
	return 0;
}

/* A new process runs what its parent runs until it executes something itself. New threads
 * need nothing: decisions read the thread-group leader's record. */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(sluice_fork, struct task_struct *parent, struct task_struct *child)
{
	struct sluice_file_identity *from, *to;

	if (child->group_leader != child)
		return 0;
	from = bpf_task_storage_get(&sluice_task_exe, parent->group_leader, 0, 0);
	if (!from)
		return 0; /* a parent that predates the programs: the child is unverified too */
	to = bpf_task_storage_get(&sluice_task_exe, child, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (to)
		*to = *from;
	else
		sluice_count(SLUICE_COUNTER_IDENTITY_LOST);
	return 0;
}
/* Protect mode: BPF LSM programs, loaded only with --protect. */
#include "sluice_protect.h"
