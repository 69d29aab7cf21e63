/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Creating raw IP sockets and ping sockets.
 *
 * Their sends are never seen by the sock_addr hooks: a raw socket needs no connect and a ping
 * socket's sendto() does not run cgroup/sendmsg (UDP only; a ping socket's connect() does run
 * cgroup/connect and is decided by destination with protocol icmp/icmpv6). So creating one is
 * decided instead, as a flow of protocol IPPROTO_RAW to no address yet (0.0.0.0 or ::, port 0),
 * through the same precedence: `spec.rawSockets: deny` or a rule {protocol: raw} refuses it with
 * EPERM, and so does a subject's `default: deny`. Packet sockets (AF_PACKET) never reach this
 * hook (the kernel runs it for AF_INET and AF_INET6 only).
 *
 * Included by sluice.bpf.c after sluice_decide().
 */
#ifndef SLUICE_SOCK_CREATE_H
#define SLUICE_SOCK_CREATE_H

#define SLUICE_SOCK_DGRAM 2
#define SLUICE_SOCK_RAW 3
#define SLUICE_AF_INET6 10
#define SLUICE_IPPROTO_ICMPV6 58

SEC("cgroup/sock_create")
int sluice_sock_create(struct bpf_sock *ctx)
{
	struct sluice_flow flow = {};
	__u32 type = ctx->type;
	__u32 protocol = ctx->protocol;

	if (type != SLUICE_SOCK_RAW &&
	    !(type == SLUICE_SOCK_DGRAM && (protocol == IPPROTO_ICMP || protocol == SLUICE_IPPROTO_ICMPV6)))
		return 1;
	flow.family = ctx->family == SLUICE_AF_INET6 ? 6 : 4;
	flow.protocol = IPPROTO_RAW;
	struct sluice_decision decision;

	return sluice_decide(&flow, SLUICE_HOOK_SOCK_CREATE, &decision);
}

#endif /* SLUICE_SOCK_CREATE_H */
