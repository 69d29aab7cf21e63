/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Reading DNS answers before the application does (cgroup_skb/ingress), so a connect that
 * follows its own lookup is decided with the name already known: no user-space round trip, no
 * race.
 *
 * For each response from port 53 (a UDP datagram, or a message of a TCP stream: several in one
 * segment, or one split over segments, gathered per socket in sluice_dns_stream) with one
 * uncompressed question, the A and AAAA records of the answer section whose owner is the
 * question or a name of its CNAME chain are attributed to the question name, for the
 * application that owns the receiving socket (sluice_dns_key). Owners are matched by where the
 * name is written (the pointer servers write), never by a name spelled out again, so a record
 * for another name can never be taken for the question's. Every read is checked against the
 * message; pointers must point backwards, names are at most 253 bytes, and a response with any
 * malformed record attributes nothing. Answers received in a network namespace that an
 * unprivileged user could have made are not read (sluice_dns_trusted).
 *
 * Included by sluice.bpf.c after sluice_close.h (sluice_owners).
 */
#ifndef SLUICE_DNS_H
#define SLUICE_DNS_H

#define SLUICE_DNS_ANSWERS 32       /* answer records read */
#define SLUICE_DNS_ADDRESSES 16     /* addresses attributed per response */
#define SLUICE_DNS_CHAIN 8          /* names of a CNAME chain followed */
/* How long an attribution holds: the record's TTL within [floor, ceiling], plus a grace for
 * applications that cache an answer longer than its TTL (JVMs, browsers, connection pools). */
#define SLUICE_DNS_TTL_FLOOR 60
#define SLUICE_DNS_TTL_CEILING 86400
#define SLUICE_DNS_GRACE 300
#define SLUICE_DNS_REFRESH 30 /* seconds an attribution must gain before it is written again */

#define SLUICE_DNS_HOPS 4           /* pointers to pointers followed to where a name is written */
#define SLUICE_FNV_BASIS 0xcbf29ce484222325ULL
#define SLUICE_FNV_PRIME 0x100000001b3ULL

#define SLUICE_ETH_P_IP 0x0800
#define SLUICE_ETH_P_IPV6 0x86DD

/* Bytes of a message read: a longer one is skipped (counted). More than an answer section of
 * SLUICE_DNS_ANSWERS records needs; stub resolvers ask for 512 to 1,232 bytes over UDP. */
#define SLUICE_DNS_KEPT 4096

struct sluice_dns_scratch {
	/* The message being read, copied out of the packet (or gathered from TCP segments) so
	 * that the parse reads memory directly; past SLUICE_DNS_KEPT, room for a read of at most
	 * 16 bytes at any offset below it, so that the verifier sees every read in bounds. */
	__u8 bytes[SLUICE_DNS_KEPT + 16];
	char name[SLUICE_DNS_NAME_MAX]; /* the question, dotted and lowercase */
	__u32 chain[SLUICE_DNS_CHAIN];  /* where the question and its CNAME targets are written */
	__u8 addrs[SLUICE_DNS_ADDRESSES][16];
	__u32 ttls[SLUICE_DNS_ADDRESSES];
	__u8 families[SLUICE_DNS_ADDRESSES];
	__u32 chain_count;
	__u32 found;
	__u32 name_len;
	__u32 pad;
	struct sluice_dns_value value;
};

/* Too large for the stack; one per CPU, and a program runs on one CPU to the end. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sluice_dns_scratch);
} sluice_dns_scratch SEC(".maps");

extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym;

/* Whether answers arriving at this socket may name addresses. Any user can make a user
 * namespace and a network namespace it owns, give that namespace's loopback the address of
 * the resolver its policy allows, bind port 53 there and answer its own query with any
 * address under an allowed name; the attribution is per application, not per namespace, so
 * the same program outside would then reach that address by the name. Only a network
 * namespace the initial user namespace owns (the node's, and those container runtimes make as
 * root) needs privilege on the node to make, so only answers received in one are read. */
