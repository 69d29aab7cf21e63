/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Ending open connections that a new policy generation denies.
 *
 * A connect decides once; a TCP connection or connected UDP socket made under an older
 * generation would otherwise outlive any later deny. So the connect hooks remember what they
 * decided with (the socket's owner): the destination as decided, the executable, the cgroup and
 * who connected; UDP on the socket (sk storage), TCP by socket cookie (sluice_tcp_owners).
 * After each apply the agent runs the socket iterators below (iter/tcp, iter/udp); each
 * re-decides every remembered socket with the same sluice_resolve() the hooks use, and ends
 * the ones now denied with the kfunc bpf_sock_destroy (kernel 6.5+): TCP gets ECONNABORTED and
 * the peer a reset, UDP gets ECONNABORTED and is disconnected.
 *
 * The iterators need kfuncs older kernels lack; user space loads them only where the kernel has
 * them (the kfuncs are weak, so the rest of the object loads anywhere) and reports otherwise.
 *
 * Included by sluice.bpf.c after sluice_resolve() and before the connect hooks.
 */
#ifndef SLUICE_CLOSE_H
#define SLUICE_CLOSE_H

struct seq_file;

struct sluice_in6_addr {
	__u8 bytes[16];
};

/* A socket's network namespace (sluice_dns.h): who owns it. */
struct user_namespace {
	int level; /* 0: the initial user namespace */
} __attribute__((preserve_access_index));

struct net {
	struct user_namespace *user_ns; /* the user namespace that owns this network namespace */
} __attribute__((preserve_access_index));

typedef struct {
	struct net *net; /* absent without CONFIG_NET_NS */
} possible_net_t;

/* atomic64_t: CO-RE matches a struct member by kind, not by the type's name. */
typedef struct {
	__s64 counter;
} sluice_atomic64_t;

struct sock_common {
	possible_net_t skc_net;
	sluice_atomic64_t skc_cookie; /* 0 until someone asked for it: connect4/6 did for an owned socket */
	unsigned short skc_family;
	__u32 skc_rcv_saddr;   /* the local IPv4 address, network order */
	__u16 skc_num;         /* the local port, host order */
	struct sluice_in6_addr skc_v6_rcv_saddr;
} __attribute__((preserve_access_index));

struct sock {
	struct sock_common __sk_common;
	__u8 sk_shutdown; /* RCV_SHUTDOWN (1) once a FIN arrived, SEND_SHUTDOWN (2) once one was
			   * queued (sluice_flows.h) */
} __attribute__((preserve_access_index));

struct tcp_sock {
	/* RFC 4898 counts the stack keeps (sluice_flows.h): sequence space acknowledged by the peer
	 * and received in order (payload, and a SYN or FIN as one each), segments each way. */
	__u64 bytes_acked;
	__u64 bytes_received;
	__u32 segs_in;
	__u32 segs_out;
	__u32 snd_una;
	__u32 write_seq;
} __attribute__((preserve_access_index));

struct udp_sock {
	int pending;
} __attribute__((preserve_access_index));

struct bpf_iter_meta {
	struct seq_file *seq;
	__u64 session_id;
	__u64 seq_num;
} __attribute__((preserve_access_index));

struct bpf_iter__tcp {
	struct bpf_iter_meta *meta;
	struct sock_common *sk_common;
} __attribute__((preserve_access_index));

struct bpf_iter__udp {
	struct bpf_iter_meta *meta;
	struct udp_sock *udp_sk;
} __attribute__((preserve_access_index));

extern int bpf_sock_destroy(struct sock_common *sk) __ksym __weak;
extern struct cgroup *bpf_cgroup_from_id(__u64 cgid) __ksym __weak;
extern struct cgroup *bpf_cgroup_ancestor(struct cgroup *cgrp, int level) __ksym __weak;
extern void bpf_cgroup_release(struct cgroup *cgrp) __ksym __weak;

/* What a connect hook decided a socket with, and its traffic since (sluice_flows.h). */
struct sluice_owner {
	/* What every UDP packet reads and adds to comes first: socket storage keeps its map pointer
	 * at the start of a cache line with the value right after it, so one line serves the
	 * storage's own check and the count, where a packet between two 64 KiB sends finds every
	 * line cold. Added to from any CPU (egress in the sender's context, ingress in softirq):
	 * atomics. */
	__u64 bytes_sent;
	__u64 bytes_received;
	__u64 packets_sent;
	__u64 packets_received;
	__u8 redirected; /* 0, or SLUICE_REDIRECTED / SLUICE_REDIRECT_PUBLISHED (sluice_redirect.h) */
	__u8 has_quota;  /* the deciding rule has a quota (sluice_quota.h) */
	__u8 ended;      /* the final flow record is written: never a second */
	__u8 unconnected; /* made by a sendmsg hook: a UDP socket that sends with sendto (sluice_flows.h) */
	__u8 action;
	__u8 event_flags;
	__u8 pad[2];
	struct sluice_flow flow;
	__u64 cgroup_id; /* the connecting task's cgroup (not the socket creator's) */
	__u32 pid;
	__u32 uid;
	char comm[16];
	__u64 start_ns;  /* CLOCK_BOOTTIME of the connect */
	__u64 cookie;
	__u32 rule_id;   /* the connect's decision, for flow records */
	__u32 generation;
	struct sluice_redirect_key redirect_key; /* its sluice_redirects entry, once published */
	__u32 quota_state; /* SLUICE_QUOTA_*: compare-and-swap, so a cut is reported once */
	__u64 quota_sent;  /* the rule's quota, copied at connect: a later generation may drop it */
	__u64 quota_received;
	__u64 quota_window_ns;
	__u64 sent_end;     /* the byte stream's end as far as sent (TCP: sequence, without resends) */
	__u64 received_end;
};

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct sluice_owner);
} sluice_owners SEC(".maps");

