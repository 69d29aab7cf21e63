/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Bytes and packets of every connection the connect hooks allowed, counted in the kernel.
 *
 * UDP: the cgroup_skb programs add each packet's payload (past the UDP header) to its socket's
 * owner (sluice_owner, sk storage, beside the connect's decision): no per-packet record, no map
 * lookup by address. Packets count as the stack handled them, a GSO packet its segments. IPv6
 * extension headers are not followed (such a packet counts them as payload).
 *
 * Unconnected UDP (sendto on a socket never connected): the sendmsg hooks give the socket an
 * owner at its first allowed send, and its flow is its run of sends to one destination. A send
 * to another destination ends that flow (its final record goes out) and starts the next from
 * zero under the same socket cookie; the socket's release ends the last. Datagrams received
 * count toward the destination the socket last sent to, whoever sent them.
 *
 * TCP: the stack's own RFC 4898 counts, read from the socket when a record is written
 * (sluice_tcp_counts): payload bytes the peer acknowledged, payload received in order,
 * segments each way (retransmitted ones included). Each byte counts once, however often it was
 * sent or dropped on the way.
 *
 * A connection's flow record (struct sluice_flow_event) goes to the decision ring when it ends:
 * TCP when the socket reaches TCP_CLOSE (tp_btf inet_sock_set_state: after the last byte left,
 * whenever the application closed it), UDP when the socket is released (cgroup/sock_release).
 * While it is open the agent reads records of the same layout through the iterators below.
 *
 * Included by sluice.bpf.c after sluice_close.h (sluice_owners) and sluice_dns.h.
 */
#ifndef SLUICE_FLOWS_H
#define SLUICE_FLOWS_H

#define SLUICE_TCP_ESTABLISHED 1 /* enum tcp_state */
#define SLUICE_TCP_CLOSE 7

/* One flow record for the iterators to write: too large for their stack. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sluice_flow_event);
} sluice_flow_scratch SEC(".maps");

/* Where a packet's transport header starts (its offset) and its protocol, read from the IP
 * header in place (the cgroup programs see a packet from its network header on): a few loads,
 * where asking the socket takes a helper call. 0 when the header is not in the linear part.
 * An IPv6 packet's next header is taken as it is: extension headers are not followed (such a
 * packet goes the general way, and a UDP one counts them as payload). */
static __always_inline __u8 sluice_packet_l4(struct __sk_buff *skb, __u32 *offset)
{
	__u8 *data = (__u8 *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;

	if (skb->protocol == bpf_htons(SLUICE_ETH_P_IP)) {
		if ((void *)(data + 20) > end)
			return 0;
		*offset = (data[0] & 0x0f) * 4;
		return data[9];
	}
	if ((void *)(data + 40) > end)
		return 0;
	*offset = 40;
	return data[6];
}

/* Whether an arriving UDP packet may be a DNS answer, read in place: from port 53, or not
 * readable here (a fragment, or a header outside the linear part), which sluice_dns_locate then
 * reads and counts. `l4` as for sluice_udp_payload. */
static __always_inline int sluice_udp_maybe_dns(struct __sk_buff *skb, __u32 l4)
{
	__u8 *data = (__u8 *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;

	if (!l4 || (void *)(data + 20) > end)
		return 1;
	if (skb->protocol == bpf_htons(SLUICE_ETH_P_IP) && ((data[6] & 0x3f) | data[7]) != 0)
		return 1;
	l4 &= 0x3f;
	if ((void *)(data + l4 + 2) > end)
		return 1;
	return data[l4] == 0 && data[l4 + 1] == 53;
}

/* The payload of a UDP packet: its length past the IP and UDP headers. `l4` is where the UDP
 * header starts when sluice_packet_l4 read it, else 0: the IPv4 header's length is read through
 * the helper then. */
static __always_inline __u32 sluice_udp_payload(struct __sk_buff *skb, __u32 l4)
{
	__u32 len = skb->len;
	__u8 byte;

	if (!l4) {
		l4 = 40;
		if (skb->protocol == bpf_htons(SLUICE_ETH_P_IP)) {
			if (bpf_skb_load_bytes(skb, 0, &byte, 1))
				return 0;
			l4 = (byte & 0x0f) * 4;
		}
	}
	l4 += 8;
	return len > l4 ? len - l4 : 0;
}

/* A UDP packet's rarer work, out of line so that the common path stays a few lines of code:
 * a redirected socket's first datagram publishes its origin, and a quota may cut. Returns 0 to
 * drop the packet. */
static __noinline int sluice_udp_guarded(struct __sk_buff *skb, struct sluice_owner *owner, int sent, __u64 payload)
{
	if (sent)
		sluice_redirect_udp_sent(owner, skb);
	return !owner->has_quota ||
	       sluice_quota_packet(owner, (sent ? owner->bytes_sent : owner->bytes_received) + payload, sent);
}

/* Adds one UDP packet to its socket's owner (none: a socket no connect or send hook allowed,
 * the agent's own among them, so no owner is exempt). `sk` is the packet's socket as the skb has
 * it or as bpf_sk_fullsock gave it: the storage helper takes either. `l4` as for
 * sluice_udp_payload. Every field read or added here is on the owner's first cache line (struct
 * sluice_owner). Returns 0 to drop the packet. */
static __always_inline int sluice_count_udp(struct __sk_buff *skb, struct bpf_sock *sk, int sent, __u32 l4)
{
	struct sluice_owner *owner = bpf_sk_storage_get(&sluice_owners, sk, 0, 0);
	__u64 segments, payload;

	if (!owner)
		return 1;
	payload = sluice_udp_payload(skb, l4);
	if ((owner->has_quota || (sent && owner->redirected == SLUICE_REDIRECTED)) &&
	    !sluice_udp_guarded(skb, owner, sent, payload))
		return 0;
	segments = skb->gso_segs;
	if (segments == 0)
		segments = 1;
	if (sent) {
		__sync_fetch_and_add(&owner->bytes_sent, payload);
		__sync_fetch_and_add(&owner->packets_sent, segments);
	} else {
		__sync_fetch_and_add(&owner->bytes_received, payload);
		__sync_fetch_and_add(&owner->packets_received, segments);
	}
	return 1;
}

/* Adds one packet of a full socket to its counts (UDP; TCP keeps exact counts of its own,
 * sluice_tcp_counts), and holds either protocol to its rule's quota. `l4` as for
 * sluice_udp_payload. Returns 0 to drop the packet. */
static __always_inline int sluice_count_packet(struct __sk_buff *skb, struct bpf_sock *sk, int sent, __u32 l4)
{
	struct sluice_owner *owner;
	__u32 protocol = sk->protocol;

	if (protocol == IPPROTO_UDP)
		return sluice_count_udp(skb, sk, sent, l4);
	/* A TCP packet costs an owner lookup only while some rule has a quota; a connection
	 * admitted with one under an earlier generation keeps it only while some rule still has one. */
	if (protocol != IPPROTO_TCP || !sluice_config_has(SLUICE_CONFIG_HAS_QUOTA))
		return 1;
	owner = sluice_owner_get(sk, bpf_get_socket_cookie(skb), 1);
	return !owner || owner->flow.exempt || !owner->has_quota || sluice_quota_tcp(skb, sk, owner, sent);
}

/* A flow record of `owner`'s connection as it stands now. */
static __always_inline void sluice_fill_flow(struct sluice_flow_event *record, const struct sluice_owner *owner,
					     __u8 final)
{
	struct sluice_event *event = &record->event;

	sluice_owner_event(event, owner);
	event->rule_id = owner->rule_id;
	event->generation = owner->generation;
	event->action = owner->action;
	event->flags = owner->event_flags;
	event->hook = SLUICE_HOOK_FLOW;
	record->start_ns = owner->start_ns;
	record->cookie = owner->cookie;
	record->bytes_sent = owner->bytes_sent;
	record->bytes_received = owner->bytes_received;
	record->packets_sent = owner->packets_sent;
	record->packets_received = owner->packets_received;
	record->final = final;
	__builtin_memset(record->pad, 0, sizeof(record->pad));
}

/* A TCP connection's counts from the stack itself, each byte once: a packet counted as it
 * passes may be dropped for want of room and come again, or be sent again (retransmissions,
 * which a busy machine makes even on loopback). Bytes sent are the bytes the peer acknowledged;
 * bytes received, those received in order. Both are sequence space, where a SYN and a FIN count
 * one each: the SYN once the connection is established, our FIN once acknowledged (queued when
 * SEND_SHUTDOWN is set, acknowledged when nothing written is unacknowledged), theirs once
 * arrived (RCV_SHUTDOWN; the application's own shutdown(SHUT_RD) sets it too, and then one byte
 * goes missing). */
static __always_inline void sluice_tcp_counts(struct sluice_flow_event *record, struct sock *sk)
{
	struct tcp_sock *tp = bpf_skc_to_tcp_sock(sk);
	__u64 sent, received;
	__u8 shutdown;

	if (!tp)
		return;
	shutdown = sk->sk_shutdown;
	sent = tp->bytes_acked;
	if (sent > 0)
		sent--; /* the SYN */
	if ((shutdown & 2) && tp->snd_una == tp->write_seq && sent > 0)
		sent--; /* our FIN */
	received = tp->bytes_received;
	if ((shutdown & 1) && received > 0)
		received--; /* their FIN */
	record->bytes_sent = sent;
	record->bytes_received = received;
	record->packets_sent = tp->segs_out;
	record->packets_received = tp->segs_in;
}

/* The final record of a connection, once. */
static __always_inline void sluice_flow_ended(struct sluice_owner *owner, struct sock *tcp)
{
	__u32 zero = 0;
	struct sluice_state *state;
	struct sluice_flow_event *record;

	if (owner->ended || owner->flow.exempt)
		return;
	owner->ended = 1;
	state = bpf_map_lookup_elem(&sluice_state, &zero);
	if (!state || state->event_mode == SLUICE_EVENTS_NONE)
		return;
	record = bpf_ringbuf_reserve(&sluice_events, sizeof(*record), 0);
	if (!record) {
		sluice_count(SLUICE_COUNTER_EVENTS_LOST);
		return;
	}
	sluice_fill_flow(record, owner, 1);
	if (tcp)
		sluice_tcp_counts(record, tcp);
	bpf_ringbuf_submit(record, BPF_RB_NO_WAKEUP); /* the reader polls every 50 ms */
}

/* A socket's owner, made at its first allowed connect or send (zeroed: cookie 0); none for the
 * agent's own sockets, or when out of memory (then this socket is neither counted nor ended later;
 * nothing else changes). */
static __always_inline struct sluice_owner *sluice_owner_for(struct bpf_sock_addr *ctx, const struct sluice_flow *flow)
{
	if (flow->exempt || !ctx->sk)
		return 0;
	return bpf_sk_storage_get(&sluice_owners, ctx->sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
}

/* A TCP socket's owner, by its cookie (sluice_tcp_owners); 0 when the map has no room. A TCP
 * socket connected again (after a failed connect) had its entry removed at TCP_CLOSE. */
static __always_inline int sluice_remember_tcp_owner(struct bpf_sock_addr *ctx, const struct sluice_flow *flow,
						     const struct sluice_decision *decision)
{
	__u32 zero = 0;
	struct sluice_owner *owner = bpf_map_lookup_elem(&sluice_owner_scratch, &zero);

	if (!owner)
		return 0;
	__builtin_memset(owner, 0, sizeof(*owner)); /* the previous connect's quota and redirect fields */
	sluice_owner_init(owner, ctx, flow, decision, 0);
	return bpf_map_update_elem(&sluice_tcp_owners, &owner->cookie, owner, BPF_ANY) == 0;
}

/* After a connect the hooks allowed: the socket's flow from here. A UDP socket connected again
 * (or connected after sending unconnected) ends its previous flow first if it moved anything, so
 * no count is lost and a socket connected over and over without traffic writes no records. */
static __always_inline void sluice_remember_owner(struct bpf_sock_addr *ctx, const struct sluice_flow *flow,
						  const struct sluice_decision *decision)
{
	struct sluice_owner *owner;

	if (flow->exempt || !ctx->sk)
		return;
	if (ctx->protocol == IPPROTO_TCP && sluice_remember_tcp_owner(ctx, flow, decision))
		return;
	owner = sluice_owner_for(ctx, flow);

	if (!owner)
		return;
	if (owner->cookie && ctx->protocol == IPPROTO_UDP && (owner->packets_sent || owner->packets_received))
		sluice_flow_ended(owner, 0);
	sluice_owner_init(owner, ctx, flow, decision, 0);
}

/* After a send the sendmsg hooks allowed (sendto with an address). A socket never connected is
 * counted from its first send, one flow per run of sends to one destination; a connected socket
 * keeps its connect's flow. One storage lookup per send; a record only when the destination
 * changes. */
static __always_inline void sluice_remember_sender(struct bpf_sock_addr *ctx, const struct sluice_flow *flow,
						   const struct sluice_decision *decision)
{
	struct sluice_owner *owner = sluice_owner_for(ctx, flow);

	if (!owner)
		return;
	if (owner->cookie) {
		if (!owner->unconnected)
			return;
		if (owner->flow.port == flow->port && owner->flow.family == flow->family &&
		    !__builtin_memcmp(owner->flow.addr, flow->addr, 16))
			return;
		sluice_flow_ended(owner, 0);
	}
	sluice_owner_init(owner, ctx, flow, decision, 1);
}

/* A TCP packet matters here only to a quota (its counts come from the socket), and most stop
 * before any helper call: most of a connect+accept+close's dozen packets are TCP. */
SEC("cgroup_skb/egress")
int sluice_egress(struct __sk_buff *skb)
{
	struct bpf_sock *sk = skb->sk;
	__u32 l4 = 0;
	__u8 protocol;

	if (!sk)
		return 1;
	protocol = sluice_packet_l4(skb, &l4);
	/* A UDP socket is always a full socket, and the storage helper checks that itself: no
	 * bpf_sk_fullsock call on the way. */
	if (protocol == IPPROTO_UDP)
		return sluice_count_udp(skb, sk, 1, l4);
	if (protocol == IPPROTO_TCP && !sluice_config_has(SLUICE_CONFIG_HAS_QUOTA))
		return 1;
	sk = bpf_sk_fullsock(sk);
	if (!sk)
		return 1;
	return sluice_count_packet(skb, sk, 1, l4);
}

/* Every arriving packet of the cgroup's sockets: counted, and read if it is a DNS answer. A
 * socket connected to a port other than 53 (a TCP connection, a QUIC or other connected UDP
 * socket) receives from that peer only, and a listening TCP socket only handshakes: neither
 * gets a DNS answer, and most packets stop there. */
SEC("cgroup_skb/ingress")
int sluice_ingress(struct __sk_buff *skb)
{
	struct bpf_sock *sk = skb->sk;
	__u32 peer_port, l4 = 0;
	__u8 protocol;

	if (!sk)
		return 1;
	/* A TCP connection's packet stops here as it would below, without a helper call: the peer's
	 * port is on the socket's common part. A listener's (no peer) takes the general way. */
	peer_port = sk->dst_port;
	protocol = sluice_packet_l4(skb, &l4);
	if (protocol == IPPROTO_TCP && peer_port != bpf_htons(53) && peer_port != 0 &&
	    !sluice_config_has(SLUICE_CONFIG_HAS_QUOTA))
		return 1;
	/* UDP that cannot be a DNS answer is counted without bpf_sk_fullsock, as on egress: to a
	 * socket connected elsewhere than port 53, or to an unconnected one from another port. */
	if (protocol == IPPROTO_UDP && peer_port != bpf_htons(53) && (peer_port != 0 || !sluice_udp_maybe_dns(skb, l4)))
		return sluice_count_udp(skb, sk, 0, l4);
	sk = bpf_sk_fullsock(sk);
	if (!sk)
		return 1;
	if (!sluice_count_packet(skb, sk, 0, l4))
		return 0;
	if (peer_port != bpf_htons(53) && (peer_port != 0 || sk->protocol == IPPROTO_TCP))
		return 1; /* a TCP answer comes to a socket connected to port 53, never a listener */
	sluice_dns_read(skb, sk);
	return 1;
}

/* TCP: the connection is over when its socket reaches TCP_CLOSE (from any state: after the
 * FIN handshake, a reset, a refused connect). Later bytes cannot exist. */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(sluice_tcp_state, struct sock *sk, int oldstate, int newstate)
{
	struct sluice_owner *owner;
	__u64 cookie;

	if (newstate != SLUICE_TCP_CLOSE &&
	    (newstate != SLUICE_TCP_ESTABLISHED || !sluice_config_has(SLUICE_CONFIG_HAS_REDIRECT)))
		return 0;
	cookie = sk->__sk_common.skc_cookie.counter;
	owner = sluice_owner_get(sk, cookie, 1);
	if (!owner)
		return 0;
	if (newstate == SLUICE_TCP_ESTABLISHED) {
		sluice_redirect_established(owner, sk);
		return 0;
	}
	sluice_redirect_ended(owner);
	sluice_flow_ended(owner, sk);
	bpf_map_delete_elem(&sluice_tcp_owners, &cookie); /* a miss when it was in sluice_owners */
	return 0;
}

/* UDP: the socket's last close. TCP sockets end in sluice_tcp_state instead: at close() their
 * last bytes may not have left yet. A TCP socket still in TCP_CLOSE here never reached it by a
 * state change (its connect failed before SYN_SENT): no tracer saw it end, so its owner's entry
 * goes here. */
SEC("cgroup/sock_release")
int sluice_sock_release(struct bpf_sock *ctx)
{
	struct sluice_owner *owner;
	__u64 cookie;

	if (ctx->protocol == IPPROTO_TCP && ctx->state == SLUICE_TCP_CLOSE) {
		cookie = bpf_get_socket_cookie(ctx);
		bpf_map_delete_elem(&sluice_tcp_owners, &cookie);
	}
	if (ctx->protocol != IPPROTO_UDP)
		return 1;
	owner = bpf_sk_storage_get(&sluice_owners, ctx, 0, 0);
	if (owner) {
		sluice_redirect_ended(owner);
		sluice_flow_ended(owner, 0);
	}
	return 1;
}

/* The open connections' records as they stand, written to the iterator's reader. */
static __always_inline int sluice_flow_now(struct seq_file *seq, struct sock *sk, int tcp)
{
	__u32 zero = 0;
	struct sluice_owner *owner = sluice_owner_of_sock(sk, tcp);
	struct sluice_flow_event *record;

	if (!owner || owner->ended || owner->flow.exempt)
		return 0;
	record = bpf_map_lookup_elem(&sluice_flow_scratch, &zero);
	if (!record)
		return 0;
	sluice_fill_flow(record, owner, 0);
	if (tcp)
		sluice_tcp_counts(record, sk);
	bpf_seq_write(seq, record, sizeof(*record));
	return 0;
}

SEC("iter/tcp")
int sluice_flows_tcp(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;
	struct tcp_sock *tp;

	if (!skc)
		return 0;
	tp = bpf_skc_to_tcp_sock(skc);
	if (!tp)
		return 0;
	return sluice_flow_now(ctx->meta->seq, (struct sock *)tp, 1);
}

SEC("iter/udp")
int sluice_flows_udp(struct bpf_iter__udp *ctx)
{
	struct udp_sock *udp = ctx->udp_sk;

	if (!udp)
		return 0;
	return sluice_flow_now(ctx->meta->seq, (struct sock *)udp, 0);
}

#endif /* SLUICE_FLOWS_H */
