import Foundation

/// A compiled policy (and the feed layers of a node) as an nftables ruleset, in the precedence
/// `policy explain` decides by (DESIGN.md): the output chain tries cgroup subjects deepest first
/// (`socket cgroupv2 level N`), then the node; within a subject the longest prefix first, then
/// the route's table in the compiler's order (exact port, range, any; deny on a tie), then the
/// subject's default, or back to the next subject when it has none.
///
/// Only new connections are decided: packets of established and related connections pass,
/// like connections the agent let through.
public struct NftablesRenderer: Sendable {
    /// Also decide routed traffic (`hook forward`) by the node's rules: a gateway.
    public var forward: Bool
    /// Where nft finds the cgroup2 hierarchy relative to `/sys/fs/cgroup` (nft resolves
    /// `socket cgroupv2` paths there): `unified` where cgroup2 is mounted at
    /// `/sys/fs/cgroup/unified`, empty where it is `/sys/fs/cgroup` itself.
    public var cgroupPathPrefix: String
    /// Routes of one subject, length and table at least this many become one named set.
    public var setThreshold: Int

    public init(forward: Bool = false, cgroupPathPrefix: String = "", setThreshold: Int = 4) {
        self.forward = forward
        self.cgroupPathPrefix = cgroupPathPrefix
        self.setThreshold = setThreshold
    }

    /// Renders `compiled`; `feeds` are the node's threat-intel indicators, `now` decides their
    /// remaining lifetimes (expired ones are left out).
    public func render(_ compiled: CompiledPolicy, feeds: [IntelIndicator] = [], now: Date) throws(DatapathImageError) -> FirewallRendering<NftRuleset> {
        let image = try DatapathImage(compiled)
        var build = NftablesBuild(compiled: compiled, image: image, renderer: self)
        build.addFeeds(feeds, now: now)
        return build.finish()
    }
}

/// The state of one render: sets and chains made so far, and the report.
struct NftablesBuild {
    static let feedChain = "feeds"
    static let nodeChain = "node"

    let compiled: CompiledPolicy
    let image: DatapathImage
    let renderer: NftablesRenderer
    var sets: [NftSet] = []
    var unexpressed: [UnexpressedRule] = []
    private var reported: Set<ReportKey> = []
    /// Whether a feed layer exists: accepted connections are checked against it first.
    var hasFeeds = false
    var feedChain = NftChain(name: feedChain)

    init(compiled: CompiledPolicy, image: DatapathImage, renderer: NftablesRenderer) {
        self.compiled = compiled
        self.image = image
        self.renderer = renderer
    }

    mutating func finish() -> FirewallRendering<NftRuleset> {
        var chains: [NftChain] = []
        if hasFeeds {
            feedChain.rules.append(NftRule([], [.accept], comment: "no feed matched"))
            chains.append(feedChain)
        }
        var dispatch: [NftRule] = [
            NftRule([.established], [.accept], comment: "decided when the connection began"),
            NftRule([.neighborDiscovery], [.accept], comment: "IPv6 neighbour discovery: no application's connection"),
        ]
        let ordered = image.subjects.sorted { Self.order($0.key) < Self.order($1.key) }
        for (key, record) in ordered {
            switch key {
            case .cgroup(let cgroup):
                let name = "subject_\(record.index)"
                chains.append(subjectChain(name: name, record: record, label: key.description))
                let relative = String(cgroup.path.drop { $0 == "/" })
                let path = renderer.cgroupPathPrefix.isEmpty ? relative : renderer.cgroupPathPrefix + "/" + relative
                dispatch.append(NftRule([.cgroup(level: cgroup.level, path: path)], [.jump(name)], comment: "cgroup \(cgroup.path)"))
            case .executable, .executableInCgroup:
                reportSubject(record, label: key.description)
            }
        }
        chains.append(subjectChain(name: Self.nodeChain, record: image.node, label: "node"))
        dispatch.append(NftRule([], [.goto(Self.nodeChain)], comment: "the node decides"))
        chains.append(NftChain(name: "output", hook: .output, rules: dispatch))
        if renderer.forward {
            let routed = [
                NftRule([.established], [.accept], comment: "decided when the connection began"),
                NftRule([], [.goto(Self.nodeChain)], comment: "routed traffic: the node decides"),
            ]
            chains.append(NftChain(name: "forward", hook: .forward, rules: routed))
        }
        return FirewallRendering(ruleset: NftRuleset(sets: sets, chains: chains), unexpressed: unexpressed)
    }

