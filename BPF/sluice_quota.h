/* sluice_quota.h — quotas on allow and alert rules: a connection whose bytes pass its rule's
 * quota (per connection, or per application per window) is cut. The packet that would pass the
 * limit is dropped, and every one after it; the event tells the agent, whose closing iterator
 * then ends the socket (a reset to the peer, ECONNABORTED to the application). Included by
 * sluice.bpf.c after sluice_close.h (struct sluice_owner) and before sluice_flows.h. */

/* sluice_owner.quota_state */
#define SLUICE_QUOTA_REPORTED 1 /* monitor mode: reported once, never cut */
#define SLUICE_QUOTA_CUT 2

/* Where a TCP segment's payload starts in the byte stream (its sequence number) and how long
 * it is, read from its headers; 0 when they cannot be read. */
static __always_inline int sluice_tcp_segment(struct __sk_buff *skb, __u32 *seq, __u32 *payload)
{
	__u32 offset;
	__u8 byte;

	if (skb->protocol == bpf_htons(0x0800 /* ETH_P_IP */)) {
		if (bpf_skb_load_bytes(skb, 0, &byte, 1))
			return 0;
		offset = (byte & 0x0f) * 4;
	} else {
		/* IPv6 with TCP right behind the fixed header; extension headers are not read. */
		if (bpf_skb_load_bytes(skb, 6, &byte, 1) || byte != IPPROTO_TCP)
			return 0;
		offset = 40;
	}
	if (bpf_skb_load_bytes(skb, offset + 4, seq, 4) || bpf_skb_load_bytes(skb, offset + 12, &byte, 1))
		return 0;
	offset += (byte >> 4) * 4;
	if (skb->len < offset)
		return 0;
	*seq = bpf_ntohl(*seq);
	*payload = skb->len - offset;
	return 1;
}

/* A cut, once: the packet is dropped and the event asks the agent to end the socket. In
 * monitor mode it is reported once and nothing is dropped. */
static __always_inline int sluice_quota_cut(struct sluice_owner *owner)
{
	int enforced = owner->event_flags & SLUICE_EVENT_ENFORCED;
	__u32 next = enforced ? SLUICE_QUOTA_CUT : SLUICE_QUOTA_REPORTED;
	struct sluice_event *event;

	if (__sync_val_compare_and_swap(&owner->quota_state, 0, next) != 0)
		return !enforced;
	sluice_count(SLUICE_COUNTER_QUOTA);
	event = bpf_ringbuf_reserve(&sluice_events, sizeof(*event), 0);
	if (event) {
		sluice_owner_event(event, owner);
		event->rule_id = owner->rule_id;
		event->generation = owner->generation;
		event->action = SLUICE_ACTION_QUOTA;
		event->flags = owner->event_flags;
		event->hook = SLUICE_HOOK_QUOTA;
		bpf_ringbuf_submit(event, BPF_RB_FORCE_WAKEUP); /* the agent ends the socket at once */
	} else {
		sluice_count(SLUICE_COUNTER_EVENTS_LOST);
	}
	return !enforced;
}

/* Checks one packet whose payload ends `end` bytes into the direction's stream. Returns 0 to
 * drop it. A resent packet (ending where the stream already was) costs nothing new. */
static __always_inline int sluice_quota_packet(struct sluice_owner *owner, __u64 end, int sent)
{
	__u64 limit = sent ? owner->quota_sent : owner->quota_received;
	__u64 mark = sent ? owner->sent_end : owner->received_end;
	__u64 delta;

	if (owner->quota_state == SLUICE_QUOTA_CUT)
		return 0;
	if (!limit || end <= mark)
		return 1;
	delta = end - mark;
	if (owner->quota_window_ns) {
		struct sluice_rate_key key = { .cgroup_id = owner->cgroup_id, .exe_ino = owner->flow.exe_ino,
					       .exe_dev = owner->flow.exe_dev, .rule_id = owner->rule_id };
		struct sluice_quota_usage *usage = sluice_quota_window(&key, owner->quota_window_ns);

		if (usage) {
			if ((sent ? usage->sent : usage->received) + delta > limit) {
				/* Spent: the application's new connections are refused until the window turns. */
				if (sent)
					usage->sent = limit;
				else
					usage->received = limit;
				return sluice_quota_cut(owner);
			}
			if (sent)
				__sync_fetch_and_add(&usage->sent, delta);
			else
				__sync_fetch_and_add(&usage->received, delta);
		}
	} else if (end > limit) {
		return sluice_quota_cut(owner);
	}
	if (sent)
		owner->sent_end = end;
	else
		owner->received_end = end;
	return 1;
}

/* A TCP packet of a socket with a quota: where its payload ends in the stream, from the
 * stack's own counts (acknowledged or received in order) and the packet's sequence number, so
 * resent data is not counted twice. The ingress hook runs before TCP reads the packet and the
 * egress hook before snd_nxt moves past it. */
static __always_inline int sluice_quota_tcp(struct __sk_buff *skb, struct bpf_sock *sk, struct sluice_owner *owner,
					    int sent)
{
	struct bpf_tcp_sock *tp = bpf_tcp_sock(sk);
	__u32 seq, payload;
	__s64 relative;
	__u64 before;

	/* Packets without payload always pass: the reset that ends a cut connection is one. */
	if (!tp || !sluice_tcp_segment(skb, &seq, &payload) || payload == 0)
		return 1;
	if (sent) {
		if (tp->bytes_acked == 0)
			return 1; /* data with the SYN (TCP Fast Open) is not counted */
		before = tp->bytes_acked - 1; /* the SYN */
		relative = (__s32)(seq + payload - tp->snd_una);
	} else {
		before = tp->bytes_received;
		relative = (__s32)(seq + payload - tp->rcv_nxt);
	}
	return sluice_quota_packet(owner, (__u64)((__s64)before + relative), sent);
}