static __always_inline int sluice_dns_trusted(struct bpf_sock *sk)
{
	struct sock *socket;
	struct net *net;
	struct user_namespace *owner;

	if (!bpf_core_field_exists(possible_net_t, net))
		return 1; /* a kernel without network namespaces has one, the node's */
	socket = bpf_rdonly_cast(sk, bpf_core_type_id_kernel(struct sock));
	net = socket->__sk_common.skc_net.net;
	if (!net)
		return 0;
	owner = net->user_ns;
	return owner && owner->level == 0;
}

#define SLUICE_DNS_SERVERS 4 /* servers an unconnected socket's answers may come from */

/* The DNS servers an unconnected UDP socket sent to (cgroup/sendmsg, port 53), the latest
 * SLUICE_DNS_SERVERS. Such a socket receives datagrams from anyone: an answer is read only
 * from a server it asked, as a connected socket only ever receives from its peer. */
struct sluice_dns_servers {
	__u8 addrs[SLUICE_DNS_SERVERS][16]; /* an IPv4 address in the first 4 bytes */
	__u8 families[SLUICE_DNS_SERVERS];  /* 4 or 6; 0: empty */
	__u32 next;
};

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct sluice_dns_servers);
} sluice_dns_servers SEC(".maps");

/* After an allowed sendmsg to port 53: the server is one whose answers this socket may read. */
static __always_inline void sluice_dns_asked(struct bpf_sock_addr *ctx, const struct sluice_flow *flow)
{
	struct sluice_dns_servers *servers;
	__u32 slot;

	if (flow->port != 53 || !ctx->sk)
		return;
	servers = bpf_sk_storage_get(&sluice_dns_servers, ctx->sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!servers)
		return;
	for (int i = 0; i < SLUICE_DNS_SERVERS; i++) {
		if (servers->families[i] == flow->family && !__builtin_memcmp(servers->addrs[i], flow->addr, 16))
			return;
	}
	slot = servers->next++ % SLUICE_DNS_SERVERS;
	__builtin_memcpy(servers->addrs[slot], flow->addr, 16);
	servers->families[slot] = flow->family;
}

/* Whether an unconnected socket asked the server this answer comes from. */
static __always_inline int sluice_dns_asked_by(struct bpf_sock *sk, __u8 family, const __u8 *source)
{
	struct sluice_dns_servers *servers = bpf_sk_storage_get(&sluice_dns_servers, sk, 0, 0);

	if (!servers)
		return 0;
	for (int i = 0; i < SLUICE_DNS_SERVERS; i++) {
		if (servers->families[i] == family && !__builtin_memcmp(servers->addrs[i], source, 16))
			return 1;
	}
	return 0;
}

/* A TCP connection to port 53 whose messages do not all arrive one or more to a segment: where
 * its byte stream stands. Made for the first message a segment does not hold whole (a connection
 * whose messages all arrive whole has none) and freed with the socket. cgroup_skb/ingress sees
 * each segment before TCP queues it, in the order it arrives, retransmissions included: the
 * stream follows sequence numbers, reads bytes sent again only once, and gives up on a
 * connection whose segments arrive out of order (counted as skipped), since a segment that came
 * early is never shown again. A message is read when its last segment arrives, before the
 * application can read any of it. */
#define SLUICE_DNS_MESSAGES 4 /* messages that start in one segment (a client's A and AAAA answers) */

enum {
	SLUICE_DNS_STREAM_BOUNDARY = 0, /* the next byte begins a message's two-byte length */
	SLUICE_DNS_STREAM_PREFIX = 1,   /* one byte of the length arrived */
	SLUICE_DNS_STREAM_BODY = 2,     /* gathering the message */
	SLUICE_DNS_STREAM_LOST = 3,     /* a gap: where messages begin is no longer known */
};

struct sluice_dns_stream {
	__u32 next_seq; /* the sequence number of the first byte not read yet */
	__u32 length;   /* the message being gathered */
	__u32 have;     /* its bytes so far */
	__u8 prefix;    /* the first byte of its length, in SLUICE_DNS_STREAM_PREFIX */
	__u8 state;
	__u8 pad[2];
	/* The message so far. Twice SLUICE_DNS_KEPT, so that a copy of up to that many bytes to
	 * any offset below it is in bounds for the verifier. */
	__u8 bytes[2 * SLUICE_DNS_KEPT];
};

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct sluice_dns_stream);
} sluice_dns_streams SEC(".maps");

