/* sluice_redirect.h — the redirect verdict: a connect goes to the rule's local target instead,
 * the client's getpeername() (and a connected UDP socket's recvfrom()) still shows where it
 * meant to go, and the target looks that up in sluice_redirects by the client's address and
 * port. Included by sluice.bpf.c after sluice_close.h (struct sluice_owner). */

/* Pinned, so a proxy behind the target can read it (README: redirect). Bounded: an entry lives
 * while its connection does, and the LRU drops the oldest of a flood. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct sluice_redirect_key);
	__type(value, struct sluice_redirect_origin);
} sluice_redirects SEC(".maps");

/* sluice_owner.redirected */
#define SLUICE_REDIRECTED 1 /* connected to the target; not yet in sluice_redirects */
#define SLUICE_REDIRECT_PUBLISHED 2

/* Points an IPv4 connect at the rule's target. 0 when it cannot go there: no parameters, or an
 * IPv6 target, which an IPv4 socket cannot reach (the connect then fails closed). */
static __always_inline int sluice_redirect4(struct bpf_sock_addr *ctx, const struct sluice_decision *decision)
{
	struct sluice_rule_params *params = sluice_params(decision->generation, decision->verdict.rule_id);
	__u32 ip;

	if (!params || params->redirect_family != 4)
		return 0;
	__builtin_memcpy(&ip, params->redirect_addr, 4);
	ctx->user_ip4 = ip;
	ctx->user_port = bpf_htons(params->redirect_port);
	return 1;
}

/* Points an IPv6 socket's connect at the target: an IPv4 target as ::ffff:a.b.c.d. */
static __always_inline int sluice_redirect6(struct bpf_sock_addr *ctx, const struct sluice_decision *decision)
{
	struct sluice_rule_params *params = sluice_params(decision->generation, decision->verdict.rule_id);
	__u32 w[4];

	if (!params)
		return 0;
	if (params->redirect_family == 4) {
		w[0] = 0;
		w[1] = 0;
		w[2] = bpf_htonl(0x0000ffff);
		__builtin_memcpy(&w[3], params->redirect_addr, 4);
	} else {
		__builtin_memcpy(w, params->redirect_addr, 16);
	}
	ctx->user_ip6[0] = w[0];
	ctx->user_ip6[1] = w[1];
	ctx->user_ip6[2] = w[2];
	ctx->user_ip6[3] = w[3];
	ctx->user_port = bpf_htons(params->redirect_port);
	return 1;
}

/* Records a redirected connection under the client's own address and port, as the target sees
 * its peer: an IPv4-mapped address is keyed as IPv4. */
static __always_inline void sluice_redirect_publish(struct sluice_owner *owner, __u8 protocol, __u8 family,
						    const __u8 *addr, __u16 port)
{
	struct sluice_redirect_key key = { .protocol = protocol, .port = port };
	struct sluice_redirect_origin origin = {};
	__u32 w2;

	__builtin_memcpy(&w2, addr + 8, 4);
	if (family == 6 && w2 == bpf_htonl(0x0000ffff)) {
		__u32 a = 0, b = 0;

		__builtin_memcpy(&a, addr, 4);
		__builtin_memcpy(&b, addr + 4, 4);
		if ((a | b) == 0) {
			family = 4;
			addr += 12;
		}
	}
	key.family = family;
	if (family == 4)
		__builtin_memcpy(key.addr, addr, 4);
	else
		__builtin_memcpy(key.addr, addr, 16);
	__builtin_memcpy(origin.addr, owner->flow.addr, 16);
	origin.port = owner->flow.port;
	origin.family = owner->flow.family;
	origin.cookie = owner->cookie;
	owner->redirect_key = key;
	owner->redirected = SLUICE_REDIRECT_PUBLISHED;
	bpf_map_update_elem(&sluice_redirects, &key, &origin, BPF_ANY);
}

/* A TCP connection's entry, once established (its port is bound by then, and the target cannot
 * accept it before the client's last handshake packet, sent after this). */
