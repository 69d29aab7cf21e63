@testable import SluiceCore

/// Random policies mixing names, wildcards, exact addresses and blocks, for three subjects:
/// the node, executable `/bin/e0` and cgroup `a` of `RandomWorld`.
struct NamePolicyGenerator {
    static let subjects = ["", "subjects: [{executable: /bin/e0}]", "subjects: [{cgroup: a}]"]
    /// Nested wildcards and exact names, all within eight labels of each other.
    static let patterns = [
        "*.com", "*.example.com", "*.a.example.com", "*.b.a.example.com", "a.example.com", "b.a.example.com",
        "example.com", "x.y.example.com", "*.github.com", "api.github.com",
    ]
    static let blocks = ["192.0.2.10", "192.0.2.20", "192.0.2.0/24", "0.0.0.0/0", "10.0.0.0/8", "2001:db8::1", "2001:db8::/32", "::/0"]
    static let domains = [
        "a.example.com", "b.a.example.com", "c.b.a.example.com", "example.com", "x.y.example.com", "z.example.com",
        "api.github.com", "github.com", "raw.github.com", "example.org",
    ]
    static let addresses = ["192.0.2.10", "192.0.2.20", "192.0.2.99", "10.1.1.1", "2001:db8::1", "2001:db8::2", "198.51.100.1"]
    static let ports = ["443", "80", "1-1024", "400-500", "440-450", "8080"]

    struct Rule {
        var action: RuleAction
        var to: [String]?
        var ports: [String]?
        var transport: TransportProtocol?

        var yaml: String {
            var fields = ["action: \(action)"]
            if let to { fields.append("to: [\(to.map { "\"\($0)\"" }.joined(separator: ", "))]") }
            if let ports { fields.append("ports: [\(ports.map { "\"\($0)\"" }.joined(separator: ", "))]") }
            if let transport { fields.append("protocol: \(transport)") }
            return "  - {\(fields.joined(separator: ", "))}"
        }
    }

    struct Policy {
        var subject: Int
        var monitor: Bool
        var rules: [Rule] = []
        var defaultAction: RuleAction?

        func yaml(named name: String) -> String {
            var spec = [NamePolicyGenerator.subjects[subject]].filter { !$0.isEmpty }
            if monitor { spec.append("mode: monitor") }
            if let defaultAction { spec.append("default: \(defaultAction)") }
            if !rules.isEmpty { spec.append("egress:\n" + rules.map(\.yaml).joined(separator: "\n")) }
            return Policies.document(name, spec.joined(separator: "\n"))
        }
    }

    private struct Claim: Hashable {
        var subject: Int
        var destination: EntryDestination
        var ports: PortRange
        var transport: TransportProtocol
    }

    var rng: SplitMix64
    private var claims: [Claim: (RuleAction, Bool)] = [:]
    private var defaults: [Int: (RuleAction, Bool)] = [:]

    init(seed: UInt64) {
        rng = SplitMix64(seed: seed)
    }

    mutating func policies() -> [Policy] {
        (0..<rng.between(1, 6)).map { _ in policy() }
    }

    private mutating func policy() -> Policy {
        var policy = Policy(subject: rng.below(3), monitor: rng.chance(20))
        var previous: Rule?
        for _ in 0..<rng.between(1, 6) {
            var rule = randomRule()
            if let previous, rng.chance(40) {
                // Same ports and protocol for other destinations: the ties between a name and an address.
                rule.ports = previous.ports
                rule.transport = previous.transport
            }
            let keys = Self.destinations(rule).flatMap { destination in
                Self.portRanges(rule).map {
                    Claim(subject: policy.subject, destination: destination, ports: $0, transport: rule.transport ?? .any)
                }
            }
            let allowed = RuleAction.parameterless.filter { action in
                keys.allSatisfy { claims[$0].map { $0 == (action, policy.monitor) } ?? true }
            }
            guard !allowed.isEmpty else { continue }
            rule.action = allowed.contains(rule.action) ? rule.action : rng.pick(allowed)
            for key in keys where claims[key] == nil { claims[key] = (rule.action, policy.monitor) }
            policy.rules.append(rule)
            previous = rule
        }
        if rng.chance(30), defaults[policy.subject].map({ $0.1 == policy.monitor }) ?? true {
            let action = defaults[policy.subject]?.0 ?? rng.pick(RuleAction.parameterless)
            defaults[policy.subject] = (action, policy.monitor)
            policy.defaultAction = action
        }
        return policy
    }

    private mutating func randomRule() -> Rule {
        var to: [String]?
        if !rng.chance(10) {
            to = (0..<rng.between(1, 2)).map { _ in rng.chance(55) ? rng.pick(Self.patterns) : rng.pick(Self.blocks) }
        }
        let ports: [String]? = rng.chance(35) ? nil : (0..<rng.between(1, 2)).map { _ in rng.pick(Self.ports) }
        let transport: TransportProtocol? = rng.chance(30) ? nil : rng.pick([TransportProtocol.tcp, .udp, .any])
        return Rule(action: rng.pick(RuleAction.parameterless), to: to, ports: ports, transport: transport)
    }

    static func destinations(_ rule: Rule) -> [EntryDestination] {
        guard let to = rule.to else { return [.prefix(.any(.ipv4)), .prefix(.any(.ipv6))] }
        return to.map { text in
            if case .success(let prefix) = IPPrefix.parse(text) { return .prefix(prefix) }
            guard case .success(let pattern) = NamePattern.parse(text) else { preconditionFailure(text) }
            return .name(pattern)
        }
    }

    static func portRanges(_ rule: Rule) -> [PortRange] {
        (rule.ports ?? []).map { text in
            guard case .success(let range) = PortRange.parse(text) else { preconditionFailure(text) }
            return range
        }.nilIfEmpty ?? [.any]
    }

    mutating func flow() -> FlowQuery {
        let address = IPAddress(rng.pick(Self.addresses))!
        return FlowQuery(
            executable: rng.pick([RandomWorld.e0, RandomWorld.e1, nil]),
            cgroupAncestry: World.ancestry(of: rng.pick(RandomWorld.tree), in: RandomWorld.tree), destination: address,
            port: UInt16(rng.pick([443, 80, 445, 8080, 22, 1024, 500])), transport: rng.chance(50) ? .tcp : .udp,
            domain: rng.chance(15) ? nil : DomainName(rng.pick(Self.domains)))
    }
}