/* The message being read: in scratch->bytes, `len` bytes (at most SLUICE_DNS_KEPT). Every read
 * is checked against len; the mask only shows the verifier what len already bounds. */
struct sluice_dns_message {
	struct sluice_dns_scratch *s;
	__u32 len;
};

/* Reads `n` (a constant, at most 16) bytes of the message at `at`. */
static __always_inline int sluice_dns_load(const struct sluice_dns_message *m, __u32 at, void *out, __u32 n)
{
	if (at + n > m->len)
		return -1;
	__builtin_memcpy(out, &m->s->bytes[at & (SLUICE_DNS_KEPT - 1)], n);
	return 0;
}

static __always_inline int sluice_dns_byte(const struct sluice_dns_message *m, __u32 at, __u8 *out)
{
	return sluice_dns_load(m, at, out, 1);
}

static __always_inline int sluice_dns_u16(const struct sluice_dns_message *m, __u32 at, __u32 *out)
{
	__u8 bytes[2];

	if (sluice_dns_load(m, at, bytes, 2))
		return -1;
	*out = ((__u32)bytes[0] << 8) | bytes[1];
	return 0;
}

/* Skipping a name label by label (bpf_loop runs the step: the verifier checks it once rather
 * than once per path through up to 127 labels). */
struct sluice_dns_skipper {
	struct sluice_dns_message m;
	__u32 pos, seen, pointer_ok;
	int result; /* 0 while skipping, -1 malformed, else the offset past the name */
};

static long sluice_dns_skip_step(__u64 index, void *data)
{
	struct sluice_dns_skipper *k = data;
	__u8 c;

	if (sluice_dns_byte(&k->m, k->pos, &c) || ((c & 0xc0) && (c & 0xc0) != 0xc0))
		goto malformed;
	if ((c & 0xc0) == 0xc0 && !k->pointer_ok)
		goto malformed;
	if (c == 0 || (c & 0xc0) == 0xc0) {
		if (c == 0 && k->seen == 0)
			goto malformed; /* the root: never a name an application connects by */
		k->result = k->pos + (c == 0 ? 1 : 2);
		return 1;
	}
	k->seen += c + 1;
	if (k->seen > 255)
		goto malformed;
	k->pos += c + 1;
	return 0;
malformed:
	k->result = -1;
	return 1;
}

/* The offset past the name at `off` (ending in a pointer where `pointer_ok`), and the length
 * of its labels written there as dotted text; -1 when malformed. */
static __always_inline int sluice_dns_skip(const struct sluice_dns_message *m, __u32 off, int pointer_ok,
					   __u32 *length)
{
	struct sluice_dns_skipper k = { .m = *m, .pos = off, .pointer_ok = pointer_ok };

	bpf_loop(128, sluice_dns_skip_step, &k, 0);
	*length = k.seen ? k.seen - 1 : 0;
	return k.result > 0 ? k.result : -1;
}

/* The question, uncompressed at offset 12, copied as text: its length bytes become dots. */
static __always_inline int sluice_dns_question_text(const struct sluice_dns_message *m,
						    struct sluice_dns_scratch *s, __u32 length)
{
	__u8 first;
	__u32 next;

	if (length < 1 || length > 253 || sluice_dns_byte(m, 12, &first))
		return -1;
	/* The skip read every byte of the question below len; what follows it is not used. */
	__builtin_memcpy(s->name, &s->bytes[13], 253);
	next = first;
	for (int i = 0; i < 253; i++) {
		__u8 c;

		if ((__u32)i >= length)
			break;
		c = s->name[i];
		if ((__u32)i == next) {
			next += c + 1;
			s->name[i] = '.';
		} else if (c >= 'A' && c <= 'Z') {
			s->name[i] = c + ('a' - 'A');
		}
	}
	s->name[length & (SLUICE_DNS_NAME_MAX - 1)] = 0;
	return 0;
}

