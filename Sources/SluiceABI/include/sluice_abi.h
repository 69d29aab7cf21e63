/*
 * sluice_abi.h — every type shared by the kernel programs (BPF/) and the Swift controller.
 *
 * The BPF compile includes this file with -I; Swift imports it through the SluiceABI C target.
 * Nothing else may describe these layouts: no hand-written mirror anywhere.
 *
 * Rules: only __u8..__u64, explicit padding fields named pad*, enums with explicit values,
 * a _Static_assert on the size of every struct. Bump SLUICE_ABI_VERSION on any layout change:
 * an agent refuses to adopt pinned maps written under another version.
 */
#ifndef SLUICE_ABI_H
#define SLUICE_ABI_H

#include <linux/types.h>

#define SLUICE_ABI_VERSION 8

/* Capacities compiled into the programs (loop bounds the verifier must see as constants). */
#define SLUICE_ROUTE_INLINE_ENTRIES 2 /* port entries held in a destination trie value */
#define SLUICE_PORT_TABLE_ENTRIES 8  /* entries held by one port-table chunk */
#define SLUICE_PORT_TABLE_CHAIN 32   /* chunks one destination may chain: 256 port specs */
#define SLUICE_MAX_CGROUP_LEVELS 16  /* distinct cgroup depths that carry subjects */
#define SLUICE_DNS_PARENTS 8         /* parent domains of a looked-up name kept for wildcard rules */
#define SLUICE_DNS_NAMES 4           /* name patterns one decision consults, most specific first */
#define SLUICE_DNS_NAME_MAX 256      /* a dotted name with its NUL */

/* What a rule or default says. Ordered by severity: on a tie the higher value wins. */
enum sluice_action {
	SLUICE_ACTION_NONE = 0,
	SLUICE_ACTION_ALLOW = 1,
	SLUICE_ACTION_ALERT = 2,
	SLUICE_ACTION_RATE_LIMIT = 3, /* allow while the application's token bucket for the rule has a
				       * token (sluice_rule_params), else fail with EAGAIN */
	SLUICE_ACTION_REDIRECT = 4,   /* connect to the rule's local target instead (sluice_rule_params) */
	SLUICE_ACTION_DENY = 5,
	SLUICE_ACTION_QUOTA = 6,      /* never a rule's: an allow or alert rule's quota refused the
				       * connect (EDQUOT) or cut the connection */
};

/* Flags on a compiled verdict (port entries and defaults). */
enum sluice_verdict_flags {
	SLUICE_VERDICT_MONITOR = 1, /* the deciding policy is in monitor mode: report, never block */
	SLUICE_VERDICT_KEEP_OPEN = 2, /* a deny leaves connections already open (existingConnections: keep) */
	SLUICE_VERDICT_QUOTA = 4,     /* the rule has a quota (sluice_rule_params): only then is it read */
	SLUICE_VERDICT_EXPLICIT_ALLOW = 8, /* an allow rule naming this exact address (/32, /128) or
					    * exact name: a feed layer's hit does not override it */
};

/* Flags on an event record. */
enum sluice_event_flags {
	SLUICE_EVENT_ENFORCED = 1, /* the action took effect (a deny returned EPERM) */
	SLUICE_EVENT_MAPPED = 2,   /* an IPv4-mapped IPv6 destination decided by the IPv4 rules */
	SLUICE_EVENT_DEFAULT = 4,  /* decided by a default, not by a rule */
	SLUICE_EVENT_NO_EXE = 8,   /* the caller had no executable (a kernel thread) */
	SLUICE_EVENT_EXE_UNVERIFIED = 16, /* no identity recorded at exec (the process predates the
					   * programs): read from mm->exe_file, which it can change */
	SLUICE_EVENT_UNSPECIFIED = 32, /* 0.0.0.0 or :: decided as the loopback address it reaches */
	SLUICE_EVENT_CLOSED = 64,  /* an open connection a new generation denies, ended by Sluice */
};

/* How a feed layer's hit (sluice_event.intel_id) went; a hit with neither flag found the policy's
 * verdict already as severe as the feed's action. */
enum sluice_event_intel {
	SLUICE_INTEL_DECIDED = 1,   /* the feed's action replaced the policy's verdict */
	SLUICE_INTEL_OUTRANKED = 2, /* the feed's action was more severe, but an explicit allow
				     * (SLUICE_VERDICT_EXPLICIT_ALLOW) decided */
};