extension Array {
    fileprivate var nilIfEmpty: Self? { isEmpty ? nil : self }
}

/// DESIGN.md's precedence with names, by brute force over every entry of the generated rules:
/// within a subject the best name entry (exact name, then longer wildcard suffix, then ports,
/// protocol, severity, mode) decides unless the best address entry is for an exact address and
/// beats it on ports, protocol, severity or mode.
struct NameReferenceDecider {
    struct Entry {
        var destination: EntryDestination
        var ports: PortRange
        var transport: TransportProtocol
        var verdict: Verdict
    }

    struct Answer: Equatable, CustomStringConvertible {
        /// 0 node, 1 executable, 2 cgroup.
        var subject: Int
        var verdict: Verdict
        var byDefault: Bool
        var byName: Bool

        var description: String {
            "subject \(subject): rule \(verdict.ruleID) \(verdict.action)\(verdict.monitor ? " (monitor)" : "")"
                + (byDefault ? " by default" : byName ? " by name" : " by address")
        }
    }

    var entries: [[Entry]] = [[], [], []]
    var fallbacks: [Verdict?] = [nil, nil, nil]
    /// What settled each decision, for the test to show it met every case.
    enum Step: String { case nameAlone, nameOverBlock, nameOnTie, exactAddress, address, fallback }