/* The backward pass over the question (sluice_abi.h): each dot passed closes a parent. The
 * parents shift through fixed slots rather than being indexed by their count, and bpf_loop runs
 * the step: the verifier checks it once rather than once per path through 253 bytes. */
struct sluice_dns_namer {
	struct sluice_dns_scratch *s;
	__u64 hash;
	__u64 parents[SLUICE_DNS_PARENTS];
	__u32 length;
	__u32 count;
};

static long sluice_dns_name_step(__u64 index, void *data)
{
	struct sluice_dns_namer *n = data;
	__u32 length = n->length;
	__u8 c;

	if (index >= length || length > 253)
		return 1;
	c = n->s->name[(length - 1 - index) & (SLUICE_DNS_NAME_MAX - 1)];
	if (c == '.') {
		for (int j = SLUICE_DNS_PARENTS - 1; j > 0; j--)
			n->parents[j] = n->parents[j - 1];
		n->parents[0] = n->hash;
		n->count++;
	}
	n->hash = (n->hash ^ c) * SLUICE_FNV_PRIME;
	return 0;
}

static __always_inline void sluice_dns_ids(struct sluice_dns_scratch *s, __u32 length)
{
	struct sluice_dns_namer n = { .s = s, .hash = SLUICE_FNV_BASIS, .length = length };

	bpf_loop(SLUICE_DNS_NAME_MAX, sluice_dns_name_step, &n, 0);
	s->value.name_id = n.hash;
	s->value.parent_count = n.count < SLUICE_DNS_PARENTS ? n.count : SLUICE_DNS_PARENTS;
	__builtin_memcpy(s->value.parents, n.parents, sizeof(n.parents));
}

/* What of an arriving packet may hold DNS: the payload of a UDP datagram or TCP segment from
 * port 53. */
struct sluice_dns_payload {
	__u32 base; /* offset of the UDP or TCP payload in the packet */
	__u32 size;
	__u32 seq;  /* TCP: the sequence number of its first byte */
	__u8 tcp;
	__u8 family;
	__u8 source[16];
};

/* Finds the payload of a DNS response; 0 when this is not one the programs read. */
static __always_inline int sluice_dns_locate(struct __sk_buff *skb, struct sluice_dns_payload *p)
{
	__u32 l4, protocol;

	if (skb->protocol == bpf_htons(SLUICE_ETH_P_IP)) {
		__u8 header[20];

		if (bpf_skb_load_bytes(skb, 0, header, sizeof(header)))
			return 0;
		p->family = 4;
		__builtin_memcpy(p->source, header + 12, 4);
		/* A fragment carries part of a message (or none of the header): not read. */
		if (((header[6] & 0x3f) | header[7]) != 0) {
			if (header[9] == IPPROTO_UDP)
				sluice_count(SLUICE_COUNTER_DNS_SKIPPED);
			return 0;
		}
		protocol = header[9];
		l4 = (header[0] & 0x0f) * 4;
	} else if (skb->protocol == bpf_htons(SLUICE_ETH_P_IPV6)) {
		__u8 next;

		if (bpf_skb_load_bytes(skb, 6, &next, 1))
			return 0;
		p->family = 6; /* its source is read below, once the packet is known to be from port 53 */
		protocol = next; /* extension headers are not followed */
		l4 = 40;
	} else {
		return 0;
	}
	if (protocol == IPPROTO_UDP) {
		__u8 udp[8];

		if (bpf_skb_load_bytes(skb, l4, udp, sizeof(udp)) || udp[0] != 0 || udp[1] != 53)
			return 0;
		p->base = l4 + 8;
	} else if (protocol == IPPROTO_TCP) {
		__u8 tcp[20];

		if (bpf_skb_load_bytes(skb, l4, tcp, sizeof(tcp)) || tcp[0] != 0 || tcp[1] != 53)
			return 0;
		p->tcp = 1;
		p->seq = ((__u32)tcp[4] << 24) | ((__u32)tcp[5] << 16) | ((__u32)tcp[6] << 8) | tcp[7];
		p->base = l4 + (tcp[12] >> 4) * 4;
	} else {
		return 0;
	}
	p->size = skb->len > p->base ? skb->len - p->base : 0;
	if (p->size == 0)
		return 0; /* an acknowledgement or a handshake: nothing to read */
	return p->family == 4 || !bpf_skb_load_bytes(skb, 8, p->source, 16);
}

