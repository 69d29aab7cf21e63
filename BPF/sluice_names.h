/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Domain names at decision time: which name the caller looked up for the destination
 * (sluice_dns_addresses, filled by the DNS answer reader in sluice_dns.h) and which of that
 * name's patterns the active generation has rules for.
 *
 * Included by sluice.bpf.c after struct sluice_flow and before sluice_decide().
 */
#ifndef SLUICE_NAMES_H
#define SLUICE_NAMES_H

/* 64 Ki attributions of 208 bytes: 13 MiB, preallocated (as every LRU map is). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct sluice_dns_key);
	__type(value, struct sluice_dns_value);
} sluice_dns_addresses SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct sluice_dns_name);
} sluice_dns_names SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 262144);
	__type(key, struct sluice_name_rule_key);
	__type(value, struct sluice_rule_value);
} sluice_name_rules SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 262144);
	__type(key, struct sluice_name_pattern_key);
	__type(value, __u8);
} sluice_name_patterns SEC(".maps");

/* What sluice_dns_decided's readers and writers need (sluice_abi.h): loads and stores the
 * compiler neither drops, merges nor moves across sluice_barrier(). The CPU keeps them in order
 * too (x86-64: stores after stores, loads after loads). */
#define SLUICE_READ_ONCE(x) (*(volatile typeof(x) *)&(x))
#define SLUICE_WRITE_ONCE(x, v) (*(volatile typeof(x) *)&(x) = (v))
#define sluice_barrier() asm volatile("" ::: "memory")

static __always_inline int sluice_has_pattern(__u8 slot, __u8 kind, __u64 hash)
{
	struct sluice_name_pattern_key key = { .hash = hash, .kind = kind, .slot = slot };

	return bpf_map_lookup_elem(&sluice_name_patterns, &key) != 0;
}

static __always_inline void sluice_add_pattern(struct sluice_flow *flow, __u8 kind, __u64 hash)
{
	__u8 at = flow->name_count;

	if (at >= SLUICE_DNS_NAMES)
		return;
	flow->name_hash[at] = hash;
	flow->name_kind[at] = kind;
	flow->name_count = at + 1;
}

/* One writer at a time for a part of sluice_dns_decided whose tag read `seen` (sluice_abi.h):
 * whoever swaps the tag to SLUICE_DNS_FILLING writes the part and then its tag. */
static __always_inline int sluice_decided_claim(__u32 *tag, __u32 seen)
{
	return seen != SLUICE_DNS_FILLING && __sync_val_compare_and_swap(tag, seen, SLUICE_DNS_FILLING) == seen;
}

/* The patterns a decision under `tag` found before, if they were found for this name and were
 * not being rewritten while copied. */
static __always_inline int sluice_patterns_kept(const struct sluice_dns_decided *decided, __u64 name_id, __u32 tag,
						__u32 seen, struct sluice_flow *flow)
{
	if (seen != tag || decided->name_id != name_id)
		return 0;
	__builtin_memcpy(flow->name_hash, decided->pattern_hash, sizeof(flow->name_hash));
	__builtin_memcpy(flow->name_kind, decided->pattern_kind, sizeof(flow->name_kind));
	flow->name_count = decided->pattern_count < SLUICE_DNS_NAMES ? decided->pattern_count : SLUICE_DNS_NAMES;
	sluice_barrier();
	return SLUICE_READ_ONCE(decided->patterns_for) == tag;
}

static __always_inline void sluice_patterns_keep(struct sluice_dns_decided *decided, __u64 name_id, __u32 tag,
						 __u32 seen, const struct sluice_flow *flow)
{
	if (!sluice_decided_claim(&decided->patterns_for, seen))
		return;
	decided->name_id = name_id;
	__builtin_memcpy(decided->pattern_hash, flow->name_hash, sizeof(decided->pattern_hash));
	__builtin_memcpy(decided->pattern_kind, flow->name_kind, sizeof(decided->pattern_kind));
	decided->pattern_count = flow->name_count;
	sluice_barrier();
	SLUICE_WRITE_ONCE(decided->patterns_for, tag);
}

/* The name the caller's application looked up for the destination, if its answer still holds,
 * and the patterns of it the slot has rules for, most specific first: the name itself, then its
 * parents nearest first as wildcards. The executable's own lookups count first; then those of
 * sockets known only by the cgroup (sendto without connect). A connection already open was made
 * under its name: re-deciding it (sluice_close.h) reads the name even after the answer expired.
 * The patterns are found once per attribution and generation and kept in the attribution. The
 * attribution is returned when it is the application's own, for sluice_match_rules to keep and
 * read the first subject's rules in (sluice_abi.h, sluice_dns_decided); an attribution by cgroup
 * alone serves executables whose first subjects differ, so it keeps patterns only. With
 * `intel_names`, the name and its parents are looked up in the feed layers too (sluice_intel.h). */
static __always_inline struct sluice_dns_decided *sluice_flow_names(__u64 cgroup_id, __u8 slot, __u32 generation,
								    struct sluice_flow *flow, int expired_too,
								    int intel_names)
{
	struct sluice_dns_key key = {
		.cgroup_id = cgroup_id,
		.exe_ino = flow->exe_ino,
		.exe_dev = flow->exe_dev,
		.family = flow->family,
	};
	struct sluice_dns_value *value;
	int own = (key.exe_ino | key.exe_dev) != 0;
	__u32 tag = generation + 1, seen;

	__builtin_memcpy(key.addr, flow->addr, 16);
	value = bpf_map_lookup_elem(&sluice_dns_addresses, &key);
	if (!value && own) {
		own = 0;
		key.exe_ino = 0;
		key.exe_dev = 0;
		value = bpf_map_lookup_elem(&sluice_dns_addresses, &key);
	}
	if (!value || (!expired_too && value->expires_ns < bpf_ktime_get_boot_ns()))
		return 0;
	flow->name_id = value->name_id;
	flow->names_for = tag;
	if (intel_names)
		sluice_intel_names_hit(flow, value);
	seen = SLUICE_READ_ONCE(value->decided.patterns_for);
	if (sluice_patterns_kept(&value->decided, flow->name_id, tag, seen, flow))
		return own ? &value->decided : 0;
	flow->name_count = 0;
	if (sluice_has_pattern(slot, SLUICE_NAME_EXACT, flow->name_id))
		sluice_add_pattern(flow, SLUICE_NAME_EXACT, flow->name_id);
	for (int i = 0; i < SLUICE_DNS_PARENTS; i++) {
		__u64 parent;

		if ((__u32)i >= value->parent_count)
			break;
		parent = value->parents[i];
		if (sluice_has_pattern(slot, SLUICE_NAME_WILDCARD, parent))
			sluice_add_pattern(flow, SLUICE_NAME_WILDCARD, parent);
	}
	sluice_patterns_keep(&value->decided, flow->name_id, tag, seen, flow);
	return own ? &value->decided : 0;
}

#endif /* SLUICE_NAMES_H */