    /// Cgroup subjects deepest first, as the kernel walks them; executables are reported only.
    private static func order(_ key: SubjectKey) -> (Int, Int, String) {
        switch key {
        case .cgroup(let cgroup): (0, -cgroup.level, cgroup.path)
        case .executableInCgroup, .executable: (1, 0, key.description)
        }
    }

    /// A subject's routes longest first, each followed by its default; then the default for
    /// destinations with no route.
    private mutating func subjectChain(name: String, record: SubjectRecord, label: String) -> NftChain {
        reportNames(subject: record.index, label: label)
        var rules: [NftRule] = []
        let routes = image.routes.filter { $0.key.subject == record.index }
        let groups = Dictionary(grouping: routes) { RouteGroup(length: $0.key.prefix.length, family: $0.key.prefix.family, table: $0.value) }
        for group in groups.keys.sorted() {
            let prefixes = groups[group, default: []].map(\.key.prefix).sorted()
            let table = image.tables[group.table]
            var destinations: [[NftMatch]]
            if group.length == 0 {
                destinations = [[.family(group.family)]]
            } else if prefixes.count >= renderer.setThreshold {
                let set = "\(name)_\(group.family == .ipv4 ? "v4" : "v6")_\(group.length)_\(group.table)"
                sets.append(
                    NftSet(
                        name: set, family: group.family, interval: group.length < group.family.bitWidth, timeouts: false,
                        elements: prefixes.map { NftSetElement(prefix: $0) }, comment: "\(label): /\(group.length) destinations"))
                destinations = [[.destinationSet(name: set, family: group.family)]]
            } else {
                destinations = prefixes.map { [.destination($0)] }
            }
            let exact = group.length == group.family.bitWidth
            for destination in destinations {
                for entry in table {
                    rules += entryRules(destination, entry, exact: exact && entry.exactAddress, label: label)
                }
                // The route matched but no entry covers the port: the default decides, as in
                // the kernel (shorter routes' entries are already in this table).
                if !(table.last.map { $0.ports.isAny && $0.protocolNumber == 0 } ?? false) {
                    rules += fallbackRules(destination, record.fallback)
                }
            }
        }
        rules += fallbackRules([], record.fallback)
        return NftChain(name: name, rules: rules)
    }

    private mutating func fallbackRules(_ matches: [NftMatch], _ fallback: Verdict?) -> [NftRule] {
        guard let fallback else { return [NftRule(matches, [.return], comment: "no default: the next subject decides")] }
        return verdictRules(matches, fallback, exact: false, label: "default")
    }

    private mutating func entryRules(_ destination: [NftMatch], _ entry: PortEntry, exact: Bool, label: String) -> [NftRule] {
        if entry.protocolNumber == TransportProtocol.raw.number {
            report(entry.verdict.ruleID, .rawSockets, subject: label)
            return []
        }
        var matches = destination
        switch entry.protocolNumber {
        case 0:
            if !entry.ports.isAny { matches += [.l4proto([6, 17]), .destinationPort(entry.ports)] }
        case 6, 17:
            matches.append(.l4proto([entry.protocolNumber]))
            if !entry.ports.isAny { matches.append(.destinationPort(entry.ports)) }
        default:
            matches.append(.l4proto([entry.protocolNumber]))
        }
        return verdictRules(matches, entry.verdict, exact: exact, label: label)
    }