/* Where the name at `off` is first written: a name that is a pointer is where the pointer
 * leads (backwards, past the header, at most SLUICE_DNS_HOPS pointers to pointers); a name
 * written out, or starting with labels, is at `off` itself. Names are matched by this place, as
 * servers write them: an answer's owner points at the question or at the CNAME that named it.
 * An owner spelled out again instead is not matched, so never attributed. -1 when malformed. */
static __always_inline int sluice_dns_origin(const struct sluice_dns_message *m, __u32 off)
{
	__u32 at = off;

	for (int hop = 0; hop < SLUICE_DNS_HOPS; hop++) {
		__u32 word, target;

		if (sluice_dns_u16(m, at, &word))
			return -1;
		if ((word & 0xc000) != 0xc000)
			return at;
		target = word & 0x3fff;
		if (target >= at || target < 12)
			return -1;
		at = target;
	}
	return -1;
}

/* Reads one answer record at `off`: follows the chain on a CNAME of it, keeps an A or AAAA of
 * it. Returns the offset of the next record, or -1 when the record is malformed.
 * A global function: the verifier checks it once, not once per record. */
__noinline int sluice_dns_answer(__u32 len, __u32 off)
{
	__u32 zero = 0, type, class, ttl_high, ttl_low, rdlength, rdata, found, length;
	struct sluice_dns_scratch *s = bpf_map_lookup_elem(&sluice_dns_scratch, &zero);
	struct sluice_dns_message m = { .s = s, .len = len };
	int next, owner, in_chain = 0;

	if (!s)
		return -1;
	owner = sluice_dns_origin(&m, off);
	next = sluice_dns_skip(&m, off, 1, &length);
	if (owner < 0 || next < 0 || sluice_dns_u16(&m, next, &type) || sluice_dns_u16(&m, next + 2, &class) ||
	    sluice_dns_u16(&m, next + 4, &ttl_high) || sluice_dns_u16(&m, next + 6, &ttl_low) ||
	    sluice_dns_u16(&m, next + 8, &rdlength))
		return -1;
	rdata = next + 10;
	if (rdata + rdlength > len)
		return -1;
	for (int c = 0; c < SLUICE_DNS_CHAIN; c++) {
		if ((__u32)c >= s->chain_count)
			break;
		if (s->chain[c] == (__u32)owner)
			in_chain = 1;
	}
	if (!in_chain || class != 1)
		return rdata + rdlength;
	if (type == 5) { /* CNAME: the records of the name it gives answer the question too */
		int target = sluice_dns_origin(&m, rdata);

		if (target < 0 || sluice_dns_skip(&m, rdata, 1, &length) < 0)
			return -1;
		if (s->chain_count < SLUICE_DNS_CHAIN) {
			s->chain[s->chain_count & (SLUICE_DNS_CHAIN - 1)] = target;
			s->chain_count++;
		}
		return rdata + rdlength;
	}
	found = s->found;
	if (found >= SLUICE_DNS_ADDRESSES)
		return rdata + rdlength;
	found &= SLUICE_DNS_ADDRESSES - 1;
	__builtin_memset(s->addrs[found], 0, 16);
	if (type == 1 && rdlength == 4) {
		if (sluice_dns_load(&m, rdata, s->addrs[found], 4))
			return -1;
		s->families[found] = 4;
	} else if (type == 28 && rdlength == 16) {
		if (sluice_dns_load(&m, rdata, s->addrs[found], 16))
			return -1;
		s->families[found] = 6;
	} else {
		return rdata + rdlength;
	}
	s->ttls[found] = (ttl_high << 16) | ttl_low;
	s->found++;
	return rdata + rdlength;
}