/* TCP sockets' owners, by socket cookie. Every TCP connect makes a new socket, and the first
 * sk storage on a socket costs two memcg-charged kmallocs and their RCU frees later: about 1 us
 * of a 40 us loopback connect+accept+close. An entry here comes from the map's per-CPU cache.
 * The entry goes when the socket reaches TCP_CLOSE (sluice_tcp_state), or at its release if it
 * never left TCP_CLOSE (a connect that failed before SYN_SENT). When the map is full a
 * socket's owner goes to sluice_owners as before, so its size bounds nothing but the saving; it
 * is small so that its buckets (16 bytes each, touched at random) stay in cache (262,144
 * entries: 1,373 against 1,215 ns per connect4 run in one A/B, docs/benchmarks.md). */
#define SLUICE_TCP_OWNERS 16384

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, SLUICE_TCP_OWNERS);
	__type(key, __u64);
	__type(value, struct sluice_owner);
} sluice_tcp_owners SEC(".maps");

/* An owner is built here before it is copied in: too large for the connect hook's stack. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sluice_owner);
} sluice_owner_scratch SEC(".maps");

/* The owner of socket `sk` (any pointer bpf_sk_storage_get takes in the calling program) whose
 * cookie is `cookie`; `tcp` says which store to ask first. */
static __always_inline struct sluice_owner *sluice_owner_get(void *sk, __u64 cookie, int tcp)
{
	struct sluice_owner *owner;

	if (tcp && cookie) {
		owner = bpf_map_lookup_elem(&sluice_tcp_owners, &cookie);
		if (owner)
			return owner;
	}
	return bpf_sk_storage_get(&sluice_owners, sk, 0, 0);
}

/* The owner of a socket the kernel hands a tracing or iterator program. Reads the cookie
 * rather than asking for it: most sockets have none, and asking would make one. */
static __always_inline struct sluice_owner *sluice_owner_of_sock(struct sock *sk, int tcp)
{
	return sluice_owner_get(sk, tcp ? (__u64)sk->__sk_common.skc_cookie.counter : 0, tcp);
}

/* Scratch for one re-decision: too large for the iterator's stack. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sluice_ancestors);
} sluice_close_scratch SEC(".maps");

/* Fills a socket's owner with a decision that allowed it: a connect (or, for an unconnected UDP
 * socket, a send; sluice_flows.h looks the storage up and ends the socket's previous flow). */