static __always_inline void sluice_redirect_established(struct sluice_owner *owner, struct sock *sk)
{
	__u8 addr[16] = {};
	__u32 ip;

	if (owner->redirected != SLUICE_REDIRECTED)
		return;
	if (sk->__sk_common.skc_family == 2 /* AF_INET */) {
		ip = sk->__sk_common.skc_rcv_saddr;
		__builtin_memcpy(addr, &ip, 4);
		sluice_redirect_publish(owner, IPPROTO_TCP, 4, addr, sk->__sk_common.skc_num);
	} else {
		bpf_probe_read_kernel(addr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
		sluice_redirect_publish(owner, IPPROTO_TCP, 6, addr, sk->__sk_common.skc_num);
	}
}

/* A connected UDP socket's entry, at its first datagram: its port is bound by then. */
static __always_inline void sluice_redirect_udp_sent(struct sluice_owner *owner, struct __sk_buff *skb)
{
	__u8 addr[16] = {};
	__u32 w[4];

	if (owner->redirected != SLUICE_REDIRECTED)
		return;
	if (skb->family == 2 /* AF_INET */) {
		w[0] = skb->local_ip4;
		__builtin_memcpy(addr, w, 4);
		sluice_redirect_publish(owner, IPPROTO_UDP, 4, addr, (__u16)skb->local_port);
	} else {
		w[0] = skb->local_ip6[0];
		w[1] = skb->local_ip6[1];
		w[2] = skb->local_ip6[2];
		w[3] = skb->local_ip6[3];
		__builtin_memcpy(addr, w, 16);
		sluice_redirect_publish(owner, IPPROTO_UDP, 6, addr, (__u16)skb->local_port);
	}
}

/* The connection is over: its entry goes (its port may serve another connection next). */
static __always_inline void sluice_redirect_ended(struct sluice_owner *owner)
{
	if (owner->redirected != SLUICE_REDIRECT_PUBLISHED)
		return;
	bpf_map_delete_elem(&sluice_redirects, &owner->redirect_key);
	owner->redirected = 0;
}

/* What a redirected socket's peer address reads as: where the client connected to. */
static __always_inline int sluice_original_peer(struct bpf_sock_addr *ctx, int ipv6)
{
	struct sluice_owner *owner;
	__u32 w[4] = {};
	int tcp;

	if (!ctx->sk)
		return 1;
	tcp = ctx->protocol == IPPROTO_TCP;
	owner = sluice_owner_get(ctx->sk, tcp ? bpf_get_socket_cookie(ctx) : 0, tcp);
	if (!owner || !owner->redirected)
		return 1;
	if (owner->flow.family == 4) {
		__builtin_memcpy(&w[3], owner->flow.addr, 4);
		if (!ipv6) {
			ctx->user_ip4 = w[3];
		} else {
			w[2] = bpf_htonl(0x0000ffff);
		}
	} else {
		if (!ipv6)
			return 1; /* cannot happen: an IPv6 destination needs an IPv6 socket */
		__builtin_memcpy(w, owner->flow.addr, 16);
	}
	if (ipv6) {
		ctx->user_ip6[0] = w[0];
		ctx->user_ip6[1] = w[1];
		ctx->user_ip6[2] = w[2];
		ctx->user_ip6[3] = w[3];
	}
	ctx->user_port = bpf_htons(owner->flow.port);
	return 1;
}

/* getpeername() shows the original destination; a connected UDP socket receives from its peer
 * only, so the target's datagrams (recvmsg) read as the original destination's too. */
SLUICE_SOCK_ADDR_PROGRAM(getpeername4, sluice_original_peer(ctx, 0))
SLUICE_SOCK_ADDR_PROGRAM(getpeername6, sluice_original_peer(ctx, 1))
SLUICE_SOCK_ADDR_PROGRAM(recvmsg4, sluice_original_peer(ctx, 0))
SLUICE_SOCK_ADDR_PROGRAM(recvmsg6, sluice_original_peer(ctx, 1))