/* Reads the question and answers of the message; the number of addresses attributed to the
 * question, or -1 when the message is malformed (nothing attributed). */
static __always_inline int sluice_dns_parse(const struct sluice_dns_message *m, struct sluice_dns_scratch *s)
{
	__u32 answers, flags, questions, qclass, length;
	int off;

	if (sluice_dns_u16(m, 2, &flags) || sluice_dns_u16(m, 4, &questions) || sluice_dns_u16(m, 6, &answers))
		return -1;
	/* A response (QR), standard query, not truncated, no error; one question. */
	if (!(flags & 0x8000) || (flags & 0x7800) || (flags & 0x0200) || (flags & 0x000f) || questions != 1)
		return 0;
	off = sluice_dns_skip(m, 12, 0, &length);
	if (off < 0 || sluice_dns_u16(m, off + 2, &qclass))
		return -1;
	if (qclass != 1)
		return 0; /* not class IN */
	/* Through memory: the length the skip's verification ends with is known exactly on each of
	 * its paths, and every exact length would be checked again below; read back, it is one
	 * range. */
	*(volatile __u32 *)&s->name_len = length;
	length = *(volatile __u32 *)&s->name_len;
	if (sluice_dns_question_text(m, s, length))
		return -1;
	s->chain[0] = 12;
	s->chain_count = 1;
	s->found = 0;
	off += 4;
	for (int a = 0; a < SLUICE_DNS_ANSWERS; a++) {
		if ((__u32)a >= answers)
			break;
		off = sluice_dns_answer(m->len, off);
		if (off < 0)
			return -1;
	}
	sluice_dns_ids(s, length);
	return s->found;
}

/* Reads the DNS message of `len` bytes in scratch->bytes and attributes its addresses to its
 * question for `who` (cgroup and executable; the family and address are filled in here). A
 * global function: the verifier checks it once for every place a message is read from. */
__noinline int sluice_dns_message_read(__u32 len, const struct sluice_dns_key *who)
{
	__u32 zero = 0;
	struct sluice_dns_scratch *s = bpf_map_lookup_elem(&sluice_dns_scratch, &zero);
	struct sluice_dns_message m = { .s = s, .len = len };
	struct sluice_dns_key key = {};
	__u64 now;
	int found;

	if (!who || !s)
		return 0;
	if (len < 12 || len > SLUICE_DNS_KEPT) {
		sluice_count(len < 12 ? SLUICE_COUNTER_DNS_REFUSED : SLUICE_COUNTER_DNS_SKIPPED);
		return 0;
	}
	__builtin_memset(s->name, 0, sizeof(s->name));
	found = sluice_dns_parse(&m, s);
	if (found < 0) {
		sluice_count(SLUICE_COUNTER_DNS_REFUSED);
		return 0;
	}
	if (found == 0)
		return 0;
	sluice_count(SLUICE_COUNTER_DNS_ANSWERS);
	/* A new answer may name another name: what decisions kept is found again. */
	s->value.decided.patterns_for = 0;
	s->value.decided.rules_for = 0;
	key.cgroup_id = who->cgroup_id;
	key.exe_ino = who->exe_ino;
	key.exe_dev = who->exe_dev;
	now = bpf_ktime_get_boot_ns();
	/* Most answers repeat earlier ones (applications look the same names up again and again):
	 * what the maps already say is not written again, which is most of an answer's cost. */
	if (!bpf_map_lookup_elem(&sluice_dns_names, &s->value.name_id))
		bpf_map_update_elem(&sluice_dns_names, &s->value.name_id, s->name, BPF_ANY);
	for (int i = 0; i < SLUICE_DNS_ADDRESSES; i++) {
		struct sluice_dns_value *held;
		__u32 ttl;

		if (i >= found)
			break;
		ttl = s->ttls[i];
		if (ttl < SLUICE_DNS_TTL_FLOOR)
			ttl = SLUICE_DNS_TTL_FLOOR;
		if (ttl > SLUICE_DNS_TTL_CEILING)
			ttl = SLUICE_DNS_TTL_CEILING;
		s->value.expires_ns = now + (__u64)(ttl + SLUICE_DNS_GRACE) * 1000000000ULL;
		key.family = s->families[i];
		__builtin_memcpy(key.addr, s->addrs[i], 16);
		held = bpf_map_lookup_elem(&sluice_dns_addresses, &key);
		sluice_count(SLUICE_COUNTER_DNS_LEARNED);
		/* The same name, held for nearly as long already: a refresh would change nothing. */
		if (held && held->name_id == s->value.name_id &&
		    held->expires_ns + SLUICE_DNS_REFRESH * 1000000000ULL >= s->value.expires_ns)
			continue;
		if (!held)
			sluice_count(SLUICE_COUNTER_DNS_NEW);
		bpf_map_update_elem(&sluice_dns_addresses, &key, &s->value, BPF_ANY);
	}
	return found;
}