    init(_ policies: [NamePolicyGenerator.Policy]) {
        var nextID: UInt32 = 1
        for policy in policies {
            for rule in policy.rules {
                let verdict = Verdict(ruleID: nextID, action: rule.action, monitor: policy.monitor)
                nextID += 1
                for destination in NamePolicyGenerator.destinations(rule) {
                    for ports in NamePolicyGenerator.portRanges(rule) {
                        entries[policy.subject].append(Entry(destination: destination, ports: ports, transport: rule.transport ?? .any, verdict: verdict))
                    }
                }
            }
            if let action = policy.defaultAction {
                fallbacks[policy.subject] = fallbacks[policy.subject] ?? Verdict(ruleID: nextID, action: action, monitor: policy.monitor)
                nextID += 1
            }
        }
    }

    func decide(_ flow: FlowQuery) -> (Answer, Step) {
        var order: [Int] = []
        if flow.executable == RandomWorld.e0 { order.append(1) }
        if flow.cgroupAncestry.contains(RandomWorld.cgroupByPath["a"]!) { order.append(2) }
        for subject in order + [0] {
            if let answer = decide(flow, subject: subject) { return answer }
        }
        return (Answer(subject: 0, verdict: Verdict(ruleID: 0, action: .allow, monitor: false), byDefault: true, byName: false), .fallback)
    }

    private func decide(_ flow: FlowQuery, subject: Int) -> (Answer, Step)? {
        let matching = entries[subject].filter { entry in
            guard entry.ports.contains(flow.port), entry.transport == .any || entry.transport == flow.transport else { return false }
            switch entry.destination {
            case .prefix(let prefix): return prefix.contains(flow.destination)
            case .name(let pattern): return flow.domain.map(pattern.matches) ?? false
            }
        }
        let address = matching.filter { $0.destination.specificity != nil }.min { Self.precedes($0, $1, by: \.destination.specificity!) }
        let name = matching.filter { $0.destination.nameSpecificity != nil }.min { Self.precedes($0, $1, by: \.destination.nameSpecificity!) }
        func answer(_ entry: Entry, byName: Bool, _ step: Step) -> (Answer, Step) {
            (Answer(subject: subject, verdict: entry.verdict, byDefault: false, byName: byName), step)
        }
        if let name {
            guard let address else { return answer(name, byName: true, .nameAlone) }
            guard address.destination.isExactAddress else { return answer(name, byName: true, .nameOverBlock) }
            if Self.outranks(address, name) { return answer(address, byName: false, .exactAddress) }
            return answer(name, byName: true, .nameOnTie)
        }
        if let address { return answer(address, byName: false, .address) }
        return fallbacks[subject].map { (Answer(subject: subject, verdict: $0, byDefault: true, byName: false), .fallback) }
    }

    /// Ports, protocol, severity, enforce before monitor: DESIGN.md's order between equally specific destinations.
    static func outranks(_ a: Entry, _ b: Entry) -> Bool {
        if a.ports.width != b.ports.width { return a.ports.width < b.ports.width }
        if (a.transport == .any) != (b.transport == .any) { return b.transport == .any }
        if a.verdict.action != b.verdict.action { return a.verdict.action.severity > b.verdict.action.severity }
        return !a.verdict.monitor && b.verdict.monitor
    }

    /// More specific destination first, then `outranks`, then the lower port and earlier rule as the compiler orders them.
    static func precedes(_ a: Entry, _ b: Entry, by specificity: (Entry) -> Int) -> Bool {
        if specificity(a) != specificity(b) { return specificity(a) > specificity(b) }
        if outranks(a, b) { return true }
        if outranks(b, a) { return false }
        if a.ports.lower != b.ports.lower { return a.ports.lower < b.ports.lower }
        return a.verdict.ruleID < b.verdict.ruleID
    }
}

extension EntryDestination {
    /// Prefix length for blocks; nil for names.
    fileprivate var specificity: Int? {
        if case .prefix(let prefix) = self { return prefix.length }
        return nil
    }

    /// Exact names above every wildcard, longer suffixes above shorter; nil for blocks.
    fileprivate var nameSpecificity: Int? {
        switch self {
        case .prefix: return nil
        case .name(.exact): return 1000
        case .name(.wildcard(let suffix)): return suffix.labels.count
        }
    }

    fileprivate var isExactAddress: Bool {
        if case .prefix(let prefix) = self { return prefix.length == prefix.family.bitWidth }
        return false
    }
}
