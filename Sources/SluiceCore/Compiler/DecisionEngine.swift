/// A connection to decide, as the kernel sees it.
public struct FlowQuery: Sendable, Hashable {
    public var executable: ExecutableIdentity?
    /// The caller's cgroup and its ancestors, indexed by level (index 0 is the root).
    public var cgroupAncestry: [CgroupIdentity]
    public var destination: IPAddress
    public var port: UInt16
    /// `.tcp` or `.udp` (what the socket is); `.any` matches only protocol-any rules. `.raw`
    /// asks whether the caller may create a raw or ping socket (destination 0.0.0.0 or ::,
    /// port 0, as the socket-creation hook decides it).
    public var transport: TransportProtocol
    /// The name the application looked up, as the kernel attributed it from a DNS answer; nil
    /// when none was.
    public var domain: DomainName?

    public init(
        executable: ExecutableIdentity?, cgroupAncestry: [CgroupIdentity], destination: IPAddress, port: UInt16,
        transport: TransportProtocol, domain: DomainName? = nil
    ) {
        self.domain = domain
        self.executable = executable
        self.cgroupAncestry = cgroupAncestry
        self.destination = destination
        self.port = port
        self.transport = transport
    }
}

/// The outcome of deciding a flow, with how it was reached.
public struct Decision: Sendable, Hashable {
    /// Which subject decided: nil for the node.
    public var subject: SubjectKey?
    public var verdict: Verdict
    /// True when the subject's default decided rather than a rule.
    public var byDefault: Bool
    /// The destination block of the deciding rule.
    public var matchedPrefix: IPPrefix?
    /// The name or wildcard of the deciding rule, when a name rule decided.
    public var matchedName: NamePattern? = nil
    /// Each subject consulted, most specific first, and what it said.
    public var trace: [String]
}

/// Decides flows over a `DatapathImage` exactly as the kernel programs do (BPF/sluice.bpf.c):
/// executable within cgroup (deepest first), executable, cgroup (deepest first), node; within a
/// subject the longest matching prefix, then the first matching entry of its table, weighed
/// against the first matching entry of the first name route found for the flow's name.
public struct DecisionEngine: Sendable {
    public let image: DatapathImage
    /// The prefix lengths some route has, longest first, per family: the only ones a
    /// longest-prefix lookup can find, so the others are not tried.
    private let routeLengths: [IPAddress.Family: [Int]]

    public init(image: DatapathImage) {
        self.image = image
        var lengths: [IPAddress.Family: Set<Int>] = [:]
        for key in image.routes.keys { lengths[key.prefix.family, default: []].insert(key.prefix.length) }
        routeLengths = lengths.mapValues { $0.sorted(by: >) }
    }

    /// The decision with its explanation: the trace, and the block or name pattern the deciding
    /// rule was written for.
    public func decide(_ flow: FlowQuery) -> Decision {
        decide(flow, explaining: true)
    }

    /// - Parameter explaining: false for deciding many flows (the replay): the same verdict
    ///   without the trace, `matchedPrefix` and `matchedName` then being the route found rather
    ///   than the block or pattern the rule was written for.
    public func decide(_ flow: FlowQuery, explaining: Bool) -> Decision {
        // Nil when not explaining: `trace?.append` then builds no text at all.
        var trace: [String]? = explaining ? [] : nil
        var flow = flow
        if flow.transport != .raw, let local = flow.destination.unspecifiedReachesLoopback {
            // As BPF/sluice.bpf.c does: Linux connects the unspecified address to the host.
            trace?.append("\(flow.destination) is the unspecified address, which reaches this host: decided as \(local)")
            flow.destination = local
        }
        var candidates: [SubjectKey] = []
        if let exe = flow.executable {
            for level in image.executableInCgroupLevels where level < flow.cgroupAncestry.count {
                candidates.append(.executableInCgroup(exe, flow.cgroupAncestry[level]))
            }
            candidates.append(.executable(exe))
        }
        for level in image.cgroupLevels where level < flow.cgroupAncestry.count {
            candidates.append(.cgroup(flow.cgroupAncestry[level]))
        }
        for key in candidates {
            guard let record = image.subjects[key] else { continue }
            if let decision = decide(flow, subject: record, key: key, trace: &trace) {
                return decision
            }
        }
        return decide(flow, subject: image.node, key: nil, trace: &trace)
            ?? Decision(subject: nil, verdict: Verdict(ruleID: 0, action: .allow, monitor: false), byDefault: true, matchedPrefix: nil, trace: trace ?? [])
    }