/* Reads the message of `len` bytes at `base` in the packet. */
static __always_inline void sluice_dns_packet_read(struct __sk_buff *skb, __u32 base, __u32 len,
						   const struct sluice_dns_key *who)
{
	__u32 zero = 0;
	struct sluice_dns_scratch *s;

	if (len == 0 || len > SLUICE_DNS_KEPT) {
		sluice_count(len ? SLUICE_COUNTER_DNS_SKIPPED : SLUICE_COUNTER_DNS_REFUSED);
		return;
	}
	s = bpf_map_lookup_elem(&sluice_dns_scratch, &zero);
	if (s && !bpf_skb_load_bytes(skb, base, s->bytes, len))
		sluice_dns_message_read(len, who);
}

/* Reads the message `stream` gathered. */
static __always_inline void sluice_dns_stream_read(struct sluice_dns_stream *stream, const struct sluice_dns_key *who)
{
	__u32 zero = 0, len = stream->length;
	struct sluice_dns_scratch *s;

	if (len == 0 || len > SLUICE_DNS_KEPT) {
		sluice_count(len ? SLUICE_COUNTER_DNS_SKIPPED : SLUICE_COUNTER_DNS_REFUSED);
		return;
	}
	s = bpf_map_lookup_elem(&sluice_dns_scratch, &zero);
	if (s && !bpf_probe_read_kernel(s->bytes, len, stream->bytes))
		sluice_dns_message_read(len, who);
}

/* Takes the segment's bytes from `at` on into the message `stream` is gathering, and reads the
 * message once it is whole. Returns where the rest of the segment begins (p->size when the
 * message goes on in a later segment). */
static __always_inline __u32 sluice_dns_gather(struct __sk_buff *skb, struct sluice_dns_stream *stream,
					       const struct sluice_dns_payload *p, __u32 at,
					       const struct sluice_dns_key *who)
{
	__u32 take, keep;

	if (stream->state == SLUICE_DNS_STREAM_PREFIX) {
		__u8 low;

		if (at >= p->size)
			return p->size;
		if (bpf_skb_load_bytes(skb, p->base + at, &low, 1)) {
			stream->state = SLUICE_DNS_STREAM_LOST;
			return p->size;
		}
		at++;
		stream->length = ((__u32)stream->prefix << 8) | low;
		stream->have = 0;
		stream->state = SLUICE_DNS_STREAM_BODY;
	}
	if (stream->state != SLUICE_DNS_STREAM_BODY || at > p->size)
		return p->size;
	take = stream->length - stream->have;
	if (take > p->size - at)
		take = p->size - at;
	if (stream->have < SLUICE_DNS_KEPT) {
		keep = SLUICE_DNS_KEPT - stream->have;
		if (keep > take)
			keep = take;
		if (keep > 0 && keep <= SLUICE_DNS_KEPT &&
		    bpf_skb_load_bytes(skb, p->base + at, &stream->bytes[stream->have & (SLUICE_DNS_KEPT - 1)], keep)) {
			stream->state = SLUICE_DNS_STREAM_LOST;
			return p->size;
		}
	}
	stream->have += take;
	at += take;
	if (stream->have < stream->length)
		return p->size;
	stream->state = SLUICE_DNS_STREAM_BOUNDARY;
	sluice_dns_stream_read(stream, who);
	return at;
}