/* The hook that made the decision. */
enum sluice_hook {
	SLUICE_HOOK_CONNECT4 = 1,
	SLUICE_HOOK_CONNECT6 = 2,
	SLUICE_HOOK_SENDMSG4 = 3,
	SLUICE_HOOK_SENDMSG6 = 4,
	SLUICE_HOOK_CLOSE_TCP = 5, /* an open TCP connection re-decided after a policy change */
	SLUICE_HOOK_CLOSE_UDP = 6, /* an open connected UDP socket re-decided after a policy change */
	SLUICE_HOOK_SOCK_CREATE = 7, /* creating a raw IP or ping socket (protocol IPPROTO_RAW, no address) */
	SLUICE_HOOK_FLOW = 8,        /* not a decision: a flow record (struct sluice_flow_event) */
	SLUICE_HOOK_QUOTA = 9,       /* a connection cut by its rule's quota (egress or ingress) */
};

/* Kinds of subject, most specific first. */
enum sluice_subject_kind {
	SLUICE_SUBJECT_EXE_IN_CGROUP = 1,
	SLUICE_SUBJECT_EXE = 2,
	SLUICE_SUBJECT_CGROUP = 3,
};

/* Which decisions produce an event record. */
enum sluice_event_mode {
	SLUICE_EVENTS_ALL = 0,
	SLUICE_EVENTS_DENY_ALERT = 1, /* denies (enforced or monitored) and alerts only */
	SLUICE_EVENTS_NONE = 2,
};

/* Flags in sluice_config.flags: which subject kinds the active policy has, so the
 * programs skip lookups that cannot hit. */
enum sluice_config_flags {
	SLUICE_CONFIG_HAS_EXE_IN_CGROUP = 1,
	SLUICE_CONFIG_HAS_EXE = 2,
	SLUICE_CONFIG_HAS_CGROUP = 4,
	SLUICE_CONFIG_HAS_QUOTA = 8, /* some rule has a quota: TCP packets are checked against it */
	SLUICE_CONFIG_HAS_REDIRECT = 16, /* some rule redirects: established TCP connections are looked at */
};

/* Indices of the per-CPU counters map. */
enum sluice_counter {
	SLUICE_COUNTER_ALLOW = 0,
	SLUICE_COUNTER_ALERT = 1,
	SLUICE_COUNTER_DENY = 2,         /* denies that returned EPERM */
	SLUICE_COUNTER_MONITOR_DENY = 3, /* denies reported but not enforced (monitor mode) */
	SLUICE_COUNTER_EVENTS_LOST = 4,  /* records the ring buffer had no room for */
	SLUICE_COUNTER_EXEMPT = 5,       /* the agent's own connections, never decided */
	SLUICE_COUNTER_FAIL_CLOSED = 6,  /* denied because the programs' own state was missing */
	SLUICE_COUNTER_IDENTITY_LOST = 7, /* execs whose identity could not be recorded (no memory) */
	SLUICE_COUNTER_CLOSED = 8,       /* open connections ended because a new generation denies them */
	SLUICE_COUNTER_DNS_ANSWERS = 9,  /* DNS answers read (a response with a question and answers) */
	SLUICE_COUNTER_DNS_LEARNED = 10, /* addresses attributed to a name for an application */
	SLUICE_COUNTER_DNS_REFUSED = 11, /* DNS responses refused as malformed or hostile */
	SLUICE_COUNTER_DNS_SKIPPED = 12, /* DNS responses not read: over 4 KiB, on a TCP connection
					  * whose segments arrived out of order, or fragmented */
	SLUICE_COUNTER_DNS_NEW = 13,     /* attributions that took a new map entry (learned minus
					  * refreshed): new minus live entries is what the LRU evicted */
	SLUICE_COUNTER_RATE_LIMITED = 14, /* connects refused by a rate limit (enforced or not) */
	SLUICE_COUNTER_RATE_BUCKETS_NEW = 15, /* token buckets created: beyond the live ones, the LRU
					       * evicted (and so refilled) that many */
	SLUICE_COUNTER_REDIRECTED = 16,  /* connects and sends sent to a redirect rule's target */
	SLUICE_COUNTER_QUOTA = 17,       /* connects refused and connections cut by a quota */
	SLUICE_COUNTER_INTEL = 18,       /* decisions a feed layer's indicator decided */
	SLUICE_COUNTER_DNS_UNTRUSTED = 19, /* DNS responses not believed: received in a network
					    * namespace a user namespace other than the node's owns,
					    * or at an unconnected socket from a server it never asked */
	SLUICE_COUNTER_MAX = 20,
};

