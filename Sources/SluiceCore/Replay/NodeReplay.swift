/// Both outcomes of one replayed event, under the policies in force and under the candidate: their
/// indices in the `outcomes` of the node's two deciders (a million events share a few outcomes).
struct ReplayPair {
    var before: Int32
    var after: Int32
}

/// One node's replay: its two deciders, and what repeats across its events worked out once (an
/// executable's identity, a cgroup's ancestry, a name, a whole flow's two outcomes).
struct NodeReplay {
    var current: NodeDecider
    var candidate: NodeDecider
    let resolver: ReplayResolver
    private var identities: [IdentityKey: ExecutableIdentity?] = [:]
    private var ancestries: [String: [CgroupIdentity]] = [:]
    private var domains: [String: DomainName?] = [:]
    private var decided: [ReplayKey: ReplayPair] = [:]

    private struct IdentityKey: Hashable {
        var exeID: String?
        var exe: String?
    }

    /// - Parameter flows: how many flows may come, at most: the table of decided flows is made
    ///   that large at once rather than grown (and rehashed) as they come.
    init(current: NodeDecider, candidate: NodeDecider, resolver: ReplayResolver, flows: Int = 0) {
        self.current = current
        self.candidate = candidate
        self.resolver = resolver
        decided.reserveCapacity(flows)
    }

    /// The outcomes of the flow `key` of the event at `index`; a flow already seen is not decided
    /// again.
    mutating func outcomes(_ key: ReplayKey, of events: RecordedEvents, at index: Int) -> ReplayPair {
        if let known = decided[key] { return known }
        let flow = FlowQuery(
            executable: identity(of: events, at: index), cgroupAncestry: ancestry(of: events, at: index), destination: key.destination, port: key.port,
            transport: key.transport, domain: key.domain.flatMap { domain(of: $0) })
        let pair = ReplayPair(before: current.decide(flow), after: candidate.decide(flow))
        decided[key] = pair
        return pair
    }

    /// `ReplayResolver.identity(of:)`, worked out once per executable.
    private mutating func identity(of events: RecordedEvents, at index: Int) -> ExecutableIdentity? {
        let key = IdentityKey(exeID: events[index].exeID, exe: events[index].exe)
        if let known = identities[key] { return known }
        let made = ReplayResolver.identity(of: events[index])
        identities[key] = .some(made)
        return made
    }

    /// `ReplayResolver.ancestry(of:)`, worked out once per cgroup.
    private mutating func ancestry(of events: RecordedEvents, at index: Int) -> [CgroupIdentity] {
        let key = events[index].cgroup ?? ""
        if let known = ancestries[key] { return known }
        let made = resolver.ancestry(of: events[index])
        ancestries[key] = made
        return made
    }

    private mutating func domain(of text: String) -> DomainName? {
        if let known = domains[text] { return known }
        let parsed = DomainName(text)
        domains[text] = .some(parsed)
        return parsed
    }
}