static __always_inline void sluice_owner_init(struct sluice_owner *owner, struct bpf_sock_addr *ctx,
					      const struct sluice_flow *flow,
					      const struct sluice_decision *decision, __u8 unconnected)
{
	struct task_struct *task = bpf_get_current_task_btf();

	owner->flow = *flow;
	owner->cgroup_id = task->cgroups->dfl_cgrp->kn->id;
	owner->pid = task->tgid;
	owner->uid = task->cred->uid.val;
	__builtin_memcpy(owner->comm, task->comm, sizeof(owner->comm));
	/* A socket connected again (UDP may) starts a new flow. */
	owner->start_ns = decision->now_ns ? decision->now_ns : bpf_ktime_get_boot_ns();
	owner->cookie = bpf_get_socket_cookie(ctx);
	owner->rule_id = decision->verdict.rule_id;
	owner->generation = decision->generation;
	owner->action = decision->verdict.action;
	owner->event_flags = decision->flags;
	owner->ended = 0;
	owner->unconnected = unconnected;
	owner->redirected = !unconnected && decision->verdict.action == SLUICE_ACTION_REDIRECT &&
					    (decision->flags & SLUICE_EVENT_ENFORCED)
				    ? 1 /* SLUICE_REDIRECTED */
				    : 0;
	owner->bytes_sent = 0;
	owner->bytes_received = 0;
	owner->packets_sent = 0;
	owner->packets_received = 0;
	owner->quota_state = 0;
	owner->sent_end = 0;
	owner->received_end = 0;
	owner->has_quota = 0;
	if (decision->verdict.flags & SLUICE_VERDICT_QUOTA) {
		struct sluice_rule_params *params = sluice_params(decision->generation, decision->verdict.rule_id);

		if (params) {
			owner->has_quota = 1;
			owner->quota_sent = params->quota_sent;
			owner->quota_received = params->quota_received;
			owner->quota_window_ns = params->quota_window_ns;
		}
	}
}

static __always_inline __u64 sluice_ancestor_id(struct cgroup *cgrp, __u8 level)
{
	struct cgroup *ancestor = bpf_cgroup_ancestor(cgrp, level);
	__u64 id;

	if (!ancestor)
		return 0; /* the cgroup sits above this depth */
	id = ancestor->kn->id;
	bpf_cgroup_release(ancestor);
	return id;
}

/* The owner's cgroup ancestors at the depths the generation has subjects at; all zero when the
 * cgroup is gone (then only executable subjects and the node decide, as for a caller above
 * every subject's depth). */
static __always_inline void sluice_owner_ancestors(const struct sluice_config *config, __u64 cgroup_id,
						   struct sluice_ancestors *out)
{
	struct cgroup *cgrp = bpf_cgroup_from_id(cgroup_id);

	for (int i = 0; i < SLUICE_MAX_CGROUP_LEVELS; i++) {
		out->exe_cgroup[i] = 0;
		out->cgroup[i] = 0;
		if (!cgrp)
			continue;
		if (i < config->exe_cgroup_level_count)
			out->exe_cgroup[i] = sluice_ancestor_id(cgrp, config->exe_cgroup_levels[i]);
		if (i < config->cgroup_level_count)
			out->cgroup[i] = sluice_ancestor_id(cgrp, config->cgroup_levels[i]);
	}
	if (cgrp)
		bpf_cgroup_release(cgrp);
}

/* An event record about `owner`'s socket: who connected it, where to, now. The caller sets the
 * rule, generation, action, flags and hook. */
static __always_inline void sluice_owner_event(struct sluice_event *event, const struct sluice_owner *owner)
{
	event->timestamp_ns = bpf_ktime_get_boot_ns();
	event->cgroup_id = owner->cgroup_id;
	event->exe_ino = owner->flow.exe_ino;
	event->exe_dev = owner->flow.exe_dev;
	event->pid = owner->pid;
	event->uid = owner->uid;
	event->dst_port = owner->flow.port;
	event->protocol = owner->flow.protocol;
	event->family = owner->flow.family;
	__builtin_memcpy(event->dst_addr, owner->flow.addr, 16);
	event->intel = owner->flow.intel;
	event->intel_id = owner->flow.intel_id;
	__builtin_memcpy(event->comm, owner->comm, sizeof(event->comm));
	event->dst_name_id = owner->flow.name_id;
}