/* sluice_state map (array of one): runtime settings and the active policy slot. */
struct sluice_state {
	__u32 active_slot;        /* 0 or 1: which half of every policy map is live */
	__u32 event_mode;         /* enum sluice_event_mode */
	__u32 agent_tgid;         /* the agent process, exempt from policy (0: none) */
	__u32 abi_version;        /* SLUICE_ABI_VERSION of the agent that wrote the maps */
	__u64 agent_start_ticks;  /* its start time in clock ticks, as /proc/PID/stat field 22 */
	__u64 ns_per_tick;        /* nanoseconds per clock tick (1e9 / sysconf(_SC_CLK_TCK)) */
	__u32 intel_flags;        /* enum sluice_intel_flags: which feed-layer maps hold entries */
	__u32 pad;
};
_Static_assert(sizeof(struct sluice_state) == 40, "sluice_state layout");

/* Flags in sluice_state.intel_flags: a node without feeds skips the feed layer's lookups. */
enum sluice_intel_flags {
	SLUICE_INTEL_HAS_ADDRESSES4 = 1,
	SLUICE_INTEL_HAS_ADDRESSES6 = 2,
	SLUICE_INTEL_HAS_NAMES = 4,
};

/* A decided action with the rule that produced it. */
struct sluice_verdict {
	__u32 rule_id; /* index into the generation's rule table (user space names it) */
	__u8 action;   /* enum sluice_action */
	__u8 flags;    /* enum sluice_verdict_flags */
	__u16 pad;
};
_Static_assert(sizeof(struct sluice_verdict) == 8, "sluice_verdict layout");

/* A subject's compiled form: its id in the rule tries, and its default if it has one. */
struct sluice_subject {
	__u32 subject_id;      /* slot bit included: (slot << 31) | id */
	__u32 has_default;     /* 0: unmatched traffic falls through to the next subject */
	struct sluice_verdict fallback;
};
_Static_assert(sizeof(struct sluice_subject) == 16, "sluice_subject layout");

/* sluice_config map (array of two, one per slot): everything about a generation that is
 * not a map entry. */
struct sluice_config {
	__u32 generation;
	__u32 flags;                                 /* enum sluice_config_flags */
	__u8 exe_cgroup_levels[SLUICE_MAX_CGROUP_LEVELS]; /* deepest first */
	__u8 cgroup_levels[SLUICE_MAX_CGROUP_LEVELS];     /* deepest first */
	__u8 exe_cgroup_level_count;
	__u8 cgroup_level_count;
	__u8 pad[6];
	struct sluice_subject node;                  /* the node default subject */
};
_Static_assert(sizeof(struct sluice_config) == 64, "sluice_config layout");

/* Key of sluice_subjects (hash). Unused identity fields are zero. */
struct sluice_subject_key {
	__u64 cgroup_id; /* EXE_IN_CGROUP and CGROUP */
	__u64 ino;       /* EXE_IN_CGROUP and EXE */
	__u32 dev;       /* kernel encoding: major << 20 | minor */
	__u8 kind;       /* enum sluice_subject_kind */
	__u8 slot;
	__u16 pad;
};
_Static_assert(sizeof(struct sluice_subject_key) == 24, "sluice_subject_key layout");

/* Keys of the destination tries (LPM). prefixlen counts the 32 subject bits too. */
struct sluice_rule_key4 {
	__u32 prefixlen;
	__u32 subject_id;
	__u8 addr[4];
};
_Static_assert(sizeof(struct sluice_rule_key4) == 12, "sluice_rule_key4 layout");

struct sluice_rule_key6 {
	__u32 prefixlen;
	__u32 subject_id;
	__u8 addr[16];
};
_Static_assert(sizeof(struct sluice_rule_key6) == 24, "sluice_rule_key6 layout");

