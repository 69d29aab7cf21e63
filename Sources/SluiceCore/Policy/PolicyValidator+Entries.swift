extension PolicyValidator {
    /// One (subject, destination block, port range, protocol) a rule gives an action to.
    struct EntryKey: Hashable {
        var subject: CanonicalSubject
        var prefix: IPPrefix
        var ports: PortRange
        var transport: TransportProtocol
    }

    /// The rule an entry came from, kept to point at it.
    struct EntrySource {
        var policy: Int
        var rule: Int
        var action: RuleAction
        var mode: PolicyMode
        var location: SourceLocation

        var ruleID: RuleID { RuleID(policy: policy, rule: rule) }

        func agrees(with other: EntrySource) -> Bool { action == other.action && mode == other.mode }
    }

    struct RuleID: Hashable {
        var policy: Int
        var rule: Int
    }

    /// A pair of rules is reported once, however many entries they share.
    struct RulePair: Hashable {
        var later: RuleID
        var earlier: RuleID
    }

    /// Contradictions (one entry, two actions or two modes) are errors; a rule whose every entry
    /// an earlier rule already gives the same way has no effect and gets a warning. Both are exact
    /// matches only: overlapping blocks or ranges follow the precedence order and are not problems.
    ///
    /// Each key keeps the first source of each distinct (action, mode), at most six, so every entry
    /// is one dictionary lookup and every contradiction is found, not only those with the first.
    static func ruleEntryProblems(in set: PolicySet) -> [PolicyDiagnostic] {
        var seen: [EntryKey: [EntrySource]] = [:]
        var reportedPairs: Set<RulePair> = []
        var diagnostics: [PolicyDiagnostic] = []
        for (policyIndex, policy) in set.policies.enumerated() {
            let subjects = CanonicalSubject.keys(of: policy)
            for (ruleIndex, rule) in policy.egress.enumerated() {
                var addsEntry = false
                var repeated: EntrySource?
                for destination in destinations(of: rule) {
                    let source = EntrySource(
                        policy: policyIndex, rule: ruleIndex, action: rule.action, mode: policy.mode,
                        location: destination.location)
                    for (subject, written) in subjects {
                        for ports in rule.ports.isEmpty ? [.any] : rule.ports.map(\.value) {
                            let key = EntryKey(
                                subject: subject, prefix: destination.value, ports: ports, transport: rule.transport)
                            let earlier = seen[key] ?? []
                            if let other = earlier.first(where: { !$0.agrees(with: source) }),
                                reportedPairs.insert(RulePair(later: source.ruleID, earlier: other.ruleID)).inserted
                            {
                                diagnostics.append(
                                    contradiction(key, written, source, destination.field, other, in: set))
                            }
                            if let same = earlier.first(where: { $0.agrees(with: source) }) {
                                if same.ruleID != source.ruleID { repeated = repeated ?? same }
                            } else {
                                seen[key, default: []].append(source)
                                addsEntry = true
                            }
                        }
                    }
                }
                if !addsEntry, let repeated {
                    diagnostics.append(redundancy(of: rule, in: policy, repeating: repeated, in: set))
                }
            }
        }
        return diagnostics
    }

    /// The rule's blocks; a rule without `to` covers both families, located at the rule itself.
    private static func destinations(of rule: EgressRule) -> [Located<IPPrefix>] {
        guard rule.destinations.isEmpty else { return rule.destinations }
        let field = "spec.egress[\(rule.index)]"
        return [IPPrefix.any(.ipv4), IPPrefix.any(.ipv6)].map { Located($0, at: rule.location, field: field) }
    }

    private static func contradiction(
        _ key: EntryKey, _ subject: String, _ source: EntrySource, _ field: String, _ other: EntrySource,
        in set: PolicySet
    ) -> PolicyDiagnostic {
        let withMode = source.mode != other.mode
        return PolicyDiagnostic(
            at: source.location, field: field,
            "\(ruleName(source, in: set)) contradicts \(ruleName(other, in: set)) at \(other.location): "
                + "for \(subject), \(describe(key)) gets \(describe(source.action, source.mode, withMode)) here "
                + "but \(describe(other.action, other.mode, withMode)) there")
    }

    private static func redundancy(
        of rule: EgressRule, in policy: Policy, repeating other: EntrySource, in set: PolicySet
    ) -> PolicyDiagnostic {
        PolicyDiagnostic(
            .warning, at: rule.location, field: "spec.egress[\(rule.index)]",
            "rule \(rule.label) of policy \"\(policy.name)\" has no effect: earlier rules already give every "
                + "destination, port and protocol it lists the same action, starting with "
                + "\(ruleName(other, in: set)) at \(other.location)")
    }

    private static func ruleName(_ source: EntrySource, in set: PolicySet) -> String {
        let policy = set.policies[source.policy]
        return "rule \(policy.egress[source.rule].label) of policy \"\(policy.name)\""
    }

    /// `10.0.0.0/8 port 443 tcp`, `::/0 any port any protocol`.
    private static func describe(_ key: EntryKey) -> String {
        let ports =
            key.ports.isAny ? "any port" : key.ports.isSinglePort ? "port \(key.ports)" : "ports \(key.ports)"
        let transport = key.transport == .any ? "any protocol" : key.transport.rawValue
        return "\(key.prefix) \(ports) \(transport)"
    }
}
