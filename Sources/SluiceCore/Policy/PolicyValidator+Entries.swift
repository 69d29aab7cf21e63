extension PolicyValidator {
    /// One (subject, destination block, port range, protocol) a rule gives an action to. The
    /// subject is its number in `SubjectNumbers`: hashing a path per entry would cost more.
    struct EntryKey: Hashable {
        var subject: Int
        var destination: EntryDestination
        var ports: PortRange
        var transport: TransportProtocol
    }

    /// Numbers the canonical subjects of a set in the order they first appear.
    struct SubjectNumbers {
        private var numbers: [CanonicalSubject: Int] = [:]

        mutating func number(of subject: CanonicalSubject) -> Int {
            if let number = numbers[subject] { return number }
            numbers[subject] = numbers.count
            return numbers.count - 1
        }
    }

    /// The rule and destination an entry came from, kept to point at it. Positions rather than a
    /// location: a large policy keeps 100,000 of these, and a smaller table is built faster.
    struct EntrySource {
        var policy: Int32
        var rule: Int32
        /// The position among the rule's blocks then names; -1 for a rule without `to`, which is
        /// located itself.
        var destination: Int32
        var action: RuleAction
        var mode: PolicyMode

        var ruleID: RuleID { RuleID(policy: Int(policy), rule: Int(rule)) }

        func agrees(with other: EntrySource) -> Bool { action == other.action && mode == other.mode }

        func location(in set: PolicySet) -> SourceLocation {
            let rule = set.policies[Int(policy)].egress[Int(rule)]
            let index = Int(destination)
            if index < 0 { return rule.location }
            return index < rule.destinations.count
                ? rule.destinations[index].location : rule.names[index - rule.destinations.count].location
        }
    }

    /// The first source of each distinct (action, mode) one key was given, at most six.
    struct KeySources {
        var first: EntrySource
        /// Sources that disagree with every one before them: rare, so usually empty.
        var more: [EntrySource] = []

        func first(where predicate: (EntrySource) -> Bool) -> EntrySource? {
            predicate(first) ? first : more.first(where: predicate)
        }
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
        var seen: [EntryKey: KeySources] = [:]
        // Roughly one key per rule and subject.
        seen.reserveCapacity(set.policies.reduce(0) { $0 + $1.egress.count * max(1, $1.subjects.count) })
        var subjectNumbers = SubjectNumbers()
        var reportedPairs: Set<RulePair> = []
        var diagnostics: [PolicyDiagnostic] = []
        for (policyIndex, policy) in set.policies.enumerated() {
            let subjects = CanonicalSubject.keys(of: policy).map { key, written in
                (number: subjectNumbers.number(of: key), written: written)
            }
            for (ruleIndex, rule) in policy.egress.enumerated() {
                var addsEntry = false
                var repeated: EntrySource?
                let portRanges = rule.ports.isEmpty ? [.any] : rule.ports.map(\.value)
                for (destinationIndex, destination) in destinations(of: rule).enumerated() {
                    let source = EntrySource(
                        policy: Int32(policyIndex), rule: Int32(ruleIndex),
                        destination: rule.coversAnyDestination ? -1 : Int32(destinationIndex), action: rule.action,
                        mode: policy.mode)
                    for (subject, written) in subjects {
                        for ports in portRanges {
                            let key = EntryKey(
                                subject: subject, destination: destination.value, ports: ports, transport: rule.transport)
                            let earlier = seen[key]
                            if let other = earlier?.first(where: { !$0.agrees(with: source) }),
                                reportedPairs.insert(RulePair(later: source.ruleID, earlier: other.ruleID)).inserted
                            {
                                diagnostics.append(
                                    contradiction(key, written, source, destination.field, other, in: set))
                            }
                            if let same = earlier?.first(where: { $0.agrees(with: source) }) {
                                if same.ruleID != source.ruleID { repeated = repeated ?? same }
                            } else {
                                if earlier == nil {
                                    seen[key] = KeySources(first: source)
                                } else {
                                    seen[key]?.more.append(source)
                                }
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

    /// The rule's blocks, then its names; a rule without `to` covers both families, located at
    /// the rule itself.
    private static func destinations(of rule: EgressRule) -> [Located<EntryDestination>] {
        // `host` is expanded by the compiler on the node, which reports contradictions there.
        guard rule.coversAnyDestination else {
            return rule.destinations.map { Located(.prefix($0.value), at: $0.location, path: $0.path) }
                + rule.names.map { Located(.name($0.value), at: $0.location, path: $0.path) }
        }
        let path = FieldPath("spec.egress").appending(rule.index)
        return [IPPrefix.any(.ipv4), IPPrefix.any(.ipv6)].map { Located(.prefix($0), at: rule.location, path: path) }
    }

    private static func contradiction(
        _ key: EntryKey, _ subject: String, _ source: EntrySource, _ field: String, _ other: EntrySource,
        in set: PolicySet
    ) -> PolicyDiagnostic {
        let withMode = source.mode != other.mode
        return PolicyDiagnostic(
            at: source.location(in: set), field: field,
            "\(ruleName(source, in: set)) contradicts \(ruleName(other, in: set)) at \(other.location(in: set)): "
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
                + "\(ruleName(other, in: set)) at \(other.location(in: set))")
    }

    private static func ruleName(_ source: EntrySource, in set: PolicySet) -> String {
        let policy = set.policies[Int(source.policy)]
        return "rule \(policy.egress[Int(source.rule)].label) of policy \"\(policy.name)\""
    }

    /// `10.0.0.0/8 port 443 tcp`, `::/0 any port any protocol`.
    private static func describe(_ key: EntryKey) -> String {
        let ports =
            key.ports.isAny ? "any port" : key.ports.isSinglePort ? "port \(key.ports)" : "ports \(key.ports)"
        let transport = key.transport == .any ? "any protocol" : key.transport.rawValue
        return "\(key.destination) \(ports) \(transport)"
    }
}