/* One port/protocol entry. Tables are sorted so that the first match is the winner. */
struct sluice_port_entry {
	__u16 port_lo;  /* host byte order, inclusive */
	__u16 port_hi;
	__u8 protocol;  /* IPPROTO_TCP, IPPROTO_UDP, or 0 for any */
	__u8 action;    /* enum sluice_action */
	__u8 flags;     /* enum sluice_verdict_flags */
	__u8 exact;     /* 1: the entry's own prefix is a whole address (/32, /128), which a name
			 * rule ties with (DESIGN.md: precedence) */
	__u32 rule_id;
};
_Static_assert(sizeof(struct sluice_port_entry) == 12, "sluice_port_entry layout");

/* Value of the destination tries: the port table that decides this prefix. Its first entries
 * sit inline, so most destinations need no second lookup and 100,000 distinct rules do not
 * need 100,000 chunks; longer tables continue in sluice_ports. */
struct sluice_rule_value {
	__u32 next;  /* first chunk of the rest of the table in sluice_ports, 0 for none */
	__u16 count; /* inline entries used */
	__u16 pad;
	struct sluice_port_entry entries[SLUICE_ROUTE_INLINE_ENTRIES];
};
_Static_assert(sizeof(struct sluice_rule_value) == 32, "sluice_rule_value layout");

/* sluice_ports map (array): chunks continuing port tables. Index 0 is never used. */
struct sluice_port_table {
	__u32 count; /* entries used in this chunk */
	__u32 next;  /* the next chunk of the same table, 0 for none */
	struct sluice_port_entry entries[SLUICE_PORT_TABLE_ENTRIES];
};
_Static_assert(sizeof(struct sluice_port_table) == 104, "sluice_port_table layout");

/* ---- Rules with parameters (actions rate-limit and redirect) ---- */

/* Key of sluice_rule_params (hash): a rule of one generation that needs more than its action. */
struct sluice_rule_params_key {
	__u32 generation;
	__u32 rule_id;
};
_Static_assert(sizeof(struct sluice_rule_params_key) == 8, "sluice_rule_params_key layout");

/* Value of sluice_rule_params. A rate limit's token bucket is GCRA's one number, the
 * theoretical arrival time: a connect is admitted when that time is at most `tolerance_ns`
 * ahead of now, and moves it `interval_ns` on. */
struct sluice_rule_params {
	__u64 interval_ns;     /* rate-limit: period / count, one token per interval */
	__u64 tolerance_ns;    /* rate-limit: (burst - 1) * interval, how far ahead the bucket may run */
	__u8 redirect_addr[16]; /* redirect: the local target (IPv4 in the first four bytes) */
	__u16 redirect_port;   /* host byte order */
	__u8 redirect_family;  /* 4 or 6 */
	__u8 pad[5];
	__u64 quota_sent;      /* quota: payload bytes one connection (or, with a window, one
				* application) may send; 0: no limit */
	__u64 quota_received;  /* the same, received */
	__u64 quota_window_ns; /* 0: per connection; else per application per window */
};
_Static_assert(sizeof(struct sluice_rule_params) == 64, "sluice_rule_params layout");

/* Key of sluice_rate_buckets (LRU; value: the theoretical arrival time, CLOCK_BOOTTIME ns) and
 * sluice_quota_usage: one application (executable within cgroup) under one rule. Rule ids
 * outlive generations for an unchanged rule, so a policy reload keeps the buckets and windows. */
struct sluice_rate_key {
	__u64 cgroup_id;
	__u64 exe_ino;
	__u32 exe_dev;
	__u32 rule_id;
};
_Static_assert(sizeof(struct sluice_rate_key) == 24, "sluice_rate_key layout");

/* Value of sluice_quota_usage: what one application sent and received under a windowed quota
 * since its window began. */
struct sluice_quota_usage {
	__u64 window_start_ns; /* CLOCK_BOOTTIME */
	__u64 sent;
	__u64 received;
};
_Static_assert(sizeof(struct sluice_quota_usage) == 24, "sluice_quota_usage layout");

/* Key of sluice_redirects (LRU, pinned): a redirected connection as its target sees it, by the
 * client's own address and port (its getpeername() at the target). An IPv4 connection from an
 * IPv6 socket (::ffff:a.b.c.d) is keyed as IPv4. The value is where the client meant to go:
 * what a proxy or sink behind the target looks up (README: redirect). */