/* One TCP segment from port 53: the end of a message an earlier segment began, whole messages,
 * and the beginning of one that goes on in a later segment. */
static __always_inline void sluice_dns_segment(struct __sk_buff *skb, struct bpf_sock *sk,
					       const struct sluice_dns_payload *p, const struct sluice_dns_key *who)
{
	struct sluice_dns_stream *stream = bpf_sk_storage_get(&sluice_dns_streams, sk, 0, 0);
	__u32 at = 0;

	if (stream) {
		__s32 ahead = (__s32)(p->seq - stream->next_seq);

		if (stream->state == SLUICE_DNS_STREAM_LOST)
			return;
		if (ahead > 0) { /* a segment before this one was not seen: it came later, or never */
			stream->state = SLUICE_DNS_STREAM_LOST;
			sluice_count(SLUICE_COUNTER_DNS_SKIPPED);
			return;
		}
		if ((__s32)(p->seq + p->size - stream->next_seq) <= 0)
			return; /* sent again: read already */
		at = -ahead;
		stream->next_seq = p->seq + p->size;
		if (stream->state != SLUICE_DNS_STREAM_BOUNDARY)
			at = sluice_dns_gather(skb, stream, p, at, who);
	}
	for (int i = 0; i < SLUICE_DNS_MESSAGES; i++) {
		__u8 prefix[2];
		__u32 length;

		if (at >= p->size)
			return;
		if (at + 2 <= p->size) {
			if (bpf_skb_load_bytes(skb, p->base + at, prefix, 2))
				return;
			length = ((__u32)prefix[0] << 8) | prefix[1];
			if (at + 2 + length <= p->size) {
				sluice_dns_packet_read(skb, p->base + at + 2, length, who);
				at += 2 + length;
				continue;
			}
		} else if (bpf_skb_load_bytes(skb, p->base + at, prefix, 1)) {
			return;
		}
		/* It goes on in a later segment. */
		if (!stream)
			stream = bpf_sk_storage_get(&sluice_dns_streams, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
		if (!stream) {
			sluice_count(SLUICE_COUNTER_DNS_SKIPPED);
			return;
		}
		stream->next_seq = p->seq + p->size;
		stream->prefix = prefix[0];
		stream->state = SLUICE_DNS_STREAM_PREFIX;
		sluice_dns_gather(skb, stream, p, at + 1, who);
		return;
	}
	if (at < p->size)
		sluice_count(SLUICE_COUNTER_DNS_SKIPPED); /* more messages than one segment's are read */
}

/* Reads one arriving packet if it holds DNS answers, for the receiving (full) socket `sk`;
 * called by the ingress program (sluice_flows.h), which lets every packet pass. */
static __always_inline void sluice_dns_read(struct __sk_buff *skb, struct bpf_sock *sk)
{
	struct sluice_dns_payload p = {};
	struct sluice_owner *owner;
	struct sluice_dns_key who = {};

	if (!sluice_dns_locate(skb, &p))
		return;
	if (!sluice_dns_trusted(sk) ||
	    (sk->protocol == IPPROTO_UDP && sk->dst_port == 0 && !sluice_dns_asked_by(sk, p.family, p.source))) {
		sluice_count(SLUICE_COUNTER_DNS_UNTRUSTED);
		return;
	}
	/* The application that connected the receiving socket; else its cgroup alone (an unconnected
	 * socket may be a resolver answering for others in its cgroup). */
	owner = sluice_owner_get(sk, p.tcp ? bpf_get_socket_cookie(skb) : 0, p.tcp);
	if (owner && !owner->unconnected) {
		who.cgroup_id = owner->cgroup_id;
		who.exe_ino = owner->flow.exe_ino;
		who.exe_dev = owner->flow.exe_dev;
	} else {
		who.cgroup_id = bpf_skb_cgroup_id(skb);
	}
	if (p.tcp)
		sluice_dns_segment(skb, sk, &p, &who);
	else
		sluice_dns_packet_read(skb, p.base, p.size, &who);
}

#endif /* SLUICE_DNS_H */