static __always_inline void sluice_emit_closed(const struct sluice_state *state,
					       const struct sluice_config *config,
					       const struct sluice_owner *owner,
					       const struct sluice_verdict *verdict, __u8 flags, __u8 hook)
{
	struct sluice_event *event;

	if (state->event_mode == SLUICE_EVENTS_NONE)
		return;
	event = bpf_ringbuf_reserve(&sluice_events, sizeof(*event), 0);
	if (!event) {
		sluice_count(SLUICE_COUNTER_EVENTS_LOST);
		return;
	}
	sluice_owner_event(event, owner);
	/* Ended by the policy's new generation, not by a feed. */
	event->intel = 0;
	event->intel_id = 0;
	event->rule_id = verdict->rule_id;
	event->generation = config->generation;
	event->action = verdict->action;
	event->flags = flags;
	event->hook = hook;
	bpf_ringbuf_submit(event, 0);
}

/* Re-decides one socket under the active generation; ends it when that is an enforced deny of
 * a policy that does not keep open connections. Writes one byte to the iterator's output per
 * socket ended, so the agent counts them by reading. */
static __always_inline int sluice_close_if_denied(struct seq_file *seq, struct sock *sk,
						  struct sock_common *skc, __u8 hook)
{
	__u32 zero = 0;
	struct sluice_owner *owner = sluice_owner_of_sock(sk, hook == SLUICE_HOOK_CLOSE_TCP);
	struct sluice_state *state;
	struct sluice_config *config;
	struct sluice_ancestors *ancestors;
	struct sluice_verdict verdict = { .action = SLUICE_ACTION_ALLOW };
	struct sluice_flow flow;
	struct sluice_dns_decided *decided;
	__u8 by_default = 0;
	__u8 flags = SLUICE_EVENT_CLOSED | SLUICE_EVENT_ENFORCED;
	__u32 slot;
	char mark = 1;

	if (!owner)
		return 0; /* not connected through Sluice's hooks (or by the agent) */
	if (owner->quota_state == 2 /* SLUICE_QUOTA_CUT: its packets are dropped already */) {
		if (bpf_sock_destroy(skc) == 0)
			bpf_seq_write(seq, &mark, 1);
		return 0;
	}
	if (owner->unconnected)
		return 0; /* each of its sends is decided under the generation it is sent in */
	state = bpf_map_lookup_elem(&sluice_state, &zero);
	ancestors = bpf_map_lookup_elem(&sluice_close_scratch, &zero);
	if (!state || !ancestors)
		return 0;
	slot = state->active_slot & 1;
	config = bpf_map_lookup_elem(&sluice_config, &slot);
	if (!config)
		return 0;
	flow = owner->flow;
	decided = sluice_flow_names(owner->cgroup_id, slot, config->generation, &flow, 1, 0);
	sluice_owner_ancestors(config, owner->cgroup_id, ancestors);
	sluice_resolve(config, slot, &flow, ancestors, decided, &verdict, &by_default);
	if (verdict.action != SLUICE_ACTION_DENY ||
	    (verdict.flags & (SLUICE_VERDICT_MONITOR | SLUICE_VERDICT_KEEP_OPEN)))
		return 0;
	if (bpf_sock_destroy(skc) != 0)
		return 0;
	sluice_count(SLUICE_COUNTER_CLOSED);
	if (by_default)
		flags |= SLUICE_EVENT_DEFAULT;
	if (flow.mapped)
		flags |= SLUICE_EVENT_MAPPED;
	if (!flow.has_exe)
		flags |= SLUICE_EVENT_NO_EXE;
	if (flow.unspecified)
		flags |= SLUICE_EVENT_UNSPECIFIED;
	sluice_emit_closed(state, config, owner, &verdict, flags, hook);
	bpf_seq_write(seq, &mark, 1);
	return 0;
}

SEC("iter/tcp")
int sluice_close_tcp(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;
	struct tcp_sock *tp;

	if (!skc)
		return 0;
	tp = bpf_skc_to_tcp_sock(skc); /* NULL for time-wait and request sockets */
	if (!tp)
		return 0;
	return sluice_close_if_denied(ctx->meta->seq, (struct sock *)tp, skc, SLUICE_HOOK_CLOSE_TCP);
}

SEC("iter/udp")
int sluice_close_udp(struct bpf_iter__udp *ctx)
{
	struct udp_sock *udp = ctx->udp_sk;

	if (!udp)
		return 0;
	return sluice_close_if_denied(ctx->meta->seq, (struct sock *)udp, (struct sock_common *)udp,
				      SLUICE_HOOK_CLOSE_UDP);
}

#endif /* SLUICE_CLOSE_H */