struct sluice_redirect_key {
	__u8 family;   /* 4 or 6 */
	__u8 protocol; /* IPPROTO_TCP or IPPROTO_UDP */
	__u16 port;    /* the client's port, host byte order */
	__u8 addr[16]; /* the client's address, IPv4 in the first four bytes */
};
_Static_assert(sizeof(struct sluice_redirect_key) == 20, "sluice_redirect_key layout");

struct sluice_redirect_origin {
	__u8 addr[16]; /* the original destination, IPv4 in the first four bytes */
	__u16 port;    /* host byte order */
	__u8 family;   /* 4 or 6 */
	__u8 pad[5];
	__u64 cookie;  /* the client socket's cookie, as in its flow records */
};
_Static_assert(sizeof(struct sluice_redirect_origin) == 32, "sluice_redirect_origin layout");

/* One ring-buffer record per decision. */
struct sluice_event {
	__u64 timestamp_ns; /* CLOCK_BOOTTIME */
	__u64 cgroup_id;
	__u64 exe_ino;
	__u32 exe_dev;      /* kernel encoding */
	__u32 pid;          /* thread-group id in the initial pid namespace */
	__u32 uid;
	__u32 rule_id;
	__u32 generation;
	__u16 dst_port;     /* host byte order */
	__u8 protocol;
	__u8 family;        /* 4 or 6: the family the rules were matched in */
	__u8 dst_addr[16];  /* IPv4 in the first four bytes */
	__u8 action;        /* enum sluice_action */
	__u8 flags;         /* enum sluice_event_flags */
	__u8 hook;          /* enum sluice_hook */
	__u8 intel;         /* enum sluice_event_intel */
	__u32 intel_id;     /* the feed indicator that matched (sluice_intel_value), 0: none */
	char comm[16];
	__u64 dst_name_id;  /* the name the caller looked up for dst_addr (sluice_dns_names), 0: none */
};
_Static_assert(sizeof(struct sluice_event) == 96, "sluice_event layout");

/* A connection's traffic, counted in the kernel per socket (payload bytes above TCP and UDP,
 * packets as the stack handled them, a GSO packet counting its segments). Written to the same
 * ring as decisions when the connection ends (`final` 1), and by the flow iterators while it is
 * open (`final` 0), so one stream carries both. `event` is the connect's decision with hook
 * SLUICE_HOOK_FLOW and the time of this record; the reader tells the two apart by that hook. */
struct sluice_flow_event {
	struct sluice_event event;
	__u64 start_ns;         /* CLOCK_BOOTTIME of the connect */
	__u64 cookie;           /* the socket's cookie: every record of one connection has it */
	__u64 bytes_sent;
	__u64 bytes_received;
	__u64 packets_sent;
	__u64 packets_received;
	__u8 final;             /* 1: the connection ended (TCP closed, UDP socket released) */
	__u8 pad[7];
};
_Static_assert(sizeof(struct sluice_flow_event) == 152, "sluice_flow_event layout");

/* One ring-buffer record per exec (sluice_execs): names executables by identity, so the events
 * of a process that exited at once still carry its path. */
#define SLUICE_EXEC_PATH_MAX 240

struct sluice_exec_event {
	__u64 exe_ino;
	__u32 exe_dev;                       /* kernel encoding */
	__u32 pid;                           /* thread-group id in the initial pid namespace */
	char filename[SLUICE_EXEC_PATH_MAX]; /* as given to execve: absolute after a PATH search */
};
_Static_assert(sizeof(struct sluice_exec_event) == 256, "sluice_exec_event layout");

/* A file as Sluice identifies it, the same in the kernel and in user space: the inode number and
 * the device of the file system that numbers it, in the kernel's encoding (major << 20 | minor).
 * That device is the superblock's s_dev, except on btrfs, where inode numbers restart in every
 * subvolume and the device is the subvolume's anonymous device (what stat() reports). */
struct sluice_file_identity {
	__u64 ino;
	__u32 dev;
	__u32 flags; /* enum sluice_identity_flags (task storage only) */
};
_Static_assert(sizeof(struct sluice_file_identity) == 16, "sluice_file_identity layout");

