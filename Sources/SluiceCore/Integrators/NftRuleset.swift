/// An nftables ruleset as Sluice writes it: one table it owns (`inet sluice`), its named sets
/// and its chains. Rendered to nft's JSON (`nft -j -f -`) or text (`nft -f -`), both as one
/// transaction that replaces the table whole.
public struct NftRuleset: Hashable, Sendable {
    /// nft's family for a table that sees IPv4 and IPv6 alike.
    public static let family = "inet"

    /// The table's name; nothing outside it is ever touched.
    public var table: String
    public var sets: [NftSet]
    /// In the order they are created: chains that others jump to come first.
    public var chains: [NftChain]

    public init(table: String = "sluice", sets: [NftSet] = [], chains: [NftChain] = []) {
        self.table = table
        self.sets = sets
        self.chains = chains
    }
}

/// A named set of addresses or prefixes, with per-element timeouts when it carries them.
public struct NftSet: Hashable, Sendable {
    public var name: String
    public var family: IPAddress.Family
    /// Whether elements may be prefixes (`flags interval`).
    public var interval: Bool
    /// Whether elements may carry a timeout (`flags timeout`).
    public var timeouts: Bool
    public var elements: [NftSetElement]
    /// What the set holds, for people (a feed's name, a subject's rule).
    public var comment: String

    public init(name: String, family: IPAddress.Family, interval: Bool, timeouts: Bool, elements: [NftSetElement], comment: String) {
        self.name = name
        self.family = family
        self.interval = interval
        self.timeouts = timeouts
        self.elements = elements
        self.comment = comment
    }

    /// nft's element type.
    public var type: String { family == .ipv4 ? "ipv4_addr" : "ipv6_addr" }
}

/// One set element: a prefix (an address is a full-length one) and how long it stays.
public struct NftSetElement: Hashable, Sendable {
    public var prefix: IPPrefix
    /// Seconds until the kernel removes it; nil: it stays until the set is replaced.
    public var timeoutSeconds: Int?

    public init(prefix: IPPrefix, timeoutSeconds: Int? = nil) {
        self.prefix = prefix
        self.timeoutSeconds = timeoutSeconds
    }
}

/// A chain; a base chain hooks into the stack (`type filter hook output priority filter`).
public struct NftChain: Hashable, Sendable {
    /// The netfilter hooks Sluice's base chains use.
    public enum Hook: String, Hashable, Sendable {
        /// Packets this host sends: what the agent decides per application.
        case output
        /// Packets a gateway routes for other hosts: only node rules apply (no socket, no application).
        case forward
    }

    public var name: String
    public var hook: Hook?
    public var rules: [NftRule]

    public init(name: String, hook: Hook? = nil, rules: [NftRule] = []) {
        self.name = name
        self.hook = hook
        self.rules = rules
    }
}

/// One rule: every match must hold, then the statements run in order.
public struct NftRule: Hashable, Sendable {
    public var matches: [NftMatch]
    public var statements: [NftStatement]
    /// Which Sluice rule it came from (`r3 web/egress[0]`): read back to compare what is installed.
    public var comment: String

    public init(_ matches: [NftMatch], _ statements: [NftStatement], comment: String) {
        self.matches = matches
        self.statements = statements
        self.comment = comment
    }
}

/// What a rule matches on.
public enum NftMatch: Hashable, Sendable {
    /// Packets of connections already decided (`ct state established,related`).
    case established
    /// The packet's family (`ip version 4`): a /0 route.
    case family(IPAddress.Family)
    /// The destination address is in the block (`ip daddr 10.0.0.0/8`).
    case destination(IPPrefix)
    /// The destination address is in a named set (`ip daddr @name`).
    case destinationSet(name: String, family: IPAddress.Family)
    /// The IP protocol (`meta l4proto tcp`); several mean any of them.
    case l4proto([UInt8])
    /// The destination port of a TCP or UDP header (`th dport 443`).
    case destinationPort(PortRange)
    /// The sending socket's cgroup at a depth (`socket cgroupv2 level 2 "system.slice/x"`),
    /// the path relative to the cgroup2 mount.
    case cgroup(level: Int, path: String)
    /// IPv6 neighbour and router discovery, which the agent never decides (no socket connects
    /// for it) and without which a `default: deny` host loses IPv6 altogether.
    case neighborDiscovery
}

/// What a rule does once it matches.
public enum NftStatement: Hashable, Sendable {
    /// Logs to the kernel log with a prefix (alerts, monitor-mode denies).
    case log(prefix: String)
    /// Matches while the rule's packets exceed the rate (`limit rate over N/second burst B packets`).
    case limitOver(ConnectionRate)
    case accept
    /// `reject with icmpx admin-prohibited`: the connecting application fails rather than
    /// waiting for a timeout.
    case reject
    /// `reject with tcp reset`, for TCP: a reset fails the connect at once (ECONNREFUSED), where
    /// an ICMP error arriving while the connecting socket is busy is only a soft error that
    /// waits for the SYN's retransmit.
    case resetTCP
    case jump(String)
    case goto(String)
    /// Back to the calling chain: the subject has no answer, the next subject decides.
    case `return`
}
