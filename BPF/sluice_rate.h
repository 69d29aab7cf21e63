/* sluice_rate.h — the rate-limit verdict: a token bucket per application and rule, decided in
 * the connect hook with no user-space round trip. Included by sluice.bpf.c. */

/* Written by the agent with each generation that has rules with parameters (rate-limit,
 * redirect); entries of older generations are deleted once no program can read them. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct sluice_rule_params_key);
	__type(value, struct sluice_rule_params);
} sluice_rule_params SEC(".maps");

/* Whether the generation in force has `flag` (enum sluice_config_flags): array lookups, which
 * the verifier turns into plain loads, so a hot path asks before it pays for more. */
static __always_inline int sluice_config_has(__u32 flag)
{
	__u32 zero = 0, slot;
	struct sluice_state *state = bpf_map_lookup_elem(&sluice_state, &zero);
	struct sluice_config *config;

	if (!state)
		return 0;
	slot = state->active_slot & 1;
	config = bpf_map_lookup_elem(&sluice_config, &slot);
	return config && (config->flags & flag);
}

/* The parameters of a generation's rule; a miss is the agent's fault (it writes them before the
 * generation goes live) and fails closed. */
static __always_inline struct sluice_rule_params *sluice_params(__u32 generation, __u32 rule_id)
{
	struct sluice_rule_params_key key = { .generation = generation, .rule_id = rule_id };
	struct sluice_rule_params *params = bpf_map_lookup_elem(&sluice_rule_params, &key);

	if (!params)
		sluice_count(SLUICE_COUNTER_FAIL_CLOSED);
	return params;
}

/* Bounded: an evicted bucket starts full again, which SLUICE_COUNTER_RATE_BUCKETS_NEW shows. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct sluice_rate_key);
	__type(value, __u64);
} sluice_rate_buckets SEC(".maps");

/* Tries to move a bucket on; a racing CPU makes the compare-and-swap fail, and a bucket so
 * contended that every try fails refuses (a flood is what the limit is for). */
#define SLUICE_RATE_TRIES 4

/* Whether the application may make one more connection under rate-limit rule `rule_id`. */
static __always_inline int sluice_rate_admits(__u32 generation, __u32 rule_id, const struct sluice_flow *flow,
					      __u64 cgroup_id)
{
	struct sluice_rate_key key = {
		.cgroup_id = cgroup_id, .exe_ino = flow->exe_ino, .exe_dev = flow->exe_dev, .rule_id = rule_id
	};
	struct sluice_rule_params *rule = sluice_params(generation, rule_id);
	__u64 now = bpf_ktime_get_boot_ns();
	__u64 *arrival;

	if (!rule || !rule->interval_ns)
		return 0;
	arrival = bpf_map_lookup_elem(&sluice_rate_buckets, &key);
	if (!arrival) {
		__u64 next = now + rule->interval_ns;

		/* A full bucket: this connect takes its first token. BPF_NOEXIST lets a racing
		 * CPU's new bucket stand, and this connect then takes from it below. */
		if (bpf_map_update_elem(&sluice_rate_buckets, &key, &next, BPF_NOEXIST) == 0) {
			sluice_count(SLUICE_COUNTER_RATE_BUCKETS_NEW);
			return 1;
		}
		arrival = bpf_map_lookup_elem(&sluice_rate_buckets, &key);
		if (!arrival)
			return 0;
	}
	for (int try = 0; try < SLUICE_RATE_TRIES; try++) {
		__u64 seen = *(volatile __u64 *)arrival;
		__u64 base = seen > now ? seen : now;

		if (base - now > rule->tolerance_ns)
			return 0;
		if (__sync_val_compare_and_swap(arrival, seen, base + rule->interval_ns) == seen)
			return 1;
	}
	return 0;
}

/* ---- Quotas: windowed usage per application and rule ---- */

/* Bounded: an evicted application starts a new window with nothing used. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct sluice_rate_key);
	__type(value, struct sluice_quota_usage);
} sluice_quota_usage SEC(".maps");

/* The application's usage in its current window, opened afresh when the last one is over. Two
 * CPUs may open the same new window at once; each then starts from zero, which forgets at most
 * the few bytes the other added in between. */
static __always_inline struct sluice_quota_usage *sluice_quota_window(const struct sluice_rate_key *key, __u64 window_ns)
{
	__u64 now = bpf_ktime_get_boot_ns();
	struct sluice_quota_usage *usage = bpf_map_lookup_elem(&sluice_quota_usage, key);

	if (!usage) {
		struct sluice_quota_usage fresh = { .window_start_ns = now };

		bpf_map_update_elem(&sluice_quota_usage, key, &fresh, BPF_NOEXIST);
		return bpf_map_lookup_elem(&sluice_quota_usage, key);
	}
	if (now - usage->window_start_ns >= window_ns) {
		usage->window_start_ns = now;
		usage->sent = 0;
		usage->received = 0;
	}
	return usage;
}

/* Whether a windowed quota leaves the application room for one more connection. */
static __always_inline int sluice_quota_admits(__u32 generation, __u32 rule_id, const struct sluice_flow *flow, __u64 cgroup_id)
{
	struct sluice_rate_key key = {
		.cgroup_id = cgroup_id, .exe_ino = flow->exe_ino, .exe_dev = flow->exe_dev, .rule_id = rule_id
	};
	struct sluice_rule_params *params = sluice_params(generation, rule_id);
	struct sluice_quota_usage *usage;

	if (!params)
		return 0;
	if (!params->quota_window_ns)
		return 1;
	usage = sluice_quota_window(&key, params->quota_window_ns);
	if (!usage)
		return 1; /* no memory for a window: the connection's own bytes are still checked */
	if (params->quota_sent && usage->sent >= params->quota_sent)
		return 0;
	if (params->quota_received && usage->received >= params->quota_received)
		return 0;
	return 1;
}