/* Flags of an identity recorded at exec (sluice_task_exe). */
enum sluice_identity_flags {
	SLUICE_IDENTITY_BY_NAME = 1, /* the file executed was not the one governed by its path yet:
				      * the path's governed identity was recorded (upgrade race) */
};

/* Longest file name (with its NUL) sluice_governed_names can hold. */
#define SLUICE_NAME_MAX 128

/* Key of sluice_governed_names: a path a policy names, as the kernel finds it at exec (the
 * directory's identity and the file's name, zero-padded). The value is the identity governed
 * there, recorded for any file executed under that name before the agent has caught up. */
struct sluice_name_key {
	__u64 dir_ino;
	__u32 dir_dev;
	__u32 pad;
	char name[SLUICE_NAME_MAX];
};
_Static_assert(sizeof(struct sluice_name_key) == 144, "sluice_name_key layout");
/* ---- Domain names (sluice_dns.h) ----
 * A name's id is FNV-1a 64 over its dotted lowercase bytes taken from the last to the first: one
 * backward pass gives the id of every parent domain on the way, for wildcard rules. */

/* Key of sluice_dns_addresses (LRU): an application and an address a DNS answer gave it. The
 * application is the cgroup and executable that connected the socket the answer came to; a
 * socket no hook saw connect (sendto only) is known by its cgroup alone (exe fields zero). */
struct sluice_dns_key {
	__u64 cgroup_id;
	__u64 exe_ino;
	__u32 exe_dev;
	__u8 family;  /* 4 or 6 */
	__u8 pad[3];
	__u8 addr[16]; /* IPv4 in the first four bytes */
};
_Static_assert(sizeof(struct sluice_dns_key) == 40, "sluice_dns_key layout");

/* What a decision found for an attributed name under one policy generation, kept in the
 * attribution (sluice_dns_value.decided) so that the next decisions under that generation skip
 * the lookups. Two parts, each with its own tag (generation + 1; 0: not found yet) and checked
 * against what it was found for, because the LRU may hand the element to another attribution
 * while a decision still holds it:
 * - the name's patterns the generation has (any decision with this attribution);
 * - the name table and whole-address rule of the first subject a decision consults (only
 *   decisions of the application the attribution belongs to, which all consult the same first
 *   subject): a name decision by that subject then needs no rule lookup at all, and no address
 *   lookup when no whole-address rule can outrank the name (DESIGN.md, precedence).
 * A writer first swaps the part's tag to SLUICE_DNS_FILLING (compare and exchange), so one part
 * is never a mix of two writers; readers check the tag again after reading. */
#define SLUICE_DNS_FILLING 0xffffffffu
struct sluice_dns_decided {
	__u64 name_id;      /* the name the patterns were found for */
	__u32 patterns_for; /* generation + 1 of the patterns, SLUICE_DNS_FILLING while written */
	__u32 rules_for;    /* generation + 1 of the rules part, SLUICE_DNS_FILLING while written */
	__u64 pattern_hash[SLUICE_DNS_NAMES]; /* the name's patterns the slot has, most specific first */
	__u8 pattern_kind[SLUICE_DNS_NAMES];
	__u8 pattern_count;
	__u8 has_rules;     /* 1: `rules` is the subject's table for its most specific pattern */
	__u8 exact_address; /* 1: the subject has a whole-address rule for the address, which may
			     * outrank the name: the address is still looked up */
	/* What the rules part was found for: */
	__u8 family;         /* 4 or 6 */
	__u32 subject_id;    /* the first subject consulted */
	__u32 pad;
	__u64 rules_name_id; /* the name */
	__u64 addr[2];       /* the address, its 16 bytes as in the key */
	struct sluice_rule_value rules;
};
_Static_assert(sizeof(struct sluice_dns_decided) == 120, "sluice_dns_decided layout");

/* Value of sluice_dns_addresses: the name asked for (the start of any CNAME chain) and how long
 * the attribution holds. */
struct sluice_dns_value {
	__u64 expires_ns; /* CLOCK_BOOTTIME: the answer's TTL within [floor, ceiling], plus the grace */
	__u64 name_id;
	__u64 parents[SLUICE_DNS_PARENTS]; /* ids of its parent domains, nearest first */
	__u32 parent_count;
	__u32 pad;
	struct sluice_dns_decided decided; /* written by decisions; an answer writes both tags 0 */
};
_Static_assert(sizeof(struct sluice_dns_value) == 208, "sluice_dns_value layout");

