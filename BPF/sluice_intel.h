/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Feed layers (threat intelligence): addresses, prefixes and domain names from the agent's
 * feeds, each with its action (deny or alert), its expiry and the id events report. The maps are
 * independent of the policy slots: the agent adds and removes entries one by one while decisions
 * run, with no generation flip.
 *
 * Precedence (DESIGN.md): after the policy's verdict, a live hit applies its action when that is
 * more severe than the verdict (deny > alert > allow), except over an allow rule that names the
 * exact address or name (SLUICE_VERDICT_EXPLICIT_ALLOW): that allow wins, and the event says so.
 *
 * Included by sluice.bpf.c after sluice_names.h and before sluice_decide().
 */
#ifndef SLUICE_INTEL_H
#define SLUICE_INTEL_H

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 262144);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct sluice_intel_key4);
	__type(value, struct sluice_intel_value);
} sluice_intel4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 262144);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct sluice_intel_key6);
	__type(value, struct sluice_intel_value);
} sluice_intel6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 262144);
	__type(key, __u64);
	__type(value, struct sluice_intel_value);
} sluice_intel_names SEC(".maps");

/* Keeps `hit` if it is live and more severe than what `flow` holds (the first found wins a tie:
 * callers look the most specific up first). */
static __always_inline void sluice_intel_take(struct sluice_flow *flow, const struct sluice_intel_value *hit,
					      __u64 *now)
{
	if (!hit || hit->action <= flow->intel_action)
		return;
	if (hit->expires_ns) {
		if (!*now)
			*now = bpf_ktime_get_boot_ns();
		if (hit->expires_ns <= *now)
			return;
	}
	flow->intel_action = hit->action;
	flow->intel_id = hit->intel_id;
}

/* The name the caller looked up for the destination and its parents (sluice_names.h). */
static __always_inline void sluice_intel_names_hit(struct sluice_flow *flow, const struct sluice_dns_value *value)
{
	__u64 now = 0;

	sluice_intel_take(flow, bpf_map_lookup_elem(&sluice_intel_names, &value->name_id), &now);
	for (int i = 0; i < SLUICE_DNS_PARENTS; i++) {
		if ((__u32)i >= value->parent_count)
			break;
		sluice_intel_take(flow, bpf_map_lookup_elem(&sluice_intel_names, &value->parents[i]), &now);
	}
}

/* The longest of the feeds' prefixes holding the destination. */
static __always_inline void sluice_intel_address_hit(const struct sluice_state *state, struct sluice_flow *flow)
{
	__u64 now = 0;

	if (flow->family == 4 && (state->intel_flags & SLUICE_INTEL_HAS_ADDRESSES4)) {
		struct sluice_intel_key4 key = { .prefixlen = 32 };

		__builtin_memcpy(key.addr, flow->addr, 4);
		sluice_intel_take(flow, bpf_map_lookup_elem(&sluice_intel4, &key), &now);
	} else if (flow->family == 6 && (state->intel_flags & SLUICE_INTEL_HAS_ADDRESSES6)) {
		struct sluice_intel_key6 key = { .prefixlen = 128 };

		__builtin_memcpy(key.addr, flow->addr, 16);
		sluice_intel_take(flow, bpf_map_lookup_elem(&sluice_intel6, &key), &now);
	}
}

/* How severe a verdict is for the comparison with a feed's action: 0 lets through, 1 lets
 * through with an alert (or sends elsewhere: a redirect is often a sinkhole, which an alert must
 * not undo), 2 refuses. A monitored verdict refuses nothing. */
static __always_inline __u8 sluice_intel_severity(const struct sluice_verdict *verdict)
{
	switch (verdict->action) {
	case SLUICE_ACTION_ALLOW:
		return 0;
	case SLUICE_ACTION_ALERT:
	case SLUICE_ACTION_REDIRECT:
		return 1;
	default:
		return (verdict->flags & SLUICE_VERDICT_MONITOR) ? 1 : 2;
	}
}

/* Applies the feed layer to the policy's verdict; records the outcome in `flow` for the event. */
static __always_inline void sluice_intel_apply(struct sluice_flow *flow, struct sluice_verdict *verdict)
{
	__u8 severity = flow->intel_action == SLUICE_ACTION_DENY ? 2 : 1;

	if (!flow->intel_id || severity <= sluice_intel_severity(verdict))
		return;
	if (verdict->action == SLUICE_ACTION_ALLOW && (verdict->flags & SLUICE_VERDICT_EXPLICIT_ALLOW) &&
	    !(verdict->flags & SLUICE_VERDICT_MONITOR)) {
		flow->intel = SLUICE_INTEL_OUTRANKED;
		return;
	}
	/* The policy's rule id stays in the event (what the feed overrode); the feed's layer has no
	 * monitor mode, keep-open or quota of its own. */
	verdict->action = flow->intel_action;
	verdict->flags = 0;
	flow->intel = SLUICE_INTEL_DECIDED;
	sluice_count(SLUICE_COUNTER_INTEL);
}

#endif /* SLUICE_INTEL_H */