    private func decide(_ flow: FlowQuery, subject: SubjectRecord, key: SubjectKey?, trace: inout [String]?) -> Decision? {
        var name: String { key?.description ?? "node" }
        var addressMatch: (prefix: IPPrefix, entry: PortEntry)?
        if let (prefix, table) = longestRoute(subject: subject.index, destination: flow.destination) {
            if let entry = table.first(where: { $0.matches(port: flow.port, protocolNumber: flow.transport.number) }) {
                addressMatch = (prefix, entry)
            } else {
                trace?.append("\(name): rules for \(prefix) do not cover port \(flow.port)/\(flow.transport)")
            }
        } else {
            trace?.append("\(name): no rule for \(flow.destination)")
        }
        if let match = nameMatch(flow, subject: subject.index, trace: &trace, name: name) {
            if let address = addressMatch, address.entry.exactAddress, Self.exactAddressOutranks(address.entry, name: match.entry) {
                trace?.append("\(name): rule \(address.entry.verdict.ruleID) for the exact address outranks rule \(match.entry.verdict.ruleID) for \(match.route)")
            } else {
                let pattern = trace == nil ? match.route : origin(of: match, subject: subject.index, flow: flow)
                trace?.append("\(name): rule \(match.entry.verdict.ruleID) matches name \(pattern) port \(match.entry.ports) -> \(match.entry.verdict.action)")
                var decision = Decision(subject: key, verdict: match.entry.verdict, byDefault: false, matchedPrefix: nil, trace: trace ?? [])
                decision.matchedName = pattern
                return decision
            }
        }
        if let (prefix, entry) = addressMatch {
            let block = trace == nil ? prefix : origin(of: entry, route: prefix, subject: subject.index, flow: flow)
            trace?.append("\(name): rule \(entry.verdict.ruleID) matches \(block) port \(entry.ports) -> \(entry.verdict.action)")
            return Decision(subject: key, verdict: entry.verdict, byDefault: false, matchedPrefix: block, trace: trace ?? [])
        }
        guard let fallback = subject.fallback else {
            trace?.append("\(name): no default, falls through")
            return nil
        }
        trace?.append("\(name): default -> \(fallback.action)")
        return Decision(subject: key, verdict: fallback, byDefault: true, matchedPrefix: nil, trace: trace ?? [])
    }

    /// The block the deciding entry was written for: a table holds the entries of the shorter
    /// routes behind its own, so walk down while the shorter route decides with the same entry.
    private func origin(of entry: PortEntry, route: IPPrefix, subject: UInt32, flow: FlowQuery) -> IPPrefix {
        var origin = route
        while let (parent, table) = longestRoute(subject: subject, destination: flow.destination, shorterThan: origin.length),
            table.first(where: { $0.matches(port: flow.port, protocolNumber: flow.transport.number) }) == entry
        {
            origin = parent
        }
        return origin
    }

    /// Longest-prefix match, as the kernel's LPM trie does it.
    func longestRoute(subject: UInt32, destination: IPAddress, shorterThan limit: Int? = nil) -> (IPPrefix, [PortEntry])? {
        for length in routeLengths[destination.family] ?? [] where length < limit ?? Int.max {
            let prefix = IPPrefix(covering: destination, length: length)
            if let table = image.table(for: RouteKey(subject: subject, prefix: prefix)) {
                return (prefix, table)
            }
        }
        return nil
    }
}
