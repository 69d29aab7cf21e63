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

/* 64 Ki attributions of 128 bytes: 8 MiB at most, allocated as used. */
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

/* The name the caller's application looked up for the destination, if its answer still holds,
 * and the patterns of it the slot has rules for, most specific first: the name itself, then its
 * parents nearest first as wildcards. The executable's own lookups count first; then those of
 * sockets known only by the cgroup (sendto without connect). A connection already open was made
 * under its name: re-deciding it (sluice_close.h) reads the name even after the answer expired.
 * The patterns are found once per attribution and generation and kept in the attribution: the
 * decisions after the first cost one lookup more than an address rule's. With `intel_names`, the
 * name and its parents are looked up in the feed layers too (sluice_intel.h). */
static __always_inline void sluice_flow_names(__u64 cgroup_id, __u8 slot, __u32 generation, struct sluice_flow *flow,
					      int expired_too, int intel_names)
{
	struct sluice_dns_key key = {
		.cgroup_id = cgroup_id,
		.exe_ino = flow->exe_ino,
		.exe_dev = flow->exe_dev,
		.family = flow->family,
	};
	struct sluice_dns_value *value;

	__builtin_memcpy(key.addr, flow->addr, 16);
	value = bpf_map_lookup_elem(&sluice_dns_addresses, &key);
	if (!value && (key.exe_ino | key.exe_dev)) {
		key.exe_ino = 0;
		key.exe_dev = 0;
		value = bpf_map_lookup_elem(&sluice_dns_addresses, &key);
	}
	if (!value || (!expired_too && value->expires_ns < bpf_ktime_get_boot_ns()))
		return;
	flow->name_id = value->name_id;
	if (intel_names)
		sluice_intel_names_hit(flow, value);
	flow->name_count = 0;
	if (value->patterns_for != generation + 1) {
		if (sluice_has_pattern(slot, SLUICE_NAME_EXACT, value->name_id))
			sluice_add_pattern(flow, SLUICE_NAME_EXACT, value->name_id);
		for (int i = 0; i < SLUICE_DNS_PARENTS; i++) {
			__u64 parent;

			if ((__u32)i >= value->parent_count)
				break;
			parent = value->parents[i];
			if (sluice_has_pattern(slot, SLUICE_NAME_WILDCARD, parent))
				sluice_add_pattern(flow, SLUICE_NAME_WILDCARD, parent);
		}
		/* Other CPUs may read this while it is written; they write the same, for the same
		 * generation, so at worst one looks the patterns up again. */
		__builtin_memcpy(value->pattern_hash, flow->name_hash, sizeof(value->pattern_hash));
		__builtin_memcpy(value->pattern_kind, flow->name_kind, sizeof(value->pattern_kind));
		value->pattern_count = flow->name_count;
		value->patterns_for = generation + 1;
		return;
	}
	__builtin_memcpy(flow->name_hash, value->pattern_hash, sizeof(flow->name_hash));
	__builtin_memcpy(flow->name_kind, value->pattern_kind, sizeof(flow->name_kind));
	flow->name_count = value->pattern_count < SLUICE_DNS_NAMES ? value->pattern_count : SLUICE_DNS_NAMES;
}

#endif /* SLUICE_NAMES_H */