    /// The rules that carry out one verdict; an accept goes through the feed layers unless an
    /// explicit allow of the exact address decided (DESIGN.md: it outranks a feed).
    private mutating func verdictRules(_ matches: [NftMatch], _ verdict: Verdict, exact: Bool, label: String) -> [NftRule] {
        let comment = self.comment(verdict.ruleID)
        let pass: NftStatement = hasFeeds && !exact ? .goto(Self.feedChain) : .accept
        if verdict.hasQuota { report(verdict.ruleID, .quota, subject: label) }
        let tag = "sluice r\(verdict.ruleID) "
        switch (verdict.action, verdict.monitor) {
        case (.allow, _), (.quota, _):
            return [NftRule(matches, [pass], comment: comment)]
        case (.alert, _):
            return [NftRule(matches, [.log(prefix: "\(tag)alert "), pass], comment: comment)]
        case (.deny, false):
            return refusal(matches, [], comment: comment)
        case (.deny, true):
            return [NftRule(matches, [.log(prefix: "\(tag)monitor deny "), pass], comment: comment)]
        case (.rateLimit, let monitor):
            guard let rate = image.parameters[verdict.ruleID]?.rate else { return [NftRule(matches, [pass], comment: comment)] }
            let over = monitor ? [NftRule(matches, [.limitOver(rate), .log(prefix: "\(tag)monitor rate-limited "), pass], comment: comment)] : refusal(matches, [.limitOver(rate)], comment: comment)
            return over + [NftRule(matches, [pass], comment: comment)]
        case (.redirect, true):
            return [NftRule(matches, [pass], comment: comment)]
        case (.redirect, false):
            report(verdict.ruleID, .redirect, subject: label)
            return []
        }
    }

    /// Refuses what `matches` covers: TCP with a reset, anything else with an ICMP error.
    func refusal(_ matches: [NftMatch], _ before: [NftStatement], comment: String) -> [NftRule] {
        let protocols = matches.lazy.compactMap { if case .l4proto(let numbers) = $0 { numbers } else { nil } }.first
        if protocols == [6] { return [NftRule(matches, before + [.resetTCP], comment: comment)] }
        let tcp = protocols.map { $0.contains(6) } ?? true
        return (tcp ? [NftRule(matches + [.l4proto([6])], before + [.resetTCP], comment: comment)] : [])
            + [NftRule(matches, before + [.reject], comment: comment)]
    }

    /// `r3 web/egress[0]`: read back to compare, and for people reading `nft list`.
    func comment(_ ruleID: UInt32) -> String {
        let rule = compiled.rule(ruleID) ?? .builtInDefault
        return String("r\(ruleID) \(rule.policy ?? "node")/\(rule.rule)".prefix(120))
    }

    private mutating func reportSubject(_ record: SubjectRecord, label: String) {
        var ids = Set(record.fallback.map { [$0.ruleID] } ?? [])
        for (key, table) in image.routes where key.subject == record.index { ids.formUnion(image.tables[table].map(\.verdict.ruleID)) }
        for (key, table) in image.nameRoutes where key.subject == record.index { ids.formUnion(image.tables[table].map(\.verdict.ruleID)) }
        for id in ids.sorted() { report(id, .executableSubject, subject: label) }
    }

    private mutating func reportNames(subject: UInt32, label: String) {
        var ids = Set<UInt32>()
        for (key, table) in image.nameRoutes where key.subject == subject { ids.formUnion(image.tables[table].map(\.verdict.ruleID)) }
        for id in ids.sorted() { report(id, .nameDestination, subject: label) }
    }

    mutating func report(_ ruleID: UInt32, _ reason: UnexpressedRule.Reason, subject: String) {
        guard reported.insert(ReportKey(ruleID: ruleID, reason: reason, subject: subject)).inserted else { return }
        let rule = compiled.rule(ruleID) ?? .builtInDefault
        unexpressed.append(UnexpressedRule(reason: reason, policy: rule.policy, rule: rule.rule, location: rule.location?.description, subject: subject))
    }

    private struct ReportKey: Hashable {
        var ruleID: UInt32
        var reason: UnexpressedRule.Reason
        var subject: String
    }
}

/// Routes of one subject with the same length, family and table: one set, one run of rules.
struct RouteGroup: Hashable, Comparable {
    var length: Int
    var family: IPAddress.Family
    var table: Int

    /// Longest first; the order between families and tables is only for a stable output.
    static func < (lhs: RouteGroup, rhs: RouteGroup) -> Bool {
        (-lhs.length, lhs.family.rawValue, lhs.table) < (-rhs.length, rhs.family.rawValue, rhs.table)
    }
}
