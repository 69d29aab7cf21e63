@testable import SluiceCore

/// Rule precedence written straight from DESIGN.md, by brute force over generated policies,
/// sharing nothing with the compiler, the image or the engine:
///
/// 1. subjects from the most specific: executable within cgroup (deepest cgroup first),
///    executable, cgroup (deepest first), node; a subject decides when one of its entries
///    matches or it has a default, otherwise the next one is asked; the node's default is
///    rule 0, allow, unless a node policy sets one;
/// 2. among a subject's matching entries: longest prefix, then narrowest port range (a single
///    port is the narrowest, any port the widest), then a specific protocol before any;
/// 3. a tie of equal specificity goes to the more severe action: deny, alert, allow.
///
/// Beyond DESIGN.md, for entries that tie in all of that and in action (they may differ in
/// mode or rule), the lower first port and then the earlier rule win, as the compiler orders
/// them; rule ids count rules in policy order, each policy's default after its rules.
struct ReferenceDecider {
    struct Entry {
        var prefix: IPPrefix
        var ports: PortRange
        var transport: TransportProtocol
        var verdict: Verdict
    }

    struct Subject {
        var entries: [Entry] = []
        var fallback: Verdict?
    }

    struct Answer: Equatable, CustomStringConvertible {
        var subject: SubjectKey?
        var verdict: Verdict
        var byDefault: Bool
        var prefix: IPPrefix?

        var description: String {
            "\(subject?.description ?? "node"): rule \(verdict.ruleID) \(verdict.action)\(verdict.monitor ? " (monitor)" : "")"
                + (byDefault ? " by default" : " via \(prefix?.description ?? "?")")
        }
    }

    var subjects: [SubjectKey: Subject] = [:]
    var node = Subject()
    /// Rule id -> (policy, rule label).
    var labels: [UInt32: (policy: String, rule: String)] = [0: ("", "node-default")]

    init(_ policies: [GeneratedPolicy]) {
        var nextID: UInt32 = 1
        for policy in policies {
            let keys = policy.subjects.flatMap(\.keys)
            func add(_ change: (inout Subject) -> Void) {
                if policy.subjects.isEmpty {
                    change(&node)
                } else {
                    for key in keys { change(&subjects[key, default: Subject()]) }
                }
            }
            add { _ in }  // a subject with neither rules nor default still exists
            for (index, rule) in policy.rules.enumerated() {
                let verdict = Verdict(ruleID: nextID, action: rule.action, monitor: policy.monitor)
                labels[nextID] = (policy.name, rule.name ?? "egress[\(index)]")
                nextID += 1
                let entries = rule.prefixes.flatMap { prefix in
                    rule.portRanges.map {
                        Entry(prefix: prefix, ports: $0, transport: rule.transport ?? .any, verdict: verdict)
                    }
                }
                add { $0.entries += entries }
            }
            if let action = policy.defaultAction {
                let verdict = Verdict(ruleID: nextID, action: action, monitor: policy.monitor)
                labels[nextID] = (policy.name, "default")
                nextID += 1
                add { subject in subject.fallback = subject.fallback ?? verdict }
            }
        }
    }

    func decide(_ flow: FlowQuery) -> Answer {
        func inAncestry(_ cgroup: CgroupIdentity) -> Bool {
            cgroup.level < flow.cgroupAncestry.count && flow.cgroupAncestry[cgroup.level] == cgroup
        }
        var order: [(key: SubjectKey, rank: Int)] = []
        for key in subjects.keys {
            switch key {
            case .executableInCgroup(let exe, let cgroup) where exe == flow.executable && inAncestry(cgroup):
                order.append((key, 3000 + cgroup.level))
            case .executable(let exe) where exe == flow.executable:
                order.append((key, 2000))
            case .cgroup(let cgroup) where inAncestry(cgroup):
                order.append((key, 1000 + cgroup.level))
            default:
                break
            }
        }
        for (key, _) in order.sorted(by: { $0.rank > $1.rank }) {
            if let answer = decide(flow, by: subjects[key]!, key: key) { return answer }
        }
        return decide(flow, by: node, key: nil)
            ?? Answer(subject: nil, verdict: Verdict(ruleID: 0, action: .allow, monitor: false), byDefault: true, prefix: nil)
    }

    private func decide(_ flow: FlowQuery, by subject: Subject, key: SubjectKey?) -> Answer? {
        let matching = subject.entries.filter {
            $0.prefix.contains(flow.destination) && $0.ports.contains(flow.port)
                && ($0.transport == .any || $0.transport == flow.transport)
        }
        if let best = matching.min(by: Self.isMoreSpecific) {
            return Answer(subject: key, verdict: best.verdict, byDefault: false, prefix: best.prefix)
        }
        return subject.fallback.map { Answer(subject: key, verdict: $0, byDefault: true, prefix: nil) }
    }

    /// Which step of the precedence separated the deciding entry from the runner-up among the
    /// subject's matching entries (nil when only one matched): how the property test knows it
    /// exercised every step.
    func decisiveStep(_ flow: FlowQuery, subject key: SubjectKey?) -> String? {
        let matching = (key.flatMap { subjects[$0] } ?? node).entries.filter {
            $0.prefix.contains(flow.destination) && $0.ports.contains(flow.port)
                && ($0.transport == .any || $0.transport == flow.transport)
        }.sorted(by: Self.isMoreSpecific)
        guard matching.count >= 2 else { return nil }
        let (a, b) = (matching[0], matching[1])
        if a.prefix.length != b.prefix.length { return "longer prefix" }
        if a.ports.width != b.ports.width { return "narrower ports" }
        if (a.transport == .any) != (b.transport == .any) { return "specific protocol" }
        if a.verdict.action != b.verdict.action { return "severity" }
        return "order"
    }

    /// Whether `answer` differs from `expected` only in naming a shorter block of the same rule
    /// with the same ports and protocol, holding the destination: a rule that lists nested blocks
    /// (`to: [10.0.0.0/8, 10.1.0.0/16]`) puts one entry in both tables, and either names it.
    func isCopy(_ answer: Answer, of expected: Answer, for flow: FlowQuery) -> Bool {
        guard var same = Optional(answer), let prefix = answer.prefix, let expectedPrefix = expected.prefix,
            prefix.length < expectedPrefix.length
        else { return false }
        same.prefix = expected.prefix
        guard same == expected else { return false }
        let entries = (answer.subject.flatMap { subjects[$0] } ?? node).entries
        guard let deciding = entries.first(where: { $0.prefix == expectedPrefix && $0.verdict == expected.verdict }) else {
            return false
        }
        return entries.contains {
            $0.prefix == prefix && $0.ports == deciding.ports && $0.transport == deciding.transport
                && $0.verdict == deciding.verdict && prefix.contains(flow.destination)
        }
    }

    static func isMoreSpecific(_ a: Entry, _ b: Entry) -> Bool {
        if a.prefix.length != b.prefix.length { return a.prefix.length > b.prefix.length }
        let aWidth = Int(a.ports.upper) - Int(a.ports.lower)
        let bWidth = Int(b.ports.upper) - Int(b.ports.lower)
        if aWidth != bWidth { return aWidth < bWidth }
        if (a.transport == .any) != (b.transport == .any) { return b.transport == .any }
        let severity: [RuleAction: Int] = [.allow: 0, .alert: 1, .deny: 2]
        if a.verdict.action != b.verdict.action { return severity[a.verdict.action]! > severity[b.verdict.action]! }
        if a.ports.lower != b.ports.lower { return a.ports.lower < b.ports.lower }
        return a.verdict.ruleID < b.verdict.ruleID
    }
}