/* Value of sluice_dns_names (LRU, key: name id): the name itself, for events. */
struct sluice_dns_name {
	char name[SLUICE_DNS_NAME_MAX]; /* dotted, lowercase, no trailing dot, NUL-terminated */
};
_Static_assert(sizeof(struct sluice_dns_name) == 256, "sluice_dns_name layout");

/* Kinds of name pattern. */
enum sluice_name_kind {
	SLUICE_NAME_EXACT = 1,    /* api.github.com: key hash is the name's id */
	SLUICE_NAME_WILDCARD = 2, /* *.github.com: key hash is the id of github.com */
};

/* Key of sluice_name_rules (hash): a subject's name pattern; the value is a sluice_rule_value
 * whose table already holds the subject's less specific matching patterns behind its own. */
struct sluice_name_rule_key {
	__u64 hash;
	__u32 subject_id;
	__u8 kind; /* enum sluice_name_kind */
	__u8 pad[3];
};
_Static_assert(sizeof(struct sluice_name_rule_key) == 16, "sluice_name_rule_key layout");

/* Key of sluice_name_patterns (hash, value unused): the patterns any subject of a slot has, so
 * a decision looks up per subject only the few of a name's patterns that exist. */
struct sluice_name_pattern_key {
	__u64 hash;
	__u8 kind;
	__u8 slot;
	__u8 pad[6];
};
_Static_assert(sizeof(struct sluice_name_pattern_key) == 16, "sluice_name_pattern_key layout");

/* ---- Feed layers (threat intelligence, sluice_intel.h) ----
 * Independent of the policy slots: the agent adds and removes single entries while decisions run.
 * A domain entry is keyed by its name's id (as sluice_dns_value.name_id) and covers the name's
 * subdomains through the attribution's parents. */

/* Keys of sluice_intel4/6 (LPM): a feed's address or prefix. */
struct sluice_intel_key4 {
	__u32 prefixlen;
	__u8 addr[4];
};
_Static_assert(sizeof(struct sluice_intel_key4) == 8, "sluice_intel_key4 layout");

struct sluice_intel_key6 {
	__u32 prefixlen;
	__u8 addr[16];
};
_Static_assert(sizeof(struct sluice_intel_key6) == 20, "sluice_intel_key6 layout");

/* Value of sluice_intel4/6 and sluice_intel_names: the indicator that decides the target (the
 * most severe of those naming it). */
struct sluice_intel_value {
	__u64 expires_ns; /* CLOCK_BOOTTIME after which it no longer applies; 0: never */
	__u32 intel_id;   /* the agent's id of (feed, indicator), for events */
	__u8 action;      /* SLUICE_ACTION_DENY or SLUICE_ACTION_ALERT */
	__u8 pad[3];
};
_Static_assert(sizeof(struct sluice_intel_value) == 16, "sluice_intel_value layout");

/* Protect mode (`sluice agent --protect`, BPF LSM): the agent, its pin folder, and the ids of
 * the objects only the agent may touch. Not pinned: protection lives as long as the agent. */
struct sluice_protect_config {
	__u32 agent_tgid;        /* 0: protection off */
	__u32 folder_dev;        /* the pin folder's filesystem, kernel encoding (major << 20 | minor) */
	__u64 agent_start_ticks; /* as in sluice_state */
	__u64 ns_per_tick;
	__u64 folder_ino;        /* the pin folder's inode */
};
_Static_assert(sizeof(struct sluice_protect_config) == 32, "sluice_protect_config layout");

/* Kinds of object in sluice_protected. */
enum sluice_protected_kind {
	SLUICE_PROTECTED_MAP = 1,  /* writable fds refused to others (read-only allowed) */
	SLUICE_PROTECTED_LINK = 2, /* any fd refused to others: no detach, no update */
};

/* Key of sluice_protected (hash): an object by kind and kernel id. */
struct sluice_protected_key {
	__u32 kind; /* enum sluice_protected_kind */
	__u32 id;
};
_Static_assert(sizeof(struct sluice_protected_key) == 8, "sluice_protected_key layout");

#endif /* SLUICE_ABI_H */
